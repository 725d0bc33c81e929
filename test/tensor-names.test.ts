/**
 * --inputs / --outputs in the tensor form (issue 23, item 1): the README's paper case runs with the
 * default --form auto, the LaTeX where block defines the vectors by their named elements, every code
 * format names each element in its header, and a multi-input model gets its names per input.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../src/cli.js';
import { FORMATS } from '../src/emit/index.js';
import { FIXTURES, SHARED } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

const MPG = join(SHARED, 'community', 'auto_mpg_normalization_dnn_keras3', 'dnn_model.keras');
const FEATURES = ['cylinders', 'displacement', 'horsepower', 'weight', 'acceleration', 'modelyear', 'europe', 'japan', 'usa'];
const PAPER = [MPG, '--precision', '3', '--inputs', FEATURES.join(','), '--outputs', 'mpg'];

describe('named inputs and outputs in the tensor form', () => {
  it('the paper case: --form auto chooses the tensor form, says why, and defines x and y by their names', async () => {
    const r = await run([...PAPER, '-f', 'latex']);
    expect(r.err).toBe('');
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/^% --form auto chose the tensor form: the scalar form passes 32\.0 kB/m);
    expect(r.out).toContain('\\mathbf{x} \\in \\mathbb{R}^{9}');
    const where = r.out.slice(r.out.indexOf('\\text{where '));
    // Every name once, in order, in the definition of x (which may span rows), then y.
    const x = where.slice(where.indexOf('\\mathbf{x} = ('), where.indexOf(')^{\\top}'));
    expect([...x.matchAll(/\\mathrm\{(\w+)\}/g)].map((m) => m[1])).toEqual(FEATURES);
    expect(where).toContain('\\mathbf{y} = (\\mathrm{mpg})^{\\top}');
  });

  it('--form scalar says nothing about auto; --form tensor names as auto does', async () => {
    const scalar = await run([...PAPER, '-f', 'latex', '--form', 'scalar']);
    expect(scalar.code).toBe(EXIT.ok);
    expect(scalar.out).not.toContain('--form auto');
    const tensor = await run([...PAPER, '-f', 'latex', '--form', 'tensor']);
    expect(tensor.code).toBe(EXIT.ok);
    expect(tensor.out).not.toContain('--form auto');
    expect(tensor.out).toContain('\\mathbf{y} = (\\mathrm{mpg})^{\\top}');
  });

  const spelled: Record<string, (k: number) => string> = {
    numpy: (k) => `input1[..., ${k}]`,
    sympy: (k) => `input1[..., ${k}]`,
    js: (k) => `input1[${k}]`,
    c: (k) => `x[${k}]`,
    julia: (k) => `input1[${k + 1}]`,
    mathematica: (k) => `input1[[${k + 1}]]`,
    mathjs: (k) => `input1[${k + 1}]`,
  };
  for (const [format, spell] of Object.entries(spelled)) {
    it(`${format}: the header names each feature of predict's input and output`, async () => {
      const r = await run([...PAPER, '-f', format, '--form', 'tensor']);
      expect(r.err).toBe('');
      expect(r.code).toBe(EXIT.ok);
      const head = r.out.slice(0, 3000);
      FEATURES.forEach((f, k) => expect(head).toContain(`${spell(k)} ${f}`));
      expect(head).toMatch(/--outputs names each element of the outputs.*\n.*\bmpg\b/);
    });
  }

  it('json: the ports list their names', async () => {
    const r = await run([...PAPER, '-f', 'json', '--form', 'tensor']);
    expect(r.code).toBe(EXIT.ok);
    const j = JSON.parse(r.out) as { inputs: { symbols?: string[] }[]; outputs: { symbols?: string[] }[] };
    expect(j.inputs[0].symbols).toEqual(FEATURES);
    expect(j.outputs[0].symbols).toEqual(['mpg']);
  });

  it('every format with a tensor form takes the names', async () => {
    for (const format of FORMATS) {
      const r = await run([...PAPER, '-f', format, '--form', 'tensor']);
      expect(r.code, `${format}: ${r.err}`).toBe(EXIT.ok);
    }
  });

  it('a model of two inputs gets its names per input', async () => {
    // merge_subtract: inputs a [3] and b [2], output [3].
    const path = join(FIXTURES, 'merge_subtract', 'model.json');
    const args = [path, '--form', 'tensor', '--inputs', 'a1,a2,a3,b1,b2', '--outputs', 'd1,d2,d3'];
    const tex = await run([...args, '-f', 'latex']);
    expect(tex.code).toBe(EXIT.ok);
    expect(tex.out).toContain('\\mathbf{x}_{1} = (\\mathrm{a1}, \\mathrm{a2}, \\mathrm{a3})^{\\top}');
    expect(tex.out).toContain('\\mathbf{x}_{2} = (\\mathrm{b1}, \\mathrm{b2})^{\\top}');
    expect(tex.out).toContain('\\mathbf{y} = (\\mathrm{d1}, \\mathrm{d2}, \\mathrm{d3})^{\\top}');
    const py = await run([...args, '-f', 'numpy']);
    expect(py.out).toContain('input1[..., 0] a1, input1[..., 1] a2, input1[..., 2] a3');
    expect(py.out).toContain('input2[..., 0] b1, input2[..., 1] b2');
    const c = await run([...args, '-f', 'c']);
    expect(c.out).toContain('x[3] b1, x[4] b2');
  });

  it('a wrong count is refused in one line, as in the scalar form', async () => {
    const r = await run([MPG, '--form', 'tensor', '--inputs', 'a,b', '-f', 'latex']);
    expect(r.code).toBe(EXIT.input);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^nn2eq: --inputs gives 2 names, but the model has 9 scalar inputs; hint: give exactly 9 comma-separated names\n$/);
  });

  it('an input whose time axis has any length cannot name its elements', async () => {
    const r = await run([join(FIXTURES, 'rnn_timesteps_none', 'model.json'), '--form', 'tensor', '--inputs', 'a,b', '-f', 'numpy']);
    expect(r.code).toBe(EXIT.input);
    expect(r.err).toMatch(/time axis of any length; hint: fix the length with --timesteps T\n$/);
  });
});
