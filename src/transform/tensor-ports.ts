import type { ProgramBuilder } from '../tensor/builder.js';
import { TOPS, type TOpInfo } from '../tensor/ops.js';
import { sizeOf, type Equation, type LayerCall, type T, type TensorInfo, type TensorPort, type TensorProgram } from '../tensor/program.js';

/** A transform's tensor program: what replaces a model's outputs keeps the model's inputs. */

/** The model's inputs again in `b`, and all of them flattened and joined into one vector (the scalar order x1…xN). */
export function flatInputs(b: ProgramBuilder, model: TensorProgram, fail: (m: string) => never): { inputs: TensorPort[]; flat: T } {
  const inputs = model.inputs.map((port, i) => ({ name: port.name, tensor: b.input(port.tensor.shape, model.tensors[port.tensor.id].index ?? i) }));
  const flats = inputs.map((p) => (p.tensor.shape.length === 1 ? p.tensor : b.apply('reshape', [p.tensor], { shape: [sizeOf(p.tensor.shape)] }, fail, 'v')[0]));
  return { inputs, flat: flats.length === 1 ? flats[0] : b.apply('concat', flats, { axis: 0 }, fail, 'v')[0] };
}

/** Splits vector `y` into ports shaped like `like` (in order), or returns it whole when it is the one vector output. */
export function splitOutputs(b: ProgramBuilder, y: T, like: readonly TensorPort[], fail: (m: string) => never): TensorPort[] {
  if (like.length === 1 && like[0].tensor.shape.length === 1) return [{ name: like[0].name, tensor: y }];
  let at = 0;
  return like.map((port) => {
    const n = sizeOf(port.tensor.shape);
    const part = like.length === 1 ? y : b.apply('slice', [y], { begin: [at], end: [at + n] }, fail, 'v')[0];
    at += n;
    return { name: port.name, tensor: port.tensor.shape.length === 1 ? part : b.apply('reshape', [part], { shape: [...port.tensor.shape] }, fail, 'v')[0] };
  });
}

/** The program `b` built: one layer call (`className`) holding every equation. */
export function programOf(b: ProgramBuilder, model: TensorProgram, inputs: TensorPort[], outputs: TensorPort[], className: string): TensorProgram {
  const to = b.equations.length;
  return {
    tensors: b.tensors,
    equations: b.equations,
    inputs,
    outputs,
    calls: [{ layer: className.toLowerCase(), className, node: 0, number: 1, at: 1, from: 0, to, outputs: outputs.map((o) => o.tensor) }],
    layerCount: 1,
    modelName: model.modelName,
    file: model.file,
  };
}

/** The equations left after a transform struck some out (null), and where each old index now points (old length included, for call ranges). */
export function compact(eqs: readonly (Equation | null)[]): { kept: Equation[]; newIndex: Int32Array } {
  const kept: Equation[] = [];
  const newIndex = new Int32Array(eqs.length + 1);
  eqs.forEach((eq, i) => {
    newIndex[i] = kept.length;
    if (eq) kept.push(eq);
  });
  newIndex[eqs.length] = kept.length;
  return { kept, newIndex };
}

/**
 * A program's equations, calls and tensors after a transform removed equations (null in `eqs`):
 * each call's range in the kept equations, the calls that still compute numbered again (a call
 * left with moves only gets 0), and every tensor named after its layer's new number. `outputs`
 * gives a call's outputs in the new program, `extra` what else the transform records on it.
 */
export function renumberCalls(
  p: TensorProgram,
  eqs: readonly (Equation | null)[],
  tensors: readonly TensorInfo[],
  outputs: (call: LayerCall, kept: readonly Equation[]) => LayerCall['outputs'],
  extra: (call: LayerCall) => Partial<LayerCall> = () => ({}),
): { equations: Equation[]; calls: LayerCall[]; tensors: TensorInfo[] } {
  const { kept, newIndex } = compact(eqs);
  let number = 0;
  const calls: LayerCall[] = p.calls.map((c) => {
    const from = newIndex[c.from];
    const to = newIndex[c.to];
    const computes = kept.slice(from, to).some((eq) => !(TOPS[eq.op] as TOpInfo).movement);
    if (computes) number++;
    return { ...c, from, to, number: computes ? number : 0, outputs: outputs(c, kept), ...extra(c) };
  });
  // Weights and intermediate values are named after their layer's number, which changed.
  const renumber = new Map<number, number>();
  p.calls.forEach((c, k) => c.number > 0 && renumber.set(c.number, calls[k].number));
  const named = tensors.map((t) => (renumber.has(t.layer) ? { ...t, layer: renumber.get(t.layer)! } : t));
  return { equations: kept, calls, tensors: named };
}
