import { attrFloat } from '../../load/onnx/attributes.js';
import { tensor, type OnnxContext, type OnnxExtractor } from './context.js';
import { shapeOps } from './shape.js';

/**
 * Binarizer (ai.onnx.ml): 1 where x > threshold, else 0 (NaN gives 0), in x's type, as
 * onnx/reference/ops/aionnxml/op_binarizer.py computes it.
 */
const binarizer: OnnxExtractor = (ctx) => [tensor(ctx.map('greater_than', [ctx.tensor(0)], [attrFloat(ctx.node, 'threshold', 0)]), ctx.dtype(0))];

/**
 * ArrayFeatureExtractor (ai.onnx.ml) with constant indices: the elements of the last axis at those
 * indices (flattened), as Gather there; a vector input gives one row, as ONNX's reference does.
 */
const arrayFeatureExtractor: OnnxExtractor = (ctx) => {
  const idx = ctx.constant(1, 'indices');
  const dims = ctx.shape(0);
  const x = ctx.val(0);
  const flat = { ...idx, dims: [idx.values.length] };
  const onLast: OnnxContext = {
    ...ctx,
    node: { ...ctx.node, attributes: new Map([['axis', { type: 'int', value: dims.length - 1 }]]) } as OnnxContext['node'],
    val: (i) => (i === 1 ? flat : i === 0 ? x : ctx.val(i)),
  };
  const [y] = shapeOps.Gather(onLast);
  if (dims.length !== 1) return [y];
  return [y.kind === 'const' ? { ...y, dims: [1, idx.values.length] } : tensor(ctx.reshape(y.t, [1, idx.values.length]), ctx.dtype(0))];
};

/** Extractors of the ai.onnx.ml domain, keyed by domain and op type. */
export const mlOps: Record<string, OnnxExtractor> = {
  'ai.onnx.ml.Binarizer': binarizer,
  'ai.onnx.ml.ArrayFeatureExtractor': arrayFeatureExtractor,
};
