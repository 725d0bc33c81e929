import { readFileSync } from 'node:fs';
import { EMITTERS, loadTensorEmitters, type Format } from '../emit/index.js';
import type { Dtype } from '../emit/types.js';
import { numberParts } from '../emit/number.js';
import { Nn2eqError } from '../errors.js';
import { extract, type Extracted, type Extractor } from '../extract/index.js';
import { evaluate } from '../ir/evaluate.js';
import type { Graph, NodeId } from '../ir/graph.js';
import type { ModelSpec } from '../load/spec.js';
import { rebuild } from '../ir/rebuild.js';
import { onnxSource } from '../extract/onnx/source.js';
import { tfSource } from '../extract/tf/source.js';
import { scalarize } from '../tensor/scalarize.js';
import type { TensorProgram } from '../tensor/program.js';
import { loadTf, oracleModel, oraclePredict, type TfModel } from './oracle.js';
import { mulberry32 } from './random.js';
import { checkLatex, probe, runJs, runNumpy, runWolfram, type RunResult } from './runtimes.js';
import { extraRunners } from './extra-runtimes.js';

/** What --verify checks the written text against, and how strictly. */
export interface VerifyOptions {
  readonly format: Format;
  /** Box of the random points, per scalar input. */
  readonly range?: readonly [number, number];
  /** JSON or CSV file of the user's own points, one sample a row. */
  readonly inputsFile?: string;
  readonly atol?: number;
  readonly rtol?: number;
  /** --precision the text was written with: the report says what the rounding costs. */
  readonly precision?: number;
  readonly samples?: number;
  /** At most this many kinks get a point on each side (32 unless given; a large model gets fewer). */
  readonly kinks?: number;
  readonly timesteps?: number;
  readonly extractors?: Readonly<Record<string, Extractor>>;
  readonly seed?: number;
  /** The IR the text was printed from, when the caller has it (convertWithIR); else it is extracted here. */
  readonly extracted?: Extracted;
  /** The tensor program the text was printed from (the tensor form has no scalar IR to hand over). */
  readonly program?: TensorProgram;
  /** Which form the text holds; the tensor form of a large model is checked without the scalar IR. */
  readonly form?: 'scalar' | 'tensor';
  /** --dtype the text was written with: float32 checks at FLOAT32_TOLERANCE (unless given) and reports how far the outputs move from the float64 text. */
  readonly dtype?: Dtype;
  /** --wasm: the JS text runs WebAssembly kernels; the report says how far its outputs move from the plain loops'. */
  readonly wasm?: boolean;
}

/** The default --verify tolerance of a float32 text (atol, rtol): float32 keeps about 7 digits, and a deep model's sums lose a few. */
export const FLOAT32_TOLERANCE = [1e-4, 1e-3] as const;

/** Largest scalar IR --verify builds for a tensor-form text (the graph's let-form size model): past it the IR route is skipped. */
const IR_BUDGET = 64_000_000;

/** The scalar IR of a model when it stays within IR_BUDGET, else null (a dry graph measures first). */
function boundedIR(program: TensorProgram): Extracted | null {
  try {
    scalarize(program, { sizeBudget: IR_BUDGET, dry: true });
    return scalarize(program, { sizeBudget: IR_BUDGET });
  } catch (e) {
    if (e instanceof Nn2eqError && e.kind === 'too-large') return null;
    throw e;
  }
}

/** Input and output ports (scalar offsets) of a tensor program, for comparing values without its IR. */
function portsOf(program: TensorProgram): Pick<Extracted, 'inputs' | 'outputs'> {
  let offset = 0;
  const port = (p: TensorProgram['inputs'][number]) => {
    const size = p.tensor.shape.reduce((a, b) => a * b, 1);
    const out = { name: p.name, shape: p.tensor.shape, offset, size };
    offset += size;
    return out;
  };
  const inputs = program.inputs.map(port);
  offset = 0;
  return { inputs, outputs: program.outputs.map(port) };
}

/** The error of one route against TF.js, per model output. */
export interface OutputError {
  readonly output: string;
  readonly maxAbs: number;
  readonly maxRel: number;
  /** Index of the point with the largest error past the tolerance (or the largest error). */
  readonly worstPoint: number;
  readonly worstInput: number[];
  readonly got: number;
  readonly want: number;
  readonly within: boolean;
  /** Points where this route gave NaN or ±Infinity and TF.js did not give the same value: each a failure. */
  readonly nonFinite: number;
}

export interface RouteReport {
  readonly route: string;
  readonly status: 'ok' | 'failed' | 'skipped' | 'valid' | 'invalid';
  readonly reason?: string;
  readonly outputs?: OutputError[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly model: string;
  readonly format: Format;
  readonly tolerance: { readonly atol: number; readonly rtol: number };
  readonly points: { readonly random: number; readonly kinks: number; readonly user: number };
  readonly routes: RouteReport[];
  /** What the outputs were checked against (TF.js; ONNX Runtime for ONNX models). */
  readonly reference?: string;
  /** --dtype float32: the tolerance was the float32 one, and the outputs moved this far from the float64 text's (undefined when that text could not run). */
  readonly dtype?: 'float32';
  readonly float32?: { readonly maxAbs: number; readonly maxRel: number };
  /** --wasm: how far the kernels' outputs move from the same text's plain loops (undefined when those could not run). */
  readonly wasm?: { readonly maxAbs: number; readonly maxRel: number } | null;
  /** With --precision: how far the rounded numbers move the outputs from the exact ones. */
  readonly rounding?: { readonly digits: number; readonly maxAbs: number; readonly maxRel: number };
  /** When the IR and TF.js disagree: the first layer whose values do. */
  readonly divergence?: { readonly layer: string; readonly className: string; readonly maxAbs: number; readonly maxRel: number } | { readonly layer: null; readonly note: string };
}

/** Checks `text` (the emitted `format`) and nn2eq's IR against TF.js's predictions for `model`. */
export async function verify(model: ModelSpec, text: string, opts: VerifyOptions): Promise<VerifyReport> {
  await loadTensorEmitters(opts.format);
  const float32 = opts.dtype === 'float32';
  const atol = opts.atol ?? (float32 ? FLOAT32_TOLERANCE[0] : 1e-5);
  const rtol = opts.rtol ?? (float32 ? FLOAT32_TOLERANCE[1] : 1e-4);
  const source = onnxSource(model) ?? tfSource(model);
  const program = opts.program ?? source?.program;
  if (program && program.inputs.some((p) => p.tensor.shape.includes(-1))) {
    throw new Nn2eqError(`${model.file}: --verify needs a fixed sequence length, and this model's time axis is undefined`, 'usage', program.fixLength ? `${program.fixLength} to check the text at that length` : 'give --timesteps T to check the text at that length');
  }
  // The tensor form of a large model is checked against the reference directly; its scalar IR
  // (for the IR route, kinks, rounding and the first diverging layer) only when it stays small.
  const full = opts.extracted ?? (program && opts.form === 'tensor' ? boundedIR(program) : source ? scalarize(source.program) : extract(model, { extractors: opts.extractors, timesteps: opts.timesteps }));
  const ex = (full ?? { ...portsOf(program!), graph: null, outputIds: [], trace: [] }) as Extracted;
  // An ONNX model is checked against ONNX Runtime instead of TF.js.
  const onnx = onnxSource(model);
  const onnxVerify = onnx ? await import('./onnx-verify.js') : null;
  // A TF.js graph model is checked against TF.js running the same graph.
  const graph = tfSource(model)?.model;
  const graphVerify = graph ? await import('./tf-graph-oracle.js') : null;
  const ints = onnx ? onnxVerify!.onnxIntegerInputs(onnx, ex) : graph ? new Map<number, number>() : integerInputs(model, ex);
  const rng = mulberry32(opts.seed ?? 20261122);
  const [lo, hi] = opts.range ?? [-1, 1];
  const nIn = ex.inputs.reduce((n, p) => n + p.size, 0);
  const randomPoints = Array.from({ length: opts.samples ?? 32 }, () => randomPoint(nIn, lo, hi, ints, rng));
  const kinkPoints = full ? kinks(ex, lo, hi, ints, rng, opts.kinks ?? 32) : [];
  const userPoints = opts.inputsFile ? readPoints(opts.inputsFile, nIn) : [];
  // TF.js runs a graph model on float32 inputs: every route reads the same float32 values, or a
  // point within float32 rounding of a step (Cast to int, Floor) falls on either side of it.
  const points = [...randomPoints, ...kinkPoints, ...userPoints].map((p) => (graph ? Float64Array.from(Float32Array.from(p)) : p));

  const oracle = onnx || graph ? null : await oracleModel(model, new Map(ex.trace.map((c) => [c.layer, c.outputs[0]?.shape.length ?? 0])));
  // The TF.js model's weights stay registered in TF.js's engine until it is disposed: a library user
  // verifying many models in one process would keep every one.
  try {
    const want = onnx ? await onnxVerify!.onnxReference(onnx, ex, points) : graph ? await graphVerify!.tfGraphReference(graph, ex, points) : flatPerPoint(await oraclePredict(oracle!, ex.inputs.map((p) => p.shape), points), points.length);
    const routes: RouteReport[] = [];
    const irRoute: RouteReport = full
      ? compare('IR (float64)', points.map((p) => {
          const v = evaluate(ex.graph, p);
          return ex.outputIds.map((id) => v[id]);
        }), want, ex, points, atol, rtol)
      : { route: 'IR (float64)', status: 'skipped', reason: `the model's scalar IR would pass ${IR_BUDGET / 1e6} MB; the tensor-form text is checked directly` };
    routes.push(irRoute);
    const run: Record<Format, () => Promise<RunResult>> = {
      js: () => runJs(text, ex.inputs, points),
      numpy: () => runNumpy(text, ex.inputs, points),
      mathematica: () => (opts.form === 'tensor' ? Promise.resolve({ skipped: "the tensor form's Wolfram text is not run by --verify (the SymPy route reads the scalar form); its tests run it through nn2eq's Wolfram interpreter" }) : runWolfram(text, ex.inputs, points)),
      latex: () => checkLatex(text),
      ...extraRunners(text, ex.inputs, points),
    };
    const label = `${opts.format} text`;
    let result: RunResult;
    try {
      result = await run[opts.format]();
    } catch (e) {
      result = { invalid: `running it failed: ${String((e as Error).message ?? e).split('\n')[0]}` };
    }
    if ('values' in result) routes.push(compare(label, result.values, want, ex, points, atol, rtol));
    else if ('skipped' in result) routes.push({ route: label, status: 'skipped', reason: result.skipped });
    else if ('valid' in result) routes.push({ route: `${opts.format} text (${opts.format === 'svg' ? 'MathJax' : 'KaTeX'})`, status: 'valid' });
    else routes.push({ route: label, status: 'invalid', reason: result.invalid });
    // Without wolframscript the Wolfram text ran through SymPy's parser: the report says which runtime it was.
    if ('values' in result && opts.format === 'mathematica' && probe('wolframscript', ['-version']).error) {
      routes[routes.length - 1] = { ...routes[routes.length - 1], route: `${label} (SymPy's Mathematica parser; wolframscript is not installed)` };
    }

    // float32: the same program printed in float64, run on the same points, against the float32 text's values.
    let float32Shift: VerifyReport['float32'];
    if (float32 && 'values' in result && program) {
      // At the same --precision, so that the shift is float32's alone (the rounding's cost is reported on its own line).
      const text64 = EMITTERS[opts.format].tensor!.emit(program, { inline: false, maxSize: Infinity, modelName: model.name, ...(opts.precision !== undefined ? { precision: opts.precision } : {}) });
      const got64 = await runText(opts.format, text64, ex, points);
      float32Shift = got64 ? shift(result.values, got64) : undefined;
    }

    // --wasm: the same program printed without the kernels (the plain loops, same dtype), on the same points.
    let wasmShift: VerifyReport['wasm'];
    if (opts.wasm && 'values' in result && program) {
      const plain = EMITTERS[opts.format].tensor!.emit(program, { inline: false, maxSize: Infinity, modelName: model.name, ...(float32 ? { dtype: 'float32' as const } : {}), ...(opts.precision !== undefined ? { precision: opts.precision } : {}) });
      const got = await runText(opts.format, plain, ex, points);
      wasmShift = got ? shift(result.values, got) : null;
    }

    const report: VerifyReport = {
      ok: routes.every((r) => r.status === 'ok' || r.status === 'valid' || r.status === 'skipped'),
      model: model.file,
      format: opts.format,
      tolerance: { atol, rtol },
      points: { random: randomPoints.length, kinks: kinkPoints.length, user: userPoints.length },
      routes,
      reference: onnx ? 'ONNX Runtime' : undefined,
      ...(float32 ? { dtype: 'float32', float32: float32Shift } : {}),
      ...(opts.wasm ? { wasm: wasmShift ?? null } : {}),
      rounding: opts.precision !== undefined && full ? roundingCost(ex, points, opts.precision) : undefined,
      divergence: irRoute.status !== 'failed' ? undefined : onnx ? await onnxVerify!.onnxDivergence(onnx, ex, points.slice(0, 8), atol, rtol) : graph ? await graphVerify!.tfGraphDivergence(graph, ex, points.slice(0, 8), atol, rtol) : await firstDivergence(oracle!, ex, points.slice(0, 8), atol, rtol),
    };
    return report;
  } finally {
    oracle?.dispose();
  }
}

function flatPerPoint(perOutput: number[][][], n: number): number[][] {
  return Array.from({ length: n }, (_, i) => perOutput.flatMap((o) => o[i]));
}

function compare(route: string, got: number[][], want: number[][], ex: Extracted, points: Float64Array[], atol: number, rtol: number): RouteReport {
  const outputs: OutputError[] = ex.outputs.map((port) => {
    let maxAbs = 0;
    let maxRel = 0;
    let worstPoint = 0;
    let worstValue = port.offset;
    let worstExcess = -Infinity;
    let within = true;
    let nonFinite = 0;
    for (let i = 0; i < points.length; i++) {
      for (let j = port.offset; j < port.offset + port.size; j++) {
        const g = got[i][j];
        const w = want[i][j];
        // A NaN is never a match, not even TF.js's own NaN (both may read the same broken
        // weights); an infinity matches only the same infinity.
        const bad = !Number.isFinite(g) || !Number.isFinite(w) ? !(g === w && !Number.isNaN(g)) : false;
        if (bad) nonFinite++;
        const abs = bad ? Infinity : Number.isFinite(g) ? Math.abs(g - w) : 0;
        const rel = abs / Math.max(Math.abs(w), Number.MIN_VALUE);
        const excess = bad ? Infinity : abs - (atol + rtol * Math.abs(w));
        if (excess > 0) within = false;
        if (abs > maxAbs) maxAbs = abs;
        if (rel > maxRel && abs > 0) maxRel = rel;
        if (excess > worstExcess || (worstExcess === -Infinity && i === 0 && j === port.offset)) {
          worstExcess = excess;
          worstPoint = i;
          worstValue = j;
        }
      }
    }
    const [p, j] = [worstPoint, worstValue];
    return { output: port.name, maxAbs, maxRel, worstPoint: p, worstInput: Array.from(points[p]), got: got[p][j], want: want[p][j], within, nonFinite };
  });
  return { route, status: outputs.every((o) => o.within) ? 'ok' : 'failed', outputs };
}

/** Inputs read by an Embedding are integer ids below its input_dim. */
function integerInputs(model: ModelSpec, ex: Extracted): Map<number, number> {
  const ints = new Map<number, number>();
  for (const l of model.layers) {
    if (l.className !== 'Embedding') continue;
    const dim = Number(l.config.input_dim);
    for (const node of l.inbound) {
      for (const r of node) {
        const port = ex.inputs.find((p) => p.name === r.layer);
        if (port) for (let i = port.offset; i < port.offset + port.size; i++) ints.set(i, dim);
      }
    }
  }
  return ints;
}

function randomPoint(n: number, lo: number, hi: number, ints: Map<number, number>, rng: () => number): Float64Array {
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const dim = ints.get(i);
    p[i] = dim !== undefined ? Math.floor(rng() * dim) : Math.fround(lo + (hi - lo) * rng());
  }
  return p;
}

/**
 * Points on both sides of the kinks (max, min, step, abs) that the box contains: for a sample of
 * kink nodes, a random segment across which the kink's argument changes sign is bisected to the
 * crossing, and the points just before and after it are kept.
 */
function kinks(ex: Extracted, lo: number, hi: number, ints: Map<number, number>, rng: () => number, most: number): Float64Array[] {
  const g = ex.graph;
  const nIn = ex.inputs.reduce((n, p) => n + p.size, 0);
  const sides: { id: NodeId; f: (v: Float64Array) => number }[] = [];
  for (let id = 0; id < g.size; id++) {
    const n = g.nodes[id];
    if (n.op === 'max' || n.op === 'min' || n.op === 'gt' || n.op === 'ge' || n.op === 'eq') sides.push({ id, f: (v) => v[n.args[0]] - v[n.args[1]] });
    else if (n.op === 'step' || n.op === 'abs') sides.push({ id, f: (v) => v[n.args[0]] });
  }
  // At most `most` kinks, spread over the graph, and no more evaluations than a large model affords.
  const budget = Math.max(1, Math.min(most, Math.floor(2e7 / Math.max(g.size * 40, 1))));
  const chosen = sides.filter((_, i) => i % Math.max(1, Math.ceil(sides.length / budget)) === 0).slice(0, budget);
  const out: Float64Array[] = [];
  const mix = (a: Float64Array, b: Float64Array, t: number) => a.map((x, i) => (ints.has(i) ? x : x + (b[i] - x) * t));
  for (const { f } of chosen) {
    for (let attempt = 0; attempt < 6; attempt++) {
      const a = randomPoint(nIn, lo, hi, ints, rng);
      const b = randomPoint(nIn, lo, hi, ints, rng);
      let fa = f(evaluate(g, a));
      const fb = f(evaluate(g, mix(a, b, 1)));
      if (!(fa * fb < 0)) continue;
      let t0 = 0;
      let t1 = 1;
      for (let k = 0; k < 30; k++) {
        const t = (t0 + t1) / 2;
        const ft = f(evaluate(g, mix(a, b, t)));
        if (ft * fa < 0) t1 = t;
        else {
          t0 = t;
          fa = ft;
        }
      }
      const span = 1e-3 / Math.max(1e-12, Math.hypot(...Array.from(b, (x, i) => x - a[i])));
      out.push(mix(a, b, Math.max(0, t0 - span)), mix(a, b, Math.min(1, t1 + span)));
      break;
    }
  }
  return out;
}

/** Rows of a JSON (array of rows, nested or flat) or CSV file, each with every scalar input. */
function readPoints(file: string, n: number): Float64Array[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Nn2eqError(`--inputs-file ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'io');
  }
  let rows: number[][];
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (e) {
      throw new Nn2eqError(`--inputs-file ${file}: not valid JSON (${(e as Error).message})`, 'input', 'give a list of rows, e.g. [[0.1, 0.2], [0.3, 0.4]]');
    }
    if (!Array.isArray(doc)) throw new Nn2eqError(`--inputs-file ${file}: expected a list of rows`, 'input');
    rows = doc.map((row) => (Array.isArray(row) ? row.flat(Infinity) : [row]).map(Number));
  } else {
    const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
    // CSV, or whitespace-separated columns (np.savetxt's default, hls4ml's .dat files).
    const cells = (l: string) => (l.includes(',') ? l.split(',') : l.trim().split(/\s+/));
    const header = lines.length > 0 && cells(lines[0]).some((c) => c.trim() !== '' && Number.isNaN(Number(c)));
    rows = (header ? lines.slice(1) : lines).map((l) => cells(l).map((c) => Number(c.trim())));
  }
  rows.forEach((r, i) => {
    if (r.length !== n) throw new Nn2eqError(`--inputs-file ${file}: row ${i + 1} has ${r.length} values, the model takes ${n}`, 'input', `give ${n} numbers a row, inputs in the model's order`);
    if (r.some((v) => !Number.isFinite(v))) throw new Nn2eqError(`--inputs-file ${file}: row ${i + 1} holds something that is not a finite number`, 'input');
  });
  if (rows.length === 0) throw new Nn2eqError(`--inputs-file ${file}: no rows`, 'input');
  return rows.map((r) => Float64Array.from(r));
}

/** The values of `text` (one of the formats with a float32 form) on the points, or undefined when it cannot run. */
async function runText(format: Format, text: string, ex: Extracted, points: Float64Array[]): Promise<number[][] | undefined> {
  try {
    const r = format === 'js' ? await runJs(text, ex.inputs, points) : format === 'numpy' ? await runNumpy(text, ex.inputs, points) : await extraRunners(text, ex.inputs, points)[format as keyof ReturnType<typeof extraRunners>]();
    return 'values' in r ? r.values : undefined;
  } catch {
    return undefined;
  }
}

/** The largest absolute and relative difference between two runs' values. */
function shift(a: number[][], b: number[][]): { maxAbs: number; maxRel: number } {
  let maxAbs = 0;
  let maxRel = 0;
  a.forEach((row, i) => row.forEach((v, j) => {
    const d = Math.abs(v - b[i][j]);
    if (!(d <= maxAbs)) maxAbs = d;
    if (d > 0) maxRel = Math.max(maxRel, d / Math.max(Math.abs(b[i][j]), Number.MIN_VALUE));
  }));
  return { maxAbs, maxRel };
}

/** How far rounding every number to `digits` significant digits moves the outputs. */
function roundingCost(ex: Extracted, points: Float64Array[], digits: number): { digits: number; maxAbs: number; maxRel: number } {
  const round = (v: number) => {
    if (!Number.isFinite(v) || v === 0) return v;
    const p = numberParts(v, digits);
    return (p.negative ? -1 : 1) * Number(`${p.mantissa}e${p.exponent}`);
  };
  const rounded = rebuild(ex.graph, ex.outputIds, (g: Graph, node, args) => {
    if (node.op === 'const') return g.constant(round(node.value));
    if (node.op === 'affine') return g.affine(args, node.coefs!.map(round), round(node.value));
    return undefined;
  });
  let maxAbs = 0;
  let maxRel = 0;
  for (const p of points) {
    const a = evaluate(ex.graph, p);
    const b = evaluate(rounded.graph, p);
    ex.outputIds.forEach((id, i) => {
      const d = Math.abs(a[id] - b[rounded.outputs[i]]);
      maxAbs = Math.max(maxAbs, d);
      if (d > 0) maxRel = Math.max(maxRel, d / Math.max(Math.abs(a[id]), Number.MIN_VALUE));
    });
  }
  return { digits, maxAbs, maxRel };
}

/** Layer by layer: TF.js sub-models cut at each layer's output against the IR's values there. */
async function firstDivergence(oracle: TfModel, ex: Extracted, points: Float64Array[], atol: number, rtol: number): Promise<VerifyReport['divergence']> {
  const tfm = await loadTf();
  const values = points.map((p) => evaluate(ex.graph, p));
  for (const call of ex.trace) {
    if (call.folded || call.outputs.length === 0) continue; // folded layers are not compared one by one
    let layer: TfModel;
    try {
      layer = oracle.getLayer(call.layer);
    } catch {
      continue; // a layer TF.js keeps inside a nested model
    }
    let outs: TfModel[];
    try {
      const o = layer.getOutputAt(call.node);
      outs = Array.isArray(o) ? o : [o];
    } catch {
      continue;
    }
    const cut = tfm.model({ inputs: oracle.inputs, outputs: outs });
    const got = await oraclePredict(oracle, ex.inputs.map((p) => p.shape), points, cut);
    let maxAbs = 0;
    let maxRel = 0;
    let bad = false;
    call.outputs.forEach((t, k) => {
      if (!got[k] || got[k][0].length !== t.ids.length) return;
      points.forEach((_, i) => {
        t.ids.forEach((id, j) => {
          const w = got[k][i][j];
          const d = Math.abs(values[i][id] - w);
          if (!(d <= atol + rtol * Math.abs(w))) bad = true;
          if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
          if (d > 0) maxRel = Math.max(maxRel, d / Math.max(Math.abs(w), Number.MIN_VALUE));
        });
      });
    });
    if (bad) return { layer: call.layer, className: call.className, maxAbs, maxRel };
  }
  return { layer: null, note: 'every layer TF.js exposes agrees; the difference arises in how outputs are combined' };
}


/** The report as a few lines for people (stderr). */
/** The report as one line of JSON; NaN and ±Infinity are written as the strings "NaN", "Infinity", "-Infinity". */
export function reportJson(r: VerifyReport): string {
  return JSON.stringify(r, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

export function reportText(r: VerifyReport): string {
  const g = (v: number) => (v === 0 ? '0' : !Number.isFinite(v) ? String(v) : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6 ? v.toExponential(2) : String(Number(v.toPrecision(3))));
  // The compared values themselves, with digits enough to see where they part.
  const exact = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(8))) : String(v));
  const lines: string[] = [];
  const pts = `${r.points.random} random, ${r.points.kinks} at kinks${r.points.user ? `, ${r.points.user} from --inputs-file` : ''}`;
  // A skipped text route is said in the first line: a PASS then covers the IR only.
  const textSkipped = r.routes.length > 1 && r.routes[r.routes.length - 1].status === 'skipped';
  lines.push(`verify: ${r.ok ? 'PASS' : 'FAIL'}${textSkipped ? ' (the text itself was not run: see below)' : ''} — ${r.format} against ${r.reference ?? 'TensorFlow.js'} on ${r.points.random + r.points.kinks + r.points.user} points (${pts}); tolerance atol ${g(r.tolerance.atol)} + rtol ${g(r.tolerance.rtol)}`);
  for (const route of r.routes) {
    if (!route.outputs) {
      lines.push(`  ${route.route}: ${route.status}${route.reason ? ` (${route.reason})` : ''}`);
      continue;
    }
    lines.push(`  ${route.route}: ${route.status}`);
    for (const o of route.outputs) {
      const at = o.worstInput.length > 6 ? `[${o.worstInput.slice(0, 6).map(g).join(', ')}, …]` : `[${o.worstInput.map(g).join(', ')}]`;
      const ref = r.reference ?? 'TF.js';
      const nf = o.nonFinite > 0 ? `; ${o.nonFinite} value${o.nonFinite === 1 ? '' : 's'} NaN or infinite where ${ref} gives ${Number.isNaN(o.want) ? 'NaN too (never a match)' : 'another value'}` : '';
      lines.push(`    ${o.output}: max abs error ${g(o.maxAbs)}, max rel error ${g(o.maxRel)}${nf}; worst at point ${o.worstPoint + 1} ${at}: got ${exact(o.got)}, ${ref} ${exact(o.want)}${o.within ? '' : '  <- over tolerance'}`);
    }
  }
  if (r.dtype === 'float32') {
    lines.push(`  float32 text: tolerance atol ${g(r.tolerance.atol)} + rtol ${g(r.tolerance.rtol)}${r.tolerance.atol === FLOAT32_TOLERANCE[0] && r.tolerance.rtol === FLOAT32_TOLERANCE[1] ? ' (the float32 default; --tolerance sets another)' : ''}; ${r.float32 ? `its outputs move by up to ${g(r.float32.maxAbs)} (relative ${g(r.float32.maxRel)}) from the float64 text's` : "the float64 text's outputs were not available to compare"}`);
  }
  if (r.wasm !== undefined) {
    lines.push(`  --wasm: the WebAssembly kernels sum in the value type, bias first (the plain loops add it last, and sum float32 values in float64), checked at the same tolerance (atol ${g(r.tolerance.atol)} + rtol ${g(r.tolerance.rtol)}); ${r.wasm ? `their outputs move by up to ${g(r.wasm.maxAbs)} (relative ${g(r.wasm.maxRel)}) from the plain loops'` : "the plain loops' outputs were not available to compare"}`);
  }
  if (r.rounding) {
    lines.push(`  rounding to ${r.rounding.digits} significant digits moves the outputs by up to ${g(r.rounding.maxAbs)} (relative ${g(r.rounding.maxRel)})${r.rounding.maxAbs > r.tolerance.atol ? ' — more than the tolerance: use more digits or drop --precision' : ''}`);
  }
  if (r.divergence) {
    if (r.divergence.layer === null) lines.push(`  first diverging layer: none found (${r.divergence.note})`);
    else lines.push(`  first diverging layer: '${r.divergence.layer}' (${r.divergence.className}), max abs error ${g(r.divergence.maxAbs)}, max rel error ${g(r.divergence.maxRel)}`);
  }
  return `${lines.join('\n')}\n`;
}
