/**
 * Every workload's parameter schema (the stack-time check of `params`) accepts the workload's own
 * defaults, and the list patterns the schemas share accept and refuse what listOf/intList do.
 */
import * as assert from "node:assert/strict";
import Ajv from "ajv";
import { getWorkload, WORKLOAD_NAMES } from "../../workloads";
import { distinctListPattern, intListParam, listParam } from "../../workloads/params";

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });

describe("workload parameter schemas", () => {
    for (const name of WORKLOAD_NAMES) {
        it(`${name}: its defaults pass its schema, and every default has a schema`, () => {
            const w = getWorkload(name);
            const v = ajv.compile({ type: "object", additionalProperties: false, properties: w.paramSchema });
            assert.ok(v(w.defaults), `${name}: ${JSON.stringify(v.errors)}`);
            for (const k of Object.keys(w.defaults)) assert.ok(k in w.paramSchema, `${name}.${k} has a schema`);
        });
    }

    it("a distinct list refuses a repeated item, wherever it is", () => {
        const re = new RegExp(distinctListPattern("[a-z]+"));
        for (const ok of ["a", "a,b", "ab,b", "b,ab", "a,b,c"]) assert.ok(re.test(ok), ok);
        for (const bad of ["a,a", "a,b,a", "b,a,c,a", "a,", ",a", "", "a;b", "a,b\n", "a, b"]) assert.ok(!re.test(bad), JSON.stringify(bad));
    });

    it("listParam and intListParam take what the command builders take", () => {
        const list = ajv.compile(listParam(["read", "write"]));
        assert.ok(list("read,write"));
        assert.ok(!list("read,read"));
        assert.ok(!list("read,$(reboot)"));
        const ints = ajv.compile(intListParam(4));
        for (const ok of [1, 9999, "1,10,50", "7"]) assert.ok(ints(ok), String(ok));
        for (const bad of [0, 10000, 1.5, "0", "01", "1,1", "1,10000", "1;2", true]) assert.ok(!ints(bad), String(bad));
    });
});
