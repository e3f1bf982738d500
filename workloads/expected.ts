/**
 * What a cell's expected duration (Workload.expectedS) assumes of work sized by a count rather
 * than a time: bytes to write, requests, rows, a matrix order. The cell's default wall-clock limit
 * is a multiple of that duration (experiment/cell-limit.ts), so the rates are slow on purpose: an
 * estimate too long only waits longer for a cell that hangs, one too short kills a healthy cell.
 * Each is at or below what this project's own host (2 cores, no KVM) sustains. Whether a cell's
 * length is fixed by such work or by a time its params give is the workload's lengthFixedBy, next
 * to its expectedS.
 */
export const SLOW_RATES = {
    /** Sequential file writes and generated input (fio's layout, sysbench prepare, pxz's text), bytes/s. */
    writeBytesPerS: 50e6,
    /** xz/pixz at level 6 on one core, input bytes/s (xz's own figure for -6 is a few MB/s). */
    compressBytesPerS: 1e6,
    /**
     * HPL with Debian's reference BLAS in one process, floating-point operations/s (this host:
     * 1.0 GFLOP/s with 2 processes at N=1920, test/fixtures/linpack).
     */
    flopsPerS: 5e8,
    /** Table updates/s of HPCC's RandomAccess and the suite's other memory-bound tests, per word of N². */
    memoryWordsPerS: 1e7,
    /** redis-benchmark requests/s at one client over loopback. */
    redisRequestsPerS: 5000,
    /** Rows/s sysbench's prepare inserts into MariaDB. */
    mysqlRowsPerS: 5000,
} as const;
