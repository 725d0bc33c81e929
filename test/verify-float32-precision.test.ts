import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../dist/cli.js';
import { FIXTURES, withCC } from './helpers.js';

// --verify of a float32 text reports how far float32 moves the outputs from the float64 text. With
// --precision N both texts print the same rounded weights, so that figure is float32's alone, and the
// rounding's cost is the report's rounding line (it was the sum of both).
describe('--dtype float32 --verify with --precision', () => {
  for (const format of ['js', 'c'] as const) {
    // The C text runs through gcc: skipped with a visible reason without it, failed under CI.
    (format === 'c' ? withCC : it)(`${format}: the float32 shift is float32's, not the rounding's cost`, async () => {
      let err = '';
      const code = await main([join(FIXTURES, 'conv2d_same_strided', 'model.json'), '-f', format, '--dtype', 'float32', '--precision', '3', '--verify', '--report', 'json'], { stdout: () => {}, stderr: (t) => (err += t), stdinIsTTY: true });
      const r = JSON.parse(err) as { float32: { maxAbs: number }; rounding: { maxAbs: number } };
      expect(code).toBe(1); // 3 digits move the outputs past the tolerance
      expect(r.rounding.maxAbs).toBeGreaterThan(1e-4);
      expect(r.float32.maxAbs).toBeLessThan(r.rounding.maxAbs / 100);
    });
  }
});
