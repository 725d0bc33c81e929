// ONNX's own conformance tests (test/onnx-backend/node/, from the onnx repository's
// onnx/backend/test/data/node/ at commit 6be0677fc22e) run through nn2eq's NumPy, JS and C tensor
// forms. Used by scripts/onnx-backend.mjs (totals, the README table, the recorded list) and by
// test/onnx-backend.test.ts. Reads the built library (dist/): run `npm run build` first.
//
// Each case is a folder with model.onnx and test_data_set_0/input_K.pb, output_K.pb. Graph inputs
// that only set a shape, axes, indices, starts/ends/steps, pads, repeats, k, a recurrence's
// sequence_lens or Attention's nonpad_kv_seqlen, a window's size, Col2Im's image and block shapes,
// MaxUnpool's output_shape (integers), Resize's scales/roi, OneHot's depth or Compress's condition
// (bools), directly or through
// integer shape arithmetic (or, in an _expanded case, at the position the op it expands has them),
// are fixed with --bind from the test data; every other input (indices
// that pick values, such as MaxUnpool's, ReverseSequence's lengths or TensorScatter's write
// positions, among them) stays an input. Each
// case ends, per format, as passed, refused (nn2eq's one-line refusal), wrong (numbers differ
// from ONNX's expected outputs) or crash (the printed code failed to compile or run, or nn2eq
// failed without its own error).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE_DIR = join(ROOT, 'test', 'onnx-backend', 'node');
/** The passing cases per format, as last recorded (`node scripts/onnx-backend.mjs --record`). */
export const RECORD = join(ROOT, 'test', 'onnx-backend', 'passing.json');
export const FORMATS = ['numpy', 'js', 'c'];
/**
 * gcc flags: those of --verify's (src/verify/extra-runtimes.ts C_FLAGS) at -O0, which compiles the
 * ~700 cases four times faster and computes the same numbers (no -ffast-math at any level).
 */
const C_FLAGS = ['-std=c99', '-Wall', '-Werror', '-O0'];

const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);

/**
 * Inputs of an op that only fix the structure of its result: bound from the test data when they
 * are graph inputs (integers; Resize's and Upsample's float scales and roi set its output shape
 * and coordinates likewise). Keyed by op type, then input position.
 */
const REDUCE_AXES = { 1: 'axes' };
export const STRUCTURAL = {
  Reshape: { 1: 'shape' },
  Expand: { 1: 'shape' },
  ConstantOfShape: { 0: 'shape' },
  CenterCropPad: { 1: 'shape' },
  Col2Im: { 1: 'image_shape', 2: 'block_shape' },
  MaxUnpool: { 2: 'output_shape' },
  AffineGrid: { 1: 'size' },
  Tile: { 1: 'repeats' },
  Slice: { 1: 'starts', 2: 'ends', 3: 'axes', 4: 'steps' },
  Pad: { 1: 'pads', 3: 'axes' },
  Unsqueeze: { 1: 'axes' },
  Squeeze: { 1: 'axes' },
  Split: { 1: 'split' },
  TopK: { 1: 'k' },
  Trilu: { 1: 'k' },
  Gather: { 1: 'indices' },
  GatherElements: { 1: 'indices' },
  GatherND: { 1: 'indices' },
  // Its bools pick the slices kept, as Gather's indices do.
  Compress: { 1: 'condition' },
  ArrayFeatureExtractor: { 1: 'indices' },
  // The trip count and the first condition set how often the body runs (and the scan outputs' length).
  Loop: { 0: 'trip_count', 1: 'condition' },
  ScatterElements: { 1: 'indices' },
  ScatterND: { 1: 'indices' },
  Scatter: { 1: 'indices' },
  CumSum: { 1: 'axis' },
  CumProd: { 1: 'axis' },
  HannWindow: { 0: 'size' },
  HammingWindow: { 0: 'size' },
  BlackmanWindow: { 0: 'size' },
  DFT: { 1: 'dft_length', 2: 'axis' },
  STFT: { 1: 'frame_step', 3: 'frame_length' },
  // Its three integers set the shape and the bins; the band edges (floats) stay inputs.
  MelWeightMatrix: { 0: 'num_mel_bins', 1: 'dft_length', 2: 'sample_rate' },
  OneHot: { 1: 'depth' },
  Resize: { 1: 'roi', 2: 'scales', 3: 'sizes' },
  Upsample: { 1: 'scales' },
  LSTM: { 4: 'sequence_lens' },
  Attention: { 6: 'nonpad_kv_seqlen' },
  GRU: { 4: 'sequence_lens' },
  RNN: { 4: 'sequence_lens' },
  ReduceSum: REDUCE_AXES,
  ReduceMean: REDUCE_AXES,
  ReduceMax: REDUCE_AXES,
  ReduceMin: REDUCE_AXES,
  ReduceProd: REDUCE_AXES,
  ReduceL1: REDUCE_AXES,
  ReduceL2: REDUCE_AXES,
  ReduceLogSum: REDUCE_AXES,
  ReduceLogSumExp: REDUCE_AXES,
  ReduceSumSquare: REDUCE_AXES,
};
const INTEGER = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'int4', 'uint4', 'int2', 'uint2']);

/** The case folders, sorted. */
export function caseNames() {
  return readdirSync(NODE_DIR).filter((d) => existsSync(join(NODE_DIR, d, 'model.onnx'))).sort();
}

/** A TensorProto file (input_K.pb, output_K.pb) as { dtype, dims, values } with values as numbers. */
export async function readTensor(path) {
  const { Reader } = await dist('load/onnx/protobuf.js');
  const { decodeTensor } = await dist('load/onnx/tensor.js');
  const bytes = new Uint8Array(readFileSync(path));
  const t = decodeTensor(new Reader(bytes, path, 'TensorProto'), { file: path, dir: dirname(path), external: new Map(), cache: new Map() });
  if (t.dtype === 'string') throw new Error(`${path}: a string tensor`);
  return { dtype: t.dtype, dims: t.dims, values: Array.from(t.values, Number) };
}

/** Integer shape arithmetic a structural value may pass through (a function body's, as CenterCropPad's expansion). */
const SHAPE_ARITHMETIC = new Set(['Add', 'Sub', 'Mul', 'Div', 'Mod', 'Max', 'Min', 'Neg', 'Abs', 'Concat', 'Cast', 'Identity', 'Squeeze', 'Unsqueeze']);

/**
 * Which graph inputs of `graph` only set structure (name → what they set); an input used any other
 * way is not bound. `expands`: the op whose function body an _expanded case's graph is; its graph
 * inputs are that op's inputs by position, so they are bound as the op's own (a window's size
 * reaches Range and Div in the body, AffineGrid's size an If and a Split).
 */
export function structuralInputs(graph, expands) {
  const uses = new Map();
  graph.inputs.forEach((inp, k) => {
    const role = expands ? STRUCTURAL[expands]?.[k] : undefined;
    if (role) uses.set(inp.name, [role]);
  });
  const walk = (nodes) => {
    for (const n of nodes) {
      n.inputs.forEach((name, k) => {
        if (name === '') return;
        const role = STRUCTURAL[n.opType]?.[k];
        uses.set(name, [...(uses.get(name) ?? []), role ?? null]);
      });
      for (const a of n.attributes.values()) if (a.type === 'graph') walk(a.value.nodes);
    }
  };
  walk(graph.nodes);
  // A value that only feeds shape arithmetic whose results only set structure sets structure too
  // (CenterCropPad's expansion computes its pads and slice bounds from `shape`). The nodes are in
  // topological order: walking them backwards settles each result before the values it is made of.
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  for (const n of [...graph.nodes].reverse()) {
    if (!SHAPE_ARITHMETIC.has(n.opType)) continue;
    const roles = n.outputs.map((o) => {
      const r = uses.get(o) ?? [];
      return graphOutputs.has(o) || r.length === 0 || r.some((x) => x === null) ? null : r[0];
    });
    if (roles.some((r) => r === null)) continue;
    // This node's uses of its inputs set structure now: each null it recorded becomes the role.
    n.inputs.forEach((name, k) => {
      if (name === '' || STRUCTURAL[n.opType]?.[k]) return;
      const r = [...(uses.get(name) ?? [])];
      const at = r.indexOf(null);
      if (at >= 0) r[at] = roles[0];
      uses.set(name, r);
    });
  }
  const out = new Map();
  for (const inp of graph.inputs) {
    const roles = uses.get(inp.name) ?? [];
    const own = expands ? STRUCTURAL[expands]?.[graph.inputs.indexOf(inp)] : undefined;
    if (!own && (roles.length === 0 || roles.some((r) => r === null))) continue;
    const float = inp.elemType === 'float32' || inp.elemType === 'float64';
    // OneHot's depth may be a float; it sets the output's shape all the same.
    const bool = inp.elemType === 'bool' && roles.every((r) => r === 'condition');
    if (INTEGER.has(inp.elemType) || bool || (float && roles.every((r) => r === 'scales' || r === 'roi' || r === 'depth'))) out.set(inp.name, roles[0]);
  }
  return out;
}

/** The case an _expanded case expands (the name itself for the others). */
export const base = (name) => name.replace(/_expanded(_ver\d+)?$/, '');

/** The op a case tests: its one node's op, else the op of the case it expands, else the op named by the case. */
function caseOp(name, graph, opOf) {
  if (base(name) !== name && opOf.has(base(name))) return opOf.get(base(name));
  const types = [...new Set(graph.nodes.map((n) => n.opType))];
  if (types.length === 1) return types[0];
  const snake = (op) => op.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const named = types.filter((op) => name.slice(5).toLowerCase().startsWith(snake(op)) || name.slice(5).toLowerCase().startsWith(op.toLowerCase()));
  return named.sort((a, b) => b.length - a.length)[0] ?? types.find((t) => t !== 'Constant') ?? types[0] ?? '?';
}

/** nn2eq's refusal in one line, without the file and node name (the same reason reads the same in every case). */
export function reason(message) {
  return String(message)
    .split('\n')[0]
    .replace(/^\S*model\.onnx: /, '')
    .replace(/^node '[^']*' \(([^)]*)\): /, '$1: ')
    .replace(/^\d+ nodes? or inputs? nn2eq cannot convert: /, 'op not supported: ')
    .replace(/'[^']*' \(([^)]*)\)/g, '$1');
}

/**
 * Loads every case and converts it in each format: per case its op, the bound inputs, the test
 * data of the inputs left, the expected outputs, and per format the printed text or why there is none.
 */
export async function prepareCases(names = caseNames(), formats = FORMATS) {
  const { loadAnyModel } = await dist('load/index.js');
  const { convertFile } = await dist('convert.js');
  const { Nn2eqError } = await dist('errors.js');
  const opOf = new Map();
  const cases = [];
  // Cases whose name has no _expanded first, so an expanded case finds its op.
  const ordered = [...names].sort((a, b) => Number(/_expanded/.test(a)) - Number(/_expanded/.test(b)) || (a < b ? -1 : 1));
  for (const name of ordered) {
    const dir = join(NODE_DIR, name);
    const file = join(dir, 'model.onnx');
    const c = { name, op: '?', bind: {}, inputs: [], outputs: [], texts: {} };
    cases.push(c);
    let graph;
    try {
      const loaded = await loadAnyModel(file, {});
      graph = loaded.onnx.graph;
    } catch (e) {
      for (const f of formats) c.texts[f] = e instanceof Nn2eqError ? { refused: reason(e.message) } : { crash: String(e?.stack ?? e).split('\n')[0] };
      continue;
    }
    c.op = caseOp(name, graph, opOf);
    opOf.set(name, c.op);
    const data = join(dir, 'test_data_set_0');
    const structural = structuralInputs(graph, base(name) !== name ? c.op : undefined);
    const bind = new Map();
    let dataError = null;
    try {
      for (const [k, inp] of graph.inputs.entries()) {
        const t = await readTensor(join(data, `input_${k}.pb`));
        if (structural.has(inp.name)) {
          bind.set(inp.name, t.values);
          c.bind[inp.name] = structural.get(inp.name);
        } else c.inputs.push(t);
      }
      for (let k = 0; k < graph.outputs.length; k++) c.outputs.push(await readTensor(join(data, `output_${k}.pb`)));
    } catch (e) {
      // Sequences and optionals (SequenceProto, OptionalProto) are not tensors.
      dataError = `test data: ${reason(e.message)}`;
    }
    for (const f of formats) {
      try {
        const r = await convertFile(file, { format: f, form: 'tensor', ...(bind.size ? { bind } : {}) });
        c.texts[f] = dataError ? { crash: `converted, but ${dataError}` } : { text: r.text };
      } catch (e) {
        c.texts[f] = e instanceof Nn2eqError ? { refused: reason(e.message) } : { crash: `nn2eq: ${String(e?.stack ?? e).split('\n').slice(0, 2).join(' ')}` };
      }
    }
  }
  // A model nn2eq could not read is counted under the op its name starts with.
  const ops = [...new Set(cases.map((c) => c.op))].filter((op) => op !== '?');
  const snake = (op) => op.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  for (const c of cases) {
    if (c.op !== '?') continue;
    const rest = c.name.slice(5).toLowerCase();
    c.op = ops.filter((op) => rest.startsWith(snake(op)) || rest.startsWith(op.toLowerCase())).sort((a, b) => b.length - a.length)[0] ?? '?';
  }
  return cases.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Tolerance of a comparison by the expected tensor's dtype: [atol, rtol]; integers and bools exactly. */
function tolerance(dtype) {
  if (dtype === 'float16') return [1e-3, 1e-3];
  if (dtype === 'bfloat16') return [1e-2, 1e-2];
  // ONNX's own runner compares with rtol 1e-3 (some expected values are written to 4 digits).
  if (dtype === 'float32' || dtype === 'float64') return [1e-5, 1e-3];
  return [0, 0];
}

/** The first difference between got (flat outputs) and the expected tensors, or null. */
export function compare(got, want) {
  if (got.length !== want.length) return `${got.length} outputs, expected ${want.length}`;
  for (let k = 0; k < want.length; k++) {
    const g = got[k].map(Number);
    const w = want[k].values;
    if (g.length !== w.length) return `output ${k + 1}: ${g.length} values, expected ${w.length} (shape [${want[k].dims.join(', ')}])`;
    const [atol, rtol] = tolerance(want[k].dtype);
    for (let i = 0; i < w.length; i++) {
      if (Number.isNaN(w[i]) && Number.isNaN(g[i])) continue;
      if (g[i] === w[i]) continue;
      if (!(Math.abs(g[i] - w[i]) <= atol + rtol * Math.abs(w[i]))) return `output ${k + 1} value ${i}: got ${g[i]}, expected ${w[i]} (${want[k].dtype})`;
    }
  }
  return null;
}

function flatten(v) {
  if (v === null || typeof v !== 'object') return [typeof v === 'boolean' ? Number(v) : v];
  const out = [];
  // The nesting depth is the tensor's rank.
  const walk = (x) => {
    if (x === null || typeof x !== 'object') out.push(typeof x === 'boolean' ? Number(x) : typeof x === 'bigint' ? Number(x) : x);
    else for (let i = 0; i < x.length; i++) walk(x[i]);
  };
  walk(v);
  return out;
}

/** Runs the JS texts in-process: per case its flat outputs or { crash }. */
async function runJs(cases, tmp) {
  const out = new Map();
  for (const c of cases) {
    const t = c.texts.js;
    if (!t?.text) continue;
    try {
      const file = join(tmp, `${c.name}.mjs`);
      writeFileSync(file, t.text);
      const mod = await import(pathToFileURL(file).href);
      const inputs = c.inputs.map((x) => Float64Array.from(x.values));
      const y = mod.predict(...inputs.map((x, k) => (c.inputs[k].dims.length === 0 ? x[0] : x)));
      out.set(c.name, c.outputs.length > 1 ? y.map(flatten) : [flatten(y)]);
    } catch (e) {
      out.set(c.name, { crash: `js: ${String(e?.message ?? e).split('\n')[0]}` });
    }
  }
  return out;
}

/** The python that runs every NumPy text once: stdin a JSON list of {file, inputs, nout}; prints one answer per case. */
const NUMPY_DRIVER = `
import importlib.util, json, math, sys
import numpy as np
DT = {'float32': np.float32, 'float64': np.float64, 'float16': np.float16, 'bfloat16': np.float32, 'bool': np.bool_,
      'int8': np.int8, 'int16': np.int16, 'int32': np.int32, 'int64': np.int64, 'int4': np.int8, 'int2': np.int8, 'uint4': np.uint8, 'uint2': np.uint8,
      'float8e4m3fn': np.float32, 'float8e4m3fnuz': np.float32, 'float8e5m2': np.float32, 'float8e5m2fnuz': np.float32, 'float4e2m1': np.float32, 'float8e8m0': np.float32,
      'uint8': np.uint8, 'uint16': np.uint16, 'uint32': np.uint32, 'uint64': np.uint64}
def num(v):
    return v if math.isfinite(v) else ('NaN' if v != v else 'Infinity' if v > 0 else '-Infinity')
answers = []
for job in json.load(sys.stdin):
    try:
        with np.errstate(all='ignore'):
            spec = importlib.util.spec_from_file_location('m', job['file'])
            m = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(m)
            xs = [np.array([float(v) if isinstance(v, str) else v for v in x['values']], dtype=DT[x['dtype']]).reshape(x['dims']) for x in job['inputs']]
            y = m.predict(*xs)
            ys = list(y) if job['nout'] > 1 else [y]
            answers.append([[num(float(v)) for v in np.asarray(o).astype(np.float64).ravel()] for o in ys])
    except BaseException as e:
        answers.append({'crash': 'numpy: ' + type(e).__name__ + ': ' + str(e).split(chr(10))[0]})
print(json.dumps(answers))
`;

/** Runs the NumPy texts in one python3: per case its flat outputs or { crash }. */
async function runNumpy(cases, tmp, runPython) {
  const jobs = cases.filter((c) => c.texts.numpy?.text);
  const input = jobs.map((c) => {
    const file = join(tmp, `${c.name}.py`);
    writeFileSync(file, c.texts.numpy.text);
    return { file, inputs: c.inputs.map((x) => ({ dtype: x.dtype, dims: x.dims, values: x.values.map((v) => (Number.isFinite(v) ? v : String(v))) })), nout: c.outputs.length };
  });
  const out = new Map();
  if (jobs.length === 0) return out;
  const r = await runPython(NUMPY_DRIVER, JSON.stringify(input));
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  const answers = JSON.parse(r.stdout);
  jobs.forEach((c, i) => out.set(c.name, Array.isArray(answers[i]) ? answers[i].map((o) => o.map(Number)) : answers[i]));
  return out;
}

function exec(exe, args, input, cwd) {
  return new Promise((resolvePromise) => {
    const child = execFile(exe, args, { encoding: 'utf8', maxBuffer: 1 << 28, cwd }, (err, stdout, stderr) => resolvePromise({ err, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/**
 * Compiles the C texts in a few gcc runs (each case's predict renamed by a #define, many files a
 * run) and runs them all in one program; a case that does not compile, or stops the program, is a crash.
 */
async function runC(cases, tmp, cc) {
  const out = new Map();
  const jobs = cases.filter((c) => c.texts.c?.text);
  if (jobs.length === 0) return out;
  const dir = join(tmp, 'c');
  mkdirSync(dir, { recursive: true });
  // Many cases a translation unit: each case's top-level names are renamed by #define for its
  // text and #undef'd after it, so helpers of the same name in two cases do not clash.
  const unit = (i) => {
    const text = jobs[i].texts.c.text;
    const names = new Set(['predict']);
    for (const line of text.split('\n')) {
      const m = /^(?:static|struct)\b([^=(\[{;]*)[=(\[{;]/.exec(line);
      const last = m && /([A-Za-z_]\w*)\s*$/.exec(m[1]);
      if (last) names.add(last[1]);
    }
    const defs = [...names].map((n) => `#define ${n} ${n === 'predict' ? `nn2eq_case${i}` : `${n}_case${i}`}`).join('\n');
    return `${defs}\n${text}\n${[...names].map((n) => `#undef ${n}`).join('\n')}\n`;
  };
  const CHUNKS = 8;
  const per = Math.ceil(jobs.length / CHUNKS);
  const chunks = Array.from({ length: CHUNKS }, (_, k) => jobs.map((_, i) => i).slice(k * per, (k + 1) * per)).filter((g) => g.length);
  const objects = [];
  const compileChunk = async (k) => {
    const f = `chunk${k}.c`;
    writeFileSync(join(dir, f), `#include <math.h>\n${chunks[k].map(unit).join('')}`);
    const r = await exec(cc, [...C_FLAGS, '-c', f], '', dir);
    if (!r.err) return void objects.push(...chunks[k].map((i) => ({ i, object: `chunk${k}.o` })));
    // A chunk that does not compile: its cases one file each, to find the ones at fault.
    const files = chunks[k].map((i) => {
      writeFileSync(join(dir, `case${i}.c`), `#include <math.h>\n${unit(i)}`);
      return `case${i}.c`;
    });
    const one = await exec(cc, [...C_FLAGS, '-c', ...files], '', dir);
    for (const i of chunks[k]) {
      if (existsSync(join(dir, `case${i}.o`))) objects.push({ i, object: `case${i}.o` });
      else {
        const line = one.stderr.split('\n').find((l) => l.startsWith(`case${i}.c:`) && /error/.test(l)) ?? 'does not compile';
        out.set(jobs[i].name, { crash: `c: ${line.replace(/^case\d+\.c:/, '')}` });
      }
    }
  };
  // Two gcc runs at a time (the machine has two cores).
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < chunks.length) await compileChunk(next++);
  }));
  const ok = objects.map((o) => o.i).sort((a, b) => a - b);
  if (ok.length === 0) return out;
  const main = [
    '#include <stdio.h>',
    '#include <stdlib.h>',
    ...ok.map((i) => `void nn2eq_case${i}(const double *x, double *y);`),
    'typedef void (*predict_fn)(const double *, double *);',
    `static const predict_fn CASES[] = {${ok.map((i) => `nn2eq_case${i}`).join(', ')}};`,
    'int main(void) {',
    '  int k, nin, nout;',
    '  while (scanf("%d %d %d", &k, &nin, &nout) == 3) {',
    '    double *x = malloc(sizeof(double) * (nin + 1)), *y = calloc(nout + 1, sizeof(double));',
    '    for (int i = 0; i < nin; i++) if (scanf("%lf", &x[i]) != 1) return 3;',
    '    CASES[k](x, y);',
    '    printf("%d", k);',
    '    for (int i = 0; i < nout; i++) printf(" %.17g", y[i]);',
    '    printf("\\n");',
    '    fflush(stdout);',
    '    free(x); free(y);',
    '  }',
    '  return 0;',
    '}',
  ].join('\n');
  writeFileSync(join(dir, 'main.c'), main);
  const link = await exec(cc, [...C_FLAGS, 'main.c', ...new Set(objects.map((o) => o.object)), '-lm', '-o', 'cases'], '', dir);
  if (link.err) {
    for (const i of ok) out.set(jobs[i].name, { crash: `c: link: ${link.stderr.split('\n').find((l) => /error|multiple/.test(l)) ?? link.stderr.split('\n')[0]}` });
    return out;
  }
  const fmt = (v) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v));
  let pending = ok.map((i, slot) => ({ i, slot }));
  while (pending.length > 0) {
    const input = pending.map(({ i, slot }) => {
      const c = jobs[i];
      const xs = c.inputs.flatMap((x) => x.values);
      const nout = c.outputs.reduce((n, o) => n + o.values.length, 0);
      return `${slot} ${xs.length} ${nout}\n${xs.map(fmt).join(' ')}\n`;
    }).join('');
    const r = await exec(join(dir, 'cases'), [], input, dir);
    const done = new Set();
    for (const line of r.stdout.split('\n')) {
      if (!line) continue;
      const [slot, ...ys] = line.split(' ');
      const { i } = pending.find((p) => p.slot === Number(slot));
      const c = jobs[i];
      const ys2 = ys.map((v) => (v === 'nan' || v === '-nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)));
      const split = [];
      let at = 0;
      for (const o of c.outputs) split.push(ys2.slice(at, (at += o.values.length)));
      out.set(c.name, split);
      done.add(Number(slot));
    }
    const rest = pending.filter((p) => !done.has(p.slot));
    if (rest.length === 0) break;
    // The first case without an answer stopped the program; the ones after it run again.
    out.set(jobs[rest[0].i].name, { crash: `c: the program stopped (${r.err?.signal ?? r.err?.code ?? 'no answer'})` });
    pending = rest.slice(1);
  }
  return out;
}

/**
 * Runs every prepared case in each runtime and classifies it per format: { status: 'passed' |
 * 'refused' | 'wrong' | 'crash', detail }. `runPython(code, stdin)` runs python3 -c code;
 * `cc` is the C compiler (null: the C format is not run, its cases count as skipped).
 */
export async function runCases(cases, { runPython, cc, formats = FORMATS, onTiming }) {
  const tmp = mkdtempSync(join(tmpdir(), 'nn2eq-backend-'));
  const timed = async (what, run) => {
    const t0 = Date.now();
    const r = await run();
    timing[what] = Date.now() - t0;
    return r;
  };
  const timing = {};
  // The C compiler and python3 run while the JS cases run in this process. The temporary folder
  // (the cases' modules, C units and the program) goes when they are done, whatever happened.
  const [numpy, c, js] = await Promise.all([
    formats.includes('numpy') && runPython ? timed('numpy', () => runNumpy(cases, tmp, runPython)) : null,
    formats.includes('c') && cc ? timed('c', () => runC(cases, tmp, cc)) : null,
    formats.includes('js') ? timed('js', () => runJs(cases, tmp)) : null,
  ]).finally(() => rmSync(tmp, { recursive: true, force: true }));
  const got = { numpy, js, c };
  if (onTiming) onTiming(timing);
  const results = [];
  for (const c of cases) {
    const r = { name: c.name, op: c.op, bind: c.bind };
    for (const f of formats) {
      const t = c.texts[f];
      if (t.refused) r[f] = { status: 'refused', detail: t.refused };
      else if (t.crash) r[f] = { status: 'crash', detail: t.crash };
      else if (!got[f]) r[f] = { status: 'skipped', detail: `${f} runtime not found` };
      else {
        const y = got[f].get(c.name);
        if (!y) r[f] = { status: 'crash', detail: 'no answer' };
        else if (y.crash) r[f] = { status: 'crash', detail: y.crash };
        else {
          const d = compare(y, c.outputs);
          r[f] = d ? { status: 'wrong', detail: d } : { status: 'passed' };
        }
      }
    }
    results.push(r);
  }
  return results;
}

/** Counts per format: { numpy: { passed, refused, wrong, crash }, … }. */
export function totals(results, formats = FORMATS) {
  const t = {};
  for (const f of formats) {
    t[f] = { passed: 0, refused: 0, wrong: 0, crash: 0, skipped: 0 };
    for (const r of results) t[f][r[f].status]++;
  }
  return t;
}

/** The coverage table (Markdown): per op its cases, passes per format, and why the rest were refused. */
export function coverageTable(results, formats = FORMATS) {
  const byOp = new Map();
  for (const r of results) byOp.set(r.op, [...(byOp.get(r.op) ?? []), r]);
  const t = totals(results, formats);
  const label = { numpy: 'NumPy', js: 'JS', c: 'C' };
  const lines = [
    `| Op | cases | ${formats.map((f) => `${label[f]} passed`).join(' | ')} | refused, and why (most common reason) | wrong or crash |`,
    `| --- | ---: | ${formats.map(() => '---:').join(' | ')} | --- | --- |`,
  ];
  for (const op of [...byOp.keys()].sort((a, b) => a.localeCompare(b))) {
    const rs = byOp.get(op);
    const passed = formats.map((f) => rs.filter((r) => r[f].status === 'passed').length);
    const reasons = new Map();
    for (const r of rs) for (const f of formats) if (r[f].status === 'refused') reasons.set(r[f].detail, (reasons.get(r[f].detail) ?? 0) + 1);
    const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0];
    const refused = rs.filter((r) => formats.some((f) => r[f].status === 'refused')).length;
    const why = top ? `${refused}: ${top[0].replace(/\|/g, '\\|').slice(0, 140)}` : '';
    const bad = rs.flatMap((r) => {
      const fs = formats.filter((f) => r[f].status === 'wrong' || r[f].status === 'crash');
      return fs.length ? [`${r.name} (${fs.map((f) => `${label[f]} ${r[f].status}`).join(', ')})`] : [];
    });
    lines.push(`| ${op} | ${rs.length} | ${passed.join(' | ')} | ${why} | ${bad.join(', ')} |`);
  }
  lines.push(`| **all** | **${results.length}** | ${formats.map((f) => `**${t[f].passed}**`).join(' | ')} | ${formats.map((f) => `${label[f]} ${t[f].refused}`).join(', ')} refused | ${formats.map((f) => `${label[f]} ${t[f].wrong + t[f].crash}`).join(', ')} |`);
  return lines.join('\n');
}

/** The passing case names per format, as recorded in RECORD. */
export function passingNames(results, formats = FORMATS) {
  return Object.fromEntries(formats.map((f) => [f, results.filter((r) => r[f].status === 'passed').map((r) => r.name)]));
}
