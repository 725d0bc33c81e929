import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, evaluateOutputs, extract, loadModel } from '../src/index.js';
import { checkAll } from './check.js';
import { flat, mismatch, readReference, runJs, SHARED } from './helpers.js';

/** Every shared Keras model with a reference.json (Keras's own model.predict), in each form it is stored in. */
const KERAS_REFERENCE: [folder: string, model: string, weights?: string][] = [
  ['hls4ml_prjs/elu', 'elu.h5'],
  ['hls4ml_prjs/elu', 'elu.json', 'elu_weights.h5'],
  ['hls4ml_prjs/leaky_relu', 'leaky_relu.h5'],
  ['hls4ml_prjs/leaky_relu', 'leaky_relu.json', 'leaky_relu_weights.h5'],
  ['hls4ml_prjs/prelu', 'prelu.h5'],
  ['hls4ml_prjs/prelu', 'prelu.json', 'prelu_weights.h5'],
  ['dl4j/activations_ReLU_2_parametric', 'ReLU_2_model.h5'],
  ['dl4j/activations_ReLU_2_parametric', 'ReLU_2_config.json', 'ReLU_2_weights.h5'],
  ['hls4ml_prjs/selu', 'selu.h5'],
  ['hls4ml_prjs/selu', 'selu.json', 'selu_weights.h5'],
  ['dl4j/conv1d_k3_channels_first_same', 'conv1d_k3_s1_d1_cf_same_model.h5'],
  ['dl4j/conv1d_k3_channels_first_same', 'conv1d_k3_s1_d1_cf_same_config.json', 'conv1d_k3_s1_d1_cf_same_weights.h5'],
  ['dl4j/cnn_batch_norm', 'cnn_batch_norm.h5'],
  ['dl4j/simple_rnn_tf_keras_2', 'simple_rnn_tf_keras_2_model.h5'],
  ['dl4j/simple_rnn_tf_keras_2', 'simple_rnn_tf_keras_2_config.json', 'simple_rnn_tf_keras_2_weights.h5'],
  // Layers TF.js cannot run: Keras's own predictions are the only reference for them.
  ['dl4j/causal_conv1d_k4_d2', 'causal_conv1d_k4_s1_d2_cl_model.h5'],
  ['dl4j/causal_conv1d_k4_d2', 'causal_conv1d_k4_s1_d2_cl_config.json', 'causal_conv1d_k4_s1_d2_cl_weights.h5'],
  ['dl4j/causal_conv1d_k4_s2', 'causal_conv1d_k4_s2_d1_cl_model.h5'],
  ['dl4j/causal_conv1d_k4_s2', 'causal_conv1d_k4_s2_d1_cl_config.json', 'causal_conv1d_k4_s2_d1_cl_weights.h5'],
];

describe('shared Keras models match Keras predictions (atol 1e-5 + rtol 1e-4)', () => {
  for (const [folder, model, weights] of KERAS_REFERENCE) {
    const dir = join(SHARED, folder);
    checkAll(join(dir, model), readReference(dir), `${folder}/${model}${weights ? ` + ${weights}` : ''}`, {
      weights: weights && join(dir, weights),
      rtol: 1e-4,
    });
  }
});

describe('community Keras 3 .keras: the Normalization layer against the printed notebook values', () => {
  const dir = join(SHARED, 'community', 'auto_mpg_normalization_dnn_keras3');
  const path = join(dir, 'dnn_model.keras');
  const ref = JSON.parse(readFileSync(join(dir, 'reference_partial.json'), 'utf8'));
  it('stored mean matches the printed mean, and the first example normalizes to the printed values', async () => {
    const model = await loadModel(path);
    const norm = model.layers.find((l) => l.className === 'Normalization')!;
    const mean = Array.from(norm.weights.get('mean')!.values);
    mean.forEach((m, i) => expect(m).toBeCloseTo(ref.normalizer_mean_printed[i], 3));
    const cut = { ...model, outputs: [{ layer: norm.name, node: 0, tensor: 0 }] };
    const ex = extract(cut);
    const [got] = evaluateOutputs(ex.graph, ex.outputIds, [ref.first_train_example_input]);
    got.forEach((v, i) => expect(Math.abs(v - ref.first_train_example_normalized_printed_2dp[i])).toBeLessThanOrEqual(0.005 + 1e-9));
  });
});

// A real Keras file whose GRU (reset_after=true) takes its initial state as a second input, with
// Keras's own prediction: every route in the scalar form, and the tensor form in NumPy and JS.
{
  const dir = join(SHARED, 'frugally-deep', 'gru_reset_after_units1_stateless');
  const path = join(dir, 'temp_stateless.h5');
  checkAll(path, readReference(dir), 'frugally-deep GRU reset_after=true with an initial state input');
  describe('frugally-deep GRU with an initial state, tensor form', () => {
    const ref = readReference(dir);
    it('js tensor form matches Keras', async () => {
      const { text, form } = await convertFile(path, { format: 'js', form: 'tensor' });
      expect(form).toBe('tensor');
      const got = await runJs(text, ref.cases.map((c) => c.inputs));
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4)).toBeNull());
    });
  });
}
