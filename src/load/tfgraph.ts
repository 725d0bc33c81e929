import { Nn2eqError } from '../errors.js';
import { arrayAt, isObject, objectAt, stringAt, type Json, type JsonObject } from './json.js';
import { readManifestWeights } from './tfjs.js';

/**
 * TF.js graph models: `model.json` whose `modelTopology` is a TensorFlow GraphDef written as JSON
 * (what tensorflowjs_converter writes for a SavedModel, a frozen graph or a TF Hub module). The
 * GraphDef's protobuf-JSON encodings (int64 as strings, bytes as base64) are decoded here and
 * nowhere else; the weights come from the same shard reader as for layers models.
 */

/** A tensor: its TF dtype ('float32', 'int32', 'bool', …), full shape and row-major values. */
export interface TfTensor {
  readonly dtype: string;
  readonly dims: readonly number[];
  readonly values: Float64Array;
}

/** A node attribute in its decoded form, tagged by the AttrValue field it came from. */
export type TfAttr =
  | { readonly kind: 'i'; readonly value: number }
  | { readonly kind: 'f'; readonly value: number }
  | { readonly kind: 'b'; readonly value: boolean }
  | { readonly kind: 's'; readonly value: string }
  | { readonly kind: 'type'; readonly value: string }
  /** Dimensions with -1 for an unknown one; null for an unknown rank. */
  | { readonly kind: 'shape'; readonly value: number[] | null }
  /** The tensor's declared dtype and shape; values only when the GraphDef holds them. */
  | { readonly kind: 'tensor'; readonly value: { dtype: string; dims: number[]; values: Float64Array | null } }
  | { readonly kind: 'list'; readonly value: (number | boolean | string | number[] | null)[] }
  | { readonly kind: 'other' };

/** One GraphDef node; `inputs` are tensor names ('node' or 'node:k'), control inputs ('^node') dropped. */
export interface TfNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly attrs: ReadonlyMap<string, TfAttr>;
}

/** A model input: its display name, the Placeholder node it feeds, and its declared shape (-1 unknown). */
export interface TfPort {
  readonly name: string;
  /** The tensor name in the graph ('node' for output 0, else 'node:k'). */
  readonly tensor: string;
  readonly dims: readonly number[] | null;
}

/** A decoded TF.js graph model. */
export interface TfGraphModel {
  readonly file: string;
  readonly name: string;
  readonly nodes: readonly TfNode[];
  /** Const values by node name (from the weight manifest, else the node's tensor attribute). */
  readonly consts: ReadonlyMap<string, TfTensor>;
  readonly inputs: readonly TfPort[];
  readonly outputs: readonly TfPort[];
  /** The model.json as parsed and its weight shards in manifest order, for TF.js as the reference (--verify). */
  readonly document: JsonObject;
  readonly shards: readonly string[];
  /** Every file the model was read from (resolved). */
  readonly sources: string[];
  readonly warnings: string[];
}

const DTYPES: Readonly<Record<string, string>> = {
  DT_FLOAT: 'float32',
  DT_HALF: 'float16',
  DT_DOUBLE: 'float64',
  DT_BFLOAT16: 'bfloat16',
  DT_INT32: 'int32',
  DT_INT64: 'int64',
  DT_INT16: 'int16',
  DT_INT8: 'int8',
  DT_UINT8: 'uint8',
  DT_UINT16: 'uint16',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
  DT_COMPLEX64: 'complex64',
  DT_RESOURCE: 'resource',
};

/** A TF DataType enum name ('DT_FLOAT') as a dtype name ('float32'); unknown names kept. */
export function tfDtype(name: string): string {
  return DTYPES[name] ?? name;
}

/** Loads a graph model.json (already parsed); shard paths resolve inside `dir`. */
export function loadGraphModel(doc: JsonObject, dir: string, file: string): TfGraphModel {
  const topo = objectAt(doc.modelTopology, file, 'modelTopology');
  const rawNodes = arrayAt(topo.node, file, 'modelTopology.node');
  const nodes = rawNodes.map((n, i) => parseNode(n, file, `modelTopology.node[${i}]`));
  const sources: string[] = [];
  const warnings: string[] = [];
  const weights = doc.weightsManifest === undefined ? [] : readManifestWeights(doc.weightsManifest, dir, file, sources);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consts = new Map<string, TfTensor>();
  for (const w of weights) {
    const node = byName.get(w.name);
    const dtype = node ? attrType(node, 'dtype') : 'float32';
    // TF.js rounds int32 weights stored quantized; plain int32 and float32 are exact in float32/float64.
    const values = dtype === 'int32' ? Float64Array.from(w.values, (v) => Math.round(v)) : Float64Array.from(w.values);
    consts.set(w.name, { dtype, dims: [...w.shape], values });
  }
  for (const n of nodes) {
    if (n.op !== 'Const' || consts.has(n.name)) continue;
    const t = n.attrs.get('value');
    if (t?.kind === 'tensor' && t.value.values) consts.set(n.name, { dtype: t.value.dtype, dims: t.value.dims, values: t.value.values });
  }
  const { inputs, outputs } = ports(doc, nodes, file, warnings);
  // 'model.json' says nothing: its folder names the model.
  const parts = file.split(/[\\/]/);
  const base = parts[parts.length - 1].replace(/\.json$/, '');
  const name = typeof doc.name === 'string' ? doc.name : base === 'model' && parts.length > 1 ? parts[parts.length - 2] : base;
  return { file, name, nodes, consts, inputs, outputs, document: doc, shards: [...sources], sources, warnings };
}

function attrType(node: TfNode, key: string): string {
  const a = node.attrs.get(key);
  return a?.kind === 'type' ? a.value : 'float32';
}

function parseNode(v: Json, file: string, where: string): TfNode {
  const o = objectAt(v, file, where);
  const name = stringAt(o.name, file, `${where}.name`);
  const op = stringAt(o.op, file, `${where}.op`);
  const inputs = o.input === undefined ? [] : arrayAt(o.input, file, `${where}.input`).map((s, i) => stringAt(s, file, `${where}.input[${i}]`)).filter((s) => !s.startsWith('^'));
  const attrs = new Map<string, TfAttr>();
  if (o.attr !== undefined) {
    for (const [k, a] of Object.entries(objectAt(o.attr, file, `${where}.attr`))) attrs.set(k, parseAttr(a, file, `node '${name}' attribute '${k}'`));
  }
  return { name, op, inputs, attrs };
}

/** protobuf JSON writes int64 as a string (or a number when small). */
function int(v: Json | undefined, file: string, where: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Nn2eqError(`${file}: ${where} should be an integer, found ${JSON.stringify(v)}`);
  return n;
}

/** protobuf JSON writes floats as numbers, or 'NaN' / 'Infinity' / '-Infinity'. */
function float(v: Json | undefined, file: string, where: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number') throw new Nn2eqError(`${file}: ${where} should be a number, found ${JSON.stringify(v)}`);
  return n;
}

/** Base64 to bytes with what Node and browsers both have (no Buffer: the page bundles this loader). */
function base64Bytes(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function base64Text(v: Json | undefined, file: string, where: string): string {
  return new TextDecoder().decode(base64Bytes(stringAt(v, file, where)));
}

function shapeOf(v: Json, file: string, where: string): number[] | null {
  const o = objectAt(v, file, where);
  if (o.unknownRank === true) return null;
  if (o.dim === undefined) return [];
  return arrayAt(o.dim, file, `${where}.dim`).map((d, i) => int(objectAt(d, file, `${where}.dim[${i}]`).size ?? '0', file, `${where}.dim[${i}].size`));
}

function parseAttr(v: Json, file: string, where: string): TfAttr {
  const o = objectAt(v, file, where);
  if (o.i !== undefined) return { kind: 'i', value: int(o.i, file, where) };
  if (o.f !== undefined) return { kind: 'f', value: float(o.f, file, where) };
  if (o.b !== undefined) return { kind: 'b', value: o.b === true };
  if (o.s !== undefined) return { kind: 's', value: base64Text(o.s, file, where) };
  if (o.type !== undefined) return { kind: 'type', value: tfDtype(stringAt(o.type, file, where)) };
  if (o.shape !== undefined) return { kind: 'shape', value: shapeOf(o.shape, file, where) };
  if (o.tensor !== undefined) return { kind: 'tensor', value: tensorOf(o.tensor, file, where) };
  if (o.list !== undefined) {
    const l = objectAt(o.list, file, where);
    const items: (number | boolean | string | number[] | null)[] = [];
    for (const x of (l.i as Json[] | undefined) ?? []) items.push(int(x, file, where));
    for (const x of (l.f as Json[] | undefined) ?? []) items.push(float(x, file, where));
    for (const x of (l.b as Json[] | undefined) ?? []) items.push(x === true);
    for (const x of (l.s as Json[] | undefined) ?? []) items.push(base64Text(x, file, where));
    for (const x of (l.type as Json[] | undefined) ?? []) items.push(tfDtype(stringAt(x, file, where)));
    for (const x of (l.shape as Json[] | undefined) ?? []) items.push(shapeOf(x, file, where));
    return { kind: 'list', value: items };
  }
  return { kind: 'other' };
}

/** A TensorProto in JSON: values from tensorContent (base64, little-endian) or the typed *Val lists (the last repeated to fill). */
function tensorOf(v: Json, file: string, where: string): { dtype: string; dims: number[]; values: Float64Array | null } {
  const o = objectAt(v, file, where);
  const dtype = tfDtype(typeof o.dtype === 'string' ? o.dtype : 'DT_FLOAT');
  const dims = o.tensorShape === undefined ? [] : (shapeOf(o.tensorShape, file, `${where}.tensorShape`) ?? []);
  const n = dims.reduce((a, b) => a * b, 1);
  if (typeof o.tensorContent === 'string') {
    const bytes = base64Bytes(o.tensorContent);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const read: Record<string, [number, (at: number) => number]> = {
      float32: [4, (at) => view.getFloat32(at, true)],
      float64: [8, (at) => view.getFloat64(at, true)],
      int32: [4, (at) => view.getInt32(at, true)],
      int64: [8, (at) => Number(view.getBigInt64(at, true))],
      uint8: [1, (at) => view.getUint8(at)],
      bool: [1, (at) => view.getUint8(at)],
    };
    const r = read[dtype];
    if (!r || bytes.length !== n * r[0]) return { dtype, dims, values: null };
    return { dtype, dims, values: Float64Array.from({ length: n }, (_, i) => r[1](i * r[0])) };
  }
  const list = (o.floatVal ?? o.doubleVal ?? o.intVal ?? o.int64Val ?? o.boolVal ?? o.halfVal) as Json[] | undefined;
  if (!Array.isArray(list) || list.length === 0) return { dtype, dims, values: n === 0 ? new Float64Array(0) : null };
  const nums = list.map((x) => (x === true ? 1 : x === false ? 0 : float(x, file, where)));
  return { dtype, dims, values: Float64Array.from({ length: n }, (_, i) => nums[Math.min(i, nums.length - 1)]) };
}

/** The tensor name a signature entry or an input list names ('x:0' is output 0 of node 'x'). */
function tensorName(s: string): string {
  return s.endsWith(':0') ? s.slice(0, -2) : s;
}

/**
 * Inputs and outputs: from `signature` (top level, or in userDefinedMetadata) when given, in its
 * order, named by its keys when they are plain; else the Placeholders and the nodes no other node
 * reads, in graph order, named by their nodes. A signature output that names no node is left out
 * with a warning, as TF.js leaves it out (the converter can fuse a signature's BiasAdd into the
 * convolution before it and keep the old name); when none names a node the signature is refused.
 */
function ports(doc: JsonObject, nodes: readonly TfNode[], file: string, warnings: string[]): { inputs: TfPort[]; outputs: TfPort[] } {
  const meta = isObject(doc.userDefinedMetadata) ? doc.userDefinedMetadata : undefined;
  const sig = isObject(meta?.signature) ? meta.signature : isObject(doc.signature) ? doc.signature : undefined;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const declared = (name: string): number[] | null => {
    const n = byName.get(name);
    const s = n?.attrs.get('shape');
    return s?.kind === 'shape' ? s.value : null;
  };
  const fromSig = (entries: Json | undefined, what: string): TfPort[] | undefined => {
    if (!isObject(entries) || Object.keys(entries).length === 0) return undefined;
    return Object.entries(entries).flatMap(([key, e]): TfPort[] => {
      const o = objectAt(e, file, `signature.${what}['${key}']`);
      const t = tensorName(typeof o.name === 'string' ? o.name : key);
      const node = t.replace(/:\d+$/, '');
      if (!byName.has(node)) {
        if (what === 'outputs' && Object.values(entries).some((x) => isObject(x) && typeof x.name === 'string' && byName.has(tensorName(x.name).replace(/:\d+$/, '')))) {
          warnings.push(`the signature's output '${key}' names '${t}', which is no node of the graph: left out, as TF.js leaves it out`);
          return [];
        }
        throw new Nn2eqError(`${file}: the signature's ${what.slice(0, -1)} '${key}' names '${t}', which is no node of the graph`, 'input', 'the signature does not belong to this modelTopology');
      }
      const shape = isObject(o.tensorShape) ? shapeOf(o.tensorShape, file, `signature.${what}['${key}'].tensorShape`) : declared(node);
      const plain = key.replace(/:0$/, '');
      return [{ name: /^[A-Za-z_][A-Za-z0-9_]*$/.test(plain) ? plain : node, tensor: t, dims: shape }];
    });
  };
  const inputs = fromSig(sig?.inputs, 'inputs') ?? nodes.filter((n) => n.op === 'Placeholder').map((n) => ({ name: n.name, tensor: n.name, dims: declared(n.name) }));
  let outputs = fromSig(sig?.outputs, 'outputs');
  if (!outputs) {
    const read = new Set<string>();
    for (const n of nodes) for (const i of n.inputs) read.add(i.replace(/:\d+$/, ''));
    outputs = nodes.filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'Placeholder' && n.op !== 'NoOp').map((n) => ({ name: n.name, tensor: n.name, dims: null }));
  }
  if (inputs.length === 0) throw new Nn2eqError(`${file}: the graph has no Placeholder and no signature inputs, so the model takes no input`, 'input');
  if (outputs.length === 0) throw new Nn2eqError(`${file}: the graph has no output (every node is read by another, and there is no signature)`, 'input');
  return { inputs, outputs };
}
