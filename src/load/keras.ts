import { Nn2eqError } from '../errors.js';
import { at, isGroup, readHdf5, stringAttr, stringList, toWeight, type H5Dataset, type H5Group } from './hdf5.js';
import { parseJson } from './json.js';
import { keras1Weights } from './keras1.js';
import type { LayerSpec } from './spec.js';
import { parseTopology, type Topology } from './topology.js';
import { readZip } from './zip.js';

/**
 * Keras files: legacy full-model HDF5, weights-only HDF5 (Keras 1/2 `layer_names` layout or
 * Keras 3 `layers/<path>/vars/<i>` layout) and Keras 3 `.keras` zips. Every path ends in a
 * `Topology` whose layers hold their weights under Keras 2 / TF.js variable names.
 */

/** A full-model HDF5 file: `model_config` attribute plus `model_weights`. */
export async function loadKerasHdf5(bytes: Uint8Array, file: string, warnings: string[]): Promise<Topology> {
  const root = await readHdf5(bytes, file);
  const config = stringAttr(root, 'model_config');
  if (config === undefined) {
    const found = [...root.children.keys()].slice(0, 6).join(', ') || 'nothing';
    throw new Nn2eqError(
      `${file}: is an HDF5 file with no model config (a weights file? pass it with --weights; found ${found})`,
      'input',
      'pass the architecture JSON (model.to_json()) as the model and this file with --weights',
    );
  }
  const topology = parseTopology(parseJson(config, `${file} (model_config)`), file, stringAttr(root, 'keras_version'));
  attachHdf5Weights(topology, root, file, warnings);
  return topology;
}

/** A weights file (HDF5 of any Keras layout, or a full-model file) for an architecture read elsewhere. */
export async function attachWeightsFile(topology: Topology, bytes: Uint8Array, file: string, warnings: string[]): Promise<void> {
  if (!isHdf5(bytes)) throw new Nn2eqError(`${file}: --weights expects an HDF5 file (Keras .h5), but this file does not start with the HDF5 signature`, 'input', 'pass the .h5 written by model.save_weights or model.save');
  attachHdf5Weights(topology, await readHdf5(bytes, file), file, warnings);
}

/** A Keras 3 `.keras` archive: config.json, model.weights.h5 and metadata.json. */
export async function loadKerasZip(bytes: Uint8Array, file: string, warnings: string[]): Promise<Topology> {
  const entries = await readZip(bytes, file);
  const need = (name: string): Uint8Array => {
    const e = entries.get(name);
    if (!e && name === 'config.json') throw new Nn2eqError(`${file}: is a zip archive without config.json, so not a Keras 3 .keras file; it holds ${[...entries.keys()].slice(0, 6).join(', ') || 'nothing'}`, 'input', 'pass the file written by model.save("model.keras")');
    if (!e) throw new Nn2eqError(`${file}: the .keras archive has no ${name}; it holds ${[...entries.keys()].join(', ') || 'nothing'}`, 'input', 'save the model again with model.save("model.keras")');
    return e;
  };
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const config = parseJson(text(need('config.json')), `${file} (config.json)`);
  const meta = entries.get('metadata.json');
  const metaJson = meta ? parseJson(text(meta), `${file} (metadata.json)`) : null;
  const version = metaJson && typeof metaJson === 'object' && !Array.isArray(metaJson) && typeof metaJson.keras_version === 'string' ? metaJson.keras_version : '3';
  const topology = parseTopology(config, file, version);
  const weights = await readHdf5(need('model.weights.h5'), `${file} (model.weights.h5)`);
  attachHdf5Weights(topology, weights, `${file} (model.weights.h5)`, warnings);
  return topology;
}

export function isHdf5(bytes: Uint8Array): boolean {
  const magic = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && magic.every((b, i) => bytes[i] === b);
}

function attachHdf5Weights(topology: Topology, root: H5Group, file: string, warnings: string[]): void {
  const modelWeights = root.children.get('model_weights');
  const layers = root.children.get('layers');
  if (isGroup(modelWeights)) attachLayerNames(topology, modelWeights, file);
  else if (root.attrs.has('layer_names')) attachLayerNames(topology, root, file);
  else if (isGroup(layers)) attachKeras3(topology, layers, file);
  else return refuseLayout(root, file);
  warnNonFinite(topology.layers, warnings);
}

function refuseLayout(root: H5Group, file: string): never {
  const found = [...root.children.keys()].slice(0, 6).join(', ') || 'no groups';
  throw new Nn2eqError(`${file}: no Keras weights found: expected a layer_names attribute, a model_weights group or a layers group; found ${found}`, 'input', 'pass the .h5 written by Keras (model.save or model.save_weights)');
}

/** Keras 1/2 layout: `layer_names` lists layer groups; each group's `weight_names` lists its datasets in order. */
function attachLayerNames(topology: Topology, g: H5Group, file: string): void {
  const byName = new Map(topology.layers.map((l) => [l.name, l]));
  const foreign: string[] = [];
  for (const ln of stringList(g, 'layer_names')) {
    const grp = g.children.get(ln);
    if (!isGroup(grp)) throw new Nn2eqError(`${file}: layer_names lists '${ln}', but the file has no group of that name`, 'input', 'the weights file is damaged; save it again');
    const stored = stringList(grp, 'weight_names').map((n) => {
      const d = at(grp, n) ?? at(grp, n.replace(/:\d+$/, '')) ?? at(grp, `${n}:0`);
      if (d === undefined || isGroup(d)) {
        throw new Nn2eqError(`${file}: layer '${ln}' lists weight '${n}', but no such dataset exists; the group holds ${[...grp.children.keys()].join(', ') || 'nothing'}`, 'input', 'the weights file is damaged; save it again');
      }
      return toWeight(n, d);
    });
    if (stored.length === 0) continue;
    const layer = byName.get(ln);
    if (topology.kerasMajor === 1) {
      if (!layer) foreign.push(ln);
      else for (const [k, w] of keras1Weights(layer.className, ln, stored, file)) layer.weights.set(k, w);
      continue;
    }
    for (const w of stored) {
      // A nested model's group lists its inner layers' weights as '<inner layer>/<var>'.
      const owner = byName.get(w.name.split('/')[0]) ?? layer;
      if (!owner) {
        if (!foreign.includes(ln)) foreign.push(ln);
        continue;
      }
      owner.weights.set(variableName(owner, w.name), w);
    }
  }
  refuseForeign(topology, foreign, file);
}

/** Keras 3 layout: `layers/<path>/…/vars/<i>`, matched to layers by the `name` attribute, else by class and order. */
function attachKeras3(topology: Topology, layersGroup: H5Group, file: string): void {
  const byName = new Map(topology.layers.map((l) => [l.name, l]));
  // Keras 3 names each layer's group after its class in snake_case, numbered per class in layer order.
  const byPath = new Map<string, LayerSpec>();
  const used = new Map<string, number>();
  for (const l of topology.layers) {
    if (l.className === 'InputLayer') continue;
    const base = keras3Snake(l.className);
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    byPath.set(n === 0 ? base : `${base}_${n}`, l);
  }
  const foreign: string[] = [];
  for (const [path, node] of layersGroup.children) {
    if (!isGroup(node)) continue;
    const vars = varsGroups(node);
    if (vars.every((v) => v.weights.length === 0)) continue;
    const named = vars.map((v) => v.name).find((n) => n !== undefined && byName.has(n));
    const layer = (named !== undefined ? byName.get(named) : undefined) ?? byPath.get(path);
    if (!layer) {
      foreign.push(path);
      continue;
    }
    for (const v of vars) {
      const names = keras3VarNames(layer);
      // MultiHeadAttention's EinsumDense sub-layers: under the query_dense property (newer Keras 3) or the _query_dense attribute.
      const sublayer = layer.className === 'MultiHeadAttention' ? /^_?(query|key|value|output)_dense$/.exec(v.sub) : null;
      const prefix = sublayer ? `${sublayer[1] === 'output' ? 'attention_output' : sublayer[1]}/` : /backward/.test(v.sub) ? 'backward/' : /forward/.test(v.sub) ? 'forward/' : '';
      v.weights.forEach((d, i) => layer.weights.set(prefix + (names[i] ?? `var${i}`), toWeight(`${path}/${v.sub ? `${v.sub}/` : ''}vars/${i}`, d)));
    }
  }
  refuseForeign(topology, foreign, file);
}

/** Every `vars` group below `g` (depth first), with its datasets in index order. */
function varsGroups(g: H5Group): { sub: string; name?: string; weights: H5Dataset[] }[] {
  const out: { sub: string; name?: string; weights: H5Dataset[] }[] = [];
  const stack: { g: H5Group; sub: string }[] = [{ g, sub: '' }];
  while (stack.length > 0) {
    const { g: cur, sub } = stack.pop()!;
    const entries = [...cur.children].sort(([a], [b]) => a.localeCompare(b));
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, child] = entries[i];
      if (!isGroup(child)) continue;
      if (k === 'vars') {
        const ds = [...child.children].filter(([n, d]) => /^\d+$/.test(n) && !isGroup(d)).sort(([a], [b]) => Number(a) - Number(b)).map(([, d]) => d as H5Dataset);
        out.push({ sub, name: stringAttr(child, 'name'), weights: ds });
      } else {
        stack.push({ g: child, sub: sub ? `${sub}/${k}` : k });
      }
    }
  }
  return out;
}

/** Keras 3's `to_snake_case` of a class name (Conv2D → conv2d, PReLU → p_re_lu). */
export function keras3Snake(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Keras 2 / TF.js names of a Keras 3 layer's positional variables. */
function keras3VarNames(layer: LayerSpec): string[] {
  const c = layer.config;
  const scaleCenter = [...(c.scale !== false ? ['gamma'] : []), ...(c.center !== false ? ['beta'] : [])];
  switch (layer.className) {
    case 'BatchNormalization':
      return [...scaleCenter, 'moving_mean', 'moving_variance'];
    case 'LayerNormalization':
    case 'GroupNormalization':
      return scaleCenter;
    case 'Attention':
      return [...(c.use_scale === true ? ['scale'] : []), ...(c.score_mode === 'concat' ? ['concat_score_weight'] : [])];
    case 'AdditiveAttention':
      return ['scale'];
    case 'Normalization':
      return ['mean', 'variance', 'count'];
    case 'PReLU':
      return ['alpha'];
    case 'Embedding':
      return ['embeddings'];
    case 'DepthwiseConv1D':
    case 'DepthwiseConv2D':
      return ['depthwise_kernel', 'bias'];
    case 'SeparableConv1D':
    case 'SeparableConv2D':
      return ['depthwise_kernel', 'pointwise_kernel', 'bias'];
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
    case 'Bidirectional':
      return ['kernel', 'recurrent_kernel', 'bias'];
    default:
      return ['kernel', 'bias'];
  }
}

/**
 * The variable name of a stored weight within its layer: the last path component without ':0';
 * a Bidirectional layer keeps which direction it belongs to ('forward/kernel'), a
 * MultiHeadAttention which projection ('query/kernel').
 */
export function variableName(layer: LayerSpec, stored: string): string {
  const parts = stored.replace(/:\d+$/, '').split('/');
  const last = parts[parts.length - 1];
  // Its four EinsumDense sub-layers each have a kernel and a bias: 'query/kernel', …, 'attention_output/bias'.
  if (layer.className === 'MultiHeadAttention' && parts.length >= 2) return `${parts[parts.length - 2]}/${last}`;
  if (layer.className === 'Bidirectional') {
    const dir = parts.slice(0, -1).find((p) => /^(forward|backward)/.test(p));
    if (dir) return `${dir.startsWith('forward') ? 'forward' : 'backward'}/${last}`;
  }
  return last;
}

function refuseForeign(topology: Topology, foreign: string[], file: string): void {
  if (foreign.length === 0) return;
  const bare = topology.layers.filter((l) => l.className !== 'InputLayer' && l.weights.size === 0).map((l) => l.name);
  throw new Nn2eqError(
    `${file}: holds weights for ${foreign.length} layer${foreign.length === 1 ? '' : 's'} the architecture does not have (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); the architecture's layers without weights: ${bare.slice(0, 5).join(', ') || 'none'}${bare.length > 5 ? ', …' : ''}`,
    'input',
    'this weights file belongs to another architecture; pass the weights saved with this model',
  );
}

/** Warns about weights that are not finite (the equations would carry NaN). */
export function warnNonFinite(layers: LayerSpec[], warnings: string[]): void {
  for (const l of layers) {
    for (const w of l.weights.values()) {
      let bad = 0;
      for (let i = 0; i < w.values.length; i++) if (!Number.isFinite(w.values[i])) bad++;
      if (bad > 0) warnings.push(`weight '${w.name}' has ${bad} NaN or infinite value${bad === 1 ? '' : 's'}; the equations will carry them`);
    }
  }
}
