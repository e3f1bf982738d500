/**
 * A private sshd on 127.0.0.1 standing in for a remote machine under test (issue 20): its own
 * host key and a client key made in a temporary folder, the host key pinned into the target's
 * state folder the way a user pins it (isobench never learns a host key on first contact).
 * {@link LoopbackSshd.stop} closes the shared connection, stops the daemon and removes every file
 * it made, so a test calls it in its after hook whatever happened.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { closeArgv, SshAddress, SshTarget } from "../../core/transport";
import { targetStateDir } from "../../experiment/target";
import { waitFor } from "./cli-stack";

export const SSHD = "/usr/sbin/sshd";

/** True when this machine can run the loopback sshd (scripts/setup.sh installs openssh-server). */
export function canRunSshd(): boolean {
    return fs.existsSync(SSHD);
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(p));
        });
        s.on("error", reject);
    });
}

function run(argv: readonly string[]): { status: number | null; out: string } {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 60_000 });
    return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

export interface LoopbackSshd {
    readonly port: number;
    /** What a stack's isobench:target says: its url and keyFile. */
    readonly stackTarget: { readonly url: string; readonly keyFile: string };
    /** The target as isobench resolves it (core/transport.ts), with its pinned known_hosts. */
    readonly target: SshTarget;
    /** Closes the shared SSH connection, stops sshd, removes the keys and the target's state folder. */
    stop(): void;
}

/**
 * Starts sshd on a free loopback port, root login by the made client key only.
 * @param stateDir the state folder isobench uses (core/paths.ts stateDir), where the host key is pinned
 * @param opts.setEnv variables of every login's environment (sshd's SetEnv): the target's own settings
 * @param opts.privateDirs folders the target has of its own: sshd runs in a mount namespace of
 *   its own with an empty tmpfs on each, so what is written there through the target is not seen
 *   here (as on a real remote machine), and goes when sshd does
 */
export async function startLoopbackSshd(
    stateDir: string,
    opts: { readonly setEnv?: Readonly<Record<string, string>>; readonly privateDirs?: readonly string[] } = {},
): Promise<LoopbackSshd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-sshd-"));
    let sshd: ChildProcess | undefined;
    let targetDir = "";
    let madeTargetsDir = false;
    let target: SshTarget | undefined;
    const stop = () => {
        try {
            if (target && fs.existsSync(target.controlPath)) run(closeArgv(target)!);
        } finally {
            sshd?.kill();
            if (targetDir) fs.rmSync(targetDir, { recursive: true, force: true });
            // .state/targets/ itself when this helper made it (another target's folder stays).
            if (madeTargetsDir && fs.existsSync(path.dirname(targetDir)) && fs.readdirSync(path.dirname(targetDir)).length === 0) {
                fs.rmdirSync(path.dirname(targetDir));
            }
            fs.rmSync(dir, { recursive: true, force: true });
        }
    };
    try {
        for (const k of ["host", "client"]) {
            const r = run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, k)]);
            if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.out}`);
        }
        fs.copyFileSync(path.join(dir, "client.pub"), path.join(dir, "authorized_keys"));
        const port = await freePort();
        fs.writeFileSync(
            path.join(dir, "sshd_config"),
            [
                `Port ${port}`,
                "ListenAddress 127.0.0.1",
                `HostKey ${path.join(dir, "host")}`,
                `PidFile ${path.join(dir, "sshd.pid")}`,
                `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                // The multiplexed connection of a cell carries several sessions at once.
                "MaxSessions 20",
                // ProxyJump to a guest and the Docker socket forward are TCP/stream forwards.
                "AllowTcpForwarding yes",
                "AllowStreamLocalForwarding yes",
                ...Object.entries(opts.setEnv ?? {}).map(([k, v]) => `SetEnv ${k}=${v}`),
                "",
            ].join("\n"),
        );
        fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
        const sshdArgv = [SSHD, "-D", "-e", "-f", path.join(dir, "sshd_config")];
        const privateDirs = opts.privateDirs ?? [];
        // unshare execs the shell, which execs sshd: the pid killed in stop() is sshd's.
        const [cmd, ...args] =
            privateDirs.length === 0
                ? sshdArgv
                : [
                      "unshare",
                      "-m",
                      "--propagation",
                      "private",
                      "/bin/sh",
                      "-c",
                      'n=$1; shift; while [ "$n" -gt 0 ]; do mkdir -p "$1" && mount -t tmpfs isobench-target "$1" || exit 1; shift; n=$((n-1)); done; exec "$@"',
                      "sh",
                      String(privateDirs.length),
                      ...privateDirs,
                      ...sshdArgv,
                  ];
        const daemon = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
        sshd = daemon;
        let sshdErr = "";
        daemon.stderr!.on("data", (d) => (sshdErr += d));
        await waitFor(
            `sshd on 127.0.0.1:${port}`,
            // A daemon that exited ends the wait at once, reported below with its own words.
            () => daemon.exitCode !== null || run(["ssh-keyscan", "-p", String(port), "127.0.0.1"]).out.includes("ssh-ed25519"),
            30,
        );
        if (daemon.exitCode !== null) throw new Error(`sshd exited ${daemon.exitCode}: ${sshdErr}`);
        const address: SshAddress = { kind: "ssh", user: "root", host: "127.0.0.1", port, keyFile: path.join(dir, "client") };
        targetDir = targetStateDir(address, stateDir);
        madeTargetsDir = !fs.existsSync(path.dirname(targetDir));
        fs.mkdirSync(targetDir, { recursive: true, mode: 0o700 });
        // Pinned from the key made here, not learned from the wire.
        const hostPub = fs.readFileSync(path.join(dir, "host.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
        fs.writeFileSync(path.join(targetDir, "known_hosts"), `[127.0.0.1]:${port} ${hostPub}\n`);
        target = {
            ...address,
            knownHosts: path.join(targetDir, "known_hosts"),
            controlPath: path.join(targetDir, "cm"),
            dockerSocket: path.join(targetDir, "docker.sock"),
        };
        return { port, stackTarget: { url: `ssh://root@127.0.0.1:${port}`, keyFile: address.keyFile }, target, stop };
    } catch (e) {
        stop();
        throw e;
    }
}
