import { attrInts } from '../../load/onnx/attributes.js';
import { sizeOf } from '../../tensor/program.js';
import { tensor, type OnnxExtractor } from './context.js';
import { channelsLast, spread } from './conv.js';

/**
 * Col2Im (opset 18, onnx/reference/ops/op_col2im.py): the sliding blocks of input [N, C·Πk, L]
 * summed back into images [N, C, …image_shape]: block b's element at kernel offset j lands at
 * b·stride − pad_begin + j·dilation, when inside. That is a transposed convolution with one input
 * channel per (c, j) and a one-hot kernel, so it is written as one: zeros spread between the
 * blocks (strides), then the table's `conv` with that constant kernel flipped, C groups.
 */
const col2im: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0, 'x');
  const image = Array.from(ctx.constant(1, 'image_shape').values, (v) => Math.trunc(v));
  const kernel = Array.from(ctx.constant(2, 'block_shape').values, (v) => Math.trunc(v));
  const r = image.length;
  if (kernel.length !== r || r === 0) return ctx.fail(`image_shape [${image.join(', ')}] and block_shape [${kernel.join(', ')}] must have one length`);
  const strides = attrInts(ctx.node, 'strides', undefined) ?? image.map(() => 1);
  const dilation = attrInts(ctx.node, 'dilations', undefined) ?? image.map(() => 1);
  const pads = attrInts(ctx.node, 'pads', undefined) ?? new Array<number>(2 * r).fill(0);
  const bl = sizeOf(kernel);
  if (x.shape.length !== 3 || x.shape[1] % bl !== 0) return ctx.fail(`expects input [N, C·${bl}, L], found [${x.shape.join(', ')}]`);
  const [N, CB, L] = x.shape;
  const C = CB / bl;
  const dk = kernel.map((k, i) => (k - 1) * dilation[i] + 1);
  const blocks = image.map((n, i) => Math.floor((n + pads[i] + pads[i + r] - dk[i]) / strides[i]) + 1);
  if (blocks.some((b) => b < 1) || sizeOf(blocks) !== L) return ctx.fail(`input has ${L} blocks; image_shape, block_shape, strides, dilations and pads give [${blocks.join(', ')}]`);
  // The equivalent convolution's kernel K[…k, bl, C]: tap kk (flipped) of group c reads channel j = kc − 1 − kk.
  const K = new Float64Array(bl * bl * C);
  for (let kk = 0; kk < bl; kk++) for (let c = 0; c < C; c++) K[(kk * bl + (bl - 1 - kk)) * C + c] = 1;
  const padBefore = dk.map((d, i) => d - 1 - pads[i]);
  const blocked = ctx.reshape(x, [N, CB, ...blocks]);
  return [
    tensor(
      channelsLast(ctx, blocked, (xs) =>
        ctx.op('conv', [spread(ctx, xs, strides), ctx.const('K', [...kernel, bl, C], K)], { kernel, strides: kernel.map(() => 1), dilation, padBefore, outSpatial: image, groups: C, bias: false }, '_')[0],
      ),
    ),
  ];
};

/** ONNX op type → extractor for Col2Im. */
export const col2imOps: Record<string, OnnxExtractor> = { Col2Im: col2im };
