import { Nn2eqError } from '../errors.js';
import type { LayerSpec, ModelSpec, TensorRef, Weight } from '../load/spec.js';
import { ProgramBuilder } from '../tensor/builder.js';
import { TOPS, type TOpInfo } from '../tensor/ops.js';
import type { LayerCall, T, TensorPort, TensorProgram } from '../tensor/program.js';
import { scalarize, type Extracted, type ScalarizeOptions } from '../tensor/scalarize.js';
import { activationLayerExtractors } from './activation_layers.js';
import { activationLayers } from './activations.js';
import { coreLayers } from './core.js';
import { denseLayers } from './dense.js';
import { attentionLayers } from './attention.js';
import { convLayers } from './conv.js';
import { convTransposeLayers } from './conv_transpose.js';
import { mergeLayers } from './merge.js';
import { poolingLayers } from './pooling.js';
import { recurrentLayers } from './recurrent.js';
import { reshapeLayers } from './reshape.js';
import { tfOpLayers } from './tf_op_layers.js';
import { normalizationLayers } from './normalization.js';
import type { CallArgs, Extractor, LayerContext } from './types.js';

export type { Extractor, LayerContext, T } from './types.js';
export type { Extracted, Port, ScalarCall } from '../tensor/scalarize.js';

/** The one registry of layer extractors, keyed by Keras class name. */
export const EXTRACTORS: Readonly<Record<string, Extractor>> = {
  ...coreLayers,
  ...denseLayers,
  ...activationLayers,
  ...activationLayerExtractors,
  ...normalizationLayers,
  ...mergeLayers,
  ...convLayers,
  ...convTransposeLayers,
  ...attentionLayers,
  ...tfOpLayers,
  ...poolingLayers,
  ...reshapeLayers,
  ...recurrentLayers,
};

/** Options of `buildProgram`. */
export interface BuildOptions {
  /** Extra or replacement extractors (tests use this to inject a layer rule). */
  readonly extractors?: Readonly<Record<string, Extractor>>;
  /** Length of a time axis that the model leaves undefined (None): the first axis of such inputs. */
  readonly timesteps?: number;
  /** Leave an undefined time axis as -1 (the tensor form loops over any length) instead of asking for --timesteps. */
  readonly anyLength?: boolean;
  /** Called after each layer call (the CLI shows it on a terminal). */
  readonly progress?: (what: string, done: number, total: number) => void;
}

/** Options of `extract`: building, then lowering to scalars. */
export type ExtractOptions = BuildOptions & ScalarizeOptions;

/** Builds the tensor program of a model, then lowers it to the scalar arena. */
export function extract(model: ModelSpec, options: ExtractOptions = {}): Extracted {
  return scalarize(buildProgram(model, options), options);
}

/**
 * Walks the layer graph in dependency order and turns every layer call into tensor equations.
 * All unsupported layers are reported together before any work is done.
 */
export function buildProgram(model: ModelSpec, options: BuildOptions = {}): TensorProgram {
  const table = { ...EXTRACTORS, ...options.extractors };
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const needed = reachableLayers(model, byName);
  // Keras 3 saves a keras.ops call on symbolic tensors as a node of class Add, Reshape, Softmax…
  // (module keras.src.ops.*), whose arguments are not those of the layer of the same name.
  const ops = needed.filter((l) => typeof l.config.module === 'string' && /^keras(\.src)?\.ops(\.|$)/.test(l.config.module));
  if (ops.length > 0) {
    const list = ops.map((l) => `'${l.name}' (${l.className} from ${l.config.module as string})`);
    throw new Nn2eqError(`${model.file}: ${ops.length} keras.ops call${ops.length === 1 ? '' : 's'} saved as ${ops.length === 1 ? 'a node' : 'nodes'} of the model: ${list.join(', ')}; nn2eq reads Keras layers, and an operation is not the layer of the same name`, 'unsupported', 'write that computation with Keras layers (layers.Add, layers.Reshape, layers.MultiHeadAttention, …), or export the model to ONNX');
  }
  const unsupported = needed.filter((l) => l.className !== 'InputLayer' && !table[l.className]);
  if (unsupported.length > 0) {
    const list = unsupported.map((l) => `'${l.name}' (${l.className}${typeof l.config.module === 'string' ? ` from ${l.config.module}` : ''})`);
    throw new Nn2eqError(
      `${model.file}: ${unsupported.length} unsupported layer${unsupported.length === 1 ? '' : 's'}: ${list.join(', ')}`,
      'unsupported',
      `supported layers: ${Object.keys(EXTRACTORS).sort().join(', ')}`,
    );
  }

  const b = new ProgramBuilder();
  const inputs: TensorPort[] = [];
  const inputTensors = new Map<string, T>();
  model.inputs.forEach((inp, index) => {
    const shape = inp.shape.map((d, i) => {
      if (d !== null) return d;
      const shown = `[${inp.shape.map((s) => s ?? 'None').join(', ')}]`;
      if (i === 0 && inp.shape.length >= 1) {
        if (options.timesteps !== undefined) return options.timesteps;
        if (options.anyLength) return -1;
        throw new Nn2eqError(`${model.file}: input '${inp.ref.layer}' has shape ${shown}, whose time axis (axis 1) is undefined`, 'usage', 'give its length with --timesteps T (the scalar form unrolls T steps), or print the tensor form (--form tensor), which loops over any length');
      }
      throw new Nn2eqError(`${model.file}: input '${inp.ref.layer}' has an undefined dimension ${i + 1} in shape ${shown}`, 'unsupported', 'nn2eq needs every input dimension fixed');
    });
    const t = b.input(shape, index);
    inputTensors.set(key(inp.ref), t);
    inputs.push({ name: inp.ref.layer, tensor: t });
  });

  const done = new Map<string, T[]>();
  const calls: LayerCall[] = [];
  let number = 0;
  const compute = (layer: LayerSpec, node: number): T[] => {
    if (layer.className === 'InputLayer') {
      const t = inputTensors.get(key({ layer: layer.name, node, tensor: 0 }));
      if (!t) throw new Nn2eqError(`${model.file}: input layer '${layer.name}' is used but is not among the model's inputs`);
      return [t];
    }
    const call = layer.calls?.[node];
    const refs = layer.inbound[node];
    const args = refs.filter((_, i) => !call?.keywords[i]).map((r) => pick(done, r, model.file));
    const keywords = new Map<string, T>();
    refs.forEach((r, i) => {
      const k = call?.keywords[i];
      if (k && !keywords.has(k)) keywords.set(k, pick(done, r, model.file));
    });
    const from = b.equations.length;
    b.layer = number + 1;
    const out = context(b, layer, model, table, { keywords, options: call?.options ?? {}, constant: call?.constant }).run(layer, args);
    const to = b.equations.length;
    // Pass-through layers (Dropout) add nothing; pure data movement (Flatten) takes no number.
    const computes = b.equations.slice(from, to).some((eq) => !(TOPS[eq.op] as TOpInfo).movement);
    if (computes) number++;
    calls.push({ layer: layer.name, className: layer.className, node, number: computes ? number : 0, at: needed.indexOf(layer) + 1, from, to, outputs: out });
    options.progress?.(`building layer '${layer.name}' (${layer.className})`, calls.length, needed.length);
    return out;
  };

  // Iterative depth-first walk from the outputs: a layer call runs once all of its inputs exist.
  const stack: { layer: LayerSpec; node: number }[] = model.outputs.map((r) => ({ layer: byName.get(r.layer)!, node: r.node }));
  const onStack = new Set<string>();
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const k = `${top.layer.name}#${top.node}`;
    if (done.has(k)) {
      stack.pop();
      continue;
    }
    const inbound = top.layer.className === 'InputLayer' ? [] : top.layer.inbound[top.node];
    if (inbound === undefined) {
      throw new Nn2eqError(`${model.file}: layer '${top.layer.name}' is called as node ${top.node}, but has ${top.layer.inbound.length} inbound node(s)`);
    }
    const missing = inbound.filter((r) => !done.has(`${r.layer}#${r.node}`));
    if (missing.length === 0) {
      done.set(k, compute(top.layer, top.node));
      onStack.delete(k);
      stack.pop();
      continue;
    }
    if (onStack.has(k)) throw new Nn2eqError(`${model.file}: the layer graph has a cycle through '${top.layer.name}'`);
    onStack.add(k);
    for (const r of missing) stack.push({ layer: byName.get(r.layer)!, node: r.node });
  }

  const outputs: TensorPort[] = model.outputs.map((r) => ({ name: r.layer, tensor: pick(done, r, model.file) }));
  return { tensors: b.tensors, equations: b.equations, inputs, outputs, calls, layerCount: needed.length, modelName: model.name, file: model.file };
}

const NO_CALL: CallArgs = { keywords: new Map(), options: {} };

function key(r: TensorRef): string {
  return `${r.layer}#${r.node}#${r.tensor}`;
}

function pick(done: Map<string, T[]>, r: TensorRef, file: string): T {
  const t = done.get(`${r.layer}#${r.node}`)?.[r.tensor];
  if (!t) throw new Nn2eqError(`${file}: layer '${r.layer}' has no output ${r.tensor} at node ${r.node}`);
  return t;
}

function reachableLayers(model: ModelSpec, byName: Map<string, LayerSpec>): LayerSpec[] {
  const seen = new Set<string>();
  const stack = model.outputs.map((r) => r.layer);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const l = byName.get(name);
    if (!l) continue;
    for (const node of l.inbound) for (const r of node) stack.push(r.layer);
  }
  return model.layers.filter((l) => seen.has(l.name));
}

function context(b: ProgramBuilder, layer: LayerSpec, model: ModelSpec, table: Readonly<Record<string, Extractor>>, call: CallArgs = NO_CALL): LayerContext {
  const fail = (message: string, hint?: string): never => {
    throw new Nn2eqError(`${model.file}: layer '${layer.name}' (${layer.className}): ${message}`, 'input', hint);
  };
  return {
    builder: b,
    layer,
    model,
    call,
    fail,
    run(inner, inputs) {
      const f = table[inner.className];
      if (!f) return fail(`wraps a ${inner.className} layer, which nn2eq does not support`, `supported layers: ${Object.keys(table).sort().join(', ')}`);
      return f(inner === layer ? this : context(b, inner, model, table, call), inputs);
    },
    weight(name: string, shape?: readonly number[]): Weight {
      const w = this.layer.weights.get(name);
      if (!w) {
        const has = [...this.layer.weights.keys()];
        return fail(`weight '${name}' is missing; the layer has ${has.length ? has.join(', ') : 'no weights'}`, 'the weights file does not match this architecture');
      }
      if (shape && (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))) {
        return fail(`weight '${name}' has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`, 'the weights file does not match this architecture');
      }
      return w;
    },
    param(name, role, shape) {
      const w = this.weight(name, shape);
      return b.constant(role, w.shape, w.values);
    },
    constant(role, shape, values) {
      // A constant sized by a time axis of any length (Keras's causal mask [T, T]) has no values to hold.
      if (shape.some((d) => d < 0)) return fail(`builds a constant of shape [${shape.map((d) => (d < 0 ? 'T' : d)).join(', ')}] from a time axis of any length (T), which needs T fixed`, 'give the length with --timesteps T');
      return b.constant(role, shape, values);
    },
    op: (op, args, attrs, roles, body) => b.apply(op, args, attrs as Record<string, unknown>, fail, roles, body),
    map: (fn, args, params = [], role = 'h') => b.apply('map', args, { fn, params }, fail, role)[0],
    body: (inputs, build) => b.body(inputs, build),
  };
}
