import { describe, expect, it } from 'vitest';
import { convertWithIR } from '../src/convert.js';
import { Nn2eqError } from '../src/errors.js';
import { buildOnnxProgram, onnxModelSpec } from '../src/extract/onnx/index.js';
import type { OnnxAttribute, OnnxDtype, OnnxModel, OnnxNode, OnnxTensor, OnnxValues } from '../src/load/onnx/types.js';
import { runJs } from './helpers.js';

// Quantized ONNX graphs built in memory (no file): the paths of src/extract/onnx/quantize.ts that
// the QDQ fixtures do not take (scalar-shaped scales, per-axis along axis 0, constants folded at
// build time, output_dtype, zero points on a computed MatMulInteger input) in the JS tensor form,
// against ONNX's definitions computed here (QuantizeLinear y = saturate(round_half_even(x / s) + z)
// with x / s in float32; DequantizeLinear y = (x − z)·s in float32; MatMulInteger the exact integer
// sum), and every refusal with its one-line message. In-process: a second.

const TYPED: Record<string, (v: number[]) => OnnxValues> = {
  float32: (v) => Float32Array.from(v),
  float64: (v) => Float64Array.from(v),
  int8: (v) => Int8Array.from(v),
  uint8: (v) => Uint8Array.from(v),
  int16: (v) => Int16Array.from(v),
  uint16: (v) => Uint16Array.from(v),
  int32: (v) => Int32Array.from(v),
  int64: (v) => BigInt64Array.from(v.map(BigInt)),
};

const t = (name: string, dtype: OnnxDtype, dims: number[], values: number[]): OnnxTensor => ({ name, dtype, dims, values: TYPED[dtype](values) });

function node(opType: string, inputs: string[], outputs: string[], ints: Record<string, number> = {}): OnnxNode {
  const attributes = new Map<string, OnnxAttribute>(Object.entries(ints).map(([k, value]) => [k, { type: 'int', value }]));
  return { name: opType.toLowerCase(), opType, domain: 'ai.onnx', opset: 21, inputs, outputs, attributes };
}

/** A model of `nodes` over graph inputs `inputs` ([name, dtype, dims]) and initializers `inits`, returning `outputs`. */
function model(nodes: OnnxNode[], inputs: [string, OnnxDtype, number[]][], outputs: string[], inits: OnnxTensor[]): OnnxModel {
  return {
    file: 'built.onnx',
    irVersion: 10,
    opsets: new Map([['ai.onnx', 21]]),
    producerName: 'test',
    producerVersion: '',
    graph: {
      name: 'built',
      inputs: inputs.map(([name, elemType, dims]) => ({ name, elemType, dims })),
      outputs: outputs.map((name) => ({ name, elemType: null, dims: null })),
      initializers: new Map(inits.map((i) => [i.name, i])),
      nodes,
      valueInfo: new Map(),
    },
    sources: [],
    externalData: new Map(),
    warnings: [],
  };
}

/** The model's JS tensor form run on `cases` (per case one nested array per input), outputs flattened. */
async function js(m: OnnxModel, cases: unknown[][]): Promise<number[][]> {
  const program = buildOnnxProgram(m);
  const { text } = convertWithIR(onnxModelSpec(m, program), { format: 'js', form: 'tensor' }, program);
  return runJs(text, cases);
}

/** Nearest whole number, the even one on a tie (np.rint), by distance. */
function rintEven(x: number): number {
  const lo = Math.floor(x);
  const dl = x - lo;
  const dh = lo + 1 - x;
  if (dl !== dh) return dl < dh ? lo : lo + 1;
  return BigInt(lo) % 2n === 0n ? lo : lo + 1;
}
/** The ranges of ONNX's integer element types. */
const RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647] };
const quantize = (x: number, s: number, z: number, type: string) => Math.min(Math.max(rintEven(Math.fround(x / s)) + z, RANGE[type][0]), RANGE[type][1]);
const dequantize = (q: number, s: number, z: number) => Math.fround((q - z) * s);

describe('quantized ONNX graphs built in memory, JS tensor form, against ONNX definitions', () => {
  it('QuantizeLinear with a scalar-shaped scale and zero point (dims [])', async () => {
    const xs = [[-2.25, -0.75, 0.25, 0.75, 1.25, 300]];
    const m = model([node('QuantizeLinear', ['x', 's', 'z'], ['y'])], [['x', 'float32', [2, 3]]], ['y'], [t('s', 'float32', [], [0.5]), t('z', 'int8', [], [-3])]);
    expect(await js(m, [[[xs[0].slice(0, 3), xs[0].slice(3)]]])).toEqual([xs[0].map((x) => quantize(x, 0.5, -3, 'int8'))]);
  });

  it('DequantizeLinear per axis along axis 0, non-zero zero points', async () => {
    const s = [0.5, 0.25, 2];
    const z = [3, -4, 0];
    const q = [-128, 5, 7, 127, -1, 2];
    const m = model([node('DequantizeLinear', ['q', 's', 'z'], ['y'], { axis: 0 })], [['q', 'int8', [3, 2]]], ['y'], [t('s', 'float32', [3], s), t('z', 'int8', [3], z)]);
    expect(await js(m, [[[q.slice(0, 2), q.slice(2, 4), q.slice(4)]]])).toEqual([q.map((v, i) => dequantize(v, s[i >> 1], z[i >> 1]))]);
  });

  it('QuantizeLinear and DequantizeLinear of constants fold at build time', async () => {
    // y = DQ(Q(c)) + x and w = DQ(k) + x, with non-zero zero points; the sums are exact in float32.
    const c = [-1.3, 0.2, 0.375, 9];
    const k = [-7, 0, 3, 100];
    const m = model(
      [node('QuantizeLinear', ['c', 's', 'z'], ['q']), node('DequantizeLinear', ['q', 's', 'z'], ['d']), node('Add', ['d', 'x'], ['y']), node('DequantizeLinear', ['k', 's2', 'z2'], ['e']), node('Add', ['e', 'x'], ['w'])],
      [['x', 'float32', [4]]],
      ['y', 'w'],
      [t('c', 'float32', [4], c), t('s', 'float32', [], [0.125]), t('z', 'uint8', [], [10]), t('k', 'int8', [4], k), t('s2', 'float32', [], [0.5]), t('z2', 'int8', [], [-2])],
    );
    const x = [1, 2, 3, 4];
    const want = [...c.map((v, i) => dequantize(quantize(Math.fround(v), 0.125, 10, 'uint8'), 0.125, 10) + x[i]), ...k.map((v, i) => dequantize(v, 0.5, -2) + x[i])];
    expect(await js(m, [[x]])).toEqual([want]);
  });

  it('QuantizeLinear to the type output_dtype names, without a zero point (saturating at its range)', async () => {
    const xs = [-1e6, -70000, -300, -0.5, 0.5, 1.5, 300, 70000, 1e6, 5e9];
    const codes: [number, string][] = [[0, 'uint8'], [2, 'uint8'], [3, 'int8'], [4, 'uint16'], [5, 'int16'], [6, 'int32']];
    for (const [code, type] of codes) {
      const m = model([node('QuantizeLinear', ['x', 's'], ['y'], code ? { output_dtype: code } : {})], [['x', 'float32', [xs.length]]], ['y'], [t('s', 'float32', [], [1])]);
      expect(await js(m, [[xs]]), `output_dtype ${code}`).toEqual([xs.map((x) => quantize(x, 1, 0, type))]);
    }
  });

  it('MatMulInteger: zero points of a computed input and of constant weights', async () => {
    const a = [[3, 250, 17], [0, 128, 255]];
    const w = [[1, -2], [3, 4], [-128, 127]];
    for (const [za, zw] of [[128, 0], [0, 5], [7, -3]]) {
      const m = model([node('MatMulInteger', ['a', 'w', 'za', 'zw'], ['y'])], [['a', 'uint8', [2, 3]]], ['y'], [t('w', 'int8', [3, 2], w.flat()), t('za', 'uint8', [], [za]), t('zw', 'int8', [], [zw])]);
      const want = a.flatMap((row) => [0, 1].map((j) => row.reduce((sum, v, k) => sum + (v - za) * (w[k][j] - zw), 0)));
      expect(await js(m, [[a]]), `za ${za}, zw ${zw}`).toEqual([want]);
    }
  });
});

// Numbers from ONNX's definitions of the float8 types (QuantizeLinear-21, Cast): x / s = [8.5, 500,
// −500, 100000]; float8e4m3fn (3 mantissa bits, largest 448, no ∞) rounds 8.5 to the even 8 and,
// past 448, saturates or gives NaN; float8e5m2 (2 bits, largest 57344) rounds 500 to 512 and 100000
// to 57344 or +∞.
describe('QuantizeLinear to float8 types with a computed scale, saturate 1 and 0', () => {
  const CASES: [number, number, number[]][] = [
    [17, 1, [8, 448, -448, 448]],
    [17, 0, [8, NaN, NaN, NaN]],
    [19, 1, [8, 512, -512, 57344]],
    [19, 0, [8, 512, -512, Infinity]],
  ];
  for (const [code, saturate, want] of CASES) {
    it(`output_dtype ${code}, saturate ${saturate}`, async () => {
      const m = model([node('QuantizeLinear', ['x', 's'], ['y'], { output_dtype: code, saturate })], [['x', 'float32', [4]], ['s', 'float32', []]], ['y'], []);
      expect(await js(m, [[[17, 1000, -1000, 200000], 2]])).toEqual([want]);
    });
  }
});

describe('DynamicQuantizeLinear of a constant folds at build time', () => {
  it('y, s and z as ONNX defines them in float32', async () => {
    const c = [-1, 0.5, 2, 3.14].map(Math.fround);
    const m = model([node('DynamicQuantizeLinear', ['c'], ['y', 's', 'z']), node('Add', ['x', 'x'], ['w'])], [['x', 'float32', [1]]], ['y', 's', 'z', 'w'], [t('c', 'float32', [4], c)]);
    const hi = Math.max(0, ...c);
    const lo = Math.min(0, ...c);
    const s = Math.fround(Math.fround(hi - lo) / 255);
    const z = rintEven(Math.min(Math.max(-Math.fround(lo / s), 0), 255));
    const y = c.map((v) => Math.min(Math.max(rintEven(Math.fround(v / s)) + z, 0), 255));
    expect(await js(m, [[[0.25]]])).toEqual([[...y, s, z, 0.5]]);
  });
});

describe('integer products per output channel', () => {
  it('ConvInteger with one weight zero point per output channel', async () => {
    const x = [[[1, 2], [3, 4]], [[250, 0], [7, 128]]];
    const k = [[5, -6], [-128, 127]];
    const zk = [3, -2];
    const m = model([node('ConvInteger', ['x', 'k', '', 'zk'], ['y'])], [['x', 'uint8', [1, 2, 2, 2]]], ['y'], [t('k', 'int8', [2, 2, 1, 1], k.flat()), t('zk', 'int8', [2], zk)]);
    const want = [0, 1].flatMap((o) => [0, 1, 2, 3].map((p) => (k[o][0] - zk[o]) * x[0].flat()[p] + (k[o][1] - zk[o]) * x[1].flat()[p]));
    expect(await js(m, [[[x]]])).toEqual([want]);
  });

  it('QLinearMatMul of a batch (rank 3) with scales and zero points per output column', async () => {
    // y[b,i,j] = sat(rint(acc · fl32(fl32(sx·sw[j]) / sy[j])) + zy[j]), acc = Σ_k (a[b,i,k] − za)·(w[k,j] − zw[j]).
    const a = [[[10, 200, 3]], [[0, 255, 128]]];
    const w = [[1, -2], [3, 4], [-5, 6]];
    const za = 100;
    const zw = [1, -1];
    const sx = 0.5;
    const sw = [0.25, 0.75];
    const sy = [0.125, 3];
    const zy = [-7, 9];
    const m = model(
      [node('QLinearMatMul', ['a', 'sx', 'za', 'w', 'sw', 'zw', 'sy', 'zy'], ['y'])],
      [['a', 'uint8', [2, 1, 3]]],
      ['y'],
      [t('sx', 'float32', [], [sx]), t('za', 'uint8', [], [za]), t('w', 'int8', [3, 2], w.flat()), t('sw', 'float32', [2], sw), t('zw', 'int8', [2], zw), t('sy', 'float32', [2], sy), t('zy', 'int8', [2], zy)],
    );
    const want = a.flatMap((rows) => rows.flatMap((row) => [0, 1].map((j) => {
      const acc = row.reduce((sum, v, k) => sum + (v - za) * (w[k][j] - zw[j]), 0);
      return quantize(acc * Math.fround(Math.fround(sx * sw[j]) / sy[j]), 1, zy[j], 'int8');
    })));
    expect(await js(m, [[a]])).toEqual([want]);
  });
});

describe('integer products with a zero point per row of a computed input', () => {
  it('MatMulInteger: a_zero_point [0, 5], one per row (the first 0: the subtraction is still printed)', async () => {
    const a = [[3, 250, 17], [0, 128, 255]];
    const w = [[1, -2], [3, 4], [-128, 127]];
    const za = [0, 5];
    const m = model([node('MatMulInteger', ['a', 'w', 'za'], ['y'])], [['a', 'uint8', [2, 3]]], ['y'], [t('w', 'int8', [3, 2], w.flat()), t('za', 'uint8', [2], za)]);
    expect(await js(m, [[a]])).toEqual([a.flatMap((row, i) => [0, 1].map((j) => row.reduce((sum, v, k) => sum + (v - za[i]) * w[k][j], 0)))]);
  });
});

describe('integer products without zero points', () => {
  it('MatMulInteger and ConvInteger without zero points: the plain integer product, no subtraction printed', async () => {
    const a = [[3, 250, 17], [0, 128, 255]];
    const w = [[1, -2], [3, 4], [-128, 127]];
    const mm = model([node('MatMulInteger', ['a', 'w'], ['y'])], [['a', 'uint8', [2, 3]]], ['y'], [t('w', 'int8', [3, 2], w.flat())]);
    expect(await js(mm, [[a]])).toEqual([a.flatMap((row) => [0, 1].map((j) => row.reduce((sum, v, k) => sum + v * w[k][j], 0)))]);
    // A 1×1 kernel over 2 channels of a 2×2 image: out[o][p] = Σ_c k[o][c]·x[c][p].
    const x = [[[1, 2], [3, 4]], [[250, 0], [7, 128]]];
    const k = [[5, -6], [-128, 127]];
    const cv = model([node('ConvInteger', ['x', 'k'], ['y'])], [['x', 'uint8', [1, 2, 2, 2]]], ['y'], [t('k', 'int8', [2, 2, 1, 1], k.flat())]);
    expect(await js(cv, [[[x]]])).toEqual([[0, 1].flatMap((o) => [0, 1, 2, 3].map((p) => k[o][0] * x[0].flat()[p] + k[o][1] * x[1].flat()[p]))]);
    for (const m of [mm, cv]) {
      const program = buildOnnxProgram(m);
      const { text } = convertWithIR(onnxModelSpec(m, program), { format: 'latex', form: 'tensor' }, program);
      expect(text.split('\n').filter((l) => !l.startsWith('%') && / - /.test(l))).toEqual([]);
    }
  });
});

describe('quantized ONNX graphs nn2eq refuses, in one line', () => {
  const x: [string, OnnxDtype, number[]] = ['x', 'float32', [2, 4]];
  const q: [string, OnnxDtype, number[]] = ['q', 'int8', [2, 4]];
  const s1 = t('s', 'float32', [], [0.5]);
  const CASES: [string, OnnxModel, RegExp, RegExp?][] = [
    ['a 2-D scale', model([node('QuantizeLinear', ['x', 's'], ['y'])], [x], ['y'], [t('s', 'float32', [1, 4], [1, 1, 1, 1])]), /QuantizeLinear\): its scale has shape \[1, 4\]; nn2eq reads one value or one per index of an axis \(blocked quantization needs the block_size attribute\)$/],
    ['a float64 scale', model([node('QuantizeLinear', ['x', 's'], ['y'])], [x], ['y'], [t('s', 'float64', [], [0.5])]), /QuantizeLinear\): its scale is float64; nn2eq computes quantization with float32 scales$/],
    ['a negative scale', model([node('QuantizeLinear', ['x', 's'], ['y'])], [x], ['y'], [t('s', 'float32', [], [-0.5])]), /QuantizeLinear\): its scale -0.5 is not a positive float32 of at least 2\^-53 \(ONNX divides by it\)$/, /^give every scale a positive value$/],
    ['an int64 zero point', model([node('QuantizeLinear', ['x', 's', 'z'], ['y'])], [x], ['y'], [s1, t('z', 'int64', [], [0])]), /QuantizeLinear\): its zero point is int64; nn2eq reads int8, uint8, int16, uint16, int32, int4, uint4, int2, uint2, float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float4e2m1$/],
    ['a 2-D zero point', model([node('QuantizeLinear', ['x', 's', 'z'], ['y'])], [x], ['y'], [s1, t('z', 'int8', [2, 1], [0, 0])]), /QuantizeLinear\): its zero point has shape \[2, 1\]; nn2eq reads one value/],
    ['scales for the wrong axis', model([node('QuantizeLinear', ['x', 's'], ['y'])], [x], ['y'], [t('s', 'float32', [3], [1, 1, 1])]), /QuantizeLinear\): its scale has 3 values for axis 1 of length 4$/, /^give one value per index of the axis, or set the axis attribute to the axis the values run along$/],
    ['scales along axis 0 of the wrong length', model([node('QuantizeLinear', ['x', 's'], ['y'], { axis: 0 })], [x], ['y'], [t('s', 'float32', [3], [1, 1, 1])]), /QuantizeLinear\): its scale has 3 values for axis 0 of length 2$/],
    ['zero points for the wrong axis', model([node('QuantizeLinear', ['x', 's', 'z'], ['y'])], [x], ['y'], [t('s', 'float32', [4], [1, 1, 1, 1]), t('z', 'int8', [3], [0, 0, 0])]), /QuantizeLinear\): its zero point has 3 values for axis 1 of length 4$/],
    ['block_size (QuantizeLinear)', model([node('QuantizeLinear', ['x', 's'], ['y'], { block_size: 2 })], [x], ['y'], [s1]), /QuantizeLinear\): its scale has shape \[\]; blocks of 2 along axis 1 of \[2, 4\] take one of shape \[2, 2\]$/],
    ['int32 values to quantize', model([node('QuantizeLinear', ['x', 's'], ['y'])], [['x', 'int32', [2, 4]]], ['y'], [s1]), /QuantizeLinear\): quantizes int32 values; nn2eq quantizes float32 and float16 values$/],
    ['output_dtype float', model([node('QuantizeLinear', ['x', 's'], ['y'], { output_dtype: 1 })], [x], ['y'], [s1]), /QuantizeLinear\): its output_dtype 1 \(float32\) is not one of the types nn2eq quantizes to \(int8, uint8, int16, uint16, int32, int4, uint4, int2, uint2, float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float4e2m1\)$/, /^quantize to an integer or float8 type$/],
    ['a float8 zero point that is not 0', model([node('QuantizeLinear', ['x', 's', 'z'], ['y'])], [x], ['y'], [s1, { name: 'z', dtype: 'float8e4m3fn', dims: [], values: Float32Array.from([2]) }]), /QuantizeLinear\): its float8e4m3fn zero point is not 0, which ONNX's formula adds and its reference implementation ignores$/, /^give float8 quantization a zero point of 0$/],
    ['a float8 zero point of dequantization that is not 0', model([node('DequantizeLinear', ['f', 's', 'z'], ['y'])], [['f', 'float8e4m3fn', [2, 4]]], ['y'], [s1, { name: 'z', dtype: 'float8e4m3fn', dims: [], values: Float32Array.from([0.5]) }]), /DequantizeLinear\): its float8e4m3fn zero point is not 0, which ONNX's formula subtracts and its reference implementation refuses$/],
    ['an output_dtype nn2eq does not quantize to', model([node('QuantizeLinear', ['x', 's'], ['y'], { output_dtype: 24 })], [x], ['y'], [s1]), /QuantizeLinear\): its output_dtype 24 \(float8e8m0\) is not one of the types nn2eq quantizes to/],
    ['blocks of the wrong count', model([node('QuantizeLinear', ['x', 's'], ['y'], { block_size: 3 })], [x], ['y'], [t('s', 'float32', [2, 1], [1, 1])]), /QuantizeLinear\): its scale has shape \[2, 1\]; blocks of 3 along axis 1 of \[2, 4\] take one of shape \[2, 2\]$/],
    ['a computed scale of three values for an axis of length two', model([node('DequantizeLinear', ['q', 's'], ['y'], { axis: 0 })], [q, ['s', 'float32', [3]]], ['y'], []), /DequantizeLinear\): its scale has 3 values for axis 0 of length 2$/],
    ['an output_dtype other than the zero point\'s', model([node('QuantizeLinear', ['x', 's', 'z'], ['y'], { output_dtype: 3 })], [x], ['y'], [s1, t('z', 'uint8', [], [0])]), /QuantizeLinear\): its output_dtype int8 differs from its zero point's type uint8$/, /^give the zero point the output type$/],
    ['block_size (DequantizeLinear)', model([node('DequantizeLinear', ['q', 's'], ['y'], { block_size: 2 })], [q], ['y'], [s1]), /DequantizeLinear\): its scale has shape \[\]; blocks of 2 along axis 1 of \[2, 4\] take one of shape \[2, 2\]$/],
    ['float32 values to dequantize', model([node('DequantizeLinear', ['x', 's'], ['y'])], [x], ['y'], [s1]), /DequantizeLinear\): dequantizes float32 values; nn2eq reads int8, uint8, int16, uint16, int32, int4, uint4, int2, uint2, float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float4e2m1$/],
    ['dequantization scales for the wrong axis', model([node('DequantizeLinear', ['q', 's'], ['y'])], [q], ['y'], [t('s', 'float32', [2], [1, 1])]), /DequantizeLinear\): its scale has 2 values for axis 1 of length 4$/],
    ['dequantization zero points for the wrong axis', model([node('DequantizeLinear', ['q', 's', 'z'], ['y'])], [q], ['y'], [t('s', 'float32', [4], [1, 1, 1, 1]), t('z', 'int8', [2], [0, 0])]), /DequantizeLinear\): its zero point has 2 values for axis 1 of length 4$/],
    ['MatMulInteger of float32', model([node('MatMulInteger', ['x', 'w'], ['y'])], [x], ['y'], [t('w', 'int8', [4, 1], [1, 2, 3, 4])]), /MatMulInteger\): input 1 is float32; nn2eq reads int8, uint8, int16, uint16, int32$/],
    ['MatMulInteger of int64', model([node('MatMulInteger', ['l', 'w'], ['y'])], [['l', 'int64', [2, 4]]], ['y'], [t('w', 'int8', [4, 1], [1, 2, 3, 4])]), /MatMulInteger\): input 1 is int64; nn2eq reads int8, uint8, int16, uint16, int32$/],
    ['MatMulInteger zero points of shape [1, 2]', model([node('MatMulInteger', ['q', 'w', '', 'z'], ['y'])], [q], ['y'], [t('w', 'int8', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), t('z', 'int8', [1, 2], [0, 0])]), /MatMulInteger\): its zero point of shape \[1, 2\] fits neither one value nor axis 1 of \[4, 2\]$/],
    ['MatMulInteger of float32 weights', model([node('MatMulInteger', ['q', 'w'], ['y'])], [q], ['y'], [t('w', 'float32', [4, 1], [1, 2, 3, 4])]), /MatMulInteger\): input 2 is float32; nn2eq reads/],
    ['MatMulInteger zero points of the wrong length', model([node('MatMulInteger', ['q', 'w', 'z'], ['y'])], [q], ['y'], [t('w', 'int8', [4, 1], [1, 2, 3, 4]), t('z', 'int8', [3], [0, 0, 0])]), /MatMulInteger\): its zero point of shape \[3\] fits neither one value nor axis 0 of \[2, 4\]$/],
  ];
  // QLinearMatMul: a [x, sx, zx, w, sw, zw, sy, zy], w constant unless `wIn`.
  const qlm = (sx: OnnxTensor, sw: OnnxTensor, sy: OnnxTensor, zy: OnnxTensor, wIn = false) =>
    model([node('QLinearMatMul', ['q', 'sx', 'zx', 'w', 'sw', 'zw', 'sy', 'zy'], ['y'])], wIn ? [q] : [q], ['y'], [
      { ...sx, name: 'sx' }, t('zx', 'int8', [], [0]), ...(wIn ? [t('w', 'int8', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8])] : [t('w', 'int8', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8])]),
      { ...sw, name: 'sw' }, t('zw', 'int8', [], [0]), { ...sy, name: 'sy' }, { ...zy, name: 'zy' },
    ]);
  const f = (v: number[], dims: number[] = v.length === 1 ? [] : [v.length]) => t('_', 'float32', dims, v);
  const zy0 = t('_', 'int8', [], [0]);
  CASES.push(
    ['a float64 input scale', qlm(t('_', 'float64', [], [1]), f([1]), f([1]), zy0), /QLinearMatMul\): its input scale is float64; nn2eq computes quantization with float32, float16 and bfloat16 scales$/],
    ['a 2-D output scale', qlm(f([1]), f([1]), f([1, 1, 1, 1], [2, 2]), zy0), /QLinearMatMul\): its output scale has shape \[2, 2\]$/],
    ['a 2-D weight scale', qlm(f([1]), f([1, 1, 1, 1], [2, 2]), f([1]), zy0), /QLinearMatMul\): its weight scale has shape \[2, 2\]$/],
    ['output scales for 3 of 2 channels', qlm(f([1]), f([1]), f([1, 1, 1]), zy0), /QLinearMatMul\): a scale or zero point has 3 values for 2 output channels$/],
    ['a requantization multiplier below 2^-53', qlm(f([2 ** -60]), f([1]), f([1]), zy0), /QLinearMatMul\): its requantization multiplier 8\.673617379884035e-19 is not a positive float32 of at least 2\^-53$/],
    ['two constants multiplied', model([node('QLinearMatMul', ['c', 'sx', 'zx', 'w', 'sw', 'zw', 'sy', 'zy'], ['y'])], [x], ['y'], [t('c', 'int8', [1, 4], [1, 2, 3, 4]), { ...f([1]), name: 'sx' }, t('zx', 'int8', [], [0]), t('w', 'int8', [4, 1], [1, 2, 3, 4]), { ...f([1]), name: 'sw' }, t('zw', 'int8', [], [0]), { ...f([1]), name: 'sy' }, { ...zy0, name: 'zy' }]), /QLinearMatMul\): multiplies two constants \(not folded by nn2eq\)$/],
  );
  CASES.push([
    'QLinearConv with a computed bias',
    model([node('QLinearConv', ['q4', 'sx', 'zx', 'k', 'sk', 'zk', 'sy', 'zy', 'b'], ['y'])], [['q4', 'int8', [1, 1, 2, 2]], ['b', 'int32', [1]]], ['y'], [
      { ...f([1]), name: 'sx' }, t('zx', 'int8', [], [0]), t('k', 'int8', [1, 1, 1, 1], [1]), { ...f([1]), name: 'sk' }, t('zk', 'int8', [], [0]), { ...f([1]), name: 'sy' }, { ...zy0, name: 'zy' },
    ]),
    /QLinearConv\): its bias \(input 'b'\) is not constant/,
  ]);
  for (const [what, m, message, hint] of CASES) {
    it(what, () => {
      let err: unknown = null;
      try {
        buildOnnxProgram(m);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Nn2eqError);
      expect((err as Nn2eqError).message).toMatch(message);
      expect((err as Nn2eqError).message).not.toContain('\n');
      if (hint) expect((err as Nn2eqError).hint).toMatch(hint);
    });
  }
});
