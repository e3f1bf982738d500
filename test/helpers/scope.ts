/**
 * How much of the matrix a test run covers. `npm test` proves each real path once (every workload
 * natively and in a container, each environment kind and knob family provisioned and probed, one
 * guest where a path needs one) and stays within minutes on 2 cores; `npm run test:smoke` sets
 * ISOBENCH_TEST_SCOPE=smoke and adds every workload in a guest, docker-in-kvm and the study stacks:
 * the check before publishing results. Nothing is run only by neither.
 */
export const FULL_MATRIX = process.env.ISOBENCH_TEST_SCOPE === "smoke";
