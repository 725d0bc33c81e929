import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { buildProgram } from '../src/extract/index.js';
import { allEquations, constantsUsed } from '../src/emit/tensor-common.js';
import { convertFile, loadModel, Nn2eqError } from '../src/index.js';
import { withPython } from './check.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, python, readReference, referenceOutputs, runNumpy, runPyDriver, runSympyBatch } from './helpers.js';

// --weights symbolic in the tensor form of NumPy and SymPy: predict(params, *inputs) reads every
// weight tensor from params, PARAMS holds the trained values, so predict(PARAMS, …) must give
// TF.js's predictions (reference.json); no weight value stands outside PARAMS.

type Format = 'numpy' | 'sympy';
const model = (name: string) => join(FIXTURES, name, 'model.json');

async function symbolicTensor(name: string, format: Format): Promise<{ text: string; shapes: number[][] }> {
  const { text, form, program } = await convertFile(model(name), { format, form: 'tensor', symbolicWeights: true, ...FIXTURE_OPTIONS[name] });
  expect(form).toBe('tensor');
  return { text, shapes: program.inputs.map((p) => [...p.tensor.shape]) };
}

/** The program the conversion prints (symbolic weights fold nothing): its weight values, and whether it gathers (Embedding). */
async function programOf(name: string): Promise<{ weights: number[]; gathers: boolean }> {
  const p = buildProgram(await loadModel(model(name)), FIXTURE_OPTIONS[name] ?? {});
  return { weights: constantsUsed(p).flatMap((id) => Array.from(p.tensors[id].values!)), gathers: allEquations(p).some(({ eq }) => eq.op === 'gather') };
}

/** How many non-integer weight values appear as numbers in `text`. */
function weightsIn(text: string, weights: readonly number[]): number {
  const numbers = new Set((text.match(/\d+\.\d+(e-?\d+)?|\d+e-?\d+/g) ?? []).map((x) => Math.fround(Number(x))));
  return weights.filter((v) => !Number.isInteger(v) && numbers.has(Math.fround(Math.abs(v)))).length;
}

const withoutParams = (text: string) => text.replace(/^PARAMS = \{\n[\s\S]*?^\}$/m, '');

const names = fixtureNames();
const gathering = new Set<string>();
beforeAll(async () => {
  for (const name of names) if ((await programOf(name)).gathers) gathering.add(name);
});

describe('--weights symbolic --form tensor: an Embedding is refused, as in the scalar form', () => {
  it('every fixture with an Embedding (shape_embedding) is refused in both formats, typed, in one line', async () => {
    expect([...gathering]).toEqual(['shape_embedding']);
    for (const name of gathering) {
      for (const format of ['numpy', 'sympy'] as const) {
        const err = await symbolicTensor(name, format).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(Nn2eqError);
        expect((err as Nn2eqError).kind).toBe('unsupported');
        expect((err as Nn2eqError).message).toMatch(/^an Embedding \(gather\) has no symbolic form/);
        let out = '';
        let stderr = '';
        const code = await main([model(name), '-f', format, '--form', 'tensor', '--weights', 'symbolic'], { stdout: (t) => void (out += t), stderr: (t) => void (stderr += t), stdinIsTTY: true });
        expect(code).not.toBe(0);
        expect(out).toBe('');
        expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^nn2eq: an Embedding \(gather\) has no symbolic form.*; hint: drop --weights symbolic/)]);
      }
    }
  });
});

describe('--weights symbolic --form tensor: no weight value outside PARAMS', () => {
  for (const name of names) {
    it(name, async () => {
      const { weights, gathers } = await programOf(name);
      if (gathers) return;
      for (const format of ['numpy', 'sympy'] as const) {
        const { text } = await symbolicTensor(name, format);
        const lines = text.split('\n');
        if (weights.length === 0) {
          // Nothing to take: the text is the numeric tensor form's, as the scalar form does.
          expect(text).toBe((await convertFile(model(name), { format, form: 'tensor', ...FIXTURE_OPTIONS[name] })).text);
          continue;
        }
        expect(lines[0]).toMatch(/\(tensor form, symbolic weights\)\. Do not edit\.$/);
        expect(text).toMatch(/^def predict\(params, input1(, input\d+)*\):$/m);
        expect(text).toMatch(/^PARAMS = \{$/m);
        expect(weightsIn(withoutParams(text), weights), format).toBe(0);
        // Only module-level definitions and predict's body: the weights are bound inside predict.
        expect(lines.filter((l) => /^[A-Za-z]\w* = /.test(l) && !l.startsWith('PARAMS = '))).toEqual([]);
      }
      // The same check finds the weights in the numeric form (so it can fail).
      const numeric = await convertFile(model(name), { format: 'numpy', form: 'tensor', fold: false, ...FIXTURE_OPTIONS[name] });
      if (weights.some((v) => !Number.isInteger(v))) expect(weightsIn(numeric.text, weights)).toBeGreaterThan(0);
    });
  }
});

describe('--weights symbolic --form tensor, numpy: predict(PARAMS, …) matches TF.js (reference.json)', () => {
  for (const name of names) {
    withPython(name, async () => {
      if (gathering.has(name)) return;
      const { text } = await symbolicTensor(name, 'numpy');
      const ref = readReference(join(FIXTURES, name));
      const got = await runNumpy(text, ref.cases.map((c) => c.inputs));
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
    });
  }
});

// SymPy is slow to import: every fixture's module runs in one of two python3 processes.
describe('--weights symbolic --form tensor, sympy: predict(PARAMS, …) matches TF.js (reference.json)', () => {
  let results = new Map<string, number[][] | Error>();
  beforeAll(async () => {
    if (python.skip) return;
    const jobs = await Promise.all(
      names
        .filter((n) => !gathering.has(n))
        .map(async (name) => ({ name, ...(await symbolicTensor(name, 'sympy')), rows: readReference(join(FIXTURES, name)).cases.map((c) => flat(c.inputs)) })),
    );
    results = await runSympyBatch(python.exe, jobs);
  }, 600_000);
  for (const name of names) {
    withPython(name, () => {
      if (gathering.has(name)) return;
      const got = results.get(name);
      if (got instanceof Error) throw got;
      expect(got!.map((g, i) => mismatch(g, referenceOutputs(name)[i], 1e-5, 1e-4))).toEqual(referenceOutputs(name).map(() => null));
    });
  }
});

/**
 * predict(symbolic_params(), *symbolic_inputs()) are expressions in the weight symbols and x1…xN;
 * the trained values and a reference case put into them (xreplace) give the reference's outputs.
 * closed_form() keeps the trained weights. argv[1:] = modules; stdin = JSON, per module its rows of
 * flattened inputs; stdout = JSON, per module its rows of outputs.
 */
const PARAMETRIC_DRIVER = `
import numpy as np
from sympy import Expr, Float, Symbol
out = []
for m, rows in modules():
    xs = [s for a in m.symbolic_inputs() for s in a.flat]
    P = m.symbolic_params()
    assert list(P) == list(m.PARAMS), "symbolic_params() and PARAMS name the same tensors"
    ws = {}
    for name, a in P.items():
        assert a.shape == np.asarray(m.PARAMS[name]).shape
        for i, s in zip(np.ndindex(*a.shape), a.flat):
            assert isinstance(s, Symbol) and s.is_real and str(s) == "_".join([name, *map(str, i)])
        ws.update(zip(a.flat, np.asarray(m.PARAMS[name]).flat))
    res = m.predict(P, *m.symbolic_inputs())
    exprs = [e for o in (res if isinstance(res, list) else [res]) for e in np.asarray(o).flat]
    assert all(isinstance(e, Expr) for e in exprs), "not SymPy expressions"
    free = set().union(*(e.free_symbols for e in exprs))
    assert free <= set(xs) | set(ws) and free & set(ws), "not expressions of the weights and x1..xN"
    numeric = m.closed_form()
    numeric = [e for o in (numeric if isinstance(numeric, list) else [numeric]) for e in np.asarray(o).flat]
    assert all(e.free_symbols <= set(xs) for e in numeric), "closed_form() holds weight symbols"
    trained = [e.xreplace(ws) for e in exprs]
    out.append([[float(e.xreplace({x: Float(v) for x, v in zip(xs, row)})) for e in trained] for row in rows])
print(json.dumps(out))
`;

describe('--weights symbolic --form tensor, sympy: the parametric expressions', () => {
  const small = ['mathematica_3_2_2_2', 'layer_layernorm', 'conv1d_same_strided'];
  withPython(`predict(symbolic_params(), *symbolic_inputs()) of ${small.join(', ')}, with PARAMS put in, gives TF.js's predictions`, async () => {
    const texts = await Promise.all(small.map(async (n) => (await symbolicTensor(n, 'sympy')).text));
    const rows = small.map((n) => readReference(join(FIXTURES, n)).cases.map((c) => flat(c.inputs)));
    const got = await runPyDriver<number[][][]>(python.exe, PARAMETRIC_DRIVER, texts, rows);
    small.forEach((n, k) => got[k].forEach((g, i) => expect(mismatch(g, referenceOutputs(n)[i], 1e-5, 1e-4), `${n} case ${i}`).toBeNull()));
  }, 300_000);
});

describe('--weights symbolic --form tensor: golden files', () => {
  for (const name of ['mathematica_3_2_2_2', 'layer_layernorm', 'conv1d_same_strided', 'rnn_gru_backwards', 'layer_cropping1d']) {
    for (const format of ['numpy', 'sympy'] as const) {
      it(`${name} (${format})`, async () => {
        const { text } = await symbolicTensor(name, format);
        await expect(text).toMatchFileSnapshot(`golden/tensor/symbolic/${name}${format === 'sympy' ? '.sympy' : ''}.py`);
      });
    }
  }
});
