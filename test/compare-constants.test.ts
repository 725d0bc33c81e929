import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { formatNumber, JSON_NUMBERS } from '../src/emit/number.js';
import { evaluateJsonIr, runMathjsText } from '../src/verify/extra-runtimes.js';
import { openOnnxRuntime } from '../src/verify/onnx-oracle.js';
import { withPython } from './check.js';
import { evaluateLatex, nameKey } from './latex-eval.js';
import { FIXTURES, mismatch, python, runCRows, runJs, runNumpy, runSympy, runWolframTensor, tfFixture, tmpFile, withCC } from './helpers.js';

// Comparisons with float32 constants that are no short decimal (issue 29): LessOrEqual(x, 3.14f)
// printed as `3.14 >= x` reads back 3.14 as a double below 3.14f, so at x = 3.14f the printed code
// said 0 where ONNX says 1. fixtures/onnx-compare-const/model.onnx (make_model.py) compares x with
// 3.14f, 0.1f and −2.7f held as scalars, as a constant tensor of nine values, and as attributes
// (ThresholdedRelu's alpha, Shrink's lambd); x holds each constant and its float32 neighbours.
// Every format runs its own text on those inputs against onnxruntime-web on the same model:
// exactly equal (comparisons and choices have no tolerance). A few seconds.
const FILE = join(FIXTURES, 'onnx-compare-const', 'model.onnx');
const CONSTANTS = [3.14, 0.1, -2.7].map(Math.fround);

/** The float32 next to `v` (a nonzero float32) towards +∞ (up) or −∞. */
function nextFloat32(v: number, up: boolean): number {
  const f = new Float32Array([v]);
  const bits = new Int32Array(f.buffer);
  bits[0] += (v > 0) === up ? 1 : -1;
  return f[0];
}

const around = CONSTANTS.flatMap((c) => [nextFloat32(c, false), c, nextFloat32(c, true)]);
// The second case in reverse, so that the nine-value constant tensor meets each constant's neighbours off its own position too.
const CASES = [[around], [[...around].reverse()]];

let ort: number[][] = [];
beforeAll(async () => {
  const rt = await openOnnxRuntime(readFileSync(FILE), { file: 'onnx-compare-const' });
  try {
    for (const [x] of CASES) ort.push((await rt.run([{ name: 'x', dtype: 'float32', dims: [9], values: x }])).flatMap((o) => Array.from(o.values)));
  } finally {
    await rt.release();
  }
}, 60_000);

const same = (got: number[][]) => {
  expect(got.length).toBe(CASES.length);
  got.forEach((g, i) => expect(mismatch(g, ort[i], 0, 0), `case ${i}`).toBeNull());
};
const rows = () => CASES.map(([x]) => x);

describe('the fixture has teeth', () => {
  it("each constant's shortest float32 text reads back as another double, and ONNX Runtime answers 1 at x = c exactly", () => {
    for (const c of CONSTANTS) expect(Number(formatNumber(c, JSON_NUMBERS))).not.toBe(c);
    // Outputs in the graph's order, nine each: LessOrEqual(x, 3.14f) is the second; x[1] = 3.14f.
    expect(ort[0][9 + 1]).toBe(1);
    expect(ort[0][9 + 0]).toBe(1);
    expect(ort[0][9 + 2]).toBe(0);
    // Equal(x, 0.1f): only x[4] = 0.1f.
    expect(ort[0].slice(4 * 9, 5 * 9)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });
  it('the formatter prints the compared float32s exactly and keeps whole and dyadic numbers short', () => {
    expect(formatNumber(Math.fround(3.14), JSON_NUMBERS, undefined, true)).toBe('3.140000104904175');
    expect(formatNumber(Math.fround(0.1), JSON_NUMBERS, undefined, true)).toBe('0.10000000149011612');
    for (const v of [3, 0.5, -2.75, 1024, 2 ** 31, 0]) expect(formatNumber(v, JSON_NUMBERS, undefined, true)).toBe(formatNumber(v, JSON_NUMBERS));
    // --precision still rounds, as asked.
    expect(formatNumber(Math.fround(3.14), JSON_NUMBERS, 3, true)).toBe('3.14');
  });
});

describe('every format against ONNX Runtime, inputs equal to the constants and their neighbours', () => {
  for (const form of ['tensor', 'scalar'] as const) {
    it(`JS ${form} form`, async () => {
      const { text } = await convertFile(FILE, { format: 'js', form });
      same(await runJs(text, CASES));
    });
    withCC(`C ${form} form`, async () => {
      const { text } = await convertFile(FILE, { format: 'c', form });
      same(await runCRows(text, rows(), ort[0].length));
    });
    withPython(`NumPy ${form} form`, async () => {
      const { text } = await convertFile(FILE, { format: 'numpy', form });
      same(await runNumpy(text, CASES));
    });
    it(`mathjs ${form} form`, async () => {
      const { text } = await convertFile(FILE, { format: 'mathjs', form });
      same(await runMathjsText(text, rows()));
    });
  }
  it('JSON IR, read by the meaning its schema gives each op', async () => {
    const { text } = await convertFile(FILE, { format: 'json', form: 'scalar' });
    same(evaluateJsonIr(JSON.parse(text), rows()));
  });
  // The LaTeX a reader sees keeps the exact digits too (a reader of `x \\le 3.14` would take 3.14 itself).
  it('LaTeX scalar form, evaluated from its parse', async () => {
    const { text } = await convertFile(FILE, { format: 'latex', form: 'scalar' });
    const xs = around.map((_, i) => nameKey(`x_{${i + 1}}`));
    const ys = ort[0].map((_, i) => nameKey(`y_{${i + 1}}`));
    same(rows().map((x) => {
      const values = evaluateLatex(text, new Map(x.map((v, i) => [xs[i], v])));
      return ys.map((y) => values.get(y) ?? Number.NaN);
    }));
  });
  withPython('Wolfram tensor form (nn2eq\'s interpreter)', async () => {
    const { text } = await convertFile(FILE, { format: 'mathematica', form: 'tensor' });
    const [got] = await runWolframTensor([{ text, cases: CASES }]);
    if (!Array.isArray(got)) throw new Error(got.error);
    same(got as number[][]);
  });
  withPython('SymPy tensor form', async () => {
    const { text } = await convertFile(FILE, { format: 'sympy', form: 'tensor' });
    const [got] = await runSympy(python.exe, [tmpFile('py', text)], [rows()], [[[9]]]);
    if (got instanceof Error) throw got;
    same(got);
  });
});

// Keras's ThresholdedReLU(theta=0.1) and ReLU(threshold=3.14), configs written by hand (no weights):
// TF.js compares in float32, so its theta is 0.1f; the extractor takes the config's 0.1 as the
// layer's float32, and the printers print it exactly. Against TF.js on the same inputs.
describe('Keras thresholds against TF.js, inputs equal to the thresholds and their neighbours', () => {
  for (const [name, at] of [['keras-compare-const/thresholded', 0.1], ['keras-compare-const/relu_threshold', 3.14]] as const) {
    const c = Math.fround(at);
    const x = [-1, 0, nextFloat32(c, false), c, nextFloat32(c, true), 2 * c, -c, 1, 5];
    it(`${name}: JS scalar and tensor forms, NumPy tensor form`, async () => {
      const fx = await tfFixture(name, [x]);
      if (!fx) throw new Error(`TF.js cannot load ${name}`);
      const want = Array.from((fx.model.predict(fx.xs[0]) as { dataSync(): Float32Array }).dataSync(), Number);
      // The fixture has teeth: TF.js gives 0 at x = c exactly and x just above it.
      expect([want[2], want[3], want[4]]).toEqual([0, 0, x[4]]);
      const file = join(FIXTURES, name, 'model.json');
      for (const form of ['scalar', 'tensor'] as const) {
        const { text } = await convertFile(file, { format: 'js', form });
        expect(mismatch((await runJs(text, [[x]]))[0], want, 0, 0), form).toBeNull();
      }
      if (!python.skip) {
        const { text } = await convertFile(file, { format: 'numpy', form: 'tensor' });
        expect(mismatch((await runNumpy(text, [[x]]))[0], want, 0, 0), 'numpy').toBeNull();
      }
    });
  }
});
