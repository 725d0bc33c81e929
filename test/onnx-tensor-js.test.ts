import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { FIXTURES, flat, mismatch, readReference, runJs } from './helpers.js';

// The JS tensor form of every ONNX fixture against PyTorch's predictions (the If fixtures, whose
// branch depends on the input, are refused on purpose and checked in onnx-convert.test.ts).
const ROOT = join(FIXTURES, 'onnx');
describe('ONNX fixtures in the JS tensor form', () => {
  for (const name of readdirSync(ROOT).sort()) {
    const dir = join(ROOT, name);
    if (name.startsWith('control_flow') || !existsSync(join(dir, 'reference.json')) || !existsSync(join(dir, 'model.onnx'))) continue;
    it(name, async () => {
      const ref = readReference(dir);
      const { text, form } = await convertFile(join(dir, 'model.onnx'), { format: 'js', form: 'tensor' });
      expect(form).toBe('tensor');
      const got = await runJs(text, ref.cases.map((c) => c.inputs));
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
    });
  }
});
