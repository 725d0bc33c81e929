import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { sympyPython } from '../src/verify/extra-runtimes.js';
import { convertFile, type ConvertOptions } from '../src/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, readReference, referenceOutputs, runPyDriver, runSympyBatch } from './helpers.js';

const py = sympyPython();
const skip = 'skipped' in py ? `${py.skipped}; apt-get install -y python3-sympy python3-numpy` : null;
if (skip) console.warn(`\n*** SKIPPING SymPy tensor-form checks: ${skip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);
const exe = 'exe' in py ? py.exe : '';

/** A test that needs python3 with sympy and numpy: skipped with a visible reason without them, failed under CI. */
function withSympy(name: string, fn: () => Promise<void> | void, timeout?: number) {
  if (!skip) it(name, fn, timeout);
  else if (inCI) it(name, () => expect.fail(skip));
  else it.skip(`${name} [needs python3-sympy]`, fn);
}

/** The SymPy tensor form of a model file, with its input shapes. */
async function tensorForm(model: string, opts: Omit<ConvertOptions, 'format'> = {}): Promise<{ text: string; shapes: number[][] }> {
  const { text, form, program } = await convertFile(model, { format: 'sympy', form: 'tensor', ...opts });
  expect(form).toBe('tensor');
  return { text, shapes: program.inputs.map((p) => [...p.tensor.shape]) };
}

/**
 * Each fixture's tensor form (with its FIXTURE_OPTIONS), converted once for the file: the run in
 * python3, the closed forms and the golden files all read the same text (the byte-identical test
 * below still converts twice).
 */
const fixtureForms = new Map<string, Promise<{ text: string; shapes: number[][] }>>();
function fixtureForm(name: string): Promise<{ text: string; shapes: number[][] }> {
  let form = fixtureForms.get(name);
  if (!form) fixtureForms.set(name, (form = tensorForm(join(FIXTURES, name, 'model.json'), FIXTURE_OPTIONS[name])));
  return form;
}

/** Fixtures that hold another fixture's weights in another layout: their text is that fixture's. */
const SAME_OUTPUT_AS: Record<string, string> = { two_shards: 'quant_base' };

// Every fixture's tensor form run by python3 on the inputs of its reference.json (numbers in, SymPy
// numbers out), in two python3 processes for all of them (SymPy is slow to import).
describe('SymPy tensor form evaluated by python3-sympy matches TF.js predictions (reference.json)', () => {
  const names = fixtureNames();
  let results = new Map<string, number[][] | Error>();
  beforeAll(async () => {
    if (skip) return;
    const jobs = await Promise.all(
      names.map(async (name) => {
        const dir = join(FIXTURES, name);
        const { text, shapes } = await fixtureForm(name);
        return { name, text, rows: readReference(dir).cases.map((c) => flat(c.inputs)), shapes };
      }),
    );
    results = await runSympyBatch(exe, jobs);
  }, 600_000);
  for (const name of names) {
    withSympy(name, () => {
      const got = results.get(name);
      if (got instanceof Error) throw got;
      const want = referenceOutputs(name);
      expect(got!.length).toBe(want.length);
      got!.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `case ${i}`).toBeNull());
    });
  }
});

/**
 * closed_form() gives SymPy expressions of the real symbols x1…xN; put each reference case into them
 * and they must evaluate to the reference's outputs. The substitution is xreplace's, remembered per
 * subexpression: an unrolled recurrent layer's expressions share their earlier steps many times
 * over, and xreplace rebuilds each copy (the same expressions, an order of magnitude slower).
 * argv[1:] = modules; stdin = JSON, per module its rows of flattened inputs; stdout = JSON, per
 * module its rows of outputs.
 */
const SYMBOLIC_DRIVER = `
import numpy as np
from sympy import Basic, Expr, Float, Symbol

def xreplace(e, rule, memo):
    """e.xreplace(rule), and whether it changed e, each shared subexpression rebuilt once."""
    hit = memo.get(e)
    if hit is not None:
        return hit
    if e in rule:
        r = (rule[e], True)
    else:
        args, changed = [], False
        for a in e.args:
            if isinstance(a, Basic):
                a, c = xreplace(a, rule, memo)
                changed |= c
            args.append(a)
        r = (e.func(*args), True) if changed else (e, False)
    memo[e] = r
    return r

out = []
for m, rows in modules():
    xs = [s for a in m.symbolic_inputs() for s in a.flat]
    assert all(isinstance(s, Symbol) and s.is_real for s in xs) and [str(s) for s in xs] == [f"x{i + 1}" for i in range(len(xs))]
    res = m.closed_form()
    exprs = [e for o in (res if isinstance(res, list) else [res]) for e in np.asarray(o).flat]
    assert all(isinstance(e, Expr) for e in exprs), "not SymPy expressions"
    assert all(e.free_symbols <= set(xs) for e in exprs) and any(e.free_symbols for e in exprs), "not expressions of x1..xN"
    values = []
    for row in rows:
        rule, memo = {x: Float(v) for x, v in zip(xs, row)}, {}
        values.append([float(xreplace(e, rule, memo)[0]) for e in exprs])
    out.append(values)
print(json.dumps(out))
`;

/**
 * The fixtures whose closed_form() is checked, the slowest first. The recurrent one is a GRU with
 * Keras's hard-sigmoid gates unrolled over 3 steps (rnn_gru_no_bias). rnn_gru_backwards (4 steps, with
 * biases) was checked here until its closed form took SymPy 96 s of CPU on an idle machine (Min/Max
 * and Mul test each new argument's assumptions, e.g. tanh's finiteness by as_real_imag, on the
 * growing unrolled expressions) and 250 s of wall time in the suite, the longest single check.
 * The backwards GRU's SymPy text is still run on numbers against TF.js and kept as a golden above.
 */
const CLOSED_FORM = ['rnn_gru_no_bias', 'act_relu', 'act_softmax', 'layer_layernorm', 'merge_all', 'pool_2d', 'conv1d_same_strided'];

/**
 * Each fixture's closed_form() run, started before the file's first test (one job per fixture in
 * this file's python3 servers): the GRU takes one python3 while the other runs everything else.
 */
const closedForms = new Map<string, Promise<number[][]>>();
beforeAll(() => {
  if (skip) return;
  for (const n of CLOSED_FORM) {
    const job = (async () => {
      const { text } = await fixtureForm(n);
      const rows = readReference(join(FIXTURES, n)).cases.map((c) => flat(c.inputs));
      return (await runPyDriver<number[][][]>(exe, SYMBOLIC_DRIVER, [text], [rows]))[0];
    })();
    job.catch(() => {}); // its test reports the failure
    closedForms.set(n, job);
  }
});

describe('SymPy tensor form with symbolic inputs', () => {
  for (const n of CLOSED_FORM) {
    withSympy(`closed_form() of ${n}: expressions of x1…xN that evaluate to TF.js's predictions`, async () => {
      const got = await closedForms.get(n)!;
      const want = referenceOutputs(n);
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `${n} case ${i}`).toBeNull());
    }, 600_000);
  }
});

describe('SymPy tensor form: golden files', () => {
  for (const name of fixtureNames().filter((n) => !(n in SAME_OUTPUT_AS))) {
    it(name, async () => {
      const { text } = await fixtureForm(name);
      await expect(text).toMatchFileSnapshot(`golden/tensor/${name}.sympy.py`);
    });
  }
  it('is byte-identical across runs, and says (tensor form) first', async () => {
    const path = join(FIXTURES, 'rnn_bidirectional_concat', 'model.json');
    const { text } = await tensorForm(path);
    expect(text).toBe((await tensorForm(path)).text);
    expect(text.split('\n')[0]).toMatch(/\(tensor form\)\. Do not edit\.$/);
  });
});

/** Runs the CLI in-process; returns its exit code and what it wrote. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

describe('SymPy tensor form through the CLI', () => {
  withSympy('nn2eq conv2d_same_strided -f sympy --form tensor --verify: the SymPy text and the IR agree with TF.js', async () => {
    const r = await cli([join(FIXTURES, 'conv2d_same_strided', 'model.json'), '-f', 'sympy', '--form', 'tensor', '--verify', '--report', 'json']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/\(tensor form\)/);
    const report = JSON.parse(r.err.trim().split('\n').pop()!);
    expect(report.routes.map((x: { route: string; status: string }) => `${x.route}: ${x.status}`)).toEqual(['IR (float64): ok', 'sympy text: ok']);
  }, 120_000);
  it('a time axis of any length is kept (predict loops over it; symbolic_inputs takes T)', async () => {
    const r = await cli([join(FIXTURES, 'rnn_timesteps_none', 'model.json'), '-f', 'sympy', '--form', 'tensor']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^# predict\(input1\): input1 of shape \(\.\.\., T, 3\)/m);
    expect(r.out).toMatch(/for t in range\(/);
  });
  it('--weights symbolic prints the tensor form with predict(params, …) (test/symbolic-tensor-python.test.ts runs it)', async () => {
    const r = await cli([join(FIXTURES, 'act_relu', 'model.json'), '-f', 'sympy', '--form', 'tensor', '--weights', 'symbolic']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/\(tensor form, symbolic weights\)\. Do not edit\.$/);
    expect(r.out).toMatch(/^def predict\(params, input1\):$/m);
  });
});
