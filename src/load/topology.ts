import { Nn2eqError } from '../errors.js';
import { arrayAt, isObject, objectAt, shapeAt, stringAt, wrongShape, type Json, type JsonObject } from './json.js';
import { keras1Layer } from './keras1.js';
import type { CallSpec, Config, InputSpec, LayerSpec, TensorRef } from './spec.js';

/** A model graph read from a Keras-style topology, before its weights are attached. */
export interface Topology {
  name: string;
  kerasMajor: number;
  layers: LayerSpec[];
  inputs: InputSpec[];
  outputs: TensorRef[];
}

/**
 * Reads a Keras-style model topology (Keras 1/2/3, tf.keras or TF.js, Sequential or functional)
 * into one normalized graph. Every dialect difference is settled here.
 */
export function parseTopology(raw: Json, file: string, versionHint?: string): Topology {
  let top = objectAt(raw, file, 'modelTopology');
  // The Python converter nests the model under model_config, beside training_config.
  if (isObject(top.model_config)) top = { ...top.model_config, keras_version: top.keras_version ?? null };
  const className = stringAt(top.class_name, file, 'modelTopology.class_name');
  const version = typeof top.keras_version === 'string' ? top.keras_version : versionHint;
  const kerasMajor = majorVersion(version, top);
  const cfg = top.config;
  if (className === 'Sequential') return flattenNested(sequential(cfg, file, kerasMajor), file, version);
  if (className === 'Model' || className === 'Functional') return flattenNested(functional(objectAt(cfg, file, 'modelTopology.config'), file, kerasMajor), file, version);
  throw new Nn2eqError(
    `${file}: modelTopology.class_name is '${className}', expected 'Sequential', 'Model' or 'Functional'`,
    'unsupported',
  );
}

function majorVersion(version: string | undefined, top: JsonObject): number {
  if (version?.startsWith('tfjs')) return 2;
  const m = version ? /^(\d+)\./.exec(version) : null;
  if (m) return Number(m[1]);
  // Keras 3 marks the model object itself with module / registered_name.
  return 'registered_name' in top || 'module' in top ? 3 : 2;
}

function sequential(cfg: Json | undefined, file: string, kerasMajor: number): Topology {
  const list = Array.isArray(cfg) ? cfg : arrayAt(objectAt(cfg, file, 'modelTopology.config').layers, file, 'modelTopology.config.layers');
  const name = isObject(cfg) && typeof cfg.name === 'string' ? cfg.name : 'sequential';
  const raw = list.map((l, i) => layerHeader(l, file, `layer ${i}`, kerasMajor));
  if (raw.length === 0) throw new Nn2eqError(`${file}: the Sequential model has no layers`);
  const layers: LayerSpec[] = [];
  let first = raw[0];
  if (first.className !== 'InputLayer') {
    const shape = first.config.batch_input_shape;
    if (!Array.isArray(shape)) {
      throw new Nn2eqError(
        `${file}: the first layer '${first.name}' declares no input shape (batch_input_shape)`,
        'input',
        'save the model after building it, or give its first layer an input shape',
      );
    }
    const used = new Set(raw.map((l) => l.name));
    let inName = `${first.name}_input`;
    while (used.has(inName)) inName += '_';
    first = { name: inName, className: 'InputLayer', config: { batch_input_shape: shape, name: inName }, inbound: [], weights: new Map() };
    layers.push(first);
  }
  for (const l of raw) {
    if (l === raw[0] && l.className === 'InputLayer') {
      layers.push(l);
      continue;
    }
    const prev = layers[layers.length - 1];
    layers.push({ ...l, inbound: [[{ layer: prev.name, node: 0, tensor: 0 }]] });
  }
  checkUnique(layers, file);
  const input = layers[0];
  return {
    name,
    kerasMajor,
    layers,
    inputs: [{ ref: { layer: input.name, node: 0, tensor: 0 }, shape: inputShape(input, file) }],
    outputs: [{ layer: layers[layers.length - 1].name, node: 0, tensor: 0 }],
  };
}

function functional(cfg: JsonObject, file: string, kerasMajor: number): Topology {
  const list = arrayAt(cfg.layers, file, 'modelTopology.config.layers');
  const layers = list.map((l, i) => {
    const head = layerHeader(l, file, `layer ${i}`, kerasMajor);
    const nodes = arrayAt((l as JsonObject).inbound_nodes ?? [], file, `layer '${head.name}'.inbound_nodes`).map((n) => inboundNode(n, file, head.name));
    const calls = nodes.map((n) => n.call);
    const plain = calls.every((c) => Object.keys(c.options).length === 0 && c.keywords.every((k) => k === null) && c.constant === undefined);
    return { ...head, inbound: nodes.map((n) => n.refs), ...(plain ? {} : { calls }) };
  });
  checkUnique(layers, file);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const inputs = refList(cfg.input_layers, file, 'input_layers').map((ref) => {
    const layer = byName.get(ref.layer);
    if (!layer) throw new Nn2eqError(`${file}: input_layers names '${ref.layer}', which is not a layer of the model`);
    return { ref, shape: inputShape(layer, file) };
  });
  const outputs = refList(cfg.output_layers, file, 'output_layers');
  for (const l of layers) {
    for (const node of l.inbound) {
      for (const r of node) {
        if (!byName.has(r.layer)) throw new Nn2eqError(`${file}: layer '${l.name}' takes input from '${r.layer}', which is not a layer of the model`);
      }
    }
  }
  for (const r of outputs) if (!byName.has(r.layer)) throw new Nn2eqError(`${file}: output_layers names '${r.layer}', which is not a layer of the model`);
  return { name: typeof cfg.name === 'string' ? cfg.name : 'model', kerasMajor, layers, inputs, outputs };
}

function layerHeader(l: Json, file: string, where: string, kerasMajor: number): LayerSpec {
  const o = objectAt(l, file, where);
  let className = stringAt(o.class_name, file, `${where}.class_name`);
  const config = objectAt(o.config ?? {}, file, `${where}.config`);
  const name = typeof o.name === 'string' ? o.name : stringAt(config.name, file, `${where}.config.name`);
  let normalized = normalizeConfig(config, file);
  if (kerasMajor === 1) {
    ({ className, config: normalized } = keras1Layer(className, normalized, file, name));
    if (normalized.recurrent_activation !== undefined) normalized.recurrent_activation = activationName(normalized.recurrent_activation as Json);
  }
  if (typeof o.module === 'string') normalized.module = o.module;
  return { name, className, config: normalized, inbound: [], weights: new Map() };
}

/** Settles Keras 1/2/3 and TF.js spellings of the same setting. */
function normalizeConfig(config: JsonObject, file: string, depth = 0): Config {
  // Wrappers nest layer configs; a file cannot make this recursion deep.
  if (depth > MAX_WRAPPER_DEPTH) throw new Nn2eqError(`${file}: layer configs nested more than ${MAX_WRAPPER_DEPTH} wrappers deep`, 'input');
  const c: Config = {};
  for (const [k, v] of Object.entries(config)) c[snake(k)] = v;
  if (c.batch_input_shape === undefined) {
    if (Array.isArray(c.batch_shape)) c.batch_input_shape = c.batch_shape;
    else if (Array.isArray(c.input_shape)) c.batch_input_shape = [null, ...c.input_shape];
  }
  for (const key of ['activation', 'recurrent_activation']) {
    if (c[key] !== undefined) c[key] = activationName(c[key] as Json);
  }
  checkSizes(c, file);
  // Wrappers (TimeDistributed, Bidirectional) hold whole layer configs: normalize those too.
  for (const key of ['layer', 'backward_layer']) {
    const inner = c[key];
    if (isObject(inner) && typeof inner.class_name === 'string' && isObject(inner.config)) {
      c[key] = { class_name: inner.class_name, config: normalizeConfig(inner.config, file, depth + 1) };
    }
  }
  return c;
}

const MAX_WRAPPER_DEPTH = 16;

/** Config keys holding sizes, counts or windows, and the least value each may take. */
const SIZE_KEYS: Record<string, number> = {
  units: 1, filters: 1, kernel_size: 1, strides: 1, pool_size: 1, dilation_rate: 1, size: 1, n: 1,
  depth_multiplier: 1, groups: 1, input_dim: 1, output_dim: 1, padding: 0, cropping: 0, target_shape: -1, dims: 1,
};

/** Largest size a config may give (units, padding, strides, …): past it no output is printable. */
export const MAX_CONFIG_SIZE = 1 << 18;

/**
 * Refuses sizes that are not whole numbers in range before any layer rule allocates by them: a
 * damaged file's padding of 1e10 would otherwise fill memory. Values of other types are left to
 * the layer rules, which name what they expected (padding 'same', target_shape lists, …).
 */
function checkSizes(c: Config, file: string): void {
  for (const [key, least] of Object.entries(SIZE_KEYS)) {
    const v = c[key];
    if (v === undefined || v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    const flat: Json[] = [];
    const stack: Json[] = [v as Json];
    while (stack.length > 0 && flat.length <= 64) {
      const x = stack.pop()!;
      if (Array.isArray(x)) stack.push(...x.slice(0, 65));
      else flat.push(x);
    }
    const bad = flat.find((x) => x !== null && (typeof x !== 'number' || !Number.isSafeInteger(x) || x < least || x > MAX_CONFIG_SIZE));
    if (bad !== undefined || flat.length > 64) {
      const name = typeof c.name === 'string' ? `layer '${c.name}'` : 'a layer';
      throw new Nn2eqError(`${file}: ${name} has ${key} ${JSON.stringify(v).slice(0, 60)}, expected whole numbers from ${least} to ${MAX_CONFIG_SIZE}`, 'input', 'the file is damaged, or the layer is too large to print');
    }
  }
}

/** Canonical activation names: snake_case, aliases resolved, gelu's tanh form as 'gelu_new'. */
export function activationName(a: Json): string {
  // An activation object ({class_name, config}) names it in class_name, or in config when that is a string.
  let approximate = false;
  let cur = a;
  for (let depth = 0; isObject(cur) && depth <= MAX_WRAPPER_DEPTH; depth++) {
    if (depth === 0 && isObject(cur.config) && cur.config.approximate === true) approximate = true;
    cur = (cur.class_name ?? cur.config) as Json;
  }
  if (cur === null) return 'linear';
  if (typeof cur !== 'string') return isObject(cur) ? 'object' : String(cur);
  const s = ACTIVATION_ALIASES[snake(cur)] ?? snake(cur);
  return s === 'gelu' && approximate ? 'gelu_new' : s;
}

const ACTIVATION_ALIASES: Record<string, string> = { silu: 'swish', hardsigmoid: 'hard_sigmoid', logsoftmax: 'log_softmax' };

function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function inboundNode(n: Json, file: string, layer: string): { refs: TensorRef[]; call: CallSpec } {
  const where = `layer '${layer}'.inbound_nodes`;
  const node = inboundCall(n, file, where);
  if (node.refs.length === 0) throw new Nn2eqError(`${file}: ${where} has a call with no input tensor`, 'input', 'the file is damaged; save the model again');
  return node;
}

/**
 * One call of a layer. Keras 2 writes [layer, node, tensor, kwargs] for each tensor of the first
 * argument (a TF op layer writes a lone entry when that argument is one tensor, and
 * ['_CONSTANT_VALUE', -1, value, kwargs] when it is a constant); the other arguments are in
 * kwargs, tensors as [layer, node, tensor]. Keras 3 writes {args, kwargs} holding
 * __keras_tensor__ objects, possibly in lists.
 */
function inboundCall(n: Json, file: string, where: string): { refs: TensorRef[]; call: CallSpec } {
  const refs: TensorRef[] = [];
  const keywords: (string | null)[] = [];
  const options: Record<string, unknown> = {};
  let constant: unknown;
  const add = (r: TensorRef, keyword: string | null) => {
    refs.push(r);
    keywords.push(keyword);
  };
  if (Array.isArray(n)) {
    const entries = typeof n[0] === 'string' ? [n] : n;
    let kwargs: Json | undefined;
    for (const e of entries) {
      const a = arrayAt(e, file, where);
      if (a[0] === '_CONSTANT_VALUE') constant = a[2];
      else add(tensorRef(a, file, where), null);
      if (kwargs === undefined && a.length > 3) kwargs = a[3];
    }
    if (isObject(kwargs)) {
      for (const [k, v] of Object.entries(kwargs)) {
        const tensors = keras2Refs(v);
        if (tensors) tensors.forEach((t) => add(tensorRef(t, file, where), k));
        else options[k] = v;
      }
    }
    return { refs, call: { keywords, options, ...(constant !== undefined ? { constant } : {}) } };
  }
  const o = objectAt(n, file, where);
  for (const r of kerasTensors(o.args ?? [], file, where)) add(r, null);
  if (isObject(o.kwargs)) {
    for (const [k, v] of Object.entries(o.kwargs)) {
      const tensors = kerasTensors(v, file, where);
      if (tensors.length > 0) tensors.forEach((r) => add(r, k));
      else options[k] = v;
    }
  }
  return { refs, call: { keywords, options } };
}

/** A Keras 2 keyword argument that is a tensor [layer, node, tensor] or a list of them; else null. */
function keras2Refs(v: Json): Json[][] | null {
  const isRef = (x: Json): x is Json[] => Array.isArray(x) && x.length === 3 && typeof x[0] === 'string' && Number.isSafeInteger(x[1]) && Number.isSafeInteger(x[2]);
  if (isRef(v)) return [v];
  if (Array.isArray(v) && v.length > 0 && v.every(isRef)) return v as Json[][];
  return null;
}

/** The __keras_tensor__ objects in a Keras 3 call argument, in order. */
function kerasTensors(v: Json, file: string, where: string): TensorRef[] {
  const refs: TensorRef[] = [];
  const stack: Json[] = [v];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (Array.isArray(x)) {
      for (let i = x.length - 1; i >= 0; i--) stack.push(x[i]);
    } else if (isObject(x) && x.class_name === '__keras_tensor__') {
      const history = objectAt(x.config, file, where).keras_history;
      refs.push(tensorRef(history, file, where));
    }
  }
  return refs;
}

function tensorRef(r: Json, file: string, where: string): TensorRef {
  const a = arrayAt(r, file, where);
  const [layer, node, tensor] = a;
  if (typeof layer !== 'string' || !Number.isSafeInteger(node) || !Number.isSafeInteger(tensor) || (node as number) < 0 || (tensor as number) < 0) {
    throw wrongShape(file, where, '[layer name, node index, tensor index]', r);
  }
  return { layer, node: node as number, tensor: tensor as number };
}

function refList(v: Json | undefined, file: string, where: string): TensorRef[] {
  const a = arrayAt(v, file, where);
  // Keras 3 writes a single [name, node, tensor] when there is one input or output.
  if (typeof a[0] === 'string') return [tensorRef(a, file, where)];
  return a.map((r) => tensorRef(r, file, where));
}

function inputShape(layer: LayerSpec, file: string): (number | null)[] {
  const s = layer.config.batch_input_shape;
  if (!Array.isArray(s)) throw new Nn2eqError(`${file}: input layer '${layer.name}' declares no batch_input_shape`);
  const shape = shapeAt(s, file, `layer '${layer.name}'.batch_input_shape`).slice(1);
  // Every input scalar becomes a symbol of the output: refuse before anything is allocated.
  const scalars = shape.reduce<number>((n, d) => n * (d ?? 1), 1);
  if (scalars > MAX_INPUT_SCALARS) {
    throw new Nn2eqError(`${file}: input layer '${layer.name}' declares shape [${shape.join(', ')}], ${scalars.toExponential(2)} scalars, more than the ${MAX_INPUT_SCALARS} nn2eq can print`, 'too-large', 'a model this large has no readable scalar form');
  }
  return shape;
}

/**
 * Most scalars one model input may declare (a 512×512 image): even an elementwise layer over more
 * takes seconds and gigabytes to print, and a layer mixing them has no printable form.
 */
export const MAX_INPUT_SCALARS = 1 << 18;

function checkUnique(layers: LayerSpec[], file: string): void {
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) throw new Nn2eqError(`${file}: two layers are named '${l.name}'; layer names must be unique`);
    seen.add(l.name);
  }
}

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/**
 * Replaces every model used as a layer by its own layers, wired to the outer model: the inner
 * inputs become the tensors the nested model is called on, and references to the nested model's
 * outputs point at the inner layers that make them. A nested model called k times gives its
 * layers k calls. Runs until no nesting is left (a loop, not recursion).
 */
function flattenNested(t: Topology, file: string, version: string | undefined): Topology {
  let layers = t.layers;
  let outputs = t.outputs;
  for (;;) {
    const at = layers.findIndex((l) => MODEL_CLASSES.has(l.className));
    if (at < 0) break;
    const outer = layers[at];
    const inner = parseTopology({ class_name: outer.className, config: outer.config as Json, keras_version: version ?? null }, file);
    const taken = new Set(layers.map((l) => l.name));
    const innerLayers = inner.layers.filter((l) => l.className !== 'InputLayer');
    for (const l of innerLayers) {
      if (taken.has(l.name)) throw new Nn2eqError(`${file}: nested model '${outer.name}' has a layer named '${l.name}', as the outer model does`, 'unsupported', 'give the layers distinct names and save the model again');
    }
    const inputIndex = new Map(inner.inputs.map((inp, i) => [inp.ref.layer, i]));
    const calls = new Map(inner.layers.map((l) => [l.name, Math.max(l.inbound.length, 1)]));
    const fromInner = (r: TensorRef, k: number): TensorRef => {
      const i = inputIndex.get(r.layer);
      if (i !== undefined) {
        const arg = outer.inbound[k][i];
        if (!arg) throw new Nn2eqError(`${file}: nested model '${outer.name}' takes ${inner.inputs.length} inputs, but call ${k} gives ${outer.inbound[k].length}`);
        return arg;
      }
      return { layer: r.layer, node: r.node + k * calls.get(r.layer)!, tensor: r.tensor };
    };
    const wired = innerLayers.map((l) => ({
      ...l,
      inbound: outer.inbound.flatMap((_, k) => l.inbound.map((node) => node.map((r) => fromInner(r, k)))),
      ...(l.calls ? { calls: outer.inbound.flatMap(() => l.calls!) } : {}),
    }));
    // A nested model built on its own Input keeps its construction as node 0, and Keras and
    // TF.js number its calls from 1 (Keras's _should_skip_first_node); others number from 0.
    const refs = [...layers.flatMap((l) => l.inbound.flat()), ...outputs].filter((r) => r.layer === outer.name);
    const skip = refs.some((r) => r.node >= outer.inbound.length) ? 1 : 0;
    const toInner = (r: TensorRef): TensorRef => {
      if (r.layer !== outer.name) return r;
      const o = inner.outputs[r.tensor];
      if (!o) throw new Nn2eqError(`${file}: nested model '${outer.name}' has no output ${r.tensor}`);
      if (r.node - skip < 0 || r.node - skip >= outer.inbound.length) throw new Nn2eqError(`${file}: layer input refers to call ${r.node} of nested model '${outer.name}', which has ${outer.inbound.length} call(s)`);
      return fromInner(o, r.node - skip);
    };
    layers = [...layers.slice(0, at), ...wired, ...layers.slice(at + 1)].map((l) => ({ ...l, inbound: l.inbound.map((node) => node.map(toInner)) }));
    outputs = outputs.map(toInner);
  }
  return { ...t, layers, outputs };
}
