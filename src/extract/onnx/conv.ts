import { attrFloat, attrInt, attrInts, attrString } from '../../load/onnx/attributes.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { tensor, type OnnxContext, type OnnxExtractor } from './context.js';
import { maxPoolIndices } from './pool-indices.js';

/**
 * Conv, MaxPool, AveragePool and the global pools. ONNX is channels-first ([N, C, …spatial]);
 * the tensor program's window ops are channels-last per sample, so the input is transposed to
 * [N, …spatial, C], the op runs on each sample (a reshape when N is 1, a `foreach` otherwise),
 * and the result is transposed back.
 */

interface Geometry {
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilation: number[];
  readonly padBefore: number[];
  readonly padAfter: number[];
  readonly outSpatial: number[];
}

/** Output size and padding per ONNX's pads / auto_pad / ceil_mode rules. */
function geometry(ctx: OnnxContext, inSpatial: readonly number[], kernel: number[]): Geometry {
  const r = inSpatial.length;
  const strides = attrInts(ctx.node, 'strides', undefined) ?? kernel.map(() => 1);
  const dilation = attrInts(ctx.node, 'dilations', undefined) ?? kernel.map(() => 1);
  const autoPad = attrString(ctx.node, 'auto_pad', 'NOTSET');
  const ceil = attrInt(ctx.node, 'ceil_mode', 0) === 1;
  const pads = attrInts(ctx.node, 'pads', undefined) ?? new Array<number>(2 * r).fill(0);
  const padBefore: number[] = [];
  const padAfter: number[] = [];
  const outSpatial: number[] = [];
  for (let i = 0; i < r; i++) {
    const dk = (kernel[i] - 1) * dilation[i] + 1;
    const s = strides[i];
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const out = Math.ceil(inSpatial[i] / s);
      const total = Math.max(0, (out - 1) * s + dk - inSpatial[i]);
      const before = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      padBefore.push(before);
      padAfter.push(total - before);
      outSpatial.push(out);
    } else if (autoPad === 'VALID') {
      padBefore.push(0);
      padAfter.push(0);
      outSpatial.push(Math.floor((inSpatial[i] - dk) / s) + 1);
    } else if (autoPad === 'NOTSET') {
      const span = inSpatial[i] + pads[i] + pads[i + r] - dk;
      let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
      // A window may not start in the padding after the input (PyTorch's and ONNX Runtime's rule).
      if (ceil && (out - 1) * s >= inSpatial[i] + pads[i]) out--;
      padBefore.push(pads[i]);
      padAfter.push(pads[i + r]);
      outSpatial.push(out);
    } else {
      return ctx.fail(`auto_pad '${autoPad}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID`);
    }
    if (outSpatial[i] <= 0) return ctx.fail(`the window does not fit the input (spatial size ${inSpatial[i]}, kernel ${kernel[i]})`);
  }
  return { kernel, strides, dilation, padBefore, padAfter, outSpatial };
}

/**
 * Runs `perSample` ([…spatial, C] → […spatial', F]) on channels-first x [N, C, …spatial] and
 * returns [N, F, …spatial'].
 */
export function channelsLast(ctx: OnnxContext, x: T, perSample: (xs: T) => T): T {
  const rank = x.shape.length;
  if (rank < 3) return ctx.fail(`expects input [N, C, …spatial], found [${x.shape.join(', ')}]`);
  const r = rank - 2;
  const toLast = [0, ...Array.from({ length: r }, (_, i) => i + 2), 1];
  const xt = ctx.transpose(x, toLast);
  const n = x.shape[0];
  let y: T;
  if (n === 1) {
    y = perSample(ctx.reshape(xt, xt.shape.slice(1)));
    y = ctx.reshape(y, [1, ...y.shape], '_');
  } else {
    const body = ctx.body([{ shape: xt.shape.slice(1), role: '_' }], ([xs]) => [perSample(xs)]);
    y = ctx.op('foreach', [xt], {}, '_', body)[0];
  }
  const back = [0, r + 1, ...Array.from({ length: r }, (_, i) => i + 1)];
  return ctx.transpose(y, back, 'h');
}

/**
 * A convolution whose weight W[F, C, …k] is computed (a graph input): window patches gathered by
 * slicing (im2col, every tap a strided slice of the padded input) and contracted with W by `dot`.
 * xs is one channels-last sample […S, C]; returns […out, F].
 */
function convByPatches(ctx: OnnxContext, xs: T, W: T, geo: Geometry, bias: T | null): T {
  const r = geo.kernel.length;
  const C = xs.shape[r];
  const F = W.shape[0];
  // Pad (or crop) so that every window lies inside.
  let xp = xs;
  const need = geo.outSpatial.map((o, i) => (o - 1) * geo.strides[i] + (geo.kernel[i] - 1) * geo.dilation[i] + 1);
  const crop = geo.padBefore.map((p) => Math.max(0, -p));
  if (crop.some((c) => c > 0)) xp = ctx.op('slice', [xp], { begin: [...crop, 0], end: xp.shape }, '_')[0];
  const before = geo.padBefore.map((p) => Math.max(0, p));
  const after = need.map((n, i) => Math.max(0, n - before[i] - xp.shape[i]));
  if (before.some((p) => p > 0) || after.some((p) => p > 0)) xp = ctx.op('pad', [xp], { before: [...before, 0], after: [...after, 0] }, '_')[0];
  const taps: T[] = [];
  const kc = sizeOf(geo.kernel);
  for (let k = 0; k < kc; k++) {
    let q = k;
    const offs = geo.kernel.map(() => 0);
    for (let i = r - 1; i >= 0; i--) {
      offs[i] = q % geo.kernel[i];
      q = Math.floor(q / geo.kernel[i]);
    }
    let t = xp;
    for (let i = 0; i < r; i++) {
      const s = geo.strides[i];
      const o = geo.outSpatial[i];
      const b = offs[i] * geo.dilation[i];
      const len = (o - 1) * s + 1;
      t = ctx.op('slice', [t], { begin: t.shape.map((_, j) => (j === i ? b : 0)), end: t.shape.map((d, j) => (j === i ? b + len : d)) }, '_')[0];
      if (s > 1) {
        // Every s-th element: pad to o·s, view as [o, s], keep the first of each s.
        const padded = ctx.op('pad', [t], { before: t.shape.map(() => 0), after: t.shape.map((_, j) => (j === i ? s - 1 : 0)) }, '_')[0];
        const viewed = ctx.reshape(padded, [...t.shape.slice(0, i), o, s, ...t.shape.slice(i + 1)]);
        const first = ctx.op('slice', [viewed], { begin: viewed.shape.map(() => 0), end: viewed.shape.map((d, j) => (j === i + 1 ? 1 : d)) }, '_')[0];
        t = ctx.reshape(first, [...t.shape.slice(0, i), o, ...t.shape.slice(i + 1)]);
      }
    }
    taps.push(ctx.reshape(t, [...geo.outSpatial, 1, C]));
  }
  const patches = ctx.reshape(taps.length === 1 ? taps[0] : ctx.op('concat', taps, { axis: r }, '_')[0], [...geo.outSpatial, kc * C]);
  // W[F, C, …k] → [F, k…, C] → [F, kc·C], matching the patch order (tap, channel).
  const Wm = ctx.reshape(ctx.transpose(W, [0, ...Array.from({ length: r }, (_, i) => i + 2), 1]), [F, kc * C]);
  const y = ctx.op('dot', [patches, Wm], { axes: [r, 1], normalize: false }, '_')[0];
  return bias ? ctx.map('add', [y, bias], [], '_') : y;
}

const convComputed: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const W = ctx.tensor(1, 'K');
  const group = attrInt(ctx.node, 'group', 1);
  const [F, cw, ...kernel] = W.shape;
  if (cw * group !== x.shape[1] || F % group !== 0) return ctx.fail(`the weight [${W.shape.join(', ')}] with group=${group} expects ${cw * group} input channels, found ${x.shape[1]}`);
  const geo = geometry(ctx, x.shape.slice(2), kernel);
  const bias = ctx.has(2) ? ctx.tensor(2, 'b') : null;
  if (group === 1) return [tensor(channelsLast(ctx, x, (xs) => convByPatches(ctx, xs, W, geo, bias)))];
  // Groups: each group's C/g input channels against its F/g filters, the outputs concatenated.
  const fg = F / group;
  const part = (t: T, axis: number, g: number, n: number) => ctx.op('slice', [t], { begin: t.shape.map((_, i) => (i === axis ? g * n : 0)), end: t.shape.map((d, i) => (i === axis ? (g + 1) * n : d)) }, '_')[0];
  return [
    tensor(
      channelsLast(ctx, x, (xs) => {
        const c = xs.shape.length - 1;
        const y = ctx.op('concat', Array.from({ length: group }, (_, g) => convByPatches(ctx, part(xs, c, g, cw), part(W, 0, g, fg), geo, null)), { axis: c }, '_')[0];
        return bias ? ctx.map('add', [y, bias], [], '_') : y;
      }),
    ),
  ];
};

const conv: OnnxExtractor = (ctx) => {
  if (ctx.val(1).kind === 'tensor') return convComputed(ctx);
  const x = ctx.tensor(0);
  const w = ctx.constant(1, 'weight');
  const group = attrInt(ctx.node, 'group', 1);
  const [F, cg, ...kernel] = w.dims;
  const cin = x.shape[1];
  if (cg * group !== cin) return ctx.fail(`the weight [${w.dims.join(', ')}] with group=${group} expects ${cg * group} input channels, found ${cin}`);
  const declared = attrInts(ctx.node, 'kernel_shape', undefined);
  if (declared && declared.some((k, i) => k !== kernel[i])) return ctx.fail(`kernel_shape [${declared.join(', ')}] differs from the weight's [${kernel.join(', ')}]`);
  const geo = geometry(ctx, x.shape.slice(2), kernel);
  // ONNX W[F, C/g, …k] → channels-last K[…k, C/g, F].
  const kc = sizeOf(kernel);
  const K = new Float64Array(w.values.length);
  for (let f = 0; f < F; f++) for (let c = 0; c < cg; c++) for (let k = 0; k < kc; k++) K[(k * cg + c) * F + f] = w.values[(f * cg + c) * kc + k];
  const bias = ctx.has(2) ? ctx.constant(2, 'bias') : null;
  return [
    tensor(
      channelsLast(ctx, x, (xs) => {
        const args = [xs, ctx.const('K', [...kernel, cg, F], K)];
        if (bias) args.push(ctx.const('b', [F], bias.values));
        return ctx.op('conv', args, { kernel, strides: geo.strides, dilation: geo.dilation, padBefore: geo.padBefore, outSpatial: geo.outSpatial, groups: group, bias: bias !== null }, '_')[0];
      }),
    ),
  ];
};

function pool(kind: 'max' | 'avg'): OnnxExtractor {
  return (ctx) => {
    const x = ctx.tensor(0);
    const kernel = attrInts(ctx.node, 'kernel_shape', undefined) ?? ctx.fail('kernel_shape is missing');
    const spatial = x.shape.slice(2);
    const geo = geometry(ctx, spatial, kernel);
    const includePad = kind === 'avg' && attrInt(ctx.node, 'count_include_pad', 0) === 1 && geo.padBefore.concat(geo.padAfter).some((p) => p > 0);
    const indices = kind === 'max' && ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '' ? [tensor(maxPoolIndices(ctx, x, geo, attrInt(ctx.node, 'storage_order', 0) === 1), 'int64')] : [];
    return [
      ...[
        channelsLast(ctx, x, (xs) => {
          if (!includePad) return ctx.op('pool', [xs], { kind, kernel, strides: geo.strides, dilation: geo.dilation, padBefore: geo.padBefore, outSpatial: geo.outSpatial }, '_')[0];
          // count_include_pad: the padding zeros count in the average, so pad first, then pool unpadded.
          const padded = ctx.op('pad', [xs], { before: [...geo.padBefore, 0], after: [...geo.padAfter, 0] }, '_')[0];
          return ctx.op('pool', [padded], { kind, kernel, strides: geo.strides, dilation: geo.dilation, padBefore: kernel.map(() => 0), outSpatial: geo.outSpatial }, '_')[0];
        }),
      ].map((y) => tensor(y)),
      ...indices,
    ];
  };
}

/** Max or mean over all spatial axes: [N, C, …] → [N, C, 1, …]. */
/**
 * LpPool: (Σ over the window of |x|^p)^(1/p), padding counting as zeros, as ONNX's definition and
 * its conformance data have it: |x|^p summed by a depthwise convolution with a kernel of ones.
 */
const lpPool: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const kernel = attrInts(ctx.node, 'kernel_shape', undefined) ?? ctx.fail('kernel_shape is missing');
  const p = ctx.opset >= 2 ? attrInt(ctx.node, 'p', 2) : attrFloat(ctx.node, 'p', 2);
  if (!(p > 0)) return ctx.fail(`p is ${p}, expected a positive number`);
  const geo = geometry(ctx, x.shape.slice(2), kernel);
  const c = x.shape[1];
  const ones = ctx.const('ones', [...kernel, c, 1], new Float64Array(sizeOf(kernel) * c).fill(1));
  const powered = p === 2 ? ctx.map('mul', [x, x], [], '_') : p === 1 ? ctx.map('abs', [x], [], '_') : ctx.map('pow', [ctx.map('abs', [x], [], '_')], [p], '_');
  const sum = channelsLast(ctx, powered, (xs) =>
    ctx.op('depthwise_conv', [xs, ones], { kernel, strides: geo.strides, dilation: geo.dilation, padBefore: geo.padBefore, outSpatial: geo.outSpatial, multiplier: 1, bias: false }, '_')[0],
  );
  return [tensor(p === 1 ? sum : p === 2 ? ctx.map('sqrt', [sum], []) : ctx.map('pow', [sum], [1 / p]))];
};

function globalPool(kind: 'max' | 'avg'): OnnxExtractor {
  return (ctx) => {
    const x = ctx.tensor(0);
    const [n, c, ...spatial] = x.shape;
    const p = sizeOf(spatial);
    const flat = ctx.reshape(x, [n * c, p]);
    const cells = ctx.transpose(flat, [1, 0]);
    const y = ctx.op('global_pool', [cells], { kind }, '_')[0];
    return [tensor(ctx.reshape(y, [n, c, ...spatial.map(() => 1)], 'h'))];
  };
}

/** Zeros between the elements of the first strides.length axes of z, s − 1 after each but the last (a transposed convolution's input). */
export function spread(ctx: OnnxContext, z: T, strides: readonly number[]): T {
  for (let i = 0; i < strides.length; i++) {
    const s = strides[i];
    if (s === 1) continue;
    // [.., n, ..] → [.., n, s, ..] → [.., n·s, ..] → first (n−1)·s + 1.
    const sh = z.shape;
    const opened = ctx.reshape(z, [...sh.slice(0, i + 1), 1, ...sh.slice(i + 1)]);
    const before = opened.shape.map(() => 0);
    const after = opened.shape.map((_, j) => (j === i + 1 ? s - 1 : 0));
    const spaced = ctx.reshape(ctx.op('pad', [opened], { before, after }, '_')[0], [...sh.slice(0, i), sh[i] * s, ...sh.slice(i + 1)]);
    const end = spaced.shape.map((d, j) => (j === i ? (sh[i] - 1) * s + 1 : d));
    z = ctx.op('slice', [spaced], { begin: spaced.shape.map(() => 0), end }, '_')[0];
  }
  return z;
}

/**
 * ConvTranspose as a convolution: zeros inserted between input elements (stride), then a stride-1
 * convolution with the kernel flipped and its channel axes swapped, padded by (k−1)·d − pad.
 */
const convTranspose: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const computed = ctx.val(1).kind === 'tensor';
  const w = computed ? null : ctx.constant(1, 'weight');
  const group = attrInt(ctx.node, 'group', 1);
  const [C, fg, ...kernel] = ctx.shape(1);
  const r = kernel.length;
  const F = fg * group;
  const cg = C / group;
  if (x.shape[1] !== C) return ctx.fail(`the weight [${ctx.shape(1).join(', ')}] expects ${C} input channels, found ${x.shape[1]}`);
  const S = x.shape.slice(2);
  const strides = attrInts(ctx.node, 'strides', undefined) ?? kernel.map(() => 1);
  const dilation = attrInts(ctx.node, 'dilations', undefined) ?? kernel.map(() => 1);
  const outPad = attrInts(ctx.node, 'output_padding', undefined) ?? kernel.map(() => 0);
  const autoPad = attrString(ctx.node, 'auto_pad', 'NOTSET');
  const outputShape = attrInts(ctx.node, 'output_shape', undefined);
  let pads = attrInts(ctx.node, 'pads', undefined) ?? new Array<number>(2 * r).fill(0);
  const dk = kernel.map((k, i) => (k - 1) * dilation[i] + 1);
  const full = S.map((n, i) => strides[i] * (n - 1) + outPad[i] + dk[i]);
  if (outputShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const want = outputShape ? outputShape.slice(-r) : S.map((n, i) => n * strides[i]);
    pads = new Array<number>(2 * r).fill(0);
    want.forEach((o, i) => {
      const total = full[i] - o;
      // ONNX Runtime's rule: SAME_UPPER puts the larger half after, otherwise before.
      const small = Math.floor(total / 2);
      [pads[i], pads[i + r]] = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    });
  } else if (autoPad === 'VALID') pads = new Array<number>(2 * r).fill(0);
  const outSpatial = full.map((n, i) => n - pads[i] - pads[i + r]);
  if (outSpatial.some((n) => n <= 0)) return ctx.fail('the padding leaves no output');
  // W[C, F/g, …k] → K[…k flipped, C/g, F] of the equivalent convolution.
  const kc = sizeOf(kernel);
  const K = new Float64Array(kc * cg * F);
  if (w) {
    for (let f = 0; f < F; f++) {
      const gi = Math.floor(f / fg);
      for (let c = 0; c < cg; c++) for (let k = 0; k < kc; k++) K[(k * cg + c) * F + f] = w.values[((gi * cg + c) * fg + (f - gi * fg)) * kc + (kc - 1 - k)];
    }
  }
  // A computed weight: channel axes swapped and every spatial axis reversed, as a tensor.
  // With groups, one such weight per group (its C/g input channels), the groups' outputs concatenated.
  const Wcs: T[] = [];
  for (let g = 0; computed && g < group; g++) {
    const all = ctx.tensor(1, 'K');
    let Wc = group === 1 ? all : ctx.op('slice', [all], { begin: all.shape.map((_, i) => (i === 0 ? g * cg : 0)), end: all.shape.map((d, i) => (i === 0 ? (g + 1) * cg : d)) }, '_')[0];
    Wc = ctx.transpose(Wc, [1, 0, ...Array.from({ length: r }, (_, i) => i + 2)]);
    for (let i = 0; i < r; i++) Wc = ctx.op('reverse', [Wc], { axis: i + 2 }, '_')[0];
    Wcs.push(Wc);
  }
  const bias = !computed && ctx.has(2) ? ctx.constant(2, 'bias') : null;
  const biasT = computed && ctx.has(2) ? ctx.tensor(2, 'b') : null;
  return [
    tensor(
      channelsLast(ctx, x, (xs) => {
        const z = spread(ctx, xs, strides);
        const padBefore = dk.map((d, i) => d - 1 - pads[i]);
        const geo = { kernel, strides: kernel.map(() => 1), dilation, padBefore, padAfter: dk.map((d, i) => d - 1 - pads[i + r]), outSpatial };
        if (Wcs.length === 1) return convByPatches(ctx, z, Wcs[0], geo, biasT);
        if (Wcs.length > 1) {
          const c = z.shape.length - 1;
          const parts = Wcs.map((Wg, g) => convByPatches(ctx, ctx.op('slice', [z], { begin: z.shape.map((_, i) => (i === c ? g * cg : 0)), end: z.shape.map((d, i) => (i === c ? (g + 1) * cg : d)) }, '_')[0], Wg, geo, null));
          const y = ctx.op('concat', parts, { axis: c }, '_')[0];
          return biasT ? ctx.map('add', [y, biasT], [], '_') : y;
        }
        const args = [z, ctx.const('K', [...kernel, cg, F], K)];
        if (bias) args.push(ctx.const('b', [F], bias.values));
        return ctx.op('conv', args, { kernel, strides: kernel.map(() => 1), dilation, padBefore, outSpatial, groups: group, bias: bias !== null }, '_')[0];
      }),
    ),
  ];
};

/** ONNX op type → extractor for windowed ops. */
export const convOps: Record<string, OnnxExtractor> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  LpPool: lpPool,
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
};
