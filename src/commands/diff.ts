import { convertModel, convertWithIR, DEFAULT_MAX_SIZE } from '../convert.js';
import { tfSource } from '../extract/tf/source.js';
import { scalarize } from '../tensor/scalarize.js';
import { loadTensorEmitters, type Format } from '../emit/index.js';
import { Nn2eqError } from '../errors.js';
import { extract, type Extracted } from '../extract/index.js';
import { evaluate } from '../ir/evaluate.js';
import { loadAnyModel, loadModel, type LayerSpec, type ModelSpec } from '../load/index.js';
import { mulberry32 } from '../verify/random.js';
import { diffLines, unifiedDiff } from './linediff.js';

/** How one weight array of a layer changed. */
export interface WeightDiff {
  readonly name: string;
  readonly shape: readonly number[];
  readonly changed: number;
  readonly total: number;
  readonly maxChange: number;
  /** 1-based indices along the weight's last axis (a Dense unit, a convolution filter) holding a changed value. */
  readonly units: number[];
}

/** How one layer changed between two models of the same architecture. */
export interface LayerDiff {
  readonly name: string;
  readonly className: string;
  /** The layer's name in the new model when it differs. */
  readonly newName?: string;
  readonly weights: WeightDiff[];
  /** Configuration keys whose values differ (activation, epsilon, …). */
  readonly config: string[];
}

/** How far one scalar output moved over the sampled points. */
export interface OutputDiff {
  readonly output: string;
  readonly index: number;
  readonly maxChange: number;
  readonly at: number[];
}

/** The result of comparing two models (`nn2eq diff`, `--report json`). */
export interface DiffReport {
  readonly old: string;
  readonly new: string;
  readonly tolerance: number;
  /** True when both have the same layers, in order, with the same classes and weight shapes. */
  readonly sameArchitecture: boolean;
  /** True when nothing differs by more than the tolerance. */
  readonly equal: boolean;
  /** Same architecture: the layers that changed (weights past the tolerance, or configuration). */
  readonly layers: LayerDiff[];
  /** Different architecture: layers only in the old model, only in the new one, and matched but with other weight shapes. */
  readonly architecture?: {
    readonly removed: { readonly name: string; readonly className: string }[];
    readonly added: { readonly name: string; readonly className: string }[];
    readonly reshaped: { readonly name: string; readonly className: string; readonly old: string; readonly new: string }[];
  };
  /** Largest change of each scalar output over the sampled points (when both models take and give as many scalars). */
  readonly outputs: OutputDiff[] | null;
  readonly outputsNote?: string;
  readonly points: number;
  readonly range: readonly [number, number];
  /** The unified diff of the two texts, with --format. */
  readonly text?: string;
}

/** Options of `diff`. */
export interface DiffOptions {
  readonly tolerance?: number;
  readonly range?: readonly [number, number];
  readonly format?: Format;
  readonly timesteps?: number;
  /** Points sampled in the range (default 64). */
  readonly samples?: number;
}

function signature(l: LayerSpec): string {
  return [...l.weights].map(([key, w]) => `${key}[${w.shape.join(',')}]`).join(' ');
}

function diffLayer(a: LayerSpec, b: LayerSpec, tol: number): LayerDiff | null {
  const weights: WeightDiff[] = [];
  for (const [key, w] of a.weights) {
    const v = b.weights.get(key)!;
    const last = w.shape.length > 0 ? w.shape[w.shape.length - 1] : 1;
    const units = new Set<number>();
    let changed = 0;
    let maxChange = 0;
    for (let i = 0; i < w.values.length; i++) {
      const d = Math.abs(w.values[i] - v.values[i]);
      const differs = d > tol || (Number.isNaN(d) && !(Number.isNaN(w.values[i]) && Number.isNaN(v.values[i])));
      if (!differs) continue;
      changed++;
      maxChange = Number.isNaN(d) ? NaN : Math.max(maxChange, d);
      units.add((i % last) + 1);
    }
    if (changed > 0) weights.push({ name: key, shape: w.shape, changed, total: w.values.length, maxChange, units: [...units].sort((x, y) => x - y) });
  }
  const keys = new Set([...Object.keys(a.config), ...Object.keys(b.config)]);
  keys.delete('name');
  const config = [...keys].filter((k) => JSON.stringify(a.config[k]) !== JSON.stringify(b.config[k])).sort();
  if (weights.length === 0 && config.length === 0) return null;
  return { name: a.name, className: a.className, ...(a.name !== b.name ? { newName: b.name } : {}), weights, config };
}

function sameArchitecture(a: ModelSpec, b: ModelSpec): boolean {
  return a.layers.length === b.layers.length && a.layers.every((l, i) => l.className === b.layers[i].className && signature(l) === signature(b.layers[i]));
}

/** Layers added, removed and reshaped, matching layers by class in order (a longest common subsequence). */
function architectureDiff(a: ModelSpec, b: ModelSpec): NonNullable<DiffReport['architecture']> {
  const edits = diffLines(
    a.layers.map((l) => l.className),
    b.layers.map((l) => l.className),
  );
  const removed: { name: string; className: string }[] = [];
  const added: { name: string; className: string }[] = [];
  const reshaped: { name: string; className: string; old: string; new: string }[] = [];
  let i = 0;
  let j = 0;
  for (const e of edits) {
    if (e.op === '-') removed.push({ name: a.layers[i].name, className: a.layers[i++].className });
    else if (e.op === '+') added.push({ name: b.layers[j].name, className: b.layers[j++].className });
    else {
      const [x, y] = [a.layers[i++], b.layers[j++]];
      if (signature(x) !== signature(y)) reshaped.push({ name: x.name, className: x.className, old: signature(x), new: signature(y) });
    }
  }
  return { removed, added, reshaped };
}

/** Compares two loaded models: weights layer by layer, or the architecture, and the outputs over sampled points. */
export function diff(a: ModelSpec, b: ModelSpec, opts: DiffOptions = {}): DiffReport {
  const tol = opts.tolerance ?? 0;
  const range = opts.range ?? [-1, 1];
  const same = sameArchitecture(a, b);
  const layers: LayerDiff[] = [];
  if (same) {
    a.layers.forEach((l, i) => {
      const d = diffLayer(l, b.layers[i], tol);
      if (d) layers.push(d);
    });
  }
  let outputs: OutputDiff[] | null = null;
  let outputsNote: string | undefined;
  const samples = opts.samples ?? 64;
  let exA: Extracted;
  let exB: Extracted;
  try {
    // Measured first with a graph that stores nothing, as conversion does: a model too large to
    // have a scalar form is refused in seconds.
    const dry = { timesteps: opts.timesteps, sizeBudget: 1.5 * DEFAULT_MAX_SIZE, dry: true, maxSizeShown: DEFAULT_MAX_SIZE };
    // A graph model carries its tensor program: its scalar IR comes from there.
    const ir = (m: ModelSpec, measure: boolean): Extracted => {
      const program = tfSource(m)?.program;
      if (!program) return extract(m, measure ? dry : { timesteps: opts.timesteps });
      return scalarize(program, measure ? { sizeBudget: dry.sizeBudget, dry: true } : {});
    };
    ir(a, true);
    ir(b, true);
    exA = ir(a, false);
    exB = ir(b, false);
  } catch (e) {
    if (!(e instanceof Nn2eqError)) throw e;
    exA = exB = { graph: null!, inputs: [], outputs: [], outputIds: [], trace: [] };
    outputsNote = `outputs not compared: ${e.message}`;
  }
  const nIn = exA.inputs.reduce((n, p) => n + p.size, 0);
  if (outputsNote) {
    /* nothing to evaluate */
  } else if (nIn !== exB.inputs.reduce((n, p) => n + p.size, 0) || exA.outputIds.length !== exB.outputIds.length) {
    outputsNote = `the models take or give different numbers of scalars (${nIn} in, ${exA.outputIds.length} out vs ${exB.inputs.reduce((n, p) => n + p.size, 0)} in, ${exB.outputIds.length} out), so their outputs are not compared`;
  } else {
    const rng = mulberry32(20261123);
    outputs = exA.outputIds.map((_, k) => ({ output: `y${k + 1}`, index: k + 1, maxChange: 0, at: [] as number[] }));
    const worst = outputs as { maxChange: number; at: number[] }[];
    for (let s = 0; s < samples; s++) {
      const p = Float64Array.from({ length: nIn }, () => range[0] + (range[1] - range[0]) * rng());
      const va = evaluate(exA.graph, p);
      const vb = evaluate(exB.graph, p);
      exA.outputIds.forEach((id, k) => {
        const d = Math.abs(va[id] - vb[exB.outputIds[k]]);
        const nanNow = Number.isNaN(d) && !(Number.isNaN(va[id]) && Number.isNaN(vb[exB.outputIds[k]]));
        if (nanNow || d > worst[k].maxChange) {
          worst[k].maxChange = nanNow ? NaN : d;
          worst[k].at = Array.from(p);
        }
      });
    }
  }
  const outputsMoved = outputs?.some((o) => !(o.maxChange <= tol)) ?? false;
  const report: DiffReport = {
    old: a.file,
    new: b.file,
    tolerance: tol,
    sameArchitecture: same,
    equal: same && layers.length === 0 && !outputsMoved,
    layers,
    ...(same ? {} : { architecture: architectureDiff(a, b) }),
    outputs,
    ...(outputsNote ? { outputsNote } : {}),
    points: outputs ? samples : 0,
    range: [range[0], range[1]],
  };
  if (opts.format) {
    const text = (m: ModelSpec) => {
      const program = tfSource(m)?.program;
      const printed = program ? convertWithIR(m, { format: opts.format!, timesteps: opts.timesteps }, program).text : convertModel(m, { format: opts.format!, timesteps: opts.timesteps });
      return explode(printed, opts.format === 'json');
    };
    return { ...report, text: unifiedDiff(text(a), text(b), a.file, b.file) };
  }
  return report;
}

/**
 * The text's lines with every sum split before each ' + ' / ' - ' (JSON: after each ', '), so
 * that one weight is one line and a changed weight shows as one changed line (continuations are indented).
 */
export function explode(text: string, json = false): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    // In JSON the weights are list items: one per line there too.
    const parts = json ? line.split(/(?<=,) /) : line.split(/(?= [+-] )/);
    out.push(parts[0], ...parts.slice(1).map((p) => `    ${json ? p : p.slice(1)}`));
  }
  return out;
}

/** Loads both files and compares them. */
export async function diffFiles(oldPath: string, newPath: string, opts: DiffOptions = {}): Promise<DiffReport> {
  if (oldPath === '-' && newPath === '-') throw new Nn2eqError('diff: both models cannot come from standard input', 'usage', "pass at most one '-'");
  const [a, b] = [await loadForDiff(oldPath), await loadForDiff(newPath)];
  if (opts.format) await loadTensorEmitters(opts.format);
  return diff(a, b, opts);
}

/** A model file as a ModelSpec; a TF.js graph model's carries its tensor program (see tfModelSpec). */
async function loadForDiff(path: string): Promise<ModelSpec> {
  if (path === '-') return loadModel(path);
  const loaded = await loadAnyModel(path);
  if ('spec' in loaded) return loaded.spec;
  if ('onnx' in loaded) return loadModel(path);
  const { buildTfProgram, tfModelSpec } = await import('../extract/tf/index.js');
  return tfModelSpec(loaded.tfgraph, buildTfProgram(loaded.tfgraph));
}

function num(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v === 0 ? '0' : v.toPrecision(3);
}

function unitList(u: readonly number[]): string {
  return u.length > 8 ? `${u.slice(0, 8).join(', ')}, … (${u.length})` : u.join(', ');
}

/** The report as text for a person reviewing a retrained model. */
export function diffText(r: DiffReport): string {
  const out: string[] = [];
  if (r.text) out.push(r.text.trimEnd(), '');
  out.push(`${r.old} -> ${r.new}: ${r.equal ? 'equal' : 'different'}${r.tolerance > 0 ? ` (tolerance ${r.tolerance})` : ''}`);
  if (r.sameArchitecture) {
    if (r.layers.length === 0) out.push('  same architecture; no weight changed');
    for (const l of r.layers) {
      out.push(`  layer ${l.name}${l.newName ? ` (now ${l.newName})` : ''} (${l.className}):`);
      for (const w of l.weights) out.push(`    ${w.name} [${w.shape.join(', ')}]: ${w.changed} of ${w.total} changed, largest by ${num(w.maxChange)}; units ${unitList(w.units)}`);
      if (l.config.length > 0) out.push(`    configuration changed: ${l.config.join(', ')}`);
    }
  } else {
    const arch = r.architecture!;
    out.push('  different architecture:');
    for (const l of arch.removed) out.push(`    removed  ${l.name} (${l.className})`);
    for (const l of arch.added) out.push(`    added    ${l.name} (${l.className})`);
    for (const l of arch.reshaped) out.push(`    reshaped ${l.name} (${l.className}): ${l.old} -> ${l.new}`);
  }
  if (r.outputs) {
    out.push(`  outputs over ${r.points} points in [${r.range[0]}, ${r.range[1]}]:`);
    for (const o of r.outputs) out.push(`    ${o.output}: moved by at most ${num(o.maxChange)}`);
  } else if (r.outputsNote) out.push(`  ${r.outputsNote}`);
  return `${out.join('\n')}\n`;
}
