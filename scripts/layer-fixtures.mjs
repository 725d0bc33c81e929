// One fixture (or more) per layer family of the layer-coverage issue. Layers TF.js has are built
// and predicted by TF.js. Keras-only layers and settings are saved from a TF.js stand-in, the JSON
// is then rewritten to the Keras layer, and the reference comes from an equivalent TF.js
// computation (a 2D twin of a 1D layer, or TF.js ops following Keras's source).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function layerFixtures(h) {
  const { tf, fixture, patched, seeded, predict, writeManifest, ROOT } = h;
  const L = tf.layers;
  const seq = (layers) => tf.sequential({ layers });
  const dense = (units, activation, extra = {}) => L.dense({ units, activation, ...extra });
  const fn = (inputs, outputs) => tf.model({ inputs, outputs });
  let seed = 200;
  const next = () => seed++;

  const layersOf = (doc) => (Array.isArray(doc.modelTopology.config) ? doc.modelTopology.config : doc.modelTopology.config.layers);
  /** Per case, the outputs of `op` applied to the reloaded model's prediction (cut after layer `at` when given). */
  const after = (op, at) => (loaded, cases) =>
    cases.map((inputs) => tf.tidy(() => {
      const model = at === undefined ? loaded : tf.model({ inputs: loaded.inputs, outputs: loaded.layers[at].output });
      const y = model.predict(inputs.length === 1 ? tf.tensor([inputs[0]]) : inputs.map((x) => tf.tensor([x])));
      const out = op(y);
      return (Array.isArray(out) ? out : [out]).map((t) => t.arraySync()[0]);
    }));

  // ---- activation layers
  await fixture('layer_relu_max_value', seeded(seq([dense(4, 'linear', { inputShape: [3] }), L.reLU({ maxValue: 1.5 })]), next(), 1.5), seed);
  await fixture('layer_leaky_relu', seeded(seq([dense(4, 'linear', { inputShape: [3] }), L.leakyReLU({ alpha: 0.2 })]), next(), 1.5), seed);
  await fixture('layer_prelu_shared_axes', seeded(seq([dense(3, 'linear', { inputShape: [2, 3] }), L.prelu({ sharedAxes: [1] })]), next(), 1.5), seed);
  // TF.js's ELU layer takes alpha = 1 only.
  await patched('layer_elu_alpha', seeded(seq([dense(4, 'linear', { inputShape: [3] }), L.elu({})]), next(), 1.5), seed, {
    patch: (doc) => void (layersOf(doc)[1].config.alpha = 0.7),
    reference: after((y) => tf.where(tf.greater(y, 0), y, tf.mul(0.7, tf.sub(tf.exp(y), 1))), 0),
    source: 'TF.js ops of Keras ELU(alpha=0.7) on the Dense output',
  });
  await fixture('layer_thresholded_relu', seeded(seq([dense(4, 'linear', { inputShape: [3] }), L.thresholdedReLU({ theta: 0.3 })]), next(), 1.5), seed);
  await fixture('layer_softmax', seeded(seq([dense(4, 'linear', { inputShape: [3, 2] }), L.softmax({ axis: -1 })]), next(), 1.5), seed);
  // TF.js's softmax takes the last axis only; Keras's Softmax(axis=1) by TF.js ops on a transpose.
  await patched('layer_softmax_axis1', seeded(seq([dense(4, 'linear', { inputShape: [3, 2] }), L.softmax({ axis: -1 })]), next(), 1.5), seed, {
    patch: (doc) => void (layersOf(doc)[1].config.axis = 1),
    reference: after((y) => tf.transpose(tf.softmax(tf.transpose(y, [0, 2, 1])), [0, 2, 1]), 0),
    source: 'TF.js softmax over axis 1 (by transposes) of the Dense output',
  });
  {
    // Keras's ReLU(max_value, negative_slope, threshold): TF.js's ReLU has max_value only.
    const [mv, ns, th] = [Math.fround(1.4), Math.fround(0.2), Math.fround(0.2)];
    const keras = (x) => tf.sub(tf.clipByValue(tf.mul(x, tf.cast(tf.greater(x, th), 'float32')), 0, mv), tf.mul(ns, tf.relu(tf.sub(th, x))));
    await patched('layer_relu_keras_threshold', seeded(seq([dense(5, 'linear', { inputShape: [3] }), L.reLU({ maxValue: mv })]), next(), 1.5), seed, {
      patch: (doc) => void Object.assign(layersOf(doc)[1].config, { max_value: mv, negative_slope: ns, threshold: th }),
      reference: after(keras, 0),
      source: 'TF.js ops of Keras relu(x, negative_slope, max_value, threshold) on the Dense output',
    });
  }

  // ---- normalization
  await fixture('layer_batchnorm', seeded(seq([dense(4, 'linear', { inputShape: [3] }), L.batchNormalization({ epsilon: 0.01 })]), next()), seed);
  {
    // TF.js's own BatchNormalization mis-broadcasts a non-last axis at inference, so the
    // reference for axis=1 (center and scale off) is TF.js ops of Keras's formula.
    const mean = Float32Array.from([0.25, -0.5]);
    const variance = Float32Array.from([0.5, 2]);
    await patched('layer_batchnorm_axis1_plain', seeded(seq([dense(3, 'linear', { inputShape: [2, 3] })]), next()), seed, {
      patch: (doc) => {
        layersOf(doc).push({ class_name: 'BatchNormalization', config: { name: 'bn', axis: 1, epsilon: 0.001, center: false, scale: false } });
        doc.weightsManifest[0].weights.push({ name: 'bn/moving_mean', shape: [2], dtype: 'float32' }, { name: 'bn/moving_variance', shape: [2], dtype: 'float32' });
        return Buffer.concat([Buffer.from(mean.buffer), Buffer.from(variance.buffer)]);
      },
      reference: after((y) => tf.div(tf.sub(y, tf.tensor(mean, [2, 1])), tf.sqrt(tf.add(tf.tensor(variance, [2, 1]), 0.001)))),
      source: 'TF.js ops of Keras BatchNormalization(axis=1) on the Dense output',
    });
  }
  await fixture('layer_layernorm', seeded(seq([dense(4, 'linear', { inputShape: [2, 3] }), L.layerNormalization({ epsilon: 0.001 })]), next()), seed);
  await fixture('layer_rescaling', seeded(seq([dense(3, 'tanh', { inputShape: [2] }), L.rescaling({ scale: 0.5, offset: -0.25 })]), next()), seed);
  {
    const mean = Float32Array.from([0.5, -1.25, 2, 0.125]);
    const variance = Float32Array.from([4, 0.25, 1e-16, 2.5]);
    const sd = Array.from(variance, (v) => Math.max(Math.fround(Math.sqrt(v)), 1e-7));
    for (const invert of [false, true]) {
      await patched(`layer_normalization${invert ? '_invert' : ''}`, seeded(seq([dense(4, 'linear', { inputShape: [3], name: 'features' })]), next()), seed, {
        patch: (doc) => {
          layersOf(doc).push({ class_name: 'Normalization', config: { name: 'norm', axis: -1, mean: null, variance: null, invert } });
          doc.weightsManifest[0].weights.push(
            { name: 'norm/mean', shape: [4], dtype: 'float32' },
            { name: 'norm/variance', shape: [4], dtype: 'float32' },
            { name: 'norm/count', shape: [], dtype: 'int32' },
          );
          return Buffer.concat([Buffer.from(mean.buffer), Buffer.from(variance.buffer), Buffer.from(Int32Array.of(100).buffer)]);
        },
        reference: after((y) => (invert ? tf.add(tf.mul(y, tf.tensor(sd)), tf.tensor(mean)) : tf.div(tf.sub(y, tf.tensor(mean)), tf.tensor(sd)))),
        source: 'TF.js ops of Keras Normalization on the Dense output',
      });
    }
  }
  await patched('layer_unit_normalization', seeded(seq([dense(4, 'linear', { inputShape: [2, 3] })]), next()), seed, {
    patch: (doc) => void layersOf(doc).push({ class_name: 'UnitNormalization', config: { name: 'unit', axis: -1 } }),
    reference: after((y) => tf.div(y, tf.sqrt(tf.maximum(tf.sum(tf.square(y), -1, true), 1e-12)))),
    source: 'TF.js ops of l2_normalize on the Dense output',
  });

  // ---- merges, several inputs and outputs, shared layers, nested models
  {
    const a = tf.input({ shape: [3], name: 'a' });
    const b = tf.input({ shape: [3], name: 'b' });
    const da = dense(4, 'tanh', { name: 'da' }).apply(a);
    const db = dense(4, 'linear', { name: 'db' }).apply(b);
    const outs = [
      L.add({ name: 'sum' }).apply([da, db]),
      L.multiply({ name: 'product' }).apply([da, db]),
      L.average({ name: 'mean' }).apply([da, db]),
      L.maximum({ name: 'larger' }).apply([da, db]),
      L.minimum({ name: 'smaller' }).apply([da, db]),
      L.concatenate({ name: 'joined' }).apply([da, db]),
      L.dot({ axes: 1, name: 'inner' }).apply([da, db]),
      L.dot({ axes: 1, normalize: true, name: 'cosine' }).apply([da, db]),
    ];
    await fixture('merge_all', seeded(fn([a, b], outs), next()), seed);
  }
  {
    const a = tf.input({ shape: [2, 3], name: 'a' });
    const b = tf.input({ shape: [4, 3], name: 'b' });
    const joined = L.concatenate({ axis: 1, name: 'rows' }).apply([a, b]);
    const c = tf.input({ shape: [2, 3], name: 'c' });
    const dotted = L.dot({ axes: [2, 2], name: 'pairs' }).apply([a, c]);
    await fixture('merge_axes', fn([a, b, c], [joined, L.flatten().apply(dotted)]), next());
  }
  await patched('merge_subtract', (() => {
    const a = tf.input({ shape: [3], name: 'a' });
    const b = tf.input({ shape: [2], name: 'b' });
    return seeded(fn([a, b], [dense(3, 'relu', { name: 'da' }).apply(a), dense(3, 'linear', { name: 'db' }).apply(b)]), next());
  })(), seed, {
    patch: (doc) => {
      const t = doc.modelTopology.config;
      t.layers.push({ name: 'difference', class_name: 'Subtract', config: { name: 'difference' }, inbound_nodes: [[['da', 0, 0, {}], ['db', 0, 0, {}]]] });
      t.output_layers = [['difference', 0, 0]];
    },
    reference: after(([p, q]) => tf.sub(p, q)),
    source: 'TF.js difference of the two Dense outputs',
  });
  {
    // One Dense called on two inputs (node_index 1), and a Sequential used as a layer twice.
    const shared = dense(3, 'tanh', { name: 'shared' });
    const inner = seq([dense(2, 'sigmoid', { inputShape: [3], name: 'inner_dense' }), dense(2, 'linear', { name: 'inner_out' })]);
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [4], name: 'b' });
    const sa = shared.apply(a);
    const sb = shared.apply(b);
    const out = L.concatenate({ name: 'both' }).apply([inner.apply(sa), inner.apply(sb)]);
    await fixture('shared_and_nested', seeded(fn([a, b], out), next()), seed);
  }

  // ---- recurrent
  await fixture('rnn_simple_stacked', seeded(seq([L.simpleRNN({ units: 4, returnSequences: true, inputShape: [5, 2] }), L.simpleRNN({ units: 3, activation: 'relu' })]), next(), 0.8), seed);
  {
    const x = tf.input({ shape: [4, 3], name: 'sequence' });
    const [out, hState, cState] = L.lstm({ units: 3, returnState: true, name: 'lstm' }).apply(x);
    await fixture('rnn_lstm_state', seeded(fn(x, [out, hState, cState]), next(), 0.8), seed);
  }
  await fixture('rnn_lstm_sequences', seeded(seq([L.lstm({ units: 3, returnSequences: true, recurrentActivation: 'hardSigmoid', inputShape: [4, 2] }), L.flatten(), dense(1)]), next(), 0.8), seed);
  await fixture('rnn_gru_backwards', seeded(seq([L.gru({ units: 3, goBackwards: true, returnSequences: true, inputShape: [4, 2] })]), next(), 0.8), seed);
  await fixture('rnn_gru_no_bias', seeded(seq([L.gru({ units: 2, useBias: false, inputShape: [3, 2] })]), next(), 0.8), seed);
  for (const mode of ['concat', 'sum', 'mul', 'ave']) {
    const cell = mode === 'sum' ? L.gru({ units: 2, returnSequences: true }) : mode === 'ave' ? L.simpleRNN({ units: 2 }) : L.lstm({ units: 2, returnSequences: mode === 'concat' });
    await fixture(`rnn_bidirectional_${mode}`, seeded(seq([L.bidirectional({ layer: cell, mergeMode: mode, inputShape: [3, 2] })]), next(), 0.8), seed);
  }
  {
    const x = tf.input({ shape: [3, 2], name: 'x' });
    const both = L.bidirectional({ layer: L.lstm({ units: 2 }), mergeMode: null }).apply(x);
    await fixture('rnn_bidirectional_none', seeded(fn(x, both), next(), 0.8), seed);
  }
  // A time axis of None, unrolled with --timesteps 4.
  await fixture('rnn_timesteps_none', seeded(seq([L.lstm({ units: 2, inputShape: [null, 3] })]), next(), 0.8), seed, { shapes: [[4, 3]] });
  {
    // Keras's GRU with reset_after=True (TF.js has only reset_after=False): the reference is
    // Keras's GRUCell written with TF.js ops, step by step.
    const units = 3;
    const model = seeded(seq([L.gru({ units, inputShape: [4, 2], recurrentActivation: 'sigmoid' })]), next(), 0.8);
    const [W, U] = model.layers[0].getWeights().map((t) => t.arraySync());
    const r = h.rng(seed);
    const biasRows = [0, 1].map(() => Array.from({ length: 3 * units }, () => Math.fround(r() * 2 - 1)));
    const step = (x, hPrev) => tf.tidy(() => {
      const mx = tf.add(tf.matMul(x, tf.tensor(W)), tf.tensor(biasRows[0]));
      const mi = tf.add(tf.matMul(hPrev, tf.tensor(U)), tf.tensor(biasRows[1]));
      const [xz, xr, xh] = tf.split(mx, 3, 1);
      const [rz, rr, rh] = tf.split(mi, 3, 1);
      const z = tf.sigmoid(tf.add(xz, rz));
      const rg = tf.sigmoid(tf.add(xr, rr));
      const hh = tf.tanh(tf.add(xh, tf.mul(rg, rh)));
      return tf.add(tf.mul(z, hPrev), tf.mul(tf.sub(1, z), hh));
    });
    await patched('rnn_gru_reset_after', model, seed, {
      patch: (doc) => {
        layersOf(doc)[0].config.reset_after = true;
        const bias = doc.weightsManifest[0].weights.find((w) => w.name.endsWith('/bias'));
        bias.shape = [2, 3 * units];
        // The stand-in's (3·units) bias is replaced: rewrite the whole shard in manifest order.
        return null;
      },
      reference: (_m, cases) =>
        cases.map(([seqIn]) => {
          let hState = tf.zeros([1, units]);
          for (const x of seqIn) hState = step(tf.tensor([x]), hState);
          return [hState.arraySync()[0]];
        }),
      source: "TF.js ops of Keras's GRUCell with reset_after=True",
    });
    // Write the weights again with the (2, 3·units) bias.
    const dir = join(ROOT, 'rnn_gru_reset_after');
    const flat = [W.flat(), U.flat(), biasRows.flat()].flat();
    writeFileSync(join(dir, 'weights.bin'), Buffer.from(Float32Array.from(flat).buffer));
    const doc = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const order = ['kernel', 'recurrent_kernel', 'bias'];
    doc.weightsManifest[0].weights.sort((p, q) => order.indexOf(p.name.split('/').pop()) - order.indexOf(q.name.split('/').pop()));
    writeManifest(dir, doc.modelTopology, doc.weightsManifest);
  }
  // An LSTM over 10 steps (the tests also unroll it over 100 and compare the sizes).
  await fixture('rnn_lstm_10_steps', seeded(seq([L.lstm({ units: 4, inputShape: [10, 2] }), dense(1)]), next(), 0.5), seed);

  // ---- convolution and pooling
  // TF.js lacks 'causal' padding: the stand-in pads (k − 1)·d steps in front, then convolves 'valid'.
  await patched('conv1d_causal_dilated', seeded(seq([
    L.reshape({ targetShape: [7, 1, 2], inputShape: [7, 2] }),
    L.zeroPadding2d({ padding: [[4, 0], [0, 0]] }),
    L.reshape({ targetShape: [11, 2] }),
    L.conv1d({ filters: 2, kernelSize: 3, dilationRate: 2, activation: 'relu' }),
  ]), next()), seed, {
    patch: (doc) => {
      const list = layersOf(doc);
      const conv = list[3];
      list.splice(0, 4, { ...conv, config: { ...conv.config, padding: 'causal', batch_input_shape: [null, 7, 2] } });
    },
    reference: (m, cases) => predict(tf, m, cases),
    source: 'TF.js predict of front zero padding then a valid dilated Conv1D',
  });
  await fixture('conv1d_same_strided', seeded(seq([L.conv1d({ filters: 3, kernelSize: 2, strides: 2, padding: 'same', inputShape: [7, 2] })]), next()), seed);
  await fixture('conv2d_same_strided', seeded(seq([L.conv2d({ filters: 2, kernelSize: [3, 2], strides: 2, padding: 'same', inputShape: [5, 4, 2] })]), next()), seed);
  await fixture('conv2d_dilated_channels_first', seeded(seq([L.conv2d({ filters: 2, kernelSize: 2, dilationRate: 2, dataFormat: 'channelsFirst', inputShape: [2, 5, 5], activation: 'tanh' })]), next()), seed);
  await fixture('conv2d_separable', seeded(seq([L.separableConv2d({ filters: 3, kernelSize: 2, padding: 'same', inputShape: [4, 4, 2] })]), next()), seed);
  await fixture('conv2d_depthwise', seeded(seq([L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, inputShape: [5, 5, 2] })]), next()), seed);
  await fixture('pool_1d', seeded(seq([L.conv1d({ filters: 2, kernelSize: 1, inputShape: [7, 2] }), L.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }), L.averagePooling1d({ poolSize: 2, padding: 'same' })]), next()), seed);
  await fixture('pool_2d', seeded(seq([L.conv2d({ filters: 2, kernelSize: 1, inputShape: [5, 5, 1] }), L.maxPooling2d({ poolSize: 2, strides: 1 }), L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })]), next()), seed);
  {
    const x = tf.input({ shape: [4, 3, 2], name: 'image' });
    const s = tf.input({ shape: [5, 3], name: 'signal' });
    const outs = [L.globalAveragePooling2d({}).apply(x), L.globalMaxPooling2d({}).apply(x), L.globalAveragePooling1d({}).apply(s), L.globalMaxPooling1d({}).apply(s)];
    await fixture('pool_global', fn([x, s], outs), next());
  }
  await fixture('pad_crop_upsample_2d', seeded(seq([L.conv2d({ filters: 2, kernelSize: 1, inputShape: [3, 3, 1] }), L.zeroPadding2d({ padding: [[1, 0], [0, 2]] }), L.cropping2D({ cropping: [[0, 1], [1, 1]] }), L.upSampling2d({ size: [2, 1] })]), next()), seed);
  {
    // 1D layers Keras has and TF.js lacks: saved from their 2D twins on [T, 1, C], which TF.js predicts.
    const twins = [
      ['zero_padding1d', () => L.zeroPadding2d({ padding: [[2, 1], [0, 0]] }), { class_name: 'ZeroPadding1D', config: { padding: [2, 1] } }],
      ['cropping1d', () => L.cropping2D({ cropping: [[1, 2], [0, 0]] }), { class_name: 'Cropping1D', config: { cropping: [1, 2] } }],
      ['upsampling1d', () => L.upSampling2d({ size: [3, 1] }), { class_name: 'UpSampling1D', config: { size: 3 } }],
      ['separable_conv1d', () => L.separableConv2d({ filters: 2, kernelSize: [3, 1], padding: 'same' }), { class_name: 'SeparableConv1D', config: { filters: 2, kernel_size: [3], strides: [1], padding: 'same', depth_multiplier: 1, dilation_rate: [1], activation: 'linear', use_bias: true } }],
      ['depthwise_conv1d', () => L.depthwiseConv2d({ kernelSize: [2, 1], depthMultiplier: 1 }), { class_name: 'DepthwiseConv1D', config: { kernel_size: [2], strides: [1], padding: 'valid', depth_multiplier: 1, dilation_rate: [1], activation: 'linear', use_bias: true } }],
    ];
    for (const [name, make, keras] of twins) {
      const layer = make();
      const model = seeded(seq([L.reshape({ targetShape: [6, 1, 2], inputShape: [6, 2] }), layer, L.reshape({ targetShape: [-1, 2] })]), next());
      await patched(`layer_${name}`, model, seed, {
        patch: (doc) => {
          const list = layersOf(doc);
          const twin = list[1];
          const replaced = { class_name: keras.class_name, config: { ...keras.config, name: twin.config.name, batch_input_shape: [null, 6, 2] } };
          list.splice(0, 3, replaced);
          // Kernels lose the width-1 axis: (k, 1, …) → (k, …); same bytes.
          for (const w of doc.weightsManifest[0].weights) if (w.shape.length === 4) w.shape = [w.shape[0], ...w.shape.slice(2)];
        },
        reference: (m, cases) => predict(tf, m, cases),
        source: `TF.js predict of the 2D twin (${layer.getClassName()}) on [T, 1, C]`,
      });
    }
  }

  // ---- shape
  await fixture('shape_reshape_permute_repeat', seeded(seq([dense(6, 'linear', { inputShape: [2] }), L.reshape({ targetShape: [3, 2] }), L.permute({ dims: [2, 1] }), L.flatten(), L.repeatVector({ n: 2 })]), next()), seed);
  await fixture('shape_time_distributed', seeded(seq([L.timeDistributed({ layer: dense(2, 'tanh'), inputShape: [3, 4] })]), next()), seed);
  await fixture('shape_embedding', seeded(seq([L.embedding({ inputDim: 6, outputDim: 3, inputLength: 4, inputShape: [4] }), L.flatten(), dense(2)]), next()), seed, { ints: 6 });
}
