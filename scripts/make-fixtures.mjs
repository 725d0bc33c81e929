// Writes fixtures/<name>/{model.json, weights…, reference.json}: small TF.js models with seeded
// weights, and the predictions TF.js makes after reloading the saved files. Run: npm run fixtures
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerFixtures } from './layer-fixtures.mjs';
import { writeKeras1Full, writeKeras2ArchAndWeights, writeKeras2Full, writeKeras3Zip } from './keras-files.mjs';
import { loadTf, loadTfjsModel, predict, rng, saveTfjsModel, writeManifest } from './tfjs-files.mjs';

const ROOT = new URL('../fixtures/', import.meta.url).pathname;
const CASES = 8;
const tf = await loadTf();

function seeded(model, seed, scale = 1) {
  const r = rng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(
      ws.map((w, i) => {
        // A variance must be positive to be one.
        const positive = /variance/.test(layer.weights[i].originalName ?? layer.weights[i].name);
        return tf.tensor(Array.from({ length: w.size }, () => Math.fround(positive ? 0.2 + r() * scale : (r() * 2 - 1) * scale)), w.shape);
      }),
    );
  }
  return model;
}

/** Input cases: uniform floats in [lo, hi), or integer ids below `ints`; `shapes` overrides undefined dimensions. */
function inputsFor(model, seed, lo = -2, hi = 2, { ints, shapes } = {}) {
  const r = rng(seed);
  const dims = shapes ?? model.inputs.map((t) => t.shape.slice(1));
  const leaf = () => (ints ? Math.floor(r() * ints) : Math.fround(lo + (hi - lo) * r()));
  const make = (shape) => (shape.length === 0 ? leaf() : Array.from({ length: shape[0] }, () => make(shape.slice(1))));
  return Array.from({ length: CASES }, () => dims.map((s) => make(s)));
}

function writeReference(dir, model, cases, outputs, source, shapes, outShapes) {
  const ref = {
    source,
    input_shapes: shapes ?? model.inputs.map((t) => t.shape.slice(1)),
    output_shapes: outShapes ?? model.outputs.map((t) => t.shape.slice(1)),
    cases: cases.map((inputs, i) => ({ inputs, outputs: outputs[i] })),
  };
  writeFileSync(join(dir, 'reference.json'), `${JSON.stringify(ref)}\n`);
}

/**
 * A fresh folder fixtures/<name> with `model` saved by TF.js and reloaded from the files. TF.js
 * numbers model names globally; the model takes the fixture's name, so adding a fixture renames no other.
 */
async function saveFixture(name, model) {
  const dir = join(ROOT, name);
  rmSync(dir, { recursive: true, force: true });
  if (/^(sequential|model)_\d+$/.test(model.name)) model.name = name;
  await saveTfjsModel(model, dir);
  return { dir, reloaded: await loadTfjsModel(tf, join(dir, 'model.json')) };
}

/** Saves `model`, reloads the files in TF.js and records its predictions. */
async function fixture(name, model, seed, opts = {}) {
  const { dir, reloaded } = await saveFixture(name, model);
  const cases = inputsFor(model, seed + 1000, opts.lo, opts.hi, opts);
  writeReference(dir, model, cases, predict(tf, reloaded, cases), 'TF.js predict of the reloaded model.json', opts.shapes);
  console.log(`fixtures/${name}`);
  return dir;
}

/**
 * A Keras-only layer or setting: saves a TF.js stand-in, computes the reference with
 * `reference(reloaded, cases)`, then rewrites the saved JSON with `patch(doc)` (which may return
 * bytes to append to weights.bin for weights it adds to the manifest).
 */
async function patched(name, model, seed, { patch, reference, source, opts = {} }) {
  const { dir, reloaded } = await saveFixture(name, model);
  const cases = inputsFor(model, seed + 1000, opts.lo, opts.hi, opts);
  const outputs = reference(reloaded, cases);
  const doc = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const extra = patch(doc);
  if (extra) writeFileSync(join(dir, 'weights.bin'), Buffer.concat([readFileSync(join(dir, 'weights.bin')), Buffer.from(extra.buffer, extra.byteOffset, extra.byteLength)]));
  writeManifest(dir, doc.modelTopology, doc.weightsManifest);
  const shapeOf = (v) => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
  writeReference(dir, model, cases, outputs, source, opts.shapes, outputs[0].map(shapeOf));
  console.log(`fixtures/${name}`);
}

const seq = (layers) => tf.sequential({ layers });
const dense = (units, activation, extra = {}) => tf.layers.dense({ units, activation, ...extra });

await fixture('medium_1_3_2_1', seeded(seq([dense(3, 'tanh', { inputShape: [1] }), dense(2, 'tanh'), dense(1)]), 1), 1);
await fixture('mathematica_3_2_2_2', seeded(seq([dense(2, 'sigmoid', { inputShape: [3] }), dense(2, 'sigmoid'), dense(2)]), 2), 2);

// One fixture per activation that TF.js can run; Dense(4) on 3 inputs.
const TFJS_ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hardSigmoid', 'tanh', 'softmax', 'logSoftmax', 'softplus', 'softsign', 'swish', 'gelu', 'mish'];
let seed = 10;
for (const act of TFJS_ACTIVATIONS) {
  const name = `act_${act.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
  await fixture(name, seeded(seq([dense(4, act, { inputShape: [3] })]), seed++, 1.5), seed);
}

// Activations TF.js cannot reload (Keras-only names; 'gelu_new' fails TF.js's own round trip):
// saved as linear, renamed in the JSON, and the reference is TF.js's op applied to the reloaded
// linear model's output.
const KERAS_ONLY = {
  exponential: (t) => tf.exp(t),
  silu: (t) => tf.mul(t, tf.sigmoid(t)),
  gelu_new: (t) => tf.layers.activation({ activation: 'gelu_new' }).apply(t),
};
for (const [act, op] of Object.entries(KERAS_ONLY)) {
  const model = seeded(seq([dense(4, 'linear', { inputShape: [3] })]), seed++, 1.5);
  await patched(`act_${act}`, model, seed, {
    patch: (doc) => void (doc.modelTopology.config.layers[0].config.activation = act),
    reference: (m, cases) => cases.map((inputs) => tf.tidy(() => [op(m.predict(tf.tensor([inputs[0]]))).arraySync()[0]])),
    source: `TF.js ${act} op applied to TF.js predict of the linear model`,
  });
}

// A functional chain with an inference-time identity and a separate Activation layer.
{
  const input = tf.input({ shape: [4], name: 'features' });
  let h = dense(5, 'relu', { name: 'hidden' }).apply(input);
  h = tf.layers.dropout({ rate: 0.5 }).apply(h);
  h = dense(3, 'linear', { name: 'logits' }).apply(h);
  const out = tf.layers.activation({ activation: 'softmax', name: 'probabilities' }).apply(h);
  await fixture('functional_chain', seeded(tf.model({ inputs: input, outputs: out }), 40), 40);
}

// Dense on a rank-3 input acts on the last axis; then noise layers (identities) and a Dense without bias.
await fixture(
  'dense_rank3_identities',
  seeded(
    seq([
      tf.layers.spatialDropout1d({ rate: 0.2, inputShape: [3, 4] }),
      dense(2, 'elu'),
      tf.layers.gaussianNoise({ stddev: 0.3 }),
      tf.layers.gaussianDropout({ rate: 0.2 }),
      tf.layers.alphaDropout({ rate: 0.2 }),
      tf.layers.flatten(),
      dense(2, 'sigmoid', { useBias: false }),
    ]),
    41,
  ),
  41,
);

// 40 narrow tanh layers: depth without blow-up, and without collapse. Uniform weights of scale 0.9
// made every layer a contraction, so all inputs reached one fixed point and every reference output
// was the same number (a numeric check that checked nothing). The 39 hidden 3×3 kernels are
// orthogonal (Gram–Schmidt of seeded uniform matrices) with biases within ±0.05: each layer keeps
// distances but for tanh's slow squeeze, so outputs stay apart and rounding errors do not grow.
{
  const layers = [dense(3, 'tanh', { inputShape: [2] })];
  for (let i = 1; i < 40; i++) layers.push(dense(3, 'tanh'));
  layers.push(dense(1));
  const model = seeded(seq(layers), 42, 0.9);
  const r = rng(4242);
  const orthogonal = () => {
    const rows = [];
    while (rows.length < 3) {
      let v = [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1];
      for (const u of rows) {
        const d = v.reduce((a, x, k) => a + x * u[k], 0);
        v = v.map((x, k) => x - d * u[k]);
      }
      const norm = Math.hypot(...v);
      if (norm > 0.1) rows.push(v.map((x) => x / norm));
    }
    return rows;
  };
  for (const layer of model.layers.slice(1, 40)) {
    layer.setWeights([tf.tensor(orthogonal().flat().map(Math.fround), [3, 3]), tf.tensor([0, 0, 0].map(() => Math.fround((r() * 2 - 1) * 0.05)), [3])]);
  }
  await fixture('deep40', model, 42);
}

// Quantized and two-shard copies of one model, re-encoded here and reloaded by TF.js.
{
  const base = await fixture('quant_base', seeded(seq([dense(6, 'relu', { inputShape: [3] }), dense(4, 'tanh'), dense(2)]), 43), 43);
  const doc = JSON.parse(readFileSync(join(base, 'model.json'), 'utf8'));
  const bytes = readFileSync(join(base, 'weights.bin'));
  const specs = doc.weightsManifest[0].weights;
  const arrays = [];
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    arrays.push(new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + 4 * n)));
    offset += 4 * n;
  }
  const variants = {
    quant_uint8: { dtype: 'uint8', levels: 255, bytes: 1 },
    quant_uint16: { dtype: 'uint16', levels: 65535, bytes: 2 },
    quant_float16: { dtype: 'float16', bytes: 2 },
  };
  for (const [name, v] of Object.entries(variants)) {
    const dir = join(ROOT, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const parts = [];
    const weights = specs.map((s, i) => {
      const a = arrays[i];
      if (v.dtype === 'float16') {
        const out = Buffer.alloc(2 * a.length);
        a.forEach((x, j) => out.writeUInt16LE(floatToHalf(x), 2 * j));
        parts.push(out);
        return { ...s, quantization: { dtype: 'float16' } };
      }
      const min = Math.min(...a);
      const max = Math.max(...a);
      const scale = (max - min) / v.levels || 1;
      const out = Buffer.alloc(v.bytes * a.length);
      a.forEach((x, j) => {
        const q = Math.round((x - min) / scale);
        if (v.bytes === 1) out.writeUInt8(q, j);
        else out.writeUInt16LE(q, 2 * j);
      });
      parts.push(out);
      // Key order differs between converter versions; write scale before min on purpose.
      return { ...s, quantization: { scale, min, dtype: v.dtype } };
    });
    writeFileSync(join(dir, 'group1-shard1of1'), Buffer.concat(parts));
    writeManifest(dir, doc.modelTopology, [{ paths: ['group1-shard1of1'], weights }]);
    await referenceFromFiles(name, dir);
  }
  // Two shards whose cut falls inside the first kernel (byte 37 is not a multiple of 4).
  const dir = join(ROOT, 'two_shards');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'part-a'), bytes.subarray(0, 37));
  writeFileSync(join(dir, 'part-b.bin'), bytes.subarray(37));
  writeManifest(dir, doc.modelTopology, [{ paths: ['./part-a', 'part-b.bin'], weights: specs }]);
  await referenceFromFiles('two_shards', dir);
}

// One model in every Keras layout and dialect the loader reads, beside its TF.js model.json; the
// tests require each file to print exactly what the model.json prints.
{
  const mlp = seeded(seq([dense(4, 'relu', { inputShape: [3] }), dense(3, 'tanh'), dense(2)]), 50, 1.2);
  const dir = await fixture('keras_sequential', mlp, 50);
  writeKeras2Full(join(dir, 'model.h5'), mlp);
  writeKeras2ArchAndWeights(join(dir, 'arch.json'), join(dir, 'weights.h5'), mlp);
  writeKeras2ArchAndWeights(join(dir, 'arch_theano.json'), join(dir, 'weights_theano.h5'), mlp, { colon: false });
  writeKeras1Full(join(dir, 'keras1.h5'), mlp);
  writeKeras3Zip(join(dir, 'model.keras'), mlp);
  writeKeras3Zip(join(dir, 'model_unnamed_vars.keras'), mlp, { nameAttr: false });
  // A '.keras' name on HDF5 bytes: the content decides.
  writeKeras2Full(join(dir, 'really_hdf5.keras'), mlp);

  // Keras 3 keeps recurrent variables in nested groups (cell, forward_layer/cell, backward_layer/cell).
  // Sigmoid gates: Keras 3's hard_sigmoid differs from TF.js's, and this model must mean the same in both.
  const rec = seeded(
    seq([
      tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [4, 2] }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, recurrentActivation: 'sigmoid' }), mergeMode: 'concat' }),
    ]),
    53,
    0.8,
  );
  const kdir = await fixture('keras3_recurrent', rec, 53);
  writeKeras3Zip(join(kdir, 'model.keras'), rec);
  writeKeras3Zip(join(kdir, 'model_unnamed_vars.keras'), rec, { nameAttr: false });
  writeKeras2Full(join(kdir, 'model.h5'), rec);

  // Keras 1 per-gate LSTM weights (W_i, U_i, b_i, W_c, …) in a Keras 1 full-model file.
  const rnn = seeded(seq([tf.layers.lstm({ units: 3, recurrentActivation: 'hardSigmoid', inputShape: [4, 2] }), dense(1)]), 52, 0.8);
  const rdir = await fixture('keras1_lstm', rnn, 52);
  writeKeras1Full(join(rdir, 'keras1.h5'), rnn);

  const input = tf.input({ shape: [5], name: 'features' });
  const h = dense(4, 'sigmoid', { name: 'hidden' }).apply(input);
  const out = dense(2, 'softplus', { name: 'head' }).apply(tf.layers.dropout({ rate: 0.1, name: 'drop' }).apply(h));
  const fn = seeded(tf.model({ inputs: input, outputs: out, name: 'functional_model' }), 51, 1.2);
  const fdir = await fixture('keras_functional', fn, 51);
  writeKeras2Full(join(fdir, 'model.h5'), fn);
  writeKeras3Zip(join(fdir, 'model.keras'), fn);
  writeKeras3Zip(join(fdir, 'model_unnamed_vars.keras'), fn, { nameAttr: false });
}

await layerFixtures({ tf, fixture, patched, seeded, predict, rng, writeManifest, ROOT });

async function referenceFromFiles(name, dir) {
  const model = await loadTfjsModel(tf, join(dir, 'model.json'));
  const cases = inputsFor(model, 4300);
  writeReference(dir, model, cases, predict(tf, model, cases), 'TF.js predict of the reloaded model.json');
  console.log(`fixtures/${name}`);
}

/** float32 → IEEE binary16 bits, round to nearest even. */
function floatToHalf(x) {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return h;
}
