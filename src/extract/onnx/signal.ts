import { attrInt } from '../../load/onnx/attributes.js';
import { DTYPES } from '../../load/onnx/tensor.js';
import { isFloat, roundToFloat } from '../../tensor/dtype.js';
import { konst, type OnnxExtractor } from './context.js';

/**
 * The window functions of signal processing (HannWindow, HammingWindow, BlackmanWindow, as
 * onnx/reference/ops/op_*_window.py define them): a constant size makes the window a constant
 * tensor, w[n] = a₀ − a₁·cos(2πn/N) + a₂·cos(4πn/N) with N = size (periodic) or size − 1
 * (symmetric), in output_datatype.
 */
function window(a0: number, a1: number, a2: number): OnnxExtractor {
  return (ctx) => {
    const size = ctx.constant(0, 'size').values;
    if (size.length !== 1 || !Number.isInteger(size[0]) || size[0] < 0) return ctx.fail(`size is [${Array.from(size).join(', ')}], expected one whole number of at least 0`);
    const n = size[0];
    const periodic = attrInt(ctx.node, 'periodic', 1) === 1;
    const code = attrInt(ctx.node, 'output_datatype', 1);
    const dtype = DTYPES[code];
    if (dtype === undefined || dtype === 'string') return ctx.fail(`output_datatype is ${code}, which nn2eq does not compute with`);
    const N = periodic ? n : n - 1;
    const w = Float64Array.from({ length: n }, (_, k) => a0 - a1 * Math.cos((2 * Math.PI * k) / N) + a2 * Math.cos((4 * Math.PI * k) / N));
    // ONNX computes the window in float and casts it to output_datatype (an integer type truncates).
    return [konst([n], w.map((v) => (isFloat(dtype) ? roundToFloat(v, dtype) : dtype === 'bool' ? Number(v !== 0) : Math.trunc(v))), dtype)];
  };
}

/** ONNX op type → extractor for the window functions. */
export const signalOps: Record<string, OnnxExtractor> = {
  HannWindow: window(0.5, 0.5, 0),
  HammingWindow: window(25 / 46, 1 - 25 / 46, 0),
  BlackmanWindow: window(0.42, 0.5, 0.08),
};
