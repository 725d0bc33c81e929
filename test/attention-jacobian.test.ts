import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, readReference, runCRows, runJs, runNumpy, runWolframTensor, withCC, type WolframAnswer } from './helpers.js';

// --jacobian through attention in the tensor form, against PyTorch's own derivative: jacobian.json
// (scripts/onnx-fixtures.py --jacobians) holds torch.autograd's Jacobian of the module in float64 at
// the reference's first case, for Swin (its three window attentions, the shifted one masked), the
// ViT, the nanoGPT block (causal mask, tanh GELU) and MultiheadAttention with masks returning its
// weights. The NumPy, JS, C and Wolfram Jacobian texts run in their runtimes at that point.

const ROOT = join(FIXTURES, 'onnx');
const names = ['swin_opset13', 'swin_opset17', 'vit_opset13', 'vit_opset17', 'gpt_block_opset17', 'mha_masked_opset17'];

function expected(name: string): { inputs: unknown[]; jacobian: number[] } {
  const j = JSON.parse(readFileSync(join(ROOT, name, 'jacobian.json'), 'utf8')) as { shape: number[]; jacobian: number[][] };
  const want = j.jacobian.flat();
  expect(want.length).toBe(j.shape[0] * j.shape[1]);
  // A Jacobian of zeros would check nothing (torchvision's ViT head starts at zero; the fixture randomizes it).
  expect(want.filter((v) => v !== 0).length).toBeGreaterThan(want.length / 2);
  return { inputs: readReference(join(ROOT, name)).cases[0].inputs, jacobian: want };
}

describe('--jacobian --form tensor through attention, against torch.autograd', () => {
  it('has every jacobian.json', () => expect(names.filter((n) => existsSync(join(ROOT, n, 'jacobian.json')))).toEqual(names));
  for (const name of names) {
    const file = join(ROOT, name, 'model.onnx');
    withPython(`${name}: NumPy`, async () => {
      const { inputs, jacobian } = expected(name);
      const { text, form } = await convertFile(file, { format: 'numpy', form: 'tensor', transforms: { jacobian: true } });
      expect(form).toBe('tensor');
      const [got] = await runNumpy(text, [inputs]);
      expect(mismatch(flat(got), jacobian, 1e-6, 1e-4)).toBeNull();
    });
    // JS and C: Swin's forward-mode text carries 192 tangent rows through every tensor, which took
    // 12–26 s per text on this machine; its NumPy and Wolfram texts are checked, the JS and C on the others.
    if (name.startsWith('swin')) continue;
    it(`${name}: JS`, async () => {
      const { inputs, jacobian } = expected(name);
      const { text } = await convertFile(file, { format: 'js', form: 'tensor', transforms: { jacobian: true } });
      const [got] = await runJs(text, [inputs]);
      expect(mismatch(flat(got), jacobian, 1e-6, 1e-4)).toBeNull();
    }, 60_000);
    withCC(`${name}: C`, async () => {
      const { inputs, jacobian } = expected(name);
      const { text } = await convertFile(file, { format: 'c', form: 'tensor', transforms: { jacobian: true } });
      const [got] = await runCRows(text, [flat(inputs)], jacobian.length);
      expect(mismatch(got, jacobian, 1e-6, 1e-4)).toBeNull();
    }, 120_000);
  }
});

describe("--jacobian --form tensor through attention: the Wolfram texts (nn2eq's Wolfram interpreter), against torch.autograd", () => {
  const answers = new Map<string, WolframAnswer>();
  beforeAll(async () => {
    const jobs = await Promise.all(names.map(async (name) => ({ text: (await convertFile(join(ROOT, name, 'model.onnx'), { format: 'mathematica', form: 'tensor', transforms: { jacobian: true } })).text, cases: [readReference(join(ROOT, name)).cases[0].inputs] })));
    (await runWolframTensor(jobs)).forEach((a, k) => answers.set(names[k], a));
  }, 300_000);
  for (const name of names) {
    withPython(name, () => {
      const a = answers.get(name)!;
      if (!Array.isArray(a)) throw new Error(a.error);
      expect(mismatch(a[0].map((v) => (v === null ? NaN : v)), expected(name).jacobian, 1e-6, 1e-4)).toBeNull();
    });
  }
});
