import { attrInt } from '../../load/onnx/attributes.js';
import { sizeOf } from '../../tensor/program.js';
import { axisOf, konst, tensor, type OnnxContext, type OnnxExtractor, type Val } from './context.js';
import { shapeOps } from './shape.js';

/**
 * Compress with a constant condition: the slices along `axis` (or the elements of the flattened
 * input, without one) where the condition is true, as Gather at those indices; slices past the
 * condition's length are dropped, as ONNX says. A computed condition would make the output's
 * length depend on the values, so it is refused.
 */
const compress: OnnxExtractor = (ctx) => {
  const cond = ctx.constant(1, 'condition');
  if (cond.dims.length !== 1) return ctx.fail(`its condition has shape [${cond.dims.join(', ')}], expected one axis`);
  const x = ctx.val(0);
  const flat = !ctx.node.attributes.has('axis');
  const dims = ctx.shape(0);
  const data: Val = !flat ? x : x.kind === 'const' ? konst([x.values.length], x.values, x.dtype) : tensor(ctx.reshape(x.t, [sizeOf(dims)]), x.dtype);
  const shape = flat ? [sizeOf(dims)] : dims;
  const axis = flat ? 0 : axisOf(ctx, attrInt(ctx.node, 'axis', 0), dims.length);
  if (cond.values.length > shape[axis]) return ctx.fail(`its condition has ${cond.values.length} values, more than the ${shape[axis]} ${flat ? 'elements' : `slices along axis ${axis}`}`);
  const ids = Array.from(cond.values).flatMap((c, i) => (c !== 0 ? [i] : []));
  const picked: OnnxContext = { ...ctx, val: (i) => (i === 1 ? konst([ids.length], ids, 'int64') : i === 0 ? data : ctx.val(i)), shape: (i) => (i === 0 ? shape : ctx.shape(i)) };
  return shapeOps.Gather(picked);
};

/** ONNX op type → extractor for Compress. */
export const compressOps: Record<string, OnnxExtractor> = { Compress: compress };
