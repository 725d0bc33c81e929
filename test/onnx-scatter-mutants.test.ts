import { describe, expect, it } from 'vitest';
import { buildOnnxProgram, init, int, js, model, node, refusal, roleProblems, str } from './onnx-built.js';

// ScatterElements, ScatterND, GatherElements, GatherND and OneHot (src/extract/onnx/scatter.ts) in
// settings ONNX's conformance cases do not reach: computed data and updates with each reduction and
// repeated or negative indices, integer folds and their limits, more than 64 runs of gathered
// elements, batch_dims, a computed OneHot with negative and fractional indices, and every refusal
// with what it names. The numbers are ONNX's definitions (op_scatter_elements.py, op_scatternd.py,
// op_gather_elements.py, op_gathernd.py, OneHot's) computed here; the values each makes on the way
// print as temporaries (roleProblems). In-process, about a second.

const COMBINE: Record<string, (a: number, b: number) => number> = {
  none: (_, b) => b,
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  max: Math.max,
  min: Math.min,
};

const DATA = [
  [0.5, -1, 2],
  [3, 0.25, -4],
  [1.5, 6, -0.5],
];
const UPDATES = [
  [10, -20, 30],
  [-0.5, 40, 0.75],
];
// Along axis 0: element (0, 0) is hit twice, (2, 1) twice, row 1 is hit by a negative index.
const INDICES = [
  [0, -1, 2],
  [0, 2, 1],
];

/** ONNX's ScatterElements along axis 0 of a 2-D tensor, updates applied in order. */
function scatterElements0(data: number[][], indices: number[][], updates: number[][], reduction: string): number[] {
  const out = data.map((r) => [...r]);
  indices.forEach((row, i) =>
    row.forEach((k, j) => {
      const r = k < 0 ? k + data.length : k;
      out[r][j] = COMBINE[reduction](out[r][j], updates[i][j]);
    }),
  );
  return out.flat();
}

describe('ScatterElements of computed values', () => {
  for (const reduction of ['none', 'add', 'mul', 'max', 'min']) {
    it(`reduction ${reduction}, repeated and negative indices`, async () => {
      const m = model(
        [node('ScatterElements', ['d', 'i', 'u'], ['y'], reduction === 'none' ? {} : { reduction: str(reduction) }, 16)],
        [
          ['d', 'float32', [3, 3]],
          ['u', 'float32', [2, 3]],
        ],
        ['y'],
        [init('i', 'int64', [2, 3], INDICES.flat())],
        16,
      );
      const [got] = await js(m, [[DATA, UPDATES]]);
      expect(got).toEqual(scatterElements0(DATA, INDICES, UPDATES, reduction));
      expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    });
  }
  it('reduction add: a sum of −0 and −0 stays −0, as in ONNX (x + u with IEEE zeros)', async () => {
    const m = model([node('ScatterElements', ['d', 'i', 'u'], ['y'], { reduction: str('add') }, 16)], [['d', 'float32', [3]], ['u', 'float32', [2]]], ['y'], [init('i', 'int64', [2], [0, 2])], 16);
    const [got] = await js(m, [[[-0, 1, 2], [-0, 0.5]]]);
    expect(got[0]).toBe(-0);
    expect(got.slice(1)).toEqual([1, 2.5]);
  });
  it('reduction add: an element no update reaches keeps its −0, as ONNX copies data (ScatterElements and ScatterND)', async () => {
    const elements = model([node('ScatterElements', ['d', 'i', 'u'], ['y'], { reduction: str('add') }, 16)], [['d', 'float32', [4]], ['u', 'float32', [3]]], ['y'], [init('i', 'int64', [3], [1, 1, 3])], 16);
    const [a] = await js(elements, [[[-0, -0, 2, -0], [-0, 0.5, -0]]]);
    expect(a.map((v) => Object.is(v, -0))).toEqual([true, false, false, true]);
    expect(a).toEqual([-0, 0.5, 2, -0]);
    const nd = model([node('ScatterND', ['d', 'i', 'u'], ['y'], { reduction: str('add') }, 16)], [['d', 'float32', [2, 2]], ['u', 'float32', [1, 2]]], ['y'], [init('i', 'int64', [1, 1], [1])], 16);
    const [b] = await js(nd, [[[[-0, -0], [1, -0]], [[2, -0]]]]);
    expect(b.map((v) => Object.is(v, -0))).toEqual([true, true, false, true]);
    expect(b).toEqual([-0, -0, 3, -0]);
  });
  it('constant updates into computed data, axis 1', async () => {
    const m = model([node('ScatterElements', ['d', 'i', 'u'], ['y'], { axis: int(1) })], [['d', 'float32', [3, 3]]], ['y'], [init('i', 'int64', [1, 2], [2, 0]), init('u', 'float32', [1, 2], [7, 8])]);
    const [got] = await js(m, [[DATA]]);
    expect(got).toEqual([8, -1, 7, ...DATA[1], ...DATA[2]]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
  it('integer max into computed int32 data; integer add refused', async () => {
    const ints = [
      [4, -7, 1],
      [0, 9, -2],
      [5, 5, 5],
    ];
    const upd = [
      [6, -9, 3],
      [-1, 2, 8],
    ];
    const build = (reduction: string) =>
      model(
        [node('ScatterElements', ['d', 'i', 'u'], ['y'], { reduction: str(reduction) }, 16)],
        [
          ['d', 'int32', [3, 3]],
          ['u', 'int32', [2, 3]],
        ],
        ['y'],
        [init('i', 'int64', [2, 3], INDICES.flat())],
        16,
      );
    const [got] = await js(build('max'), [[ints, upd]]);
    expect(got).toEqual(scatterElements0(ints, INDICES, upd, 'max'));
    expect(refusal(build('add'))).toMatch(/: scatters with reduction 'add' into computed int32 values; hint: nn2eq prints scatter reductions of computed values for floats, and max\/min for integers$/);
    expect(refusal(build('mul'))).toMatch(/: scatters with reduction 'mul' into computed int32 values/);
  });
});

describe('ScatterElements and ScatterND folded on constants', () => {
  it('int32 add, as ONNX computes it', async () => {
    const ints = [1, 2, 3, 4];
    const m = model(
      [node('ScatterElements', ['d', 'i', 'u'], ['s'], { reduction: str('add') }, 16), node('Cast', ['s'], ['f'], { to: int(1) }), node('Add', ['f', 'x'], ['y'])],
      [['x', 'float32', [4]]],
      ['y'],
      [init('d', 'int32', [4], ints), init('i', 'int64', [3], [1, 1, -1]), init('u', 'int32', [3], [10, 20, 30])],
      16,
    );
    const [got] = await js(m, [[[0.5, 0.5, 0.5, 0.5]]]);
    expect(got).toEqual([1.5, 32.5, 3.5, 34.5]);
  });
  it('an int64 sum past 2^53 is refused', () => {
    const m = model(
      [node('ScatterND', ['d', 'i', 'u'], ['s'], { reduction: str('add') }, 16), node('Cast', ['s'], ['f'], { to: int(1) }), node('Add', ['f', 'x'], ['y'])],
      [['x', 'float32', [2]]],
      ['y'],
      [init('d', 'int64', [2], [2 ** 53 - 1, 0]), init('i', 'int64', [1, 1], [0]), init('u', 'int64', [1], [1])],
      16,
    );
    expect(refusal(m)).toMatch(/: the add of integers leaves 2\^53; hint: nn2eq folds integer scatters exactly only below 2\^53$/);
  });
});

describe('scatter and gather settings ONNX allows', () => {
  it('ScatterElements with more updates along the axis than data has (axis 0: 3 updates into 2 rows)', async () => {
    const m = model([node('ScatterElements', ['d', 'i', 'u'], ['y'], { reduction: str('add') }, 16)], [['d', 'float32', [2, 2]], ['u', 'float32', [3, 2]]], ['y'], [init('i', 'int64', [3, 2], [0, 1, 1, 1, 0, 0])], 16);
    const [got] = await js(m, [[[[1, 2], [3, 4]], [[10, 20], [30, 40], [50, 60]]]]);
    expect(got).toEqual(scatterElements0([[1, 2], [3, 4]], [[0, 1], [1, 1], [0, 0]], [[10, 20], [30, 40], [50, 60]], 'add'));
  });
  it('ScatterND with one tuple (indices of rank 1) into computed data', async () => {
    const m = model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [['d', 'float32', [2, 2]]], ['y'], [init('i', 'int64', [2], [1, 0]), init('u', 'float32', [], [9])]);
    expect((await js(m, [[[[1, 2], [3, 4]]]]))[0]).toEqual([1, 2, 9, 4]);
  });
  it('ScatterND with indices of rank 3', async () => {
    const m = model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [['d', 'float32', [3, 2]], ['u', 'float32', [2, 2, 2]]], ['y'], [init('i', 'int64', [2, 2, 1], [2, 0, 0, 1])]);
    // Updates apply in order: row 2 ← u[0][0], row 0 ← u[0][1], row 0 ← u[1][0], row 1 ← u[1][1].
    const u = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]];
    expect((await js(m, [[[[0, 0], [0, 0], [0, 0]], u]]))[0]).toEqual([5, 6, 7, 8, 1, 2]);
  });
  it('computed updates with constant data, reduction add: the data a named constant', () => {
    const m = model([node('ScatterElements', ['d', 'i', 'u'], ['y'], { reduction: str('add') }, 16)], [['u', 'float32', [1, 2]]], ['y'], [init('d', 'float32', [2, 2], [1, 2, 3, 4]), init('i', 'int64', [1, 2], [1, 0])], 16);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
  it('folded on constants: ScatterElements mul, max, min; GatherElements, GatherND; OneHot', async () => {
    const fold = (n: ReturnType<typeof node>, out: number[], inits: ReturnType<typeof init>[], opset = 16) =>
      model([n, node('Add', ['c', 'x'], ['y'])], [['x', 'float32', out]], ['y'], inits, opset);
    const d = init('d', 'float32', [2, 2], [1, -2, 3, 4]);
    const i = init('i', 'int64', [2, 2], [1, 0, 1, -1]);
    const u = init('u', 'float32', [2, 2], [5, -6, 0.5, 7]);
    // axis 0: (1,0)←5, (0,1)←−6, (1,0)←0.5, (1,1)←7, combined in that order.
    const want = (f: (a: number, b: number) => number) => [1, f(-2, -6), f(f(3, 5), 0.5), f(4, 7)];
    for (const r of ['mul', 'max', 'min']) {
      const [got] = await js(fold(node('ScatterElements', ['d', 'i', 'u'], ['c'], { reduction: str(r) }, 16), [2, 2], [d, i, u]), [[[[0, 0], [0, 0]]]]);
      expect(got, r).toEqual(want(COMBINE[r]));
    }
    const [ge] = await js(fold(node('GatherElements', ['d', 'i'], ['c'], { axis: int(1) }), [2, 2], [d, i]), [[[[0, 0], [0, 0]]]]);
    expect(ge).toEqual([-2, 1, 4, 4]);
    const [gn] = await js(fold(node('GatherND', ['d', 'j'], ['c']), [2], [d, init('j', 'int64', [2, 2], [1, 0, 0, -1])]), [[[0, 0]]]);
    expect(gn).toEqual([3, -2]);
    const [oh] = await js(fold(node('OneHot', ['k', 'depth', 'v'], ['c'], { axis: int(1) }, 11), [2, 3, 2], [init('k', 'float32', [2, 2], [0, -1, 2.5, 7]), init('depth', 'int64', [], [3]), init('v', 'float32', [2], [-1, 5])], 11), [[Array.from({ length: 2 }, () => [[0, 0], [0, 0], [0, 0]])]]);
    // y[a, d, b] = 5 where trunc(k[a, b]) (from the end when negative) is d, else −1; 7 is out of range.
    expect(oh).toEqual([5, -1, -1, -1, -1, 5, -1, -1, -1, -1, 5, -1]);
  });
});

describe('ScatterND of computed values', () => {
  const data = [
    [1, 2],
    [3, 4],
    [5, 6],
  ];
  for (const reduction of ['none', 'add', 'max']) {
    it(`rows picked by [[−1], [0], [2]], reduction ${reduction}`, async () => {
      const m = model(
        [node('ScatterND', ['d', 'i', 'u'], ['y'], reduction === 'none' ? {} : { reduction: str(reduction) }, 16)],
        [
          ['d', 'float32', [3, 2]],
          ['u', 'float32', [3, 2]],
        ],
        ['y'],
        [init('i', 'int64', [3, 1], [-1, 0, 2])],
        16,
      );
      const upd = [
        [-1, 10],
        [7, -8],
        [0.5, 9],
      ];
      const want = data.map((r) => [...r]);
      [2, 0, 2].forEach((r, j) => want[r].forEach((v, c) => (want[r][c] = COMBINE[reduction](want[r][c], upd[j][c]))));
      const [got] = await js(m, [[data, upd]]);
      expect(got).toEqual(want.flat());
      expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    });
  }
});

describe('GatherElements, GatherND and OneHot of computed values', () => {
  it('GatherElements with 70 runs: picked by constant ids', async () => {
    const n = 70;
    const row = Array.from({ length: n }, (_, i) => i * 0.5 - 3);
    const idx = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? n - 1 - i : -1 - i));
    const m = model([node('GatherElements', ['d', 'i'], ['y'], { axis: int(1) })], [['d', 'float32', [1, n]]], ['y'], [init('i', 'int64', [1, n], idx)]);
    const [got] = await js(m, [[[row]]]);
    expect(got).toEqual(idx.map((k) => row[k < 0 ? k + n : k]));
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
  it('GatherElements of 64 runs joins 64 slices; of 65, picks by constant ids', async () => {
    for (const n of [64, 65]) {
      const row = Array.from({ length: n }, (_, i) => i - 10.5);
      const idx = Array.from({ length: n }, (_, i) => n - 1 - i);
      const m = model([node('GatherElements', ['d', 'i'], ['y'], { axis: int(1) })], [['d', 'float32', [1, n]]], ['y'], [init('i', 'int64', [1, n], idx)]);
      expect((await js(m, [[[row]]]))[0]).toEqual([...row].reverse());
      const ops = buildOnnxProgram(m).equations.map((eq) => eq.op);
      expect([ops.filter((op) => op === 'slice').length, ops.includes('gather_rows')], `${n} runs`).toEqual(n === 64 ? [64, false] : [0, true]);
    }
  });
  it('GatherElements of 70 elements in 2 runs joins 2 slices', async () => {
    const row = Array.from({ length: 70 }, (_, i) => i / 4 - 3);
    const idx = Array.from({ length: 70 }, (_, i) => (i + 35) % 70);
    const m = model([node('GatherElements', ['d', 'i'], ['y'], { axis: int(1) })], [['d', 'float32', [1, 70]]], ['y'], [init('i', 'int64', [1, 70], idx)]);
    expect((await js(m, [[[row]]]))[0]).toEqual(idx.map((k) => row[k]));
    const ops = buildOnnxProgram(m).equations.map((eq) => eq.op);
    expect([ops.filter((op) => op === 'slice').length, ops.includes('gather_rows')]).toEqual([2, false]);
  });
  it('GatherElements with 3 runs along axis 0', async () => {
    const m = model([node('GatherElements', ['d', 'i'], ['y'])], [['d', 'float32', [3, 3]]], ['y'], [init('i', 'int64', [2, 3], [1, 1, 1, 0, 0, -1])]);
    const [got] = await js(m, [[DATA]]);
    expect(got).toEqual([3, 0.25, -4, 0.5, -1, -0.5]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    // One slice per run of consecutive elements (rows 1, then 0 and 1 of column 0…1, then the last).
    expect(buildOnnxProgram(m).equations.filter((eq) => eq.op === 'slice')).toHaveLength(3);
  });
  it('GatherElements of every element in order is the data itself (no slice, no join)', async () => {
    const m = model([node('GatherElements', ['d', 'i'], ['y'])], [['d', 'float32', [2, 2]]], ['y'], [init('i', 'int64', [2, 2], [0, 0, 1, 1])]);
    expect((await js(m, [[[[1, 2], [3, 4]]]]))[0]).toEqual([1, 2, 3, 4]);
    expect(buildOnnxProgram(m).equations.filter((eq) => eq.op === 'slice' || eq.op === 'concat')).toEqual([]);
  });
  it('GatherElements with more indices along the axis than data has', async () => {
    const m = model([node('GatherElements', ['d', 'i'], ['y'])], [['d', 'float32', [2, 2]]], ['y'], [init('i', 'int64', [3, 2], [1, 0, 0, 0, 1, 1])]);
    expect((await js(m, [[[[1, 2], [3, 4]]]]))[0]).toEqual([3, 2, 1, 2, 3, 4]);
  });
  it('GatherElements at computed indices (negative ones from the end), of computed and of constant data', async () => {
    const idx = [
      [2, -1, 0],
      [-3, 1, 1],
    ];
    const want = idx.flatMap((row, i) => row.map((k, j) => DATA[k < 0 ? k + 3 : k][j]));
    const computed = model([node('GatherElements', ['d', 'i'], ['y'])], [['d', 'float32', [3, 3]], ['i', 'int64', [2, 3]]], ['y']);
    expect((await js(computed, [[DATA, idx]]))[0]).toEqual(want);
    expect(roleProblems(buildOnnxProgram(computed))).toEqual([]);
    const constant = model([node('GatherElements', ['d', 'i'], ['y'])], [['i', 'int64', [2, 3]]], ['y'], [init('d', 'float32', [3, 3], DATA.flat())]);
    expect((await js(constant, [[idx]]))[0]).toEqual(want);
    expect(roleProblems(buildOnnxProgram(constant))).toEqual([]);
  });
  it('GatherND, batch_dims 1', async () => {
    const data = [
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [
        [7, 8],
        [9, 10],
        [11, 12],
      ],
    ];
    const m = model([node('GatherND', ['d', 'i'], ['y'], { batch_dims: int(1) })], [['d', 'float32', [2, 3, 2]]], ['y'], [init('i', 'int64', [2, 2, 1], [2, 0, -2, 1])]);
    const [got] = await js(m, [[data]]);
    // out[b, j] = data[b, i[b, j]]
    expect(got).toEqual([5, 6, 1, 2, 9, 10, 9, 10]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
  it('GatherND with indices of rank 1: one tuple, the element itself', async () => {
    const m = model([node('GatherND', ['d', 'i'], ['y'])], [['d', 'float32', [3, 3]]], ['y'], [init('i', 'int64', [2], [2, -2])]);
    // op_gathernd.py: out = data[2, −2 + 3].
    expect((await js(m, [[DATA]]))[0]).toEqual([DATA[2][1]]);
    expect(buildOnnxProgram(m).outputs[0].tensor.shape).toEqual([]);
  });
  it('OneHot of depth 1, its default axis −1 on indices of rank 2; computed values [off, on] at constant indices', async () => {
    // y[a, b, d] = on where trunc(i[a, b]) (from the end when negative) is d, else off.
    const one = model([node('OneHot', ['i', 'depth', 'v'], ['y'], {}, 11)], [['i', 'float32', [2, 2]]], ['y'], [init('depth', 'int64', [1], [1]), init('v', 'float32', [2], [-1, 5])], 11);
    expect((await js(one, [[[[0, -1], [1, 0.5]]]]))[0]).toEqual([5, 5, -1, 5]);
    expect(buildOnnxProgram(one).outputs[0].tensor.shape).toEqual([2, 2, 1]);
    const three = model([node('OneHot', ['i', 'depth', 'v'], ['y'], {}, 11)], [['i', 'float32', [2, 2]]], ['y'], [init('depth', 'int64', [1], [3])].concat(init('v', 'float32', [2], [0, 1])), 11);
    expect((await js(three, [[[[2, 0], [1, -1]]]]))[0]).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const values = model([node('OneHot', ['i', 'depth', 'v'], ['y'], { axis: int(0) }, 11)], [['v', 'float32', [2]]], ['y'], [init('i', 'int64', [2], [1, 0]), init('depth', 'int64', [1], [2])], 11);
    expect((await js(values, [[[-2, 3]]]))[0]).toEqual([-2, 3, 3, -2]);
    expect(roleProblems(buildOnnxProgram(values))).toEqual([]);
    const rowOfTwo = model([node('OneHot', ['i', 'depth', 'v'], ['y'], { axis: int(0) }, 11)], [['v', 'float32', [1, 2]]], ['y'], [init('i', 'int64', [2], [1, 0]), init('depth', 'int64', [1], [2])], 11);
    expect((await js(rowOfTwo, [[[[-2, 3]]]]))[0]).toEqual([-2, 3, 3, -2]);
    expect(roleProblems(buildOnnxProgram(rowOfTwo))).toEqual([]);
  });
  it('OneHot of constants is folded: the output a constant, copied by one equation', () => {
    const m = model([node('OneHot', ['i', 'depth', 'v'], ['y'], {}, 11)], [], ['y'], [init('i', 'int64', [2], [1, 0]), init('depth', 'int64', [1], [2]), init('v', 'float32', [2], [0, 1])], 11);
    const p = buildOnnxProgram(m);
    expect(p.equations).toHaveLength(1);
    expect(p.equations[0].args.map((id) => p.tensors[id].kind)).toEqual(['const']);
  });
  it('OneHot, axis 0, negative and fractional indices, one out of range', async () => {
    const m = model([node('OneHot', ['i', 'depth', 'v'], ['y'], { axis: int(0) }, 11)], [['i', 'float32', [4]]], ['y'], [init('depth', 'int64', [1], [3]), init('v', 'float32', [2], [-1, 5])], 11);
    const idx = [1.7, -1, -3.5, 3];
    const [got] = await js(m, [[idx]]);
    // y[d, k] = on where trunc(i_k) (from the end when negative) is d, else off; 3 is out of range.
    const hot = idx.map((v) => (Math.trunc(v) < 0 ? Math.trunc(v) + 3 : Math.trunc(v)));
    expect(got).toEqual([0, 1, 2].flatMap((d) => hot.map((h) => (h === d ? 5 : -1))));
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
});

describe('scatter and gather refusals name what they found', () => {
  const f = (dims: number[]): [string, 'float32', number[]] => ['d', 'float32', dims];
  const u = (dims: number[]): [string, 'float32', number[]] => ['u', 'float32', dims];
  const cases: [string, ReturnType<typeof model>, RegExp][] = [
    ['ScatterND: more coordinates than data has axes', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([2, 2]), u([1])], ['y'], [init('i', 'int64', [1, 3], [0, 0, 0])]), /: indices of shape \[1, 3\] do not index data of rank 2; hint: the last axis of indices holds 1 to rank\(data\) coordinates$/],
    ['ScatterND: no coordinates', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([2, 2]), u([1, 2, 2])], ['y'], [init('i', 'int64', [1, 0], [])]), /: indices of shape \[1, 0\] do not index data of rank 2/],
    ['ScatterND: updates of another shape', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([2, 3])], ['y'], [init('i', 'int64', [2, 1], [0, 1])]), /: updates have shape \[2, 3\], where indices \[2, 1\] and data \[3, 2\] need \[2, 2\]$/],
    ['ScatterND: scalar indices', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([2, 2]), u([2, 2])], ['y'], [init('i', 'int64', [], [0])]), /: indices of shape \[\] do not index data of rank 2/],
    ['ScatterND: updates with an extra axis', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([2, 2, 1])], ['y'], [init('i', 'int64', [2, 1], [0, 1])]), /: updates have shape \[2, 2, 1\], where indices \[2, 1\] and data \[3, 2\] need \[2, 2\]$/],
    ['ScatterND: the second tuple out of range', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([2])], ['y'], [init('i', 'int64', [2, 2], [0, 0, 5, 0])]), /: index 5 is out of range for axis 0 of length 3$/],
    ['ScatterND: computed indices', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([3, 2]), ['i', 'int64', [1, 1]], u([1, 2])], ['y']), /: its indices \(input 'i'\) is not constant/],
    ['ScatterElements: computed indices', model([node('ScatterElements', ['d', 'i', 'u'], ['y'])], [f([3, 2]), ['i', 'int64', [1, 1]], u([1, 1])], ['y']), /: its indices \(input 'i'\) is not constant/],
    ['ScatterND: updates of another rank', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([2])], ['y'], [init('i', 'int64', [2, 1], [0, 1])]), /: updates have shape \[2\], where indices \[2, 1\] and data \[3, 2\] need \[2, 2\]$/],
    ['ScatterND: an index past the end', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([1, 2])], ['y'], [init('i', 'int64', [1, 1], [3])]), /: index 3 is out of range for axis 0 of length 3$/],
    ['ScatterND: an index before the start', model([node('ScatterND', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([1])], ['y'], [init('i', 'int64', [1, 2], [0, -3])]), /: index -3 is out of range for axis 1 of length 2$/],
    ['ScatterElements: indices of another rank', model([node('ScatterElements', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([2])], ['y'], [init('i', 'int64', [2], [0, 1])]), /: indices \[2\] and updates \[2\] must have one shape, of the rank of data \[3, 2\] and no longer on any other axis$/],
    ['ScatterElements: indices and updates differ', model([node('ScatterElements', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([1, 1])], ['y'], [init('i', 'int64', [1, 2], [0, 1])]), /: indices \[1, 2\] and updates \[1, 1\] must have one shape/],
    ['ScatterElements: longer than data off the axis', model([node('ScatterElements', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([1, 3])], ['y'], [init('i', 'int64', [1, 3], [0, 1, 2])]), /: indices \[1, 3\] and updates \[1, 3\] must have one shape/],
    ['ScatterElements: an index past the end', model([node('ScatterElements', ['d', 'i', 'u'], ['y'], { axis: int(1) })], [f([3, 2]), u([1, 1])], ['y'], [init('i', 'int64', [1, 1], [2])]), /: index 2 is out of range for axis 1 of length 2$/],
    ['ScatterElements: an index before the start', model([node('ScatterElements', ['d', 'i', 'u'], ['y'])], [f([3, 2]), u([1, 1])], ['y'], [init('i', 'int64', [1, 1], [-4])]), /: index -4 is out of range for axis 0 of length 3$/],
    ['ScatterElements: a reduction ONNX does not have', model([node('ScatterElements', ['d', 'i', 'u'], ['y'], { reduction: str('mean') }, 16)], [f([3, 2]), u([1, 1])], ['y'], [init('i', 'int64', [1, 1], [0])], 16), /: reduction 'mean' is not one of ONNX's \(none, add, mul, max, min\)$/],
    ['GatherElements: indices of another rank', model([node('GatherElements', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [2], [0, 1])]), /: indices \[2\] must have the rank of data \[3, 2\] and be no longer on any axis but 0$/],
    ['GatherElements: longer than data off the axis', model([node('GatherElements', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [1, 3], [0, 1, 2])]), /: indices \[1, 3\] must have the rank of data \[3, 2\]/],
    ['GatherElements: an index past the end', model([node('GatherElements', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [1, 1], [3])]), /: index 3 is out of range for axis 0 of length 3$/],
    ['GatherElements: an index before the start', model([node('GatherElements', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [1, 1], [-4])]), /: index -4 is out of range for axis 0 of length 3$/],
    ['GatherElements: no element', model([node('GatherElements', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [0, 2], [])]), /: gathers no element$/],
    ['GatherND: batch_dims past the indices', model([node('GatherND', ['d', 'i'], ['y'], { batch_dims: int(2) })], [f([3, 2])], ['y'], [init('i', 'int64', [3, 1], [0, 1, 2])]), /: indices of shape \[3, 1\] with batch_dims 2 do not index data of shape \[3, 2\]; hint: the last axis of indices holds 1 to rank\(data\) − batch_dims coordinates, after batch axes shared with data$/],
    ['GatherND: negative batch_dims', model([node('GatherND', ['d', 'i'], ['y'], { batch_dims: int(-1) })], [f([3, 2])], ['y'], [init('i', 'int64', [3, 1], [0, 1, 2])]), /: indices of shape \[3, 1\] with batch_dims -1 do not/],
    ['GatherND: too many coordinates', model([node('GatherND', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [1, 3], [0, 1, 0])]), /: indices of shape \[1, 3\] with batch_dims 0 do not/],
    ['GatherND: no coordinates', model([node('GatherND', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [1, 0], [])]), /: indices of shape \[1, 0\] with batch_dims 0 do not/],
    ['GatherND: batch axes that differ', model([node('GatherND', ['d', 'i'], ['y'], { batch_dims: int(1) })], [f([3, 2])], ['y'], [init('i', 'int64', [2, 1], [0, 1])]), /: indices of shape \[2, 1\] with batch_dims 1 do not index data of shape \[3, 2\]/],
    ['GatherND: computed indices', model([node('GatherND', ['d', 'i'], ['y'])], [f([3, 2]), ['i', 'int64', [1, 1]]], ['y']), /: its indices \(input 'i'\) is not constant/],
    ['GatherND: scalar indices', model([node('GatherND', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [], [0])]), /: indices of shape \[\] with batch_dims 0 do not index data of shape \[3, 2\]/],
    ['GatherND: the second coordinate of the second tuple out of range', model([node('GatherND', ['d', 'i'], ['y'])], [f([3, 2])], ['y'], [init('i', 'int64', [2, 2], [0, 0, 1, -5])]), /: index -5 is out of range for axis 1 of length 2$/],
    ['GatherND: batch_dims as many as the axes of indices', model([node('GatherND', ['d', 'i'], ['y'], { batch_dims: int(1) })], [f([1, 2])], ['y'], [init('i', 'int64', [1], [0])]), /: indices of shape \[1\] with batch_dims 1 do not index data of shape \[1, 2\]/],
    ['GatherND: an index before the start', model([node('GatherND', ['d', 'i'], ['y'], { batch_dims: int(1) })], [f([3, 2])], ['y'], [init('i', 'int64', [3, 1], [0, -3, 1])]), /: index -3 is out of range for axis 1 of length 2$/],
    ['GatherND: an index out of range', model([node('GatherND', ['d', 'i'], ['y'], { batch_dims: int(1) })], [f([3, 2])], ['y'], [init('i', 'int64', [3, 1], [0, 2, 1])]), /: index 2 is out of range for axis 1 of length 2$/],
    ['OneHot: a computed depth', model([node('OneHot', ['i', 'depth', 'v'], ['y'], {}, 11)], [['i', 'float32', [2]], ['depth', 'int64', [1]]], ['y'], [init('v', 'float32', [2], [0, 1])], 11), /: its depth \(input 'depth'\) is not constant/],
    ['OneHot: values of shape [2, 2]', model([node('OneHot', ['i', 'depth', 'v'], ['y'], {}, 11)], [['i', 'float32', [2]]], ['y'], [init('depth', 'int64', [1], [3]), init('v', 'float32', [2, 2], [0, 1, 2, 3])], 11), /: values has shape \[2, 2\], expected \[off, on\]$/],
    ['OneHot: a fractional depth', model([node('OneHot', ['i', 'depth', 'v'], ['y'], {}, 11)], [['i', 'float32', [2]]], ['y'], [init('depth', 'float32', [1], [2.5]), init('v', 'float32', [2], [0, 1])], 11), /: depth is 2\.5, expected a whole number of at least 1$/],
    ['OneHot: depth 0', model([node('OneHot', ['i', 'depth', 'v'], ['y'], {}, 11)], [['i', 'float32', [2]]], ['y'], [init('depth', 'int64', [1], [0]), init('v', 'float32', [2], [0, 1])], 11), /: depth is 0, expected a whole number of at least 1$/],
    ['OneHot: three values', model([node('OneHot', ['i', 'depth', 'v'], ['y'], {}, 11)], [['i', 'float32', [2]]], ['y'], [init('depth', 'int64', [1], [3]), init('v', 'float32', [3], [0, 1, 2])], 11), /: values has shape \[3\], expected \[off, on\]$/],
    ['OneHot: an axis past the new rank', model([node('OneHot', ['i', 'depth', 'v'], ['y'], { axis: int(2) }, 11)], [['i', 'float32', [2]]], ['y'], [init('depth', 'int64', [1], [3]), init('v', 'float32', [2], [0, 1])], 11), /: axis 2 is out of range for indices of rank 1$/],
    ['OneHot: an axis before it', model([node('OneHot', ['i', 'depth', 'v'], ['y'], { axis: int(-3) }, 11)], [['i', 'float32', [2]]], ['y'], [init('depth', 'int64', [1], [3]), init('v', 'float32', [2], [0, 1])], 11), /: axis -3 is out of range for indices of rank 1$/],
  ];
  for (const [what, m, message] of cases) it(what, () => expect(refusal(m)).toMatch(message));
});
