import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertWithIR } from '../src/convert.js';
import { buildTfProgram, tfModelSpec } from '../src/extract/tf/index.js';
import { loadAnyModel, type TfGraphModel } from '../src/load/index.js';
import { loadTf } from '../src/verify/oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { flat, mismatch, pool, python, runCRows, runPyDriver, SHARED, withCC } from './helpers.js';

// More real TF.js graph models (test/models/tfjs-graph-more/INDEX.md), kept apart from the ten of
// test/models/tfjs-graph that the extractor was written against: each converted once to the NumPy,
// JS and C tensor forms, run in one node process, one python3 process and by gcc, against TF.js
// itself (CPU backend) running the same model.json and shards on the same seeded image.
const ROOT = join(SHARED, 'tfjs-graph-more');

/**
 * Tolerances: TF.js computes in float32, the emitted code in float64. The deeper detectors differ
 * from TF.js by up to ~1e-4 on outputs of tens (their box regressors), which float32 sums explain.
 */
const MODELS: Record<string, { atol: number; rtol: number }> = {
  age: { atol: 1e-5, rtol: 1e-4 },
  emotion: { atol: 1e-5, rtol: 1e-4 },
  liveness: { atol: 1e-5, rtol: 1e-4 },
  'facemesh-detection-short': { atol: 1e-4, rtol: 1e-3 },
  selfie: { atol: 1e-5, rtol: 1e-4 },
  meet: { atol: 1e-4, rtol: 1e-3 },
};

interface Case {
  name: string;
  /** One seeded image per input, without the batch axis (nested arrays). */
  inputs: unknown[];
  /** TF.js's outputs, flat, in the model's output order. */
  want: number[][];
  texts: Record<'js' | 'numpy' | 'c', string>;
}

const cases = new Map<string, Case | Error>();

/** Nested arrays of `shape` filled from `next`, in float32 values (TF.js's input precision). */
function nested(shape: readonly number[], next: () => number): unknown {
  if (shape.length === 0) return Math.fround(next());
  return Array.from({ length: shape[0] }, () => nested(shape.slice(1), next));
}

/**
 * TF.js's outputs `names` for one image per input: the model loaded from the file's own topology,
 * manifest and shard bytes (tf.io.fromMemory).
 */
async function tfjsOutputs(file: string, feeds: Record<string, { value: unknown; shape: number[] }>, names: readonly string[]): Promise<number[][]> {
  const tf = await loadTf();
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const weightSpecs = doc.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const all = Buffer.concat(doc.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(dirname(file), p)))));
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: doc.modelTopology, weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), signature: doc.signature, userDefinedMetadata: doc.userDefinedMetadata }));
  const feed = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, tf.tensor(flat(v.value), v.shape, 'float32')]));
  const res = model.execute(feed, [...names]);
  const list = Array.isArray(res) ? res : [res];
  const out = list.map((t: { dataSync(): Float32Array }) => Array.from(t.dataSync()));
  tf.dispose([...list, ...Object.values(feed)]);
  return out;
}

beforeAll(async () => {
  let seed = 28;
  for (const name of Object.keys(MODELS)) {
    try {
      const file = join(ROOT, name, 'model.json');
      const loaded = await loadAnyModel(file);
      const graph = (loaded as { tfgraph: TfGraphModel }).tfgraph;
      const program = buildTfProgram(graph);
      const spec = tfModelSpec(graph, program);
      const next = mulberry32(seed++);
      const feeds: Record<string, { value: unknown; shape: number[] }> = {};
      const inputs = graph.inputs.map((inp, k) => {
        // The formula's input shape (a batch axis of 1 or -1 dropped); TF.js is fed the file's rank.
        const shape = [...program.inputs[k].tensor.shape];
        const value = nested(shape, next);
        feeds[inp.tensor.replace(/:0$/, '')] = { value, shape: inp.dims && inp.dims.length === shape.length + 1 ? [1, ...shape] : shape };
        return value;
      });
      const want = await tfjsOutputs(file, feeds, graph.outputs.map((o) => o.tensor));
      const texts = Object.fromEntries((['js', 'numpy', 'c'] as const).map((f) => [f, convertWithIR(spec, { format: f, form: 'tensor' }, program).text])) as Case['texts'];
      cases.set(name, { name, inputs, want, texts });
    } catch (e) {
      cases.set(name, e as Error);
    }
  }
}, 300_000);

function get(name: string): Case {
  const c = cases.get(name);
  if (c instanceof Error) throw c;
  return c!;
}

/** Checks outputs as predict nests them (one array, or a list for several outputs) against TF.js's. */
function expectMatches(c: Case, got: unknown): void {
  const { atol, rtol } = MODELS[c.name];
  const outs = c.want.length === 1 ? [got] : (got as unknown[]);
  expect(outs.length, `${c.name}: outputs`).toBe(c.want.length);
  c.want.forEach((w, i) => expect(mismatch(flat(outs[i]), w, atol, rtol), `${c.name}: output ${i}`).toBeNull());
}

describe('more real TF.js graph models in the tensor forms match TF.js running the same file', () => {
  it('every model converts (the graph ops they use are all mapped)', () => {
    for (const name of Object.keys(MODELS)) get(name);
  });
  it('JS (one node process for every model)', async () => {
    const names = Object.keys(MODELS);
    const out = await runNodeModules(names.map((n) => get(n).texts.js), names.map((n) => get(n).inputs));
    names.forEach((n, i) => expectMatches(get(n), out[i]));
  }, 120_000);
  withPython('NumPy (one python3 process for every model)', async () => {
    const names = Object.keys(MODELS);
    const out = await runPyDriver<unknown[]>(
      python.exe,
      `
import numpy as np
res = []
for m, rows in modules():
    out = m.predict(*[np.array(x, dtype=np.float64) for x in rows])
    res.append([o.tolist() for o in out] if isinstance(out, list) else out.tolist())
print(json.dumps(res))
`,
      names.map((n) => get(n).texts.numpy),
      names.map((n) => get(n).inputs as number[][]),
    );
    names.forEach((n, i) => expectMatches(get(n), out[i]));
  }, 120_000);
  withCC('C (gcc, two compiles at a time)', async () => {
    const names = Object.keys(MODELS);
    const rows = await pool(
      names.map((n) => () => {
        const c = get(n);
        return runCRows(c.texts.c, [flat(c.inputs)], c.want.reduce((s, w) => s + w.length, 0)).then(([row]) => row);
      }),
      2,
    );
    names.forEach((n, i) => {
      // C writes the outputs flat in the model's order: cut them by the sizes of TF.js's outputs.
      const c = get(n);
      let at = 0;
      const parts = c.want.map((w) => rows[i].slice((at += w.length) - w.length, at));
      expectMatches(c, c.want.length === 1 ? parts[0] : parts);
    });
  }, 120_000);
});

/** Runs ES modules' predict in a child node process (not through vitest's transform): each module with its inputs. */
function runNodeModules(texts: readonly string[], inputs: readonly unknown[][]): Promise<unknown[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nn2eq-graph-more-'));
  const files = texts.map((t, i) => {
    const f = join(dir, `m${i}.mjs`);
    writeFileSync(f, t);
    return pathToFileURL(f).href;
  });
  const driver = `let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', async () => {
    const out = [];
    for (const [file, inputs] of JSON.parse(s)) out.push((await import(file)).predict(...inputs));
    process.stdout.write(JSON.stringify(out));
  });`;
  return new Promise((resolvePromise, reject) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', driver], { maxBuffer: 1 << 28 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolvePromise(JSON.parse(stdout) as unknown[])));
    child.stdin!.end(JSON.stringify(files.map((f, i) => [f, inputs[i]])));
  });
}
