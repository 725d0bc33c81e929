import { attrFloat, attrInt, attrString } from '../../load/onnx/attributes.js';
import { isFloat } from '../../tensor/dtype.js';
import type { T } from '../../tensor/program.js';
import { tensor, type OnnxContext, type OnnxExtractor } from './context.js';
import { extremeAlong, sumAlong } from './reduce.js';

/** One axis of the sampling points: rows [R, points] of coordinates, their cells and weights (onnx's pre_calc_for_bilinear_interpolate). */
function axisSamples(ctx: OnnxContext, start: T, size: T, bins: number, grid: number, n: number) {
  const at = new Float64Array(bins * grid);
  for (let p = 0; p < bins; p++) for (let i = 0; i < grid; i++) at[p * grid + i] = p + (i + 0.5) / grid;
  // start + bin·(p + (i + ½)/grid), bin = size / bins.
  const v = ctx.map('add', [start, ctx.map('mul', [ctx.map('affine', [size], [1 / bins, 0], '_'), ctx.const('at', [1, bins * grid], at)], [], '_')], [], '_');
  const valid = ctx.map('and', [ctx.map('at_least', [v], [-1], '_'), ctx.map('at_most', [v], [n], '_')], [], '_');
  // Below 0 reads cell 0; from n − 1 on, cell n − 1 with weight 1.
  const c = ctx.map('clip', [v], [0, n - 1], '_');
  const low = ctx.map('floor', [c], [], '_');
  const high = ctx.map('clip', [ctx.map('affine', [low], [1, 1], '_')], [0, n - 1], '_');
  const frac = ctx.map('sub', [c, low], [], '_');
  return { valid, cells: [low, high], weights: [ctx.map('affine', [frac], [-1, 1], '_'), frac] };
}

/**
 * RoiAlign (opset 16, onnx/reference/ops/op_roi_align.py): for each region of interest (x₁, y₁,
 * x₂, y₂)·spatial_scale of image batch_indices[r], an output_height × output_width grid of bins,
 * each averaged (avg) or maximized (max) over sampling_ratio² bilinear samples (ONNX's rules:
 * points past −1 or the size count 0, the rest clamped into the image; max takes the largest
 * weighted corner). Regions and batch indices may be computed: each sample's four cells are
 * picked from X's rows [N·H·W, C] by `gather_rows`. sampling_ratio 0 (a grid sized by each
 * region) is refused: the count of samples would depend on the data.
 */
const roiAlign: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0, 'X');
  const rois = ctx.tensor(1, 'rois');
  const idx = ctx.tensor(2, 'batch');
  if (!isFloat(ctx.dtype(0)) || !isFloat(ctx.dtype(1))) return ctx.fail(`X and rois must be floating-point, found ${ctx.dtype(0)} and ${ctx.dtype(1)}`);
  if (x.shape.length !== 4) return ctx.fail(`expects X [N, C, H, W], found [${x.shape.join(', ')}]`);
  const [N, C, H, W] = x.shape;
  const R = rois.shape[0];
  if (rois.shape.length !== 2 || rois.shape[1] !== 4 || idx.shape.length !== 1 || idx.shape[0] !== R) return ctx.fail(`expects rois [R, 4] and batch_indices [R], found [${rois.shape.join(', ')}] and [${idx.shape.join(', ')}]`);
  const mode = attrString(ctx.node, 'mode', 'avg');
  if (mode !== 'avg' && mode !== 'max') return ctx.fail(`mode '${mode}' is not one of ONNX's (avg, max)`);
  const ctm = attrString(ctx.node, 'coordinate_transformation_mode', ctx.opset >= 16 ? 'half_pixel' : 'output_half_pixel');
  if (ctm !== 'half_pixel' && ctm !== 'output_half_pixel') return ctx.fail(`coordinate_transformation_mode '${ctm}' is not one of ONNX's (half_pixel, output_half_pixel)`);
  const half = ctm === 'half_pixel';
  const PH = attrInt(ctx.node, 'output_height', 1);
  const PW = attrInt(ctx.node, 'output_width', 1);
  const ratio = attrInt(ctx.node, 'sampling_ratio', 0);
  const scale = attrFloat(ctx.node, 'spatial_scale', 1);
  if (ratio <= 0) return ctx.fail('sampling_ratio 0 sizes each bin\'s grid of samples by its region, so the count of samples depends on the data', 'export the model with a positive sampling_ratio');
  const col = (k: number) => ctx.map('affine', [ctx.op('slice', [rois], { begin: [0, k], end: [R, k + 1] }, '_')[0]], [scale, half ? -0.5 : 0], '_');
  const [x1, y1, x2, y2] = [0, 1, 2, 3].map(col);
  const size = (a: T, b: T) => (half ? ctx.map('sub', [b, a], [], '_') : ctx.map('clip', [ctx.map('sub', [b, a], [], '_')], [1, NaN], '_'));
  const ys = axisSamples(ctx, y1, size(y1, y2), PH, ratio, H);
  const xs = axisSamples(ctx, x1, size(x1, x2), PW, ratio, W);
  const PY = PH * ratio;
  const PX = PW * ratio;
  const rowsY = (t: T) => ctx.reshape(t, [R, PY, 1]);
  const colsX = (t: T) => ctx.reshape(t, [R, 1, PX]);
  const valid = ctx.map('and', [rowsY(ys.valid), colsX(xs.valid)], [], '_');
  const table = ctx.reshape(ctx.transpose(x, [0, 2, 3, 1]), [N * H * W, C]);
  const base = ctx.reshape(ctx.map('affine', [idx], [H * W, 0], '_'), [R, 1, 1]);
  const zero = ctx.const('zero', [1], [0]);
  const terms: T[] = [];
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 2; b++) {
      const id = ctx.map('add', [base, ctx.map('affine', [rowsY(ys.cells[a])], [W, 0], '_'), colsX(xs.cells[b])], [], '_');
      const weight = ctx.map('where', [valid, ctx.map('mul', [rowsY(ys.weights[a]), colsX(xs.weights[b])], [], '_'), zero], [], '_');
      terms.push(ctx.map('mul', [ctx.reshape(weight, [R, PY, PX, 1]), ctx.op('gather_rows', [table, id], {}, '_')[0]], [], '_'));
    }
  }
  const samples = ctx.reshape(ctx.map(mode === 'avg' ? 'add' : 'maximum', terms, [], '_'), [R, PH, ratio, PW, ratio, C]);
  const pooled = mode === 'avg' ? sumAlong(ctx, samples, [2, 4], 1 / (ratio * ratio)) : extremeAlong(ctx, extremeAlong(ctx, samples, 2), 4);
  return [tensor(ctx.transpose(ctx.reshape(pooled, [R, PH, PW, C]), [0, 3, 1, 2], 'h'))];
};

/** ONNX op type → extractor for RoiAlign. */
export const roiAlignOps: Record<string, OnnxExtractor> = { RoiAlign: roiAlign };
