// Lint: ESLint's and typescript-eslint's recommended rules on the product, tests and scripts.
// The layering rule is scripts/import-graph.ts (test/unit/layers.test.ts), not a lint rule: it
// needs the folder order, which no stock rule knows.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["build/", "node_modules/", ".cache/", ".tools/", ".state/", "results/", "docs/results/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        // Plain Node scripts (the CommonJS benchmark helpers load a checkout's modules by path).
        files: ["benchmarks/listeners.ts"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        languageOptions: {
            ecmaVersion: 2022,
            sourceType: "module",
            globals: {
                process: "readonly",
                console: "readonly",
                __dirname: "readonly",
                require: "readonly",
                module: "readonly",
                Buffer: "readonly",
                setTimeout: "readonly",
                clearTimeout: "readonly",
                setInterval: "readonly",
                clearInterval: "readonly",
                performance: "readonly",
                NodeJS: "readonly",
            },
        },
        rules: {
            // `_name` marks a value taken apart on purpose (destructuring to drop a key).
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
            // TypeScript's definite-assignment check wants the initial values this rule calls useless.
            "no-useless-assignment": "off",
        },
    },
);
