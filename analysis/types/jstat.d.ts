// The few jstat functions isobench uses (jstat ships no type declarations).
declare module "jstat" {
    export const jStat: {
        studentt: { inv(p: number, dof: number): number; cdf(x: number, dof: number): number };
        normal: { inv(p: number, mean: number, std: number): number; cdf(x: number, mean: number, std: number): number };
        centralF: { cdf(x: number, df1: number, df2: number): number };
        chisquare: { cdf(x: number, dof: number): number };
    };
}
