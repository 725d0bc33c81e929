import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { withPython } from './check.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference, runNumpy } from './helpers.js';

// The tensor form in NumPy: every fixture's predictions against TF.js's, and its text byte for byte.
describe('numpy tensor form', () => {
  for (const name of fixtureNames()) {
    const dir = join(FIXTURES, name);
    withPython(`${name}: predict() matches TF.js`, async () => {
      const { text, form } = await convertFile(join(dir, 'model.json'), { format: 'numpy', form: 'tensor' });
      expect(form).toBe('tensor');
      const ref = readReference(dir);
      const got = await runNumpy(text, ref.cases.map((c) => c.inputs));
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
    });
    it(`${name}: golden`, async () => {
      const { text } = await convertFile(join(dir, 'model.json'), { format: 'numpy', form: 'tensor', ...FIXTURE_OPTIONS[name] });
      await expect(text).toMatchFileSnapshot(`golden/tensor/${name}.py`);
    });
  }
});
