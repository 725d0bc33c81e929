import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertFile, Nn2eqError } from '../src/index.js';
import type { Extracted } from '../src/extract/index.js';
import { asDType, konst } from '../src/extract/tf/context.js';
import { buildTfProgram } from '../src/extract/tf/index.js';
import { tfSource } from '../src/extract/tf/source.js';
import { loadAnyModel, type TfGraphModel } from '../src/load/index.js';
import { tfGraphReference } from '../src/verify/tf-graph-oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { mismatch, runJs, tmpDir } from './helpers.js';
import { A, writeGraphModel, type GraphFixture } from './tfjs-graph-fixtures.js';

// The TF graph walker's edges that the op-family fixtures do not reach (found by `npm run mutate --
// src/extract/tf/index.ts`): every refusal in one line with what it names, an output index past 9,
// and folded integer arithmetic typed by the node's DstT, T, out_type, output_type or dtype attribute. Numbers against TF.js
// running the same file, or a hand-derivable value; messages against what the refusal must say.

async function graph(g: GraphFixture): Promise<TfGraphModel> {
  const loaded = await loadAnyModel(writeGraphModel(tmpDir(), g));
  if (!('tfgraph' in loaded)) throw new Error('not a graph model');
  return loaded.tfgraph;
}

/** The error buildTfProgram throws on `model`. */
function refusal(model: TfGraphModel, options?: Parameters<typeof buildTfProgram>[1]): Nn2eqError {
  try {
    buildTfProgram(model, options);
  } catch (e) {
    expect(e).toBeInstanceOf(Nn2eqError);
    return e as Nn2eqError;
  }
  throw new Error('buildTfProgram did not refuse the model');
}

/** The JS tensor form of `g` against TF.js on seeded points; returns TF.js's outputs too. */
async function againstTf(g: GraphFixture | string, size: number, nest: (p: number[]) => unknown[]): Promise<{ points: number[][]; want: number[][] }> {
  const model = typeof g === 'string' ? g : writeGraphModel(tmpDir(), g);
  const js = await convertFile(model, { format: 'js', form: 'tensor' });
  const rng = mulberry32(5);
  const points = Array.from({ length: 4 }, () => Array.from({ length: size }, () => Math.fround(rng() * 4 - 2)));
  const tf = tfSource(js.model)!.model;
  const ports = tf.inputs.map((p) => ({ name: p.name, shape: (p.dims ?? []).slice(1), offset: 0, size }));
  const want = await tfGraphReference(tf, { inputs: ports } as unknown as Extracted, points.map((p) => Float64Array.from(p)));
  const got = await runJs(js.text, points.map(nest));
  got.forEach((row, i) => expect(mismatch(row, want[i], 1e-6, 1e-6), `point ${i}`).toBeNull());
  return { points, want };
}

describe('TF graph walker: refusals name what they found, in one line', () => {
  it('unsupported ops: the node count, the op count, each op with its count in name order', async () => {
    const model = await graph({
      inputs: [{ name: 'x', dims: [-1, 4] }],
      weights: [{ name: 'k', dims: [1], values: [2], dtype: 'int32' }],
      nodes: [
        ['u', 'Unique', ['x'], { out_idx: A.type('DT_INT32') }],
        ['r', 'RandomUniform', ['k'], { dtype: A.type(), seed: A.i(1), seed2: A.i(2) }],
        ['r2', 'RandomUniform', ['k'], { dtype: A.type(), seed: A.i(3), seed2: A.i(4) }],
        ['ok', 'Relu', ['x']],
      ],
      outputs: ['u', 'r', 'r2', 'ok'],
    });
    const e = refusal(model);
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe(`${model.file}: 3 nodes of 2 ops nn2eq cannot convert: RandomUniform ×2, Unique ×1`);
    expect(e.hint).toMatch(/^control flow and data-dependent ops have no fixed formula/);
    const four = await graph({
      inputs: [{ name: 'x', dims: [-1, 4] }],
      weights: [{ name: 'k', dims: [1], values: [2], dtype: 'int32' }],
      nodes: [
        // Neither in name order nor in reverse.
        ['r', 'RandomUniform', ['k'], { dtype: A.type(), seed: A.i(1), seed2: A.i(2) }],
        ['f', 'FakeQuantWithMinMaxVars', ['x'], { num_bits: A.i(8), narrow_range: A.b(false) }],
        ['u', 'Unique', ['x'], { out_idx: A.type('DT_INT32') }],
        ['m', 'MaxPoolWithArgmax', ['x'], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('VALID'), include_batch_in_index: A.b(false) }],
      ],
      outputs: ['r', 'f', 'u', 'm'],
    });
    expect(refusal(four).message).toBe(`${four.file}: 4 nodes of 4 ops nn2eq cannot convert: FakeQuantWithMinMaxVars ×1, MaxPoolWithArgmax ×1, RandomUniform ×1, Unique ×1`);
    const one = await graph({ inputs: [{ name: 'x', dims: [-1, 4] }], weights: [], nodes: [['u', 'Unique', ['x'], { out_idx: A.type('DT_INT32') }]], outputs: ['u'] });
    expect(refusal(one).message).toBe(`${one.file}: 1 node of 1 op nn2eq cannot convert: Unique ×1`);
  });

  it('an unsupported op the outputs do not need is no problem', async () => {
    const model = await graph({
      inputs: [{ name: 'x', dims: [-1, 4] }],
      weights: [],
      nodes: [['u', 'Unique', ['x'], { out_idx: A.type('DT_INT32') }], ['y', 'Relu', ['x']]],
      outputs: ['y'],
    });
    expect(buildTfProgram(model).outputs.map((o) => o.tensor.shape)).toEqual([[4]]);
  });

  it('a cycle names the nodes on it (at most three), not the ones before it', async () => {
    const model = await graph({
      inputs: [{ name: 'x', dims: [-1, 4] }],
      weights: [],
      nodes: [
        ['pre', 'Relu', ['x']],
        ['a', 'AddV2', ['pre', 'd']],
        ['b', 'Relu', ['a']],
        ['c', 'Relu', ['b']],
        ['d', 'Relu', ['c']],
      ],
      outputs: ['d'],
    });
    const e = refusal(model);
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe(`${model.file}: the graph has a cycle through 'a' (AddV2), 'b' (Relu), 'c' (Relu)`);
    expect(e.hint).toBe('graphs with loops (While) are not converted');
  });

  it('--input-shape naming no input', async () => {
    const model = await graph({ inputs: [{ name: 'x', dims: [-1, 4] }, { name: 'z', dims: [-1, 4] }], weights: [], nodes: [['y', 'AddV2', ['x', 'z']]], outputs: ['y'] });
    const e = refusal(model, { inputShapes: new Map([['q', [1, 4]]]) });
    expect(e.kind).toBe('usage');
    expect(e.message).toBe(`${model.file}: --input-shape names 'q', which is not an input of the model`);
    expect(e.hint).toBe('inputs: x, z');
    // A named input takes the given shape, batch axis included (no batch axis is dropped then).
    const p = buildTfProgram(model, { inputShapes: new Map([['x', [1, 4]]]) });
    expect(p.inputs.map((i) => [i.name, i.tensor.shape])).toEqual([['x', [1, 4]], ['z', [4]]]);
  });

  it('inputs without a shape or with unknown dimensions past the batch axis: every one listed, with the --input-shape that fixes it', async () => {
    const model = await graph({
      inputs: [{ name: 'x', dims: [-1, -1, 3] }, { name: 'w', dims: [2, -1] }, { name: 'v', dims: [4] }],
      weights: [],
      nodes: [['y', 'Relu', ['x']], ['y2', 'Relu', ['w']], ['y3', 'Relu', ['v']]],
      outputs: ['y', 'y2', 'y3'],
    });
    const noShape = { ...model, inputs: model.inputs.map((p) => (p.name === 'v' ? { ...p, dims: null } : p)) };
    const e = refusal(noShape);
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe(
      `${model.file}: input 'x' has unknown dimensions in [-1, -1, 3] (fix them with --input-shape x:1xNx3); ` +
        `input 'w' has unknown dimensions in [2, -1] (fix them with --input-shape w:2xN); input 'v' has no declared shape (fix it with --input-shape v:AxBx…)`,
    );
    expect(e.hint).toBe('give every dimension a number with --input-shape');
  });

  it('a leading -1 or 1 of an input of rank 2 or more is the batch axis, left out of the program\'s input; rank 1 keeps it', async () => {
    const model = await graph({
      inputs: [{ name: 'a', dims: [-1, 4] }, { name: 'b', dims: [1, 4] }, { name: 'c', dims: [2, 4] }, { name: 'd', dims: [4] }, { name: 'e', dims: [1] }],
      weights: [],
      nodes: [['ya', 'Relu', ['a']], ['yb', 'Relu', ['b']], ['yc', 'Relu', ['c']], ['yd', 'Relu', ['d']], ['ye', 'Relu', ['e']]],
      outputs: ['ya', 'yb', 'yc', 'yd', 'ye'],
    });
    const program = buildTfProgram(model);
    expect(program.inputs.map((i) => [i.name, i.tensor.shape])).toEqual([['a', [4]], ['b', [4]], ['c', [2, 4]], ['d', [4]], ['e', [1]]]);
    // Some input has a batch axis, so an output's leading 1 (of rank >= 2) is the batch: left out too.
    expect(program.outputs.map((o) => [o.name, o.tensor.shape])).toEqual([['ya', [4]], ['yb', [4]], ['yc', [2, 4]], ['yd', [4]], ['ye', [1]]]);
  });

  it('an unknown leading dimension of a rank-1 input is no batch axis: refused', async () => {
    const model = await graph({ inputs: [{ name: 'v', dims: [-1] }], weights: [], nodes: [['y', 'Relu', ['v']]], outputs: ['y'] });
    expect(refusal(model).message).toBe(`${model.file}: input 'v' has unknown dimensions in [-1] (fix them with --input-shape v:1)`);
  });

  it('unsupported ops on a cycle (a v1 while loop) are listed as unsupported, not as a cycle', async () => {
    const model = await graph({
      inputs: [{ name: 'x', dims: [-1, 4] }],
      weights: [],
      nodes: [
        ['enter', 'Enter', ['x'], { frame_name: A.s('loop') }],
        ['merge', 'Merge', ['enter', 'next'], { N: A.i(2) }],
        ['body', 'Relu', ['merge']],
        ['next', 'NextIteration', ['body']],
      ],
      outputs: ['body'],
    });
    expect(refusal(model).message).toBe(`${model.file}: 3 nodes of 3 ops nn2eq cannot convert: Enter ×1, Merge ×1, NextIteration ×1`);
  });

  it('a Placeholder the outputs read that the signature does not list', async () => {
    const model = await graph({ inputs: [{ name: 'x', dims: [-1, 4] }, { name: 'z', dims: [-1, 4] }], weights: [], nodes: [['y', 'AddV2', ['x', 'z']]], outputs: ['y'] });
    const cut = { ...model, inputs: model.inputs.filter((p) => p.name === 'x') };
    const e = refusal(cut);
    expect(e.kind).toBe('input');
    expect(e.message).toBe(`${model.file}: the Placeholder 'z' is read by the outputs but is not an input of the signature`);
    expect(e.hint).toBe('the signature does not list every input the outputs need');
  });

  it('inputs a node reads that do not exist: a missing input, an unknown node, an output index its node does not have', async () => {
    const base = { inputs: [{ name: 'x', dims: [-1, 4] }], weights: [] };
    const missing = await graph({ ...base, nodes: [['y', 'AddV2', ['x']]], outputs: ['y'] });
    let e = refusal(missing);
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe(`${missing.file}: node 'y' (AddV2): input 2 is missing`);
    const nowhere = await graph({ ...base, nodes: [['y', 'Relu', ['x']]], outputs: ['y'] });
    const renamed = { ...nowhere, nodes: nowhere.nodes.map((n) => (n.name === 'y' ? { ...n, inputs: ['ghost'] } : n)) };
    e = refusal(renamed);
    expect(e.message).toBe(`${nowhere.file}: node 'y' (Relu): reads 'ghost', which is no node of the graph`);
    expect(e.hint).toBe('the model.json is damaged or was edited by hand');
    const past = await graph({ ...base, nodes: [['a', 'Relu', ['x']], ['y', 'Relu', ['a:1']]], outputs: ['y'] });
    e = refusal(past);
    expect(e.message).toBe(`${past.file}: node 'y' (Relu): input 'a:1' is not an output of its node`);
    expect(e.hint).toBe('the model.json is damaged or was edited by hand');
  });

  it('a Const without a value, and an output no node computes', async () => {
    const model = await graph({ inputs: [{ name: 'x', dims: [-1, 4] }], weights: [{ name: 'k', dims: [4], values: [1, 2, 3, 4] }], nodes: [['y', 'AddV2', ['x', 'k']]], outputs: ['y'] });
    const e = refusal({ ...model, consts: new Map() });
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe(`${model.file}: node 'k' (Const): has no value: it is in neither the weight manifest nor the GraphDef`);
    expect(e.hint).toBe('the weight files do not belong to this model.json');
    const lost = { ...model, outputs: [{ name: 'out', tensor: 'y:3', dims: null }] };
    const e2 = refusal(lost);
    expect(e2.kind).toBe('input');
    expect(e2.message).toBe(`${model.file}: the output 'out' (y:3) is computed by no node`);
  });

  it('an argument that must be constant but is computed', async () => {
    const model = await graph({
      inputs: [{ name: 'x', dims: [-1, 4] }],
      weights: [],
      nodes: [['s', 'Cast', ['x'], { SrcT: A.type(), DstT: A.type('DT_INT32') }], ['y', 'Reshape', ['x', 's'], { Tshape: A.type('DT_INT32') }]],
      outputs: ['y'],
    });
    const e = refusal(model);
    expect(e.kind).toBe('unsupported');
    expect(e.message).toMatch(new RegExp(`^${model.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: node 'y' \\(Reshape\\): its .* \\(input 's'\\) is not constant: it depends on the model's inputs$`));
    expect(e.hint).toBe('nn2eq needs it fixed when the formula is written');
  });
});

describe('TF graph walker: values against TF.js running the same file', () => {
  it("output 10 of an 11-way Split (a tensor name 'sp:10', two digits)", async () => {
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 11] }],
      weights: [{ name: 'axis', dims: [], values: [1], dtype: 'int32' }],
      nodes: [['sp', 'Split', ['axis', 'x'], { num_split: A.i(11) }], ['y', 'AddV2', ['sp:10', 'sp:1']]],
      outputs: ['sp:10', 'y'],
    };
    const { points, want } = await againstTf(g, 11, (p) => [[p]]);
    // By hand too: x[10], then x[10] + x[1] (float32 sum, as TF.js adds).
    points.forEach((p, i) => expect(want[i]).toEqual([p[10], Math.fround(p[10] + p[1])]));
  });

  it('folded integer arithmetic follows the DstT of a Cast and the T of a Div (5 / 2 is 2 in int32)', async () => {
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 2] }],
      weights: [
        { name: 'c', dims: [2], values: [5, 7] },
        { name: 'two', dims: [], values: [2], dtype: 'int32' },
      ],
      nodes: [
        ['ci', 'Cast', ['c'], { SrcT: A.type(), DstT: A.type('DT_INT32') }],
        ['q', 'Div', ['ci', 'two'], { T: A.type('DT_INT32') }],
        ['qf', 'Cast', ['q'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['y', 'AddV2', ['x', 'qf']],
      ],
      outputs: ['y'],
    };
    const { points, want } = await againstTf(g, 2, (p) => [[p]]);
    points.forEach((p, i) => expect(want[i]).toEqual([Math.fround(p[0] + 2), Math.fround(p[1] + 3)]));
  });
});

describe('TF graph walker: folded values take the dtype their node declares (out_type, output_type, a Const\'s dtype)', () => {
  it('int32 Div of a Shape, of an ArgMax of a constant and of int32 constants truncates, as TF.js computes', async () => {
    const i32 = { T: A.type('DT_INT32') };
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 5] }],
      weights: [
        { name: 'two', dims: [], values: [2], dtype: 'int32' },
        { name: 'five', dims: [], values: [5], dtype: 'int32' },
        { name: 'zero', dims: [], values: [0], dtype: 'int32' },
        { name: 'c', dims: [4], values: [0, 1, 2, 7] },
      ],
      nodes: [
        // Shape [1, 5] (out_type int32, T the input's float) / 2 = [0, 2]; summed: 2 (not 0.5 + 2.5).
        ['s', 'Shape', ['x'], { out_type: A.type('DT_INT32') }],
        ['sq', 'Div', ['s', 'two'], i32],
        ['ss', 'Sum', ['sq', 'zero'], { ...i32, Tidx: A.type('DT_INT32'), keep_dims: A.b(false) }],
        // ArgMax of [0, 1, 2, 7] (output_type int32, T float) is 3; / 2 = 1 (not 1.5).
        ['am', 'ArgMax', ['c', 'zero'], { Tidx: A.type('DT_INT32'), output_type: A.type('DT_INT32') }],
        ['aq', 'Div', ['am', 'two'], i32],
        // 5 / 2 of two int32 Consts (their attribute is dtype, no T) = 2 (not 2.5).
        ['cq', 'Div', ['five', 'two'], i32],
        // Each cast to float before the sum (an int32 sum would truncate 0.5 + 2.5 + … again).
        ['sf', 'Cast', ['ss'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['af', 'Cast', ['aq'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['cf', 'Cast', ['cq'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['t1', 'AddV2', ['x', 'sf']],
        ['t2', 'AddV2', ['t1', 'af']],
        ['y', 'AddV2', ['t2', 'cf']],
      ],
      outputs: ['y'],
    };
    const { points, want } = await againstTf(g, 5, (p) => [[p]]);
    points.forEach((p, i) => expect(want[i]).toEqual(p.map((v) => Math.fround(Math.fround(Math.fround(v + 2) + 1) + 2))));
  });
});

describe('TF graph walker: a node without type attributes, a Shape without out_type, a constant output', () => {
  it('Range (only Tidx) takes its start\'s int32; a Shape without out_type is int32: both divide by 2 truncating, as TF.js computes', async () => {
    const i32 = { T: A.type('DT_INT32') };
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 5] }],
      weights: [
        { name: 'two', dims: [], values: [2], dtype: 'int32' },
        { name: 'zero', dims: [], values: [0], dtype: 'int32' },
        { name: 'five', dims: [], values: [5], dtype: 'int32' },
        { name: 'one', dims: [], values: [1], dtype: 'int32' },
      ],
      nodes: [
        // Range(0, 5, 1) / 2 = [0, 0, 1, 1, 2] in int32 (not [0, 0.5, 1, 1.5, 2]).
        ['r', 'Range', ['zero', 'five', 'one'], { Tidx: A.type('DT_INT32') }],
        ['rq', 'Div', ['r', 'two'], i32],
        ['rf', 'Cast', ['rq'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        // Shape [1, 5] without out_type (int32 by TF's default) / 2 = [0, 2]; its last element: 2.
        ['s', 'Shape', ['x']],
        ['sq', 'Div', ['s', 'two'], i32],
        ['sl', 'Max', ['sq', 'zero'], { ...i32, Tidx: A.type('DT_INT32'), keep_dims: A.b(false) }],
        ['sf', 'Cast', ['sl'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['t', 'AddV2', ['x', 'rf']],
        ['y', 'AddV2', ['t', 'sf']],
      ],
      outputs: ['y'],
    };
    const dir = tmpDir();
    const file = writeGraphModel(dir, g);
    // writeGraphModel gives every node a T; TF's Range has none (its type is Tidx).
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: { node: { name: string; attr: Record<string, unknown> }[] } };
    delete doc.modelTopology.node.find((n) => n.name === 'r')!.attr.T;
    delete doc.modelTopology.node.find((n) => n.name === 's')!.attr.T;
    writeFileSync(file, JSON.stringify(doc));
    const { points, want } = await againstTf(file, 5, (p) => [[p]]);
    const range = [0, 0, 1, 1, 2];
    points.forEach((p, i) => expect(want[i]).toEqual(p.map((v, k) => Math.fround(Math.fround(v + range[k]) + 2))));
  });

  it('an output that folds to a constant is still computed by an equation, numbered after the other layers', async () => {
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 3] }],
      weights: [
        { name: 'a', dims: [3], values: [0.5, -1, 2] },
        { name: 'b', dims: [3], values: [0.25, 4, -3] },
      ],
      nodes: [
        ['y', 'Relu', ['x']],
        ['k', 'AddV2', ['a', 'b']],
      ],
      outputs: ['y', 'k'],
    };
    const model = await graph(g);
    const program = buildTfProgram(model);
    const numbered = program.calls.filter((c) => c.number > 0);
    expect(numbered.map((c) => [c.className, c.number])).toEqual([
      ['Relu', 1],
      ['Const', 2],
    ]);
    expect(program.outputs.map((o) => o.tensor.shape)).toEqual([[3], [3]]);
    const { points, want } = await againstTf(g, 3, (p) => [[p]]);
    points.forEach((p, i) => expect(want[i]).toEqual([...p.map((v) => Math.max(v, 0)), 0.75, 3, -1]));
  });
});

describe('TF Cast of a constant to int32 truncates toward zero (its DstT read through the context)', () => {
  it('[2.75, -1.5] → [2, -1], against TF.js and by hand', async () => {
    const g: GraphFixture = {
      inputs: [{ name: 'x', dims: [-1, 2] }],
      weights: [{ name: 'c', dims: [2], values: [2.75, -1.5] }],
      nodes: [
        ['ci', 'Cast', ['c'], { SrcT: A.type(), DstT: A.type('DT_INT32') }],
        ['cf', 'Cast', ['ci'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
        ['y', 'AddV2', ['x', 'cf']],
      ],
      outputs: ['y'],
    };
    const { points, want } = await againstTf(g, 2, (p) => [[p]]);
    points.forEach((p, i) => expect(want[i]).toEqual([Math.fround(p[0] + 2), Math.fround(p[1] - 1)]));
  });
});

describe('TF extractor context', () => {
  it('konst without a dtype is an int64 index argument, as ONNX declares them', () => {
    expect(konst([2], [1, 2]).dtype).toBe('int64');
    expect(konst([1], [1.5], 'float32').dtype).toBe('float32');
  });
  it("asDType keeps TF's numeric type names and reads anything else as float32", () => {
    expect(asDType('int32')).toBe('int32');
    expect(asDType('bool')).toBe('bool');
    expect(asDType('string')).toBe('float32');
    expect(asDType('complex64')).toBe('float32');
  });
});
