import { defineConfig, mergeConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import base from './vitest.config.js';

/**
 * The vitest configuration `npm run mutate` (scripts/mutate.mjs, stryker.config.mjs) runs under
 * StrykerJS: the project's own, with the test files limited to the ones the chosen scope names
 * (NN2EQ_MUTATE_TESTS, comma-separated, set by scripts/mutate.mjs). Stryker then runs, for each
 * mutant, only the tests that reached its code in the first run (per-test coverage).
 */
const tests = (process.env.NN2EQ_MUTATE_TESTS ?? '').split(',').filter(Boolean);
if (tests.length === 0) throw new Error('vitest.mutate.config.ts: NN2EQ_MUTATE_TESTS names no test file; run it through `npm run mutate`');

/**
 * Files in the order the scope lists them (its cheap files first): Stryker stops a mutant's run at
 * the first failing test, so a mutant a cheap file kills never starts the slow ones (the project's
 * sequencer starts the slowest first).
 */
class ListedOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = tests.findIndex((t) => f.moduleId.endsWith(t.replace(/^\.?\//, '')));
      return i < 0 ? tests.length : i;
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

// Stryker's instrumented code runs the property tests several times slower, on a shared machine: a
// test's own timeout (the project's 30 s) must not fail the first, unmutated run; Stryker times each
// mutant out itself (timeoutMS, timeoutFactor).
// Each file in a fresh process with one worker kept, as before the project's isolate: false: Stryker's
// runner sets its own worker count, which the project's minWorkers must not pass.
const config = mergeConfig(base, defineConfig({ test: { include: tests, testTimeout: 300_000, sequence: { sequencer: ListedOrder }, isolate: true, minWorkers: 1 } }));
// After the project's setup files: the modules src/ imports on demand, loaded outside every test, so
// the mutants of their top-level code are static ones, run against every test (test/mutate-setup.ts).
config.test!.setupFiles = [...[base.test?.setupFiles ?? []].flat(), 'test/mutate-setup.ts'];
// --js-only (NN2EQ_MUTATE_JS_ONLY, set by scripts/mutate.mjs): python3 counts as absent, so the tests
// that need it skip (test/mutate-global-setup.ts); replaces the project's probe, not merged with it.
if (process.env.NN2EQ_MUTATE_JS_ONLY === '1') config.test!.globalSetup = ['test/mutate-global-setup.ts'];
export default config;
