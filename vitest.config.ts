import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Golden files are never written silently: vitest's default ('new') writes a missing snapshot and
 * passes. Here a missing golden fails unless the developer asked for an update (`npm run
 * test:update`, `vitest -u`, or UPDATE_SNAPSHOT=1), which vitest reports as mode 'all'.
 */
export default defineConfig({
  test: {
    // What every test file would probe (python3 with numpy and sympy), probed once.
    globalSetup: ['test/global-setup.ts'],
    // vitest's default runs cores − 1 files at once: one at a time on a 2-core machine, where a test
    // file mostly keeps one core busy (its node worker, or the runtime it waits for). Two there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    minWorkers: 1,
    // A test that loads a library the first time (mathjs, TF.js) passes vitest's default 5 s on a
    // busy machine; the work itself is bounded by the limits tests state (hostile.test.ts).
    testTimeout: 30_000,
  },
  plugins: [
    {
      name: 'nn2eq-goldens-need-update',
      configureVitest({ vitest, project }) {
        for (const config of [vitest.config, project.config]) {
          if (config.snapshotOptions.updateSnapshot === 'new') config.snapshotOptions.updateSnapshot = 'none';
        }
      },
    },
  ],
});
