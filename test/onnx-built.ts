import { expect } from 'vitest';
import { convertWithIR } from '../src/convert.js';
import { Nn2eqError } from '../src/errors.js';
import { buildOnnxProgram, onnxModelSpec } from '../src/extract/onnx/index.js';
import type { OnnxAttribute, OnnxDtype, OnnxModel, OnnxNode, OnnxTensor, OnnxValues } from '../src/load/onnx/types.js';
import { ELEMENTWISE } from '../src/tensor/functions.js';
import type { TensorProgram } from '../src/tensor/program.js';
import { runJs } from './helpers.js';

// ONNX models built in memory for the mutation-survivor tests (test/onnx-*-mutants.test.ts): one or
// a few nodes, run as the JS tensor form in-process, refusals caught, and the roles the extractor
// gives the values it makes (which name them in every printed form).

const TYPED: Partial<Record<OnnxDtype, (v: number[]) => OnnxValues>> = {
  float32: (v) => Float32Array.from(v),
  float64: (v) => Float64Array.from(v),
  int32: (v) => Int32Array.from(v),
  int64: (v) => BigInt64Array.from(v.map(BigInt)),
};

/** An initializer. */
export const init = (name: string, dtype: OnnxDtype, dims: number[], values: number[]): OnnxTensor => ({ name, dtype, dims, values: TYPED[dtype]!(values) });

export const int = (value: number): OnnxAttribute => ({ type: 'int', value });
export const ints = (value: number[]): OnnxAttribute => ({ type: 'ints', value });
export const str = (value: string): OnnxAttribute => ({ type: 'string', value });

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, OnnxAttribute> = {}, opset = 13): OnnxNode {
  return { name: 'n', opType, domain: 'ai.onnx', opset, inputs, outputs, attributes: new Map(Object.entries(attrs)) };
}

/** A model of `nodes` with graph inputs [name, dtype, dims] (dims may hold a symbol), outputs by name, and initializers. */
export function model(nodes: OnnxNode[], inputs: [string, OnnxDtype, (number | string)[]][], outputs: string[], inits: OnnxTensor[] = [], opset = 13): OnnxModel {
  return {
    file: 'built.onnx',
    irVersion: 8,
    opsets: new Map([['ai.onnx', opset]]),
    producerName: 'test',
    producerVersion: '',
    graph: {
      name: 'built',
      inputs: inputs.map(([name, elemType, dims]) => ({ name, elemType, dims })),
      outputs: outputs.map((name) => ({ name, elemType: null, dims: null })),
      initializers: new Map(inits.map((i) => [i.name, i])),
      nodes,
      valueInfo: new Map(),
    },
    sources: [],
    externalData: new Map(),
    warnings: [],
  } as OnnxModel;
}

/** The JS tensor form of `m` run on `cases` (each a list of nested-array inputs): per case, its outputs flattened. */
export async function js(m: OnnxModel, cases: unknown[][]): Promise<number[][]> {
  const program = buildOnnxProgram(m);
  const { text } = convertWithIR(onnxModelSpec(m, program), { format: 'js', form: 'tensor' }, program);
  return runJs(text, cases);
}

/** The one-line refusal of building `m` (with `; hint: …` when it has a hint). */
export function refusal(m: OnnxModel): string {
  try {
    buildOnnxProgram(m);
  } catch (e) {
    expect(e).toBeInstanceOf(Nn2eqError);
    const { message, hint } = e as Nn2eqError;
    expect(`${message}${hint ?? ''}`.split('\n')).toHaveLength(1);
    return hint ? `${message}; hint: ${hint}` : message;
  }
  throw new Error('the model was not refused');
}

/**
 * The program's equations, one line each: the op (and its function), then the roles of its
 * arguments and outputs (constants as #role). A role names a value in every printed form: `_` a
 * temporary (t1, t2, …), `h` a value of the layer, others a named constant (W, labels, …).
 */
export function roles(p: TensorProgram): string {
  const role = (id: number) => (p.tensors[id].kind === 'const' ? `#${p.tensors[id].role}` : p.tensors[id].role);
  return p.equations.map((eq) => `${eq.op}${typeof eq.attrs.fn === 'string' ? `:${eq.attrs.fn}` : ''} ${eq.args.map(role).join(' ')} -> ${eq.outs.map(role).join(' ')}`).join('\n');
}

export { buildOnnxProgram };

/**
 * What breaks the rules of the printed program in `p`: a value computed on the way (not an output)
 * whose role is not `_` or `h` (a temporary t1, t2, … or a value of the layer), an output whose
 * role is not one of those, a constant without a plain name (its role names it: labels1, w1, …; the
 * JSON form prints every role), an element-wise function given other parameters than the numbers
 * it declares (the JSON form prints them; `not` takes none, `equal_to` one). Empty when it follows them.
 */
export function roleProblems(p: TensorProgram): string[] {
  const outputs = new Set(p.outputs.map((o) => o.tensor.id));
  const computed = new Set(p.equations.flatMap((eq) => eq.outs));
  const used = new Set(p.equations.flatMap((eq) => eq.args));
  const problems: string[] = [];
  p.tensors.forEach((t, id) => {
    if (t.kind === 'const') {
      if (used.has(id) && !/^[A-Za-z]\w*$/.test(t.role)) problems.push(`constant ${id} has role '${t.role}'`);
    } else if ((outputs.has(id) || computed.has(id)) && t.role !== '_' && t.role !== 'h') problems.push(`${outputs.has(id) ? 'output' : 'value'} ${id} has role '${t.role}'`);
  });
  for (const eq of p.equations) {
    if (eq.op !== 'map') continue;
    const { fn, params } = eq.attrs as { fn: keyof typeof ELEMENTWISE; params: unknown[] };
    const want = ELEMENTWISE[fn].params.length;
    if (params.length !== want || !params.every((v) => typeof v === 'number')) problems.push(`${fn} has parameters ${JSON.stringify(params)}, expected ${want} numbers`);
  }
  return problems;
}
