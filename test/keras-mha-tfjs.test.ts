import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { unzipSync } from 'fflate';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { FIXTURES, flat, mismatch, readReference, runJs, tmpDir } from './helpers.js';

// Keras's own MultiHeadAttention algorithm as a second oracle for the Keras MHA fixtures. No public
// Keras file with MultiHeadAttention and Keras's own predictions was found (searched again this stop),
// and TensorFlow is not installed; but @tensorflow/tfjs 4.22 ships Google's port of Keras's
// MultiHeadAttention (tfjs-layers/dist/layers/nlp/multihead_attention, EinsumDense projections,
// causal and explicit masks), which its package index does not export. It is bundled here with
// esbuild against the installed tfjs-core, given each fixture's weights as read by h5wasm (not by
// nn2eq's loader), and run on the reference's inputs. Two checks per fixture: TF.js agrees with the
// PyTorch outputs in reference.json (so those references are what Keras computes), and nn2eq's JS
// tensor form agrees with TF.js.

const ROOT = join(FIXTURES, 'keras-attention');
const require = createRequire(import.meta.url);

interface Sublayer {
  weights: { shape: number[] }[];
  setWeights(ws: unknown[]): void;
}
interface MhaLayer {
  queryDense: Sublayer;
  keyDense: Sublayer;
  valueDense: Sublayer;
  outputDense: Sublayer;
  callAndReturnAttentionScores(q: unknown, kw: Record<string, unknown>): [{ arraySync(): unknown }, { arraySync(): unknown }];
}
type Tf = { tensor(v: unknown, shape?: number[]): unknown; serialization: { SerializationMap: { getMap(): { classNameMap: Record<string, unknown> } } } };
let tf: Tf;
let MultiHeadAttention: new (args: Record<string, unknown>) => MhaLayer;

/**
 * Loading the bundle registers its own copy of every Keras class (Dense, the initializers, …) in
 * tfjs-core's one serialization map, over the package's; the bundle's layers need them while it runs.
 * A later tf.loadLayersModel in this process (the test files of a vitest worker share one) would
 * build the bundle's Dense, which names its variables from a counter of its own ('dense_Dense4/kernel_1
 * was already registered'): the package's classes are put back when this file is done.
 */
let packageClasses: Record<string, unknown> | undefined;
afterAll(() => {
  if (!packageClasses) return;
  const registry = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const name of Object.keys(registry)) delete registry[name];
  Object.assign(registry, packageClasses);
});

beforeAll(async () => {
  const out = join(tmpDir(), 'tfjs-mha.mjs');
  const core = require.resolve('@tensorflow/tfjs-core');
  await build({
    stdin: { contents: "export { MultiHeadAttention } from '@tensorflow/tfjs-layers/dist/layers/nlp/multihead_attention';", resolveDir: process.cwd() },
    bundle: true,
    format: 'esm',
    platform: 'node',
    // One tfjs-core for the bundle and for @tensorflow/tfjs, so the bundle's layer runs on the backend tfjs registers.
    plugins: [{ name: 'one-core', setup: (b) => b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, () => ({ path: core, external: true })) }],
    outfile: out,
    logLevel: 'error',
  });
  tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
  packageClasses = { ...tf.serialization.SerializationMap.getMap().classNameMap };
  ({ MultiHeadAttention } = (await import(pathToFileURL(out).href)) as { MultiHeadAttention: typeof MultiHeadAttention });
  await h5wasm.ready;
}, 60_000);

/** Every dataset of an HDF5 file by path, as [shape, values]. */
function datasets(bytes: Uint8Array): Map<string, { shape: number[]; values: number[] }> {
  const path = join(tmpDir(), 'w.h5');
  writeFileSync(path, bytes);
  const f = new h5wasm.File(path, 'r');
  const found = new Map<string, { shape: number[]; values: number[] }>();
  const walk = (g: InstanceType<typeof h5wasm.Group>, at: string) => {
    for (const k of g.keys()) {
      const c = g.get(k);
      if (c instanceof h5wasm.Group) walk(c, `${at}/${k}`);
      else if (c instanceof h5wasm.Dataset) found.set(`${at}/${k}`, { shape: [...(c.shape ?? [])], values: Array.from(c.value as Float32Array) });
    }
  };
  walk(f, '');
  f.close();
  return found;
}

/** The q, k, v and output projections' kernel and bias of the fixture's layer 'mha', in that order. */
function weightsOf(name: string): { file: string; weights?: string; ws: { shape: number[]; values: number[] }[] } {
  const dir = join(ROOT, name);
  const roles = ['query', 'key', 'value', 'attention_output'];
  const pick = (d: Map<string, { shape: number[]; values: number[] }>, path: (role: string, k: number) => string) =>
    roles.flatMap((r) => [0, 1].map((k) => d.get(path(r, k)) ?? (() => { throw new Error(`${name}: no ${path(r, k)}`); })()));
  if (name === 'mha_cross_mask') {
    const d = datasets(unzipSync(readFileSync(join(dir, 'model.keras')))['model.weights.h5']);
    const keras3 = { query: 'query_dense', key: 'key_dense', value: 'value_dense', attention_output: 'output_dense' } as Record<string, string>;
    return { file: join(dir, 'model.keras'), ws: pick(d, (r, k) => `/layers/multi_head_attention/${keras3[r]}/vars/${k}`) };
  }
  if (name === 'mha_causal') {
    const d = datasets(readFileSync(join(dir, 'weights.h5')));
    return { file: join(dir, 'arch.json'), weights: join(dir, 'weights.h5'), ws: pick(d, (r, k) => `/mha/mha/${r}/${k ? 'bias' : 'kernel'}:0`) };
  }
  const d = datasets(readFileSync(join(dir, 'model.h5')));
  return { file: join(dir, 'model.h5'), ws: pick(d, (r, k) => `/model_weights/mha/mha/${r}/${k ? 'bias' : 'kernel'}:0`) };
}

const FIXTURE_SET = [
  // name, TF.js layer arguments, how the reference inputs are passed, outputs compared
  { name: 'mha_self', args: { numHeads: 2, keyDim: 4, valueDim: 4 }, call: (x: unknown[]) => [x[0], { value: x[0] }], scores: false },
  { name: 'mha_causal', args: { numHeads: 3, keyDim: 2, valueDim: 3, outputShape: 5 }, call: (x: unknown[]) => [x[0], { value: x[0], useCausalMask: true }], scores: true },
  { name: 'mha_cross_mask', args: { numHeads: 2, keyDim: 3, valueDim: 3 }, call: (x: unknown[]) => [x[0], { value: x[1], attentionMask: x[2] }], scores: false },
] as const;

describe("Keras MultiHeadAttention fixtures against TF.js's port of Keras's MultiHeadAttention", () => {
  for (const fx of FIXTURE_SET) {
    it(`${fx.name}: TF.js matches reference.json (PyTorch), and nn2eq's JS tensor form matches TF.js`, async () => {
      const ref = readReference(join(ROOT, fx.name));
      const { file, weights, ws } = weightsOf(fx.name);
      const layer = new MultiHeadAttention({ ...fx.args, useBias: true });
      const run = (inputs: unknown[]): number[] => {
        const [q, kw] = fx.call(inputs.map((x) => tf.tensor([x]))) as [unknown, Record<string, unknown>];
        const [out, scores] = layer.callAndReturnAttentionScores(q, kw);
        return fx.scores ? [...flat(out.arraySync()), ...flat(scores.arraySync())] : flat(out.arraySync());
      };
      run(ref.cases[0].inputs); // builds the layer's weights from the input shapes
      [layer.queryDense, layer.keyDense, layer.valueDense, layer.outputDense].forEach((sub, k) => {
        const pair = ws.slice(2 * k, 2 * k + 2);
        expect(sub.weights.map((w) => w.shape)).toEqual(pair.map((w) => w.shape));
        sub.setWeights(pair.map((w) => tf.tensor(w.values, w.shape)));
      });
      const byTfjs = ref.cases.map((c) => run(c.inputs));
      byTfjs.forEach((t, i) => expect(mismatch(t, flat(ref.cases[i].outputs), 1e-5, 1e-4), `TF.js vs PyTorch, case ${i}`).toBeNull());
      const { text } = await convertFile(file, { format: 'js', form: 'tensor', weights });
      const byNn2eq = await runJs(text, ref.cases.map((c) => c.inputs));
      byNn2eq.forEach((g, i) => expect(mismatch(g, byTfjs[i], 1e-5, 1e-4), `nn2eq JS vs TF.js, case ${i}`).toBeNull());
    }, 60_000);
  }
});
