/**
 * Bringing back an environment that died between cells: a container stopped by a dockerd restart
 * (isobench's containers have no restart policy, so that nothing restarts behind a measurement) or
 * by hand, a paused one, a guest shut off by a host reboot, a libvirtd restart or a crash. The
 * runner calls this before each cell; what it did goes into progress.log and the environment is
 * probed again. What is gone altogether (a container removed, a domain undefined) is not made
 * here: only its Pulumi resource knows how, so `isobench up` looks for it first (goneLayers) and
 * has Pulumi create it again; a cell that finds it gone says to run up again.
 */
import { EnvironmentHandle, GuestAccess } from "../core/environment-handle";
import { UserError } from "../core/errors";
import { shellQuote as q } from "../core/shell";
import { sshArgv } from "./exec-target";
import type { Completed } from "./process";
import { Transport, transportOf } from "./transport";

/** Bound on a guest's boot after a start; emulated guests boot in about a minute here. */
export const REVIVE_BOOT_TIMEOUT_S = 600;

const goneFix = (what: string, env: string) =>
    `${what} of environment ${env} is gone (removed outside isobench). Fix: run isobench up <stack> again: it creates it again and measures only the cells without results`;

const output = (c: Completed) => `${c.stderr || c.stdout}${c.error ?? ""}`.trim().slice(0, 400);

/**
 * What to run so a container answers again, from its `docker inspect` state; undefined when it
 * runs. Pure, and shared by the host's dockerd and a guest's.
 */
export function containerRevival(state: string): { readonly argv: readonly string[]; readonly did: string } | "unrevivable" | undefined {
    switch (state) {
        case "running":
            return undefined;
        case "exited":
        case "created":
            return { argv: ["start"], did: `was ${state}; started it again` };
        case "paused":
            return { argv: ["unpause"], did: "was paused; unpaused it" };
        default:
            return "unrevivable";
    }
}

/** The container's `docker inspect` state, or "absent". @throws UserError when docker does not answer */
function containerState(container: string, env: string, docker: (args: string[]) => Completed): string {
    const st = docker(["inspect", "-f", "{{.State.Status}}", container]);
    if (st.status === 0) return st.stdout.trim();
    if (/No such (object|container)/i.test(st.stderr)) return "absent";
    throw new UserError(
        `environment ${env}: docker does not answer (${output(st)}). Fix: start dockerd (bash scripts/daemons.sh for the host's) and run isobench up again`,
    );
}

/** The guest's state (guest-lifecycle.sh state: running, shut off, paused, …, or absent). @throws UserError when libvirt does not answer */
function guestState(host: Transport, g: GuestAccess, env: string, lifecycle: string): string {
    const st = host.attempt([lifecycle, "state", g.domain], 90);
    if (st.status !== 0)
        throw new UserError(
            `environment ${env}: libvirt does not answer (${output(st)}). Fix: start libvirtd (bash scripts/daemons.sh) and run isobench up again`,
        );
    return st.stdout.trim();
}

/** Starts the container if it stopped (through `docker` as `dockerArgv` runs it); what was done, or undefined. */
function reviveContainer(host: Transport, container: string, env: string, docker: (args: string[]) => Completed): string | undefined {
    const state = containerState(container, env, docker);
    if (state === "absent") throw new UserError(goneFix(`container ${container}`, env));
    const r = containerRevival(state);
    if (r === undefined) return undefined;
    if (r === "unrevivable")
        throw new UserError(
            `environment ${env}: container ${container} is ${state}; isobench does not start a container in that state. Fix: look at docker logs ${container}`,
        );
    const started = docker([...r.argv, container]);
    const ready = started.status === 0 ? waitFor(host, () => docker(["exec", container, "true"]).status === 0, 30) : false;
    if (!ready) throw new UserError(`environment ${env}: container ${container} ${r.did.split(";")[0]} but could not be brought back: ${output(started)}`);
    return `container ${container} ${r.did}`;
}

function waitFor(host: Transport, ok: () => boolean, timeoutS: number): boolean {
    const until = Date.now() + timeoutS * 1000;
    while (Date.now() < until) {
        if (ok()) return true;
        host.attempt(["sleep", "0.2"], 5);
    }
    return false;
}

/** Starts a shut-off or paused guest and waits for SSH (guest-lifecycle.sh start); what was done, or undefined. */
function reviveGuest(host: Transport, g: GuestAccess, env: string, lifecycle: string): string | undefined {
    const state = guestState(host, g, env, lifecycle);
    if (state === "running") return undefined;
    if (state === "absent") throw new UserError(goneFix(`guest ${g.domain}`, env));
    const started = host.attempt([lifecycle, "start", g.domain, g.sshKey, String(REVIVE_BOOT_TIMEOUT_S)], REVIVE_BOOT_TIMEOUT_S + 60);
    if (started.status !== 0) throw new UserError(`environment ${env}: guest ${g.domain} was ${state} and did not come back: ${output(started)}`);
    return `guest ${g.domain} was ${state}; started it again and it answers SSH`;
}

/**
 * Makes the environment answer again if it stopped; returns what was done (one line per layer),
 * or [] when it was running. Throws a UserError naming the fix when it cannot.
 * @param guestIp for docker-in-kvm, the guest's address once it runs (resolved after a restart)
 */
export function reviveEnvironment(h: EnvironmentHandle, lifecycle: string, guestIp: (domain: string) => string): string[] {
    const t = h.target;
    const host = transportOf(h);
    switch (t.kind) {
        case "native":
            return [];
        case "docker": {
            const did = reviveContainer(host, t.container, h.name, (args) => host.attempt(["docker", ...args], 60));
            return did ? [did] : [];
        }
        case "kvm": {
            const did = reviveGuest(host, t, h.name, lifecycle);
            return did ? [did] : [];
        }
        case "docker-in-kvm": {
            const guest = reviveGuest(host, t, h.name, lifecycle);
            const ip = guestIp(t.domain);
            // The guest's dockerd starts at boot; the container has no restart policy there either.
            if (!waitFor(host, () => host.attempt([...sshArgv(t, ip), "docker info >/dev/null"], 30).status === 0, 120)) {
                throw new UserError(
                    `environment ${h.name}: dockerd in guest ${t.domain} does not answer. Fix: start it there (systemctl start docker) and run isobench up again`,
                );
            }
            const container = reviveContainer(host, t.container, h.name, (args) => host.attempt([...sshArgv(t, ip), ["docker", ...args].map(q).join(" ")], 60));
            return [guest, container].filter((d): d is string => d !== undefined);
        }
    }
}

/** A layer of an environment that Pulumi made and that is gone. */
export type GoneLayer = "container" | "guest";

/**
 * Which layers of a provisioned environment no longer exist (removed outside isobench); [] when
 * all do. A stopped one is not gone: the runner starts it. In docker-in-kvm a gone guest takes its
 * container with it; the container inside a running guest is looked up there.
 * @throws UserError naming the daemon when docker or libvirt does not answer
 */
export function goneLayers(h: EnvironmentHandle, lifecycle: string, guestIp: (domain: string) => string): GoneLayer[] {
    const t = h.target;
    const host = transportOf(h);
    switch (t.kind) {
        case "native":
            return [];
        case "docker":
            return containerState(t.container, h.name, (args) => host.attempt(["docker", ...args], 60)) === "absent" ? ["container"] : [];
        case "kvm":
            return guestState(host, t, h.name, lifecycle) === "absent" ? ["guest"] : [];
        case "docker-in-kvm": {
            const state = guestState(host, t, h.name, lifecycle);
            if (state === "absent") return ["guest", "container"];
            if (state !== "running") return [];
            const ip = guestIp(t.domain);
            const inside = containerState(t.container, h.name, (args) => host.attempt([...sshArgv(t, ip), ["docker", ...args].map(q).join(" ")], 60));
            return inside === "absent" ? ["container"] : [];
        }
    }
}
