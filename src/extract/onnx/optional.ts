import { konst, type OnnxExtractor } from './context.js';

/**
 * The optional-value ops on what a formula holds, a tensor: OptionalHasElement is true for a tensor
 * and false for an omitted input (a constant either way); OptionalGetElement and Optional of a
 * tensor are that tensor. An empty Optional holds no tensor, so no formula can use it.
 */
export const optionalOps: Record<string, OnnxExtractor> = {
  OptionalHasElement: (ctx) => [konst([], [ctx.has(0) ? 1 : 0], 'bool')],
  OptionalGetElement: (ctx) => (ctx.has(0) ? [ctx.val(0)] : ctx.fail('reads the element of an omitted optional, which ONNX leaves undefined')),
  Optional: (ctx) => (ctx.has(0) ? [ctx.val(0)] : ctx.fail('builds an empty optional, which holds no tensor for a formula to use', 'give the optional a value')),
};
