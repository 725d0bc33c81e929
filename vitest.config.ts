import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (minutes: pdflatex, SymPy closed forms, the attention fixtures in every
 * format, --verify) start first, so they run beside the many short files instead of alone at the end.
 * A fresh clone has no timing cache, and vitest's default order (by file size) put them last.
 */
const LONGEST = ['latex-compile', 'tensor-sympy', 'onnx-attention', 'verify', 'onnx-convert', 'onnx-backend', 'tensor-verify', 'web', 'tfjs-graph-real'];
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const name = f.moduleId.replace(/^.*\//, '').replace(/\.test\.ts$/, '');
      const i = LONGEST.indexOf(name);
      return i < 0 ? LONGEST.length : i;
    };
    return rest.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
  }
}

const WORKERS = Math.max(3, availableParallelism() - 1);

/**
 * minWorkers may not pass maxWorkers: `npx vitest run --maxWorkers=1 …` (or `--maxWorkers 1`) keeps that
 * many; a share ('50%') keeps one.
 */
function minWorkers(): number {
  const at = process.argv.findIndex((a) => /^--max-?[wW]orkers(=|$)/.test(a));
  if (at < 0) return WORKERS;
  const given = process.argv[at].includes('=') ? process.argv[at].split('=')[1] : process.argv[at + 1];
  return /^\d+$/.test(given ?? '') ? Math.min(WORKERS, Number(given)) : 1;
}

/**
 * Golden files are never written silently: vitest's default ('new') writes a missing snapshot and
 * passes. Here a missing golden fails unless the developer asked for an update (`npm run
 * test:update`, `vitest -u`, or UPDATE_SNAPSHOT=1), which vitest reports as mode 'all'.
 */
export default defineConfig({
  test: {
    // npm run mutate copies the repository, tests included, into .stryker-tmp/ while it runs.
    exclude: [...configDefaults.exclude, '.stryker-tmp/**'],
    // What every test file would probe (python3 with numpy and sympy), probed once.
    globalSetup: ['test/global-setup.ts'],
    // The tensor printers, which the emitter registry imports on demand, loaded in every test file.
    setupFiles: ['test/setup-emitters.ts'],
    // vitest's default runs cores − 1 files at once: one at a time on a 2-core machine, where a test
    // file mostly keeps one core busy (its node worker, or the runtime it waits for). Two there.
    // Three on a 2-core machine: the files spend much of their time waiting on python3, gcc, pdflatex
    // or chromium, and two files at once left a third of the CPU idle (user+sys 17 min in 12.4 min).
    maxWorkers: WORKERS,
    // As many kept as started: with fewer, tinypool ends a worker it finds idle, and with isolate: false
    // (below) that rejected a worker's next batch of files ("Terminating worker thread"; the run
    // ended without its summary, three times in three runs with minWorkers 1).
    minWorkers: minWorkers(),
    // A test that loads a library the first time (mathjs, TF.js) passes vitest's default 5 s on a
    // busy machine; the work itself is bounded by the limits tests state (hostile.test.ts).
    testTimeout: 30_000,
    // The same for hooks: closing chromium (test/browser.ts) waits up to 5 s for the browser, 5 s for
    // its process and 6 s for its profile folder; vitest's default 10 s failed emit-html once.
    hookTimeout: 30_000,
    sequence: { sequencer: LongestFirst },
    // A worker runs its test files one after another in one module graph (vitest's isolate: false):
    // the printers, TF.js, onnxruntime-web and the python3 servers (numpy and sympy imported) are
    // loaded once per worker, not once per file. A fresh process per file cost about 0.4 s of CPU
    // and a python3 start or two each, on 118 files. The files share no state they change: none
    // mocks, stubs or sets process.env; test/web-harness.ts puts its cwd back, and keras-mha-tfjs
    // the TF.js layer classes its bundle registers.
    isolate: false,
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
    {
      // The modules the tests write and import (emitted JS in test/helpers.ts's and --verify's
      // temporary folders, up to 30 MB) load through Node's own import, as a user's would. Vitest
      // inlines every .mjs outside node_modules (transformed and source-mapped by vite-node, before
      // any `external` is read), which made MobileNetV2's --verify 5x slower (48 s, not 10 s).
      name: 'nn2eq-emitted-modules-native',
      configureVitest({ vitest, project }) {
        const ours = /\/nn2eq-(?:test|verify)-[^/]+\//;
        for (const config of [vitest.config, project.config]) {
          const deps = config.server.deps;
          const inline = deps?.inline;
          if (!deps || !Array.isArray(inline)) continue;
          inline.forEach((p, i) => {
            if (p instanceof RegExp && p.source === '^(?!.*node_modules).*\\.mjs$') inline[i] = /^(?!.*(?:node_modules|\/nn2eq-(?:test|verify)-[^/]+\/)).*\.mjs$/;
          });
          deps.external = [...(deps.external ?? []), ours];
        }
      },
    },
  ],
});
