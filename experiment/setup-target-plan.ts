/**
 * What `isobench setup-target <stack>` does on a remote target, decided from what one probe of
 * the target and `git` of this checkout say: refusals with their fix before anything changes
 * there, then the steps, each to run or skipped with the reason. Pure; experiment/setup-target.ts
 * runs it.
 */
import { HostError } from "../core/errors";
import { shellQuote } from "../core/shell";

/** This checkout as setup-target sends it: the committed tree only. */
export interface ControllerTree {
    /** The checkout's path, which is also where the tree goes on the target. */
    readonly root: string;
    readonly commit: string;
    /** Tracked files with uncommitted changes (git status --porcelain), which would not be sent. */
    readonly dirty: readonly string[];
}

/** What the target said of itself (targetProbeScript). */
export interface TargetFacts {
    readonly uid: number;
    readonly osId: string;
    readonly osLike: string;
    readonly osName: string;
    /** Commands setup-target needs before setup.sh can install anything. */
    readonly missingCommands: readonly string[];
    /** The checkout's path on the target is a git checkout (setup-target never overwrites one)… */
    readonly gitCheckout: boolean;
    /** …at this commit ("" when git could not say)… */
    readonly gitHead: string;
    /** …with uncommitted changes to tracked files. */
    readonly gitDirty: boolean;
    /** The commit setup-target sent there before (TREE_MARKER), "" when none. */
    readonly sentCommit: string;
}

/** Written into a tree setup-target sent (never into a git checkout): the commit it holds. */
export const TREE_MARKER = ".isobench-tree";

/** Commands the target needs before setup.sh runs: the tree arrives as a tar stream, and setup is bash. */
const NEEDED = ["bash", "tar", "apt-get", "dpkg-query"];

/** A script that prints the target's facts as key=value lines (parseTargetFacts reads them). */
export function targetProbeScript(root: string): string {
    const r = shellQuote(root);
    return [
        'echo "uid=$(id -u)"',
        "if [ -r /etc/os-release ]; then . /etc/os-release; fi",
        'echo "os_id=${ID:-}"; echo "os_like=${ID_LIKE:-}"; echo "os_name=${PRETTY_NAME:-unknown}"',
        `for c in ${NEEDED.join(" ")}; do command -v "$c" >/dev/null 2>&1 || echo "missing=$c"; done`,
        `if [ -e ${r}/.git ]; then echo git_checkout=1`,
        // root reads another owner's checkout too: safe.directory is git's guard for other users.
        `  echo "git_head=$(git -c safe.directory='*' -C ${r} rev-parse HEAD 2>/dev/null)"`,
        `  [ -z "$(git -c safe.directory='*' -C ${r} status --porcelain --untracked-files=no 2>/dev/null)" ] || echo git_dirty=1`,
        "fi",
        `echo "sent_commit=$(cat ${r}/${TREE_MARKER} 2>/dev/null)"`,
    ].join("\n");
}

/** Reads targetProbeScript's output. @throws Error when it has no uid line (the script did not run) */
export function parseTargetFacts(out: string): TargetFacts {
    const kv = new Map<string, string>();
    const missing: string[] = [];
    for (const line of out.split("\n")) {
        const m = /^([a-z_]+)=(.*)$/.exec(line);
        if (!m) continue;
        if (m[1] === "missing") missing.push(m[2]);
        else kv.set(m[1], m[2].trim());
    }
    const uid = kv.get("uid");
    if (uid === undefined || !/^\d+$/.test(uid)) throw new Error(`cannot read the target's facts (no uid line) from: ${JSON.stringify(out.slice(0, 300))}`);
    return {
        uid: Number(uid),
        osId: kv.get("os_id") ?? "",
        osLike: kv.get("os_like") ?? "",
        osName: kv.get("os_name") ?? "unknown",
        missingCommands: missing,
        gitCheckout: kv.get("git_checkout") === "1",
        gitHead: kv.get("git_head") ?? "",
        gitDirty: kv.get("git_dirty") === "1",
        sentCommit: kv.get("sent_commit") ?? "",
    };
}

/** The steps of setup.sh --target, in its order; each is one `setup.sh --target --only <step>`. */
export const SETUP_STEPS = ["packages", "daemons", "shim", "images"] as const;

export interface SetupStep {
    readonly name: "tree" | (typeof SETUP_STEPS)[number] | "versions";
    /** What the step does, for its progress lines. */
    readonly what: string;
    /** Why it is skipped; undefined when it runs. */
    readonly skip?: string;
    /** What runs on the target (the tree step pipes `git archive` into it). */
    readonly argv: readonly string[];
    /** Longest the step may take, in seconds. */
    readonly timeoutS: number;
}

const WHAT: Readonly<Record<(typeof SETUP_STEPS)[number], string>> = {
    packages: "Debian packages (docker.io, qemu, libvirt, debootstrap, the benchmark tools of images/packages.txt)",
    daemons: "daemons (dockerd, virtlogd, libvirtd, libvirt's default network)",
    shim: "the bind shim of native servers (.tools/lib/isobench-bind-addr.so)",
    images: "the container and guest images, built there by images/build-all.sh",
};

/** Package installs and image builds take minutes; on a slow mirror, many. */
const TIMEOUT_S: Readonly<Record<(typeof SETUP_STEPS)[number], number>> = { packages: 3600, daemons: 600, shim: 300, images: 7200 };

const short = (commit: string) => commit.slice(0, 12);

/**
 * The steps that set `label` up from `tree`, or the reason it must not be touched. `removed`: the
 * files the commit sent there before (facts.sentCommit) had and this one does not.
 * @throws HostError naming what is wrong and the fix, before anything on the target changes
 */
export function planSetupTarget(tree: ControllerTree, facts: TargetFacts, label: string, stack: string, removed: readonly string[] = []): SetupStep[] {
    const again = `then run isobench setup-target ${stack} again`;
    if (tree.dirty.length > 0) {
        const shown = tree.dirty.slice(0, 5).join(", ") + (tree.dirty.length > 5 ? `, … (${tree.dirty.length} files)` : "");
        throw new HostError(
            `this checkout has uncommitted changes (${shown}); setup-target sends the committed tree (${short(tree.commit)}), so the target would run other scripts than this checkout. Fix: commit them (or git stash them), ${again}`,
        );
    }
    if (facts.uid !== 0)
        throw new HostError(
            `${label} logs in as uid ${facts.uid}; setting it up installs packages and starts daemons as root. Fix: make isobench:target's url ssh://root@…, ${again}`,
        );
    const like = `${facts.osId} ${facts.osLike}`.split(/\s+/);
    if (!like.includes("debian") && !like.includes("ubuntu"))
        throw new HostError(`${label} runs ${facts.osName}; setup-target sets up Debian and Ubuntu (apt, debootstrap). Fix: use a Debian 12 or Ubuntu target`);
    if (facts.missingCommands.length > 0)
        throw new HostError(`${label} lacks ${facts.missingCommands.join(", ")}. Fix: apt-get install ${facts.missingCommands.join(" ")} there, ${again}`);
    const r = tree.root;
    if (facts.gitCheckout && (facts.gitHead !== tree.commit || facts.gitDirty)) {
        const state = facts.gitDirty ? "has uncommitted changes" : `is at ${facts.gitHead ? short(facts.gitHead) : "a commit git could not name"}`;
        throw new HostError(
            `${label}:${r} is a git checkout that ${state}, not this checkout's ${short(tree.commit)}; setup-target does not overwrite a checkout. Fix: there, commit or stash the changes and git -C ${r} checkout ${tree.commit} (or move the folder aside), ${again}`,
        );
    }
    const treeStep: SetupStep = {
        name: "tree",
        what: `this checkout's commit ${short(tree.commit)} (git archive) to ${label}:${r}${removed.length ? `, removing ${removed.length} file(s) ${short(facts.sentCommit)} had` : ""}`,
        // The files the commit sent before had and this one removed go too, so no stale script stays behind.
        argv: [
            "/bin/sh",
            "-c",
            'root=$1 commit=$2 marker=$3; shift 3; mkdir -p "$root" && tar -x --no-same-owner -C "$root" && (cd "$root" && rm -f -- "$@") && printf "%s\\n" "$commit" > "$root/$marker"',
            "sh",
            r,
            tree.commit,
            TREE_MARKER,
            ...removed,
        ],
        timeoutS: 600,
        ...(facts.gitCheckout
            ? { skip: `${r} there is a git checkout of ${short(tree.commit)} already` }
            : facts.sentCommit === tree.commit
              ? { skip: `${r} there holds ${short(tree.commit)} already (${TREE_MARKER})` }
              : {}),
    };
    return [
        treeStep,
        ...SETUP_STEPS.map((s) => ({ name: s, what: WHAT[s], argv: ["bash", `${r}/scripts/setup.sh`, "--target", "--only", s], timeoutS: TIMEOUT_S[s] })),
        { name: "versions", what: "the tools' versions there against the controller's records", argv: ["bash", `${r}/images/tool-versions.sh`], timeoutS: 300 },
    ];
}
