import { currentDir, dirname, readFile, realPath, resolve } from './files.js';
import { Nn2eqError } from '../errors.js';
import { isObject, objectAt, parseJson, type JsonObject } from './json.js';
import { attachWeightsFile, isHdf5, loadKerasHdf5, loadKerasZip, variableName, warnNonFinite } from './keras.js';
import type { LayerSpec, ModelSpec, Weight } from './spec.js';
import { isGraphModel, readManifestWeights } from './tfjs.js';
import { looksLikeOnnx } from './onnx/detect.js';
import type { OnnxModel } from './onnx/types.js';
import { parseTopology, type Topology } from './topology.js';
import type { TfGraphModel } from './tfgraph.js';

export type { ModelSpec, LayerSpec, Weight, TensorRef, InputSpec } from './spec.js';
export { looksLikeOnnx } from './onnx/detect.js';
export type { OnnxModel } from './onnx/types.js';
export type { TfGraphModel, TfNode, TfAttr, TfTensor, TfPort } from './tfgraph.js';

/** Options of `loadModel`. */
export interface LoadOptions {
  /** A weights file for a Keras architecture JSON (`model.to_json()`). */
  readonly weights?: string;
}

/**
 * Reads a model file ('-' for standard input) into a `ModelSpec`. The format is told by the
 * bytes, never the extension: HDF5 signature, zip signature ('PK'), else JSON (TF.js model.json
 * or a Keras architecture JSON, which needs `weights`).
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<ModelSpec> {
  const file = path === '-' ? '<stdin>' : path;
  const model = await loadModelBytes(readInput(path, file), path, file, options);
  if ('nodes' in model) throw new Nn2eqError(`${file}: is a TF.js graph model, which loadModel does not read`, 'usage', 'use convertFile or loadAnyModel, which read graph models too');
  return model;
}

/**
 * Reads any model file ('-' for standard input) once: an ONNX model as an `OnnxModel` (the
 * converter maps its graph itself), every other format as a `ModelSpec`.
 */
export async function loadAnyModel(path: string, options: LoadOptions = {}): Promise<{ readonly spec: ModelSpec } | { readonly onnx: OnnxModel } | { readonly tfgraph: TfGraphModel }> {
  const file = path === '-' ? '<stdin>' : path;
  const bytes = readInput(path, file);
  if (!looksLikeOnnx(bytes)) {
    const model = await loadModelBytes(bytes, path, file, options);
    return 'nodes' in model ? { tfgraph: model } : { spec: model };
  }
  if (options.weights !== undefined) throw new Nn2eqError(`${file}: is an ONNX model, which holds its own weights, so --weights is not used`, 'usage', 'drop --weights');
  const { decodeOnnx } = await import('./onnx/index.js');
  const model = decodeOnnx(bytes, file, path === '-' ? currentDir() : dirname(resolve(path)));
  if (path !== '-') model.sources.unshift(realPath(path));
  return { onnx: model };
}

async function loadModelBytes(bytes: Uint8Array, path: string, file: string, options: LoadOptions): Promise<ModelSpec | TfGraphModel> {
  const sources: string[] = [];
  const warnings: string[] = [];
  let topology: Topology;
  if (isHdf5(bytes)) {
    if (options.weights !== undefined) throw new Nn2eqError(`${file}: is a Keras HDF5 file, which holds its own weights, so --weights is not used`, 'usage', 'drop --weights, or pass the architecture JSON instead of this file');
    topology = await loadKerasHdf5(bytes, file, warnings);
  } else if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    if (options.weights !== undefined) throw new Nn2eqError(`${file}: is a .keras archive with its own weights, so --weights is not used`, 'usage', 'drop --weights');
    topology = await loadKerasZip(bytes, file, warnings);
  } else if (looksLikeOnnx(bytes) || bytes[0] === 0x08) {
    // 0x08 (ir_version's tag) starts no JSON text: decode, so a damaged ONNX file gets its own error.
    const { decodeOnnx } = await import('./onnx/index.js');
    decodeOnnx(bytes, file, path === '-' ? currentDir() : dirname(resolve(path)));
    throw new Nn2eqError(`${file}: is an ONNX model, which loadModel does not read`, 'usage', 'use convertFile or loadAnyModel, which read ONNX models too');
  } else {
    const what = notAModel(bytes);
    if (what) throw new Nn2eqError(`${file}: ${what}, not a model`, 'input', 'pass a TF.js model.json, a Keras .h5 or .keras file, an ONNX model, or an architecture JSON with --weights');
    const doc = objectAt(parseJson(new TextDecoder().decode(bytes), file), file, 'the top level');
    if (doc.modelTopology !== undefined || doc.weightsManifest !== undefined) {
      if (options.weights !== undefined) throw new Nn2eqError(`${file}: is a TF.js model.json, whose weightsManifest names its weights, so --weights is not used`, 'usage', 'drop --weights');
      if (isGraphModel(doc)) {
        // The graph-model reader is imported only for a graph model (a cold start reads layers models without it).
        const { loadGraphModel } = await import('./tfgraph.js');
        const graph = loadGraphModel(doc, path === '-' ? currentDir() : dirname(resolve(path)), file);
        if (path !== '-') graph.sources.unshift(realPath(path));
        return graph;
      }
      const model = loadJsonModel(doc, path === '-' ? currentDir() : dirname(resolve(path)), file);
      if (path !== '-') (model.sources as string[]).unshift(realPath(path));
      return model;
    }
    if (!isKerasArchitecture(doc)) {
      throw new Nn2eqError(`${file}: neither a TF.js model.json (no 'modelTopology') nor a Keras architecture JSON (no 'class_name'/'config'); found keys ${Object.keys(doc).join(', ') || '(none)'}`, 'input', 'pass a model.json, a Keras .h5 or .keras file, or an architecture JSON with --weights');
    }
    if (options.weights === undefined) {
      throw new Nn2eqError(`${file}: is a Keras architecture JSON without weights`, 'usage', `add --weights <weights.h5>, the file written by model.save_weights (or model.save)`);
    }
    topology = parseTopology(doc, file);
    const wfile = options.weights;
    await attachWeightsFile(topology, readInput(wfile, wfile), wfile, warnings);
    sources.push(realPath(wfile));
  }
  if (path !== '-') sources.unshift(realPath(path));
  return { file, format: 'keras', ...topology, sources, warnings };
}

/**
 * Reads an ONNX model file ('-' for standard input) into an `OnnxModel`, told by its bytes.
 * External-data files resolve inside the model's folder (the current folder for standard input).
 * The decoder is imported on first use, so Keras and TF.js runs do not load it.
 */
export async function loadOnnx(path: string): Promise<OnnxModel> {
  const file = path === '-' ? '<stdin>' : path;
  const bytes = readInput(path, file);
  if (!looksLikeOnnx(bytes)) {
    throw new Nn2eqError(`${file}: not an ONNX model (no ModelProto with ir_version and graph at the top level)`, 'input', 'pass a .onnx file written by torch.onnx.export or onnx.save');
  }
  const { decodeOnnx } = await import('./onnx/index.js');
  const model = decodeOnnx(bytes, file, path === '-' ? currentDir() : dirname(resolve(path)));
  if (path !== '-') model.sources.unshift(realPath(path));
  return model;
}

/** Common files that are not models, told by their first bytes; undefined when it may be JSON. */
export function notAModel(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (bytes.length === 0) return 'is empty';
  if (bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) return 'holds only white space';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'is a PNG image';
  if (starts(0xff, 0xd8, 0xff)) return 'is a JPEG image';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'is a GIF image';
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'is a NumPy .npy array';
  if (starts(0x1f, 0x8b)) return 'is gzip-compressed (decompress it first)';
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'is a PDF document';
  if (starts(0x08) || starts(0x0a)) return 'looks like a protocol buffer but is not an ONNX model (a TensorFlow SavedModel .pb?), which nn2eq does not read';
  if (starts(0x80) && bytes.length > 1 && bytes[1] >= 2 && bytes[1] <= 5) return 'is a Python pickle (a PyTorch or scikit-learn file?)';
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (head !== '' && !head.startsWith('{') && !head.startsWith('[')) {
    const printable = bytes.subarray(0, 512).every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128);
    return printable ? `is text, not JSON (it begins '${head.split('\n')[0].slice(0, 24)}')` : 'is a binary file of unknown kind';
  }
  return undefined;
}

function readInput(path: string, file: string): Uint8Array {
  try {
    return readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Nn2eqError(`${file}: no such file`, 'io');
    if (code === 'EISDIR') throw new Nn2eqError(`${file}: is a folder, expected a model file`, 'io', 'pass the model file inside it (model.json, .h5 or .keras)');
    throw new Nn2eqError(`${file}: cannot read (${code ?? (e as Error).message})`, 'io');
  }
}

function isKerasArchitecture(doc: JsonObject): boolean {
  return typeof doc.class_name === 'string' && doc.config !== undefined;
}

/** Loads a TF.js layers model.json (text or parsed); shard paths resolve inside `dir`. */
export function loadJsonModel(json: string | JsonObject, dir: string, file: string): ModelSpec {
  const doc = typeof json === 'string' ? objectAt(parseJson(json, file), file, 'the top level') : json;
  if (doc.modelTopology === undefined) {
    const hint = isObject(doc) && (doc.class_name !== undefined || doc.config !== undefined)
      ? 'this looks like a Keras architecture JSON; pass its weights with --weights'
      : 'pass the model.json written by TensorFlow.js (model.save) or by tensorflowjs_converter';
    throw new Nn2eqError(`${file}: no 'modelTopology' key; found keys ${Object.keys(doc).join(', ') || '(none)'}`, 'input', hint);
  }
  if (doc.weightsManifest === undefined) {
    throw new Nn2eqError(`${file}: no 'weightsManifest' key, so there are no weights to read`, 'input', 'save the model with its weights (model.save), not only its topology');
  }
  const topology = parseTopology(doc.modelTopology, file);
  const sources: string[] = [];
  const weights = readManifestWeights(doc.weightsManifest, dir, file, sources);
  const warnings: string[] = [];
  bindWeights(topology.layers, weights, warnings);
  return { file, format: 'tfjs', ...topology, sources, warnings };
}

/**
 * Attaches each weight to its layer by name ('<layer>/<var>', ':0' suffix optional), choosing the
 * longest layer name that prefixes it, and warns about weights that are not finite.
 */
export function bindWeights(layers: LayerSpec[], weights: Weight[], warnings: string[]): void {
  const names = layers.map((l) => l.name).sort((a, b) => b.length - a.length);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const orphans: string[] = [];
  for (const w of weights) {
    const owner = names.find((n) => w.name.startsWith(`${n}/`));
    if (owner === undefined) {
      orphans.push(w.name);
      continue;
    }
    const layer = byName.get(owner)!;
    layer.weights.set(variableName(layer, w.name.slice(owner.length + 1)), w);
  }
  warnNonFinite(layers, warnings);
  if (orphans.length > 0) {
    warnings.push(`${orphans.length} weight${orphans.length === 1 ? '' : 's'} belong to no layer of the model and were ignored: ${orphans.slice(0, 5).join(', ')}${orphans.length > 5 ? ', …' : ''}`);
  }
}
