import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertWithIR } from '../src/convert.js';
import { buildTfProgram, tfModelSpec } from '../src/extract/tf/index.js';
import { loadAnyModel, type TfGraphModel } from '../src/load/index.js';
import { withPython } from './check.js';
import { C_FLAGS } from '../src/verify/extra-runtimes.js';
import { flat, mismatch, python, readReference, runCRows, runPyDriver, SHARED, tmpDir, withCC, type Reference } from './helpers.js';

// Real TF.js graph models (test/models/tfjs-graph/INDEX.md): each converted once to the NumPy, JS
// and C tensor forms, run in node, in one python3 process and by gcc, against TF.js's own
// predictions in reference.json (one image each). Outputs are matched by name: the signature's
// order is the model's, the reference lists the graph's output nodes in its own order.
const ROOT = join(SHARED, 'tfjs-graph');

/**
 * Tolerances: TF.js computes in float32, the emitted code in float64, and the difference grows
 * with depth (checked layer by layer against TF.js's intermediate tensors while writing this: it
 * grows smoothly, no layer jumps). blazepose-lite's segmentation head ends in logits of ±560.
 */
const MODELS: Record<string, { atol: number; rtol: number }> = {
  'gear-e2': { atol: 1e-5, rtol: 1e-4 },
  'blazeface-front': { atol: 1e-4, rtol: 1e-3 },
  'handlandmark-lite': { atol: 1e-5, rtol: 1e-4 },
  handdetect: { atol: 1e-4, rtol: 1e-3 },
  'facemesh-detection-full': { atol: 1e-4, rtol: 1e-3 },
  'blazepose-lite': { atol: 2e-3, rtol: 1e-3 },
  // Landmarks in pixels (up to ~190); its eye, iris and lip heads sample a crop bilinearly at coordinates it computes.
  'facemesh-attention-pinto': { atol: 1e-4, rtol: 1e-5 },
};

interface Case {
  name: string;
  ref: Reference & { output_names?: string[] };
  /** For each reference output, the index of the model output with that node. */
  order: number[];
  texts: Record<'js' | 'numpy' | 'c', string>;
}

const cases = new Map<string, Case | Error>();

/**
 * gcc at -O0 here, not --verify's -O1 (C_FLAGS): these tests check the numbers, and most of gcc's
 * time on these texts is reading megabytes of weight literals, which -O1 then spends a third more on
 * (facemesh-attention-pinto: 7.3 s of CPU at -O1, 4.9 s at -O0, the same output bytes). x86-64
 * computes doubles in SSE2 registers and -std=c99 does not contract a*b+c, so both give the same
 * numbers. -Wall -Werror still apply; the warnings only -O1's flow analysis finds
 * (-Wmaybe-uninitialized) are checked on this emitter by tensor-c and emit-c, at -O1.
 */
const NUMBERS_ONLY = C_FLAGS.map((f) => (f === '-O1' ? '-O0' : f));

beforeAll(async () => {
  for (const name of Object.keys(MODELS)) {
    try {
      const dir = join(ROOT, name);
      const ref = readReference(dir) as Case['ref'];
      const loaded = await loadAnyModel(join(dir, 'model.json'));
      const graph = (loaded as { tfgraph: TfGraphModel }).tfgraph;
      const program = buildTfProgram(graph);
      const spec = tfModelSpec(graph, program);
      const nodes = graph.outputs.map((o) => o.tensor.replace(/:0$/, ''));
      const order = (ref.output_names ?? nodes).map((n) => nodes.indexOf(n));
      const texts = Object.fromEntries((['js', 'numpy', 'c'] as const).map((f) => [f, convertWithIR(spec, { format: f, form: 'tensor' }, program).text])) as Case['texts'];
      cases.set(name, { name, ref, order, texts });
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

/** Checks one output list (in the model's order) against the reference's (in its order). */
function expectMatches(c: Case, got: unknown[]): void {
  const { atol, rtol } = MODELS[c.name];
  const want = c.ref.cases[0].outputs;
  const wantOuts = c.order.length === 1 ? [want] : (want as unknown[]);
  const gotOuts = c.order.length === 1 ? [got] : got;
  c.order.forEach((k, i) => {
    expect(k, `output ${c.ref.output_names?.[i]}`).toBeGreaterThanOrEqual(0);
    expect(mismatch(flat(gotOuts[k]), flat(wantOuts[i]), atol, rtol), `output ${c.ref.output_names?.[i] ?? i}`).toBeNull();
  });
}

describe('real TF.js graph models in the tensor forms match TF.js (reference.json)', () => {
  it('JS (one node process for every model)', async () => {
    const names = Object.keys(MODELS);
    const out = await runNodeModules(names.map((n) => get(n).texts.js), names.map((n) => get(n).ref.cases[0].inputs));
    names.forEach((n, i) => expectMatches(get(n), out[i] as unknown[]));
  }, 300_000);
  withPython('NumPy (one python3 process for every model)', async () => {
    const names = Object.keys(MODELS).filter((n) => !(cases.get(n) instanceof Error));
    const out = await runPyDriver<unknown[][]>(
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
      names.map((n) => get(n).ref.cases[0].inputs as number[][]),
    );
    names.forEach((n, i) => expectMatches(get(n), get(n).order.length === 1 ? (out[i] as unknown[]) : out[i]));
    expect(names.length).toBe(Object.keys(MODELS).length);
  }, 300_000);
  for (const name of Object.keys(MODELS)) {
    withCC(`${name}: C (gcc)`, async () => {
      const c = get(name);
      const m = flat(c.ref.cases[0].outputs).length;
      const [row] = await runCRows(c.texts.c, [flat(c.ref.cases[0].inputs)], m, NUMBERS_ONLY);
      // C writes the outputs flat in the model's order: cut them by the sizes of the model's outputs.
      const sizes = c.order.length === 1 ? [m] : new Array<number>(c.order.length).fill(0);
      if (c.order.length > 1) c.order.forEach((k, i) => (sizes[k] = flat((c.ref.cases[0].outputs as unknown[])[i]).length));
      const parts: number[][] = [];
      let at = 0;
      for (const s of sizes) {
        parts.push(row.slice(at, at + s));
        at += s;
      }
      expectMatches(c, c.order.length === 1 ? parts[0] : parts);
    }, 240_000);
  }
});

/**
 * Runs ES modules' predict in a child node process (importing them here would send 20 MB modules
 * through vitest's transform): each module with its inputs; the outputs as predict nests them.
 */
function runNodeModules(texts: readonly string[], inputs: readonly unknown[][]): Promise<unknown[]> {
  const dir = tmpDir();
  const files = texts.map((t, i) => {
    const f = join(dir, `m${i}.mjs`);
    writeFileSync(f, t);
    return pathToFileURL(f).href;
  });
  const driver = `let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', async () => {
    const jobs = JSON.parse(s);
    const out = [];
    for (const [file, inputs] of jobs) out.push((await import(file)).predict(...inputs));
    process.stdout.write(JSON.stringify(out));
  });`;
  return new Promise((resolvePromise, reject) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', driver], { maxBuffer: 1 << 28 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolvePromise(JSON.parse(stdout) as unknown[])));
    child.stdin!.end(JSON.stringify(files.map((f, i) => [f, inputs[i]])));
  });
}
