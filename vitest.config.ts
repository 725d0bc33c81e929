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
