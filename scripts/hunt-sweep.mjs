// The wrong-number hunt (issue 29): converts every model scripts/hunt-fixtures.py wrote with the
// CLI (dist/cli.js main(), the function bin/nn2eq.js calls, run in this process with its output
// captured), runs the output in its own runtime (NumPy on a stacked batch axis, JS by import, C by
// gcc) and compares with PyTorch's predictions at the tolerance of test/onnx-convert.test.ts
// (atol 1e-5 + rtol 1e-4). Each (model, form) is: pass, refused (exit 2, a one-line typed error),
// crash (exit 70, or the emitted code fails in its runtime), WRONG (runs, gives another number), or
// skip (the scalar form is over its size limit). Forms: numpy-tensor, js-tensor, js-wasm (the JS
// tensor form with --wasm, float64), c-tensor, js-scalar, numpy-scalar; and, when asked with --forms,
// js-wasm32 (--wasm --dtype float32, at the float32 tolerance atol 1e-4 + rtol 1e-3).
//
//   npm run build && nice node scripts/hunt-sweep.mjs [--models DIR] [--out DIR] [--only REGEX] [--forms a,b]
// Defaults: --models /tmp/hunt/models, --out /tmp/hunt/run. Writes OUT/results.json and prints
// counts per form, then every crash and wrong number.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../dist/cli.js';
import { C_FLAGS, cInput, cMain, cOutputCount, parseCNumbers } from '../dist/verify/extra-runtimes.js';
import { FLOAT32_TOLERANCE } from '../dist/verify/index.js';
import { openOnnxRuntime } from '../dist/verify/onnx-oracle.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const MODELS = resolve(opt('--models', '/tmp/hunt/models'));
const OUT = resolve(opt('--out', '/tmp/hunt/run'));
const ONLY = new RegExp(opt('--only', '.'));
const FORMS = opt('--forms', 'numpy-tensor,js-tensor,js-wasm,c-tensor,js-scalar,numpy-scalar').split(',');
const PYTHON = process.env.NN2EQ_PYTHON || '/usr/bin/python3';
const ATOL = 1e-5;
const RTOL = 1e-4;
const SCALAR_MAX = 400_000;
// The float32 tolerance of --verify, for the js-wasm32 form.
const [F32_ATOL, F32_RTOL] = FLOAT32_TOLERANCE;

const flat = (v) => (Array.isArray(v) ? v.flatMap(flat) : [typeof v === 'boolean' ? Number(v) : v]);

function mismatch(got, want, atol = ATOL, rtol = RTOL) {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(g) || !Number.isFinite(w)) {
      if (g === w && !Number.isNaN(g)) continue;
      return `value ${i}: got ${g}, want ${w} (not finite)`;
    }
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) return `value ${i}: got ${g}, want ${w}`;
  }
  return null;
}

function exec(exe, argv, stdin, cwd) {
  return new Promise((res, rej) => {
    const child = execFile(exe, argv, { encoding: 'utf8', maxBuffer: 1 << 28, cwd, timeout: 120_000 }, (err, out, errText) =>
      err ? rej(new Error((errText || err.message).trim())) : res(out),
    );
    child.stdin.end(stdin);
  });
}

/** The CLI run in this process: exit code, stdout, stderr. */
async function cli(argv) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stdinIsTTY: true };
  let code;
  try {
    code = await main(argv, io);
  } catch (e) {
    code = 70;
    stderr += `internal error: ${e?.stack ?? e}`;
  }
  return { code, stdout, stderr };
}

const NUMPY_DRIVER = `
import importlib.util, json, sys, traceback
import numpy as np
DT = {'float32': np.float64, 'float64': np.float64, 'int64': np.int64, 'int32': np.int32, 'bool': np.bool_}
def flat(o):
    a = np.asarray(o)
    return [None if not np.isfinite(v) else float(v) for v in a.astype(np.float64).reshape(-1)] if a.dtype != object else None
jobs = json.load(sys.stdin)
answers = []
for file, cases, dtypes in jobs:
    try:
        spec = importlib.util.spec_from_file_location("emitted", file)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        batch = [np.array([c[k] for c in cases], dtype=DT[dtypes[k]]) for k in range(len(dtypes))]
        out = mod.predict(*batch)
        outs = out if isinstance(out, (list, tuple)) else [out]
        rows = []
        for i in range(len(cases)):
            row = []
            for o in outs:
                row += flat(np.asarray(o)[i])
            rows.append(row)
        answers.append(rows)
    except BaseException as e:
        answers.append({"error": (type(e).__name__ + ": " + str(e)).splitlines()[0][:300] if str(e) else type(e).__name__})
print(json.dumps(answers))
`;

async function runNumpyBatch(jobs) {
  if (jobs.length === 0) return [];
  const driver = join(OUT, 'numpy_driver.py');
  writeFileSync(driver, NUMPY_DRIVER);
  const answers = [];
  // A few dozen modules a process: one that hangs or dies takes only its chunk down.
  for (let i = 0; i < jobs.length; i += 40) {
    const chunk = jobs.slice(i, i + 40);
    try {
      const out = await exec('nice', [PYTHON, driver], JSON.stringify(chunk.map((j) => [j.file, j.cases, j.dtypes])));
      answers.push(...JSON.parse(out));
    } catch (e) {
      // Retry one by one, so one bad module does not hide the others.
      for (const j of chunk) {
        try {
          answers.push(...JSON.parse(await exec('nice', [PYTHON, driver], JSON.stringify([[j.file, j.cases, j.dtypes]]))));
        } catch (e2) {
          answers.push({ error: `python died: ${String(e2.message).split('\n').slice(-1)[0]}` });
        }
      }
    }
  }
  return answers;
}

async function runC(dir, text, cases) {
  writeFileSync(join(dir, 'model.c'), text);
  writeFileSync(join(dir, 'main.c'), cMain(text));
  await exec('nice', ['gcc', ...C_FLAGS, 'model.c', 'main.c', '-lm', '-o', 'predict'], '', dir);
  const m = cOutputCount(text);
  const rows = cases.map((c) => flat(c));
  return parseCNumbers(await exec(join(dir, 'predict'), [String(rows[0].length), String(m)], cInput(rows)), m);
}

async function pool(jobs, limit) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

const models = readdirSync(MODELS).filter((n) => ONLY.test(n) && existsSync(join(MODELS, n, 'model.onnx'))).sort();
mkdirSync(OUT, { recursive: true });
const results = {};
const numpyJobs = [];
const cJobs = [];
let done = 0;
for (const name of models) {
  const dir = join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ref = JSON.parse(readFileSync(join(MODELS, name, 'reference.json'), 'utf8'));
  const cases = ref.cases.map((c) => c.inputs);
  const want = ref.cases.map((c) => flat(c.outputs));
  results[name] = {};
  for (const form of FORMS) {
    // js-wasm: the JS tensor form with --wasm (float64 f64x2 kernels), judged as js-tensor is;
    // js-wasm32: with --dtype float32 too (f32x4 kernels), at the float32 tolerance --verify uses.
    const wasm = form === 'js-wasm' || form === 'js-wasm32';
    const f32 = form === 'js-wasm32';
    const [lang, shape] = wasm ? ['js', 'tensor'] : form.split('-');
    const file = join(dir, `${form}.${{ numpy: 'py', js: 'mjs', c: 'c' }[lang]}`);
    const argv = [join(MODELS, name, 'model.onnx'), '-f', lang, '--form', shape, '-o', file];
    if (shape === 'scalar') argv.push('--max-size', String(SCALAR_MAX));
    if (wasm) argv.push('--wasm');
    if (f32) argv.push('--dtype', 'float32');
    const r = await cli(argv);
    const record = (status, detail = '', got) => void (results[name][form] = { status, detail, ...(got ? { got } : {}) });
    if (r.code === 2) {
      const msg = r.stderr.trim();
      if (shape === 'scalar' && /larger than|--max-size|over the size|too large/i.test(msg)) record('skip', msg.split('\n')[0]);
      else record(msg.includes('\n') ? 'refused-multiline' : 'refused', msg);
      continue;
    }
    if (r.code !== 0) {
      record('crash', `exit ${r.code}: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
      continue;
    }
    const judge = (got) => {
      if (got instanceof Error) return record('crash', `runtime: ${String(got.message).split('\n').slice(0, 2).join(' | ').slice(0, 400)}`);
      if (got.length !== want.length) return record('crash', `runtime: ${got.length} rows for ${want.length} cases`);
      for (let i = 0; i < want.length; i++) {
        const g = got[i].map((v) => (v === null ? NaN : v));
        const m = mismatch(g, lang === 'numpy' ? want[i] : wantOf(i), ...(f32 ? [F32_ATOL, F32_RTOL] : []));
        if (m) return record('WRONG', `case ${i}: ${m}`, got);
      }
      record('pass');
    };
    // A symbolic leading axis is the batch: JS and C take one sample a call, NumPy the whole batch.
    const samples = (c) => (ref.dynamic_batch ? Array.from({ length: c[0].length }, (_, b) => c.map((x) => x[b])) : [c]);
    const perSample = (run) => (c) => samples(c).flatMap(run);
    const wantOf = (i) => (ref.dynamic_batch ? samples(ref.cases[i].outputs).flatMap((o) => flat(o)) : want[i]);
    if (lang === 'js') {
      try {
        const mod = await import(pathToFileURL(file).href);
        judge(cases.map(perSample((c) => flat(mod.predict(...c)))));
      } catch (e) {
        judge(e instanceof Error ? e : new Error(String(e)));
      }
    } else if (lang === 'numpy') {
      numpyJobs.push({ name, form, file, cases, dtypes: ref.input_dtypes, judge });
    } else {
      const cdir = join(dir, form);
      mkdirSync(cdir);
      const text = readFileSync(file, 'utf8');
      const rows = cases.flatMap((c) => samples(c));
      const per = rows.length / cases.length;
      const regroup = (out) => cases.map((_, i) => out.slice(i * per, (i + 1) * per).flat());
      cJobs.push(() => runC(cdir, text, rows).then((out) => judge(regroup(out)), judge));
    }
  }
  if (++done % 50 === 0) process.stderr.write(`converted ${done}/${models.length}\n`);
}
process.stderr.write(`running ${numpyJobs.length} NumPy modules and ${cJobs.length} C programs\n`);
const answers = await runNumpyBatch(numpyJobs);
numpyJobs.forEach((j, i) => {
  const a = answers[i];
  j.judge(a && !Array.isArray(a) ? new Error(a.error) : a ?? new Error('no answer'));
});
await pool(cJobs, 2);

// A second oracle for every wrong number: ONNX Runtime on the same model. Where it agrees with
// the formula and not with PyTorch, the exporter wrote a graph that computes something else than
// the module (e.g. x >> 1 as a truncating Div): 'exporter', not a bug of nn2eq.
for (const name of Object.keys(results)) {
  const wrong = Object.entries(results[name]).filter(([, v]) => v.status === 'WRONG');
  if (wrong.length === 0) continue;
  const ref = JSON.parse(readFileSync(join(MODELS, name, 'reference.json'), 'utf8'));
  let ort;
  let ortPer;
  try {
    const rt = await openOnnxRuntime(readFileSync(join(MODELS, name, 'model.onnx')), { file: name });
    ort = [];
    ortPer = [];
    for (const c of ref.cases) {
      const outs = await rt.run(ref.input_names.map((n, k) => ({ name: n, dtype: ref.input_dtypes[k], dims: ref.input_shapes[k], values: flat(c.inputs[k]) })));
      ort.push(outs.flatMap((o) => Array.from(o.values)));
      // The same numbers sample by sample (a dynamic batch: JS and C ran one sample a call).
      const B = ref.dynamic_batch ? c.inputs[0].length : 1;
      ortPer.push(Array.from({ length: B }, (_, b) => outs.flatMap((o) => Array.from(o.values.slice((b * o.values.length) / B, ((b + 1) * o.values.length) / B)))).flat());
    }
    await rt.release();
  } catch (e) {
    for (const [, v] of wrong) v.detail += ` [ONNX Runtime: ${String(e.message).slice(0, 120)}]`;
    continue;
  }
  for (const [form, v] of wrong) {
    const mine = form.startsWith('numpy') ? ort : ortPer;
    const agrees = v.got.every((g, i) => mismatch(g.map((x) => (x === null ? NaN : x)), mine[i], ...(form === 'js-wasm32' ? [F32_ATOL, F32_RTOL] : [])) === null);
    const ortVsTorch = ref.cases.every((c, i) => mismatch(ort[i], flat(c.outputs)) === null);
    if (agrees && !ortVsTorch) v.status = 'exporter';
    else v.detail += agrees ? ' [ONNX Runtime agrees with the formula]' : ` [ONNX Runtime ${ortVsTorch ? 'agrees with PyTorch' : 'agrees with neither'}]`;
  }
}
for (const r of Object.values(results)) for (const v of Object.values(r)) delete v.got;

writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 1));
const STATUSES = ['pass', 'refused', 'refused-multiline', 'skip', 'exporter', 'crash', 'WRONG'];
const counts = Object.fromEntries(FORMS.map((f) => [f, Object.fromEntries(STATUSES.map((s) => [s, 0]))]));
for (const r of Object.values(results)) for (const [f, v] of Object.entries(r)) counts[f][v.status]++;
console.log(`${models.length} models`);
console.log(['form'.padEnd(14), ...STATUSES.map((s) => s.padStart(8))].join(' '));
for (const f of FORMS) console.log([f.padEnd(14), ...STATUSES.map((s) => String(counts[f][s]).padStart(8))].join(' '));
for (const bad of ['WRONG', 'crash', 'refused-multiline', 'exporter']) {
  for (const [name, r] of Object.entries(results)) {
    for (const [f, v] of Object.entries(r)) if (v.status === bad) console.log(`${bad} ${name} ${f}: ${v.detail.slice(0, 300)}`);
  }
}
