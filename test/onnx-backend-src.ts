import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module shared with scripts/onnx-backend.mjs (no type declarations)
import { base, compare, NODE_DIR, RECORD, structuralInputs } from '../scripts/onnx-backend-lib.mjs';
import { convertFile } from '../src/index.js';
import { loadAnyModel } from '../src/load/index.js';
import { Reader } from '../src/load/onnx/protobuf.js';
import { decodeTensor } from '../src/load/onnx/tensor.js';

// ONNX's conformance cases (test/onnx-backend/node) converted through src/ in this process and run
// as the JS tensor form against the expected outputs ONNX ships with each case: the runner of the
// mutate-only files test/onnx-backend-src.mutate.ts and test/onnx-backend-ops.mutate.ts (see there).
// Only cases recorded as passing in JS (test/onnx-backend/passing.json) are run.

const passing = (JSON.parse(readFileSync(RECORD, 'utf8')) as { js: string[] }).js;
const tmp = mkdtempSync(join(tmpdir(), 'nn2eq-backend-src-'));

async function readTensor(path: string): Promise<{ dtype: string; dims: number[]; values: number[] }> {
  const t = decodeTensor(new Reader(new Uint8Array(readFileSync(path)), path, 'TensorProto'), { file: path, dir: dirname(path), external: new Map(), cache: new Map() });
  if (t.dtype === 'string' || !t.values) throw new Error(`${path}: not a numeric tensor`);
  return { dtype: t.dtype, dims: [...t.dims], values: Array.from(t.values as ArrayLike<number | bigint>, Number) };
}

function flatten(v: unknown): number[] {
  const out: number[] = [];
  const walk = (x: unknown) => {
    if (x === null || typeof x !== 'object') out.push(typeof x === 'boolean' ? Number(x) : typeof x === 'bigint' ? Number(x) : (x as number));
    else for (let i = 0; i < (x as ArrayLike<unknown>).length; i++) walk((x as ArrayLike<unknown>)[i]);
  };
  walk(v);
  return out;
}

/** Converts one case through src/ (its structural inputs bound from the test data, as the backend runner does) and runs it in-process. */
export async function runCase(name: string): Promise<string | null> {
  const dir = join(NODE_DIR, name);
  const file = join(dir, 'model.onnx');
  const loaded = await loadAnyModel(file);
  if (!('onnx' in loaded)) throw new Error(`${file}: not an ONNX model`);
  const graph = loaded.onnx.graph;
  // An _expanded case binds its inputs as the op it expands (its base case's one node) does.
  const baseFile = join(NODE_DIR, base(name) as string, 'model.onnx');
  const baseLoaded = base(name) !== name && existsSync(baseFile) ? await loadAnyModel(baseFile) : undefined;
  const baseOps = baseLoaded && 'onnx' in baseLoaded ? [...new Set(baseLoaded.onnx.graph.nodes.map((n) => n.opType))] : [];
  const structural = structuralInputs(graph, baseOps.length === 1 ? baseOps[0] : undefined) as Map<string, string>;
  const bind = new Map<string, number[]>();
  const inputs: { dims: number[]; values: number[] }[] = [];
  for (const [k, inp] of graph.inputs.entries()) {
    const t = await readTensor(join(dir, 'test_data_set_0', `input_${k}.pb`));
    if (structural.has(inp.name)) bind.set(inp.name, t.values);
    else inputs.push(t);
  }
  const want = [];
  for (let k = 0; k < graph.outputs.length; k++) want.push(await readTensor(join(dir, 'test_data_set_0', `output_${k}.pb`)));
  const { text } = await convertFile(file, { format: 'js', form: 'tensor', ...(bind.size ? { bind } : {}) });
  const js = join(tmp, `${name}.mjs`);
  writeFileSync(js, text);
  const mod = (await import(pathToFileURL(js).href)) as { predict: (...a: unknown[]) => unknown };
  const y = mod.predict(...inputs.map((x) => (x.dims.length === 0 ? x.values[0] : Float64Array.from(x.values))));
  const got = want.length > 1 ? (y as unknown[]).map(flatten) : [flatten(y)];
  return compare(got, want) as string | null;
}

/** One describe per family: one test per recorded-passing case whose name matches its pattern. */
export function conformanceFamilies(families: Record<string, RegExp>): void {
  for (const [family, re] of Object.entries(families)) {
    const cases = passing.filter((n) => re.test(n));
    describe(`ONNX conformance cases through src/, JS tensor form: ${family}`, () => {
      it('has cases', () => expect(cases.length).toBeGreaterThan(0));
      for (const name of cases) it(name, async () => expect(await runCase(name)).toBeNull());
    });
  }
}
