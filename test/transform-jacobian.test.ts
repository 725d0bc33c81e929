import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertFile, evaluate, extract, loadModel, type Extracted } from '../src/index.js';
import { jacobian } from '../src/ir/jacobian.js';
import { withPython } from './check.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference, runJs, runNumpy, runWolfram, tfFixture, tmpDir } from './helpers.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { loadTf } from '../src/verify/oracle.js';

const KINKS = new Set(['max', 'min', 'step', 'abs', 'lookup']);

/** Fixtures TF.js cannot run or differentiate (README's list, plus a dilated conv's gradient); finite differences check them. */
const TF_GAPS = new Set(['conv2d_dilated_channels_first', 'layer_softmax_axis1', 'act_exponential', 'act_gelu_new', 'conv1d_causal_dilated', 'layer_separable_conv1d', 'layer_depthwise_conv1d', 'rnn_gru_reset_after', 'layer_batchnorm_axis1_plain']);

async function load(name: string): Promise<Extracted> {
  return extract(await loadModel(join(FIXTURES, name, 'model.json')), FIXTURE_OPTIONS[name] ?? {});
}

function inputCount(ex: Extracted): number {
  return ex.inputs.reduce((s, p) => s + p.size, 0);
}

/** J by the transform, evaluated in float64: rows of outputs, columns of inputs. */
function irJacobian(ex: Extracted, x: number[]): number[] {
  const j = jacobian(ex.graph, ex.outputIds, inputCount(ex));
  const v = evaluate(j.graph, x);
  return j.outputs.map((o) => v[o]);
}

/** J by tf.grad of each flattened output, on the model as TF.js runs it (float32). */
async function tfJacobian(name: string, inputs: unknown[]): Promise<number[] | null> {
  const fx = await tfFixture(name, inputs);
  if (!fx) return null;
  const { tf, model, xs, outCount: f0 } = fx;
  const rows: number[][] = [];
  for (let i = 0; i < f0; i++) {
    const grads = tf.grads((...args: unknown[]) => {
      const y = model.apply(args.length === 1 ? args[0] : args);
      const flatY = tf.concat((Array.isArray(y) ? y : [y]).map((t: { reshape: (s: number[]) => unknown }) => t.reshape([-1])));
      return flatY.slice([i], [1]).sum();
    })(xs);
    rows.push(grads.flatMap((g: { dataSync: () => Float32Array }) => Array.from(g.dataSync())));
  }
  return rows.flat();
}

const fixtures = fixtureNames();

describe('jacobian: against tf.grad on every smooth fixture', async () => {
  const smooth: string[] = [];
  for (const name of fixtures) {
    const ex = await load(name);
    if (!ex.graph.nodes.some((n) => KINKS.has(n.op))) smooth.push(name);
  }
  it('finds smooth fixtures', () => expect(smooth.length).toBeGreaterThan(20));
  for (const name of smooth) {
    it(name, async () => {
      finiteDifferences(await load(name), 5);
      if (TF_GAPS.has(name)) return;
      const ref = readReference(join(FIXTURES, name));
      const ex = await load(name);
      let checked = 0;
      for (const c of ref.cases.slice(0, 2)) {
        const want = await tfJacobian(name, c.inputs);
        expect(want, 'TF.js cannot load the model').not.toBeNull();
        const got = irJacobian(ex, flat(c.inputs));
        const bad = mismatch(got, want!, 2e-4, 2e-3);
        expect(bad, bad ?? '').toBeNull();
        checked++;
      }
      expect(checked).toBe(2);
    }, 60_000);
  }
});

/** Property: J equals central differences of the IR at random points in [-1.5, 1.5]^n. */
function finiteDifferences(ex: Extracted, runs: number): void {
      const n = inputCount(ex);
      const j = jacobian(ex.graph, ex.outputIds, n);
      const m = ex.outputIds.length;
      fc.assert(
        fc.property(fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }), { minLength: n, maxLength: n }), (x) => {
          const v = evaluate(j.graph, x);
          const h = 1e-6;
          for (let k = 0; k < n; k++) {
            const up = [...x];
            const down = [...x];
            up[k] += h;
            down[k] -= h;
            const vu = evaluate(ex.graph, up);
            const vd = evaluate(ex.graph, down);
            for (let i = 0; i < m; i++) {
              const fd = (vu[ex.outputIds[i]] - vd[ex.outputIds[i]]) / (2 * h);
              const got = v[j.outputs[i * n + k]];
              expect(Math.abs(got - fd)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(fd));
            }
          }
        }),
        { numRuns: runs, seed: 11 },
      );
}

describe('jacobian: against finite differences (property)', () => {
  for (const name of ['medium_1_3_2_1', 'mathematica_3_2_2_2', 'act_gelu', 'act_mish', 'rnn_lstm_sequences', 'layer_layernorm', 'merge_all', 'act_softsign']) {
    it(name, async () => finiteDifferences(await load(name), 30), 60_000);
  }

  it("relu'(0) is 0 and max passes to its first argument at ties, as in TF.js", async () => {
    const ex = await load('act_relu');
    const n = inputCount(ex);
    const got = irJacobian(ex, new Array(n).fill(0));
    const want = await tfJacobian('act_relu', readReference(join(FIXTURES, 'act_relu')).cases[0].inputs.map((x) => flat(x).map(() => 0)));
    expect(mismatch(got, want!, 1e-6, 1e-5)).toBeNull();
  });
});

describe('jacobian: through the emitters', () => {
  const cases = ['medium_1_3_2_1', 'mathematica_3_2_2_2', 'merge_all', 'act_relu'];
  for (const name of cases) {
    const model = join(FIXTURES, name, 'model.json');
    const ref = readReference(join(FIXTURES, name));
    const inputs = ref.cases.slice(0, 3).map((c) => c.inputs);
    const want = async () => Promise.all(inputs.map((x) => tfJacobian(name, x))) as Promise<number[][]>;
    it(`${name}: js module returns J [M, N] equal to tf.grad`, async () => {
      const { text } = await convertFile(model, { format: 'js', transforms: { jacobian: true } });
      expect(text).toMatch(/\/\/ Jacobian: J\[i\]\[j\]/);
      const w = await want();
      (await runJs(text, inputs)).forEach((g, i) => expect(mismatch(g, w[i], 2e-4, 2e-3)).toBeNull());
    });
    withPython(`${name}: mathematica text (through sympy) gives J equal to tf.grad`, async () => {
      const { text } = await convertFile(model, { format: 'mathematica', transforms: { jacobian: true } });
      const w = await want();
      (await runWolfram(text, inputs)).forEach((g, i) => expect(mismatch(g, w[i], 2e-4, 2e-3)).toBeNull());
    }, 120_000);
    it(`${name}: latex renders in KaTeX`, async () => {
      const { text } = await convertFile(model, { format: 'latex', transforms: { jacobian: true } });
      expect(await checkLatex(text)).toEqual({ valid: true });
    });
    withPython(`${name}: numpy source returns J equal to tf.grad`, async () => {
      const { text } = await convertFile(model, { format: 'numpy', transforms: { jacobian: true } });
      const w = await want();
      (await runNumpy(text, inputs)).forEach((g, i) => expect(mismatch(g, w[i], 2e-4, 2e-3)).toBeNull());
    });
  }
});

describe('jacobian: size', () => {
  it('a 4×16-wide tanh MLP prints under 1 MB in the let form', async () => {
    const tf = await loadTf();
    const model = tf.sequential();
    const init = (seed: number) => tf.initializers.glorotNormal({ seed });
    model.add(tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [16], kernelInitializer: init(1) }));
    for (let k = 2; k <= 4; k++) model.add(tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: init(k) }));
    model.add(tf.layers.dense({ units: 16, kernelInitializer: init(5) }));
    const dir = tmpDir();
    const { writeFileSync } = await import('node:fs');
    await model.save({
      save: async (a: { modelTopology: unknown; weightSpecs: unknown; weightData: ArrayBuffer }) => {
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }] }));
        writeFileSync(join(dir, 'w.bin'), Buffer.from(a.weightData));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    });
    for (const format of ['js', 'numpy', 'latex', 'mathematica'] as const) {
      const { text } = await convertFile(join(dir, 'model.json'), { format, transforms: { jacobian: true } });
      expect(text.length, format).toBeLessThan(1_000_000);
      expect(text.length, format).toBeGreaterThan(50_000);
    }
    // And it is right: one random point against tf.grad.
    const x = Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
    const { text } = await convertFile(join(dir, 'model.json'), { format: 'js', transforms: { jacobian: true } });
    const [got] = await runJs(text, [[x]]);
    const rows: number[] = [];
    for (let i = 0; i < 16; i++) {
      const g = tf.grad((t: unknown) => (model.apply(t) as { slice: (a: number[], b: number[]) => { sum: () => unknown } }).slice([0, i], [1, 1]).sum())(tf.tensor([x]));
      rows.push(...Array.from(g.dataSync() as Float32Array));
    }
    expect(mismatch(got, rows, 1e-4, 1e-3)).toBeNull();
  }, 120_000);
});
