import { attrInt } from '../../load/onnx/attributes.js';
import { DTYPES } from '../../load/onnx/tensor.js';
import { isFloat, roundToFloat, type DType } from '../../tensor/dtype.js';
import type { T } from '../../tensor/program.js';
import { axisOf, dtypeOfVal, konst, tensor, type OnnxContext, type OnnxExtractor } from './context.js';
import { edgesConstant, edgeType, floorDivide, melComputed } from './mel.js';

/**
 * The window functions of signal processing (HannWindow, HammingWindow, BlackmanWindow, as
 * onnx/reference/ops/op_*_window.py define them): a constant size makes the window a constant
 * tensor, w[n] = a₀ − a₁·cos(2πn/N) + a₂·cos(4πn/N) with N = size (periodic) or size − 1
 * (symmetric), in output_datatype.
 */
function window(a0: number, a1: number, a2: number): OnnxExtractor {
  return (ctx) => {
    const size = ctx.constant(0, 'size').values;
    if (size.length !== 1 || !Number.isInteger(size[0]) || size[0] < 0) return ctx.fail(`size is [${Array.from(size).join(', ')}], expected one whole number of at least 0`);
    const n = size[0];
    const periodic = attrInt(ctx.node, 'periodic', 1) === 1;
    const dtype = outputType(ctx);
    const N = periodic ? n : n - 1;
    const w = Float64Array.from({ length: n }, (_, k) => a0 - a1 * Math.cos((2 * Math.PI * k) / N) + a2 * Math.cos((4 * Math.PI * k) / N));
    // ONNX computes the window in float and casts it to output_datatype (an integer type truncates).
    return [konst([n], w.map((v) => (isFloat(dtype) ? roundToFloat(v, dtype) : dtype === 'bool' ? Number(v !== 0) : Math.trunc(v))), dtype)];
  };
}

/**
 * cos and sin of 2π·m/n for whole m, n, in float64: m is reduced modulo n first, and the quarter
 * turns are exact (cos(π/2) is 0, not 6e-17).
 */
function turn(m: number, n: number): [number, number] {
  const r = ((m % n) + n) % n;
  if ((4 * r) % n === 0) return ([[1, 0], [0, 1], [-1, 0], [0, -1]] as const)[(4 * r) / n] as [number, number];
  const a = (2 * Math.PI * r) / n;
  return [Math.cos(a), Math.sin(a)];
}

/**
 * The matrix of a discrete Fourier transform over an axis of `inLength` values of `parts` numbers
 * each (1: real, 2: real and imaginary), as onnx/reference/ops/op_dft.py computes it (numpy's fft,
 * ifft and irfft): rows (n, c) of the input, columns (k, c') of the output, so that a dense
 * product by it transforms the axis. `n` is the transform's length (dft_length: the input is
 * cut to it or padded with zeros), `outLength` the bins kept (onesided: ⌊n/2⌋ + 1).
 *  - forward: y_k = Σ x_t·e^(−2πi·kt/n); inverse: y_t = (1/n)·Σ x_k·e^(2πi·kt/n);
 *  - irfft (inverse and onesided): the input is the first ⌊n/2⌋ + 1 bins of a Hermitian spectrum, the
 *    output real: y_t = (1/n)·Σ c_k·(Re x_k·cos − Im x_k·sin)(2πkt/n), c_k = 2 but 1 for k = 0 and k = n/2.
 * Entries are computed in float64 from exact angles; `weights` (STFT's window) scales input row t.
 */
function dftMatrix(inLength: number, parts: number, n: number, inverse: boolean, onesided: boolean, weights?: ArrayLike<number>): { W: Float64Array; outLength: number; outParts: number } {
  const irfft = inverse && onesided;
  const outLength = irfft || inverse || !onesided ? n : Math.floor(n / 2) + 1;
  const outParts = irfft ? 1 : 2;
  const used = Math.min(inLength, irfft ? Math.floor(n / 2) + 1 : n);
  const cols = outLength * outParts;
  const W = new Float64Array(inLength * parts * cols);
  const scale = inverse ? 1 / n : 1;
  const sign = inverse ? 1 : -1;
  for (let t = 0; t < used; t++) {
    const w = weights ? weights[t] : 1;
    const c = irfft ? (t === 0 || 2 * t === n ? 1 : 2) : 1;
    for (let k = 0; k < outLength; k++) {
      const [cos, sin0] = turn(t * k, n);
      const sin = sign * sin0;
      const f = w * c * scale;
      const re = (t * parts) * cols + k * outParts;
      // (a + ib)(cos + i·sin) = (a·cos − b·sin) + i(a·sin + b·cos).
      W[re] = f * cos;
      if (outParts === 2) W[re + 1] = f * sin;
      if (parts === 2) {
        const im = (t * parts + 1) * cols + k * outParts;
        W[im] = -f * sin;
        if (outParts === 2) W[im + 1] = f * cos;
      }
    }
  }
  return { W, outLength, outParts };
}

/** x [..., N, C] times a [N·C, L·C'] matrix over its last two axes: [..., L, C']. */
function transformLast(ctx: OnnxContext, x: T, W: Float64Array, outLength: number, outParts: number, role = 'W'): T {
  const lead = x.shape.slice(0, -2);
  const [N, C] = x.shape.slice(-2);
  const rows = ctx.reshape(x, [...lead, N * C]);
  const y = ctx.op('dense', [rows, ctx.const(role, [N * C, outLength * outParts], W)], { pairs: 1, bias: false }, '_')[0];
  return ctx.reshape(y, [...lead, outLength, outParts], 'h');
}

/** A scalar whole-number input that must be constant (dft_length, frame_step, …). */
function wholeInput(ctx: OnnxContext, i: number, what: string, min: number): number {
  const v = ctx.constant(i, what).values;
  if (v.length !== 1 || !Number.isInteger(v[0]) || v[0] < min) return ctx.fail(`${what} is [${Array.from(v).join(', ')}], expected one whole number of at least ${min}`);
  return v[0];
}

/** The [..., 1 or 2] layout of a signal: its last axis holds the real part, or the real and imaginary parts. */
function signalParts(ctx: OnnxContext, dims: readonly number[], what: string): number {
  const c = dims[dims.length - 1];
  if (dims.length < 2 || (c !== 1 && c !== 2)) return ctx.fail(`${what} has shape [${dims.join(', ')}], expected [..., 1] (real) or [..., 2] (real, imaginary)`);
  if (!isFloat(dtypeOfVal(ctx.val(0)))) return ctx.fail(`transforms ${dtypeOfVal(ctx.val(0))} values; ONNX defines ${ctx.node.opType} for floating-point types`);
  return c;
}

/**
 * DFT (opset 17: axis an attribute, default 1; opset 20: an input, default −2) as a dense product
 * by the constant matrix of dftMatrix along the axis: the axis moves next to the last (the real and
 * imaginary parts), the two are flattened, multiplied, and moved back. dft_length must be constant.
 */
const dft: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const parts = signalParts(ctx, dims, 'the input');
  const r = dims.length;
  const rawAxis = ctx.opset >= 20 ? (ctx.has(2) ? wholeInput(ctx, 2, 'axis', -r) : -2) : attrInt(ctx.node, 'axis', 1);
  const axis = axisOf(ctx, rawAxis, r);
  if (axis === r - 1) return ctx.fail(`axis ${rawAxis} is the last axis, which holds the real and imaginary parts`);
  const inverse = attrInt(ctx.node, 'inverse', 0) === 1;
  const onesided = attrInt(ctx.node, 'onesided', 0) === 1;
  const N0 = dims[axis];
  const n = ctx.has(1) ? wholeInput(ctx, 1, 'dft_length', 1) : inverse && onesided ? 2 * (N0 - 1) : N0;
  if (n < 1) return ctx.fail(`the transform has length ${n}; it needs at least one value`);
  const { W, outLength, outParts } = dftMatrix(N0, parts, n, inverse, onesided);
  const perm = [...Array(r).keys()].filter((i) => i !== axis && i !== r - 1);
  perm.push(axis, r - 1);
  const y = transformLast(ctx, ctx.transpose(ctx.tensor(0), perm), W, outLength, outParts);
  const back = perm.map((_, i) => perm.indexOf(i));
  return [tensor(ctx.transpose(y, back, 'h'))];
};

/**
 * The frames of a signal x [B, L, C]: frame f is x[f·step, f·step + length) along axis 1, stacked
 * on a new axis 1: [B, F, length, C]. When step divides length, from q = length/step slices of the
 * signal viewed as chunks of `step` values; else one slice per frame.
 */
function frames(ctx: OnnxContext, x: T, step: number, length: number, count: number): T {
  const [B, L, C] = x.shape;
  const cut = (t: T, axis: number, begin: number, end: number): T => (begin === 0 && end === t.shape[axis] ? t : ctx.op('slice', [t], { begin: t.shape.map((_, i) => (i === axis ? begin : 0)), end: t.shape.map((d, i) => (i === axis ? end : d)) }, '_')[0]);
  const q = length / step;
  const chunks = count + q - 1;
  if (Number.isInteger(q) && chunks * step <= L) {
    const viewed = ctx.reshape(cut(x, 1, 0, chunks * step), [B, chunks, step, C]);
    const parts = Array.from({ length: q }, (_, j) => cut(viewed, 1, j, j + count));
    return parts.length === 1 ? parts[0] : ctx.op('concat', parts, { axis: 2 }, '_')[0];
  }
  const each = Array.from({ length: count }, (_, f) => ctx.reshape(cut(x, 1, f * step, f * step + length), [B, 1, length, C]));
  return each.length === 1 ? each[0] : ctx.op('concat', each, { axis: 1 }, '_')[0];
}

/**
 * STFT (opset 17, onnx/reference/ops/op_stft.py): frames of frame_length values every frame_step
 * values, each weighted by the window and transformed by DFT (onesided by default). frame_step
 * and frame_length must be constant; a constant window is folded into the DFT matrix, a computed
 * one multiplies the frames.
 */
const stft: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const parts = signalParts(ctx, dims, 'the signal');
  if (dims.length !== 3) return ctx.fail(`the signal has shape [${dims.join(', ')}], expected [batch, length, 1 or 2]`);
  const L = dims[1];
  const step = wholeInput(ctx, 1, 'frame_step', 1);
  const win = ctx.has(2) ? ctx.val(2) : null;
  const winDims = win ? (win.kind === 'const' ? win.dims : win.t.shape) : null;
  if (winDims && winDims.length !== 1) return ctx.fail(`the window has shape [${winDims.join(', ')}], expected one axis`);
  const length = ctx.has(3) ? wholeInput(ctx, 3, 'frame_length', 1) : winDims ? winDims[0] : L;
  if (winDims && winDims[0] !== length) return ctx.fail(`the window has ${winDims[0]} values, and frame_length is ${length}`);
  if (length > L) return ctx.fail(`frame_length ${length} is longer than the signal (${L} values)`);
  const onesided = attrInt(ctx.node, 'onesided', 1) === 1;
  const count = 1 + Math.floor((L - length) / step);
  let framed = frames(ctx, ctx.tensor(0), step, length, count);
  const folded = win?.kind === 'const' ? win.values : undefined;
  if (win && win.kind === 'tensor') framed = ctx.map('mul', [framed, ctx.reshape(win.t, [length, 1])], [], '_');
  const { W, outLength, outParts } = dftMatrix(length, parts, length, false, onesided, folded);
  return [tensor(transformLast(ctx, framed, W, outLength, outParts))];
};

/** The element type of output_datatype (default float32), cast to as `window` does. */
function outputType(ctx: OnnxContext): DType {
  const code = attrInt(ctx.node, 'output_datatype', 1);
  const dtype = DTYPES[code];
  if (dtype === undefined || dtype === 'string') return ctx.fail(`output_datatype is ${code}, which nn2eq does not compute with`);
  return dtype;
}

/**
 * MelWeightMatrix (onnx/reference/ops/op_mel_weight_matrix.py) of constant inputs (computed band
 * edges: mel.ts): a constant
 * [dft_length/2 + 1, num_mel_bins] matrix of triangles between mel-spaced bins. Computed as the
 * reference does, in the precision numpy gives each step: the band edges in mel in the hertz
 * inputs' float type (float32 rounds after every operation), the bins in float64, floored.
 */
const melWeightMatrix: OnnxExtractor = (ctx) => {
  const mels = wholeInput(ctx, 0, 'num_mel_bins', 1);
  const length = wholeInput(ctx, 1, 'dft_length', 1);
  const rate = wholeInput(ctx, 2, 'sample_rate', 1);
  if (!edgesConstant(ctx)) {
    const from = edgeType(ctx);
    const to = outputType(ctx);
    if (from === null || (to !== 'float32' && to !== 'float64')) return ctx.fail(`computes its band edges (${dtypeOfVal(ctx.val(3))}, ${dtypeOfVal(ctx.val(4))}) into ${to}; nn2eq computes them from float32 or float64 edges into float32 or float64`, 'make the band edges constants of the model');
    return melComputed(ctx, mels, length, rate, from, to);
  }
  const edge = (i: number, what: string): [number, boolean] => {
    const c = ctx.constant(i, what);
    if (c.values.length !== 1 || !Number.isFinite(c.values[0])) return ctx.fail(`${what} is [${Array.from(c.values).join(', ')}], expected one finite number`);
    return [c.values[0], c.dtype === 'float32'];
  };
  const [lower, single] = edge(3, 'lower_edge_hertz');
  const [upper] = edge(4, 'upper_edge_hertz');
  const r = single ? Math.fround : (v: number) => v;
  const toMel = (f: number) => r(2595 * r(Math.log10(r(1 + r(f / 700)))));
  const low = toMel(lower);
  const step = r(r(toMel(upper) - low) / (mels + 2));
  const bins = Array.from({ length: mels + 2 }, (_, k) => floorDivide((length + 1) * (700 * (10 ** ((k * step + low) / 2595) - 1)), rate));
  const rows = Math.floor(length / 2) + 1;
  const out = new Float64Array(rows * mels);
  const put = (j: number, i: number, v: number) => {
    if (j < 0 || j >= rows) return ctx.fail(`mel bin ${i + 1} reaches spectrogram bin ${j}, outside 0…${rows - 1} (the reference fails on it)`);
    out[j * mels + i] = v;
  };
  for (let i = 0; i < mels; i++) {
    const [lo, centre, hi] = [bins[i], bins[i + 1], bins[i + 2]];
    if (centre === lo) put(centre, i, 1);
    else for (let j = lo; j <= centre; j++) put(j, i, (j - lo) / (centre - lo));
    for (let j = centre; j < hi; j++) put(j, i, (hi - j) / (hi - centre));
  }
  const dtype = outputType(ctx);
  return [konst([rows, mels], out.map((v) => (isFloat(dtype) ? roundToFloat(v, dtype) : dtype === 'bool' ? Number(v !== 0) : Math.trunc(v))), dtype)];
};

/** ONNX op type → extractor for the window functions and the Fourier transforms. */
export const signalOps: Record<string, OnnxExtractor> = {
  HannWindow: window(0.5, 0.5, 0),
  HammingWindow: window(25 / 46, 1 - 25 / 46, 0),
  BlackmanWindow: window(0.42, 0.5, 0.08),
  DFT: dft,
  STFT: stft,
  MelWeightMatrix: melWeightMatrix,
};
