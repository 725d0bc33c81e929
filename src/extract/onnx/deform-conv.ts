import { attrInt, attrInts } from '../../load/onnx/attributes.js';
import type { T } from '../../tensor/program.js';
import { tensor, type OnnxExtractor } from './context.js';

/**
 * DeformConv (opset 19, onnx/reference/ops/op_deform_conv.py), 2-D: a convolution whose every tap
 * reads X at its place moved by a computed offset, bilinearly (zeros outside, GridSample with
 * align_corners as the reference calls it), times the mask when given. Per offset group and tap:
 * the sampling point y, x [N, OH, OW], its four corners picked from X's rows [N·H·W, channels] by
 * `gather_rows` and weighted; the samples laid out as patches [N, OH·OW, C·taps] and multiplied by
 * each group's weight (matmul), plus the bias.
 */
const deformConv: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0, 'X');
  const w = ctx.tensor(1, 'W');
  const off = ctx.tensor(2, 'offset');
  if (x.shape.length !== 4 || w.shape.length !== 4 || off.shape.length !== 4) return ctx.fail(`nn2eq writes DeformConv for 2-D images: X [N, C, H, W], W [OC, C/group, kH, kW] and offset [N, ·, OH, OW]; found X [${x.shape.join(', ')}]`);
  const [N, C, H, Wd] = x.shape;
  const [OC, cg, kh, kw] = w.shape;
  const [, , OH, OW] = off.shape;
  const group = attrInt(ctx.node, 'group', 1);
  const og = attrInt(ctx.node, 'offset_group', 1);
  const kernel = attrInts(ctx.node, 'kernel_shape', undefined) ?? [kh, kw];
  const strides = attrInts(ctx.node, 'strides', undefined) ?? [1, 1];
  const dil = attrInts(ctx.node, 'dilations', undefined) ?? [1, 1];
  const pads = attrInts(ctx.node, 'pads', undefined) ?? [0, 0, 0, 0];
  const kc = kh * kw;
  if (kernel[0] !== kh || kernel[1] !== kw) return ctx.fail(`kernel_shape [${kernel.join(', ')}] differs from the weight's [${kh}, ${kw}]`);
  if (cg * group !== C || OC % group !== 0) return ctx.fail(`the weight [${w.shape.join(', ')}] with group=${group} does not fit ${C} input channels`);
  if (C % og !== 0 || off.shape[0] !== N || off.shape[1] !== og * kc * 2) return ctx.fail(`offset [${off.shape.join(', ')}] does not fit offset_group ${og}, a ${kh}×${kw} kernel and ${C} channels`);
  const out = [0, 1].map((i) => Math.floor(([H, Wd][i] - ((kernel[i] - 1) * dil[i] + 1) + pads[i] + pads[i + 2]) / strides[i]) + 1);
  if (out[0] !== OH || out[1] !== OW) return ctx.fail(`offset's output size [${OH}, ${OW}] differs from the [${out.join(', ')}] that pads, strides and dilations give`);
  const mask = ctx.has(4) ? ctx.tensor(4, 'mask') : null;
  if (mask && (mask.shape.length !== 4 || mask.shape[0] !== N || mask.shape[1] !== og * kc || mask.shape[2] !== OH || mask.shape[3] !== OW)) return ctx.fail(`mask [${mask.shape.join(', ')}] is not [${N}, ${og * kc}, ${OH}, ${OW}]`);
  const cog = C / og;
  const at = [N, OH, OW];
  const channel = (t: T, c: number) => ctx.reshape(ctx.op('slice', [t], { begin: [0, c, 0, 0], end: [N, c + 1, OH, OW] }, '_')[0], at);
  const where = (c: T, a: T, b: T) => ctx.map('where', [c, a, b], [], '_');
  const zero = ctx.const('zero', [1], [0]);
  const rowBase = ctx.const('n', [N, 1, 1], Array.from({ length: N }, (_, n) => n * H * Wd));
  const grid = (axis: 0 | 1, tap: number) => {
    const base = new Float64Array(OH * OW);
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) base[i * OW + j] = axis === 0 ? -pads[0] + strides[0] * i + tap * dil[0] : -pads[1] + strides[1] * j + tap * dil[1];
    return ctx.const(axis === 0 ? 'py' : 'px', [1, OH, OW], base);
  };
  const perGroup: T[] = [];
  for (let g = 0; g < og; g++) {
    const table = ctx.reshape(ctx.transpose(ctx.op('slice', [x], { begin: [0, g * cog, 0, 0], end: [N, (g + 1) * cog, H, Wd] }, '_')[0], [0, 2, 3, 1]), [N * H * Wd, cog]);
    const taps: T[] = [];
    for (let t = 0; t < kc; t++) {
      const a = Math.floor(t / kw);
      const b = t % kw;
      const y = ctx.map('add', [channel(off, (g * kc + t) * 2), grid(0, a)], [], '_');
      const xx = ctx.map('add', [channel(off, (g * kc + t) * 2 + 1), grid(1, b)], [], '_');
      const y0 = ctx.map('floor', [y], [], '_');
      const x0 = ctx.map('floor', [xx], [], '_');
      const ty = ctx.map('sub', [y, y0], [], '_');
      const tx = ctx.map('sub', [xx, x0], [], '_');
      const corners: T[] = [];
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const yi = dy ? ctx.map('affine', [y0], [1, 1], '_') : y0;
        const xi = dx ? ctx.map('affine', [x0], [1, 1], '_') : x0;
        const inside = ctx.map('and', [ctx.map('and', [ctx.map('at_least', [yi], [0], '_'), ctx.map('at_most', [yi], [H - 1], '_')], [], '_'), ctx.map('and', [ctx.map('at_least', [xi], [0], '_'), ctx.map('at_most', [xi], [Wd - 1], '_')], [], '_')], [], '_');
        const id = ctx.map('add', [rowBase, ctx.map('affine', [ctx.map('clip', [yi], [0, H - 1], '_')], [Wd, 0], '_'), ctx.map('clip', [xi], [0, Wd - 1], '_')], [], '_');
        const value = where(ctx.reshape(inside, [...at, 1]), ctx.op('gather_rows', [table, id], {}, '_')[0], zero);
        const wy = dy ? ty : ctx.map('affine', [ty], [-1, 1], '_');
        const wx = dx ? tx : ctx.map('affine', [tx], [-1, 1], '_');
        corners.push(ctx.map('mul', [ctx.reshape(ctx.map('mul', [wy, wx], [], '_'), [...at, 1]), value], [], '_'));
      }
      let sample = ctx.map('add', corners, [], '_');
      if (mask) sample = ctx.map('mul', [sample, ctx.reshape(channel(mask, g * kc + t), [...at, 1])], [], '_');
      taps.push(ctx.reshape(sample, [...at, cog, 1]));
    }
    perGroup.push(taps.length === 1 ? taps[0] : ctx.op('concat', taps, { axis: 4 }, '_')[0]);
  }
  // Patches [N, OH·OW, C·taps] in the weight's (channel, tap) order.
  const patches = ctx.reshape(perGroup.length === 1 ? perGroup[0] : ctx.op('concat', perGroup, { axis: 3 }, '_')[0], [N, OH * OW, C * kc]);
  const wm = ctx.reshape(w, [OC, cg * kc]);
  const ocg = OC / group;
  const outs: T[] = [];
  for (let g = 0; g < group; g++) {
    const p = group === 1 ? patches : ctx.op('slice', [patches], { begin: [0, 0, g * cg * kc], end: [N, OH * OW, (g + 1) * cg * kc] }, '_')[0];
    const wg = group === 1 ? wm : ctx.op('slice', [wm], { begin: [g * ocg, 0], end: [(g + 1) * ocg, cg * kc] }, '_')[0];
    outs.push(ctx.op('matmul', [p, ctx.transpose(wg, [1, 0])], {}, '_')[0]);
  }
  let y = outs.length === 1 ? outs[0] : ctx.op('concat', outs, { axis: 2 }, '_')[0];
  if (ctx.has(3)) y = ctx.map('add', [y, ctx.tensor(3, 'b')], [], '_');
  return [tensor(ctx.transpose(ctx.reshape(y, [N, OH, OW, OC]), [0, 3, 1, 2], 'h'))];
};

/** ONNX op type → extractor for DeformConv. */
export const deformConvOps: Record<string, OnnxExtractor> = { DeformConv: deformConv };
