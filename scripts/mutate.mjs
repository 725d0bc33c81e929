// Mutation testing with StrykerJS, on demand (never in CI, never in `npm test`):
//
//   npm run mutate                          every scope below, one after another (hours on 2 cores)
//   npm run mutate -- number quantize       named scopes
//   npm run mutate -- src/emit/number.ts    one file (or a glob under src/), with the tests of every scope that holds it
//   npm run mutate -- number --tests test/number.test.ts   other test files (comma-separated)
//   npm run mutate -- quantize --concurrency 2             any other --option goes to `stryker run`
//   npm run mutate -- src/extract/tf/math.ts --js-only      python3 and gcc count as absent: their tests
//                                                           skip, each mutant runs the in-process checks only
//
// Stryker copies the repository into .stryker-tmp/, mutates the scope's files there and runs the
// scope's test files under vitest.mutate.config.ts; each mutant runs only the tests that executed
// its code (per-test coverage). The tests import src/ (vitest compiles the TypeScript), so no build
// runs per mutant; tests that go through dist/ (the built CLI, the npm package, the browser page)
// are not in any scope: a mutant of src/ cannot reach them. Runs under `nice`. The report:
// reports/mutation/<scope>.html and .json, and the per-file table Stryker prints at the end.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The tensor printers (src/emit/<language>/tensor.ts, and src/emit/tensor-common.ts, which they all
 * use), one scope per file: `printers-<language>` and `printers-common`; `printers` takes them all
 * (thousands of mutants, a day on 2 cores). Each with the test files that run that printer's text
 * through src/, the in-process checks first (JS, mathjs, KaTeX's parse tree), then the ones that need
 * python3 or gcc (skipped by --js-only), and test/golden.test.ts last: its byte-for-byte texts kill
 * any mutant that changes a character, but check no number, so the files before it get the first try.
 */
function printerScopes() {
  const GOLDEN = 'test/golden.test.ts';
  // --verify of the tensor form, MobileNetV2's 3 points through TF.js included (half a minute): late.
  const VERIFY = 'test/tensor-verify.test.ts';
  const tests = {
    numpy: ['test/tensor-numpy-conv.test.ts', 'test/tensor-numpy.test.ts', 'test/tensor-numpy-batch.test.ts', 'test/symbolic-tensor-python.test.ts', 'test/tensor-broadcast.test.ts', 'test/tensor-names.test.ts', VERIFY],
    js: ['test/tensor-js-blocks.test.ts', 'test/tensor-js-depthwise.test.ts', 'test/onnx-tensor-js.test.ts', 'test/tensor-js.test.ts', 'test/tensor-broadcast.test.ts', 'test/symbolic-tensor-js-c.test.ts', VERIFY],
    c: ['test/tensor-c-conv-blocks.test.ts', 'test/tensor-c.test.ts', 'test/emit-c.test.ts', 'test/symbolic-tensor-js-c.test.ts', 'test/tensor-broadcast.test.ts', 'test/tensor-names.test.ts'],
    julia: ['test/tensor-julia.test.ts', 'test/emit-julia.test.ts', 'test/symbolic-tensor-wl-mathjs-julia.test.ts', 'test/tensor-broadcast.test.ts'],
    latex: ['test/latex-eval.test.ts', 'test/tensor-latex.test.ts', 'test/tensor-names.test.ts'],
    mathjs: ['test/tensor-mathjs.test.ts', 'test/emit-mathjs.test.ts', 'test/tensor-broadcast.test.ts', 'test/symbolic-tensor-wl-mathjs-julia.test.ts'],
    mathematica: ['test/tensor-wolfram.test.ts', 'test/symbolic-tensor-wl-mathjs-julia.test.ts'],
    sympy: ['test/tensor-sympy.test.ts', 'test/emit-sympy.test.ts', 'test/symbolic-tensor-python.test.ts', 'test/tensor-broadcast.test.ts'],
  };
  const scopes = {};
  const all = new Set();
  for (const [language, files] of Object.entries(tests)) {
    scopes[`printers-${language}`] = { mutate: [`src/emit/${language}/tensor.ts`], tests: [...files, GOLDEN] };
    for (const f of files) all.add(f);
  }
  // The shared helpers reach every printer: the in-process checks of every language first.
  const inProcess = [...tests.js, ...tests.mathjs, ...tests.latex];
  const common = [...new Set([...inProcess, ...all])].filter((f) => f !== VERIFY);
  scopes['printers-common'] = { mutate: ['src/emit/tensor-common.ts'], tests: [...common, VERIFY, GOLDEN] };
  scopes.printers = { mutate: ['src/emit/*/tensor.ts', 'src/emit/tensor-common.ts'], tests: [...common, VERIFY, GOLDEN] };
  return scopes;
}

/** Each scope: the files Stryker mutates and the test files that exercise them (through src/). */
export const SCOPES = {
  number: { mutate: ['src/emit/number.ts'], tests: ['test/number-styles.test.ts', 'test/number-precision.test.ts', 'test/number.test.ts'] },
  quantize: { mutate: ['src/extract/onnx/quantize.ts'], tests: ['test/onnx-qdq-more.test.ts', 'test/onnx-qdq-js.test.ts', 'test/onnx-qdq-built.test.ts', 'test/onnx-qdq-golden.test.ts', 'test/onnx-qdq.test.ts', 'test/onnx-qdq-computed.test.ts'] },
  dtype: { mutate: ['src/tensor/dtype.ts'], tests: ['test/dtype-units.test.ts', 'test/onnx-typed.test.ts', 'test/onnx-where.test.ts', 'test/onnx-qdq.test.ts', 'test/dtype-float32.test.ts'] },
  onnx: {
    mutate: ['src/extract/onnx/*.ts'],
    tests: ['test/onnx-backend-src.mutate.ts', 'test/onnx.test.ts', 'test/onnx-convert.test.ts', 'test/onnx-oracle.test.ts', 'test/onnx-typed.test.ts', 'test/onnx-where.test.ts', 'test/onnx-qdq.test.ts', 'test/onnx-bind.test.ts', 'test/onnx-tensor-js.test.ts', 'test/onnx-attention.test.ts'],
  },
  // One ONNX extractor file each (the whole onnx scope takes hours): ONNX's conformance cases of its
  // ops through src/ (test/onnx-backend-src.mutate.ts, one test per case), then the hand-made fixtures.
  trig: { mutate: ['src/extract/onnx/trig.ts'], tests: ['test/trig-fold.test.ts', 'test/onnx-backend-src.mutate.ts'] },
  loss: { mutate: ['src/extract/onnx/loss.ts'], tests: ['test/onnx-backend-src.mutate.ts', 'test/onnx-static-ops.test.ts', 'test/onnx-loss-built.test.ts', 'test/onnx-loss-mutants.test.ts'] },
  // onnx-static-ops last: each of its tests converts and runs all 19 fixtures (ONNX Runtime included),
  // so a mutant any fixture reaches runs them all; most die in the cheap files first.
  gridsample: { mutate: ['src/extract/onnx/gridsample.ts'], tests: ['test/onnx-backend-src.mutate.ts', 'test/onnx-gridsample-mutants.test.ts', 'test/onnx-static-ops.test.ts'] },
  scatter: { mutate: ['src/extract/onnx/scatter.ts'], tests: ['test/onnx-backend-src.mutate.ts', 'test/onnx-backend-ops.mutate.ts', 'test/onnx-scatter-mutants.test.ts', 'test/onnx-static-ops.test.ts'] },
  reduce: { mutate: ['src/extract/onnx/reduce.ts'], tests: ['test/onnx-backend-src.mutate.ts', 'test/onnx-backend-ops.mutate.ts', 'test/onnx-reduce-mutants.test.ts', 'test/onnx-static-ops.test.ts'] },
  // The check that a symbolic leading axis is a batch (every ONNX model with one goes through it).
  batch: { mutate: ['src/extract/onnx/batch.ts'], tests: ['test/onnx-hunt.test.ts', 'test/onnx-batch-mutants.test.ts'] },
  // Not tfjs-graph-argmax.test.ts: it converts its model when the file loads (`const ready = setup()`),
  // outside any test, which makes every mutant that conversion reaches a static one, run against every
  // test of the scope (12 hours for index.ts alone). Test files of a scope do their work inside tests.
  tf: { mutate: ['src/extract/tf/*.ts'], tests: ['test/tfjs-graph-ops.test.ts', 'test/tf-extract-edges.test.ts', 'test/tf-extract-records.test.ts', 'test/tfjs-graph.test.ts'] },
  ...printerScopes(),
};

/** A glob of src/ paths as a RegExp (only * and ** are used). */
function globRe(glob) {
  const s = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '.*');
  return new RegExp(`^${s}$`);
}

function main(argv) {
  const picked = [];
  const passOn = [];
  let tests = null;
  let jsOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tests') tests = argv[++i].split(',').filter(Boolean);
    else if (a === '--js-only') jsOnly = true;
    else if (a.startsWith('--')) {
      passOn.push(a);
      if (i + 1 < argv.length && !argv[i + 1].startsWith('--') && !a.includes('=')) passOn.push(argv[++i]);
    } else picked.push(a);
  }
  const names = picked.length === 0 ? Object.keys(SCOPES) : picked;
  const mutate = [];
  const testSet = new Set();
  for (const name of names) {
    if (SCOPES[name]) {
      mutate.push(...SCOPES[name].mutate);
      for (const t of SCOPES[name].tests) testSet.add(t);
      continue;
    }
    const file = name.replace(/^\.\//, '');
    const holders = Object.values(SCOPES).filter((s) => s.mutate.some((g) => globRe(g).test(file) || g === file));
    if (!file.startsWith('src/')) {
      console.error(`npm run mutate: "${name}" is neither a scope (${Object.keys(SCOPES).join(', ')}) nor a file under src/; name one of those`);
      return 2;
    }
    if (holders.length === 0 && !tests) {
      console.error(`npm run mutate: ${file} is in no scope, so no test files are known for it; add --tests test/a.test.ts,test/b.test.ts`);
      return 2;
    }
    mutate.push(file);
    for (const s of holders) for (const t of s.tests) testSet.add(t);
  }
  const testFiles = tests ?? [...testSet];
  // One report per selection, so two selections may run side by side: reports/mutation/<name>.html and .json.
  const base = picked.length === 0 ? 'all' : picked.map((n) => n.replace(/^.*\//, '').replace(/\.ts$/, '').replace(/[^\w-]+/g, '_')).join('+');
  const report = `reports/mutation/${base}${tests ? `+${tests.map((t) => t.replace(/^.*\//, '').replace(/\.test\.ts$/, '')).join('+')}` : ''}${jsOnly ? '+js-only' : ''}`;
  console.error(`npm run mutate: mutating ${mutate.join(', ')}\n  with ${testFiles.join(', ')}`);
  // StrykerJS 10 runs here through its API in a child process (scripts/mutate-run.mjs): its CLI
  // refuses Node.js below 22 at startup, and the project runs on Node.js 20 (see the README).
  const r = spawnSync('nice', ['-n', '10', process.execPath, resolve(ROOT, 'scripts/mutate-run.mjs'), JSON.stringify({ mutate, htmlReporter: { fileName: `${report}.html` }, jsonReporter: { fileName: `${report}.json` }, ...options(passOn) })], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NN2EQ_MUTATE_TESTS: testFiles.join(','), ...(jsOnly ? { NN2EQ_MUTATE_JS_ONLY: '1', NN2EQ_CC: 'nn2eq-mutate-js-only-no-cc', CI: '' } : {}) },
  });
  if (r.error) {
    console.error(`npm run mutate: could not start nice (${r.error.message}); install coreutils`);
    return 2;
  }
  return r.status ?? 1;
}

/** `--name value` / `--name=value` / `--flag` as Stryker options (numbers and booleans parsed). */
function options(args) {
  const out = {};
  for (let i = 0; i < args.length; i++) {
    let [key, value] = args[i].slice(2).split(/=(.*)/s);
    if (value === undefined) value = i + 1 < args.length && !args[i + 1].startsWith('--') ? args[++i] : 'true';
    out[key] = value === 'true' ? true : value === 'false' ? false : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
