/**
 * Shell check that a directory accepts O_DIRECT, run before disk workloads that ask for direct
 * I/O (fio direct=1, sysbench --file-extra-flags=direct). tmpfs before Linux 6.6 and some
 * overlay/network file systems refuse O_DIRECT with EINVAL; the tools then fail with an unhelpful
 * errno, so say what and where. (On Linux 6.18 here, tmpfs and Docker's overlay accept it.)
 * Exits 3 with the reason on stderr (the runner keeps it in the raw file).
 */
export function requireDirectIo(workload: string, dirVar: string): string {
    const probe = `"${dirVar}/.isobench-odirect-probe"`;
    return [
        `if ! dd if=/dev/zero of=${probe} bs=4096 count=1 oflag=direct >/dev/null 2>&1; then`,
        `  rm -f ${probe}`,
        `  echo "${workload}: O_DIRECT (direct I/O) is not supported on the $(stat -f -c %T "${dirVar}") file system at ${dirVar}; use a storage variant backed by a block device file system (Docker volume, guest disk) instead of tmpfs" >&2`,
        `  exit 3`,
        `fi`,
        `rm -f ${probe}`,
    ].join("\n");
}
