/**
 * The benchmark tools' versions on a machine and in its images (images/tool-versions.sh's output),
 * and whether a target's match the controller's records: results of two machines compare the
 * same binaries only when they do, and `isobench up` looks on the target for the images the
 * controller recorded. Pure.
 */

/** Where a tool runs: natively, in the container image, in the guest image, in the docker-in-kvm guest image. */
export const PLACES = ["host", "container", "guest", "guest-docker"] as const;
export type Place = (typeof PLACES)[number];

export interface ToolVersions {
    /** The machine's image records (.state/images/<record>): image name or folder. */
    readonly images: ReadonlyMap<string, string>;
    /** Package → version, per place that could be read. */
    readonly versions: ReadonlyMap<Place, ReadonlyMap<string, string>>;
    /** Places that could not be read, and why. */
    readonly missing: ReadonlyMap<Place, string>;
}

const PLACE_NAMES: Readonly<Record<Place, string>> = {
    host: "natively",
    container: "in the container image",
    guest: "in the guest image",
    "guest-docker": "in the docker-in-kvm guest image",
};

const isPlace = (s: string): s is Place => (PLACES as readonly string[]).includes(s);

/** Reads images/tool-versions.sh's output. @throws Error naming a line that is not one of its forms */
export function parseToolVersions(out: string): ToolVersions {
    const images = new Map<string, string>();
    const versions = new Map<Place, Map<string, string>>();
    const missing = new Map<Place, string>();
    for (const line of out.split("\n")) {
        if (line.trim() === "") continue;
        const [kind, key, value, ...rest] = line.split("\t");
        if (value === undefined || rest.length > 0)
            throw new Error(`images/tool-versions.sh printed a line that is not kind<TAB>key<TAB>value: ${JSON.stringify(line)}`);
        if (kind === "image") images.set(key, value);
        else if (kind === "missing" && isPlace(key)) missing.set(key, value);
        else if (isPlace(kind)) {
            if (!versions.has(kind)) versions.set(kind, new Map());
            versions.get(kind)!.set(key, value);
        } else throw new Error(`images/tool-versions.sh printed an unknown kind ${JSON.stringify(kind)} in ${JSON.stringify(line)}`);
    }
    return { images, versions, missing };
}

export interface VersionCheck {
    /** One sentence per difference, naming the tool or image, the place and both values. */
    readonly mismatches: readonly string[];
    /** What could not be compared, and why (a place or record one side lacks). */
    readonly notCompared: readonly string[];
    /** How many tool versions were compared. */
    readonly compared: number;
}

/**
 * The target's tools and image records against the controller's. An image record differs when
 * the two builds hashed differently (packages.txt, the build scripts, the Debian suite): `up`
 * looks for the controller's on the target and would not find it. A tool differs when a place
 * both machines have holds another version, or the target lacks it.
 */
export function compareToolVersions(controller: ToolVersions, target: ToolVersions, targetLabel: string): VersionCheck {
    const mismatches: string[] = [];
    const notCompared: string[] = [];
    for (const [record, mine] of controller.images) {
        if (record === "guest-image-bootloader") continue; // derived from guest-image's packages: its record says nothing more
        const theirs = target.images.get(record);
        if (theirs === undefined) mismatches.push(`${record}: the controller records ${mine}, ${targetLabel} has none`);
        else if (theirs !== mine)
            mismatches.push(
                `${record}: ${targetLabel} built ${theirs}, the controller records ${mine} (the name hashes packages.txt, the build scripts and the Debian suite; isobench up looks for the controller's)`,
            );
    }
    let compared = 0;
    for (const place of PLACES) {
        const mine = controller.versions.get(place);
        const theirs = target.versions.get(place);
        if (!mine || !theirs) {
            const why = !mine
                ? `the controller has no record (${controller.missing.get(place) ?? "none of the tools listed"})`
                : `${targetLabel} has none (${target.missing.get(place) ?? "none of the tools listed"})`;
            notCompared.push(`tools ${PLACE_NAMES[place]}: ${why}`);
            continue;
        }
        for (const [pkg, want] of [...mine].sort(([a], [b]) => a.localeCompare(b))) {
            const got = theirs.get(pkg);
            compared++;
            if (got === undefined) mismatches.push(`${pkg} ${PLACE_NAMES[place]}: not installed on ${targetLabel}, the controller records ${want}`);
            else if (got !== want) mismatches.push(`${pkg} ${PLACE_NAMES[place]}: ${got} on ${targetLabel}, the controller records ${want}`);
        }
    }
    return { mismatches, notCompared, compared };
}
