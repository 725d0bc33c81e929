import { attrInts } from '../../load/onnx/attributes.js';
import { axisOf, tensor, type OnnxExtractor } from './context.js';

/**
 * CenterCropPad (opset 18, onnx/reference/ops/op_center_crop_pad.py): each axis of `axes` (all by
 * default) cropped or zero-padded to its length in `shape`, centred: ⌊d/2⌋ elements removed or
 * added before, the rest of the difference d after. A slice, then a pad.
 */
const centerCropPad: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0, 'x');
  const dims = x.shape;
  const r = dims.length;
  const shape = Array.from(ctx.constant(1, 'shape').values, (v) => Math.trunc(v));
  const axes = (attrInts(ctx.node, 'axes', undefined) ?? dims.map((_, i) => i)).map((a) => axisOf(ctx, a, r));
  if (shape.length !== axes.length) return ctx.fail(`shape has ${shape.length} lengths for ${axes.length} axes`);
  if (shape.some((s) => !(s > 0))) return ctx.fail(`shape [${shape.join(', ')}] must be positive lengths`);
  const begin = dims.map(() => 0);
  const end = [...dims];
  const before = dims.map(() => 0);
  const after = dims.map(() => 0);
  axes.forEach((a, k) => {
    const n = dims[a];
    const s = shape[k];
    const half = Math.floor(Math.abs(n - s) / 2);
    if (s < n) [begin[a], end[a]] = [half, half + s];
    else if (s > n) [before[a], after[a]] = [half, s - n - half];
  });
  const cropped = begin.some((b, i) => b !== 0 || end[i] !== dims[i]) ? ctx.op('slice', [x], { begin, end }, '_')[0] : x;
  const padded = before.some((b, i) => b !== 0 || after[i] !== 0) ? ctx.op('pad', [cropped], { before, after }, 'h')[0] : cropped;
  return [tensor(padded)];
};

/** ONNX op type → extractor for CenterCropPad. */
export const cropOps: Record<string, OnnxExtractor> = { CenterCropPad: centerCropPad };
