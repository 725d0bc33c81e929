import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import type { Extracted } from '../src/extract/index.js';
import { tfSource } from '../src/extract/tf/source.js';
import { tfGraphReference } from '../src/verify/tf-graph-oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { A, writeGraphModel, type GraphFixture } from './tfjs-graph-fixtures.js';
import { mismatch, runCRows, runJs, runNumpy, tmpDir, withCC } from './helpers.js';
import { withPython } from './check.js';

// TF's ArgMax / ArgMin in a hand-written graph model, through ONNX's ArgMax builder, against TF.js
// running the same file. Floor(2x) has ties in every row, where TF picks the first index.
const ARGMAX: GraphFixture = {
  inputs: [{ name: 'x', dims: [-1, 3, 5] }],
  weights: [
    { name: 'two', dims: [], values: [2] },
    { name: 'last', dims: [], values: [-1], dtype: 'int32' },
    { name: 'mid', dims: [], values: [1], dtype: 'int32' },
  ],
  nodes: [
    ['s', 'Mul', ['x', 'two']],
    ['f', 'Floor', ['s']],
    ['tie_max', 'ArgMax', ['f', 'last'], { Tidx: A.type('DT_INT32'), output_type: A.type('DT_INT32') }],
    ['tie_min', 'ArgMin', ['f', 'mid'], { Tidx: A.type('DT_INT32'), output_type: A.type('DT_INT64') }],
    ['arg_max', 'ArgMax', ['x', 'mid'], { Tidx: A.type('DT_INT32'), output_type: A.type('DT_INT64') }],
    ['arg_min', 'ArgMin', ['x', 'last'], { Tidx: A.type('DT_INT32'), output_type: A.type('DT_INT32') }],
  ],
  outputs: ['tie_max', 'tie_min', 'arg_max', 'arg_min'],
};

/** Seeded points, TF.js's outputs there, and the model. */
async function setup() {
  const model = writeGraphModel(tmpDir(), ARGMAX);
  const js = await convertFile(model, { format: 'js', form: 'tensor' });
  const rng = mulberry32(11);
  const points = Array.from({ length: 8 }, () => Array.from({ length: 15 }, () => Math.fround(rng() * 2 - 1)));
  const graph = tfSource(js.model)!.model;
  const ports = [{ name: 'x', shape: [3, 5], offset: 0, size: 15 }];
  const want = await tfGraphReference(graph, { inputs: ports } as unknown as Extracted, points.map((p) => Float64Array.from(p)));
  const nested = points.map((p) => [[0, 1, 2].map((r) => p.slice(5 * r, 5 * r + 5))]);
  return { model, js: js.text, points, nested, want };
}
const ready = setup();

describe('TF ArgMax / ArgMin (graph model) against TF.js', () => {
  it('the points tie at the maximum of Floor(2x) in some rows, so picking the last index would fail', async () => {
    const { points } = await ready;
    let tied = 0;
    for (const p of points) {
      for (let r = 0; r < 3; r++) {
        const f = p.slice(5 * r, 5 * r + 5).map((v) => Math.floor(2 * v));
        if (f.indexOf(Math.max(...f)) !== f.lastIndexOf(Math.max(...f))) tied++;
      }
    }
    expect(tied).toBeGreaterThan(3);
  });
  it('JS tensor form', async () => {
    const { js, nested, want } = await ready;
    const got = await runJs(js, nested);
    got.forEach((g, i) => expect(mismatch(g, want[i], 0, 0), `point ${i}`).toBeNull());
  });
  withPython('NumPy tensor form', async () => {
    const { model, nested, want } = await ready;
    const got = await runNumpy((await convertFile(model, { format: 'numpy', form: 'tensor' })).text, nested);
    got.forEach((g, i) => expect(mismatch(g, want[i], 0, 0), `point ${i}`).toBeNull());
  });
  withCC('C tensor form', async () => {
    const { model, points, want } = await ready;
    const got = await runCRows((await convertFile(model, { format: 'c', form: 'tensor' })).text, points, want[0].length);
    got.forEach((g, i) => expect(mismatch(g, want[i], 0, 0), `point ${i}`).toBeNull());
  });
});
