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
import { convertFile } from '../src/index.js';
import { verify } from '../src/verify/index.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { A, writeGraphModel } from './tfjs-graph-fixtures.js';
import { flat, mismatch, pool, python, runCRows, runPyDriver, SHARED, tmpDir, withCC } from './helpers.js';

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

// A Keras Embedding as tensorflowjs_converter writes it (a real sentiment model's head): float ids,
// Cast to int32 (truncation), GatherV2 of a table. TF.js reads its inputs as float32, so --verify
// gives every route the same float32 values: a point just below an integer id (from --inputs-file,
// or a point beside a kink, which mixes two random points) was read as id n by the formula and as
// n+1 by TF.js, once float32 rounded it up.
describe('--verify of a graph model with float ids cast to int', () => {
  it('reads the points as TF.js does, in float32', async () => {
    const dir = tmpDir();
    const model = writeGraphModel(dir, {
      inputs: [{ name: 'ids', dims: [-1, 4] }],
      weights: [{ name: 'table', dims: [2000, 3], values: 'random' }, { name: 'axis', dims: [], values: [0], dtype: 'int32' }, { name: 'flat', dims: [2], values: [-1, 12], dtype: 'int32' }],
      nodes: [
        ['cast', 'Cast', ['ids'], { SrcT: A.type(), DstT: A.type('DT_INT32'), Truncate: A.b(false) }],
        ['lookup', 'GatherV2', ['table', 'cast', 'axis'], { batch_dims: A.i(0), Taxis: A.type('DT_INT32'), Tindices: A.type('DT_INT32'), Tparams: A.type() }],
        ['y', 'Reshape', ['lookup', 'flat'], { Tshape: A.type('DT_INT32') }],
      ],
    });
    // 2.9999999999 and 1234.99999999 are 3 and 1235 in float32; 7.5 and 0.25 are float32 already.
    const inputsFile = join(dir, 'ids.json');
    writeFileSync(inputsFile, JSON.stringify([[2.9999999999, 1234.99999999, 7.5, 0.25]]));
    const r = await convertFile(model, { format: 'js', form: 'tensor' });
    const report = await verify(r.model, r.text, { format: 'js', form: 'tensor', program: r.program, range: [0, 1999], samples: 4, inputsFile });
    expect(report.points.user).toBe(1);
    expect(report.routes.map((x) => [x.route, x.status])).toEqual([['IR (float64)', 'ok'], ['js text', 'ok']]);
  }, 60_000);
});

// tensorflowjs_converter can fuse a BiasAdd that the signature names into the convolution before
// it and keep the signature (tfjs's own e2e benchmark model tfjs224-exp1066 names
// 'decoder/out_1_field_smooth_2/BiasAdd:0', which no node is). TF.js leaves such an output out; so
// does nn2eq, with a warning. A signature of which no output names a node is still refused.
describe('a signature output that names no node', () => {
  const fixture = (outputs: string[]) =>
    writeGraphModel(tmpDir(), {
      inputs: [{ name: 'x', dims: [-1, 3] }],
      weights: [{ name: 'w', dims: [3, 2], values: 'random' }],
      nodes: [
        ['mm', 'MatMul', ['x', 'w'], { transpose_a: A.b(false), transpose_b: A.b(false) }],
        ['y', 'Sigmoid', ['mm']],
        ['z', 'Tanh', ['mm']],
      ],
      outputs,
    });
  it('is left out with a warning, as TF.js leaves it out, and the rest matches TF.js', async () => {
    const r = await convertFile(fixture(['y', 'gone/BiasAdd', 'z']), { format: 'js', form: 'tensor' });
    expect(r.warnings.join('\n')).toContain("the signature's output 'gone/BiasAdd' names 'gone/BiasAdd', which is no node of the graph: left out, as TF.js leaves it out");
    expect(r.program.outputs.map((o) => o.name)).toEqual(['y', 'z']);
    const report = await verify(r.model, r.text, { format: 'js', form: 'tensor', program: r.program, samples: 4 });
    expect(report.routes.map((x) => [x.route, x.status])).toEqual([['IR (float64)', 'ok'], ['js text', 'ok']]);
  }, 60_000);
  it('is refused in one line when no output of the signature names a node', async () => {
    await expect(convertFile(fixture(['gone', 'lost']), { format: 'js', form: 'tensor' })).rejects.toThrow(/the signature's output 'gone' names 'gone', which is no node of the graph/);
  });
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
