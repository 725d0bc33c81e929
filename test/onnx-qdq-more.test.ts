import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaleParts } from '../src/extract/onnx/quantize.js';
import { convertFile } from '../src/index.js';
import { FIXTURES, runJs } from './helpers.js';

// Paths of src/extract/onnx/quantize.ts that fixtures/onnx-qdq leaves to no test (found by `npm run
// mutate -- quantize`): a QLinearConv without its optional bias, and the int32 type of an integer
// product that later ops compute with. fixtures/onnx-qdq-more (scripts/onnx-qdq-more-fixtures.py) in the
// JS tensor form, in-process, against ONNX's reference semantics and ONNX Runtime's outputs, both
// stored in reference.json by the script.
const ROOT = join(FIXTURES, 'onnx-qdq-more');

describe('quantized ONNX fixtures, JS tensor form, against the reference and ONNX Runtime', () => {
  for (const name of ['qlinear_conv_no_bias', 'matmul_integer_add']) {
    it(name, async () => {
      const { cases } = JSON.parse(readFileSync(join(ROOT, name, 'cases.json'), 'utf8')) as { cases: unknown[][] };
      const { reference, ort } = JSON.parse(readFileSync(join(ROOT, name, 'reference.json'), 'utf8')) as { reference: number[][][]; ort: number[][][] };
      const { text } = await convertFile(join(ROOT, name, 'model.onnx'), { format: 'js', form: 'tensor' });
      const got = await runJs(text, cases);
      expect(got).toEqual(reference.map((outs) => outs.flat()));
      expect(got).toEqual(ort.map((outs) => outs.flat()));
    });
  }
});

describe('scaleParts', () => {
  it('refuses a float64 that is no float32, even when it is a whole number over a power of two', () => {
    // 1 + 2^-30 is 2^30 + 1 over 2^30, but has 31 significant bits: no float32 scale is that.
    expect([scaleParts(1 + 2 ** -30), scaleParts(3 + 2 ** -40)]).toEqual([null, null]);
    expect(scaleParts(1 + 2 ** -23)).toEqual([2 ** 23, 2 ** 23 + 1]);
  });
});
