import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cCompiler, cInput, compileC, extraRunners, parseCNumbers, programFromJson, runMathjsText, type TensorJson } from '../src/verify/extra-runtimes.js';
import { buildProgram, convertFile, evaluate, loadModel, Nn2eqError, scalarize, type TensorProgram } from '../src/index.js';
import { expandProgram } from '../src/transform/expand.js';
import { jacobian, paramGradient } from '../src/ir/jacobian.js';
import { rebuild } from '../src/ir/rebuild.js';
import { gradientProgram, jacobianProgram } from '../src/transform/jacobian-tensor.js';
import type { TransformOptions } from '../src/transform/options.js';
import { PolySpace, polynomialProgram } from '../src/transform/poly.js';
import { pruneProgram } from '../src/transform/prune.js';
import { restrictProgram } from '../src/transform/input-range.js';
import { samplePoints } from '../src/transform/taylor.js';
import { oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, python, readReference, runJs, runNumpy, runSympy, runWolframTensor, tfFixture, tfWeightGradients, tmpDir, tmpFile } from './helpers.js';

/*
 * The transforms in the tensor form (--form tensor): each is an IR-to-IR function on the tensor
 * program, property-tested against the scalar IR here, and run end to end through every format
 * with a tensor form, in that format's runtime, against TF.js.
 */

const fixtures = fixtureNames();

async function program(name: string): Promise<TensorProgram> {
  return buildProgram(await loadModel(join(FIXTURES, name, 'model.json')), FIXTURE_OPTIONS[name] ?? {});
}

/** The program's outputs at `x`, through the scalar IR (float64). */
function run(p: TensorProgram, points: readonly number[][]): number[][] {
  const ex = scalarize(p, { stableSoftmax: true });
  return points.map((x) => {
    const v = evaluate(ex.graph, x);
    return ex.outputIds.map((o) => v[o]);
  });
}

function randomPoints(p: TensorProgram, count: number, seed: number, lo = -2, hi = 2): number[][] {
  const n = p.inputs.reduce((s, i) => s + i.tensor.shape.reduce((a, b) => a * b, 1), 0);
  const r = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: n }, () => lo + (hi - lo) * r()));
}

/** Relative agreement, with NaN only where both are NaN (an overflow both ways). */
function close(got: readonly number[], want: readonly number[], tol: number): string | null {
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) return `entry ${i}: ${got[i]} vs ${want[i]}`;
  }
  return got.length === want.length ? null : `${got.length} entries, expected ${want.length}`;
}

const fixedLength = async (name: string) => !(await program(name)).inputs.some((i) => i.tensor.shape.includes(-1));

describe('tensor-form transforms are IR-to-IR: the scalar IR agrees before and after', async () => {
  const names: string[] = [];
  for (const name of fixtures) if (await fixedLength(name)) names.push(name);

  for (const name of names) {
    it(`${name}: --expand changes no value; --jacobian equals the scalar reverse mode (or is refused, typed)`, async () => {
      const p = await program(name);
      const xs = randomPoints(p, 4, name.length);
      const before = run(p, xs);
      const e = expandProgram(p);
      const after = run(e.program, xs);
      // exp(2z) overflows past z > 354 where tanh does not; the random inputs stay far from that.
      before.forEach((b, i) => expect(close(after[i], b, 1e-9), `expand, point ${i}`).toBeNull());

      let j;
      try {
        j = jacobianProgram(p);
      } catch (err) {
        expect(err).toBeInstanceOf(Nn2eqError);
        expect((err as Nn2eqError).kind).toBe('unsupported');
        expect((err as Error).message).toMatch(/has no tensor-form derivative/);
        return;
      }
      const ex = scalarize(p, { stableSoftmax: true });
      const n = ex.inputs.reduce((s, q) => s + q.size, 0);
      const rev = jacobian(ex.graph, ex.outputIds, n);
      const got = run(j.program, xs);
      const wants = xs.map((x) => {
        const v = evaluate(rev.graph, x);
        return rev.outputs.map((o) => v[o]);
      });
      xs.forEach((_, i) => expect(close(got[i], wants[i], 1e-9), `jacobian, point ${i}`).toBeNull());
      // And the JS tensor text of it (float32 weights) at the same points.
      const { text } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'js', form: 'tensor', transforms: { jacobian: true }, ...FIXTURE_OPTIONS[name] });
      const js = await runJs(text, nestedCases(name, xs));
      xs.forEach((_, i) => expect(close(js[i], wants[i], 1e-4), `js text, point ${i}`).toBeNull());
    });
  }

  it('--input-range is exact on the box, and rewrites units on every Dense -> ReLU -> Dense fixture', async () => {
    let rewritten = 0;
    for (const name of names) {
      const p = await program(name);
      const n = p.inputs.reduce((s, i) => s + i.tensor.shape.reduce((a, b) => a * b, 1), 0);
      for (const [lo, hi] of [[0, 0.2], [-0.3, 0.1]]) {
        const box = Array.from({ length: n }, () => [lo, hi] as [number, number]);
        const ex = scalarize(p, { stableSoftmax: true, keepValues: true });
        const r = restrictProgram(p, box, ex);
        rewritten += r.report.inactive + r.report.linear;
        const xs = randomPoints(p, 4, n, lo, hi);
        const before = run(p, xs);
        const after = run(r.program, xs);
        before.forEach((b, i) => expect(close(after[i], b, 1e-9), `${name} [${lo}, ${hi}] point ${i}`).toBeNull());
      }
    }
    expect(rewritten).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name}: --gradient params in the tensor form equals the scalar reverse mode over the weights (or is refused, typed)`, async () => {
      const p = await program(name);
      let g;
      try {
        g = gradientProgram(p);
      } catch (err) {
        expect(err).toBeInstanceOf(Nn2eqError);
        expect((err as Error).message).toMatch(/has no tensor-form gradient|has no weights/);
        return;
      }
      const ex = scalarize(p, { stableSoftmax: true, symbolicWeights: true });
      const r = paramGradient(ex.graph, ex.outputIds);
      const numeric = rebuild(r.graph, r.outputs, (gg, node) => (node.op === 'param' ? gg.constant(r.graph.params[node.table!].values[node.value]) : undefined));
      const xs = randomPoints(p, 3, name.length + 1);
      const wants = xs.map((x) => {
        const v = evaluate(numeric.graph, x);
        return numeric.outputs.map((o) => v[o]);
      });
      const got = run(g.program, xs);
      xs.forEach((_, i) => expect(close(got[i], wants[i], 1e-9), `gradient, point ${i}`).toBeNull());
      const { text } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'js', form: 'tensor', transforms: { gradient: 'params' }, ...FIXTURE_OPTIONS[name] });
      const js = await runJs(text, nestedCases(name, xs));
      xs.forEach((_, i) => expect(close(js[i], wants[i], 1e-4), `js text, point ${i}`).toBeNull());
    });
  }

  it('--prune sets exactly the small kernel weights to 0 and keeps everything else', async () => {
    const p = await program('keras_functional');
    const r = pruneProgram(p, 0.1);
    expect(r.dropped).toBeGreaterThan(0);
    let changed = 0;
    p.tensors.forEach((t, id) => {
      if (t.kind !== 'const') return;
      const v = r.program.tensors[id].values!;
      for (let i = 0; i < v.length; i++) {
        if (v[i] === t.values![i]) continue;
        changed++;
        expect(v[i]).toBe(0);
        expect(Math.abs(t.values![i])).toBeLessThan(0.1);
      }
    });
    expect(changed).toBe(r.dropped);
    // Nothing below 0 is dropped at eps 0.
    expect(pruneProgram(p, 0).dropped).toBe(0);
  });

  it('the polynomial program evaluates each polynomial as the polynomial arithmetic does', async () => {
    const p = await program('mathematica_3_2_2_2');
    const space = new PolySpace(3, 3, [[-1, 1], [-1, 1], [-1, 1]]);
    const r = mulberry32(7);
    const polys = [0, 1].map(() => Float64Array.from({ length: space.size }, () => r() - 0.5));
    const at = [0.1, -0.2, 0.3];
    const q = polynomialProgram(space, polys, at, p);
    const xs = randomPoints(p, 6, 3, -1, 1);
    const got = run(q, xs);
    xs.forEach((x, i) => {
      const u = x.map((v, k) => v - at[k]);
      expect(close(got[i], polys.map((c) => space.evaluate(c, u)), 1e-12)).toBeNull();
    });
  });
});

// ---- end to end: every format with a tensor form, in its runtime, against TF.js ----

const cc = cCompiler();

function exec(exe: string, args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(exe, args, { encoding: 'utf8', maxBuffer: 1 << 26 }, (err, out, errText) => (err ? reject(new Error(errText || err.message)) : resolve(out)));
    child.stdin!.end(stdin);
  });
}

async function runC(text: string, cases: unknown[][], m: number): Promise<number[][]> {
  const exe = await compileC(cc!, text, tmpDir());
  return parseCNumbers(await exec(exe, [String(flat(cases[0]).length), String(m)], cInput(cases.map((c) => flat(c)))), m);
}

async function runWolframTensorText(text: string, cases: unknown[][]): Promise<number[][]> {
  const [answer] = await runWolframTensor([{ text, cases }]);
  if ('error' in answer) throw new Error(answer.error);
  return answer.map((row) => row.map((v) => (v === null ? NaN : v)));
}

function runJsonTensor(text: string, cases: unknown[][]): number[][] {
  const doc = JSON.parse(text) as TensorJson & { form: string };
  expect(doc.form).toBe('tensor');
  return run(programFromJson(doc), cases.map((c) => flat(c)));
}

/** Each transform on a fixture it applies to, what the right answer is, and the tolerance its header states. */
interface Case {
  name: string;
  fixture: string;
  transforms: TransformOptions;
  box: [number, number];
  tolerance: (text: string) => number;
  /** The oracle: TF.js's prediction, or its gradient (tf.grads) for --jacobian, or tf.variableGrads for --gradient params. */
  jacobian?: boolean;
  gradient?: boolean;
}

const CASES: Case[] = [
  { name: '--input-range', fixture: 'functional_chain', transforms: { inputRange: [[0, 0.2]] }, box: [0, 0.2], tolerance: () => 1e-5 },
  { name: '--expand', fixture: 'act_swish', transforms: { expand: true }, box: [-2, 2], tolerance: () => 1e-5 },
  { name: '--expand (LSTM gates)', fixture: 'keras1_lstm', transforms: { expand: true }, box: [-1, 1], tolerance: () => 1e-5 },
  { name: '--prune', fixture: 'keras_functional', transforms: { prune: 0.1, range: [-1, 1] }, box: [-1, 1], tolerance: (t) => Number(/largest output change ([\d.e+-]+)/.exec(t)![1]) * 1.5 + 1e-5 },
  { name: '--taylor 4', fixture: 'act_gelu', transforms: { taylor: 4, range: [-0.5, 0.5] }, box: [-0.5, 0.5], tolerance: (t) => Number(/\|error\| <= ([\d.e+-]+)/.exec(t)![1]) + 1e-5 },
  { name: '--taylor 2 --at 0.2', fixture: 'medium_1_3_2_1', transforms: { taylor: 2, at: [0.2], range: [0, 0.4] }, box: [0, 0.4], tolerance: (t) => Number(/\|error\| <= ([\d.e+-]+)/.exec(t)![1]) + 1e-5 },
  { name: '--taylor 3 (3 inputs)', fixture: 'mathematica_3_2_2_2', transforms: { taylor: 3, range: [-0.3, 0.3] }, box: [-0.3, 0.3], tolerance: (t) => Number(/\|error\| <= ([\d.e+-]+)/.exec(t)![1]) + 1e-5 },
  { name: '--fit 3', fixture: 'act_mish', transforms: { fit: 3, range: [-1, 1] }, box: [-1, 1], tolerance: (t) => Number(/measured max ([\d.e+-]+)/.exec(t)![1]) * 1.5 + 1e-5 },
  { name: '--jacobian', fixture: 'medium_1_3_2_1', transforms: { jacobian: true }, box: [-1, 1], tolerance: () => 2e-4, jacobian: true },
  { name: '--jacobian (3 inputs)', fixture: 'mathematica_3_2_2_2', transforms: { jacobian: true }, box: [-1, 1], tolerance: () => 2e-4, jacobian: true },
  { name: '--jacobian (softmax)', fixture: 'act_softmax', transforms: { jacobian: true }, box: [-1, 1], tolerance: () => 2e-4, jacobian: true },
  { name: '--gradient params', fixture: 'keras_sequential', transforms: { gradient: 'params' }, box: [-1, 1], tolerance: () => 1e-4, gradient: true },
  { name: '--gradient params (softmax)', fixture: 'act_softmax', transforms: { gradient: 'params' }, box: [-1, 1], tolerance: () => 1e-4, gradient: true },
  { name: '--jacobian (layer normalization)', fixture: 'layer_layernorm', transforms: { jacobian: true }, box: [-1, 1], tolerance: () => 2e-4, jacobian: true },
  { name: '--jacobian (LSTM)', fixture: 'keras1_lstm', transforms: { jacobian: true }, box: [-1, 1], tolerance: () => 2e-4, jacobian: true },
  { name: '--jacobian (GRU, backwards)', fixture: 'rnn_gru_backwards', transforms: { jacobian: true }, box: [-1, 1], tolerance: () => 2e-4, jacobian: true },
  { name: '--jacobian (convolution)', fixture: 'conv1d_same_strided', transforms: { jacobian: true }, box: [-1, 1], tolerance: () => 2e-4, jacobian: true },
];

async function tfPredict(fixture: string, points: number[][]): Promise<number[][]> {
  const m = await oracleModel(await loadModel(join(FIXTURES, fixture, 'model.json')));
  const per = await oraclePredict(m, readReference(join(FIXTURES, fixture)).input_shapes, points.map((p) => Float64Array.from(p)));
  return points.map((_, i) => per.flatMap((o) => o[i]));
}

/** J by tf.grads of each flattened output at one point (float32). */
async function tfJacobian(fixture: string, x: number[]): Promise<number[]> {
  const fx = (await tfFixture(fixture, nestedCases(fixture, [x])[0]))!;
  const { tf, model, xs, outCount } = fx;
  const rows: number[][] = [];
  for (let i = 0; i < outCount; i++) {
    const grads = tf.grads((...args: unknown[]) => {
      const y = model.apply(args.length === 1 ? args[0] : args);
      const flatY = tf.concat((Array.isArray(y) ? y : [y]).map((t: { reshape: (s: number[]) => unknown }) => t.reshape([-1])));
      return flatY.slice([i], [1]).sum();
    })(xs);
    rows.push(grads.flatMap((g: { dataSync: () => Float32Array }) => Array.from(g.dataSync())));
  }
  return rows.flat();
}

/** G[i][k] = ∂y_i/∂θ_k by tf.variableGrads, θ the weights in first-use order (the order the header states), matched to TF.js's by value. */
async function tfGradient(fixture: string, x: number[]): Promise<number[]> {
  const p = await program(fixture);
  const seen = new Set<number>();
  for (const eq of p.equations) for (const a of eq.args) if (p.tensors[a].kind === 'const') seen.add(a);
  const params = [...seen].map((id) => p.tensors[id].values!);
  const tfg = (await tfWeightGradients(fixture, nestedCases(fixture, [x])[0]))!;
  const rows = tfg[0].grads.length;
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (const v of params) {
      const w = tfg.find((g) => g.values.length === v.length && Array.from(v).every((q, k) => Math.fround(q) === g.values[k]));
      if (!w) throw new Error(`no TF.js weight holds the values of a ${v.length}-element weight`);
      out.push(...w.grads[i]);
    }
  }
  return out;
}

/** Inputs of a case in the shapes predict takes (one nested array per model input). */
function nestedCases(fixture: string, points: number[][]): unknown[][] {
  const shapes = readReference(join(FIXTURES, fixture)).input_shapes;
  const nest = (v: number[], shape: readonly number[]): unknown => (shape.length <= 1 ? v : Array.from({ length: shape[0] }, (_, i) => nest(v.slice((i * v.length) / shape[0], ((i + 1) * v.length) / shape[0]), shape.slice(1))));
  return points.map((x) => {
    let at = 0;
    return shapes.map((s) => {
      const size = s.reduce((a, b) => a * b, 1);
      const part = x.slice(at, at + size);
      at += size;
      return nest(part, s);
    });
  });
}

for (const c of CASES) {
  describe(`${c.name} on ${c.fixture} in the tensor form: every format against TF.js within the stated error`, () => {
    const model = join(FIXTURES, c.fixture, 'model.json');
    const n = readReference(join(FIXTURES, c.fixture)).input_shapes.reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
    const xs = samplePoints(Array.from({ length: n }, () => c.box), 8).slice(0, 8);
    const cases = nestedCases(c.fixture, xs);
    let want: Promise<number[][]> | undefined;
    const oracle = () => (want ??= c.gradient ? Promise.all(xs.map((x) => tfGradient(c.fixture, x))) : c.jacobian ? Promise.all(xs.map((x) => tfJacobian(c.fixture, x))) : tfPredict(c.fixture, xs));
    const text = async (format: 'js' | 'numpy' | 'mathematica' | 'c' | 'json' | 'latex' | 'mathjs' | 'julia' | 'sympy') => {
      const r = await convertFile(model, { format, form: 'tensor', transforms: c.transforms, ...FIXTURE_OPTIONS[c.fixture] });
      expect(r.form).toBe('tensor');
      expect(r.text).not.toMatch(/dropped 0 of|, 0 always active/);
      return r.text;
    };
    const compare = async (got: number[][], t: string) => {
      const w = await oracle();
      const tol = c.tolerance(t);
      expect(got.length).toBe(w.length);
      got.forEach((g, i) => {
        expect(g.length, `point ${i}`).toBe(w[i].length);
        g.forEach((v, k) => expect(Math.abs(v - w[i][k]), `point ${i} output ${k}`).toBeLessThanOrEqual(tol + (c.jacobian || c.gradient ? 2e-3 : 1e-5) * Math.abs(w[i][k])));
      });
    };
    it('js', async () => {
      const t = await text('js');
      await compare(await runJs(t, cases), t);
    });
    withPython('numpy', async () => {
      const t = await text('numpy');
      await compare(await runNumpy(t, cases), t);
    });
    withPython('mathematica (the tensor-form Wolfram interpreter over sympy)', async () => {
      const t = await text('mathematica');
      await compare(await runWolframTensorText(t, cases), t);
    }, 120_000);
    if (cc) {
      it('c (gcc -std=c99 -Wall -Werror)', async () => {
        const t = await text('c');
        const outs = (await oracle())[0].length;
        await compare(await runC(t, cases, outs), t);
      }, 60_000);
    } else if (inCI) it('c', () => expect.fail('gcc not found; apt-get install -y gcc'));
    else it.skip('c [needs gcc]', () => undefined);
    it('json (read back as a tensor program and evaluated)', async () => {
      const t = await text('json');
      await compare(runJsonTensor(t, cases), t);
    });
    withPython('sympy (object arrays of SymPy numbers)', async () => {
      const t = await text('sympy');
      const shapes = readReference(join(FIXTURES, c.fixture)).input_shapes;
      const [got] = await runSympy(python.exe, [tmpFile('py', t)], [xs], [shapes]);
      if (got instanceof Error) throw got;
      await compare(got, t);
    });
    it('mathjs (evaluated by mathjs)', async () => {
      const t = await text('mathjs');
      await compare(await runMathjsText(t, xs), t);
    });
    it('julia prints (no Julia runtime here to run it: see test/tensor-julia.test.ts)', async () => {
      const t = await text('julia');
      expect(t).toMatch(/^# Generated by nn2eq .*\(tensor form/);
    });
    for (const format of ['html', 'svg'] as const) {
      it(`${format} renders (the tensor form's LaTeX as a page, as a picture)`, async () => {
        const r = await convertFile(model, { format, form: 'tensor', transforms: c.transforms, ...FIXTURE_OPTIONS[c.fixture] });
        expect(r.form).toBe('tensor');
        expect(await extraRunners(r.text, [], [])[format]()).toEqual({ valid: true });
      }, 60_000);
    }
    it('latex renders in KaTeX', async () => {
      const t = await text('latex');
      expect(t.startsWith('% ')).toBe(true);
      expect(await checkLatex(t)).toEqual({ valid: true });
    });
  });
}

describe('tensor-form transforms: what they refuse, with exit 2 and one line', () => {
  const refuse = async (name: string, opts: TransformOptions, pattern: RegExp) => {
    const e = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'numpy', form: 'tensor', transforms: opts }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Nn2eqError);
    expect((e as Error).message).toMatch(pattern);
    expect((e as Error).message).not.toMatch(/\n/);
  };
  it('--gradient params through a layer it has no gradient for, naming the layer', () => refuse('keras1_lstm', { gradient: 'params' }, /a scan \(layer '[^']+', LSTM\) has no tensor-form gradient/));
  it('--jacobian through a layer it has no derivative for, naming the layer', () => refuse('merge_all', { jacobian: true }, /a dot \(layer 'cosine', Dot\) has no tensor-form derivative/));
  it('--jacobian and --taylor together', () => refuse('medium_1_3_2_1', { jacobian: true, taylor: 2 }, /choose one/));
  it('--form auto keeps printing the small models of transforms in the scalar form', async () => {
    const r = await convertFile(join(FIXTURES, 'medium_1_3_2_1', 'model.json'), { format: 'numpy', form: 'auto', transforms: { taylor: 3 } });
    expect(r.form).toBe('scalar');
  });
  it('--format json --taylor prints nn2poly\'s table in the scalar form, the tensor program with --form tensor', async () => {
    const path = join(FIXTURES, 'medium_1_3_2_1', 'model.json');
    const scalar = JSON.parse((await convertFile(path, { format: 'json', transforms: { taylor: 3 } })).text);
    expect(Object.keys(scalar)).toContain('labels');
    const tensor = JSON.parse((await convertFile(path, { format: 'json', form: 'tensor', transforms: { taylor: 3 } })).text);
    expect(tensor.form).toBe('tensor');
    expect(tensor.equations.map((e: { op: string }) => e.op)).toContain('monomials');
  });
});
