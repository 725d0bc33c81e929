import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The vitest configuration `npm run mutate` (scripts/mutate.mjs, stryker.config.mjs) runs under
 * StrykerJS: the project's own, with the test files limited to the ones the chosen scope names
 * (NN2EQ_MUTATE_TESTS, comma-separated, set by scripts/mutate.mjs). Stryker then runs, for each
 * mutant, only the tests that reached its code in the first run (per-test coverage).
 */
const tests = (process.env.NN2EQ_MUTATE_TESTS ?? '').split(',').filter(Boolean);
if (tests.length === 0) throw new Error('vitest.mutate.config.ts: NN2EQ_MUTATE_TESTS names no test file; run it through `npm run mutate`');

export default mergeConfig(base, defineConfig({ test: { include: tests } }));
