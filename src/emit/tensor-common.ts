import { Graph, type NodeId } from '../ir/graph.js';
import { Prec, type Fn } from '../ir/ops.js';
import { schedule, type Name } from '../schedule.js';
import { mapTemplate } from '../tensor/functions.js';
import { noSymbolicGather, type MapAttrs } from '../tensor/ops.js';
import { sizeOf, useCounts, type Body, type Equation, type TensorId, type TensorInfo, type TensorProgram } from '../tensor/program.js';
export { useCounts };
import { broadcastIndex as broadcastAt } from '../tensor/scalars.js';
import { lower } from '../transform/lower.js';
import { formatNumber, formatNumbers, type NumberStyle } from './number.js';
import { render, type Syntax } from './render.js';
import type { EmitOptions } from './types.js';
import { constantsUsed, tensorNames } from '../tensor/names.js';
import { Nn2eqError } from '../errors.js';

/** The refusal of ONNX BitCast (a float's bits read as an integer) by a tensor form that cannot read a float's bits. */
export function noBitcast(format: string): never {
  throw new Nn2eqError(`the ${format} tensor form cannot read the bits of float32 values as an integer (ONNX BitCast): it holds no float32 bit pattern (a NaN's payload, the sign of a zero)`, 'unsupported', 'use -f numpy, js, c or julia');
}

export { constantsUsed, tensorNames };

/**
 * What every tensor-form emitter shares: identifiers for tensors, use counts, and printing an
 * element-wise function from its one scalar template (so no emitter writes an activation again).
 */

/** Every equation of the program, bodies included, with the body it sits in (undefined at top level). */
export function allEquations(p: TensorProgram): { eq: Equation; body?: Body }[] {
  const out: { eq: Equation; body?: Body }[] = [];
  const visit = (eqs: readonly Equation[], body?: Body) => {
    for (const eq of eqs) {
      out.push({ eq, body });
      if (eq.body) visit(eq.body.equations, eq.body);
    }
  };
  visit(p.equations);
  return out;
}

/** A map equation's function and its scalar template printed once as an expression of its arguments. */
export interface PrintedMap {
  readonly text: string;
  /** Functions of the scalar IR the text calls (for a target's prelude). */
  readonly uses: ReadonlySet<Fn>;
}

/** An argument printed for printMap: its text and how tightly it binds. */
export interface Arg {
  readonly text: string;
  readonly prec: Prec;
}

/** Texts that are already atoms (names, or parenthesized by the caller) as printMap arguments. */
export function atoms(texts: readonly string[]): Arg[] {
  return texts.map((text) => ({ text, prec: Prec.Atom }));
}

/**
 * Prints element-wise function `attrs.fn` applied to `args` in a target's scalar syntax
 * (parenthesized by the shared rules, as any scalar formula): the template is built in a small scalar graph,
 * lowered for the target like any scalar formula, and rendered with the arguments as its inputs.
 * `textbook` (LaTeX): lowered as the scalar form's LaTeX is, for a reader (softplus as ln(1 + e^z)).
 */
export function printMap(attrs: MapAttrs, args: readonly Arg[], syntax: Syntax, supports: ReadonlySet<Fn>, opts: Pick<EmitOptions, 'precision'>, textbook = false): PrintedMap {
  const t = mapTemplate(attrs, args.length);
  const low = lower(t.graph, [t.out], supports, textbook);
  const ports = args.map((_, i) => ({ name: `a${i}`, shape: [1], offset: i, size: 1 }));
  const program = schedule(low.graph, ports, [{ name: 'y', shape: [1], offset: 0, size: 1 }], low.outputs, true);
  const named: Syntax = { ...syntax, name: (n: Name) => (n.kind === 'input' ? args[n.index].text : syntax.name(n)), inputPrec: (i) => args[i].prec };
  const r = render(program, named, { precision: opts.precision, maxSize: Infinity, inline: true });
  const uses = new Set<Fn>();
  for (let id = 0; id < low.graph.size; id++) if (program.live[id]) uses.add(low.graph.nodes[id].op as Fn);
  return { text: r.outputs[0], uses };
}

/** For each argument of a map equation, how many times its scalar template reads it (an argument read twice is better named than inlined). */
export function templateReads(attrs: MapAttrs, arity: number): number[] {
  const { graph: g, out } = mapTemplate(attrs, arity);
  const reads = new Array<number>(arity).fill(0);
  const live = schedule(g, [], [], [out], true).live;
  for (let id = 0; id < g.size; id++) {
    if (!live[id]) continue;
    for (const a of g.nodes[id].args) if (g.nodes[a].op === 'input') reads[g.nodes[a].value]++;
  }
  if (g.nodes[out]?.op === 'input') reads[g.nodes[out].value]++;
  return reads;
}

/** Marks an argument inside a printed equation until its block replaces it by a name or an inlined expression. */
export const MARK = (id: TensorId) => `\u0001${id}\u0002`;
export const MARKS = /\u0001(\d+)\u0002/g;

/** The constants equation `eq` (and its body) reads that are not in `printed` yet: what to print before it. */
export function constantsBefore(p: TensorProgram, eq: Equation, printed: ReadonlySet<TensorId>): TensorId[] {
  return constantsUsed({ ...p, equations: [eq] }).filter((c) => !printed.has(c));
}

/**
 * The rows of a nested array literal, one row of the last axis per line, with `open`/`close` around
 * every sub-array (a bracket opens before its first row and closes after its last), rows separated by
 * commas; the caller writes the outermost pair and the indentation.
 */
export function literalRows(shape: readonly number[], cells: readonly string[], open: string, close: string): string[] {
  const last = shape[shape.length - 1];
  const rows = cells.length / last;
  const blocks: number[] = [];
  for (let d = 0; d < shape.length - 2; d++) blocks.push(shape.slice(d + 1, -1).reduce((m, q) => m * q, 1));
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const opens = blocks.filter((b) => r % b === 0).length;
    const closes = blocks.filter((b) => (r + 1) % b === 0).length;
    lines.push(`${' '.repeat(blocks.length - opens)}${open.repeat(opens + 1)}${cells.slice(r * last, (r + 1) * last).join(', ')}${close.repeat(closes + 1)}${r === rows - 1 ? '' : ','}`);
  }
  return lines;
}

/** True when `text` is one name or one call (nothing binds looser at its top level). */
export function isAtom(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && !/[\w.]/.test(c)) return false;
  }
  return true;
}

/** A constant tensor as text rows, one row of its last axis per line, numbers separated by spaces (read back by a `_w` helper); `exact` as formatNumber's. */
export function weightRows(t: TensorInfo, style: NumberStyle, precision: number | undefined, exact = false): string[] {
  return valueRows(t.values!, t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1], style, precision, ' ', exact);
}

/**
 * The constant tensors a comparison reads: an argument of a map equation whose scalar template
 * compares that argument itself (gt, ge, eq). Their numbers print as exactly their float64 values
 * (formatNumber's `exact`), as the scalar render prints a compared constant: 3.14f printed as 3.14
 * reads back as another double and flips x < 3.14f at x = 3.14f.
 */
export function comparedConstants(p: TensorProgram): Set<TensorId> {
  const out = new Set<TensorId>();
  for (const { eq } of allEquations(p)) {
    if (eq.op !== 'map' || !eq.args.some((a) => p.tensors[a].kind === 'const')) continue;
    const attrs = eq.attrs as unknown as MapAttrs;
    const { graph, out: root } = mapTemplate(attrs, eq.args.length);
    const live = schedule(graph, [], [], [root], true).live;
    for (let id = 0; id < graph.size; id++) {
      const n = graph.nodes[id];
      if (!live[id] || (n.op !== 'gt' && n.op !== 'ge' && n.op !== 'eq')) continue;
      for (const a of n.args) {
        const arg = graph.nodes[a];
        if (arg.op === 'input' && arg.value < eq.args.length && p.tensors[eq.args[arg.value]].kind === 'const') out.add(eq.args[arg.value]);
      }
    }
  }
  return out;
}

/** Quantized weights take few distinct values: those are printed once each (a cache would slow float weights). */
function fewValues(values: ArrayLike<number>): boolean {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    seen.add(values[i]);
    if (seen.size > 4096) return false;
  }
  return values.length > 4 * seen.size;
}

/**
 * `values` printed `width` to a row, the numbers joined by `separator`. Few distinct values
 * (quantized weights) are each formatted once and looked up; the text is the same either way.
 */
export function valueRows(values: ArrayLike<number>, width: number, style: NumberStyle, precision: number | undefined, separator: string, exact = false): string[] {
  const rows: string[] = [];
  const printed = fewValues(values) ? new Map<number, string>() : undefined;
  for (let at = 0; at < values.length; at += width) {
    if (!printed) {
      rows.push(formatNumbers(values, at, at + width, style, precision, separator, exact));
      continue;
    }
    const row: string[] = [];
    for (let j = at; j < at + width; j++) {
      let text = printed.get(values[j]);
      if (text === undefined) {
        text = formatNumber(values[j], style, precision, exact);
        printed.set(values[j], text);
      }
      row.push(text);
    }
    rows.push(row.join(separator));
  }
  return rows;
}

/** --weights symbolic in the tensor form: the weight tensors predict takes, in first-use order, with their printed names. */
export function tensorParams(p: TensorProgram, names: readonly string[]): { id: TensorId; name: string; shape: readonly number[]; size: number; offset: number; role: string; layer: number }[] {
  if (allEquations(p).some(({ eq }) => eq.op === 'gather')) throw noSymbolicGather();
  let offset = 0;
  return constantsUsed(p).map((id) => {
    const t = p.tensors[id];
    const size = t.values!.length;
    const entry = { id, name: names[id], shape: t.shape, size, offset, role: t.role, layer: t.layer };
    offset += size;
    return entry;
  });
}

/**
 * One header line per weight tensor of tensorParams: name, shape, role and layer (`prefix` is the
 * target's comment mark and indent), and its offset in one flat vector unless `offsets` is false
 * (a target whose params hold one array per tensor).
 */
export function tensorParamLayout(params: ReturnType<typeof tensorParams>, prefix: string, offsets = true): string[] {
  return params.map((t) => `${prefix}${t.name}: shape [${t.shape.join(', ')}], ${t.role} of layer ${t.layer}${t.size > 1 ? ', row-major' : ''}${offsets ? `, offset ${t.offset} in a flat vector` : ''}`);
}

/** The tensors whose value depends on a model input (bodies included: a body's outputs depend on what its equation reads). */
export function dependsOnInputs(p: TensorProgram): Set<TensorId> {
  const out = new Set<TensorId>(p.inputs.map((i) => i.tensor.id));
  const visit = (eqs: readonly Equation[]) => {
    for (const eq of eqs) {
      if (eq.body) {
        if (eq.args.some((a) => out.has(a))) eq.body.inputs.forEach((i) => out.add(i));
        visit(eq.body.equations);
      }
      if (eq.args.some((a) => out.has(a)) || eq.body?.outputs.some((o) => out.has(o))) eq.outs.forEach((o) => out.add(o));
    }
  };
  visit(p.equations);
  return out;
}

/** Where a value of a tensor form with static buffers lives (the C and JS tensor forms). */
export type Storage =
  | { kind: 'input'; offset: number }
  | { kind: 'pool'; slot: number }
  | { kind: 'own' }
  | { kind: 'call' }
  | { kind: 'alias'; of: TensorId };

/**
 * Decides where each value lives. Values of the top level share buffers once dead (greedy, in
 * program order, into `slots` of that many numbers); a reshape shares its argument's memory (at any
 * depth); an element-wise map may overwrite an argument of its size that dies there. Values inside
 * loop bodies (`local`) get buffers of their own; `perCall` values (sizes known only when called)
 * are made per call. The caller sets the inputs' storage first.
 */
export function planBuffers(p: TensorProgram, storage: Storage[], local: Set<TensorId>, slots: number[], size: (id: TensorId) => number, perCall: (id: TensorId) => boolean = () => false): void {
  const markLocal = (body: Body) => {
    body.inputs.forEach((id) => local.add(id));
    for (const eq of body.equations) {
      eq.outs.forEach((id) => local.add(id));
      // A reshape inside a loop shares its argument's memory too (it prints no code).
      if (eq.op === 'reshape') storage[eq.outs[0]] = { kind: 'alias', of: eq.args[0] };
      if (eq.body) markLocal(eq.body);
    }
  };
  const last = new Map<TensorId, number>();
  const reads = (eq: Equation): TensorId[] => {
    const out = [...eq.args];
    const visit = (b: Body) => {
      for (const e of b.equations) {
        out.push(...e.args);
        if (e.body) visit(e.body);
      }
      out.push(...b.outputs);
    };
    if (eq.body) visit(eq.body);
    return out;
  };
  p.equations.forEach((eq, i) => {
    if (eq.body) markLocal(eq.body);
    for (const a of reads(eq)) last.set(a, i);
  });
  for (const port of p.outputs) last.set(port.tensor.id, Infinity);
  local.forEach((id) => (storage[id] ??= { kind: 'own' }));

  const refs: number[] = [];
  const free: number[] = [];
  const slotOf = (id: TensorId): number | null => {
    let s = storage[id];
    while (s?.kind === 'alias') s = storage[s.of];
    return s?.kind === 'pool' ? s.slot : null;
  };
  const release = (slot: number) => {
    if (--refs[slot] === 0) free.push(slot);
  };
  const take = (need: number): number => {
    let best = -1;
    for (let k = 0; k < free.length; k++) {
      const s = free[k];
      const fits = slots[s] >= need;
      if (best < 0) best = k;
      else {
        const b = free[best];
        const bestFits = slots[b] >= need;
        if ((fits && (!bestFits || slots[s] < slots[b])) || (!fits && !bestFits && slots[s] > slots[b])) best = k;
      }
    }
    if (best < 0) {
      slots.push(need);
      refs.push(0);
      return slots.length - 1;
    }
    const s = free.splice(best, 1)[0];
    slots[s] = Math.max(slots[s], need);
    return s;
  };
  p.equations.forEach((eq, i) => {
    for (const o of eq.outs) {
      if (storage[o]) continue;
      if (eq.op === 'reshape') {
        storage[o] = { kind: 'alias', of: eq.args[0] };
        const s = slotOf(o);
        if (s !== null) refs[s]++;
        continue;
      }
      if (perCall(o)) {
        storage[o] = { kind: 'call' };
        continue;
      }
      const n = size(o);
      if (eq.op === 'map') {
        // Element i of the output reads element i of an argument of its size only: it may overwrite it.
        const reuse = eq.args.find((a) => last.get(a) === i && slotOf(a) !== null && refs[slotOf(a)!] === 1 && size(a) === n && !perCall(a));
        if (reuse !== undefined) {
          const s = slotOf(reuse)!;
          storage[o] = { kind: 'pool', slot: s };
          refs[s]++;
          continue;
        }
      }
      const s = take(n);
      storage[o] = { kind: 'pool', slot: s };
      refs[s]++;
    }
    const dead = new Set([...reads(eq).filter((a) => last.get(a) === i), ...eq.outs.filter((o) => !last.has(o))]);
    for (const a of dead) {
      const s = slotOf(a);
      if (s !== null) release(s);
    }
  });
}

/**
 * Appends lines (single ones, or lists) to `out` one by one. `out.push(...list)` passes every element
 * as an argument, and a large model's list (hundreds of thousands of weight rows or body lines)
 * overflows the call stack.
 */
export function appendLines(out: string[], ...parts: (string | readonly string[])[]): string[] {
  for (const part of parts) {
    if (typeof part === 'string') out.push(part);
    else for (const line of part) out.push(line);
  }
  return out;
}

/** A dimension as generated code knows it: a number, or the text of a length read at run time. */
export type DimText = number | string;

/** The product of dimensions: a number when all are numbers, else text (`steps1 * 3`). */
export function productOf(dims: readonly DimText[]): DimText {
  const known = sizeOf(dims.filter((d): d is number => typeof d === 'number'));
  const vars = dims.filter((d): d is string => typeof d === 'string');
  if (vars.length === 0) return known;
  return known === 1 ? vars.join(' * ') : `${vars.join(' * ')} * ${known}`;
}

/**
 * One run of axes an element-wise argument keeps, for reading it at flat output position i:
 * the run's position is ⌊i / inner⌋ (mod span when axes come before it), times the argument's stride.
 */
export interface BroadcastTerm {
  readonly inner: DimText;
  readonly span: DimText;
  readonly wrap: boolean;
  readonly stride: DimText;
}

/**
 * Where element i of an element-wise result of shape `out` reads an argument of shape `arg` (NumPy's
 * broadcasting: axes aligned at the right, length-1 and missing axes repeated), as a sum of terms,
 * one per run of axes the argument keeps; no terms reads its element 0. Every broadcast ONNX allows
 * has this form, with 1s anywhere ([3, 1] against [1, 4], [2, 1, 4] against [3, 1]).
 */
export function broadcastTerms(arg: readonly DimText[], out: readonly DimText[]): BroadcastTerm[] {
  const r = out.length;
  const a = [...new Array<DimText>(r - arg.length).fill(1), ...arg];
  const terms: BroadcastTerm[] = [];
  let k = r - 1;
  while (k >= 0) {
    // Axes of length 1 in the result add nothing; an axis the argument repeats ends a run.
    if (out[k] === 1 || a[k] !== out[k]) {
      k--;
      continue;
    }
    const hi = k + 1;
    while (k >= 0 && (out[k] === 1 || a[k] === out[k])) k--;
    const lo = k + 1;
    terms.push({ inner: productOf(out.slice(hi)), span: productOf(out.slice(lo, hi)), wrap: out.slice(0, lo).some((d) => d !== 1), stride: productOf(a.slice(hi)) });
  }
  return terms.reverse();
}

/**
 * The flat index text of broadcastTerms in a C-like language: `div(text, d)` is its integer
 * division of a non-negative index, `%` and `*` as in C and JS.
 */
export function broadcastIndex(arg: readonly DimText[], out: readonly DimText[], i: string, div: (x: string, d: string) => string): string {
  const terms = broadcastTerms(arg, out).map((t) => {
    const paren = (d: DimText) => (typeof d === 'number' || !d.includes(' ') ? String(d) : `(${d})`);
    let x = t.inner === 1 ? i : div(i, paren(t.inner));
    if (t.wrap) x = `${x} % ${paren(t.span)}`;
    return t.stride === 1 ? x : `${x} * ${paren(t.stride)}`;
  });
  return terms.length === 0 ? '0' : terms.join(' + ');
}

/**
 * A matmul equation's geometry for the loop forms (C, JS): a[…, M, K]·b[…, K, N], and for each
 * position of the result's leading axes the offset of its matrix in a and in b (broadcast).
 */
export function matmulGeometry(p: TensorProgram, eq: Equation): { M: number; K: number; N: number; aBase: number[]; bBase: number[] } {
  const [as, bs] = eq.args.map((id) => p.tensors[id].shape);
  const [M, K] = as.slice(-2);
  const N = bs[bs.length - 1];
  const lead = p.tensors[eq.outs[0]].shape.slice(0, -2);
  const atA = broadcastAt(as.slice(0, -2), lead);
  const atB = broadcastAt(bs.slice(0, -2), lead);
  const count = sizeOf(lead);
  const aBase: number[] = [];
  const bBase: number[] = [];
  for (let i = 0; i < count; i++) {
    aBase.push(atA(i) * M * K);
    bBase.push(atB(i) * K * N);
  }
  return { M, K, N, aBase, bBase };
}
