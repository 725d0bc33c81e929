import { isAbsolute, readFile, realPath, relative, resolve, sep, statFile } from './files.js';
import { Nn2eqError } from '../errors.js';
import { arrayAt, isObject, objectAt, shapeAt, stringAt, type Json, type JsonObject } from './json.js';
import type { Weight } from './spec.js';

/** Bytes per stored element, by storage dtype (a quantization dtype replaces the weight's dtype). */
const STORAGE_BYTES = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 } as const;
type StorageDtype = keyof typeof STORAGE_BYTES;

interface WeightEntry {
  name: string;
  shape: number[];
  storage: StorageDtype;
  scale: number;
  min: number;
  count: number;
}

/** Largest weight array accepted (elements); larger declared shapes are refused before reading. */
const MAX_ELEMENTS = 1 << 28;

/**
 * Reads the weights of a TF.js `weightsManifest`: shards resolved inside `dir`, concatenated per
 * group (a weight may straddle shards), sizes checked against the declared shapes before any
 * array is allocated, then decoded (float32, int32, float16, and uint8/uint16 as q·scale + min).
 */
export function readManifestWeights(manifest: Json, dir: string, file: string, sources: string[] = []): Weight[] {
  const groups = arrayAt(manifest, file, 'weightsManifest');
  const out: Weight[] = [];
  groups.forEach((g, gi) => {
    const group = objectAt(g, file, `weightsManifest[${gi}]`);
    const paths = arrayAt(group.paths, file, `weightsManifest[${gi}].paths`).map((p, i) => stringAt(p, file, `weightsManifest[${gi}].paths[${i}]`));
    const entries = arrayAt(group.weights, file, `weightsManifest[${gi}].weights`).map((w, i) => weightEntry(w, file, `weightsManifest[${gi}].weights[${i}]`));
    const expected = entries.reduce((n, e) => n + e.count * STORAGE_BYTES[e.storage], 0);
    const shardFiles = paths.map((p) => shardPath(dir, p, file));
    sources.push(...shardFiles);
    const sizes = shardFiles.map((f) => statFile(f).size);
    const actual = sizes.reduce((a, b) => a + b, 0);
    if (actual !== expected) {
      throw new Nn2eqError(
        `${file}: the shards ${paths.join(', ')} hold ${actual} bytes, but their ${entries.length} weights declare ${expected}`,
        'input',
        actual < expected ? 'a shard is missing or truncated; copy the complete weight files next to model.json' : 'the shards do not belong to this model.json',
      );
    }
    const bytes = shardFiles.length === 1 ? readFile(shardFiles[0]) : concat(shardFiles.map((f) => readFile(f)), actual);
    let offset = 0;
    for (const e of entries) {
      out.push({ name: e.name, shape: e.shape, values: decode(bytes, offset, e) });
      offset += e.count * STORAGE_BYTES[e.storage];
    }
  });
  return out;
}

function weightEntry(w: Json, file: string, where: string): WeightEntry {
  const o = objectAt(w, file, where);
  const name = stringAt(o.name, file, `${where}.name`);
  const shape = shapeAt(o.shape, file, `${where}.shape`).map((d) => {
    if (d === null) throw new Nn2eqError(`${file}: weight '${name}' has an undefined dimension in its shape`);
    return d;
  });
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count > MAX_ELEMENTS) {
    throw new Nn2eqError(`${file}: weight '${name}' declares shape [${shape.join(', ')}] (${count} elements), more than the ${MAX_ELEMENTS} accepted`);
  }
  const dtype = o.dtype ?? 'float32';
  let storage = dtype as StorageDtype;
  let scale = 1;
  let min = 0;
  if (o.quantization !== undefined && o.quantization !== null) {
    const q = objectAt(o.quantization, file, `${where}.quantization`);
    storage = q.dtype as StorageDtype;
    if (storage !== 'uint8' && storage !== 'uint16' && storage !== 'float16') {
      throw new Nn2eqError(`${file}: weight '${name}' is quantized as '${String(q.dtype)}', expected uint8, uint16 or float16`, 'unsupported');
    }
    if (storage !== 'float16') {
      if (typeof q.scale !== 'number' || typeof q.min !== 'number') {
        throw new Nn2eqError(`${file}: weight '${name}' is quantized as ${storage} without numeric 'scale' and 'min'`);
      }
      scale = q.scale;
      min = q.min;
    }
  } else if (!(dtype === 'float32' || dtype === 'int32' || dtype === 'bool')) {
    // bool: a graph model's control-flow constants (cond pivots), one byte each.
    throw new Nn2eqError(`${file}: weight '${name}' has dtype '${String(dtype)}', expected float32 or int32 (bool for a graph's constants, or a quantization block)`, 'unsupported');
  }
  return { name, shape, storage, scale, min, count };
}

function decode(bytes: Uint8Array, offset: number, e: WeightEntry): Float32Array {
  const out = new Float32Array(e.count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, e.count * STORAGE_BYTES[e.storage]);
  switch (e.storage) {
    case 'float32':
      for (let i = 0; i < e.count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'int32':
      for (let i = 0; i < e.count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'bool':
      for (let i = 0; i < e.count; i++) out[i] = view.getUint8(i) !== 0 ? 1 : 0;
      break;
    case 'uint8':
      for (let i = 0; i < e.count; i++) out[i] = view.getUint8(i) * e.scale + e.min;
      break;
    case 'uint16':
      for (let i = 0; i < e.count; i++) out[i] = view.getUint16(i * 2, true) * e.scale + e.min;
      break;
    case 'float16':
      for (let i = 0; i < e.count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
  }
  return out;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** IEEE 754 binary16 to a JS number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Resolves a shard path inside the model's folder; a path that escapes it is refused. */
function shardPath(dir: string, p: string, file: string): string {
  const target = resolve(dir, p);
  let real: string;
  try {
    real = realPath(target);
  } catch {
    throw new Nn2eqError(`${file}: weight shard '${p}' not found (looked for ${target})`, 'input', 'copy the weight files next to model.json');
  }
  const root = realPath(dir);
  const rel = relative(root, real);
  if (isAbsolute(p) || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new Nn2eqError(`${file}: weight shard '${p}' lies outside the model's folder ${root}`, 'input', 'shard paths must be relative to model.json and stay inside its folder');
  }
  if (!statFile(real).isFile) throw new Nn2eqError(`${file}: weight shard '${p}' is not a file`);
  return real;
}

/**
 * Whether a parsed model.json is a TF.js graph model (tfgraph.ts reads it): `format: "graph-model"`,
 * or a GraphDef topology (`node` list). Here, beside the shard reader both kinds use, so telling
 * the kinds apart does not load the graph-model reader.
 */
export function isGraphModel(doc: JsonObject): boolean {
  if (doc.format === 'graph-model') return true;
  return isObject(doc.modelTopology) && Array.isArray(doc.modelTopology.node);
}
