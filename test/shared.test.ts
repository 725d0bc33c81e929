import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { checkAll } from './check.js';
import { flat, readReference, SHARED, type Reference } from './helpers.js';
// @ts-expect-error plain JS helper shared with the fixture generator
import { loadTf, loadTfjsModel, predict, rng } from '../scripts/tfjs-files.mjs';

/** tfjs-layers/mlp carries TF.js's own predictions as xs/ys files. */
function xsYsReference(dir: string): Reference {
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown[];
  const [xShape] = read('xs-shapes.json') as number[][];
  const [yShape] = read('ys-shapes.json') as number[][];
  const xs = flat(read('xs-data.json'));
  const ys = flat(read('ys-data.json'));
  const nx = xShape.slice(1).reduce((a, b) => a * b, 1);
  const ny = yShape.slice(1).reduce((a, b) => a * b, 1);
  return {
    input_shapes: [xShape.slice(1)],
    output_shapes: [yShape.slice(1)],
    cases: Array.from({ length: xShape[0] }, (_, i) => ({ inputs: [xs.slice(i * nx, (i + 1) * nx)], outputs: [ys.slice(i * ny, (i + 1) * ny)] })),
  };
}

/** For models without reference files, TF.js itself predicts on the same saved files. */
async function tfjsReference(path: string): Promise<Reference> {
  const tf = await loadTf();
  const model = await loadTfjsModel(tf, path);
  const n = model.inputs[0].shape[1] as number;
  const r = rng(7);
  const cases = Array.from({ length: 6 }, () => [Array.from({ length: n }, () => Math.fround(r() * 4 - 2))]);
  const outputs = predict(tf, model, cases) as unknown[][];
  return { input_shapes: [[n]], output_shapes: model.outputs.map((t: { shape: number[] }) => t.shape.slice(1)), cases: cases.map((inputs, i) => ({ inputs, outputs: outputs[i] })) };
}

const oracle: [string, Reference][] = [];
for (const [folder, file] of [
  ['tfjs/rn_bundle_model_dense1', 'bundle_model_test.json'],
  ['tfjs-examples/abalone_node_mlp', 'model.json'],
]) {
  const path = join(SHARED, folder, file);
  oracle.push([path, await tfjsReference(path)]);
}

describe('shared TF.js models', () => {
  const mlp = join(SHARED, 'tfjs-layers', 'mlp');
  checkAll(join(mlp, 'model.json'), xsYsReference(mlp), 'tfjs-layers/mlp (TF.js reference files)', { inlineRefused: true });
  // TF.js's own predictions are float32: 1e-4 relative covers the sums of thousands of terms in cnn.
  const cnn = join(SHARED, 'tfjs-layers', 'cnn');
  checkAll(join(cnn, 'model.json'), readReference(cnn), 'tfjs-layers/cnn (reference.json)', {
    inlineRefused: true,
    rtol: 1e-4,
  });
  for (const name of ['functional_merge', 'simple_rnn', 'gru']) {
    const dir = join(SHARED, 'tfjs-layers', name);
    checkAll(join(dir, 'model.json'), readReference(dir), `tfjs-layers/${name} (reference.json)`, { rtol: 1e-4, inlineRefused: name !== 'functional_merge' });
  }
  for (const [path, ref] of oracle) checkAll(path, ref, `${path.slice(SHARED.length + 1)} (TF.js predict)`);
});
