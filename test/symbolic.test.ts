import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, loadModel } from '../src/index.js';
import { loadTransforms } from '../src/convert.js';
import { main } from '../src/cli.js';
import { scalarize } from '../src/tensor/scalarize.js';
import { buildProgram } from '../src/extract/index.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { withPython } from './check.js';
import { execFileSync } from 'node:child_process';
import { cCompiler, cInput, compileC, parseCNumbers, runMathjsText, sympyPython } from '../src/verify/extra-runtimes.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, readReference, runJs, runNumpy, runSympy, runWolfram, tfFixture, tfWeightGradients, tmpDir, tmpFile } from './helpers.js';

// --weights symbolic: every weight a parameter leaf. The code formats' predict(PARAMS, …) must
// equal the model's predictions (TF.js's, in reference.json): the parametric form with the trained
// values put back is the model. LaTeX must render and hold no weight value.

/** Fixtures with an Embedding (no symbolic form: the table is indexed, not multiplied) are refused; every other one is checked. */
const REFUSED = new Set(['shape_embedding']);
const fixtures = fixtureNames().filter((n) => !REFUSED.has(n));

async function symbolicText(name: string, format: 'js' | 'numpy' | 'mathematica' | 'latex' | 'c' | 'sympy' | 'mathjs' | 'julia' | 'json', extra: object = {}): Promise<string> {
  const { text } = await convertFile(join(FIXTURES, name, 'model.json'), { format, symbolicWeights: true, maxSize: 20e6, ...FIXTURE_OPTIONS[name], ...extra });
  return text;
}

describe('--weights symbolic: predict(PARAMS, …) equals the model', () => {
  for (const name of fixtures) {
    const ref = () => readReference(join(FIXTURES, name));
    it(`${name}: js`, async () => {
      const text = await symbolicText(name, 'js');
      // A model with weights takes them as params; one without (cropping, pooling) has nothing to name.
      const weighted = buildProgram(await loadModel(join(FIXTURES, name, 'model.json')), FIXTURE_OPTIONS[name] ?? {}).tensors.some((t) => t.kind === 'const');
      if (weighted) expect(text).toContain('export const PARAMS = {');
      if (weighted) expect(text).toMatch(/export function predict\(params, /);
      const r = ref();
      const got = await runJs(text, r.cases.map((c) => c.inputs));
      expect(mismatch(got.flat(), r.cases.flatMap((c) => flat(c.outputs)), 1e-5, 1e-4)).toBeNull();
    });
  }
  for (const name of ['mathematica_3_2_2_2', 'medium_1_3_2_1', 'act_gelu', 'conv2d_same_strided', 'rnn_lstm_sequences', 'layer_layernorm', 'layer_batchnorm', 'layer_prelu_shared_axes', 'merge_all']) {
    withPython(`${name}: numpy`, async () => {
      const r = readReference(join(FIXTURES, name));
      const got = await runNumpy(await symbolicText(name, 'numpy'), r.cases.map((c) => c.inputs));
      expect(mismatch(got.flat(), r.cases.flatMap((c) => flat(c.outputs)), 1e-5, 1e-4)).toBeNull();
    });
    withPython(`${name}: wolfram`, async () => {
      const r = readReference(join(FIXTURES, name));
      const got = await runWolfram(await symbolicText(name, 'mathematica'), r.cases.map((c) => c.inputs));
      expect(mismatch(got.flat(), r.cases.flatMap((c) => flat(c.outputs)), 1e-5, 1e-4)).toBeNull();
    });
  }
  const cc = cCompiler();
  const py = sympyPython();
  for (const name of ['mathematica_3_2_2_2', 'act_gelu', 'conv2d_same_strided', 'rnn_lstm_sequences', 'layer_layernorm']) {
    it(`${name}: c (gcc -std=c99 -Wall -Werror), predict(PARAMS, x, y)`, async () => {
      if (!cc) {
        if (inCI) expect.fail('gcc not found; apt-get install -y gcc');
        return;
      }
      const r = readReference(join(FIXTURES, name));
      const text = await symbolicText(name, 'c');
      expect(text).toMatch(/^void predict\(const double \*params, const double \*x, double \*y\) \{$/m);
      const exe = await compileC(cc, text, tmpDir());
      const rows = r.cases.map((c) => flat(c.inputs));
      const m = flat(r.cases[0].outputs).length;
      const out = execFileSync(exe, [String(rows[0].length), String(m)], { input: cInput(rows), encoding: 'utf8' });
      expect(mismatch(parseCNumbers(out, m).flat(), r.cases.flatMap((c) => flat(c.outputs)), 1e-5, 1e-4)).toBeNull();
    });
    it(`${name}: mathjs, the weights as matrices in the scope from the PARAMS line`, async () => {
      const r = readReference(join(FIXTURES, name));
      const text = await symbolicText(name, 'mathjs');
      expect(text).toMatch(/^# PARAMS \{/m);
      const got = await runMathjsText(text, r.cases.map((c) => flat(c.inputs)));
      expect(mismatch(got.flat(), r.cases.flatMap((c) => flat(c.outputs)), 1e-5, 1e-4)).toBeNull();
    });
    it(`${name}: julia takes predict(params, x) and defines PARAMS (no julia here to run it)`, async () => {
      const text = await symbolicText(name, 'julia');
      expect(text).toMatch(/^function predict\(params, x::AbstractVector\{<:Real\}\)$/m);
      expect(text).toMatch(/^const PARAMS = \($/m);
      expect(text).toMatch(/params\.\w+\[\d/);
    });
    withPython(`${name}: sympy, every weight a Symbol, xreplace(PARAMS)`, async () => {
      if ('skipped' in py) throw new Error(py.skipped);
      const r = readReference(join(FIXTURES, name));
      const text = await symbolicText(name, 'sympy');
      expect(text).toContain('PARAMS = {');
      const [got] = await runSympy(py.exe, [tmpFile('py', text)], [r.cases.map((c) => flat(c.inputs))]);
      if (got instanceof Error) throw got;
      expect(mismatch(got.flat(), r.cases.flatMap((c) => flat(c.outputs)), 1e-5, 1e-4)).toBeNull();
    });
  }
  it('an Embedding is refused with the reason', async () => {
    await expect(symbolicText('shape_embedding', 'js')).rejects.toThrow(/Embedding \(gather\) has no symbolic form/);
  });
  it('--form tensor is refused in a format whose tensor form takes no params', async () => {
    await expect(symbolicText('mathematica_3_2_2_2', 'json', { form: 'tensor' })).rejects.toThrow(/the json format has no symbolic tensor form yet/);
  });
});

describe('--weights symbolic: LaTeX', () => {
  for (const name of ['mathematica_3_2_2_2', 'medium_1_3_2_1', 'keras_sequential', 'rnn_simple_stacked', 'conv1d_same_strided']) {
    for (const form of ['scalar', 'tensor'] as const) {
      it(`${name} (${form} form) renders in KaTeX and holds no weight value`, async () => {
        const text = await symbolicText(name, 'latex', { form });
        expect(await checkLatex(text)).toEqual({ valid: true });
        // No number of the model's weights appears: every weight is a symbol.
        const program = buildProgram(await loadModel(join(FIXTURES, name, 'model.json')), FIXTURE_OPTIONS[name] ?? {});
        const ex = scalarize(program, { symbolicWeights: true });
        const weightsIn = (tex: string) => {
          const numbers = new Set((tex.match(/\d+\.\d+(e-?\d+)?/g) ?? []).map((x) => Math.fround(Number(x))));
          return ex.graph.params.flatMap((t) => Array.from(t.values)).filter((v) => !Number.isInteger(v) && numbers.has(Math.fround(Math.abs(v)))).length;
        };
        expect(weightsIn(text)).toBe(0);
        // The same check finds the weights in the numeric form (so it can fail).
        const { text: numeric } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'latex', form, fold: false, maxSize: 20e6, ...FIXTURE_OPTIONS[name] });
        expect(weightsIn(numeric)).toBeGreaterThan(0);
        expect(text).toMatch(form === 'scalar' ? /[WK]\^\{\(1\)\}_\{1,1(,1)?\}/ : /[WK]\^\{\(1\)\}/);
      });
    }
  }
  it('the tensor form writes W x + b, as SymbolicNeuralNetworks.jl does', async () => {
    const text = await symbolicText('mathematica_3_2_2_2', 'latex', { form: 'tensor' });
    expect(text).toContain('\\mathbf{h}^{(1)} &= \\sigma\\left(W^{(1)} \\mathbf{x} + \\mathbf{b}^{(1)}\\right)');
    expect(text).toContain('W^{(1)} &\\in \\mathbb{R}^{2\\times 3}');
  });
});


describe('--gradient params: against tf.variableGrads', () => {
  // Dense, recurrent and normalization models whose weights TF.js trains as nn2eq stores them (matched by value).
  const NAMES = ['mathematica_3_2_2_2', 'medium_1_3_2_1', 'act_tanh', 'act_sigmoid', 'act_softplus', 'act_gelu', 'act_softmax', 'keras_sequential', 'functional_chain', 'layer_layernorm', 'rnn_simple_stacked', 'conv1d_same_strided'];
  for (const name of NAMES) {
    it(name, async () => {
      await loadTransforms();
      const r = readReference(join(FIXTURES, name));
      const inputs = r.cases[0].inputs;
      const { text } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'js', transforms: { gradient: 'params' }, maxSize: 50e6, ...FIXTURE_OPTIONS[name] });
      const ours = flat(await runJs(text, [inputs]));
      // Our parameter order and shapes, from the same program the conversion lowered.
      const program = buildProgram(await loadModel(join(FIXTURES, name, 'model.json')), FIXTURE_OPTIONS[name] ?? {});
      const params = scalarize(program, { symbolicWeights: true }).graph.params;
      const total = params.reduce((n, t) => n + t.values.length, 0);
      const m = ours.length / total;
      expect(Number.isInteger(m)).toBe(true);
      const tfg = await tfWeightGradients(name, inputs);
      expect(tfg).not.toBeNull();
      let matched = 0;
      for (const w of tfg!) {
        // The parameter tensor holding exactly this weight's values.
        let offset = 0;
        const k = params.findIndex((t) => {
          const same = t.values.length === w.values.length && Array.from(t.values).every((v, i) => Math.fround(v) === w.values[i]);
          if (!same) offset += t.values.length;
          return same;
        });
        if (k < 0) continue;
        matched++;
        for (let i = 0; i < m; i++) {
          const want = w.grads[i];
          const got = ours.slice(i * total + offset, i * total + offset + want.length);
          expect(mismatch(got, want, 1e-4, 1e-3)).toBeNull();
        }
      }
      expect(matched).toBe(tfg!.length);
    });
  }
});

describe('--gradient params in the tensor form (reverse mode on the program): against tf.variableGrads', () => {
  // The Dense / element-wise / softmax family the tensor form runs back through; the others are refused by name.
  const NAMES = ['mathematica_3_2_2_2', 'medium_1_3_2_1', 'act_tanh', 'act_sigmoid', 'act_softplus', 'act_gelu', 'act_softmax', 'keras_sequential', 'functional_chain'];
  for (const name of NAMES) {
    it(name, async () => {
      await loadTransforms();
      const inputs = readReference(join(FIXTURES, name)).cases[0].inputs;
      const { text, form } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'js', form: 'tensor', transforms: { gradient: 'params' }, ...FIXTURE_OPTIONS[name] });
      expect(form).toBe('tensor');
      const ours = flat(await runJs(text, [inputs]));
      // The weights in first-use order, as the header lists them.
      const program = buildProgram(await loadModel(join(FIXTURES, name, 'model.json')), FIXTURE_OPTIONS[name] ?? {});
      const seen = new Set<number>();
      for (const eq of program.equations) for (const a of eq.args) if (program.tensors[a].kind === 'const') seen.add(a);
      const params = [...seen].map((id) => program.tensors[id].values!);
      const total = params.reduce((n, v) => n + v.length, 0);
      const m = ours.length / total;
      expect(Number.isInteger(m)).toBe(true);
      const tfg = (await tfWeightGradients(name, inputs))!;
      for (const w of tfg) {
        let offset = 0;
        const k = params.findIndex((v) => {
          const same = v.length === w.values.length && Array.from(v).every((x, i) => Math.fround(x) === w.values[i]);
          if (!same) offset += v.length;
          return same;
        });
        expect(k, 'a TF.js weight matched by value').toBeGreaterThanOrEqual(0);
        for (let i = 0; i < m; i++) expect(mismatch(ours.slice(i * total + offset, i * total + offset + w.grads[i].length), w.grads[i], 1e-4, 1e-3)).toBeNull();
      }
    });
  }
});

describe('--weights symbolic and --gradient params on the command line', () => {
  async function run(args: string[]) {
    let out = '';
    let err = '';
    const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
    return { code, out, err };
  }
  const model = join(FIXTURES, 'medium_1_3_2_1', 'model.json');
  it('--weights symbolic --verify passes in every format that has the form', async () => {
    for (const f of ['latex', 'js', 'numpy', 'mathematica', 'c', 'sympy', 'mathjs', 'json', 'html']) {
      const r = await run([model, '--weights', 'symbolic', '-f', f, '--verify']);
      expect({ f, code: r.code, err: r.err.split('\n')[0] }).toMatchObject({ f, code: 0, err: expect.stringMatching(/^verify: PASS/) });
    }
  }, 120_000);
  it('the symbolic gradient with PARAMS equals the numeric gradient', async () => {
    const numeric = await run([model, '--gradient', 'params', '-f', 'js']);
    const symbolic = await run([model, '--gradient', 'params', '--weights', 'symbolic', '-f', 'js']);
    expect(numeric.code).toBe(0);
    expect(symbolic.out).toContain('export const PARAMS');
    const x = [[0.3], [-0.7], [0.05]];
    const a = flat(await runJs(numeric.out, x.map((v) => [v])));
    const b = flat(await runJs(symbolic.out, x.map((v) => [v])));
    expect(mismatch(b, a, 1e-12, 1e-9)).toBeNull();
  });
  it('bad combinations exit 2 with one line', async () => {
    for (const args of [
      ['--weights', 'symbolic', '-f', 'json', '--form', 'tensor'],
      ['--weights', 'symbolic', '--taylor', '2'],
      ['--weights', 'a.h5', '--weights', 'b.h5'],
      ['--gradient', 'params', '--jacobian'],
      ['--gradient', 'params', '--prune', '0.1'],
      ['--gradient', 'params', '--form', 'tensor', '--weights', 'symbolic', '-f', 'json'],
      ['--gradient', 'inputs'],
    ]) {
      const r = await run([model, ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});
