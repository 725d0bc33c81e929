import { Nn2eqError } from '../errors.js';
import { Graph, humanBytes, SizeBudgetExceeded, type NodeId, type StateLabel } from '../ir/graph.js';
import { tensorNames } from './names.js';
import { TOPS, type TOpInfo } from './ops.js';
import { sizeOf, type Body, type Equation, type TensorProgram } from './program.js';
import type { Scalars } from './scalars.js';

/** A model input or output as scalar symbols: `size` consecutive symbols from `offset` (0-based). */
export interface Port {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** One layer call with its output scalars (for --verify's layer-by-layer check). */
export interface ScalarCall {
  readonly layer: string;
  readonly className: string;
  readonly node: number;
  readonly outputs: readonly Scalars[];
  /** Neighbouring layers were folded into this call (see transform/fold.ts): not comparable layer by layer. */
  readonly folded?: boolean;
}

/** The scalar IR of a whole model: the graph, its scalar inputs and the node of every scalar output. */
export interface Extracted {
  readonly graph: Graph;
  readonly inputs: Port[];
  readonly outputs: Port[];
  readonly outputIds: NodeId[];
  readonly trace: ScalarCall[];
  /** With `keepValues`: the scalars of every top-level tensor the lowering built, by tensor id. */
  readonly values?: readonly (Scalars | undefined)[];
}

/** Options of the lowering. */
export interface ScalarizeOptions {
  /** Stop building past this many bytes of let-form text (see ir/graph.ts). */
  readonly sizeBudget?: number;
  /** Measure only (a dry graph): throws the same size error, builds nothing to print. */
  readonly dry?: boolean;
  /** The --max-size to name in the size error, when the budget has a margin added. */
  readonly maxSizeShown?: number;
  /** Subtract the maximum inside softmax (code targets); LaTeX keeps the textbook form. */
  readonly stableSoftmax?: boolean;
  /** --weights symbolic: every constant tensor's elements become `param` leaves (graph.params). */
  readonly symbolicWeights?: boolean;
  /** Return the scalars of every tensor (a tensor-program transform reading the scalar IR's facts). */
  readonly keepValues?: boolean;
}

/**
 * Lowers a tensor program to the scalar arena: every equation through its op's scalarize rule,
 * in program order. A layer call's outputs are labelled h^{(k)} with k counting the calls that
 * label anything; values with another role (gates, pre-activations) get hints for LaTeX.
 */
export function scalarize(p: TensorProgram, opts: ScalarizeOptions = {}): Extracted {
  const g = new Graph(opts.sizeBudget, opts.dry);
  const vals: (Scalars | undefined)[] = new Array(p.tensors.length);
  let layerNumber = 0;
  let where: { step?: number; backward?: boolean } = {};
  /** The body of the recurrence being run, if any. */
  let body: Body | undefined;
  let current = '';

  const sizeError = (e: SizeBudgetExceeded, at: string): Nn2eqError =>
    new Nn2eqError(
      `${p.file}: the equations pass --max-size ${humanBytes(opts.maxSizeShown ?? e.budget)} ${at}; the whole model would print more than that`,
      'too-large',
      e.budget < 1_000_000
        ? `--max-size ${humanBytes(opts.maxSizeShown ?? e.budget)} is smaller than this model's formula; raise it`
        : 'print the tensor form instead (--form tensor), which grows with the weights and not with the elements; or raise --max-size with memory to spare (about 10 times the size)',
    );

  const symbolic = opts.symbolicWeights ?? false;
  let names: string[] | undefined;
  const sc = {
    g,
    stableSoftmax: opts.stableSoftmax ?? false,
    symbolic,
    get(id: number): Scalars {
      const v = vals[id];
      if (v) return v;
      const t = p.tensors[id];
      if (t.kind !== 'const') throw new Error(`scalarize: tensor ${id} (${t.role}) used before it is computed`);
      const ids: NodeId[] = [];
      if (symbolic) {
        // A weight tensor becomes parameter leaves, named as the tensor form names it (W1, b1, …).
        names ??= tensorNames(p);
        const k = g.params.length;
        g.params.push({ name: names[id], role: t.role, layer: t.layer, shape: t.shape, values: t.values! });
        for (let i = 0; i < t.values!.length; i++) ids.push(g.param(k, i));
      } else {
        for (let i = 0; i < t.values!.length; i++) ids.push(g.constant(t.values![i]));
      }
      return (vals[id] = { shape: t.shape, ids });
    },
    values(id: number): ArrayLike<number> {
      const t = p.tensors[id];
      if (t.kind !== 'const') throw new Error(`scalarize: tensor ${id} (${t.role}) is not a constant`);
      if (symbolic) throw new Error(`scalarize: the values of tensor ${id} (${t.role}) were read with --weights symbolic`);
      return t.values!;
    },
    shape: (id: number) => p.tensors[id].shape,
    runBody(b: Body, inputs: readonly Scalars[], step?: number): Scalars[] {
      b.inputs.forEach((id, k) => (vals[id] = inputs[k]));
      const outer = where;
      const outerBody = body;
      body = b;
      if (step !== undefined) where = { ...where, step };
      for (const eq of b.equations) run(eq);
      where = outer;
      body = outerBody;
      return b.outputs.map((id) => vals[id]!);
    },
    labelState(id: NodeId, symbol: string, step: number, index: number): void {
      g.label(id, layerNumber + 1, index, { symbol: symbol as StateLabel['symbol'], step });
    },
  };

  const run = (eq: Equation): void => {
    const isBackward = eq.op === 'scan' && (eq.attrs.symbols as string[])[0].endsWith('b');
    const outer = where;
    if (isBackward) where = { ...where, backward: true };
    const outs = TOPS[eq.op].scalarize(sc, eq);
    where = outer;
    if ((TOPS[eq.op] as TOpInfo).movement && eq.args.length === 1) {
      const r = p.tensors[eq.args[0]].role;
      const st = r === 'h' || r === 'c' ? r : stateViews.get(eq.args[0]);
      if (st) for (const o of eq.outs) if (p.tensors[o].role === '_') stateViews.set(o, st);
    }
    eq.outs.forEach((id, k) => {
      vals[id] = outs[k];
      const role = p.tensors[id].role === '_' ? gatedState(eq) ?? weightedState(eq) ?? '_' : p.tensors[id].role;
      if (role === 'h' || role === '_' || g.dry || (TOPS[eq.op] as TOpInfo).movement) return;
      // A Dense unit's pre-activation stays inside its layer's row (h = f(Wx + b)); a convolution's is named.
      if (eq.op === 'dense' && role === 'a') return;
      outs[k].ids.forEach((n, i) => {
        const op = g.nodes[n].op;
        if (op === 'input' || op === 'const' || op === 'param' || g.labels.has(n) || g.hints.has(n)) return;
        g.hints.set(n, { symbol: role, layer: layerNumber + 1, index: i + 1, ...where });
      });
    });
  };

  /**
   * Inside a time step, the element-wise product of a gate and a state (GRU's r ⊙ h_{t−1}) has no
   * role of its own; its hint `r*h` names it after both, so LaTeX never prints it as a bare t_k.
   */
  const gatedState = (eq: Equation): string | undefined => {
    if (where.step === undefined || eq.op !== 'map' || eq.attrs.fn !== 'mul' || eq.args.length !== 2) return undefined;
    const [a, b] = eq.args.map((t) => p.tensors[t].role);
    const gate = (r: string) => /^(i|f|o|z|r)$/.test(r);
    const state = (t: number) => (p.tensors[t].role === 'h' || p.tensors[t].role === 'c' ? p.tensors[t].role : stateViews.get(t));
    const [sa, sb] = eq.args.map(state);
    if (gate(a) && sb) return `${a}*${sb}`;
    if (gate(b) && sa) return `${b}*${sa}`;
    return undefined;
  };
  /**
   * Inside a time step, a product of the state with weights that are model inputs (ONNX's R given
   * as an input) has no role either: hint `h.g`, the state's weighted sum inside gate g. At the first step it is R times the zero state, kept
   * (0·R is NaN for an infinite R).
   */
  const weightedState = (eq: Equation): string | undefined => {
    if (where.step === undefined || eq.op !== 'dot' || eq.args.length !== 2) return undefined;
    const isState = (t: number) => p.tensors[t].role === 'h' || stateViews.has(t);
    const [a, b] = eq.args;
    if (!((isState(a) && p.tensors[b].kind !== 'const') || (isState(b) && p.tensors[a].kind !== 'const'))) return undefined;
    // Named after the gate it feeds (through at most one sum): \hat{h} of that gate in LaTeX.
    let t = eq.outs[0];
    for (let k = 0; k < 2; k++) {
      const next = body?.equations.find((e) => e.args.includes(t));
      if (!next) return undefined;
      t = next.outs[0];
      if (/^(i|f|o|z|r|g|hh|h)$/.test(p.tensors[t].role)) return `h.${p.tensors[t].role}`;
    }
    return undefined;
  };
  /** Tensors that are a state moved (an ONNX cell reshapes h before using it), with the state's role. */
  const stateViews = new Map<number, string>();

  const inputs: Port[] = [];
  let offset = 0;
  try {
    current = 'while reading the inputs';
    for (const port of p.inputs) {
      const size = sizeOf(port.tensor.shape);
      const ids: NodeId[] = [];
      for (let i = 0; i < size; i++) ids.push(g.input(offset + i));
      vals[port.tensor.id] = { shape: port.tensor.shape, ids };
      inputs.push({ name: port.name, shape: port.tensor.shape, offset, size });
      offset += size;
    }
  } catch (e) {
    if (e instanceof SizeBudgetExceeded) throw sizeError(e, current);
    throw e;
  }

  const trace: ScalarCall[] = [];
  for (const call of p.calls) {
    const before = g.labels.size;
    let outs: Scalars[];
    try {
      for (let i = call.from; i < call.to; i++) run(p.equations[i]);
      outs = call.outputs.map((t) => sc.get(t.id));
      // Layers that only pass values on (Flatten, Dropout) name nothing and take no number.
      for (const t of outs) t.ids.forEach((id, i) => g.label(id, layerNumber + 1, i + 1));
    } catch (e) {
      if (e instanceof SizeBudgetExceeded) throw sizeError(e, `while building layer '${call.layer}' (${call.className}, ${call.at} of ${p.layerCount})`);
      throw e;
    }
    if (g.labels.size > before) layerNumber++;
    trace.push({ layer: call.layer, className: call.className, node: call.node, outputs: outs, ...(call.folded ? { folded: true } : {}) });
  }

  const outputs: Port[] = [];
  const outputIds: NodeId[] = [];
  for (const port of p.outputs) {
    const t = sc.get(port.tensor.id);
    outputs.push({ name: port.name, shape: t.shape, offset: outputIds.length, size: t.ids.length });
    // One by one: an output of a few hundred thousand elements spread into push() overflows the stack.
    for (const id of t.ids) outputIds.push(id);
  }
  return { graph: g, inputs, outputs, outputIds, trace, ...(opts.keepValues ? { values: vals } : {}) };
}
