// Writes the same TF.js model as the files Keras writes, in every layout and dialect nn2eq reads,
// so the loader is tested on cases the shared models do not cover. HDF5 is written by h5wasm,
// zips by fflate. Nothing here uses nn2eq's own loader.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import h5wasm from 'h5wasm/node';

await h5wasm.ready;

/** Layers of a TF.js model with their weights as {name, shape, values}, names as Keras stores them. */
export function layerWeights(model) {
  return model.layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    weights: layer.weights.map((w, i) => {
      const v = layer.getWeights()[i];
      return { name: w.originalName ?? w.name, shape: v.shape, values: v.dataSync() };
    }),
  }));
}

/** The model's topology as Keras 2 (tf.keras) writes it. */
export function keras2Config(model) {
  const t = model.toJSON(null, false);
  return { class_name: t.class_name, config: t.config, keras_version: '2.13.1', backend: 'tensorflow' };
}

function h5File(path, fill) {
  const f = new h5wasm.File(path, 'w');
  try {
    fill(f);
  } finally {
    f.close();
  }
}

/** Keras 1/2 layout below `g`: layer_names, and per layer weight_names + datasets. */
function writeLayerNames(g, layers, { colon = true, keras1 = false } = {}) {
  g.create_attribute('layer_names', layers.map((l) => l.name));
  g.create_attribute('backend', keras1 ? 'theano' : 'tensorflow');
  g.create_attribute('keras_version', keras1 ? '1.2.2' : '2.13.1');
  for (const l of layers) {
    const lg = g.create_group(l.name);
    const names = l.weights.map((w) => (keras1 ? `${l.name}_${w.keras1}` : `${w.name}${colon ? ':0' : ''}`));
    // h5py writes an empty list as a zero-length array; h5wasm wants at least one element, so an empty string stands in.
    lg.create_attribute('weight_names', names.length > 0 ? names : ['']);
    l.weights.forEach((w, i) => {
      const path = names[i];
      const parts = path.split('/');
      let cur = lg;
      for (const p of parts.slice(0, -1)) cur = cur.get(p) ?? cur.create_group(p);
      cur.create_dataset({ name: parts[parts.length - 1], data: Float32Array.from(w.values), shape: w.shape, dtype: '<f' });
    });
  }
}

/** `model.save('m.h5')` of Keras 2: model_config + model_weights (+ training_config and optimizer_weights, to be ignored). */
export function writeKeras2Full(path, model) {
  const layers = layerWeights(model);
  h5File(path, (f) => {
    f.create_attribute('model_config', JSON.stringify(keras2Config(model)));
    f.create_attribute('training_config', JSON.stringify({ loss: 'mse', optimizer_config: { class_name: 'Adam' } }));
    f.create_attribute('keras_version', '2.13.1');
    f.create_attribute('backend', 'tensorflow');
    writeLayerNames(f.create_group('model_weights'), layers);
    const o = f.create_group('optimizer_weights');
    o.create_attribute('weight_names', ['Adam/iter:0']);
    o.create_group('Adam').create_dataset({ name: 'iter:0', data: new Float32Array([7]), shape: [], dtype: '<f' });
  });
}

/** `model.to_json()` + `model.save_weights('w.h5')` of Keras 2; `colon: false` writes Theano-style dataset names. */
export function writeKeras2ArchAndWeights(jsonPath, h5Path, model, { colon = true } = {}) {
  writeFileSync(jsonPath, JSON.stringify(keras2Config(model)));
  h5File(h5Path, (f) => writeLayerNames(f, layerWeights(model), { colon }));
}

/** Columns [from, from + n) of a row-major [rows, cols] matrix (or a vector). */
function columns(w, from, n) {
  if (w.shape.length === 1) return { shape: [n], values: w.values.slice(from, from + n) };
  const [rows, cols] = w.shape;
  const values = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) values[r * n + c] = w.values[r * cols + from + c];
  return { shape: [rows, n], values };
}

/**
 * A Keras 1.2 full-model HDF5 of a Sequential of Dense and LSTM layers: Keras 1 config keys
 * (output_dim, init, inner_activation), Theano-style '<layer>_W' names without ':0', and LSTM
 * weights per gate in Keras 1's order (i, c, f, o).
 */
export function writeKeras1Full(path, model) {
  const topo = keras2Config(model);
  const list = (Array.isArray(topo.config) ? topo.config : topo.config.layers).filter((l) => l.class_name !== 'InputLayer');
  const layers = [];
  const k1 = list.map((l, i) => {
    const c = l.config;
    const lw = layerWeights(model).find((x) => x.name === c.name);
    let config;
    if (l.class_name === 'Dense') {
      config = { name: c.name, output_dim: c.units, activation: c.activation, bias: c.use_bias, init: 'glorot_uniform', trainable: true, W_regularizer: null, input_dim: null };
      layers.push({ name: c.name, weights: lw.weights.map((w) => ({ ...w, keras1: w.name.endsWith('kernel') ? 'W' : 'b' })) });
    } else if (l.class_name === 'LSTM') {
      config = { name: c.name, output_dim: c.units, activation: c.activation, inner_activation: c.recurrent_activation, return_sequences: c.return_sequences, go_backwards: c.go_backwards, init: 'glorot_uniform', inner_init: 'orthogonal', forget_bias_init: 'one', consume_less: 'cpu', dropout_W: 0, dropout_U: 0, trainable: true, stateful: false, unroll: false };
      const [W, U, b] = lw.weights;
      const u = c.units;
      const gate = { i: 0, f: 1, c: 2, o: 3 };
      const weights = [];
      for (const g of ['i', 'c', 'f', 'o']) {
        weights.push({ keras1: `W_${g}`, ...columns(W, gate[g] * u, u) }, { keras1: `U_${g}`, ...columns(U, gate[g] * u, u) }, { keras1: `b_${g}`, ...columns(b, gate[g] * u, u) });
      }
      layers.push({ name: c.name, weights });
    } else {
      throw new Error(`writeKeras1Full writes Dense and LSTM layers only, not ${l.class_name}`);
    }
    if (i === 0) config.batch_input_shape = c.batch_input_shape ?? model.inputs[0].shape;
    return { class_name: l.class_name, config };
  });
  h5File(path, (f) => {
    f.create_attribute('model_config', JSON.stringify({ class_name: 'Sequential', config: k1 }));
    f.create_attribute('keras_version', '1.2.2');
    f.create_attribute('backend', 'theano');
    writeLayerNames(f.create_group('model_weights'), layers, { keras1: true });
  });
}

const DTYPE = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

// Keras 3's to_snake_case, written here again on purpose: the writer must not borrow the loader's copy it tests.
function snake(name) {
  return name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The model's topology as Keras 3 writes it: module / registered_name, batch_shape, dtype policies, __keras_tensor__ inbound nodes. */
export function keras3Config(model) {
  const t = model.toJSON(null, false);
  const tensor = ([layer, node, index]) => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [layer, node, index] } });
  const layer = (l) => {
    const { batch_input_shape, ...cfg } = l.config;
    const config = l.class_name === 'InputLayer' ? { batch_shape: batch_input_shape, dtype: 'float32', sparse: false, name: cfg.name } : { ...cfg, dtype: DTYPE };
    const out = { module: 'keras.layers', class_name: l.class_name, config, registered_name: null };
    if (l.inbound_nodes) {
      out.name = l.name;
      out.inbound_nodes = l.inbound_nodes.map((node) => ({ args: [node.length === 1 ? tensor(node[0]) : node.map(tensor)], kwargs: {} }));
    }
    return out;
  };
  if (t.class_name === 'Sequential') {
    const list = Array.isArray(t.config) ? t.config : t.config.layers;
    const first = list[0];
    const input = { class_name: 'InputLayer', config: { batch_input_shape: first.config.batch_input_shape, name: 'input_layer' } };
    const { batch_input_shape, ...rest } = first.config;
    return { module: 'keras', class_name: 'Sequential', config: { name: t.config.name ?? 'sequential', trainable: true, dtype: DTYPE, layers: [input, { ...first, config: rest }, ...list.slice(1)].map(layer) }, registered_name: null };
  }
  const one = (refs) => (refs.length === 1 ? refs[0] : refs);
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: t.config.name, trainable: true, layers: t.config.layers.map(layer), input_layers: one(t.config.input_layers), output_layers: one(t.config.output_layers) },
    registered_name: 'Functional',
  };
}

/** A Keras 3 `.keras` archive. `nameAttr: false` leaves out the vars groups' name attribute, as older Keras 3 files do. */
export function writeKeras3Zip(path, model, { nameAttr = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nn2eq-k3-'));
  const h5 = join(dir, 'model.weights.h5');
  try {
    h5File(h5, (f) => {
      const layers = f.create_group('layers');
      const used = new Map();
      for (const l of layerWeights(model)) {
        if (l.className === 'InputLayer') continue;
        const base = snake(l.className);
        const n = used.get(base) ?? 0;
        used.set(base, n + 1);
        const group = layers.create_group(n === 0 ? base : `${base}_${n}`);
        // Keras 3 keeps a recurrent layer's variables in its cell, and a Bidirectional's in
        // forward_layer/cell and backward_layer/cell.
        const sets = l.className === 'Bidirectional'
          ? [['forward_layer/cell', l.weights.filter((w) => /forward/.test(w.name))], ['backward_layer/cell', l.weights.filter((w) => /backward/.test(w.name))]]
          : [[/^(LSTM|GRU|SimpleRNN)$/.test(l.className) ? 'cell' : '', l.weights]];
        for (const [sub, ws] of sets) {
          let at = group;
          for (const part of sub.split('/').filter(Boolean)) at = at.create_group(part);
          const vars = at.create_group('vars');
          if (nameAttr && sub === '') vars.create_attribute('name', l.name);
          ws.forEach((w, i) => vars.create_dataset({ name: String(i), data: Float32Array.from(w.values), shape: w.shape, dtype: '<f' }));
        }
      }
      const opt = f.create_group('optimizer').create_group('vars');
      opt.create_dataset({ name: '0', data: new Float32Array([3]), shape: [], dtype: '<f' });
    });
    const files = {
      'metadata.json': new TextEncoder().encode(JSON.stringify({ keras_version: '3.10.0', date_saved: '2026-11-22@00:00:00' })),
      'config.json': new TextEncoder().encode(JSON.stringify(keras3Config(model))),
      'model.weights.h5': new Uint8Array(readFileSync(h5)),
    };
    writeFileSync(path, zipSync(files, { level: 0, mtime: new Date(Date.UTC(2026, 0, 1)) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
