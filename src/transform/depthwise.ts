import type { ConvAttrs, DepthwiseAttrs } from '../tensor/ops.js';
import type { Equation, TensorInfo, TensorProgram } from '../tensor/program.js';

/**
 * A grouped convolution with one input channel per group (ONNX's and PyTorch's depthwise
 * convolution, Conv with group = C) as the depthwise_conv op, which Keras's DepthwiseConv2D
 * becomes: the code formats print a loop over channels for it instead of one small product per
 * group. Its kernel K[…k, 1, C·M] holds the same values, in the same order, as the depthwise
 * D[…k, C, M] (filter f = c·M + j reads channel c), and the sum runs over the same taps in the
 * same order, so every number is the same. Constant kernels only (a computed one keeps conv).
 */
export function depthwiseProgram(p: TensorProgram): TensorProgram {
  const tensors: TensorInfo[] = [...p.tensors];
  let changed = false;
  const equations = p.equations.map((eq): Equation => {
    if (eq.op !== 'conv') return eq;
    const a = eq.attrs as unknown as ConvAttrs;
    const k = tensors[eq.args[1]];
    const x = tensors[eq.args[0]].shape;
    const r = a.kernel.length;
    const C = x[r];
    const F = k.shape[r + 1];
    if (a.groups <= 1 || a.groups !== C || k.shape[r] !== 1 || k.kind !== 'const' || F % C !== 0) return eq;
    tensors.push({ ...k, shape: [...k.shape.slice(0, r), C, F / C] });
    changed = true;
    const { groups: _g, ...window } = a;
    const attrs: DepthwiseAttrs = { ...window, multiplier: F / C };
    return { ...eq, op: 'depthwise_conv', args: [eq.args[0], tensors.length - 1, ...eq.args.slice(2)], attrs: attrs as unknown as Equation['attrs'] };
  });
  return changed ? { ...p, tensors, equations } : p;
}
