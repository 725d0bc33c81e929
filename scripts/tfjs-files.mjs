// Helpers shared by the fixture generator, the tests and the benchmark: seeded numbers, and
// TF.js models saved to / loaded from plain files with TF.js's own readers (the oracle).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// One TF.js import (quiet, CPU backend), one model.json reader and one seeded PRNG, shared with
// --verify (built in dist/).
export { loadTf, loadTfjsModel } from '../dist/verify/oracle.js';
export { mulberry32 as rng } from '../dist/verify/random.js';

/** Saves `model` as model.json + weights.bin in `dir`; returns the artifacts. */
export async function saveTfjsModel(model, dir) {
  let saved;
  await model.save({
    save: async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    },
  });
  mkdirSync(dir, { recursive: true });
  writeManifest(dir, saved.modelTopology, [{ paths: ['weights.bin'], weights: saved.weightSpecs }]);
  writeFileSync(join(dir, 'weights.bin'), Buffer.from(saved.weightData));
  return saved;
}

export function writeManifest(dir, modelTopology, weightsManifest) {
  const doc = { format: 'layers-model', generatedBy: 'nn2eq fixtures', convertedBy: null, modelTopology, weightsManifest };
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(doc, null, 1)}\n`);
}

/** Predictions of a loaded TF.js model for a list of cases, each a list of inputs (one per model input). */
export function predict(tf, model, cases) {
  return cases.map((inputs) => {
    const xs = inputs.map((x) => tf.tensor([x]));
    let ys = model.predict(xs.length === 1 ? xs[0] : xs);
    if (!Array.isArray(ys)) ys = [ys];
    const out = ys.map((y) => y.arraySync()[0]);
    tf.dispose([...xs, ...ys]);
    return out;
  });
}
