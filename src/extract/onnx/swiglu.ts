import { attrFloat } from '../../load/onnx/attributes.js';
import { tensor, type OnnxExtractor } from './context.js';

/**
 * SwiGLU (opset 28, onnx/reference/ops/op_swiglu.py): Swish_α(A)·B = A·σ(α·A)·B, A and B of one
 * shape (no broadcasting, as ONNX says).
 */
const swiglu: OnnxExtractor = (ctx) => {
  const a = ctx.tensor(0, 'A');
  const b = ctx.tensor(1, 'B');
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return ctx.fail(`A [${a.shape.join(', ')}] and B [${b.shape.join(', ')}] must have one shape (SwiGLU does not broadcast)`);
  const gate = ctx.map('swish_a', [a], [attrFloat(ctx.node, 'alpha', 1)], '_');
  return [tensor(ctx.map('mul', [gate, b]))];
};

/** ONNX op type → extractor for SwiGLU. */
export const swigluOps: Record<string, OnnxExtractor> = { SwiGLU: swiglu };
