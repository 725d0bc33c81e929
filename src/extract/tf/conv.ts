import type { T } from '../../tensor/program.js';
import { sizeOf } from '../../tensor/program.js';
import { permute, tensor } from '../onnx/context.js';
import { konst, int, ints, str, type TfContext, type TfExtractor, type Val } from './context.js';

/**
 * TF's NHWC windowed ops onto the program's channels-last window ops (TF's filter layouts are the
 * program's: Conv2D's [kh, kw, C, F], DepthwiseConv2dNative's [kh, kw, C, M]); the batch axis is
 * one sample (a reshape) or a `foreach`. Matrix products and the transposed convolution go
 * through the ONNX builders; bilinear resizing is one constant interpolation matrix per axis.
 */

interface Geometry {
  kernel: number[];
  strides: number[];
  dilation: number[];
  padBefore: number[];
  padAfter: number[];
  outSpatial: number[];
}

/** Output size and padding by TF's SAME / VALID / EXPLICIT rules (NHWC attributes). */
function geometry(ctx: TfContext, inSpatial: readonly number[], kernel: number[], given?: { strides: number[]; dilations: number[] }): Geometry {
  const format = ctx.str('data_format', 'NHWC');
  if (format !== 'NHWC' && format !== 'NDHWC' && format !== 'NWC') return ctx.fail(`data_format '${format}'; nn2eq reads channels-last graphs (NWC, NHWC, NDHWC: what TF.js writes)`);
  const r = kernel.length;
  const s4 = given?.strides ?? ctx.ints('strides') ?? [1, 1, 1, 1];
  const d4 = given?.dilations ?? ctx.ints('dilations') ?? [1, 1, 1, 1];
  const strides = s4.slice(1, 1 + r);
  const dilation = d4.length > 0 ? d4.slice(1, 1 + r) : kernel.map(() => 1);
  const padding = ctx.str('padding', 'VALID');
  const explicit = ctx.ints('explicit_paddings') ?? [];
  const g: Geometry = { kernel, strides, dilation, padBefore: [], padAfter: [], outSpatial: [] };
  for (let i = 0; i < r; i++) {
    const dk = (kernel[i] - 1) * dilation[i] + 1;
    const s = strides[i];
    let before = 0;
    let after = 0;
    if (padding === 'SAME') {
      const out = Math.ceil(inSpatial[i] / s);
      const total = Math.max(0, (out - 1) * s + dk - inSpatial[i]);
      before = Math.floor(total / 2);
      after = total - before;
    } else if (padding === 'EXPLICIT') {
      before = explicit[2 * (i + 1)] ?? 0;
      after = explicit[2 * (i + 1) + 1] ?? 0;
    } else if (padding !== 'VALID') {
      return ctx.fail(`padding '${padding}' is not SAME, VALID or EXPLICIT`);
    }
    const out = Math.floor((inSpatial[i] + before + after - dk) / s) + 1;
    if (out <= 0) return ctx.fail(`the window does not fit the input (spatial size ${inSpatial[i]}, kernel ${kernel[i]})`);
    g.padBefore.push(before);
    g.padAfter.push(after);
    g.outSpatial.push(out);
  }
  return g;
}

/** Runs `perSample` ([…spatial, C] → […spatial', F]) on x [N, …spatial, C]. */
function perSample(ctx: TfContext, x: T, run: (xs: T) => T): T {
  if (x.shape.length < 3) return ctx.fail(`expects input [N, …spatial, C], found [${x.shape.join(', ')}]`);
  if (x.shape[0] === 1) {
    const y = run(ctx.reshape(x, x.shape.slice(1)));
    return ctx.reshape(y, [1, ...y.shape], 'h');
  }
  const body = ctx.body([{ shape: x.shape.slice(1), role: '_' }], ([xs]) => [run(xs)]);
  return ctx.op('foreach', [x], {}, 'h', body)[0];
}

/** The fused activation of _FusedConv2D / _FusedMatMul / FusedDepthwiseConv2dNative, applied to y. */
function fusedActivation(ctx: TfContext, y: T, op: string, extra: number): T {
  switch (op) {
    case 'Relu':
      return ctx.map('relu', [y]);
    case 'Relu6':
      return ctx.map('relu6', [y]);
    case 'Elu':
      return ctx.map('elu', [y], [1]);
    case 'Sigmoid':
      return ctx.map('sigmoid', [y]);
    case 'Tanh':
      return ctx.map('tanh', [y]);
    case 'LeakyRelu':
      return ctx.map('leaky_relu', [y], [ctx.float('leakyrelu_alpha', 0.2)]);
    case 'Prelu': {
      const alpha = ctx.tensor(extra, 'alpha');
      return ctx.map('prelu', [y, alpha]);
    }
    default:
      return ctx.fail(`fuses '${op}', expected BiasAdd followed by Relu, Relu6, Elu, Sigmoid, Tanh, LeakyRelu or Prelu`);
  }
}

/** fused_ops → [has bias, activation or null]; FusedBatchNorm is refused. */
function fusedOps(ctx: TfContext): [boolean, string | null] {
  const ops = ctx.strs('fused_ops') ?? [];
  let bias = false;
  let act: string | null = null;
  for (const op of ops) {
    if (op === 'BiasAdd') bias = true;
    else if (act === null) act = op;
    else ctx.fail(`fuses ${ops.join(', ')}; nn2eq reads BiasAdd and one activation`);
  }
  return [bias, act];
}

function convLike(kind: 'conv' | 'depthwise', fused: boolean): TfExtractor {
  return (ctx) => {
    const x = ctx.tensor(0);
    const w = ctx.constant(1, 'filter');
    const [bias, act] = fused ? fusedOps(ctx) : [false, null];
    const kernel = w.dims.slice(0, -2);
    const r = kernel.length;
    const cin = x.shape[r + 1];
    const geo = geometry(ctx, x.shape.slice(1, 1 + r), kernel);
    const b = bias ? ctx.constant(2, 'bias') : null;
    const [cw, fm] = w.dims.slice(-2);
    let y = perSample(ctx, x, (xs) => {
      // Padding beyond what the window op takes (EXPLICIT pads after the last window) does not change the output.
      const args = [xs, ctx.const('K', w.dims, w.values)];
      if (b) args.push(ctx.const('b', b.dims, b.values));
      const common = { kernel, strides: geo.strides, dilation: geo.dilation, padBefore: geo.padBefore, outSpatial: geo.outSpatial, bias: b !== null };
      if (kind === 'depthwise') {
        if (cw !== cin) return ctx.fail(`the filter [${w.dims.join(', ')}] expects ${cw} channels, found ${cin}`);
        return ctx.op('depthwise_conv', args, { ...common, multiplier: fm }, act ? '_' : 'h')[0];
      }
      if (cin % cw !== 0) return ctx.fail(`the filter [${w.dims.join(', ')}] expects ${cw} input channels, found ${cin}`);
      return ctx.op('conv', args, { ...common, groups: cin / cw }, act ? '_' : 'h')[0];
    });
    if (act) y = fusedActivation(ctx, y, act, 3);
    return [tensor(y)];
  };
}

function pool(kind: 'max' | 'avg'): TfExtractor {
  return (ctx) => {
    const x = ctx.tensor(0);
    const k4 = ctx.ints('ksize') ?? ctx.fail('ksize is missing');
    const r = x.shape.length - 2;
    const kernel = k4.slice(1, 1 + r);
    const geo = geometry(ctx, x.shape.slice(1, 1 + r), kernel);
    return [tensor(perSample(ctx, x, (xs) => ctx.op('pool', [xs], { kind, kernel, strides: geo.strides, dilation: geo.dilation, padBefore: geo.padBefore, outSpatial: geo.outSpatial }, '_')[0]))];
  };
}

/**
 * Conv2DBackpropInput (the transposed convolution): ONNX's ConvTranspose builder on the NCHW view,
 * with TF's filter [kh, kw, F, C] as ONNX's [C, F, kh, kw] and the crop that gives `input_sizes`.
 */
const conv2dBackpropInput: TfExtractor = (ctx) => {
  const sizes = Array.from(ctx.constant(0, 'output size').values);
  const w = ctx.constant(1, 'filter');
  const x = ctx.tensor(2);
  const [kh, kw, F, C] = w.dims;
  const kernel = [kh, kw];
  const strides = (ctx.ints('strides') ?? [1, 1, 1, 1]).slice(1, 3);
  const dilations = (ctx.ints('dilations') ?? [1, 1, 1, 1]).slice(1, 3);
  const padding = ctx.str('padding', 'VALID');
  const explicit = ctx.ints('explicit_paddings') ?? [];
  const want = sizes.slice(1, 3);
  const pads = [0, 0, 0, 0];
  const outPad = [0, 0];
  for (let i = 0; i < 2; i++) {
    const dk = (kernel[i] - 1) * dilations[i] + 1;
    const full = strides[i] * (x.shape[i + 1] - 1) + dk;
    let before = 0;
    if (padding === 'SAME') {
      const total = Math.max(0, (Math.ceil(want[i] / strides[i]) - 1) * strides[i] + dk - want[i]);
      before = Math.floor(total / 2);
    } else if (padding === 'EXPLICIT') before = explicit[2 * (i + 1)] ?? 0;
    const after = full - want[i] - before;
    pads[i] = before;
    if (after >= 0) pads[i + 2] = after;
    else outPad[i] = -after;
  }
  // ONNX W[C, F, kh, kw] from TF's [kh, kw, F, C].
  const W = konst([C, F, kh, kw], permute(w.values, w.dims, [3, 2, 0, 1]));
  const xc = tensor(ctx.transpose(x, [0, 3, 1, 2]));
  const [y] = ctx.onnx('ConvTranspose', [xc, W], { strides: ints(strides), dilations: ints(dilations), pads: ints(pads), output_padding: ints(outPad), group: int(1), auto_pad: str('NOTSET') });
  const yt = y.kind === 'tensor' ? y.t : ctx.fail('(internal) a constant convolution');
  return [tensor(ctx.transpose(yt, [0, 2, 3, 1], 'h'))];
};

/** MatMul / _FusedMatMul (2-D, transpose_a / transpose_b) through ONNX's Gemm builder. */
function matmul(fused: boolean): TfExtractor {
  return (ctx) => {
    const [bias, act] = fused ? fusedOps(ctx) : [false, null];
    const args: Val[] = [ctx.val(0), ctx.val(1)];
    if (bias) args.push(ctx.val(2));
    const [y] = ctx.onnx('Gemm', args, { transA: int(ctx.bool('transpose_a', false) ? 1 : 0), transB: int(ctx.bool('transpose_b', false) ? 1 : 0) });
    if (!act) return [y];
    return [tensor(fusedActivation(ctx, y.kind === 'tensor' ? y.t : ctx.tensor(0), act, 3))];
  };
}

/** BatchMatMul(V2/V3): adj_x / adj_y transpose the last two axes, then ONNX's MatMul builder. */
const batchMatMul: TfExtractor = (ctx) => {
  const adj = (i: number, flag: string): Val => {
    const v = ctx.val(i);
    if (!ctx.bool(flag, false)) return v;
    const r = ctx.shape(i).length;
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return v.kind === 'const' ? konst(perm.map((p) => v.dims[p]), permute(v.values, v.dims, perm)) : tensor(ctx.transpose(v.t, perm));
  };
  return ctx.onnx('MatMul', [adj(0, 'adj_x'), adj(1, 'adj_y')]);
};

/**
 * The [out, in] matrix of TF's bilinear (or nearest) resampling along one axis: row o weights the
 * input cells its source coordinate falls between (align_corners, half_pixel_centers as TF.js).
 */
function resizeMatrix(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean, nearest: boolean): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (nearest) {
      const src = halfPixel ? (o + 0.5) * scale : o * scale;
      let k = Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src));
      k = Math.max(k, 0);
      m[o * inSize + k] = 1;
      continue;
    }
    const src = halfPixel ? (o + 0.5) * scale - 0.5 : o * scale;
    const lo = Math.max(0, Math.floor(src));
    const hi = Math.min(inSize - 1, Math.ceil(src));
    const t = src - Math.floor(src);
    const clampedLo = Math.min(lo, inSize - 1);
    if (src < 0) {
      m[o * inSize + 0] += 1;
      continue;
    }
    m[o * inSize + clampedLo] += 1 - t;
    m[o * inSize + hi] += t;
  }
  return m;
}

function resize(nearest: boolean): TfExtractor {
  return (ctx) => {
    const x = ctx.tensor(0);
    const size = Array.from(ctx.constant(1, 'size').values);
    const align = ctx.bool('align_corners', false);
    const half = ctx.bool('half_pixel_centers', false);
    const [n, h, w, c] = x.shape;
    if (x.shape.length !== 4) return ctx.fail(`expects [N, H, W, C], found [${x.shape.join(', ')}]`);
    const [oh, ow] = size;
    // Nearest by a whole factor without align_corners repeats each element: the program's upsample.
    if (nearest && !align && !half && oh % h === 0 && ow % w === 0) return [tensor(ctx.op('upsample', [x], { factors: [1, oh / h, ow / w, 1] })[0])];
    let y = x;
    // Along W: [N, H, W, C] → [N, H, C, W] · M_wᵀ → [N, H, C, W'] → back.
    if (ow !== w || align || half) {
      const mw = resizeMatrix(w, ow, align, half, nearest);
      const t = ctx.transpose(y, [0, 1, 3, 2]);
      const d = ctx.op('dense', [t, ctx.const('Rw', [w, ow], permute(mw, [ow, w], [1, 0]))], { pairs: 1, bias: false }, '_')[0];
      y = ctx.transpose(d, [0, 1, 3, 2]);
    }
    if (oh !== h || align || half) {
      const mh = resizeMatrix(h, oh, align, half, nearest);
      const t = ctx.transpose(y, [0, 2, 3, 1]);
      const d = ctx.op('dense', [t, ctx.const('Rh', [h, oh], permute(mh, [oh, h], [1, 0]))], { pairs: 1, bias: false }, '_')[0];
      y = ctx.transpose(d, [0, 3, 1, 2], 'h');
    }
    void n;
    void c;
    return [tensor(y)];
  };
}

/** DepthToSpace (NHWC, DCR): [N, H, W, b·b·C] → [N, H·b, W·b, C]. */
const depthToSpace: TfExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const bs = ctx.int('block_size', 2);
  const [n, h, w, c] = x.shape;
  const cc = c / (bs * bs);
  if (!Number.isInteger(cc)) return ctx.fail(`${c} channels are not a multiple of block_size² = ${bs * bs}`);
  const v = ctx.reshape(x, [n, h, w, bs, bs, cc]);
  const t = ctx.transpose(v, [0, 1, 3, 2, 4, 5]);
  return [tensor(ctx.reshape(t, [n, h * bs, w * bs, cc], 'h'))];
};

/** SpaceToDepth (NHWC): [N, H·b, W·b, C] → [N, H, W, b·b·C]. */
const spaceToDepth: TfExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const bs = ctx.int('block_size', 2);
  const [n, hb, wb, c] = x.shape;
  if (hb % bs !== 0 || wb % bs !== 0) return ctx.fail(`height ${hb} and width ${wb} are not multiples of block_size ${bs}`);
  const v = ctx.reshape(x, [n, hb / bs, bs, wb / bs, bs, c]);
  const t = ctx.transpose(v, [0, 1, 3, 2, 4, 5]);
  return [tensor(ctx.reshape(t, [n, hb / bs, wb / bs, bs * bs * c], 'h'))];
};

/** FusedBatchNorm(V2/V3) at inference: x·a + b with a = γ/√(σ²+ε), b = β − μ·a over the channels. */
const fusedBatchNorm: TfExtractor = (ctx) => {
  const [g, beta, mean, variance] = [1, 2, 3, 4].map((i) => ctx.constant(i, ['scale', 'offset', 'mean', 'variance'][i - 1]).values);
  const eps = ctx.float('epsilon', 0.001);
  const a = g.map((v, i) => v / Math.sqrt(variance[i] + eps));
  const b = beta.map((v, i) => v - mean[i] * a[i]);
  const y = ctx.map('scale_shift', [ctx.tensor(0), ctx.const('a', [a.length], a), ctx.const('b', [b.length], b)]);
  return [tensor(y), tensor(y), tensor(y), tensor(y), tensor(y), tensor(y)];
};


/** Conv1D (TF.js's op: x [N, W, C], filter [k, C, F], an integer stride and dilation, NWC): the program's conv over one spatial axis. */
const conv1d: TfExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const w = ctx.constant(1, 'filter');
  if (x.shape.length !== 3 || w.dims.length !== 3) return ctx.fail(`expects x [N, W, C] and a filter [k, C, F], found [${x.shape.join(', ')}] and [${w.dims.join(', ')}]`);
  const [k, cw] = w.dims;
  const cin = x.shape[2];
  if (cin % cw !== 0) return ctx.fail(`the filter [${w.dims.join(', ')}] expects ${cw} input channels, found ${cin}`);
  const geo = geometry(ctx, [x.shape[1]], [k], { strides: [1, ctx.int('stride', 1), 1], dilations: [1, ctx.int('dilation', 1), 1] });
  const y = perSample(ctx, x, (xs) =>
    ctx.op('conv', [xs, ctx.const('K', w.dims, w.values)], { kernel: [k], strides: geo.strides, dilation: geo.dilation, padBefore: geo.padBefore, outSpatial: geo.outSpatial, bias: false, groups: cin / cw }, 'h')[0],
  );
  return [tensor(y)];
};

/**
 * Dilation2D (grayscale morphological dilation, NHWC): the maximum over the window of x + filter,
 * per channel; the window's taps are strided slices of x (SAME pads it with −∞, which no
 * maximum takes), each plus its filter row.
 */
const dilation2d: TfExtractor = (ctx) => {
  const x = ctx.val(0);
  const dims = ctx.shape(0);
  const f = ctx.constant(1, 'filter');
  if (dims.length !== 4 || f.dims.length !== 3 || f.dims[2] !== dims[3]) return ctx.fail(`expects x [N, H, W, C] and a filter [kh, kw, C], found [${dims.join(', ')}] and [${f.dims.join(', ')}]`);
  const [kh, kw, c] = f.dims;
  const geo = geometry(ctx, dims.slice(1, 3), [kh, kw], { strides: ctx.ints('strides') ?? [1, 1, 1, 1], dilations: ctx.ints('rates') ?? [1, 1, 1, 1] });
  let xp = x;
  if (geo.padBefore.some((p) => p > 0) || geo.padAfter.some((p) => p > 0)) {
    const pads = [0, geo.padBefore[0], geo.padBefore[1], 0, 0, geo.padAfter[0], geo.padAfter[1], 0];
    [xp] = ctx.onnx('Pad', [x, konst([8], pads), konst([], [-Infinity], 'float32')]);
  }
  const [oh, ow] = geo.outSpatial;
  const taps: T[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const top = i * geo.dilation[0];
      const left = j * geo.dilation[1];
      const [s] = ctx.onnx('Slice', [xp, konst([2], [top, left]), konst([2], [top + (oh - 1) * geo.strides[0] + 1, left + (ow - 1) * geo.strides[1] + 1]), konst([2], [1, 2]), konst([2], geo.strides)]);
      const row = Array.from({ length: c }, (_, k) => f.values[(i * kw + j) * c + k]);
      const st = s.kind === 'tensor' ? s.t : ctx.const('c', s.dims, s.values);
      taps.push(ctx.map('add', [st, ctx.const('F', [c], row)], [], '_'));
    }
  }
  return [tensor(taps.length === 1 ? ctx.map('linear', taps) : ctx.map('maximum', taps))];
};

/**
 * The [crop, size] sampling matrix of CropAndResize along one axis for the box edge coordinates
 * a, b (fractions of size − 1), as TF.js's kernel: crop position o samples a·(size − 1) + o·scale
 * (the middle for a crop of 1); bilinear weighs the two cells around it, nearest takes the rounded
 * one; a row that falls outside [0, size − 1] is all zeros and `inside` is 0 there.
 */
function cropMatrix(a: number, b: number, size: number, crop: number, nearest: boolean): { m: Float64Array; inside: number[] } {
  const m = new Float64Array(crop * size);
  const inside: number[] = [];
  // In float64 from the float32 box, as the kernel computes (a tie of nearest rounds by it).
  const scale = crop > 1 ? ((b - a) * (size - 1)) / (crop - 1) : 0;
  for (let o = 0; o < crop; o++) {
    const at = crop > 1 ? a * (size - 1) + o * scale : 0.5 * (a + b) * (size - 1);
    if (at < 0 || at > size - 1) {
      inside.push(0);
      continue;
    }
    inside.push(1);
    if (nearest) {
      m[o * size + Math.round(at)] = 1;
      continue;
    }
    const lo = Math.floor(at);
    const hi = Math.ceil(at);
    const t = at - lo;
    m[o * size + lo] += 1 - t;
    m[o * size + hi] += t;
  }
  return { m, inside };
}

/**
 * CropAndResize with constant boxes, box indices and crop size: per box, its image resampled by a
 * constant matrix along W then along H (bilinear or nearest, as TF.js's kernel), the samples that
 * fall outside the image set to extrapolation_value; the boxes joined along the batch axis.
 */
const cropAndResize: TfExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const boxes = ctx.constant(1, 'boxes');
  const boxInd = ctx.constant(2, 'box indices');
  const [ch, cw] = Array.from(ctx.constant(3, 'crop size').values);
  const method = ctx.str('method', 'bilinear');
  if (method !== 'bilinear' && method !== 'nearest') return ctx.fail(`method '${method}' is not bilinear or nearest`);
  const extra = ctx.float('extrapolation_value', 0);
  if (x.shape.length !== 4) return ctx.fail(`expects an image [N, H, W, C], found [${x.shape.join(', ')}]`);
  const [n, h, w, c] = x.shape;
  const parts: T[] = [];
  for (let k = 0; k < boxInd.values.length; k++) {
    const [y1, x1, y2, x2] = Array.from(boxes.values.slice(4 * k, 4 * k + 4), Math.fround);
    const bi = boxInd.values[k];
    if (bi < 0 || bi >= n) {
      parts.push(ctx.const('z', [1, ch, cw, c], new Float64Array(ch * cw * c)));
      continue;
    }
    const img = ctx.op('slice', [x], { begin: [bi, 0, 0, 0], end: [bi + 1, h, w, c] }, '_')[0];
    const my = cropMatrix(y1, y2, h, ch, method === 'nearest');
    const mx = cropMatrix(x1, x2, w, cw, method === 'nearest');
    // [1, H, W, C] → [1, H, C, W] · Mxᵀ → [1, H, C, cw] → [1, C, cw, H] · Myᵀ → [1, C, cw, ch] → [1, ch, cw, C].
    const alongW = ctx.op('dense', [ctx.transpose(img, [0, 1, 3, 2]), ctx.const('Cx', [w, cw], permute(mx.m, [cw, w], [1, 0]))], { pairs: 1, bias: false }, '_')[0];
    const alongH = ctx.op('dense', [ctx.transpose(alongW, [0, 2, 3, 1]), ctx.const('Cy', [h, ch], permute(my.m, [ch, h], [1, 0]))], { pairs: 1, bias: false }, '_')[0];
    let crop = ctx.transpose(alongH, [0, 3, 2, 1]);
    const outside = my.inside.flatMap((iy) => mx.inside.map((ix) => (iy && ix ? 0 : extra)));
    if (outside.some((v) => v !== 0)) crop = ctx.map('add', [crop, ctx.const('e', [1, ch, cw, 1], outside)], [], '_');
    parts.push(crop);
  }
  return [tensor(parts.length === 1 ? ctx.map('linear', parts) : ctx.op('concat', parts, { axis: 0 }, 'h')[0])];
};


/** Largest sampling matrix (output pixels × input pixels) ImageProjectiveTransformV3 writes out. */
const MAX_TRANSFORM_ENTRIES = 1 << 20;

/** A coordinate outside [0, len − 1] brought back by fill_mode, as TF.js's kernel (constant leaves it outside). */
function mapCoord(c: number, len: number, mode: string): number {
  const clamp = (v: number) => Math.min(Math.max(v, 0), len - 1);
  if (mode === 'nearest') return clamp(c);
  if (mode === 'reflect') {
    let v = c;
    if (v < 0) {
      if (len <= 1) v = 0;
      else {
        const sz2 = 2 * len;
        if (v < sz2) v = sz2 * Math.trunc(-v / sz2) + v;
        v = v < -len ? v + sz2 : -v - 1;
      }
    } else if (v > len - 1) {
      if (len <= 1) v = 0;
      else {
        const sz2 = 2 * len;
        v -= sz2 * Math.trunc(v / sz2);
        if (v >= len) v = sz2 - v - 1;
      }
    }
    return clamp(v);
  }
  if (mode === 'wrap') {
    let v = c;
    if (v < 0) v = len <= 1 ? 0 : v + len * (Math.trunc(-v / (len - 1)) + 1);
    else if (v > len - 1) v = len <= 1 ? 0 : v - len * Math.trunc(v / (len - 1));
    return clamp(v);
  }
  return c;
}

/**
 * ImageProjectiveTransformV3 with constant transforms, output shape and fill value: output pixel
 * (x, y) samples the input at ((a0·x + a1·y + a2)/k, (b0·x + b1·y + b2)/k), k = c0·x + c1·y + 1,
 * brought back by fill_mode and read nearest or bilinear, taps outside the image giving
 * fill_value (TF.js's kernel). Per sample, one constant matrix over the flattened pixels, plus
 * fill_value times the weight that fell outside.
 */
const imageProjectiveTransform: TfExtractor = (ctx) => {
  const x = ctx.tensor(0);
  if (x.shape.length !== 4) return ctx.fail(`expects images [N, H, W, C], found [${x.shape.join(', ')}]`);
  const [n, h, w, c] = x.shape;
  const tr = ctx.constant(1, 'transforms');
  const [oh, ow] = Array.from(ctx.constant(2, 'output shape').values);
  const fill = ctx.arity > 3 ? ctx.constant(3, 'fill value').values[0] : 0;
  const interpolation = ctx.str('interpolation', 'NEAREST').toLowerCase();
  const mode = ctx.str('fill_mode', 'CONSTANT').toLowerCase();
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') return ctx.fail(`interpolation '${interpolation}' is not NEAREST or BILINEAR`);
  if (!['constant', 'reflect', 'wrap', 'nearest'].includes(mode)) return ctx.fail(`fill_mode '${mode}' is not CONSTANT, REFLECT, WRAP or NEAREST`);
  const rows = tr.values.length / 8;
  if (rows !== 1 && rows !== n) return ctx.fail(`${rows} transforms for ${n} images; expected 1 or ${n}`);
  if (oh * ow * h * w > MAX_TRANSFORM_ENTRIES) return ctx.fail(`its sampling matrix would have ${oh * ow * h * w} entries; nn2eq writes it out up to ${MAX_TRANSFORM_ENTRIES}`);
  const parts: T[] = [];
  for (let b = 0; b < n; b++) {
    const t = Array.from(tr.values.slice(rows === 1 ? 0 : 8 * b, (rows === 1 ? 0 : 8 * b) + 8), Math.fround);
    const m = new Float64Array(h * w * oh * ow);
    const outside = new Float64Array(oh * ow);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const p = oy * ow + ox;
        const k = t[6] * ox + t[7] * oy + 1;
        if (k === 0) {
          outside[p] = fill;
          continue;
        }
        const sx = mapCoord((t[0] * ox + t[1] * oy + t[2]) / k, w, mode);
        const sy = mapCoord((t[3] * ox + t[4] * oy + t[5]) / k, h, mode);
        const tap = (yy: number, xx: number, weight: number) => {
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) m[(yy * w + xx) * oh * ow + p] += weight;
          else outside[p] += weight * fill;
        };
        if (interpolation === 'nearest') tap(Math.round(sy), Math.round(sx), 1);
        else {
          const yf = Math.floor(sy);
          const xf = Math.floor(sx);
          tap(yf, xf, (yf + 1 - sy) * (xf + 1 - sx));
          tap(yf, xf + 1, (yf + 1 - sy) * (sx - xf));
          tap(yf + 1, xf, (sy - yf) * (xf + 1 - sx));
          tap(yf + 1, xf + 1, (sy - yf) * (sx - xf));
        }
      }
    }
    // [1, H, W, C] → [C, H·W] · M [H·W, oh·ow] → [C, oh·ow] → [1, oh, ow, C].
    const img = n === 1 ? x : ctx.op('slice', [x], { begin: [b, 0, 0, 0], end: [b + 1, h, w, c] }, '_')[0];
    const flat = ctx.transpose(ctx.reshape(img, [h * w, c]), [1, 0]);
    const sampled = ctx.op('dense', [flat, ctx.const('M', [h * w, oh * ow], m)], { pairs: 1, bias: false }, '_')[0];
    let y = ctx.reshape(ctx.transpose(sampled, [1, 0]), [1, oh, ow, c]);
    if (outside.some((v) => v !== 0)) y = ctx.map('add', [y, ctx.const('f', [1, oh, ow, 1], outside)], [], '_');
    parts.push(y);
  }
  return [tensor(parts.length === 1 ? ctx.map('linear', parts) : ctx.op('concat', parts, { axis: 0 }, 'h')[0])];
};

/** TF op → extractor for convolution, pooling, matrices and images. */
export const convOps: Record<string, TfExtractor> = {
  Conv2D: convLike('conv', false),
  _FusedConv2D: convLike('conv', true),
  DepthwiseConv2dNative: convLike('depthwise', false),
  FusedDepthwiseConv2dNative: convLike('depthwise', true),
  DepthwiseConv2d: convLike('depthwise', false),
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv3D: convLike('conv', false),
  Conv1D: conv1d,
  Dilation2D: dilation2d,
  CropAndResize: cropAndResize,
  ImageProjectiveTransformV3: imageProjectiveTransform,
  MaxPool: pool('max'),
  AvgPool: pool('avg'),
  MaxPool3D: pool('max'),
  AvgPool3D: pool('avg'),
  MatMul: matmul(false),
  _FusedMatMul: matmul(true),
  BatchMatMul: batchMatMul,
  BatchMatMulV2: batchMatMul,
  BatchMatMulV3: batchMatMul,
  ResizeBilinear: resize(false),
  ResizeNearestNeighbor: resize(true),
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV2: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
};

void sizeOf;
