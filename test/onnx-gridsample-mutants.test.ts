import { describe, expect, it } from 'vitest';
import { buildOnnxProgram, init, int, js, model, node, refusal, roleProblems, str } from './onnx-built.js';

// GridSample and AffineGrid (src/extract/onnx/gridsample.ts) where the survivors and uncovered
// mutants of `npm run mutate -- gridsample --js-only` showed no test looking: the default mode of
// opset 20 (linear), AffineGrid with align_corners on an axis of one cell, and each refusal with what
// it names. The numbers are ONNX's definition (op_grid_sample.py, op_affine_grid.py) computed here.
// And in every mode and padding rule, each value made on the way is a temporary, the output the
// layer's value and every constant named (roleProblems): what the printed forms name them by.
// In-process, well under a second.

/** ONNX's bilinear GridSample of one 2-D image [H][W] at normalized (gx, gy), zeros padding. */
function bilinear(img: number[][], gx: number, gy: number, align: boolean): number {
  const h = img.length;
  const w = img[0].length;
  const pix = (g: number, d: number) => (align ? ((g + 1) / 2) * (d - 1) : ((g + 1) * d - 1) / 2);
  const x = pix(gx, w);
  const y = pix(gy, h);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const at = (i: number, j: number) => (i >= 0 && i < h && j >= 0 && j < w ? img[i][j] : 0);
  const tx = x - x0;
  const ty = y - y0;
  return (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x0 + 1)) + ty * ((1 - tx) * at(y0 + 1, x0) + tx * at(y0 + 1, x0 + 1));
}

const IMG = [
  [1, 2, -3],
  [0.5, 4, 2.5],
];
const GRID = [
  [0.3, -0.6],
  [-1.2, 0.9],
  [0.75, 0.25],
];

describe('GridSample', () => {
  it('opset 20 without a mode attribute: linear', async () => {
    const m = model([node('GridSample', ['x', 'g'], ['y'], { align_corners: int(1) }, 20)], [['x', 'float32', [1, 1, 2, 3]], ['g', 'float32', [1, 1, 3, 2]]], ['y'], [], 20);
    const [got] = await js(m, [[[[IMG]], [[GRID]]]]);
    GRID.forEach(([gx, gy], k) => expect(got[k]).toBeCloseTo(bilinear(IMG, gx, gy, true), 12));
  });

  const io = (x: number[], g: number[]): [string, 'float32', number[]][] => [
    ['x', 'float32', x],
    ['g', 'float32', g],
  ];
  const cases: [string, Record<string, ReturnType<typeof str>>, number[], number[], RegExp][] = [
    ['a mode ONNX does not have', { mode: str('area') }, [1, 1, 2, 3], [1, 1, 3, 2], /: mode 'area' is not one of ONNX's \(bilinear, nearest, bicubic; linear, cubic from opset 20\)$/],
    ['a padding_mode ONNX does not have', { padding_mode: str('wrap') }, [1, 1, 2, 3], [1, 1, 3, 2], /: padding_mode 'wrap' is not one of ONNX's \(zeros, border, reflection\)$/],
    ['a grid of another rank', {}, [1, 1, 2, 3], [1, 1, 3, 2, 2], /: grid \[1, 1, 3, 2, 2\] does not fit X \[1, 1, 2, 3\]: expected \[N, …out, 2\]$/],
    ['a grid of another N', {}, [1, 1, 2, 3], [2, 1, 3, 2], /: grid \[2, 1, 3, 2\] does not fit X/],
    ['a grid with 3 coordinates for 2 axes', {}, [1, 1, 2, 3], [1, 1, 3, 3], /: grid \[1, 1, 3, 3\] does not fit X/],
    ['an X without spatial axes', {}, [1, 1], [1, 1], /: grid \[1, 1\] does not fit X \[1, 1\]: expected \[N, …out, 0\]$/],
    ['an X without spatial axes and an empty grid', {}, [1, 1], [1, 0], /: grid \[1, 0\] does not fit X \[1, 1\]: expected \[N, …out, 0\]$/],
  ];
  for (const [what, attrs, x, g, message] of cases) {
    it(`refuses ${what}`, () => expect(refusal(model([node('GridSample', ['x', 'g'], ['y'], attrs)], io(x, g), ['y']))).toMatch(message));
  }
});

describe('AffineGrid', () => {
  it('align_corners on an axis of one cell: the coordinate −1 (linspace(−1, 1, 1))', async () => {
    const m = model([node('AffineGrid', ['t', 's'], ['y'], { align_corners: int(1) }, 20)], [['t', 'float32', [1, 2, 3]]], ['y'], [init('s', 'int64', [4], [1, 1, 1, 3])], 20);
    const theta = [
      [0.5, -1, 0.25],
      [2, 0.75, -0.5],
    ];
    const [got] = await js(m, [[[theta]]]);
    // Output [1, H 1, W 3, 2]: (x, y) = θ · (xs[w], ys[0], 1), xs = −1, 0, 1 and ys = −1.
    const want = [-1, 0, 1].flatMap((xw) => theta.map((r) => r[0] * xw + r[1] * -1 + r[2]));
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
  });
  it('refuses a computed size, naming it', () => {
    const m = model([node('AffineGrid', ['t', 's'], ['y'])], [['t', 'float32', [1, 2, 3]], ['s', 'int64', [4]]], ['y'], [], 20);
    expect(refusal(m)).toMatch(/: its size \(input 's'\) is not constant: it depends on the model's inputs; hint: fix it when converting with --bind s=/);
  });
  // Each shape breaks one rule only: r 2 or 3, theta of rank 3, theta's N, its r rows, its r + 1 columns.
  const misfits: [number[], number[]][] = [
    [[1, 1, 2], [1, 1, 4]],
    [[1, 2, 3, 1], [1, 1, 2, 2]],
    [[2, 2, 3], [1, 1, 2, 2]],
    [[1, 3, 3], [1, 1, 2, 2]],
    [[1, 2, 4], [1, 1, 2, 2]],
  ];
  for (const [theta, size] of misfits) {
    it(`refuses theta [${theta.join(', ')}] for size [${size.join(', ')}]`, () => {
      const m = model([node('AffineGrid', ['t', 's'], ['y'])], [['t', 'float32', theta]], ['y'], [init('s', 'int64', [size.length], size)], 20);
      expect(refusal(m)).toMatch(/: theta \[[\d, ]+\] and size \[[\d, ]+\] do not fit: expected theta \[N, r, r \+ 1\] for size \[N, C, …r spatial sizes\], r 2 or 3$/);
      expect(refusal(m)).toContain(`theta [${theta.join(', ')}] and size [${size.join(', ')}]`);
    });
  }
});

describe('GridSample and AffineGrid print their values on the way as temporaries', () => {
  const settings: [string, string, number[], number[]][] = [
    ['nearest', 'border', [1, 2, 2, 3], [1, 2, 1, 2]],
    ['nearest', 'zeros', [1, 1, 2, 3], [1, 1, 3, 2]],
    ['bilinear', 'reflection', [2, 1, 2, 3], [2, 1, 3, 2]],
    ['bilinear', 'zeros', [1, 1, 2, 2, 3], [1, 1, 1, 2, 3]],
    ['bicubic', 'zeros', [1, 1, 3, 3], [1, 1, 2, 2]],
    ['bicubic', 'border', [1, 1, 1, 4], [1, 1, 2, 2]],
    ['bicubic', 'reflection', [1, 1, 1, 4], [1, 1, 2, 2]],
  ];
  for (const [mode, padding, x, g] of settings) {
    for (const align of [0, 1]) {
      it(`${mode}, ${padding}, align_corners ${align}, X [${x.join(', ')}]`, () => {
        const m = model([node('GridSample', ['x', 'g'], ['y'], { mode: str(mode), padding_mode: str(padding), align_corners: int(align) }, 16)], [['x', 'float32', x], ['g', 'float32', g]], ['y'], [], 16);
        expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
      });
    }
  }
  it('AffineGrid', () => {
    const m = model([node('AffineGrid', ['t', 's'], ['y'])], [['t', 'float32', [2, 3, 4]]], ['y'], [init('s', 'int64', [5], [2, 1, 2, 3, 2])], 20);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
});

/** ONNX's reflection of x into [lo, hi] (op_grid_sample.py, _gs_reflect); into one point (align_corners on one cell, where onnx divides by 0) the point, as PyTorch's reflect_coordinates. */
function reflect(x: number, lo: number, hi: number): number {
  const span = hi - lo;
  if (span === 0) return lo;
  if (x < lo) {
    const dx = lo - x;
    const n = Math.trunc(dx / span);
    const r = dx - n * span;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const dx = x - hi;
    const n = Math.trunc(dx / span);
    const r = dx - n * span;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

/** Keys's cubic coefficients (a = −0.75) of the taps i0 − 1 … i0 + 2 at t = x − i0. */
function keys(t: number): number[] {
  const a = -0.75;
  const near = (s: number) => (a + 2) * s ** 3 - (a + 3) * s ** 2 + 1;
  const far = (s: number) => a * s ** 3 - 5 * a * s ** 2 + 8 * a * s - 4 * a;
  return [far(1 + t), near(t), near(1 - t), far(2 - t)];
}

/**
 * GridSample of one row X[W] (H = 1, so the y axis reads row 0 at t = 0) at normalized gx: linear
 * as op_grid_sample.py (the coordinate reflected or clamped first, then each tap by the padding
 * rule), cubic as ONNX Runtime and PyTorch (each tap by the padding rule only).
 */
function sampleRow(row: number[], gx: number, mode: 'linear' | 'cubic', padding: 'border' | 'reflection', align: boolean): number {
  const w = row.length;
  const lo = align ? 0 : -0.5;
  const hi = align ? w - 1 : w - 0.5;
  let x = align ? ((gx + 1) / 2) * (w - 1) : ((gx + 1) * w - 1) / 2;
  const tap = (i: number) => row[padding === 'border' ? Math.min(Math.max(i, 0), w - 1) : Math.trunc(reflect(i, lo, hi))];
  if (mode === 'linear') {
    x = padding === 'border' ? Math.min(Math.max(x, 0), w - 1) : reflect(x, lo, hi);
    const i0 = Math.floor(x);
    return (1 - (x - i0)) * tap(i0) + (x - i0) * tap(i0 + 1);
  }
  const i0 = Math.floor(x);
  return keys(x - i0).reduce((s, c, k) => s + c * tap(i0 - 1 + k), 0);
}

// X of one row (H = 1): with align_corners and reflection, its y axis is one cell, which nn2eq read
// as NaN (a reflection of period 0) before this test; PyTorch's grid_sample gives 1.9 for linear,
// 2.38 for cubic at gx = 1.4 (torch 2, align_corners=True, reflection), as sampleRow does.
describe('GridSample outside the grid range and on one spatial axis', () => {
  const ROW = [1, -2, 0.5, 4];
  const GX = [1.4, -1.3, 2.9, -3.6, 0.2];
  for (const [mode, onnxMode] of [
    ['linear', 'bilinear'],
    ['cubic', 'bicubic'],
  ] as const) {
    for (const padding of ['border', 'reflection'] as const) {
      for (const align of [0, 1]) {
        it(`${onnxMode}, ${padding}, align_corners ${align}`, async () => {
          const m = model([node('GridSample', ['x', 'g'], ['y'], { mode: str(onnxMode), padding_mode: str(padding), align_corners: int(align) }, 16)], [['x', 'float32', [1, 1, 1, 4]], ['g', 'float32', [1, 1, GX.length, 2]]], ['y'], [], 16);
          const [got] = await js(m, [[[[[ROW]]], [[GX.map((gx) => [gx, 0])]]]]);
          GX.forEach((gx, k) => expect(got[k], `gx ${gx}`).toBeCloseTo(sampleRow(ROW, gx, mode, padding, align === 1), 12));
        });
      }
    }
  }
  it("opset 20's names: cubic is bicubic, linear is bilinear", async () => {
    const run = async (mode: string, opset: number) =>
      (await js(model([node('GridSample', ['x', 'g'], ['y'], { mode: str(mode), padding_mode: str('border'), align_corners: int(1) }, opset)], [['x', 'float32', [1, 1, 1, 4]], ['g', 'float32', [1, 1, GX.length, 2]]], ['y'], [], opset), [[[[[ROW]]], [[GX.map((gx) => [gx, 0])]]]]))[0];
    expect(await run('cubic', 20)).toEqual(await run('bicubic', 16));
    expect(await run('linear', 20)).toEqual(await run('bilinear', 16));
    (await run('cubic', 20)).forEach((v, k) => expect(v).toBeCloseTo(sampleRow(ROW, GX[k], 'cubic', 'border', true), 12));
  });
  it('two images of two channels each: each image at its own grid, each channel alike', async () => {
    const rows = [ROW, ROW.map((v) => 1 - 2 * v), [0.25, 3, -1, 2], [5, -0.5, 0, 1.5]];
    const grids = [GX, GX.map((g) => -g / 2)];
    const m = model([node('GridSample', ['x', 'g'], ['y'], { mode: str('bilinear'), padding_mode: str('border') }, 16)], [['x', 'float32', [2, 2, 1, 4]], ['g', 'float32', [2, 1, GX.length, 2]]], ['y'], [], 16);
    const [got] = await js(m, [[[[[rows[0]], [rows[1]]], [[rows[2]], [rows[3]]]], grids.map((g) => [g.map((gx) => [gx, 0])])]]);
    // Output [N 2, C 2, 1, 5]: image n, channel c, at grid n.
    const want = [0, 1].flatMap((n) => [0, 1].flatMap((c) => grids[n].map((gx) => sampleRow(rows[2 * n + c], gx, 'linear', 'border', false))));
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
  });
  it('reads one cell per output for nearest, 2 per axis for linear, 4 per axis for cubic', () => {
    const reads = (mode: string) =>
      buildOnnxProgram(model([node('GridSample', ['x', 'g'], ['y'], { mode: str(mode) }, 16)], [['x', 'float32', [1, 1, 3, 3]], ['g', 'float32', [1, 2, 2, 2]]], ['y'], [], 16)).equations.filter((eq) => eq.op === 'gather_rows').length;
    expect([reads('nearest'), reads('bilinear'), reads('bicubic')]).toEqual([1, 4, 16]);
  });
  it('one spatial axis (X [N, C, W], opset 20): linear, zeros', async () => {
    const m = model([node('GridSample', ['x', 'g'], ['y'], { mode: str('linear') }, 20)], [['x', 'float32', [1, 1, 4]], ['g', 'float32', [1, 3, 1]]], ['y'], [], 20);
    const [got] = await js(m, [[[[ROW]], [[[0.3], [-0.9], [0.95]]]]]);
    const at = (i: number) => (i >= 0 && i < 4 ? ROW[i] : 0);
    [0.3, -0.9, 0.95].forEach((g, k) => {
      const x = ((g + 1) * 4 - 1) / 2;
      const i0 = Math.floor(x);
      expect(got[k]).toBeCloseTo((1 - (x - i0)) * at(i0) + (x - i0) * at(i0 + 1), 12);
    });
  });
});
