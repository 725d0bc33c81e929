import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOnnxProgram } from '../src/extract/onnx/index.js';
import { convertFile, verify } from '../src/index.js';
import { loadOnnx } from '../src/load/index.js';
import { findAttention } from '../src/tensor/attention.js';
import { evaluateLatex, nameKey } from './latex-eval.js';
import { FIXTURES, flat, mismatch, readReference } from './helpers.js';

// The scalar form of a tiny attention model (issue 27: 4 tokens, d = 8): nn.MultiheadAttention with
// 2 heads and a causal mask (fixtures/onnx/mha_tiny_opset17, PyTorch's predictions in
// reference.json). Its scalar LaTeX is evaluated from KaTeX's parse tree against PyTorch; the scalar
// JS is verified against ONNX Runtime. (test/onnx-convert.test.ts runs its scalar IR, JS and NumPy.)

const DIR = join(FIXTURES, 'onnx', 'mha_tiny_opset17');
const FILE = join(DIR, 'model.onnx');

describe('a tiny attention model (4 tokens, d = 8) in the scalar form', () => {
  it('is one attention with a causal mask, d_k = 4', async () => {
    const found = findAttention(buildOnnxProgram(await loadOnnx(FILE)));
    expect(found.map((m) => [m.dk, m.masks.length])).toEqual([[4, 1]]);
  });
  it("LaTeX: every output from KaTeX's parse tree matches PyTorch", async () => {
    const ref = readReference(DIR);
    const { text, form } = await convertFile(FILE, { format: 'latex', form: 'auto' });
    expect(form).toBe('scalar');
    const xs = Array.from({ length: 32 }, (_, i) => nameKey(`x_{${i + 1}}`));
    const ys = Array.from({ length: 32 }, (_, i) => nameKey(`y_{${i + 1}}`));
    for (const [i, c] of ref.cases.entries()) {
      const values = evaluateLatex(text, new Map(flat(c.inputs).map((v, k) => [xs[k], v])));
      expect(mismatch(ys.map((y) => values.get(y) ?? NaN), flat(c.outputs), 1e-5, 1e-4), `case ${i}`).toBeNull();
    }
  }, 60_000);
  it('JS: --verify --form scalar passes against ONNX Runtime', async () => {
    const c = await convertFile(FILE, { format: 'js', form: 'scalar' });
    const report = await verify(c.model, c.text, { format: 'js', program: c.program, form: c.form, samples: 8 });
    const said = JSON.stringify(report.routes.map((r) => [r.route, r.status, r.reason ?? '']));
    expect(report.ok, said).toBe(true);
    expect(report.routes.every((r) => r.status === 'ok'), said).toBe(true);
  }, 60_000);
});
