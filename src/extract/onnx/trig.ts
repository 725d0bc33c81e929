import type { FnName } from '../../tensor/functions.js';
import { isFloat, roundToFloat } from '../../tensor/dtype.js';
import { dtypeOfVal, konst, tensor, type OnnxExtractor } from './context.js';

/** Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh: element-wise on floats, folded on constants. */
function trig(fn: FnName, f: (x: number) => number): OnnxExtractor {
  return (ctx) => {
    const v = ctx.val(0);
    const dtype = dtypeOfVal(v);
    if (!isFloat(dtype)) return ctx.fail(`${ctx.node.opType} of ${dtype} values, which ONNX defines for floating-point types only`);
    if (v.kind === 'const') return [konst(v.dims, v.values.map((x) => roundToFloat(f(x), dtype)), dtype)];
    return [tensor(ctx.map(fn, [v.t]))];
  };
}

/** ONNX op type → extractor for the circular and hyperbolic functions. */
export const trigOps: Record<string, OnnxExtractor> = {
  Sin: trig('sin', Math.sin),
  Cos: trig('cos', Math.cos),
  Tan: trig('tan', Math.tan),
  Asin: trig('asin', Math.asin),
  Acos: trig('acos', Math.acos),
  Atan: trig('atan', Math.atan),
  Sinh: trig('sinh', Math.sinh),
  Cosh: trig('cosh', Math.cosh),
  Asinh: trig('asinh', Math.asinh),
  Acosh: trig('acosh', Math.acosh),
  Atanh: trig('atanh', Math.atanh),
};
