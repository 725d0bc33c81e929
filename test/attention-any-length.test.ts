import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, Nn2eqError } from '../src/index.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, readReference, ROOT, runJs, runNumpy, runWolframTensor, tmpDir } from './helpers.js';

// Attention over a sequence of any length: Keras's MultiHeadAttention on an input [None, None, 6]
// (fixtures/keras-any-length/mha_any_length, written by scripts/keras-attention-fixtures.mjs), whose
// reference.json holds PyTorch's nn.MultiheadAttention outputs on the same weights at lengths 2, 5
// and 7. --form auto picks the tensor form; NumPy and Wolfram run one text at every length; the
// formats that need the length fixed say so in one typed line, and --timesteps T fixes it. So does
// AdditiveAttention on a query and a value of any lengths (fixtures/keras-any-length/additive_any_length).

const DIR = join(FIXTURES, 'keras-any-length', 'mha_any_length');
const ARCH = join(DIR, 'arch.json');
const WEIGHTS = join(DIR, 'weights.h5');
const ref = readReference(DIR);
const lengths = ref.cases.map((c) => (c.inputs[0] as unknown[]).length);

describe('MultiHeadAttention over a sequence of any length', () => {
  it('the reference holds three lengths', () => expect(lengths).toEqual([2, 5, 7]));
  withPython('NumPy (--form auto): one text, every length, against PyTorch', async () => {
    const { text, form } = await convertFile(ARCH, { format: 'numpy', form: 'auto', weights: WEIGHTS });
    expect(form).toBe('tensor');
    expect(text).toContain('T is any sequence length');
    for (const c of ref.cases) {
      const [got] = await runNumpy(text, [c.inputs]);
      expect(mismatch(got, flat(c.outputs), 1e-5, 1e-4), `length ${(c.inputs[0] as unknown[]).length}`).toBeNull();
    }
  });
  withPython("Wolfram (--form auto, nn2eq's Wolfram interpreter): one text, every length, against PyTorch", async () => {
    const { text, form } = await convertFile(ARCH, { format: 'mathematica', form: 'auto', weights: WEIGHTS });
    expect(form).toBe('tensor');
    const answers = await runWolframTensor(ref.cases.map((c) => ({ text, cases: [c.inputs] })));
    answers.forEach((a, i) => {
      if (!Array.isArray(a)) throw new Error(a.error);
      expect(mismatch(a[0].map((v) => (v === null ? NaN : v)), flat(ref.cases[i].outputs), 1e-5, 1e-4), `length ${lengths[i]}`).toBeNull();
    });
  }, 60_000);
  it('LaTeX (--form auto): the length is T in the reshapes and the shapes of Q, Kᵀ and V; KaTeX accepts it', async () => {
    const { text } = await convertFile(ARCH, { format: 'latex', form: 'auto', weights: WEIGHTS });
    expect(text).toContain('\\operatorname{reshape}_{(T, 2, 3)}');
    expect(text).toContain('Q, V \\in \\mathbb{R}^{2\\times T\\times 3}\\text{, } K^{\\top} \\in \\mathbb{R}^{2\\times 3\\times T}');
    expect(text).not.toMatch(/-1|\\times -/);
    expect(await checkLatex(text)).toEqual({ valid: true });
  });
  for (const [format, why] of [
    ['js', /the JS tensor form loops over such an axis only where layers keep it whole/],
    ['c', /the C tensor form sizes its static buffers at conversion time/],
    ['mathjs', /mathjs has no loops/],
  ] as const) {
    it(`${format}: refused in one typed line that asks for --timesteps T`, async () => {
      const err = await convertFile(ARCH, { format, form: 'auto', weights: WEIGHTS }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Nn2eqError);
      const e = err as Nn2eqError;
      expect(e.message).toMatch(why);
      expect(e.message).not.toContain('\n');
      expect(e.hint).toMatch(/--timesteps T/);
    });
  }
  it('JS with --timesteps 5: the fixed length runs and matches PyTorch at length 5', async () => {
    const c = ref.cases[lengths.indexOf(5)];
    const { text } = await convertFile(ARCH, { format: 'js', form: 'tensor', weights: WEIGHTS, timesteps: 5 });
    const [got] = await runJs(text, [c.inputs]);
    expect(mismatch(got, flat(c.outputs), 1e-5, 1e-4)).toBeNull();
  });
  withPython('AdditiveAttention (--form auto): one NumPy text at three pairs of query and value lengths, against PyTorch', async () => {
    // Its scores [T_q, T_v] come from a reshape with two axes of any length, which NumPy reads from the array's shape.
    const dir = join(FIXTURES, 'keras-any-length', 'additive_any_length');
    const r = readReference(dir);
    const { text, form } = await convertFile(join(dir, 'arch.json'), { format: 'numpy', form: 'auto', weights: join(dir, 'weights.h5') });
    expect(form).toBe('tensor');
    expect(r.cases.map((c) => c.inputs.map((x) => (x as unknown[]).length))).toEqual([[2, 3], [4, 4], [5, 2]]);
    for (const c of r.cases) {
      const [got] = await runNumpy(text, [c.inputs]);
      expect(mismatch(got, flat(c.outputs), 1e-5, 1e-4)).toBeNull();
    }
  });
  it('a causal mask needs the length fixed: the CLI says so in one line naming the layer (exit 2), --timesteps 5 converts', () => {
    // The same model with use_causal_mask: its mask is a [T, T] constant.
    const dir = tmpDir();
    const config = JSON.parse(readFileSync(ARCH, 'utf8'));
    config.config.layers[1].inbound_nodes[0][0][3].use_causal_mask = true;
    writeFileSync(join(dir, 'arch.json'), JSON.stringify(config));
    copyFileSync(WEIGHTS, join(dir, 'weights.h5'));
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'nn2eq.js'), join(dir, 'arch.json'), '--weights', join(dir, 'weights.h5'), ...args], { encoding: 'utf8' });
    for (const format of ['numpy', 'latex']) {
      const r = cli('--format', format);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toMatch(/^nn2eq: \S+arch\.json: layer 'mha' \(MultiHeadAttention\): builds a constant of shape \[T, T\] from a time axis of any length \(T\), which needs T fixed; hint: give the length with --timesteps T$/);
    }
    const fixed = cli('--format', 'numpy', '--timesteps', '5');
    expect(fixed.status, fixed.stderr).toBe(0);
  }, 60_000);
});
