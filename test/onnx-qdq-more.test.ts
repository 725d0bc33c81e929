import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOnnxProgram } from '../src/extract/onnx/index.js';
import { scaleParts } from '../src/extract/onnx/quantize.js';
import { convertFile } from '../src/index.js';
import { loadOnnx } from '../src/load/index.js';
import type { Equation } from '../src/tensor/program.js';
import { FIXTURES, runJs } from './helpers.js';

// Paths of src/extract/onnx/quantize.ts that fixtures/onnx-qdq leaves to no test (found by `npm run
// mutate -- quantize`): a QLinearConv without its optional bias, the int32 type of an integer product
// that later ops compute with, and the names quantize.ts gives its steps. fixtures/onnx-qdq-more (scripts/onnx-qdq-more-fixtures.py) in the
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

describe('the names of the quantization steps', () => {
  // Printers name a tensor by its role (src/tensor/names.ts): '_' is a step printed inside the next
  // (or named t1, t2, …), q a quantized value, r a dequantized one, d an integer input minus its zero
  // point; a scale is s over a power of two a, a zero point z. Each step as function:role(arguments),
  // constants c:role, as quantize.ts's doc comments define them.
  async function steps(file: string): Promise<string[]> {
    const p = buildOnnxProgram(await loadOnnx(join(FIXTURES, file, 'model.onnx')));
    const arg = (id: number) => (p.tensors[id].kind === 'const' ? `c:${p.tensors[id].role}` : p.tensors[id].role);
    const QUANT = new Set(['scale_ratio', 'round_float32', 'round_even', 'saturate', 'dequantize', 'sub']);
    return p.equations
      .filter((e: Equation) => e.op === 'map' && QUANT.has((e.attrs as { fn: string }).fn))
      .map((e: Equation) => `${(e.attrs as { fn: string }).fn}:${p.tensors[e.outs[0]].role}(${e.args.map(arg).join(' ')})`);
  }
  const quantize = ['scale_ratio:_(x c:a c:s)', 'round_float32:_(_)', 'round_even:_(_)', 'saturate:q(_ c:z)'];
  const dequantize = ['dequantize:_(q c:z c:a c:s)', 'round_float32:r(_)'];

  it('QuantizeLinear then DequantizeLinear of a computed value', async () => {
    expect(await steps('onnx-qdq/qdq_per_axis_int8')).toEqual([...quantize, ...dequantize]);
  });
  it('QLinearMatMul: x minus its zero point, the integer product, requantized', async () => {
    expect(await steps('onnx-qdq/qlinear_matmul_uint8')).toEqual(['sub:d(x c:z)', 'scale_ratio:_(h c:s c:a)', 'round_even:_(_)', 'saturate:q(_ c:z)']);
  });
});
