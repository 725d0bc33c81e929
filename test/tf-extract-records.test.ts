import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Extracted } from '../src/extract/index.js';
import { convertFile } from '../src/index.js';
import { buildTfProgram, tfModelSpec } from '../src/extract/tf/index.js';
import { tfSource } from '../src/extract/tf/source.js';
import { loadAnyModel, type TfGraphModel } from '../src/load/index.js';
import { TOPS, type TOpInfo } from '../src/tensor/ops.js';
import { tfGraphReference } from '../src/verify/tf-graph-oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { mismatch, runJs, tmpDir } from './helpers.js';
import { A, writeGraphModel, type GraphFixture } from './tfjs-graph-fixtures.js';

// The records the TF graph walker writes besides the equations (found by `npm run mutate --
// src/extract/tf/index.ts`): the layer calls (one per node that computes, in the graph's order,
// numbered among those that compute), the batch axis's Input and Output calls, a folded output's
// Const call, the legend of the signature's names, and the ModelSpec that info, diff and the
// layer table read (each node's float Const inputs as its weights). Every expectation is worked
// out from the hand-written file: its node names, ops, order, shapes and weight values.

async function graph(g: GraphFixture): Promise<TfGraphModel> {
  const loaded = await loadAnyModel(writeGraphModel(tmpDir(), g));
  if (!('tfgraph' in loaded)) throw new Error('not a graph model');
  return loaded.tfgraph;
}

const W = [0.5, -1, 2, 0.25, -0.75, 1.5];
const B = [0.125, -0.5];
/**
 * x [-1, 3] (a batch axis) → MatMul W [3, 2] → BiasAdd b → Reshape to [-1, 2] (moves, computes
 * nothing) → Relu: output y [2]; and k = a + c, two float constants folded: output k [3].
 * Topological order (Kahn's, file order among the ready ones): x, W, b, shp, a, c, mm, k, ba, r, y.
 */
const FIXTURE: GraphFixture = {
  inputs: [{ name: 'x', dims: [-1, 3] }],
  weights: [
    { name: 'W', dims: [3, 2], values: W },
    { name: 'b', dims: [2], values: B },
    { name: 'shp', dims: [2], values: [-1, 2], dtype: 'int32' },
    { name: 'a', dims: [3], values: [0.5, -1, 2] },
    { name: 'c', dims: [3], values: [0.25, 4, -3] },
  ],
  nodes: [
    ['mm', 'MatMul', ['x', 'W'], { transpose_a: A.b(false), transpose_b: A.b(false) }],
    ['k', 'AddV2', ['a', 'c']],
    ['ba', 'BiasAdd', ['mm', 'b'], { data_format: A.s('NHWC') }],
    ['r', 'Reshape', ['ba', 'shp'], { Tshape: A.type('DT_INT32') }],
    ['y', 'Relu', ['r']],
  ],
  outputs: ['y', 'k'],
};

describe('TF graph walker: the layer calls and ports of a program', () => {
  it('one call per node with equations, in graph order: the batch Input and Output calls, a movement numbered 0, a folded output last', async () => {
    const model = await graph(FIXTURE);
    const p = buildTfProgram(model);
    expect(p.calls.map((c) => [c.layer, c.className, c.number, c.at, c.node])).toEqual([
      ['x', 'Input', 0, 0, 0],
      ['mm', 'MatMul', 1, 7, 0],
      ['ba', 'BiasAdd', 2, 9, 0],
      ['r', 'Reshape', 0, 10, 0],
      ['y', 'Relu', 3, 11, 0],
      ['y', 'Output', 0, 11, 0],
      ['k', 'Const', 4, 11, 0],
    ]);
    // The calls cut the equations into consecutive ranges covering them all. Reshape to the shape
    // its input has writes no equation: a call of its own still, passing BiasAdd's tensor on.
    let next = 0;
    for (const c of p.calls) {
      expect(c.from, c.className).toBe(next);
      expect(c.to - c.from, c.className).toBe(c.className === 'Reshape' ? 0 : 1);
      next = c.to;
    }
    expect(next).toBe(p.equations.length);
    // The batch axis is added and dropped by reshapes only; the Reshape node only moves values.
    const ops = (i: number) => p.equations.slice(p.calls[i].from, p.calls[i].to).map((e) => e.op);
    expect(ops(0)).toEqual(['reshape']);
    expect(ops(5)).toEqual(['reshape']);
    expect(p.calls[3].outputs[0]).toBe(p.calls[2].outputs[0]);
    for (const i of [1, 2, 4, 6]) expect(ops(i).some((op) => !(TOPS[op] as TOpInfo).movement), p.calls[i].className).toBe(true);
    // Each call's outputs: the node's tensors, with the batch axis of 1 inside the program.
    expect(p.calls.map((c) => c.outputs.map((t) => t.shape))).toEqual([[[1, 3]], [[1, 2]], [[1, 2]], [[1, 2]], [[1, 2]], [[2]], [[3]]]);
    expect(p.calls[5].outputs[0]).toBe(p.outputs[0].tensor);
    expect(p.calls[6].outputs[0]).toBe(p.outputs[1].tensor);
    expect(p.calls[0].outputs[0]).not.toBe(p.inputs[0].tensor);
    expect(p.equations[p.calls[0].from].args).toEqual([p.inputs[0].tensor.id]);
    // The batch axis's reshapes are temporaries (role '_': the printers name them t1, t2, …); a constant output is a value (h).
    expect([0, 5, 6].map((i) => p.tensors[p.calls[i].outputs[0].id].role)).toEqual(['_', '_', 'h']);
    // The folded output's values are a constant (c) the equation copies.
    const copy = p.equations[p.calls[6].from];
    expect(copy.args.map((id) => [p.tensors[id].kind, p.tensors[id].role, Array.from(p.tensors[id].values ?? [])])).toEqual([['const', 'c', [0.75, 3, -1]]]);
    expect(copy.attrs).toEqual({ fn: 'linear', params: [] });
    // Ports: the signature's names, without the batch axis.
    expect(p.inputs.map((i) => [i.name, i.tensor.shape])).toEqual([['x', [3]]]);
    expect(p.outputs.map((o) => [o.name, o.tensor.shape])).toEqual([['y', [2]], ['k', [3]]]);
    // The rest of the record: 11 nodes the outputs need, the folder's name, the legend.
    expect(p.layerCount).toBe(11);
    expect(p.modelName).toBe(model.name);
    expect(p.file).toBe(model.file);
    expect(p.namedPorts).toBe(true);
    expect(p.notes).toEqual(['inputs in order: x [3]; outputs in order: y [2], k [3]']);
  });

  it('a node that passes a tensor on without equations is a call of its own (numbered 0); its constant output alone would not be', async () => {
    const model = await graph({
      inputs: [{ name: 'x', dims: [2] }],
      weights: [{ name: 'k', dims: [2], values: [1, 2] }],
      nodes: [
        ['n', 'IdentityN', ['x', 'k'], { T: { list: { type: ['DT_FLOAT', 'DT_FLOAT'] } } }],
        ['y', 'AddV2', ['n', 'n:1']],
      ],
      outputs: ['y'],
    });
    const p = buildTfProgram(model);
    expect(p.calls.map((c) => [c.layer, c.className, c.number, c.at, c.to - c.from])).toEqual([
      ['n', 'IdentityN', 0, 3, 0],
      ['y', 'AddV2', 1, 4, 1],
    ]);
    expect(p.calls[0].outputs).toEqual([p.inputs[0].tensor]);
  });

  it('without a batch axis: no Input or Output call, and the legend keeps every axis', async () => {
    const model = await graph({
      inputs: [{ name: 'u', dims: [2, 3] }, { name: 'v', dims: [3] }],
      weights: [],
      nodes: [
        ['s', 'AddV2', ['u', 'v']],
        ['t', 'Tanh', ['s']],
      ],
      outputs: ['t', 's'],
    });
    const p = buildTfProgram(model);
    // [2, 3]: a leading 2 is no batch axis.
    expect(p.calls.map((c) => [c.layer, c.className, c.number, c.at])).toEqual([
      ['s', 'AddV2', 1, 3],
      ['t', 'Tanh', 2, 4],
    ]);
    expect(p.notes).toEqual(['inputs in order: u [2, 3], v [3]; outputs in order: t [2, 3], s [2, 3]']);
    expect(p.layerCount).toBe(4);
    expect(p.outputs.map((o) => o.tensor)).toEqual([p.calls[1].outputs[0], p.calls[0].outputs[0]]);
  });
});

describe('TF graph walker: declared input shapes', () => {
  it('an axis of length 0 is a known length (only a negative one is unknown): no refusal, the axis kept', async () => {
    const model = await graph({ inputs: [{ name: 'x', dims: [-1, 0, 3] }], weights: [], nodes: [['y', 'Relu', ['x']]], outputs: ['y'] });
    const p = buildTfProgram(model);
    expect(p.inputs.map((i) => i.tensor.shape)).toEqual([[0, 3]]);
    expect(p.notes).toEqual(['inputs in order: x [0, 3]; outputs in order: y [0, 3]']);
    // Its --input-shape hint keeps the 0 (the batch axis is 1, another unknown one N).
    const open = await graph({ inputs: [{ name: 'x', dims: [-1, 0, -1] }], weights: [], nodes: [['y', 'Relu', ['x']]], outputs: ['y'] });
    expect(() => buildTfProgram(open)).toThrow(`${open.file}: input 'x' has unknown dimensions in [-1, 0, -1] (fix them with --input-shape x:1x0xN)`);
  });
  it("an input port may name its Placeholder's tensor 'x:0' as well as 'x' (the loader's spelling)", async () => {
    const model = await graph({ inputs: [{ name: 'x', dims: [-1, 3] }], weights: [], nodes: [['y', 'Relu', ['x']]], outputs: ['y'] });
    expect(model.inputs.map((i) => i.tensor)).toEqual(['x']);
    const p = buildTfProgram({ ...model, inputs: model.inputs.map((i) => ({ ...i, tensor: 'x:0' })) });
    const relu = p.equations[p.calls[1].from];
    // Relu reads the input (through the batch axis's reshape), not a missing value.
    expect(p.calls.map((c) => c.className)).toEqual(['Input', 'Relu', 'Output']);
    expect(relu.args).toEqual(p.calls[0].outputs.map((t) => t.id));
  });
});

describe('TF graph walker: the ModelSpec of a graph model', () => {
  it('one pseudo-layer per call; a node\'s weights are its float Const inputs (integer Consts are shapes)', async () => {
    const model = await graph(FIXTURE);
    const p = buildTfProgram(model);
    const spec = tfModelSpec(model, p);
    expect(spec.file).toBe(model.file);
    expect(spec.format).toBe('tfjs');
    expect(spec.name).toBe(model.name);
    expect(spec.kerasMajor).toBe(0);
    expect(spec.inputs).toEqual([]);
    expect(spec.outputs).toEqual([]);
    expect(spec.sources).toBe(model.sources);
    expect(spec.warnings).toBe(model.warnings);
    expect(tfSource(spec)?.model).toBe(model);
    expect(spec.layers.map((l) => [l.name, l.className, l.inbound, l.config])).toEqual([
      ['x', 'Input', [], {}],
      ['mm', 'MatMul', [], {}],
      ['ba', 'BiasAdd', [], {}],
      ['r', 'Reshape', [], {}],
      ['y', 'Relu', [], {}],
      ['y', 'Output', [], {}],
      ['k', 'Const', [], {}],
    ]);
    const weights = spec.layers.map((l) => [...l.weights.entries()].map(([key, w]) => [key, w.name, w.shape, [...w.values]]));
    const f32 = (xs: number[]) => xs.map((v) => Math.fround(v));
    expect(weights).toEqual([
      [],
      [['W', 'W', [3, 2], f32(W)]],
      [['b', 'b', [2], f32(B)]],
      // shp is int32: a shape, no weight.
      [],
      [],
      [],
      [
        ['a', 'a', [3], f32([0.5, -1, 2])],
        ['c', 'c', [3], f32([0.25, 4, -3])],
      ],
    ]);
    expect(spec.layers[1].weights.get('W')!.values).toBeInstanceOf(Float32Array);
  });

  it('a layer named by no node (a signature output\'s own name) has no weights', async () => {
    const file = writeGraphModel(tmpDir(), FIXTURE);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { signature: { outputs: Record<string, unknown> } };
    doc.signature.outputs = { out: doc.signature.outputs.y, k: doc.signature.outputs.k };
    writeFileSync(file, JSON.stringify(doc));
    const loaded = await loadAnyModel(file);
    if (!('tfgraph' in loaded)) throw new Error('not a graph model');
    const model = loaded.tfgraph;
    const spec = tfModelSpec(model, buildTfProgram(model));
    expect(spec.layers.map((l) => [l.name, l.className, l.weights.size])).toEqual([
      ['x', 'Input', 0],
      ['mm', 'MatMul', 1],
      ['ba', 'BiasAdd', 1],
      ['r', 'Reshape', 0],
      ['y', 'Relu', 0],
      ['out', 'Output', 0],
      ['k', 'Const', 2],
    ]);
  });
});

/** The JS tensor form of the model file against TF.js running it, on seeded points of `size` values (one input [-1, size]). */
async function againstTf(file: string, size: number, lo = -2, hi = 2): Promise<{ points: number[][]; want: number[][] }> {
  const js = await convertFile(file, { format: 'js', form: 'tensor' });
  const rng = mulberry32(9);
  const points = Array.from({ length: 3 }, () => Array.from({ length: size }, () => Math.fround(lo + rng() * (hi - lo))));
  const tf = tfSource(js.model)!.model;
  const ports = tf.inputs.map((p) => ({ name: p.name, shape: [size], offset: 0, size }));
  const want = await tfGraphReference(tf, { inputs: ports } as unknown as Extracted, points.map((p) => Float64Array.from(p)));
  const got = await runJs(js.text, points.map((p) => [p]));
  got.forEach((row, i) => expect(mismatch(row, want[i], 1e-6, 1e-6), `point ${i}`).toBeNull());
  return { points, want };
}

describe('TF graph walker: attributes and inputs the op-family fixtures leave out', () => {
  it('_FusedMatMul reads its fused_ops list (BiasAdd, Relu); without the attribute it is a plain MatMul: against TF.js and by hand', async () => {
    const K = [1, -2, 0.5, 0.25, -1, 3];
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 3] }],
      weights: [
        { name: 'k', dims: [3, 2], values: K },
        { name: 'b', dims: [2], values: [0.5, -4] },
      ],
      nodes: [
        ['f', '_FusedMatMul', ['x', 'k', 'b'], { transpose_a: A.b(false), transpose_b: A.b(false), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1) }],
        ['p', '_FusedMatMul', ['x', 'k'], { transpose_a: A.b(false), transpose_b: A.b(false), num_args: A.i(0) }],
      ],
      outputs: ['f', 'p'],
    };
    const { points, want } = await againstTf(writeGraphModel(tmpDir(), g), 3);
    const mm = (p: number[], j: number) => p[0] * K[j] + p[1] * K[2 + j] + p[2] * K[4 + j];
    points.forEach((p, i) => {
      const plain = [mm(p, 0), mm(p, 1)];
      expect(want[i].slice(2)).toEqual(plain.map((v, j) => expect.closeTo(v, 5)));
      expect(want[i].slice(0, 2)).toEqual(plain.map((v, j) => expect.closeTo(Math.max(v + [0.5, -4][j], 0), 5)));
    });
  });

  it('ONNX builders see the dtypes: the Mean of float32 values (refused for integers); int32 Div of a computed Cast by an int32 Const and of the Const by it truncates (TF.js floors; the inputs are positive, where both agree)', async () => {
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 4] }],
      weights: [
        { name: 'k', dims: [], values: [3], dtype: 'int32' },
        { name: 'n', dims: [4], values: [7, 9, 11, 13], dtype: 'int32' },
        { name: 'ax', dims: [1], values: [1], dtype: 'int32' },
      ],
      nodes: [
        ['xi', 'Cast', ['x'], { SrcT: A.type(), DstT: A.type('DT_INT32') }],
        ['q', 'Div', ['xi', 'k'], { T: A.type('DT_INT32') }],
        ['y', 'Cast', ['q'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['m', 'Mean', ['x', 'ax'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
        // The Const's int32 (its dtype attribute) types its folded value for ONNX's Div builder.
        ['r', 'Div', ['n', 'xi'], { T: A.type('DT_INT32') }],
        ['rf', 'Cast', ['r'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
      ],
      outputs: ['y', 'm', 'rf'],
    };
    const { points, want } = await againstTf(writeGraphModel(tmpDir(), g), 4, 1, 10);
    points.forEach((p, i) => {
      expect(want[i].slice(0, 4)).toEqual(p.map((v) => Math.trunc(Math.trunc(v) / 3)));
      expect(want[i][4]).toBeCloseTo((p[0] + p[1] + p[2] + p[3]) / 4, 5);
      expect(want[i].slice(5)).toEqual(p.map((v, k) => Math.trunc([7, 9, 11, 13][k] / Math.trunc(v))));
    });
  });

  it('a weight an ONNX builder takes as a tensor is a constant of role c (printed c1)', async () => {
    const model = await graph({ inputs: [{ name: 'x', dims: [-1, 3] }], weights: [{ name: 'k', dims: [3], values: [1, 2, 3] }], nodes: [['y', 'AddV2', ['x', 'k']]], outputs: ['y'] });
    const p = buildTfProgram(model);
    expect(p.tensors.filter((t) => t.kind === 'const').map((t) => [t.role, t.shape, Array.from(t.values ?? [])])).toEqual([['c', [3], [1, 2, 3]]]);
  });

  it('a folded value takes the dtype its node declares: the Sum of an int32 Const [2^30, 2^30] wraps to -2^31, as TF.js computes', async () => {
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 2] }],
      weights: [
        { name: 'big', dims: [2], values: [2 ** 30, 2 ** 30], dtype: 'int32' },
        { name: 'ax', dims: [1], values: [0], dtype: 'int32' },
      ],
      nodes: [
        ['s', 'Sum', ['big', 'ax'], { T: A.type('DT_INT32'), Tidx: A.type('DT_INT32'), keep_dims: A.b(false) }],
        ['sf', 'Cast', ['s'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['y', 'AddV2', ['x', 'sf']],
      ],
      outputs: ['y'],
    };
    const { points, want } = await againstTf(writeGraphModel(tmpDir(), g), 2);
    points.forEach((p, i) => expect(want[i]).toEqual(p.map((v) => Math.fround(v - 2 ** 31))));
  });

  it('Shape and Size without out_type are int32 (TF\'s default): [1, 5] / 2 = [0, 2] and 5 / 2 = 2, as TF.js computes', async () => {
    const i32 = { T: A.type('DT_INT32') };
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 5] }],
      weights: [{ name: 'two', dims: [], values: [2], dtype: 'int32' }],
      nodes: [
        ['s', 'Shape', ['x']],
        ['sq', 'Div', ['s', 'two'], i32],
        ['sf', 'Cast', ['sq'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['z', 'Size', ['x']],
        ['zq', 'Div', ['z', 'two'], i32],
        ['zf', 'Cast', ['zq'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['y', 'Relu', ['x']],
      ],
      outputs: ['y', 'sf', 'zf'],
    };
    const file = writeGraphModel(tmpDir(), g);
    // writeGraphModel gives every node a T; TF's Shape and Size have none (their input's type is T, the output's out_type).
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: { node: { name: string; attr: Record<string, unknown> }[] } };
    for (const n of ['s', 'z']) delete doc.modelTopology.node.find((x) => x.name === n)!.attr.T;
    writeFileSync(file, JSON.stringify(doc));
    const { points, want } = await againstTf(file, 5);
    points.forEach((p, i) => expect(want[i]).toEqual([...p.map((v) => Math.max(v, 0)), 0, 2, 2]));
    // The same folds in the program itself: the two constant outputs' values.
    const loaded = await loadAnyModel(file);
    if (!('tfgraph' in loaded)) throw new Error('not a graph model');
    const p = buildTfProgram(loaded.tfgraph);
    const folded = p.calls.filter((c) => c.className === 'Const').map((c) => p.equations[c.from].args.map((id) => Array.from(p.tensors[id].values ?? [])));
    expect(folded).toEqual([[[0, 2]], [[2]]]);
  });

  it("LeakyRelu without its alpha attribute takes TF's default 0.2: against TF.js and by hand", async () => {
    const g: GraphFixture = { inputs: [{ name: 'x', dims: [-1, 4] }], weights: [], nodes: [['y', 'LeakyRelu', ['x']]], outputs: ['y'] };
    const { points, want } = await againstTf(writeGraphModel(tmpDir(), g), 4);
    points.forEach((p, i) => expect(want[i]).toEqual(p.map((v) => expect.closeTo(v >= 0 ? v : 0.2 * v, 6))));
  });

  it('a PlaceholderWithDefault the signature does not feed passes its default on', async () => {
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 3] }],
      weights: [{ name: 'd', dims: [3], values: [7, -8, 9] }],
      nodes: [
        ['p', 'PlaceholderWithDefault', ['d'], { dtype: A.type(), shape: A.shape([3]) }],
        ['y', 'AddV2', ['x', 'p']],
      ],
      outputs: ['y'],
    };
    const { points, want } = await againstTf(writeGraphModel(tmpDir(), g), 3);
    points.forEach((p, i) => expect(want[i]).toEqual(p.map((v, k) => Math.fround(v + [7, -8, 9][k]))));
  });

  it('a PlaceholderWithDefault the signature feeds is an input; its default is not read', async () => {
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 3] }],
      weights: [{ name: 'd', dims: [1, 3], values: [7, 8, 9] }],
      nodes: [['y', 'Relu', ['x']]],
      outputs: ['y'],
    };
    const file = writeGraphModel(tmpDir(), g);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: { node: { name: string; op: string; input?: string[] }[] } };
    const x = doc.modelTopology.node.find((n) => n.name === 'x')!;
    x.op = 'PlaceholderWithDefault';
    x.input = ['d'];
    writeFileSync(file, JSON.stringify(doc));
    const { points, want } = await againstTf(file, 3);
    points.forEach((p, i) => expect(want[i]).toEqual(p.map((v) => Math.max(v, 0))));
  });
});
