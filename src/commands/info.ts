import { DEFAULT_MAX_SIZE } from '../convert.js';
import { EMITTERS, FORMATS } from '../emit/index.js';
import { estimateSize } from '../emit/render.js';
import { humanBytes } from '../ir/graph.js';
import { Nn2eqError } from '../errors.js';
import { extract, type Extracted } from '../extract/index.js';
import { readHdf5, stringAttr } from '../load/hdf5.js';
import { readFile } from '../load/files.js';
import { loadAnyModel, loadModel, type ModelSpec, type TfGraphModel } from '../load/index.js';
import { scalarize } from '../tensor/scalarize.js';
import { isObject } from '../load/json.js';
import { isHdf5 } from '../load/keras.js';
import { readZip } from '../load/zip.js';
import { schedule } from '../schedule.js';
import { lower } from '../transform/lower.js';

/** One row of the layer table. */
export interface LayerInfo {
  readonly name: string;
  readonly className: string;
  /** Output shape of each call (without the batch axis); null when the model could not be extracted. */
  readonly outputShapes: (readonly number[])[] | null;
  readonly params: number;
}

/** What `nn2eq info` reports, also as JSON (`--report json`). */
export interface InfoReport {
  readonly file: string;
  /** The file format: 'TF.js layers model.json', 'Keras HDF5', 'Keras 3 .keras archive', 'Keras architecture JSON + HDF5 weights'. */
  readonly fileFormat: string;
  /** The framework (and version) that wrote the file, as the file records it; null when it records none. */
  readonly writtenBy: string | null;
  /** Keras semantics applied (TF.js files follow Keras 2). */
  readonly kerasMajor: number;
  readonly name: string;
  readonly inputs: { readonly name: string; readonly shape: readonly (number | null)[] }[];
  readonly outputs: { readonly name: string; readonly shape: readonly number[] | null }[];
  readonly layers: LayerInfo[];
  readonly totalParams: number;
  /** Estimated bytes of text per format, scalar let form and --inline closed form; null with the reason when there is no scalar form. */
  readonly sizes: { readonly format: string; readonly letForm: number; readonly inline: number }[] | null;
  readonly sizesNote?: string;
}

/** Loads a model and describes it without printing its equations. */
export async function info(path: string, opts: { weights?: string; timesteps?: number } = {}): Promise<InfoReport> {
  if (path !== '-' && opts.weights === undefined) {
    const loaded = await loadAnyModel(path);
    if ('tfgraph' in loaded) return graphInfo(loaded.tfgraph);
  }
  const model = await loadModel(path, { weights: opts.weights });
  let ex: Extracted | null = null;
  let note: string | undefined;
  try {
    // A graph that stores nothing measures first, so a model past the default --max-size is
    // refused in seconds (as conversion does) instead of after filling memory.
    extract(model, { timesteps: opts.timesteps, sizeBudget: 1.5 * DEFAULT_MAX_SIZE, dry: true, maxSizeShown: DEFAULT_MAX_SIZE });
    ex = extract(model, { timesteps: opts.timesteps });
  } catch (e) {
    if (!(e instanceof Nn2eqError)) throw e;
    note = e.message + (e.hint ? `; hint: ${e.hint}` : '');
  }
  const shapes = new Map<string, (readonly number[])[]>();
  for (const call of ex?.trace ?? []) {
    const s = shapes.get(call.layer) ?? [];
    s.push(...call.outputs.map((t) => t.shape));
    shapes.set(call.layer, s);
  }
  const layers: LayerInfo[] = model.layers.map((l) => {
    let params = 0;
    for (const w of l.weights.values()) params += w.values.length;
    const inputShape = l.className === 'InputLayer' ? model.inputs.find((i) => i.ref.layer === l.name)?.shape : undefined;
    return { name: l.name, className: l.className, outputShapes: ex ? (shapes.get(l.name) ?? (inputShape ? [inputShape.map((d) => d ?? 0)] : [])) : null, params };
  });
  const { fileFormat, writtenBy } = await describeFile(model, path, opts.weights);
  return {
    file: model.file,
    fileFormat,
    writtenBy,
    kerasMajor: model.kerasMajor,
    name: model.name,
    inputs: model.inputs.map((i) => ({ name: i.ref.layer, shape: i.shape })),
    outputs: model.outputs.map((r, k) => ({ name: r.layer, shape: ex ? ex.outputs[k].shape : null })),
    layers,
    totalParams: layers.reduce((n, l) => n + l.params, 0),
    sizes: ex ? sizes(ex) : null,
    sizesNote: note,
  };
}

/** A TF.js graph model: its tensor program's layer calls (one per TF op) and ports. */
async function graphInfo(graph: TfGraphModel): Promise<InfoReport> {
  const { buildTfProgram } = await import('../extract/tf/index.js');
  const program = buildTfProgram(graph);
  let ex: Extracted | null = null;
  let note: string | undefined;
  try {
    scalarize(program, { sizeBudget: 1.5 * DEFAULT_MAX_SIZE, dry: true });
    ex = scalarize(program);
  } catch (e) {
    if (!(e instanceof Nn2eqError)) throw e;
    note = e.message + (e.hint ? `; hint: ${e.hint}` : '');
  }
  // Parameters: the float weights of the file each op reads (integer Consts are shapes and axes).
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const layers: LayerInfo[] = program.calls.map((c) => {
    let params = 0;
    for (const input of byName.get(c.layer)?.inputs ?? []) {
      const w = graph.consts.get(input.replace(/:\d+$/, ''));
      if (w && !/int|bool/.test(w.dtype)) params += w.values.length;
    }
    return { name: c.layer, className: c.className, outputShapes: c.outputs.map((t) => t.shape), params };
  });
  const doc = graph.document;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const writtenBy = [str(doc.generatedBy), str(doc.convertedBy) && `converted by ${str(doc.convertedBy)}`].filter(Boolean).join(', ');
  return {
    file: graph.file,
    fileFormat: 'TF.js graph model.json',
    writtenBy: writtenBy || null,
    kerasMajor: 0,
    name: graph.name,
    inputs: program.inputs.map((p) => ({ name: p.name, shape: p.tensor.shape })),
    outputs: program.outputs.map((p) => ({ name: p.name, shape: p.tensor.shape })),
    layers,
    totalParams: layers.reduce((n, l) => n + l.params, 0),
    sizes: ex ? sizes(ex) : null,
    sizesNote: note,
  };
}

function sizes(ex: Extracted): InfoReport['sizes'] {
  return FORMATS.map((format) => {
    const lowered = lower(ex.graph, ex.outputIds, EMITTERS[format].supports, EMITTERS[format].textbook);
    const est = (inline: boolean) => estimateSize(schedule(lowered.graph, ex.inputs, ex.outputs, lowered.outputs, inline));
    return { format, letForm: est(false), inline: est(true) };
  });
}

/** The file format, told by the bytes as the loader tells it, and the writer the file records. */
async function describeFile(model: ModelSpec, path: string, weights: string | undefined): Promise<{ fileFormat: string; writtenBy: string | null }> {
  if (path === '-' && model.format === 'tfjs') return { fileFormat: 'TF.js layers model.json', writtenBy: null };
  let bytes: Uint8Array;
  try {
    bytes = readFile(path === '-' ? model.sources[0] : path);
  } catch {
    return { fileFormat: model.format === 'tfjs' ? 'TF.js layers model.json' : 'Keras', writtenBy: null };
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  if (isHdf5(bytes)) {
    const root = await readHdf5(bytes, model.file);
    const v = str(stringAttr(root, 'keras_version'));
    const backend = str(stringAttr(root, 'backend'));
    return { fileFormat: 'Keras HDF5', writtenBy: v && `Keras ${v}${backend ? ` (${backend} backend)` : ''}` };
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const meta = (await readZip(bytes, model.file)).get('metadata.json');
    const doc: unknown = meta ? JSON.parse(new TextDecoder().decode(meta)) : null;
    const v = isObject(doc) ? str(doc.keras_version) : null;
    return { fileFormat: 'Keras 3 .keras archive', writtenBy: v && `Keras ${v}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    doc = null;
  }
  const o = isObject(doc) ? doc : {};
  if (model.format === 'tfjs') {
    const parts = [str(o.generatedBy), str(o.convertedBy) && `converted by ${str(o.convertedBy)}`, isObject(o.modelTopology) && str(o.modelTopology.keras_version)].filter(Boolean);
    return { fileFormat: 'TF.js layers model.json', writtenBy: parts.length > 0 ? parts.join(', ') : null };
  }
  return { fileFormat: `Keras architecture JSON + HDF5 weights (${weights})`, writtenBy: str(o.keras_version) && `Keras ${str(o.keras_version)}${str(o.backend) ? ` (${str(o.backend)} backend)` : ''}` };
}

function shape(s: readonly (number | null)[]): string {
  return `[${s.map((d) => d ?? 'None').join(', ')}]`;
}

/** A plain-text table, columns padded; right-aligned columns are numbers. */
function table(head: string[], rows: string[][], right: Set<number>): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (right.has(i) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)];
}

/** The report as text for a person. */
export function infoText(r: InfoReport): string {
  const out: string[] = [];
  out.push(`${r.file}: ${r.fileFormat}, model '${r.name}'`);
  out.push(`written by: ${r.writtenBy ?? 'not recorded in the file'}${r.kerasMajor > 0 ? ` (Keras ${r.kerasMajor} semantics)` : ''}`);
  out.push('', ...r.inputs.map((i) => `input   ${i.name} ${shape(i.shape)}`), ...r.outputs.map((o) => `output  ${o.name} ${o.shape ? shape(o.shape) : '?'}`));
  out.push('', ...table(['layer', 'class', 'output shape', 'parameters'], r.layers.map((l) => [l.name, l.className, l.outputShapes === null ? '?' : l.outputShapes.map(shape).join(' ') || '-', l.params.toLocaleString('en-US')]), new Set([3])));
  out.push(`total parameters: ${r.totalParams.toLocaleString('en-US')}`);
  if (r.sizes) {
    out.push('', ...table(['format', 'let form (default)', 'closed form (--inline)'], r.sizes.map((s) => [s.format, `~${humanBytes(s.letForm)}`, `~${humanBytes(s.inline)}`]), new Set([1, 2])));
  } else {
    out.push('', `no scalar form: ${r.sizesNote}`);
  }
  return `${out.join('\n')}\n`;
}
