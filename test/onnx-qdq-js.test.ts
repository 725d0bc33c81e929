import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rint, scaleParts } from '../src/extract/onnx/quantize.js';
import { convertFile } from '../src/index.js';
import { FIXTURES, runJs } from './helpers.js';

// The quantized ONNX fixtures (scripts/onnx-qdq-fixtures.py) in the JS tensor form only, against
// ONNX's reference outputs (reference.json): in-process, a second or two, so that `npm run mutate --
// quantize` can run it for every mutant of src/extract/onnx/quantize.ts (test/onnx-qdq.test.ts runs
// every form against ONNX Runtime and PyTorch too, and takes a minute). The scale and rounding
// helpers against definitions computed another way.
const ROOT = join(FIXTURES, 'onnx-qdq');
const names = readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'model.onnx'))).sort();
/** Float ops between the quantizers: the reference runs them in float32, nn2eq in float64 (one step apart at most). */
const FLOAT_BETWEEN = new Set(['qdq_conv_chain', 'torch_fakequant_per_tensor', 'torch_fakequant_per_channel']);

describe('quantized ONNX fixtures, JS tensor form, against ONNX reference outputs', () => {
  it('has the fixtures', () => expect(names.length).toBeGreaterThanOrEqual(12));
  for (const name of names) {
    it(name, async () => {
      const { cases } = JSON.parse(readFileSync(join(ROOT, name, 'cases.json'), 'utf8')) as { cases: unknown[][] };
      const { reference } = JSON.parse(readFileSync(join(ROOT, name, 'reference.json'), 'utf8')) as { reference: number[][][] };
      const { text } = await convertFile(join(ROOT, name, 'model.onnx'), { format: 'js', form: 'tensor' });
      const got = await runJs(text, cases);
      const want = reference.map((outs) => outs.flat());
      expect(got.map((g) => g.length)).toEqual(want.map((w) => w.length));
      if (!FLOAT_BETWEEN.has(name)) {
        expect(got).toEqual(want);
        return;
      }
      // One quantization step: the smallest gap between distinct reference values bounds it from above.
      const vs = [...new Set(want.flat())].sort((a, b) => a - b);
      const step = Math.min(...vs.slice(1).map((v, i) => v - vs[i]));
      const worst = Math.max(...got.flatMap((g, i) => g.map((v, j) => Math.abs(v - want[i][j]))));
      expect(worst / step).toBeLessThanOrEqual(1 + 1e-6);
    });
  }
});

const bits = new Uint32Array(1);
const f32 = new Float32Array(bits.buffer);

describe('scaleParts: a float32 scale as whole b over a power of two a', () => {
  // Read off the float32 bits: s = m·2^(e−150) (m the 24-bit significand, e the biased exponent),
  // the trailing zero bits of m moved into the exponent; a = 2^−exponent when that is negative.
  function fromBits(s: number): [number, number] | null {
    f32[0] = s;
    const b = bits[0];
    const e = (b >>> 23) & 0xff;
    let m = (b & 0x7fffff) + (e === 0 ? 0 : 0x800000);
    let k = (e === 0 ? 1 : e) - 150;
    while (m % 2 === 0) {
      m /= 2;
      k++;
    }
    if (k >= 0) return [1, s];
    return -k > 53 ? null : [2 ** -k, m];
  }

  it('equals the float32 bits on powers of two, ratios, tiny and huge scales', () => {
    const values: number[] = [];
    for (let e = -70; e <= 70; e++) values.push(2 ** e, Math.fround(3 * 2 ** e), Math.fround(1.5 * 2 ** e));
    for (let i = 1; i < 3000; i++) values.push(Math.fround(i / 257), Math.fround(i * 0.0078125 + 1 / 3), Math.fround(1e-3 * i));
    values.push(1.401298464324817e-45, 3.4028234663852886e38, 1, 255, 0.5);
    const wrong = values.filter((s) => JSON.stringify(scaleParts(s)) !== JSON.stringify(fromBits(s)));
    expect(wrong.slice(0, 5).map((s) => `${s}: ${JSON.stringify(scaleParts(s))} vs ${JSON.stringify(fromBits(s))}`)).toEqual([]);
  });

  it('refuses what is not a positive finite float32', () => {
    for (const s of [0, -0, -0.5, -1, NaN, Infinity, -Infinity, 0.1, 1 / 3]) expect(scaleParts(s), String(s)).toBeNull();
  });
});

describe('rint: to a whole number, ties to even (np.rint)', () => {
  it('on halves, near halves and whole numbers, either sign', () => {
    // The nearest whole number by distance, the even one on a tie: BigInt parity, no floor arithmetic shared.
    const nearest = (x: number): number => {
      const lo = Math.floor(x);
      const hi = lo + 1;
      const dl = x - lo;
      const dh = hi - x;
      if (dl !== dh) return dl < dh ? lo : hi;
      return BigInt(lo) % 2n === 0n ? lo : hi;
    };
    const xs: number[] = [];
    for (let k = -40; k <= 40; k++) for (const f of [0, 0.25, 0.5, 0.75, 0.5 - 2 ** -20, 0.5 + 2 ** -20, 2 ** -30, 1 - 2 ** -30]) xs.push(k + f);
    xs.push(2 ** 52 + 1, -(2 ** 52) - 1, 4503599627370495.5, -4503599627370495.5);
    expect(xs.filter((x) => !Object.is(rint(x) + 0, nearest(x) + 0)).map((x) => `${x}: ${rint(x)} vs ${nearest(x)}`)).toEqual([]);
    // The sign of a zero is not asked for: a zero point is added to it next.
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -3.5].map((x) => rint(x) + 0)).toEqual([0, 2, 2, 0, -2, -2, 4, -4]);
  });
});
