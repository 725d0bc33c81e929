import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, evaluate, loadModel, Nn2eqError, scalarize } from '../src/index.js';
import { jacobian } from '../src/ir/jacobian.js';
import { jacobianProgram } from '../src/transform/jacobian-tensor.js';
import { mulberry32 } from '../src/verify/random.js';
import { buildProgram } from '../src/extract/index.js';
import { parseTopology } from '../src/load/topology.js';
import { findAttention, isInverseRoot } from '../src/tensor/attention.js';
import { verify } from '../src/verify/index.js';
import { evaluateLatex, nameKey } from './latex-eval.js';
import { compileStandalone, FIXTURES, flat, mismatch, readReference, runCRows, runJs, runNumpy, inCI, withCC, type Reference } from './helpers.js';
import { withPython } from './check.js';

// Keras's attention-era layers (MultiHeadAttention, Attention, AdditiveAttention,
// Conv1D/2DTranspose, GroupNormalization, and attention written with the TF-op layers
// TFOpLambda / SlicingOpLambda) in Keras 2 .h5, Keras 2 JSON + weights and Keras 3
// .keras files written by scripts/keras-attention-fixtures.mjs. No TensorFlow runs here: each
// reference.json holds PyTorch's outputs on the same weights (nn.MultiheadAttention, nn.GroupNorm,
// F.conv_transpose, or the layer's math in torch), an oracle independent of nn2eq. Conv2DTranspose
// is also checked against TF.js (--verify), which implements it.

const ROOT = join(FIXTURES, 'keras-attention');
const names = readdirSync(ROOT).filter((n) => existsSync(join(ROOT, n, 'reference.json'))).sort();

function source(name: string): { file: string; weights?: string } {
  const dir = join(ROOT, name);
  if (existsSync(join(dir, 'arch.json'))) return { file: join(dir, 'arch.json'), weights: join(dir, 'weights.h5') };
  return { file: ['model.h5', 'model.keras'].map((f) => join(dir, f)).find(existsSync)! };
}

function check(got: number[][], ref: Reference): void {
  expect(got.length).toBe(ref.cases.length);
  got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
}

describe('Keras attention, transposed-convolution and group-norm fixtures in the tensor forms, against PyTorch', () => {
  it('has every fixture', () => expect(names.length).toBe(13));
  for (const name of names) {
    const { file, weights } = source(name);
    withPython(`${name}: NumPy`, async () => {
      const ref = readReference(join(ROOT, name));
      const { text, form } = await convertFile(file, { format: 'numpy', form: 'tensor', weights });
      expect(form).toBe('tensor');
      check(await runNumpy(text, ref.cases.map((c) => c.inputs)), ref);
    });
    it(`${name}: JS`, async () => {
      const ref = readReference(join(ROOT, name));
      const { text } = await convertFile(file, { format: 'js', form: 'tensor', weights });
      check(await runJs(text, ref.cases.map((c) => c.inputs)), ref);
    });
    withCC(`${name}: C`, async () => {
      const ref = readReference(join(ROOT, name));
      const { text } = await convertFile(file, { format: 'c', form: 'tensor', weights });
      check(await runCRows(text, ref.cases.map((c) => flat(c.inputs)), flat(ref.cases[0].outputs).length), ref);
    }, 60_000);
    it(`${name}: LaTeX (scalar form) evaluated from KaTeX's parse tree`, async () => {
      const ref = readReference(join(ROOT, name));
      const { text } = await convertFile(file, { format: 'latex', form: 'scalar', weights });
      const xs = Array.from({ length: flat(ref.cases[0].inputs).length }, (_, i) => nameKey(`x_{${i + 1}}`));
      const ys = Array.from({ length: flat(ref.cases[0].outputs).length }, (_, i) => nameKey(`y_{${i + 1}}`));
      const got = ref.cases.map((c) => {
        const values = evaluateLatex(text, new Map(flat(c.inputs).map((v, i) => [xs[i], v])));
        return ys.map((y) => values.get(y) ?? NaN);
      });
      check(got, ref);
    }, 60_000);
  }
});

describe("Keras's MultiHeadAttention is an attention equation", () => {
  const program = async (name: string) => {
    const { file, weights } = source(name);
    return buildProgram(await loadModel(file, { weights }));
  };
  for (const [name, dk, heads, masked] of [['mha_self', 4, 2, false], ['mha_cross_mask', 3, 2, true], ['mha_causal', 2, 3, true]] as const) {
    it(`${name}: found once, ${heads} heads, scaled by 1/sqrt(${dk})${masked ? ', with its mask' : ''}`, async () => {
      const found = findAttention(await program(name));
      expect(found.length).toBe(1);
      expect(found[0].dk).toBe(dk);
      expect(isInverseRoot(found[0].scale, dk)).toBe(true);
      expect(found[0].masks.length > 0).toBe(masked);
      const { file, weights } = source(name);
      const { text } = await convertFile(file, { format: 'latex', form: 'tensor', weights });
      const op = name === 'mha_causal' ? 'AttentionWeights' : 'Attention';
      const args = name === 'mha_causal' ? '(Q, K^{\\top}, M)' : masked ? '(Q, K^{\\top}, V, M)' : '(Q, K^{\\top}, V)';
      expect(text).toContain(`\\operatorname{${op}}${args} = \\operatorname{softmax}\\left(\\frac{Q K^{\\top}}{\\sqrt{d_{k}}}${masked ? ' + M' : ''}\\right)`);
      expect(text).toContain(`for each of the ${heads} heads`);
      // The projections have rows of their own, Q^{(1)} = permute(reshape(W_Q X + b_Q)), and the attention reads them by name.
      for (const r of ['Q', 'K', 'V']) expect(text).toMatch(new RegExp(`\\\\mathbf\\{${r}\\}\\^\\{\\(1\\)\\} &= \\\\operatorname\\{permute\\}\\\\left\\(\\\\operatorname\\{reshape\\}_\\{\\(\\d+, ${heads}, \\d+\\)\\}\\\\left\\(W_\\{${r}\\}\\^\\{\\(1\\)\\} \\\\mathbf\\{X\\}_?\\{?\\d?\\}? \\+ \\\\mathbf\\{b\\}_\\{${r}\\}`));
      expect(text).toContain(`\\operatorname{${op}}\\left(\\mathbf{Q}^{(1)}, {\\mathbf{K}^{(1)}}^{\\top}`);
    });
  }
  const pdflatex = spawnSync('pdflatex', ['--version']).status === 0;
  for (const name of ['mha_self', 'mha_cross_mask']) {
    (pdflatex || inCI ? it : it.skip)(`${name}: --standalone compiles with pdflatex on A4 without an overfull line`, async () => {
      const { file, weights } = source(name);
      const { text } = await convertFile(file, { format: 'latex', form: 'tensor', standalone: true, weights });
      const r = await compileStandalone(text);
      expect(r.error, r.dir).toBeNull();
      expect(r.overfull, r.dir).toBeLessThanOrEqual(1);
    }, 120_000);
  }
  it('mha_causal: the causal mask is defined in the where block', async () => {
    const { file, weights } = source('mha_causal');
    const { text } = await convertFile(file, { format: 'latex', form: 'tensor', weights });
    expect(text).toMatch(/_\{ij\} = 0 \\text\{ for keys \} j \\le i\\text\{, \} -\\infty/);
  });
  it('attention written with TF ops (TFOpLambda: matmul, multiply by 0.5, add a mask input, softmax, matmul) is one too', async () => {
    const found = findAttention(await program('tfop_attention'));
    expect(found.length).toBe(1);
    expect(found[0].dk).toBe(4);
    expect(isInverseRoot(found[0].scale, 4)).toBe(true);
    expect(found[0].masks.length).toBe(1);
  });
  it('Attention (dot, use_scale) is one too, scaled by its weight', async () => {
    const found = findAttention(await program('attention_dot'));
    expect(found.length).toBe(1);
    expect(found[0].scale).toBeCloseTo(0.7, 6);
  });
});

describe('Conv2DTranspose against TF.js (--verify --form tensor)', () => {
  it('conv2d_transpose: NumPy, JS and C', async () => {
    const { file } = source('conv2d_transpose');
    for (const format of ['numpy', 'js', 'c'] as const) {
      const c = await convertFile(file, { format, form: 'tensor' });
      const report = await verify(c.model, c.text, { format, program: c.program, form: c.form, samples: 4 });
      expect(report.ok, `${format}: ${JSON.stringify(report.routes.map((r) => [r.route, r.status, r.reason ?? '']))}`).toBe(true);
    }
  }, 120_000);
});

describe('what the Keras side refuses, with one typed line naming the layer', () => {
  /** A Keras 2 functional model: input x [4, 6], then `layer` called on it as `node` (read by the loader's topology parser, no weights file). */
  const refuse = (layer: object, node: unknown[]) => {
    const x = { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 6], dtype: 'float32', name: 'x' }, name: 'x', inbound_nodes: [] };
    const t = parseTopology(JSON.parse(JSON.stringify({ class_name: 'Functional', keras_version: '2.13.1', config: { name: 'm', layers: [x, { ...layer, name: 'op', inbound_nodes: [node] }], input_layers: [['x', 0, 0]], output_layers: [['op', 0, 0]] } })), 'arch.json');
    let err: unknown = null;
    try {
      buildProgram({ ...t, file: 'arch.json', format: 'keras', sources: [], warnings: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Nn2eqError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  };
  it('a TF function with no mapping', async () => {
    const m = refuse({ class_name: 'TFOpLambda', config: { name: 'op', function: 'math.cumsum' } }, ['x', 0, 0, { axis: 1 }]);
    expect(m).toMatch(/layer 'op' \(TFOpLambda\): calls tf\.math\.cumsum, which nn2eq does not map/);
  });
  it('a slice of the batch axis', async () => {
    const m = refuse({ class_name: 'SlicingOpLambda', config: { name: 'op', function: '__operators__.getitem' } }, ['x', 0, 0, { slice_spec: 0 }]);
    expect(m).toContain('selects part of the batch axis');
  });
  it('a reshape that moves the batch axis', async () => {
    const m = refuse({ class_name: 'TFOpLambda', config: { name: 'op', function: 'reshape' } }, ['x', 0, 0, { shape: [4, -1] }]);
    expect(m).toContain('keeps the batch axis first');
  });
  it('MultiHeadAttention over two axes', async () => {
    const m = refuse({ class_name: 'MultiHeadAttention', config: { name: 'op', num_heads: 2, key_dim: 3, attention_axes: [1, 2] } }, [['x', 0, 0, { value: ['x', 0, 0] }]]);
    expect(m).toContain("attention_axes is [1,2]");
  });
});

describe('the loader keeps how each call passed its tensors (load/topology.ts CallSpec)', () => {
  const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4, 6], dtype: 'float32', keras_history: [name, 0, 0] } });
  const input3 = (name: string) => ({ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4, 6], dtype: 'float32', name }, registered_name: null, name, inbound_nodes: [] });
  it('Keras 3: keyword tensors (query, value) and options (use_causal_mask)', () => {
    const mha = { module: 'keras.layers', class_name: 'MultiHeadAttention', config: { name: 'mha', num_heads: 2, key_dim: 3 }, registered_name: null, name: 'mha', inbound_nodes: [{ args: [], kwargs: { query: kt('q'), value: kt('v'), use_causal_mask: true, training: false } }] };
    const t = parseTopology({ module: 'keras.src.models.functional', class_name: 'Functional', config: { name: 'm', layers: [input3('q'), input3('v'), mha], input_layers: [['q', 0, 0], ['v', 0, 0]], output_layers: ['mha', 0, 0] }, registered_name: 'Functional' }, 'config.json', '3.10.0');
    const layer = t.layers.find((l) => l.name === 'mha')!;
    expect(layer.inbound[0].map((r) => r.layer)).toEqual(['q', 'v']);
    expect(layer.calls![0].keywords).toEqual(['query', 'value']);
    expect(layer.calls![0].options).toEqual({ use_causal_mask: true, training: false });
  });
  it('Keras 2: a TF op layer\'s lone entry, a constant first argument, and a keyword tensor', () => {
    const x = { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 6], name: 'x' }, name: 'x', inbound_nodes: [] };
    const sub = { class_name: 'TFOpLambda', config: { name: 'sub', function: 'math.subtract' }, name: 'sub', inbound_nodes: [['_CONSTANT_VALUE', -1, 1.0, { y: ['x', 0, 0], name: null }]] };
    const mul = { class_name: 'TFOpLambda', config: { name: 'mul', function: 'math.multiply' }, name: 'mul', inbound_nodes: [['sub', 0, 0, { y: 2.0, name: null }]] };
    const t = parseTopology({ class_name: 'Functional', keras_version: '2.13.1', config: { name: 'm', layers: [x, sub, mul], input_layers: [['x', 0, 0]], output_layers: [['mul', 0, 0]] } }, 'arch.json');
    const [s, m] = ['sub', 'mul'].map((n) => t.layers.find((l) => l.name === n)!);
    expect(s.inbound[0]).toEqual([{ layer: 'x', node: 0, tensor: 0 }]);
    expect(s.calls![0]).toEqual({ keywords: ['y'], options: { name: null }, constant: 1 });
    expect(m.inbound[0]).toEqual([{ layer: 'sub', node: 0, tensor: 0 }]);
    expect(m.calls![0]).toEqual({ keywords: [null], options: { y: 2, name: null } });
  });
  it('an Embedding with mask_zero upstream of MultiHeadAttention is refused, naming both layers', () => {
    const ids = { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], name: 'ids' }, name: 'ids', inbound_nodes: [] };
    const emb = { class_name: 'Embedding', config: { name: 'emb', input_dim: 10, output_dim: 6, mask_zero: true }, name: 'emb', inbound_nodes: [[['ids', 0, 0, {}]]] };
    const mha = { class_name: 'MultiHeadAttention', config: { name: 'mha', num_heads: 2, key_dim: 3 }, name: 'mha', inbound_nodes: [[['emb', 0, 0, { value: ['emb', 0, 0] }]]] };
    const t = parseTopology({ class_name: 'Functional', keras_version: '2.13.1', config: { name: 'm', layers: [ids, emb, mha], input_layers: [['ids', 0, 0]], output_layers: [['mha', 0, 0]] } }, 'arch.json');
    t.layers.find((l) => l.name === 'emb')!.weights.set('embeddings', { name: 'embeddings', shape: [10, 6], values: new Float32Array(60) });
    expect(() => buildProgram({ ...t, file: 'arch.json', format: 'keras', sources: [], warnings: [] })).toThrow(/layer 'mha' \(MultiHeadAttention\): the model's layer 'emb' \(Embedding with mask_zero\) makes a Keras mask/);
  });
});

describe('--jacobian through Keras attention in the tensor form', () => {
  // Forward mode on the tensor program against the scalar IR's reverse mode, at two random points.
  for (const name of ['mha_cross_mask', 'tfop_attention', 'additive_attention']) {
    it(name, async () => {
      const { file, weights } = source(name);
      const p = buildProgram(await loadModel(file, { weights }));
      const j = jacobianProgram(p);
      const n = p.inputs.reduce((s, i) => s + i.tensor.shape.reduce((a, b) => a * b, 1), 0);
      const r = mulberry32(name.length);
      const ex = scalarize(p, { stableSoftmax: true });
      const rev = jacobian(ex.graph, ex.outputIds, n);
      const fwd = scalarize(j.program, { stableSoftmax: true });
      for (let k = 0; k < 2; k++) {
        const x = Array.from({ length: n }, () => 2 * r() - 1);
        const want = evaluate(rev.graph, x);
        const got = evaluate(fwd.graph, x);
        expect(mismatch(fwd.outputIds.map((o) => got[o]), rev.outputs.map((o) => want[o]), 1e-9, 1e-7)).toBeNull();
      }
    }, 60_000);
  }
});
