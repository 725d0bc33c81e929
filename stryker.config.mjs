// StrykerJS mutation testing, on demand only (never in CI, never in `npm test`). Run it through
// `npm run mutate -- <scope|file> …` (scripts/mutate.mjs), which picks the files to mutate and the
// test files that exercise them; see "Mutation testing" in the README.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // related: false — the tensor printers are imported on demand (loadTensorEmitters), which vitest's
  // related-file search does not follow; the scope's test files are listed instead.
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  // Per test: each mutant runs only the tests that executed its code in the dry run.
  coverageAnalysis: 'perTest',
  // Two cores shared with everything else: one test runner by default (--concurrency 2 to go faster).
  concurrency: 1,
  // The sandbox links the project's node_modules (a symlink itself in a git worktree).
  symlinkNodeModules: true,
  tempDirName: '.stryker-tmp',
  // Off: Stryker's default writes `// @ts-nocheck` at the top of every .js/.ts/.mjs under test/ in the
  // sandbox, golden files included, so each JS golden (test/golden/**/*.mjs) mismatched in the dry
  // run (dtype-float32's conv2d_same_strided.mjs). vitest compiles without type checks anyway.
  disableTypeChecks: false,
  // dist/ is copied: tests that run the built CLI (bin/nn2eq.js) or import dist/ need it in the sandbox
  // (without it they fail the dry run, exit 1 for a missing module); they run the unmutated build, so
  // they cannot kill a mutant of src/, and a stale dist/ (`npm run build` first) only fails them.
  ignorePatterns: ['/.stryker-tmp*', '/reports', '/.scratch', '/.vitest-tmp', '/.test-output', '/fuzz-failures', '/web', '/docs'],
  // survivors: scripts/stryker-survivors.mjs, each survivor written as soon as it is found.
  plugins: ['@stryker-mutator/vitest-runner', './scripts/stryker-survivors.mjs'],
  reporters: ['clear-text', 'progress', 'html', 'json', 'survivors'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // Tests that start python3, gcc or onnxruntime are slow; a mutant that loops forever still ends.
  timeoutMS: 60_000,
  timeoutFactor: 2,
  thresholds: { high: 90, low: 80, break: null },
};
