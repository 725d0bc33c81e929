import { describe, expect, it } from 'vitest';
import { convertWithIR } from '../src/convert.js';
import { Nn2eqError } from '../src/errors.js';
import { buildOnnxProgram, onnxModelSpec } from '../src/extract/onnx/index.js';
import type { OnnxAttribute, OnnxDtype, OnnxModel, OnnxNode, OnnxTensor, OnnxValues } from '../src/load/onnx/types.js';
import { runJs } from './helpers.js';

// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (src/extract/onnx/loss.ts) built in memory,
// in what ONNX's conformance cases do not reach (found by `npm run mutate -- loss`): the default
// reduction (mean, when the node has no `reduction` attribute) against the definition computed here
// (−mean of the picked log-probabilities; SCE: of log_softmax), and every refusal with what it names.
// In-process: well under a second.

const TYPED: Record<string, (v: number[]) => OnnxValues> = {
  float32: (v) => Float32Array.from(v),
  int32: (v) => Int32Array.from(v),
  int64: (v) => BigInt64Array.from(v.map(BigInt)),
};
const t = (name: string, dtype: OnnxDtype, dims: number[], values: number[]): OnnxTensor => ({ name, dtype, dims, values: TYPED[dtype](values) });

function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, OnnxAttribute> = {}): OnnxNode {
  return { name: 'loss', opType, domain: 'ai.onnx', opset: 13, inputs, outputs, attributes: new Map(Object.entries(attrs)) };
}

function model(nodes: OnnxNode[], inputs: [string, OnnxDtype, number[]][], outputs: string[], inits: OnnxTensor[] = []): OnnxModel {
  return {
    file: 'built.onnx',
    irVersion: 8,
    opsets: new Map([['ai.onnx', 13]]),
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
  };
}

async function js(m: OnnxModel, cases: unknown[][]): Promise<number[][]> {
  const program = buildOnnxProgram(m);
  const { text } = convertWithIR(onnxModelSpec(m, program), { format: 'js', form: 'tensor' }, program);
  return runJs(text, cases);
}

function refusal(m: OnnxModel): Nn2eqError {
  try {
    buildOnnxProgram(m);
  } catch (e) {
    expect(e).toBeInstanceOf(Nn2eqError);
    return e as Nn2eqError;
  }
  throw new Error('the model was not refused');
}

const X = [
  [0.5, -1.25, 2],
  [-0.75, 0.25, 1.5],
];
const LABELS = [2, 0];

describe('ONNX losses without a reduction attribute: the mean, as ONNX defines it', () => {
  it('NegativeLogLikelihoodLoss', async () => {
    const m = model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'])], [['x', 'float32', [2, 3]], ['l', 'int64', [2]]], ['y']);
    const [[got]] = await js(m, [[X, LABELS]]);
    expect(got).toBeCloseTo(-(X[0][2] + X[1][0]) / 2, 12);
  });

  it('SoftmaxCrossEntropyLoss', async () => {
    const m = model([node('SoftmaxCrossEntropyLoss', ['x', 'l'], ['y'])], [['x', 'float32', [2, 3]], ['l', 'int64', [2]]], ['y']);
    const logSoftmax = (row: number[], k: number) => row[k] - Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    const [[got]] = await js(m, [[X, LABELS]]);
    expect(got).toBeCloseTo(-(logSoftmax(X[0], 2) + logSoftmax(X[1], 0)) / 2, 12);
  });
});

describe('ONNX loss refusals name what they found', () => {
  const s = (value: string): OnnxAttribute => ({ type: 'string', value });
  const io = (labels: [OnnxDtype, number[]] = ['int64', [2]], x: [OnnxDtype, number[]] = ['float32', [2, 3]]): [string, OnnxDtype, number[]][] => [
    ['x', ...x],
    ['l', ...labels],
  ];
  const cases: [string, OnnxModel, RegExp][] = [
    ['a reduction ONNX does not have', model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'], { reduction: s('max') })], io(), ['y']), /: reduction 'max' is not one of ONNX's \(none, sum, mean\)$/],
    ['labels of the wrong shape', model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'])], io(['int64', [3]]), ['y']), /: labels \[3\] do not fit input \[2, 3\]: expected \[N, d…\] for input \[N, C, d…\]$/],
    ['labels of the wrong rank', model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'])], io(['int64', [2, 3]]), ['y']), /: labels \[2, 3\] do not fit input \[2, 3\]/],
    ['an input of rank 1', model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'])], io(['int64', []], ['float32', [3]]), ['y']), /: labels \[\] do not fit input \[3\]/],
    ['float labels', model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'])], io(['float32', [2]]), ['y']), /: its labels are float32, expected an integer type$/],
    ['an integer input', model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'])], io(['int64', [2]], ['int32', [2, 3]]), ['y']), /: its input is int32, expected a floating-point type$/],
    ['integer scores', model([node('SoftmaxCrossEntropyLoss', ['x', 'l'], ['y'])], io(['int64', [2]], ['int32', [2, 3]]), ['y']), /: its scores are int32, expected a floating-point type$/],
    ['integer weights', model([node('NegativeLogLikelihoodLoss', ['x', 'l', 'w'], ['y'])], io(), ['y'], [t('w', 'int32', [3], [1, 2, 3])]), /: its weights are int32, expected a floating-point type$/],
    ['weights not one per class', model([node('NegativeLogLikelihoodLoss', ['x', 'l', 'w'], ['y'])], io(), ['y'], [t('w', 'float32', [2], [1, 2])]), /: weights \[2\] do not give one weight per class of 3$/],
  ];
  for (const [what, m, message] of cases) {
    it(what, () => {
      const e = refusal(m);
      expect(e.message.split('\n')).toHaveLength(1);
      expect(e.message).toMatch(/node 'loss' \((NegativeLogLikelihoodLoss|SoftmaxCrossEntropyLoss)\)/);
      expect(e.message).toMatch(message);
    });
  }
});
