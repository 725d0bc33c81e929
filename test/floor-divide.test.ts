import { describe, expect } from 'vitest';
import { floorDivide } from '../src/extract/onnx/mel.js';
import { withPython } from './check.js';
import { python } from './helpers.js';
import { runScript } from './pyserver.js';

// MelWeightMatrix's constant path floor-divides its bins as ONNX's reference does with numpy's //
// (src/extract/onnx/mel.ts floorDivide), checked against python3's own // (CPython's float // is
// numpy's npy_divmod) on quotients within rounding of a whole number, where floor(a / b) differs.
describe("floorDivide is numpy's // on floats", () => {
  withPython('on 20,000 quotients next to whole numbers, positive and negative', async () => {
    let s = 7;
    const rnd = () => (s = (s * 48271) % 2147483647) / 2147483647;
    const pairs = Array.from({ length: 20_000 }, (_, i) => {
      const b = [8000, 16000, 22050, 0.1, 3, -0.7][i % 6];
      // + 0: JSON writes -0 as 0, so python would read another number.
      return [Math.floor(rnd() * 2000 - 500) * b * (1 + (rnd() - 0.5) * 4e-16) + 0, b];
    });
    const r = await runScript(python.exe, { code: 'import json, sys\nprint(json.dumps([a // b for a, b in json.load(sys.stdin)]))' }, [], JSON.stringify(pairs));
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout) as number[];
    const naive = pairs.filter(([a, b], i) => Math.floor(a / b) !== want[i]).length;
    expect(naive, 'the cases must include ones where floor(a / b) is not //').toBeGreaterThan(0);
    const got = pairs.map(([a, b]) => floorDivide(a, b));
    // Object.is: -0 and 0 apart, as numpy gives the quotient's sign to a zero.
    expect(pairs.filter((_, i) => !Object.is(got[i], want[i])).slice(0, 3)).toEqual([]);
  });
});
