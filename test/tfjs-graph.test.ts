import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, diffFiles, info, Nn2eqError } from '../src/index.js';
import { TF_OPS } from '../src/extract/tf/index.js';
import { verify } from '../src/verify/index.js';
import { withPython } from './check.js';
import { GRAPH_FIXTURES, UNSUPPORTED, writeGraphModel } from './tfjs-graph-fixtures.js';
import { tfSource } from '../src/extract/tf/source.js';
import type { Extracted } from '../src/extract/index.js';
import { tfGraphReference } from '../src/verify/tf-graph-oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { flat, mismatch, python, readReference, ROOT, runCRows, runJs, runNumpy, runPyDriver, runWolframTensor, SHARED, tmpDir, withCC } from './helpers.js';

// TF.js graph models: the three small real ones in every form against TF.js's predictions
// (reference.json), hand-written GraphDef fixtures for each op family against TF.js running the
// same file (--verify's oracle), and the refusals.
const REAL = join(SHARED, 'tfjs-graph');
const SMALL = ['tfjs-e2e-matmul', 'tfjs-e2e-fused-dense', 'tfjs-rn-dense'];

describe('small real graph models against reference.json', () => {
  for (const name of SMALL) {
    const dir = join(REAL, name);
    const model = join(dir, 'model.json');
    const ref = readReference(dir);
    const cases = ref.cases.map((c) => c.inputs);
    const want = ref.cases.map((c) => flat(c.outputs));
    const check = (got: number[][]) => got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `case ${i}`).toBeNull());
    it(`${name}: JS scalar and tensor forms`, async () => {
      check(await runJs((await convertFile(model, { format: 'js' })).text, cases));
      check(await runJs((await convertFile(model, { format: 'js', form: 'tensor' })).text, cases));
    });
    withPython(`${name}: NumPy tensor form`, async () => check(await runNumpy((await convertFile(model, { format: 'numpy', form: 'tensor' })).text, cases)));
    withCC(`${name}: C tensor form`, async () => check(await runCRows((await convertFile(model, { format: 'c', form: 'tensor' })).text, cases.map((c) => flat(c)), want[0].length)));
  }
  it('tfjs-rn-dense: the scalar form is one affine formula with the weights of the file', async () => {
    const { text } = await convertFile(join(REAL, 'tfjs-rn-dense', 'model.json'), { format: 'js' });
    expect(text).toContain('const y1 = 0.21753107 * x1 + 0.058055364 * x2');
  });
  it('LaTeX in both forms names the inputs and outputs as the file does, in its header and its legend, and KaTeX accepts it', async () => {
    for (const form of ['scalar', 'tensor'] as const) {
      const r = await convertFile(join(REAL, 'tfjs-e2e-fused-dense', 'model.json'), { format: 'latex', form });
      expect(r.text.split('\n')[0]).toBe('% inputs in order: dense_dense1_input [1]; outputs in order: Identity [1]');
      // The legend says which input and output of the signature each symbol is.
      if (form === 'tensor') {
        expect(r.text).toContain('\\text{where } \\mathbf{x} \\in \\mathbb{R}^{1} \\ (\\texttt{dense\\_dense1\\_input}) \\text{ is the input}');
        expect(r.text).toContain('\\quad \\mathbf{y} \\text{ is the output } \\texttt{Identity}');
      } else {
        expect(r.text).toContain('\\quad x_{1} \\text{ is input } \\texttt{dense\\_dense1\\_input}');
        expect(r.text).toContain('\\quad y_{1} \\text{ is output } \\texttt{Identity}');
      }
      const report = await verify(r.model, r.text, { format: 'latex', form, program: r.program, extracted: r.extracted, samples: 4 });
      expect(report.routes.map((x) => x.status)).toEqual(['ok', 'valid']);
    }
  });
  it('LaTeX legend of a multi-output graph model names every output of its signature', async () => {
    const model = writeGraphModel(tmpDir(), GRAPH_FIXTURES.reductions);
    const { text } = await convertFile(model, { format: 'latex', form: 'tensor' });
    const names = [...text.matchAll(/\\mathbf\{[Yy]\}_\{(\d)\} \\text\{ is output \} \\texttt\{(\w+)\}/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(names).toEqual(['1:mean', '2:sum', '3:max', '4:min']);
  });
  it('info describes a graph model: its file format, ports, ops and parameters', async () => {
    const r = await info(join(REAL, 'tfjs-rn-dense', 'model.json'));
    expect(r.fileFormat).toBe('TF.js graph model.json');
    expect(r.inputs).toEqual([{ name: 'dense_dense2_input', shape: [10] }]);
    expect(r.outputs).toEqual([{ name: 'Identity', shape: [1] }]);
    expect(r.totalParams).toBe(11);
    expect(r.name).toBe('tfjs-rn-dense');
    expect(r.layers.map((l) => l.className).filter((c) => c !== 'Input' && c !== 'Output')).toEqual(['MatMul', 'BiasAdd', 'Identity']);
  });
});

describe('diff of graph models', () => {
  it('names the weight that changed and how far the outputs moved', async () => {
    const dir = tmpDir();
    cpSync(join(REAL, 'tfjs-rn-dense'), dir, { recursive: true });
    const bin = join(dir, 'group1-shard1of1.bin');
    const bytes = readFileSync(bin);
    // The shard holds the bias [1], then the kernel [10, 1]: kernel[3] becomes 0.5.
    const old = bytes.readFloatLE(4 * 4);
    bytes.writeFloatLE(0.5, 4 * 4);
    writeFileSync(bin, bytes);
    const same = await diffFiles(join(REAL, 'tfjs-rn-dense', 'model.json'), join(REAL, 'tfjs-rn-dense', 'model.json'));
    expect(same.equal).toBe(true);
    const r = await diffFiles(join(REAL, 'tfjs-rn-dense', 'model.json'), join(dir, 'model.json'));
    expect(r.equal).toBe(false);
    expect(r.layers).toHaveLength(1);
    expect(r.layers[0].className).toBe('MatMul');
    expect(r.layers[0].weights[0].changed).toBe(1);
    expect(r.outputs![0].maxChange).toBeCloseTo(Math.abs(0.5 - old) * Math.max(...r.outputs![0].at.map((v, i) => (i === 3 ? Math.abs(v) : 0))), 6);
  });
});

describe('hand-written graph fixtures against TF.js running the same file', () => {
  for (const [name, g] of Object.entries(GRAPH_FIXTURES)) {
    it(name, async () => {
      const model = writeGraphModel(tmpDir(), g);
      for (const form of ['scalar', 'tensor'] as const) {
        const r = await convertFile(model, { format: 'js', form });
        const report = await verify(r.model, r.text, { format: 'js', form, program: r.program ?? undefined, extracted: r.extracted ?? undefined, samples: 6 });
        const bad = report.routes.filter((x) => x.status !== 'ok');
        expect(bad, `${form}: ${JSON.stringify(bad).slice(0, 400)}`).toEqual([]);
      }
    }, 60_000);
  }
});

/** A fixture converted to the NumPy and C tensor forms, with one seeded point and TF.js's outputs there. */
interface FormCase {
  name: string;
  inputs: unknown[];
  flatInputs: number[];
  want: number[];
  numpy: string;
  c: string;
}

/** Nests flat values in `shape` (row-major). */
function nest(values: readonly number[], shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const step = values.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
}

let formCases: Promise<FormCase[]> | undefined;
function fixtureForms(): Promise<FormCase[]> {
  formCases ??= (async () => {
    const out: FormCase[] = [];
    for (const [name, g] of Object.entries(GRAPH_FIXTURES)) {
      const model = writeGraphModel(tmpDir(), g);
      const numpy = await convertFile(model, { format: 'numpy', form: 'tensor' });
      const c = await convertFile(model, { format: 'c', form: 'tensor' });
      const program = numpy.program!;
      const rng = mulberry32(7);
      let offset = 0;
      const ports = program.inputs.map((p) => {
        const size = p.tensor.shape.reduce((a, b) => a * b, 1);
        const port = { name: p.name, shape: p.tensor.shape, offset, size };
        offset += size;
        return port;
      });
      const flatInputs = Array.from({ length: offset }, () => Math.fround(rng() * 2 - 1));
      const graph = tfSource(numpy.model)!.model;
      const [want] = await tfGraphReference(graph, { inputs: ports } as unknown as Extracted, [Float64Array.from(flatInputs)]);
      out.push({ name, inputs: ports.map((p) => nest(flatInputs.slice(p.offset, p.offset + p.size), p.shape)), flatInputs, want, numpy: numpy.text, c: c.text });
    }
    return out;
  })();
  return formCases;
}

describe('hand-written graph fixtures: the NumPy and C tensor forms against TF.js', () => {
  withPython('NumPy (one python3 process for every fixture)', async () => {
    const cases = await fixtureForms();
    const got = await runPyDriver<number[][]>(
      python.exe,
      `
import numpy as np
res = []
for m, rows in modules():
    out = m.predict(*[np.array(x, dtype=np.float64) for x in rows])
    res.append([v for o in (out if isinstance(out, list) else [out]) for v in np.asarray(o, dtype=np.float64).ravel().tolist()])
print(json.dumps(res))
`,
      cases.map((c) => c.numpy),
      cases.map((c) => c.inputs as number[][]),
    );
    cases.forEach((c, i) => expect(mismatch(got[i], c.want, 1e-5, 1e-4), c.name).toBeNull());
  }, 120_000);
  withCC('C (gcc, one program per fixture)', async () => {
    for (const c of await fixtureForms()) {
      const [row] = await runCRows(c.c, [c.flatInputs], c.want.length);
      expect(mismatch(row, c.want, 1e-5, 1e-4), c.name).toBeNull();
    }
  }, 120_000);
});

describe('computed gathers (gather_rows) in the other tensor forms against TF.js', () => {
  withPython('Wolfram (nn2eq\'s interpreter), mathjs and SymPy: computed_gather', async () => {
    const c = (await fixtureForms()).find((x) => x.name === 'computed_gather')!;
    const model = writeGraphModel(tmpDir(), GRAPH_FIXTURES.computed_gather);
    const wl = await convertFile(model, { format: 'mathematica', form: 'tensor' });
    const [answer] = await runWolframTensor([{ text: wl.text, cases: [c.inputs] }]);
    if ('error' in answer) throw new Error(answer.error);
    expect(mismatch(answer[0] as number[], c.want, 1e-5, 1e-4)).toBeNull();
    for (const format of ['mathjs', 'sympy'] as const) {
      const r = await convertFile(model, { format, form: 'tensor' });
      const report = await verify(r.model, r.text, { format, form: 'tensor', program: r.program ?? undefined, samples: 4 });
      expect(report.routes.map((x) => `${x.route}: ${x.status}`), format).toEqual(['IR (float64): ok', `${format} text: ok`]);
    }
  }, 120_000);
});

describe('README', () => {
  it("the table of TF.js op lists names exactly the ops TF_OPS converts, and none it refuses", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const at = readme.indexOf('| TF.js op list | converted | refused |');
    const rows = readme.slice(at).split('\n').slice(2).filter((l, i, all) => l.startsWith('|') && all.slice(0, i).every((x) => x.startsWith('|')));
    const cell = (row: string, k: number) => row.split('|')[k + 1].split(',').map((x) => x.trim()).filter((x) => x !== '—' && x !== '');
    const also = /Also mapped:\s*([^.]*)\./.exec(readme.slice(readme.indexOf('## TF.js graph models')))![1].split(',').map((x) => x.trim());
    const converted = new Set([...rows.flatMap((r) => cell(r, 1)), ...also]);
    expect([...converted].sort()).toEqual([...Object.keys(TF_OPS), 'Placeholder'].sort());
    expect(rows.flatMap((r) => cell(r, 2)).filter((op) => TF_OPS[op])).toEqual([]);
  });
});

describe('refusals', () => {
  it('every unsupported op in one line with its count, exit 2', () => {
    const model = writeGraphModel(tmpDir(), UNSUPPORTED);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'nn2eq.js'), model, '-f', 'js'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/3 nodes of 2 ops nn2eq cannot convert: TopKV2 ×2, Where ×1/);
  });
  it('a missing shard gets the layers models\' message', async () => {
    const dir = tmpDir();
    cpSync(join(REAL, 'tfjs-rn-dense'), dir, { recursive: true });
    rmSync(join(dir, 'group1-shard1of1.bin'));
    const err = await convertFile(join(dir, 'model.json'), { format: 'js' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Nn2eqError);
    expect((err as Error).message).toMatch(/weight shard 'group1-shard1of1.bin' not found/);
  });
  it('loadModel names what a graph model needs instead of a missing class_name', async () => {
    const { loadModel } = await import('../src/index.js');
    await expect(loadModel(join(REAL, 'tfjs-rn-dense', 'model.json'))).rejects.toThrow(/is a TF.js graph model/);
  });
});

