/**
 * Where a workload's server listens and where its client reaches it: the vocabulary workloads
 * (which declare ports and build client commands) and environments (which find the host-side
 * address of a port: environments/endpoints.ts) share.
 */

/** Where the client of a client/server workload reaches the server. */
export interface ServerAddress {
    readonly host: string;
    readonly port: number;
}

/** One port a workload's server listens on inside the environment. */
export interface ServerPort {
    /** Key of this port's address in RunContext.addrs (e.g. "control", "data"). */
    readonly name: string;
    readonly port: number;
    readonly protocol: "tcp" | "udp";
    /**
     * The protocol tells the peer this port number over its control connection (netperf and
     * nuttcp data connections), so a NAT must publish it at the same number on the host side.
     */
    readonly sameNumber?: boolean;
}
