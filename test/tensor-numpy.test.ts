import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { withPython } from './check.js';
import { loadTf, loadTfjsModel } from '../src/verify/oracle.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference, runNumpy, SHARED } from './helpers.js';

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

describe('numpy tensor form of MobileNetV2 (nsfwjs, 224x224, uint8-quantized weights)', () => {
  const model = join(SHARED, 'nsfwjs', 'mobilenet_v2_quant_uint8', 'model.json');
  withPython('predicts what TF.js predicts on two random images', async () => {
    const { text, form } = await convertFile(model, { format: 'numpy', form: 'tensor' });
    expect(form).toBe('tensor');
    const tf = await loadTf();
    const net = await loadTfjsModel(tf, model);
    const x = tf.randomUniform([2, 224, 224, 3], 0, 1, 'float32', 7);
    const want = (await (net.predict(x) as { array(): Promise<number[][]> }).array()) as number[][];
    const images = (await x.array()) as number[][][][];
    const got = await runNumpy(text, images.map((im) => [im]));
    got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `image ${i}`).toBeNull());
  }, 180_000);
});
