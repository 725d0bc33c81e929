import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, EMITTERS, Graph, schedule } from '../src/index.js';
import { texWidth, PAGE_WIDTH_PT } from '../src/emit/latex/scalar.js';
import { evaluateLatex, nameKey } from './latex-eval.js';
import { FIXTURES } from './helpers.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** A one-step GRU-like cell written by hand, with hints on its gates as the lowering will set them. */
function gruCell() {
  const g = new Graph();
  const [x1, x2] = [g.input(0), g.input(1)];
  const z = g.fn('sigmoid', g.affine([x1, x2], [0.5, -1], 0.25));
  const hh = g.fn('tanh', g.affine([x1, x2], [2, 0.75], -0.5));
  const back = g.fn('sigmoid', g.affine([x1], [3], 1));
  g.hints.set(z, { symbol: 'z', layer: 1, index: 1, step: 1 });
  g.hints.set(hh, { symbol: 'hh', layer: 1, index: 1, step: 1 });
  g.hints.set(back, { symbol: 'r', layer: 2, index: 3, backward: true });
  // h = (1 - z)·hh, labelled as the layer's state; y = h + r
  const h = g.affine([g.mul(z, hh), hh], [-1, 1]);
  g.label(h, 1, 1, { symbol: 'h', step: 1 });
  const y = g.affine([h, back], [1, 1]);
  const port = (size: number, offset = 0) => ({ shape: [size], size, offset }) as never;
  return { program: schedule(g, [port(2)], [port(1)], [y], false), want: (a: number, b: number) => (1 - sigmoid(0.5 * a - b + 0.25)) * Math.tanh(2 * a + 0.75 * b - 0.5) + sigmoid(3 * a + 1) };
}

describe('LaTeX names', () => {
  it('binds and names hinted values (gates, candidate state, backward direction) and explains them', () => {
    const { program, want } = gruCell();
    const text = EMITTERS.latex.emit(program, { inline: false, maxSize: 1e9, modelName: 'm' });
    expect(text).toContain('z^{(1)}_{t=1,1} &= \\sigma\\left(');
    expect(text).toContain('\\tilde{h}^{(1)}_{t=1,1} &= \\tanh\\left(');
    expect(text).toContain('\\overleftarrow{r}^{(2)}_{3} &= \\sigma\\left(');
    expect(text).toContain('h^{(1)}_{t=1,1} &= ');
    expect(text).toMatch(/z\^\{\(k\)\}_\{t=s,j\} \\text\{ is the update gate \}/);
    expect(text).toMatch(/\\tilde\{h\}\^\{\(k\)\}_\{t=s,j\} \\text\{ is the candidate state \}/);
    expect(text).not.toContain('t_{');
    // The hinted form still computes the cell: evaluated from KaTeX's parse tree.
    const [a, b] = [0.3, -1.2];
    const v = evaluateLatex(text, new Map([[nameKey('x_{1}'), a], [nameKey('x_{2}'), b]]));
    expect(v.get(nameKey('y_{1}'))).toBeCloseTo(want(a, b), 12);
  });

  it('code formats ignore hints', () => {
    const { program } = gruCell();
    const js = EMITTERS.js.emit(program, { inline: false, maxSize: 1e9, modelName: 'm' });
    expect(js).not.toMatch(/const (z|hh|r)\d/);
  });

  it('puts a thin space between a coefficient and a word, and \\mathrm{} around --inputs words', async () => {
    const { text } = await convertFile(join(FIXTURES, 'functional_chain', 'model.json'), { format: 'latex', inputNames: ['alpha', 'b', 'c', 'd'] });
    expect(text).toContain('0.27854118\\,\\mathrm{alpha}');
    expect(text).toContain('0.5218646 b');
  });

  it('names every layer, even a layer whose values are used once', async () => {
    const { text } = await convertFile(join(FIXTURES, 'deep40', 'model.json'), { format: 'latex' });
    for (let k = 1; k < 40; k++) expect(text, `layer ${k}`).toContain(`h^{(${k})}_{1} &=`);
  });
});

describe('LaTeX line breaking', () => {
  const rows = (text: string) => text.split('\n').filter((l) => l.includes('&') && !l.includes('\\text'));
  const terms = (line: string) => (line.match(/ [a-z]_\{|h\^\{/g) ?? []).length;

  it('puts at most --terms-per-line terms on a line and continues with &\\quad', async () => {
    for (const n of [1, 2, 4]) {
      const { text } = await convertFile(join(FIXTURES, 'medium_1_3_2_1', 'model.json'), { format: 'latex', termsPerLine: n });
      for (const line of rows(text)) expect(terms(line.replace(/^[^&]*&=?/, '')), line).toBeLessThanOrEqual(n);
      if (n === 1) expect(text).toMatch(/\\\\\n&\\quad [+-] /);
    }
  });

  it('keeps every line of a wide model within the page by its width estimate', async () => {
    const { text } = await convertFile(join(FIXTURES, 'rnn_lstm_10_steps', 'model.json'), { format: 'latex' });
    for (const line of rows(text)) expect(texWidth(line.replace(/\\\\$/, '')), line).toBeLessThanOrEqual(PAGE_WIDTH_PT);
  });
});
