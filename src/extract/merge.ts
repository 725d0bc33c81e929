import type { FnName } from '../tensor/functions.js';
import { kerasAxis, sameShape } from './tensor.js';
import type { Extractor } from './types.js';

/** Merge layers: element-wise Add, Subtract, Multiply, Average, Maximum, Minimum; Concatenate; Dot. */

function elementwise(fn: FnName, minInputs = 2, maxInputs = Infinity): Extractor {
  return (ctx, inputs) => {
    if (inputs.length < minInputs || inputs.length > maxInputs) {
      ctx.fail(`takes ${maxInputs === minInputs ? minInputs : `at least ${minInputs}`} inputs, found ${inputs.length}`);
    }
    sameShape(ctx, inputs);
    return [ctx.map(fn, inputs)];
  };
}

const concatenate: Extractor = (ctx, inputs) => [ctx.op('concat', inputs, { axis: kerasAxis(ctx, ctx.layer.config.axis ?? -1, inputs[0].shape.length) })[0]];

/**
 * Keras's Dot (batch_dot): contracts axis a of the first input with axis b of the second; the
 * result has the remaining axes of the first, then of the second. `normalize` first divides each
 * input by its L2 norm along the contracted axis (cosine similarity).
 */
const dot: Extractor = (ctx, inputs) => {
  if (inputs.length !== 2) ctx.fail(`takes 2 inputs, found ${inputs.length}`);
  const [x, y] = inputs;
  const raw = ctx.layer.config.axes ?? -1;
  const pair = Array.isArray(raw) ? raw : [raw, raw];
  const axes = [kerasAxis(ctx, pair[0], x.shape.length, 'axes'), kerasAxis(ctx, pair[1], y.shape.length, 'axes')];
  return [ctx.op('dot', [x, y], { axes, normalize: ctx.layer.config.normalize === true })[0]];
};

export const mergeLayers: Record<string, Extractor> = {
  Add: elementwise('add'),
  Subtract: elementwise('sub', 2, 2),
  Multiply: elementwise('mul'),
  Average: elementwise('average'),
  Maximum: elementwise('maximum'),
  Minimum: elementwise('minimum'),
  Concatenate: concatenate,
  Dot: dot,
};
