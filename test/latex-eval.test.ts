import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { evaluateLatex, nameKey } from './latex-eval.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference } from './helpers.js';

/** Evaluates the scalar LaTeX of `text` on flattened inputs; returns y_1…y_n. */
export function runLatex(text: string, cases: unknown[][], outputs: number): number[][] {
  const xs = Array.from({ length: flat(cases[0]).length }, (_, i) => nameKey(`x_{${i + 1}}`));
  const ys = Array.from({ length: outputs }, (_, i) => nameKey(`y_{${i + 1}}`));
  return cases.map((c) => {
    const values = evaluateLatex(text, new Map(flat(c).map((v, i) => [xs[i], v])));
    return ys.map((y) => values.get(y) ?? NaN);
  });
}

// The LaTeX a reader sees, evaluated from KaTeX's parse tree, against TF.js's predictions.
describe('latex evaluated from its KaTeX parse tree matches reference.json', () => {
  for (const name of fixtureNames()) {
    it(name, async () => {
      const dir = join(FIXTURES, name);
      const ref = readReference(dir);
      const { text } = await convertFile(join(dir, 'model.json'), { format: 'latex', ...FIXTURE_OPTIONS[name] });
      const want = ref.cases.map((c) => flat(c.outputs));
      const got = runLatex(text, ref.cases.map((c) => c.inputs), want[0].length);
      got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `case ${i}`).toBeNull());
    });
  }

  // --inline breaks lines inside \bigl( … \bigr): the rows joined still compute the model.
  for (const name of ['medium_1_3_2_1', 'mathematica_3_2_2_2', 'act_hard_sigmoid', 'act_gelu', 'layer_layernorm', 'shape_embedding', 'pool_global', 'conv1d_same_strided']) {
    it(`${name} --inline`, async () => {
      const dir = join(FIXTURES, name);
      const ref = readReference(dir);
      const { text } = await convertFile(join(dir, 'model.json'), { format: 'latex', inline: true, ...FIXTURE_OPTIONS[name] });
      const want = ref.cases.map((c) => flat(c.outputs));
      const got = runLatex(text, ref.cases.map((c) => c.inputs), want[0].length);
      got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `case ${i}`).toBeNull());
    });
  }

  it('fails when \\tanh is printed for \\sigma', async () => {
    const dir = join(FIXTURES, 'mathematica_3_2_2_2');
    const ref = readReference(dir);
    const { text } = await convertFile(join(dir, 'model.json'), { format: 'latex' });
    const wrong = text.replace(/\\sigma\\left\(/g, '\\tanh\\left(');
    expect(wrong).not.toBe(text);
    const want = ref.cases.map((c) => flat(c.outputs));
    const got = runLatex(wrong, ref.cases.map((c) => c.inputs), want[0].length);
    expect(got.some((g, i) => mismatch(g, want[i], 1e-5, 1e-4) !== null)).toBe(true);
  });
});
