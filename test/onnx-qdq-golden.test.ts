import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { FIXTURES } from './helpers.js';

// The LaTeX tensor form of quantized ONNX fixtures, byte for byte (test/golden/onnx-qdq/): the names
// quantize.ts gives the scale's two whole numbers (s over a), the zero points and the steps, the
// header that says which form was printed, and where each per-axis parameter broadcasts. Their
// numbers are checked in test/onnx-qdq.test.ts and test/onnx-qdq-js.test.ts.
const ROOT = join(FIXTURES, 'onnx-qdq');
const NAMES = ['qdq_per_axis_int8', 'qdq_per_tensor_uint8', 'qlinear_matmul_int8', 'qlinear_matmul_uint8', 'matmul_integer', 'conv_integer', 'torch_fakequant_per_channel'];

describe('quantized ONNX fixtures in LaTeX, golden', () => {
  for (const name of NAMES) {
    it(name, async () => {
      const { text } = await convertFile(join(ROOT, name, 'model.onnx'), { format: 'latex', form: 'tensor' });
      await expect(text).toMatchFileSnapshot(`golden/onnx-qdq/${name}.tex`);
    });
  }
});
