import type { TestProject } from 'vitest/node';

/**
 * `npm run mutate -- … --js-only` (vitest.mutate.config.ts): the tests that run emitted code in
 * python3 skip, as on a machine without it (test/helpers.ts `python.skip`), so each mutant runs only
 * the in-process checks (the JS forms against TF.js, onnxruntime-web or stored outputs). gcc is
 * switched off the same way by NN2EQ_CC (scripts/mutate.mjs). An extractor mutant changes the tensor
 * program every form prints, so the JS checks see it; what only a python3 or C test would kill
 * counts as a survivor, which lowers the score rather than raising it.
 */
export default function setup(project: TestProject): void {
  project.provide('python', { exe: '', skip: 'npm run mutate --js-only: python3 tests are left out of this mutation run' });
}
