import { Nn2eqError } from '../errors.js';
import { Graph, SizeBudgetExceeded, type NodeId } from '../ir/graph.js';
import { humanBytes } from '../emit/render.js';
import type { LayerSpec, ModelSpec, TensorRef, Weight } from '../load/spec.js';
import { activationLayerExtractors } from './activation_layers.js';
import { activationLayers } from './activations.js';
import { coreLayers } from './core.js';
import { denseLayers } from './dense.js';
import { convLayers } from './conv.js';
import { mergeLayers } from './merge.js';
import { poolingLayers } from './pooling.js';
import { recurrentLayers } from './recurrent.js';
import { reshapeLayers } from './reshape.js';
import { normalizationLayers } from './normalization.js';
import type { Extractor, LayerContext, Tensor } from './types.js';

export type { Tensor, Extractor, LayerContext } from './types.js';

/** The one registry of layer extractors, keyed by Keras class name. */
export const EXTRACTORS: Readonly<Record<string, Extractor>> = {
  ...coreLayers,
  ...denseLayers,
  ...activationLayers,
  ...activationLayerExtractors,
  ...normalizationLayers,
  ...mergeLayers,
  ...convLayers,
  ...poolingLayers,
  ...reshapeLayers,
  ...recurrentLayers,
};

/** A model input or output as scalar symbols: `size` consecutive symbols from `offset` (0-based). */
export interface Port {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** The IR of a whole model: the graph, its scalar inputs and the node of every scalar output. */
export interface Extracted {
  readonly graph: Graph;
  readonly inputs: Port[];
  readonly outputs: Port[];
  readonly outputIds: NodeId[];
  /** Every layer call in the order it was built, with its output tensors (for --verify's layer-by-layer check). */
  readonly trace: LayerCall[];
}

export interface LayerCall {
  readonly layer: string;
  readonly className: string;
  readonly node: number;
  readonly outputs: readonly Tensor[];
}

/** Options of `extract`: extra extractors (tests use this to inject a layer rule). */
export interface ExtractOptions {
  readonly extractors?: Readonly<Record<string, Extractor>>;
  /** Stop building past this many bytes of let-form text (--max-size); see ir/graph.ts. */
  readonly sizeBudget?: number;
  /** Measure only (a dry graph): throws the same size error, builds nothing to print. */
  readonly dry?: boolean;
  /** The --max-size to name in the size error, when the budget has a margin added. */
  readonly maxSizeShown?: number;
  /** Length of a time axis that the model leaves undefined (None): the first axis of such inputs. */
  readonly timesteps?: number;
  /** Called after each layer call (the CLI shows it on a terminal). */
  readonly progress?: (what: string, done: number, total: number) => void;
}

/**
 * Walks the layer graph in dependency order and turns every layer call into IR. All unsupported
 * layers are reported together before any work is done.
 */
export function extract(model: ModelSpec, options: ExtractOptions = {}): Extracted {
  const table = { ...EXTRACTORS, ...options.extractors };
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const needed = reachableLayers(model, byName);
  const unsupported = needed.filter((l) => l.className !== 'InputLayer' && !table[l.className]);
  if (unsupported.length > 0) {
    const list = unsupported.map((l) => `'${l.name}' (${l.className}${typeof l.config.module === 'string' ? ` from ${l.config.module}` : ''})`);
    throw new Nn2eqError(
      `${model.file}: ${unsupported.length} unsupported layer${unsupported.length === 1 ? '' : 's'}: ${list.join(', ')}`,
      'unsupported',
      `supported layers: ${Object.keys(EXTRACTORS).sort().join(', ')}`,
    );
  }

  const graph = new Graph(options.sizeBudget, options.dry);
  const inputs: Port[] = [];
  const inputTensors = new Map<string, Tensor>();
  let offset = 0;
  for (const inp of model.inputs) {
    const shape = inp.shape.map((d, i) => {
      if (d !== null) return d;
      const shown = `[${inp.shape.map((s) => s ?? 'None').join(', ')}]`;
      if (i === 0 && inp.shape.length >= 1) {
        if (options.timesteps !== undefined) return options.timesteps;
        throw new Nn2eqError(`${model.file}: input '${inp.ref.layer}' has shape ${shown}, whose time axis (axis 1) is undefined`, 'usage', 'give its length with --timesteps T; the equations unroll T steps');
      }
      throw new Nn2eqError(`${model.file}: input '${inp.ref.layer}' has an undefined dimension ${i + 1} in shape ${shown}`, 'unsupported', 'nn2eq needs every input dimension fixed');
    });
    const size = shape.reduce((a, b) => a * b, 1);
    const ids: NodeId[] = [];
    for (let i = 0; i < size; i++) ids.push(graph.input(offset + i));
    inputTensors.set(key(inp.ref), { shape, ids });
    inputs.push({ name: inp.ref.layer, shape, offset, size });
    offset += size;
  }

  const done = new Map<string, Tensor[]>();
  const trace: LayerCall[] = [];
  let layerNumber = 0;
  const compute = (layer: LayerSpec, node: number): Tensor[] => {
    if (layer.className === 'InputLayer') {
      const t = inputTensors.get(key({ layer: layer.name, node, tensor: 0 }));
      if (!t) throw new Nn2eqError(`${model.file}: input layer '${layer.name}' is used but is not among the model's inputs`);
      return [t];
    }
    const args = layer.inbound[node].map((r) => pick(done, r, model.file));
    const before = graph.labels.size;
    let out: Tensor[];
    try {
      out = context(graph, layer, model, table, layerNumber + 1).run(layer, args);
    } catch (e) {
      if (!(e instanceof SizeBudgetExceeded)) throw e;
      const at = needed.indexOf(layer) + 1;
      throw new Nn2eqError(
        `${model.file}: the equations pass --max-size ${humanBytes(options.maxSizeShown ?? e.budget)} while building layer '${layer.name}' (${layer.className}, ${at} of ${needed.length}); the whole model would print more than that`,
        'too-large',
        'a model this large has no readable scalar form; raise --max-size only with memory to spare (about 10 times the size)',
      );
    }
    // Layers that only pass values on (Flatten, Dropout) name nothing and take no number.
    for (const t of out) t.ids.forEach((id, i) => graph.label(id, layerNumber + 1, i + 1));
    if (graph.labels.size > before) layerNumber++;
    trace.push({ layer: layer.name, className: layer.className, node, outputs: out });
    options.progress?.(`building layer '${layer.name}' (${layer.className})`, trace.length, needed.length);
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

  const outputs: Port[] = [];
  const outputIds: NodeId[] = [];
  for (const r of model.outputs) {
    const t = pick(done, r, model.file);
    outputs.push({ name: r.layer, shape: t.shape, offset: outputIds.length, size: t.ids.length });
    for (const id of t.ids) outputIds.push(id); // not push(...ids): a long output overflows the call stack
  }
  return { graph, inputs, outputs, outputIds, trace };
}

function key(r: TensorRef): string {
  return `${r.layer}#${r.node}#${r.tensor}`;
}

function pick(done: Map<string, Tensor[]>, r: TensorRef, file: string): Tensor {
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

function context(graph: Graph, layer: LayerSpec, model: ModelSpec, table: Readonly<Record<string, Extractor>>, layerNumber: number): LayerContext {
  const fail = (message: string, hint?: string): never => {
    throw new Nn2eqError(`${model.file}: layer '${layer.name}' (${layer.className}): ${message}`, 'input', hint);
  };
  return {
    graph,
    layer,
    model,
    fail,
    labelState(id, symbol, step, index) {
      graph.label(id, layerNumber, index, { symbol, step });
    },
    run(inner, inputs) {
      const f = table[inner.className];
      if (!f) return fail(`wraps a ${inner.className} layer, which nn2eq does not support`, `supported layers: ${Object.keys(table).sort().join(', ')}`);
      return f(inner === layer ? this : context(graph, inner, model, table, layerNumber), inputs);
    },
    weight(name: string, shape?: readonly number[]): Weight {
      const w = layer.weights.get(name);
      if (!w) {
        const has = [...layer.weights.keys()];
        return fail(`weight '${name}' is missing; the layer has ${has.length ? has.join(', ') : 'no weights'}`, 'the weights file does not match this architecture');
      }
      if (shape && (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))) {
        return fail(`weight '${name}' has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`, 'the weights file does not match this architecture');
      }
      return w;
    },
  };
}
