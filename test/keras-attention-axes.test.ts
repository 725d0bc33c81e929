import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/extract/index.js';
import { convertFile, loadModel, Nn2eqError } from '../src/index.js';
import { parseTopology } from '../src/load/topology.js';
import { findAttention, isInverseRoot } from '../src/tensor/attention.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, readReference, runCRows, runJs, runNumpy, withCC, type Reference } from './helpers.js';
import { evaluateLatex, nameKey } from './latex-eval.js';

// Keras's MultiHeadAttention over more than one axis, or over an inner axis with the others as batch
// axes (attention_axes), in fixtures/keras-attention-axes written by scripts/keras-attention-fixtures.mjs:
// mha_axes_2d (Keras 3, [3, 4, 6] attending over axes (1, 2) at once, with its scores) and
// mha_axes_inner (Keras 2 JSON, [3, 4, 6] queries on [3, 5, 6] values over axis -3, i.e. 2).
// reference.json holds Keras's own einsum equations run in PyTorch on the same weights.

const ROOT = join(FIXTURES, 'keras-attention-axes');
const names = readdirSync(ROOT).filter((n) => existsSync(join(ROOT, n, 'reference.json'))).sort();

function source(name: string): { file: string; weights?: string } {
  const dir = join(ROOT, name);
  if (existsSync(join(dir, 'arch.json'))) return { file: join(dir, 'arch.json'), weights: join(dir, 'weights.h5') };
  return { file: join(dir, 'model.keras') };
}

function check(got: number[][], ref: Reference): void {
  expect(got.length).toBe(ref.cases.length);
  got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
}

describe('MultiHeadAttention with attention_axes, against PyTorch', () => {
  it('has both fixtures', () => expect(names).toEqual(['mha_axes_2d', 'mha_axes_inner']));
  for (const name of names) {
    const { file, weights } = source(name);
    withPython(`${name}: NumPy tensor form`, async () => {
      const ref = readReference(join(ROOT, name));
      const { text } = await convertFile(file, { format: 'numpy', form: 'tensor', weights });
      check(await runNumpy(text, ref.cases.map((c) => c.inputs)), ref);
    });
    it(`${name}: JS tensor form`, async () => {
      const ref = readReference(join(ROOT, name));
      const { text } = await convertFile(file, { format: 'js', form: 'tensor', weights });
      check(await runJs(text, ref.cases.map((c) => c.inputs)), ref);
    });
    withCC(`${name}: C tensor form`, async () => {
      const ref = readReference(join(ROOT, name));
      const { text } = await convertFile(file, { format: 'c', form: 'tensor', weights });
      check(await runCRows(text, ref.cases.map((c) => flat(c.inputs)), flat(ref.cases[0].outputs).length), ref);
    }, 60_000);
    it(`${name}: LaTeX scalar form evaluated from KaTeX's parse tree`, async () => {
      const ref = readReference(join(ROOT, name));
      const { text } = await convertFile(file, { format: 'latex', form: 'scalar', weights });
      const xs = Array.from({ length: flat(ref.cases[0].inputs).length }, (_, i) => nameKey(`x_{${i + 1}}`));
      const ys = Array.from({ length: flat(ref.cases[0].outputs).length }, (_, i) => nameKey(`y_{${i + 1}}`));
      check(ref.cases.map((c) => {
        const values = evaluateLatex(text, new Map(flat(c.inputs).map((v, i) => [xs[i], v])));
        return ys.map((y) => values.get(y) ?? NaN);
      }), ref);
    }, 60_000);
    it(`${name}: one attention equation over the flattened axes, d_k = 3; the LaTeX tensor form renders`, async () => {
      const p = buildProgram(await loadModel(file, { weights }));
      const found = findAttention(p);
      expect(found.length).toBe(1);
      expect(found[0].dk).toBe(3);
      expect(isInverseRoot(found[0].scale, 3)).toBe(true);
      // 2-D: 12 query positions (3·4) on 12 keys; inner: axis 0 a batch axis, 4 queries on 5 keys.
      expect(p.tensors[found[0].weights].shape).toEqual(name === 'mha_axes_2d' ? [2, 12, 12] : [3, 2, 4, 5]);
      const { text } = await convertFile(file, { format: 'latex', form: 'tensor', weights });
      expect(text).toContain('\\operatorname{AttentionWeights}(Q, K^{\\top}) = \\operatorname{softmax}\\left(\\frac{Q K^{\\top}}{\\sqrt{d_{k}}}\\right)');
      expect(await checkLatex(text)).toEqual({ valid: true });
    });
  }
});

describe('what MultiHeadAttention with attention_axes refuses, in one typed line naming the layer', () => {
  /** A Keras 2 functional model: inputs of `shape` (without the batch), then the layer called on them. */
  const refuse = (shape: number[], config: object, call: object = {}) => {
    const x = { class_name: 'InputLayer', config: { batch_input_shape: [null, ...shape], dtype: 'float32', name: 'x' }, name: 'x', inbound_nodes: [] };
    const layer = { class_name: 'MultiHeadAttention', config: { name: 'mha', num_heads: 2, key_dim: 3, ...config }, name: 'mha', inbound_nodes: [[['x', 0, 0, { value: ['x', 0, 0], ...call }]]] };
    const t = parseTopology({ class_name: 'Functional', keras_version: '2.13.1', config: { name: 'm', layers: [x, layer], input_layers: [['x', 0, 0]], output_layers: [['mha', 0, 0]] } }, 'arch.json');
    let err: unknown = null;
    try {
      buildProgram({ ...t, file: 'arch.json', format: 'keras', sources: [], warnings: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Nn2eqError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain("layer 'mha' (MultiHeadAttention)");
    return message;
  };
  it('the heads axis (-2 of the projection [batch, T, heads, key_dim]), which Keras would attend over', () => {
    expect(refuse([4, 6], { attention_axes: [-2] })).toContain('attention_axes is [-2]; for a query of rank 3 (with the batch) they are distinct axes from 1 to 1');
  });
  it('the batch axis, the features axis and a repeated axis', () => {
    expect(refuse([3, 4, 6], { attention_axes: [0] })).toContain('attention_axes is [0]');
    expect(refuse([3, 4, 6], { attention_axes: [4] })).toContain('attention_axes is [4]');
    expect(refuse([3, 4, 6], { attention_axes: [1, -4] })).toContain('attention_axes is [1,-4]');
  });
  it('a causal mask on attention over an input of rank 4', () => {
    expect(refuse([3, 4, 6], { attention_axes: [1, 2] }, { use_causal_mask: true })).toContain('is called with use_causal_mask on inputs of rank 4');
  });
});

describe('keras.ops calls saved in a Keras 3 functional model', () => {
  it('are refused in one typed line naming each, not read as the layer of the same class name', () => {
    const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4, 6], dtype: 'float32', keras_history: [name, 0, 0] } });
    const input = { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4, 6], dtype: 'float32', name: 'x' }, registered_name: null, name: 'x', inbound_nodes: [] };
    // keras.ops.add(x, x) and keras.ops.reshape(s, (-1, 24)) as Keras 3 writes them: module keras.src.ops.numpy.
    const add = { module: 'keras.src.ops.numpy', class_name: 'Add', config: { name: 'add' }, registered_name: 'Add', name: 'add', inbound_nodes: [{ args: [kt('x'), kt('x')], kwargs: {} }] };
    const reshape = { module: 'keras.src.ops.numpy', class_name: 'Reshape', config: { name: 'reshape', newshape: [-1, 24] }, registered_name: 'Reshape', name: 'reshape', inbound_nodes: [{ args: [kt('add')], kwargs: {} }] };
    const t = parseTopology({ module: 'keras.src.models.functional', class_name: 'Functional', config: { name: 'm', layers: [input, add, reshape], input_layers: [['x', 0, 0]], output_layers: [['reshape', 0, 0]] }, registered_name: 'Functional' }, 'config.json', '3.10.0');
    let err: unknown = null;
    try {
      buildProgram({ ...t, file: 'config.json', format: 'keras', sources: [], warnings: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Nn2eqError);
    expect((err as Error).message).toBe("config.json: 2 keras.ops calls saved as nodes of the model: 'add' (Add from keras.src.ops.numpy), 'reshape' (Reshape from keras.src.ops.numpy); nn2eq reads Keras layers, and an operation is not the layer of the same name");
  });
});
