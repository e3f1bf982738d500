/**
 * `isobench setup-target <stack>`: prepares a stack's remote target with the scripts that set up
 * this machine. The committed tree goes to the same path there (git archive through the
 * transport), scripts/setup.sh --target runs there step by step (packages, daemons, the bind
 * shim, the images built there), and the tools' versions there are compared with this machine's
 * records. Every step is idempotent: a second run skips what is done and says so.
 */
import { spawn } from "child_process";
import * as path from "path";
import { HostError } from "../core/errors";
import { Completed, attempt, combinedOutput, mustRun } from "../environments/process";
import { Transport, thisMachine } from "../environments/transport";
import { formatDuration } from "./progress-model";
import { ControllerTree, SetupStep, parseTargetFacts, planSetupTarget, targetProbeScript } from "./setup-target-plan";
import { VersionCheck, compareToolVersions, parseToolVersions } from "./tool-versions";

/** The checkout at `root` as setup-target would send it. */
export function controllerTree(root: string): ControllerTree {
    const git = (...args: string[]) => mustRun(["git", "-C", root, ...args], 60, `git ${args[0]} in ${root}`);
    return {
        root,
        commit: git("rev-parse", "HEAD").trim(),
        dirty: git("status", "--porcelain", "--untracked-files=no")
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map((l) => l.slice(3)),
    };
}

/**
 * The files commit `sent` (what the target holds) had and the tree's commit does not; none when
 * nothing or the same commit was sent, or when this checkout does not know that commit (said).
 */
export function removedSince(tree: ControllerTree, sent: string, log: (line: string) => void): string[] {
    if (sent === "" || sent === tree.commit) return [];
    const diff = attempt(["git", "-C", tree.root, "diff", "--name-only", "--diff-filter=D", "-z", sent, tree.commit], 60);
    if (diff.status !== 0) {
        log(`the target holds commit ${sent.slice(0, 12)}, which this checkout does not know: files it removed since stay there`);
        return [];
    }
    return diff.stdout.split("\0").filter((f) => f !== "");
}

/**
 * Streams `tree`'s commit as a tar archive into the tree step's command on the target. Its own
 * function so that a test can send into another folder than the checkout's path.
 */
export async function sendTree(t: Transport, tree: ControllerTree, step: SetupStep, onLine: (l: string) => void): Promise<Completed> {
    const git = spawn("git", ["-C", tree.root, "archive", "--format=tar", tree.commit], { stdio: ["ignore", "pipe", "pipe"] });
    let gitErr = "";
    git.stderr.on("data", (d: Buffer) => (gitErr += d.toString()));
    const gitExit = new Promise<number>((resolve) => git.on("close", (code) => resolve(code ?? -1)));
    const sent = await t.stream(step.argv, step.timeoutS, onLine, git.stdout);
    // A target that stopped reading (tar failed, the connection dropped) leaves git blocked on a full pipe.
    if ((sent.error || sent.status !== 0) && git.exitCode === null) git.kill();
    const code = await gitExit;
    if (code !== 0)
        return { ...sent, status: sent.status === 0 ? -1 : sent.status, error: `git archive ${tree.commit} failed (exit ${code}): ${gitErr.trim()}` };
    return sent;
}

/**
 * Sets the target up and compares its tools with this machine's records.
 * @throws HostError (before anything changes there) when the target or this checkout must not be used, and naming the step when one fails
 */
export async function setupTarget(t: Transport, tree: ControllerTree, stack: string, log: (line: string) => void): Promise<VersionCheck> {
    const started = Date.now();
    const elapsed = () => formatDuration((Date.now() - started) / 1000);
    const facts = parseTargetFacts(t.mustRun(["/bin/sh", "-c", targetProbeScript(tree.root)], 60, `reading what ${t.label} runs`));
    log(`${t.label}: ${facts.osName}; setting it up at ${tree.root} from commit ${tree.commit.slice(0, 12)}`);
    const steps = planSetupTarget(tree, facts, t.label, stack, removedSince(tree, facts.sentCommit, log));
    let check: VersionCheck | undefined;
    for (const [i, step] of steps.entries()) {
        const head = `step ${i + 1}/${steps.length} ${step.name}`;
        if (step.skip) {
            log(`${head}: skipped: ${step.skip}`);
            continue;
        }
        log(`${head}: ${step.what}… (elapsed ${elapsed()})`);
        const t0 = Date.now();
        if (step.name === "versions") {
            check = compareVersions(t, tree, step);
        } else {
            const indent = (l: string) => log(`    ${l}`);
            const c = step.name === "tree" ? await sendTree(t, tree, step, indent) : await t.stream(step.argv, step.timeoutS, indent);
            if (c.error || c.status !== 0) {
                throw new HostError(
                    `setup-target: step ${step.name} failed on ${t.label} (${c.error ?? `exit ${c.status}`})${c.error ? "" : `: ${combinedOutput(c).split("\n").slice(-3).join(" | ")}`}. Fix: read its output above and fix the cause there, then run isobench setup-target ${stack} again (it skips what is done)`,
                );
            }
        }
        log(`${head}: done in ${formatDuration((Date.now() - t0) / 1000)} (elapsed ${elapsed()})`);
    }
    return check!;
}

/** The versions step: the same script on the target and here, compared. */
function compareVersions(t: Transport, tree: ControllerTree, step: SetupStep): VersionCheck {
    const theirs = parseToolVersions(t.mustRun(step.argv, step.timeoutS, `listing the tools' versions on ${t.label}`));
    const here = thisMachine();
    const mine = parseToolVersions(
        here.mustRun(["bash", path.join(tree.root, "images", "tool-versions.sh")], step.timeoutS, "listing the tools' versions here"),
    );
    return compareToolVersions(mine, theirs, t.label);
}

/** The closing lines of a run: what matched, what differs (each named) and the fix. */
export function versionLines(check: VersionCheck, stack: string): string[] {
    const lines = check.notCompared.map((n) => `versions: not compared: ${n}`);
    if (check.mismatches.length === 0) {
        lines.push(`versions: ${check.compared} tool versions and the image records match the controller's records`);
        return lines;
    }
    lines.push(`versions: ${check.mismatches.length} differ from the controller's records:`, ...check.mismatches.map((m) => `  ${m}`));
    lines.push(
        `Fix: bring the machine that is behind up to date (apt-get update && apt-get upgrade there, then images/build-all.sh --force), then run isobench setup-target ${stack} again; images built for another Debian suite need ISOBENCH_SUITE set alike on both`,
    );
    return lines;
}
