import { isAbsolute, readFile, realPath, relative, resolve, sep, statFile } from '../files.js';
import { Nn2eqError } from '../../errors.js';
import { halfToFloat } from '../tfjs.js';
import { Reader, Wire } from './protobuf.js';
import type { OnnxDtype, OnnxTensor, OnnxValues } from './types.js';

/** TensorProto.DataType numbers this reader decodes. */
export const DTYPES: Record<number, OnnxDtype> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
  24: 'float8e8m0',
  25: 'uint2',
  26: 'int2',
};

/** Names of the DataType numbers refused, for messages. */
const OTHER_DTYPES: Record<number, string> = {
  0: 'undefined',
  14: 'complex64',
  15: 'complex128',
};

/** Bytes per element in raw_data (packed types: a fraction of a byte). */
const SIZE: Record<Exclude<OnnxDtype, 'string'>, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2, uint32: 4, uint64: 8, bool: 1,
  int4: 0.5, uint4: 0.5, int2: 0.25, uint2: 0.25,
  float8e4m3fn: 1, float8e4m3fnuz: 1, float8e5m2: 1, float8e5m2fnuz: 1, float4e2m1: 0.5, float8e8m0: 1,
};

/** Exponent bits, bias, and NaN/∞ encoding of the small float formats (ONNX's float8 types and float4e2m1). */
const SMALL_FLOAT_BITS = {
  float8e4m3fn: { e: 4, m: 3, bias: 7, kind: 'fn' },
  float8e4m3fnuz: { e: 4, m: 3, bias: 8, kind: 'fnuz' },
  float8e5m2: { e: 5, m: 2, bias: 15, kind: 'ieee' },
  float8e5m2fnuz: { e: 5, m: 2, bias: 16, kind: 'fnuz' },
  float4e2m1: { e: 2, m: 1, bias: 1, kind: 'none' },
} as const;

/**
 * A small float decoded from its bits: fn has NaN at all ones and no ∞; fnuz has NaN at the
 * negative zero and no ∞; ieee has ∞ and NaN at the top exponent; float4e2m1 has neither.
 */
function smallFloat(bits: number, dtype: keyof typeof SMALL_FLOAT_BITS): number {
  const { e, m, bias, kind } = SMALL_FLOAT_BITS[dtype];
  const sign = (bits >> (e + m)) & 1 ? -1 : 1;
  const exp = (bits >> m) & ((1 << e) - 1);
  const man = bits & ((1 << m) - 1);
  if (kind === 'fnuz' && sign < 0 && exp === 0 && man === 0) return NaN;
  if (kind === 'fn' && exp === (1 << e) - 1 && man === (1 << m) - 1) return NaN;
  if (kind === 'ieee' && exp === (1 << e) - 1) return man === 0 ? sign * Infinity : NaN;
  return sign * (exp === 0 ? man * 2 ** (1 - bias - m) : (1 + man / 2 ** m) * 2 ** (exp - bias));
}

/** Small float values, one byte each (float4e2m1: two a byte, the lowest bits first). */
/** float8e8m0 (an exponent alone, bias 127, no sign): byte k is 2^(k − 127), 255 is NaN. */
function e8m0(bytes: ArrayLike<number>, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i] & 255) === 255 ? NaN : 2 ** ((bytes[i] & 255) - 127);
  return out;
}

function smallFloats(bytes: ArrayLike<number>, dtype: keyof typeof SMALL_FLOAT_BITS, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = smallFloat(dtype === 'float4e2m1' ? (bytes[i >> 1] >> ((i & 1) * 4)) & 15 : bytes[i], dtype);
  return out;
}

/** Bytes of raw_data that `count` elements take (packed types fill their last byte partly). */
function rawBytes(dtype: Exclude<OnnxDtype, 'string'>, count: number): number {
  return Math.ceil(count * SIZE[dtype]);
}

/** Packed 4- and 2-bit integers (int4, uint4, int2, uint2): the lowest bits of each byte first, sign-extended for the signed types. */
function unpack(bytes: ArrayLike<number>, dtype: 'int4' | 'uint4' | 'int2' | 'uint2', count: number): Int8Array {
  const bits = dtype.endsWith('4') ? 4 : 2;
  const per = 8 / bits;
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const v = (bytes[Math.floor(i / per)] >> ((i % per) * bits)) & ((1 << bits) - 1);
    out[i] = dtype.startsWith('u') || v < 1 << (bits - 1) ? v : v - (1 << bits);
  }
  return out;
}

/** Largest tensor accepted (elements); larger declared shapes are refused before reading. */
const MAX_ELEMENTS = 1 << 28;

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Name of a DataType number, also for the ones refused. */
export function dtypeName(n: number): string {
  return DTYPES[n] ?? OTHER_DTYPES[n] ?? `data type ${n}`;
}

/** Where external-data files are looked up, and what was read from them. */
export interface TensorContext {
  readonly file: string;
  /** The model's folder (the current folder for standard input). */
  readonly dir: string;
  /** Real path of each external file by its location, filled while reading. */
  readonly external: Map<string, string>;
  readonly cache: Map<string, Uint8Array>;
}

/** Decodes a TensorProto into an `OnnxTensor`, reading external data inside `ctx.dir`. */
export function decodeTensor(r: Reader, ctx: TensorContext): OnnxTensor {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: Uint8Array | null = null;
  let location = 0;
  const external: [string, string][] = [];
  const floats: number[] = [];
  const ints: number[] = [];
  const int64s: bigint[] = [];
  const doubles: number[] = [];
  const uint64s: bigint[] = [];
  const strings: string[] = [];
  while (!r.done()) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1: r.repeated(wire, Wire.Varint, (x) => dims.push(x.int64())); break;
      case 2: r.expect(wire, Wire.Varint, 'data_type'); dataType = r.int32(); break;
      case 4: r.repeated(wire, Wire.Fixed32, (x) => floats.push(x.fixed32Float())); break;
      case 5: r.repeated(wire, Wire.Varint, (x) => ints.push(x.int32())); break;
      case 6: r.expect(wire, Wire.Bytes, 'string_data'); strings.push(r.string()); break;
      case 7: r.repeated(wire, Wire.Varint, (x) => int64s.push(x.int64Big())); break;
      case 8: r.expect(wire, Wire.Bytes, 'name'); name = r.string(); break;
      case 9: r.expect(wire, Wire.Bytes, 'raw_data'); raw = r.bytes(); break;
      case 10: r.repeated(wire, Wire.Fixed64, (x) => doubles.push(x.fixed64Double())); break;
      case 11: r.repeated(wire, Wire.Varint, (x) => uint64s.push(x.uint64Big())); break;
      case 13: {
        r.expect(wire, Wire.Bytes, 'external_data');
        external.push(stringPair(r.message(`${r.where}.external_data`)));
        break;
      }
      case 14: r.expect(wire, Wire.Varint, 'data_location'); location = r.int32(); break;
      default: r.skip(wire);
    }
  }
  const label = name ? `tensor '${name}'` : `a tensor in ${r.where}`;
  const dtype = DTYPES[dataType];
  if (dtype === undefined) {
    throw new Nn2eqError(`${ctx.file}: ${label} has element type ${dtypeName(dataType)}, which nn2eq does not read`, 'unsupported', 'convert the model to float32 weights (e.g. onnxconverter_common for float16 → float32, or export without quantization)');
  }
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Nn2eqError(`${ctx.file}: ${label} declares dimension ${d}`, 'input', 'the file is corrupt; export the model again');
    count *= d;
  }
  if (count > MAX_ELEMENTS) {
    throw new Nn2eqError(`${ctx.file}: ${label} declares shape [${dims.join(', ')}] (${count} elements), more than the ${MAX_ELEMENTS} accepted`, 'too-large');
  }
  if (location === 1) raw = externalBytes(external, ctx, label, dtype === 'string' ? 0 : rawBytes(dtype, count));
  else if (location !== 0) throw new Nn2eqError(`${ctx.file}: ${label} has data_location ${location}, expected 0 (in the file) or 1 (external)`);
  let values: OnnxValues;
  if (dtype === 'string') {
    values = strings;
    if (raw !== null) throw new Nn2eqError(`${ctx.file}: ${label} is a string tensor with raw_data, which ONNX does not allow`);
  } else if (raw !== null) {
    if (raw.length !== rawBytes(dtype, count)) {
      throw new Nn2eqError(`${ctx.file}: ${label} of shape [${dims.join(', ')}] (${dtype}) holds ${raw.length} bytes of raw_data, expected ${rawBytes(dtype, count)}`, 'input', 'the file is truncated or corrupt; export the model again');
    }
    values = fromRaw(raw, dtype, count);
  } else {
    values = fromTyped(dtype, { floats, ints, int64s, doubles, uint64s }, count);
  }
  if (values.length !== count) {
    throw new Nn2eqError(`${ctx.file}: ${label} of shape [${dims.join(', ')}] holds ${values.length} values, expected ${count}`, 'input', 'the file is truncated or corrupt; export the model again');
  }
  return { name, dtype, dims, values };
}

/** Decodes a StringStringEntryProto. */
export function stringPair(r: Reader): [string, string] {
  let key = '';
  let value = '';
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === Wire.Bytes) key = r.string();
    else if (field === 2 && wire === Wire.Bytes) value = r.string();
    else r.skip(wire);
  }
  return [key, value];
}

function fromRaw(raw: Uint8Array, dtype: Exclude<OnnxDtype, 'string'>, count: number): OnnxValues {
  // A copy into a fresh, aligned buffer of exactly this size (Buffer.slice would share the pool).
  const buf = new Uint8Array(raw).buffer;
  if (!LITTLE_ENDIAN && SIZE[dtype] > 1) throw new Nn2eqError('reading ONNX raw_data needs a little-endian machine', 'unsupported');
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint8': return new Uint8Array(buf);
    case 'uint16': return new Uint16Array(buf);
    case 'uint32': return new Uint32Array(buf);
    case 'uint64': return new BigUint64Array(buf);
    case 'bool': return Uint8Array.from(new Uint8Array(buf), (b) => (b ? 1 : 0));
    case 'float16': return widenHalf(new Uint16Array(buf), count, halfToFloat);
    case 'bfloat16': return widenHalf(new Uint16Array(buf), count, bfloatToFloat);
    case 'int4': case 'uint4': case 'int2': case 'uint2': return unpack(new Uint8Array(buf), dtype, count);
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float4e2m1': return smallFloats(new Uint8Array(buf), dtype, count);
    case 'float8e8m0': return e8m0(new Uint8Array(buf), count);
  }
}

function widenHalf(bits: ArrayLike<number>, count: number, f: (h: number) => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = f(bits[i] & 0xffff);
  return out;
}

function bfloatToFloat(h: number): number {
  return new Float32Array(new Uint32Array([h << 16]).buffer)[0];
}

interface Typed {
  floats: number[];
  ints: number[];
  int64s: bigint[];
  doubles: number[];
  uint64s: bigint[];
}

/** The typed field each dtype is stored in when there is no raw_data (onnx.proto's table). */
function fromTyped(dtype: Exclude<OnnxDtype, 'string'>, t: Typed, count: number): OnnxValues {
  switch (dtype) {
    case 'float32': return Float32Array.from(t.floats);
    case 'float64': return Float64Array.from(t.doubles);
    case 'int8': return Int8Array.from(t.ints);
    case 'int16': return Int16Array.from(t.ints);
    case 'int32': return Int32Array.from(t.ints);
    case 'uint8': return Uint8Array.from(t.ints);
    case 'uint16': return Uint16Array.from(t.ints);
    case 'bool': return Uint8Array.from(t.ints, (b) => (b ? 1 : 0));
    case 'float16': return widenHalf(t.ints, t.ints.length, halfToFloat);
    case 'bfloat16': return widenHalf(t.ints, t.ints.length, bfloatToFloat);
    case 'int64': return BigInt64Array.from(t.int64s);
    case 'uint32': return Uint32Array.from(t.uint64s, (v) => Number(v & 0xffffffffn));
    case 'uint64': return BigUint64Array.from(t.uint64s);
    // Packed into int32_data, one byte of packed values per int32.
    case 'int4': case 'uint4': case 'int2': case 'uint2': return unpack(t.ints, dtype, t.ints.length === 0 ? 0 : count);
    // One value per int32 (float4e2m1: one byte of two values per int32).
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float4e2m1': return smallFloats(t.ints, dtype, t.ints.length === 0 ? 0 : count);
    case 'float8e8m0': return e8m0(t.ints, t.ints.length === 0 ? 0 : count);
  }
}

/** Reads a tensor's bytes from an external-data file inside the model's folder. */
function externalBytes(entries: [string, string][], ctx: TensorContext, label: string, expected: number): Uint8Array {
  const get = (k: string) => entries.find(([key]) => key === k)?.[1];
  const location = get('location');
  if (location === undefined || location === '') throw new Nn2eqError(`${ctx.file}: ${label} is stored externally but names no 'location'`, 'input', 'the file is corrupt; export the model again');
  const number = (k: string): number | undefined => {
    const v = get(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new Nn2eqError(`${ctx.file}: ${label} has external-data ${k} '${v}', expected a whole number of bytes`);
    return Number(v);
  };
  const offset = number('offset') ?? 0;
  const length = number('length');
  let bytes = ctx.cache.get(location);
  if (bytes === undefined) {
    const path = externalPath(ctx, location, label);
    bytes = readFile(path);
    ctx.cache.set(location, bytes);
    ctx.external.set(location, path);
  }
  const size = length ?? bytes.length - offset;
  if (offset > bytes.length || size !== expected || offset + size > bytes.length) {
    throw new Nn2eqError(
      `${ctx.file}: ${label} needs ${expected} bytes from '${location}' at offset ${offset}${length !== undefined ? ` (length ${length})` : ''}, but the file holds ${bytes.length} bytes`,
      'input',
      'the external-data file is missing data or belongs to another model; copy the complete files saved with the model',
    );
  }
  return bytes.subarray(offset, offset + size);
}

/** Resolves an external-data location inside the model's folder; a path that escapes it is refused. */
function externalPath(ctx: TensorContext, location: string, label: string): string {
  const refuse = () => new Nn2eqError(`${ctx.file}: ${label} names external data '${location}', which lies outside the model's folder ${ctx.dir}`, 'input', "external-data locations must be relative to the .onnx file and stay inside its folder");
  const inside = (root: string, p: string) => {
    const rel = relative(root, p);
    return rel !== '' && !isAbsolute(rel) && !rel.split(sep).includes('..');
  };
  const target = resolve(ctx.dir, location);
  if (isAbsolute(location) || location.includes('\0') || !inside(ctx.dir, target)) throw refuse();
  let real: string;
  try {
    real = realPath(target);
  } catch {
    throw new Nn2eqError(`${ctx.file}: ${label} is stored in '${location}', which was not found (looked for ${target})`, 'input', 'copy the external-data files saved with the model next to the .onnx file');
  }
  // A link inside the folder may still point out of it.
  if (!inside(realPath(ctx.dir), real)) throw refuse();
  if (!statFile(real).isFile) throw new Nn2eqError(`${ctx.file}: ${label} names external data '${location}', which is not a file`);
  return real;
}
