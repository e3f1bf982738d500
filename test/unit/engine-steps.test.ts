/** Pulumi's engine events as the provisioning steps of the progress line (experiment/engine-steps.ts). */
import * as assert from "node:assert/strict";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describeStep, engineError, stepEvent } from "../../experiment/engine-steps";

const urn = (type: string, name: string) => `urn:pulumi:quick::isobench::${type}::${name}`;
const COMMAND = "pulumi-nodejs:dynamic/isobench-command:Resource";

describe("engine steps", () => {
    it("names what each of the program's resources is for", () => {
        assert.equal(
            describeStep(urn(`isobench:environments:KvmGuest$${COMMAND}`, "kvm-tuned-domain"), "create"),
            "creating guest kvm-tuned (defining it, booting it, waiting for SSH)",
        );
        assert.equal(describeStep(urn(`isobench:environments:KvmGuest$${COMMAND}`, "kvm-tuned-domain"), "delete"), "deleting guest kvm-tuned");
        assert.equal(
            describeStep(urn(`isobench:environments:DockerEnvironment$${COMMAND}`, "docker-nat-container"), "create-replacement"),
            "creating container docker-nat",
        );
        assert.match(
            describeStep(urn(`isobench:environments:DockerInKvmEnvironment$${COMMAND}`, "dik-container"), "create")!,
            /^creating container dik in its guest \(loading the benchmark image into the guest/,
        );
        assert.equal(describeStep(urn(`isobench:environments:NativeEnvironment$${COMMAND}`, "native-data"), "create"), "creating the data folder of native");
        assert.equal(describeStep(urn(COMMAND, "probe-docker-nat"), "create"), "probing environment docker-nat");
        assert.equal(describeStep(urn(COMMAND, "probe-host"), "replace"), "probing the host");
        assert.equal(describeStep(urn(COMMAND, "cell-redis.native.r1"), "create"), "cell redis.native.r1: starting");
        assert.equal(describeStep(urn(COMMAND, "analysis"), "create"), "analysing the results (summary, plots, report)");
        assert.equal(describeStep(urn(COMMAND, "host-settings"), "delete"), "restoring the host settings");
    });

    it("no step for what makes nothing: unchanged resources, the stack, components, providers, deleted records", () => {
        assert.equal(describeStep(urn(COMMAND, "cell-redis.native.r1"), "same"), undefined);
        assert.equal(describeStep(urn("pulumi:pulumi:Stack", "isobench-quick"), "create"), undefined);
        assert.equal(describeStep(urn("isobench:environments:KvmGuest", "kvm-tuned"), "create"), undefined);
        assert.equal(describeStep(urn("pulumi:providers:pulumi-nodejs", "default"), "create"), undefined);
        assert.equal(describeStep(urn(COMMAND, "cell-redis.native.r1"), "delete"), undefined);
        assert.equal(describeStep(urn(COMMAND, "probe-host"), "delete"), undefined);
        assert.equal(describeStep(urn(COMMAND, "stack-password"), "create"), undefined);
    });

    it("turns resource events into step starts and ends, and error diagnostics into plain text", () => {
        const domain = urn(`isobench:environments:KvmGuest$${COMMAND}`, "kvm-domain");
        const meta = { op: "create" as const, urn: domain, type: COMMAND };
        assert.deepEqual(stepEvent({ sequence: 1, timestamp: 100, resourcePreEvent: { metadata: meta } } as EngineEvent), {
            kind: "step-start",
            at: 100_000,
            step: "creating guest kvm (defining it, booting it, waiting for SSH)",
            id: domain,
        });
        assert.equal(stepEvent({ sequence: 1, timestamp: 100, resourcePreEvent: { metadata: meta, planning: true } } as EngineEvent), undefined);
        assert.deepEqual(stepEvent({ sequence: 2, timestamp: 150, resOutputsEvent: { metadata: meta } } as EngineEvent), {
            kind: "step-end",
            at: 150_000,
            id: domain,
        });
        assert.deepEqual(stepEvent({ sequence: 3, timestamp: 160, resOpFailedEvent: { metadata: meta, status: 1, steps: 1 } } as EngineEvent), {
            kind: "step-end",
            at: 160_000,
            id: domain,
            failed: true,
        });
        assert.equal(
            engineError({
                sequence: 4,
                timestamp: 1,
                diagnosticEvent: { urn: domain, message: "<{%reset%}>guest did not boot<{%reset%}>\n", color: "raw", severity: "error" },
            } as EngineEvent),
            "kvm-domain: guest did not boot",
        );
        assert.equal(
            engineError({ sequence: 5, timestamp: 1, diagnosticEvent: { message: "fine", color: "raw", severity: "info" } } as EngineEvent),
            undefined,
        );
    });
});
