import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, evaluateOutputs, extract, loadModel } from '../src/index.js';
import { FIXTURES, flat, mismatch, readReference, tmpDir } from './helpers.js';
// @ts-expect-error plain JS helpers shared with the fixture generator
import { loadTf, loadTfjsModel, predict } from '../scripts/tfjs-files.mjs';
// @ts-expect-error plain JS helpers shared with the fixture generator
import { writeKeras3Zip } from '../scripts/keras-files.mjs';

/**
 * Keras 3 stores a layer's weights as vars/0, vars/1, … with no names: nn2eq assigns names by
 * position per layer class. For every family with weights, the fixture's TF.js model is written
 * as a Keras 3 .keras file (scripts/keras-files.mjs, which does not use nn2eq's loader) and the
 * .keras file must predict what TF.js predicted for the fixture (reference.json). A swapped
 * assignment (BatchNormalization mean ↔ variance, a depthwise ↔ pointwise kernel, GRU gates)
 * changes the predictions.
 */
const FAMILIES: [family: string, fixture: string][] = [
  ['Dense', 'mathematica_3_2_2_2'],
  ['BatchNormalization (gamma, beta, mean, variance)', 'layer_batchnorm'],
  ['BatchNormalization, axis 1, no scale/center', 'layer_batchnorm_axis1_plain'],
  ['Conv2D', 'conv2d_same_strided'],
  ['Conv1D', 'conv1d_same_strided'],
  ['SeparableConv2D', 'conv2d_separable'],
  ['DepthwiseConv2D', 'conv2d_depthwise'],
  ['PReLU', 'layer_prelu_shared_axes'],
  ['Embedding', 'shape_embedding'],
  ['LayerNormalization', 'layer_layernorm'],
  ['SimpleRNN', 'rnn_simple_stacked'],
  ['LSTM', 'rnn_lstm_sequences'],
  ['GRU', 'rnn_gru_backwards'],
  ['GRU without bias', 'rnn_gru_no_bias'],
  ['Bidirectional LSTM', 'rnn_bidirectional_concat'],
];

describe('Keras 3 weight-to-name assignment, per layer family, against the TF.js reference', () => {
  for (const [family, fixture] of FAMILIES) {
    it(`${family} (${fixture})`, async () => {
      const dir = join(FIXTURES, fixture);
      const tf = await loadTf();
      const model = await loadTfjsModel(tf, join(dir, 'model.json'));
      const path = join(tmpDir(), 'model.keras');
      writeKeras3Zip(path, model);
      const spec = await loadModel(path);
      // Every weight under the name TF.js gives it, with TF.js's values.
      const json = await loadModel(join(dir, 'model.json'));
      const byClass = (m: typeof spec) => m.layers.filter((l) => l.weights.size > 0);
      const [got, want] = [byClass(spec), byClass(json)];
      expect(got.map((l) => l.className)).toEqual(want.map((l) => l.className));
      got.forEach((l, i) => {
        expect([...l.weights.keys()].sort(), l.name).toEqual([...want[i].weights.keys()].sort());
        for (const [name, w] of want[i].weights) {
          expect(l.weights.get(name)!.shape, `${l.name}/${name}`).toEqual(w.shape);
          expect(Array.from(l.weights.get(name)!.values), `${l.name}/${name}`).toEqual(Array.from(w.values));
        }
      });
      // TF.js's recurrent layers default to hard_sigmoid, which Keras 3 defines differently
      // (x/6 + 1/2), so only the other families can also be held to the TF.js predictions.
      if (/rnn_/.test(fixture)) return;
      const ex = extract(spec, {});
      const ref = readReference(dir);
      for (const [i, c] of ref.cases.entries()) {
        const [out] = evaluateOutputs(ex.graph, ex.outputIds, [flat(c.inputs)]);
        expect(mismatch(Array.from(out), flat(c.outputs), 1e-5, 1e-4), `${fixture} case ${i}`).toBeNull();
      }
      const text = (await convertFile(join(dir, 'model.json'), { format: 'js' })).text;
      expect((await convertFile(path, { format: 'js' })).text.split('\n').slice(2).join('\n')).toBe(text.split('\n').slice(2).join('\n'));
    }, 60_000);
  }
});

describe("Keras 3's hard_sigmoid is relu6(x + 3) / 6", () => {
  it('a .keras file with hard_sigmoid computes Keras 3\'s formula, TF.js\'s model.json the Keras 2 one', async () => {
    const dir = join(FIXTURES, 'act_hard_sigmoid');
    const tf = await loadTf();
    const model = await loadTfjsModel(tf, join(dir, 'model.json'));
    const path = join(tmpDir(), 'model.keras');
    writeKeras3Zip(path, model);
    // The oracle: the same model with a linear last activation, run by TF.js, then Keras 3's
    // definition (keras/src/activations/activations.py: relu6(x + 3) / 6) applied here.
    const linear = await loadTfjsModel(tf, join(dir, 'model.json'));
    const last = linear.layers[linear.layers.length - 1];
    last.activation = tf.layers.activation({ activation: 'linear' }).activation ?? { apply: (x: unknown) => x };
    const ref = readReference(dir);
    const cases = ref.cases.map((c) => c.inputs);
    const pre = (predict(tf, linear, cases) as unknown[][]).map((o) => flat(o));
    const keras3 = pre.map((row) => row.map((x) => Math.min(6, Math.max(0, x + 3)) / 6));
    const keras2 = pre.map((row) => row.map((x) => Math.min(1, Math.max(0, 0.2 * x + 0.5))));
    const spec = await loadModel(path);
    const ex = extract(spec, {});
    const json = extract(await loadModel(join(dir, 'model.json')), {});
    cases.forEach((c, i) => {
      const [got] = evaluateOutputs(ex.graph, ex.outputIds, [flat(c)]);
      expect(mismatch(Array.from(got), keras3[i], 1e-5, 1e-4), `case ${i}`).toBeNull();
      const [old] = evaluateOutputs(json.graph, json.outputIds, [flat(c)]);
      expect(mismatch(Array.from(old), keras2[i], 1e-5, 1e-4), `case ${i}`).toBeNull();
      expect(mismatch(Array.from(old), flat(ref.cases[i].outputs), 1e-5, 1e-4)).toBeNull();
    });
    // The two formulas differ on these points, so the check can fail.
    expect(mismatch(keras3.flat(), keras2.flat(), 1e-3, 0)).not.toBeNull();
  }, 60_000);
});

describe('pooling strides default to the pool size', () => {
  const edited = (fixture: string, edit: (layers: any[]) => void) => {
    const dir = tmpDir();
    for (const f of readdirSync(join(FIXTURES, fixture))) copyFileSync(join(FIXTURES, fixture, f), join(dir, f));
    const doc = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    edit(doc.modelTopology.model_config?.config?.layers ?? doc.modelTopology.config.layers);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
    return join(dir, 'model.json');
  };
  it('strides: null (Keras 2) and a missing strides key mean strides = pool_size', async () => {
    // pool_1d's AveragePooling1D has pool_size [2] and strides [2].
    const want = (await convertFile(join(FIXTURES, 'pool_1d', 'model.json'), { format: 'js' })).text;
    for (const how of ['null', 'missing'] as const) {
      const path = edited('pool_1d', (layers) => {
        const avg = layers.find((l) => l.class_name === 'AveragePooling1D');
        if (how === 'null') avg.config.strides = null;
        else delete avg.config.strides;
      });
      expect((await convertFile(path, { format: 'js' })).text, how).toBe(want);
    }
  });
  it("Keras 1's pool_length and stride: null", async () => {
    const want = (await convertFile(join(FIXTURES, 'pool_1d', 'model.json'), { format: 'js' })).text;
    const path = edited('pool_1d', (layers) => {
      const avg = layers.find((l) => l.class_name === 'AveragePooling1D');
      const { pool_size, strides, ...rest } = avg.config;
      avg.config = { ...rest, pool_length: pool_size[0], stride: null };
      void strides;
    });
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    doc.modelTopology.keras_version = '1.2.2';
    writeFileSync(path, JSON.stringify(doc));
    const got = await convertFile(path, { format: 'js' }).then((r) => r.text, (e: Error) => e.message);
    expect(got).toBe(want);
  });
});
