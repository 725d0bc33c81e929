import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, readReference, runCRows, runJs, runNumpy, withCC, type Reference } from './helpers.js';

// The attention fixtures (scripts/onnx-fixtures.py: nn.MultiheadAttention, Transformer encoder
// and decoder layers, a nanoGPT block, einsum attention, an embedding classifier, a small ViT) in
// the NumPy, JS and C tensor forms, each run in its runtime against PyTorch's predictions
// (reference.json). ONNX Runtime reproduces the same predictions in onnx-oracle.test.ts.

const ROOT = join(FIXTURES, 'onnx');
const ATTENTION = /^(mha|mha_masked|mha_cross|encoder_post_relu|encoder_pre_gelu|decoder_post_relu|decoder_pre_gelu|gpt_block|einsum_attention|encoder_classifier|vit)_opset\d+$/;
const names = readdirSync(ROOT).filter((n) => ATTENTION.test(n) && existsSync(join(ROOT, n, 'model.onnx'))).sort();

function check(got: number[][], ref: Reference): void {
  expect(got.length).toBe(ref.cases.length);
  got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
}

describe('attention fixtures in the tensor forms', () => {
  it('has every fixture at two opsets', () => {
    expect(names.length).toBe(22);
  });
  for (const name of names) {
    const dir = join(ROOT, name);
    const file = join(dir, 'model.onnx');
    withPython(`${name}: NumPy`, async () => {
      const ref = readReference(dir);
      const { text, form } = await convertFile(file, { format: 'numpy', form: 'tensor' });
      expect(form).toBe('tensor');
      check(await runNumpy(text, ref.cases.map((c) => c.inputs)), ref);
    });
    it(`${name}: JS`, async () => {
      const ref = readReference(dir);
      const { text } = await convertFile(file, { format: 'js', form: 'tensor' });
      check(await runJs(text, ref.cases.map((c) => c.inputs)), ref);
    });
    withCC(`${name}: C`, async () => {
      const ref = readReference(dir);
      const { text } = await convertFile(file, { format: 'c', form: 'tensor' });
      check(await runCRows(text, ref.cases.map((c) => flat(c.inputs)), flat(ref.cases[0].outputs).length), ref);
    }, 60_000);
  }
});
