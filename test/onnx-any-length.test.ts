import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile, Nn2eqError } from '../src/index.js';
import { loadOnnx } from '../src/load/index.js';
import { openOnnxRuntime } from '../src/verify/onnx-oracle.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, python, readReference, ROOT, runJs, runPyDriver, runWolframTensor, type Reference } from './helpers.js';

// An ONNX transformer encoder layer exported with a dynamic sequence axis (torch.onnx.export's
// dynamic_axes, the axis named T): PyTorch's nn.TransformerEncoderLayer batch_first (post-norm ReLU,
// pre-norm GELU) and in its default layout [T, N, D], at opsets 13 and 17, written by
// `npm run fixtures:onnx` into fixtures/onnx-any-length with PyTorch's predictions at lengths 3, 6
// and 1. --form auto leaves the axis open: one NumPy text (and one Wolfram, one SymPy text) runs at
// every length, against PyTorch and against onnxruntime-web on the same file; LaTeX writes the
// length T. JS, C and mathjs need it fixed and say so in one line naming --input-shape; so does a
// causal mask built from the length ([T, T]).

const DIR = join(FIXTURES, 'onnx-any-length');
const all = readdirSync(DIR).sort();
const names = all.filter((n) => n.startsWith('encoder_') && !n.startsWith('encoder_causal'));
const CAUSAL = join(DIR, 'encoder_causal_any_length_opset17', 'model.onnx');
/** Refused at any length, each with the node and the reason; they convert with --input-shape. */
const REFUSED: Record<string, RegExp> = {
  encoder_causal_any_length_opset17: /node '\/ConstantOfShape' \(ConstantOfShape\): builds a constant of shape \[T, T\] from a sequence axis of any length \(T\), which needs T fixed$/,
  mha_weights_any_length_opset17: /node '\/mha\/ReduceSum' \(ReduceSum\): reduces \[1, 2, T, T\], which has two axes of any length, which needs the length T fixed$/,
  gpt_block_any_length_opset17: /node '\/Slice' \(Slice\): slices a fixed tensor by a sequence length of any length \(T\), which needs T fixed$/,
};
const model = (name: string) => join(DIR, name, 'model.onnx');

interface Fixture {
  readonly ref: Reference;
  readonly torch: number[][];
  /** onnxruntime-web on the same file and inputs. */
  readonly ort: number[][];
}

const fixtures = new Map<string, Fixture>();
beforeAll(async () => {
  for (const name of names) {
    const ref = readReference(join(DIR, name));
    const onnx = await loadOnnx(model(name));
    const rt = await openOnnxRuntime(readFileSync(model(name)), { file: name });
    const ort: number[][] = [];
    try {
      for (const c of ref.cases) {
        const x = c.inputs[0];
        const dims = [x as unknown[], (x as unknown[][])[0], (x as unknown[][][])[0][0]].map((a) => a.length);
        const outs = await rt.run([{ name: onnx.graph.inputs[0].name, dtype: 'float32', dims, values: flat(x) }]);
        ort.push(outs.flatMap((o) => Array.from(o.values)));
      }
    } finally {
      await rt.release();
    }
    fixtures.set(name, { ref, torch: ref.cases.map((c) => flat(c.outputs)), ort });
  }
}, 120_000);

const lengths = (ref: Reference, axis: number) => ref.cases.map((c) => (axis === 0 ? (c.inputs[0] as unknown[]).length : ((c.inputs[0] as unknown[][])[0]).length));

/** Each case's outputs against PyTorch's and onnxruntime-web's (float32 both, nn2eq in float64). */
function check(name: string, got: number[][], oracles: ('torch' | 'ort')[] = ['torch', 'ort']): void {
  const f = fixtures.get(name)!;
  expect(got.length, name).toBe(f.ref.cases.length);
  for (const o of oracles) got.forEach((g, i) => expect(mismatch(g, f[o][i], 1e-5, 1e-4), `${name}, ${o}, case ${i}`).toBeNull());
}

/** Runs each module's predict on its cases, one case at a time (their lengths differ); `sympy`: object arrays in, float() out. */
const DRIVER = `
import numpy as np
out = []
for m, cases in modules():
    rows = []
    for inputs in cases:
        y = m.predict(*[np.array(x, dtype=object if SYMPY else np.float64) for x in inputs])
        rows.append([float(v) for o in (y if isinstance(y, (tuple, list)) else (y,)) for v in np.asarray(o).reshape(-1)])
    out.append(rows)
print(json.dumps(out))
`;

describe('nn.TransformerEncoderLayer with a sequence axis of any length', () => {
  it('the fixtures: 3 layers at 2 opsets (and 3 models refused at any length), each with PyTorch at lengths 3, 6 and 1, and onnxruntime-web agreeing with it', () => {
    expect(names).toEqual(['encoder_any_length', 'encoder_gelu_any_length', 'encoder_seq_first_any_length'].flatMap((n) => [`${n}_opset13`, `${n}_opset17`]));
    expect(all.filter((n) => !names.includes(n))).toEqual(Object.keys(REFUSED).sort());
    for (const name of names) {
      const f = fixtures.get(name)!;
      expect(lengths(f.ref, name.includes('seq_first') ? 0 : 1), name).toEqual([3, 6, 1]);
      check(name, f.ort, ['torch']);
    }
  });
  withPython('NumPy (--form auto): one text per file, every length, against PyTorch and onnxruntime-web', async () => {
    const texts: string[] = [];
    for (const name of names) {
      const { text, form } = await convertFile(model(name), { format: 'numpy', form: 'auto' });
      expect(form).toBe('tensor');
      expect(text).toContain('T is any sequence length');
      expect(text).toContain(name.includes('seq_first') ? 'input1 of shape (..., T, 1, 16)' : 'input1 of shape (..., 1, T, 16)');
      texts.push(text);
    }
    const got = await runPyDriver<number[][][]>(python.exe, `SYMPY = False\n${DRIVER}`, texts, names.map((n) => fixtures.get(n)!.ref.cases.map((c) => c.inputs) as never));
    names.forEach((name, i) => check(name, got[i]));
  });
  withPython('SymPy (--form tensor, opset 17, batch_first): one text, every length, against PyTorch and onnxruntime-web', async () => {
    const name = 'encoder_any_length_opset17';
    const { text } = await convertFile(model(name), { format: 'sympy', form: 'tensor' });
    const [got] = await runPyDriver<number[][][]>(python.exe, `SYMPY = True\n${DRIVER}`, [text], [fixtures.get(name)!.ref.cases.map((c) => c.inputs) as never]);
    check(name, got);
  });
  withPython("Wolfram (--form auto, nn2eq's Wolfram interpreter), opset 17: one text per layer, every length, against PyTorch and onnxruntime-web", async () => {
    const wl = names.filter((n) => n.endsWith('opset17'));
    const jobs = [];
    for (const name of wl) {
      const { text, form } = await convertFile(model(name), { format: 'mathematica', form: 'auto' });
      expect(form).toBe('tensor');
      jobs.push(...fixtures.get(name)!.ref.cases.map((c) => ({ text, cases: [c.inputs] })));
    }
    const answers = await runWolframTensor(jobs);
    wl.forEach((name, k) => {
      const got = [0, 1, 2].map((i) => {
        const a = answers[3 * k + i];
        if (!Array.isArray(a)) throw new Error(`${name} case ${i}: ${a.error}`);
        return a[0].map((v) => (v === null ? NaN : v));
      });
      check(name, got);
    });
  }, 120_000);
  it('LaTeX (--form auto): the length is T in the reshapes and the shapes of Q, Kᵀ and V; KaTeX accepts it', async () => {
    for (const name of ['encoder_any_length_opset13', 'encoder_seq_first_any_length_opset17']) {
      const { text } = await convertFile(model(name), { format: 'latex', form: 'auto' });
      expect(text).toContain('\\operatorname{reshape}_{(T, 2, 8)}');
      expect(text).toContain('Q, V \\in \\mathbb{R}^{2\\times T\\times 8}\\text{, } K^{\\top} \\in \\mathbb{R}^{2\\times 8\\times T}');
      expect(text).toContain(name.includes('seq_first') ? '\\mathbf{X} \\in \\mathbb{R}^{T\\times 1\\times 16}' : '\\mathbf{X} \\in \\mathbb{R}^{1\\times T\\times 16}');
      expect(text).not.toMatch(/-1\b|\\times -/);
      expect(await checkLatex(text)).toEqual({ valid: true });
    }
  });
  for (const [format, why] of [
    ['js', /the JS tensor form loops over such an axis only where layers keep it whole/],
    ['c', /the C tensor form sizes its static buffers at conversion time/],
    ['mathjs', /mathjs has no loops/],
  ] as const) {
    it(`${format}: refused in one typed line that asks for --input-shape`, async () => {
      const err = await convertFile(model('encoder_any_length_opset17'), { format, form: 'auto' }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Nn2eqError);
      const e = err as Nn2eqError;
      expect(e.message).toMatch(why);
      expect(e.message).not.toContain('\n');
      expect(e.hint).toBe('give the length with --input-shape input1:1xNx16');
    });
  }
  it('JS with --input-shape input1:6x1x16 (the layout [T, N, D]): the fixed length runs and matches PyTorch and onnxruntime-web at length 6', async () => {
    const name = 'encoder_seq_first_any_length_opset17';
    const f = fixtures.get(name)!;
    const { text } = await convertFile(model(name), { format: 'js', form: 'tensor', inputShapes: new Map([['input1', [6, 1, 16]]]) });
    const [got] = await runJs(text, [f.ref.cases[1].inputs]);
    expect(mismatch(got, f.torch[1], 1e-5, 1e-4)).toBeNull();
    expect(mismatch(got, f.ort[1], 1e-5, 1e-4)).toBeNull();
  });
  it('a causal mask built from the length ([T, T]) needs it fixed: the CLI says so in one line naming the node (exit 2); --input-shape converts', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'nn2eq.js'), CAUSAL, ...args], { encoding: 'utf8' });
    for (const format of ['numpy', 'latex']) {
      const r = cli('--format', format);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toMatch(/^nn2eq: \S+model\.onnx: node '\/ConstantOfShape' \(ConstantOfShape\): builds a constant of shape \[T, T\] from a sequence axis of any length \(T\), which needs T fixed; hint: give the length with --input-shape input1:1xNx16$/);
    }
    const fixed = cli('--format', 'numpy', '--input-shape', 'input1:1x6x16');
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('input1 of shape (..., 1, 6, 16)');
  }, 60_000);
  withPython('a [T, T] mask, head-averaged attention weights [T, T], a causal buffer sliced by T: each refused in one line naming the node and --input-shape; at --input-shape input1:1x6x16 each matches PyTorch at length 6', async () => {
    const texts: string[] = [];
    const refs: Reference[] = [];
    for (const [name, why] of Object.entries(REFUSED)) {
      const err = await convertFile(model(name), { format: 'numpy', form: 'auto' }).then(() => null, (e: unknown) => e);
      expect(err, name).toBeInstanceOf(Nn2eqError);
      expect((err as Nn2eqError).message).toMatch(why);
      expect((err as Nn2eqError).hint).toBe('give the length with --input-shape input1:1xNx16');
      texts.push((await convertFile(model(name), { format: 'numpy', form: 'tensor', inputShapes: new Map([['input1', [1, 6, 16]]]) })).text);
      refs.push(readReference(join(DIR, name)));
    }
    expect(refs.map((r) => lengths(r, 1))).toEqual([[3, 6], [3, 6], [3, 6]]);
    const got = await runPyDriver<number[][][]>(python.exe, `SYMPY = False\n${DRIVER}`, texts, refs.map((r) => [r.cases[1].inputs] as never));
    got.forEach((g, i) => expect(mismatch(g[0], flat(refs[i].cases[1].outputs), 1e-5, 1e-4), Object.keys(REFUSED)[i]).toBeNull());
  });
});
