import { Nn2eqError } from '../errors.js';
import { OPS, isCmp, isFn, type Cmp, type Fn, type Op, type OpInfo } from './ops.js';

/** Index of a node in its graph's arena. */
export type NodeId = number;

/**
 * One node of the arena. `value` is the constant for `const`, the input index for `input`, the
 * constant term for `affine`, and 0 otherwise; `coefs` holds an affine node's coefficients.
 */
export interface Node {
  readonly op: Op;
  readonly args: readonly NodeId[];
  readonly value: number;
  readonly coefs: Float64Array | null;
  /** The table a `lookup` node reads. */
  readonly table?: number;
}

/** A constant matrix that `lookup` nodes index by row (an Embedding's weights). */
export interface Table {
  readonly rows: number;
  readonly cols: number;
  readonly values: ArrayLike<number>;
}

/**
 * A weight tensor whose elements are `param` leaves (--weights symbolic): its printed name (W1,
 * b1, …, as the tensor form names it), its role and 1-based layer, its shape, and the trained values.
 */
export interface ParamTensor {
  readonly name: string;
  readonly role: string;
  readonly layer: number;
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

/**
 * A name hint for a node: layer number and unit index (1-based), printed as h^{(layer)}_{index};
 * a recurrent state also has its symbol (h, c; hb, cb for a backward direction) and time step.
 */
export interface Label {
  readonly layer: number;
  readonly index: number;
  readonly state?: StateLabel;
}

export interface StateLabel {
  readonly symbol: 'h' | 'c' | 'hb' | 'cb';
  readonly step: number;
}

/**
 * A descriptive name for an intermediate value that the code formats do not bind (an LSTM gate,
 * a softmax exponential, a convolution's pre-activation): `symbol` (i, f, g, o, z, r, hh, e, a, …)
 * of layer `layer`, element `index` (1-based), at time step `step` for recurrent values.
 * LaTeX binds and names these; the code formats ignore them, so their output does not change.
 */
export interface Hint {
  readonly symbol: string;
  readonly layer: number;
  readonly index: number;
  readonly step?: number;
  readonly backward?: boolean;
}

/** Rough bytes of printed let-form text per node and per affine term: the one size model. */
export const BYTES_PER_NODE = 12;
export const BYTES_PER_TERM = 16;

/**
 * Largest graph built by default, in the bytes of let-form text it would print (the size model
 * above). Building stops with an error as soon as it passes, so memory stays bounded.
 */
export const DEFAULT_SIZE_BUDGET = 256_000_000;

/**
 * The expression IR: a flat, hash-consed arena. Arguments always precede their users, so the
 * creation order is a topological order and every traversal is a loop over ids. Equal
 * sub-expressions are stored once. Constructors fold constants and simplify trivial cases.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly labels = new Map<NodeId, Label>();
  /** Descriptive names of unlabelled intermediate values (see Hint); filled by the lowering from the tensor program. */
  readonly hints = new Map<NodeId, Hint>();
  readonly tables: Table[] = [];
  /** The weight tensors that `param` leaves read (--weights symbolic). */
  readonly params: ParamTensor[] = [];
  /** Structural hash → node(s); a hit is confirmed by comparing whole nodes. Numeric keys keep GC low. */
  private readonly interned = new Map<number, NodeId | NodeId[]>();
  /** Scratch for affine(): where a term already sits in the node being built (stamped per call). */
  private slotAt = new Int32Array(0);
  private slotStamp = new Int32Array(0);
  private stamp = 0;

  /** Let-form bytes of every node built so far (size model above). */
  cost = 0;
  /** Per node, what it is for every input that holds no NaN: NOT_NAN, ABOVE (> −∞), BELOW (< +∞); see finiteness(). */
  private finite = new Uint8Array(1024);

  /**
   * A dry graph only measures: it folds constants as usual but stores no other node and shares
   * nothing, so it costs a few bytes per node and over-counts a little. extract() uses one to
   * refuse a model before spending the memory a real build of it would take.
   */
  constructor(
    readonly sizeBudget = DEFAULT_SIZE_BUDGET,
    readonly dry = false,
  ) {}

  get size(): number {
    return this.nodes.length;
  }

  /** The scalar model input number `index` (0-based). */
  input(index: number): NodeId {
    return this.intern('input', [], index, null);
  }

  /** Element `index` (flat) of parameter tensor `tensor`: a leaf standing for a trained weight. */
  param(tensor: number, index: number): NodeId {
    return this.intern('param', [], index, null, tensor);
  }

  constant(value: number): NodeId {
    // -0 and 0 are one constant.
    return this.intern('const', [], value === 0 ? 0 : value, null);
  }

  /**
   * Σ coefs[i]·terms[i] + bias, with constant terms folded into the bias. A zero coefficient's term
   * is dropped only when the term is finite for every input that holds no NaN (tanh, a clamp, a
   * comparison…): 0·t is 0 there. Any other 0·t stays, as IEEE and every runtime compute it
   * (0·∞ is NaN): a zero weight on an input or on a unit that can overflow is printed.
   */
  affine(terms: ArrayLike<NodeId>, coefs: ArrayLike<number>, bias = 0): NodeId {
    const ids: NodeId[] = [];
    const cs: number[] = [];
    if (this.slotStamp.length < this.nodes.length) {
      const n = Math.max(1024, this.nodes.length * 2);
      this.slotAt = new Int32Array(n);
      this.slotStamp = new Int32Array(n);
      this.stamp = 0;
    }
    const stamp = ++this.stamp;
    for (let i = 0; i < terms.length; i++) {
      const c = coefs[i];
      const t = terms[i];
      const node = this.nodes[t];
      if (node.op === 'const') {
        bias += c * node.value;
        continue;
      }
      if (c === 0 && (this.finite[t] & FINITE) === FINITE) continue;
      if (this.slotStamp[t] === stamp) {
        cs[this.slotAt[t]] += c;
        continue;
      }
      this.slotStamp[t] = stamp;
      this.slotAt[t] = ids.length;
      ids.push(t);
      cs.push(c);
    }
    if (ids.length === 0) return this.constant(bias);
    if (ids.length === 1 && cs[0] === 1 && bias === 0) return ids[0];
    if (this.dry) return this.measure(ids.length);
    const coefArray = Float64Array.from(cs);
    return this.intern('affine', ids, bias, coefArray);
  }

  add(a: NodeId, b: NodeId): NodeId {
    return this.affine([a, b], [1, 1]);
  }

  sub(a: NodeId, b: NodeId): NodeId {
    return this.affine([a, b], [1, -1]);
  }

  /** c·a */
  scale(a: NodeId, c: number): NodeId {
    return this.affine([a], [c]);
  }

  /** a + c */
  shift(a: NodeId, c: number): NodeId {
    return this.affine([a], [1], c);
  }

  neg(a: NodeId): NodeId {
    return this.affine([a], [-1]);
  }

  mul(a: NodeId, b: NodeId): NodeId {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined) return this.scale(b, ca);
    if (cb !== undefined) return this.scale(a, cb);
    return this.intern('mul', a <= b ? [a, b] : [b, a], 0, null);
  }

  div(a: NodeId, b: NodeId): NodeId {
    const cb = this.constValue(b);
    if (cb !== undefined && this.constValue(a) !== undefined) return this.constant(this.constValue(a)! / cb);
    if (cb === 1) return a;
    return this.intern('div', [a, b], 0, null);
  }

  pow(a: NodeId, exponent: number): NodeId {
    if (exponent === 1) return a;
    const ca = this.constValue(a);
    if (ca !== undefined) return this.constant(Math.pow(ca, exponent));
    return this.intern('pow', [a, this.constant(exponent)], 0, null);
  }

  /** a^b with a computed exponent (a constant one is `pow`'s number). */
  powOf(a: NodeId, b: NodeId): NodeId {
    const cb = this.constValue(b);
    if (cb !== undefined) return this.pow(a, cb);
    return this.intern('pow', [a, b], 0, null);
  }

  max(a: NodeId, b: NodeId): NodeId {
    return this.binary('max', a, b);
  }

  min(a: NodeId, b: NodeId): NodeId {
    return this.binary('min', a, b);
  }

  /** C's fmod(a, b): the exact remainder of a / b with a's sign; folded when both are constants. */
  fmod(a: NodeId, b: NodeId): NodeId {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.constant(OPS.fmod.eval(ca, cb));
    return this.intern('fmod', [a, b], 0, null);
  }

  /** 1 where `a op b` holds, else 0 (false for NaN, true for ∞ = ∞); folded when both are constants. */
  compare(op: Cmp, a: NodeId, b: NodeId): NodeId {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.constant(OPS[op].eval(ca, cb));
    // Equality commutes: one node for a = b and b = a.
    return this.intern(op, op === 'eq' && b < a ? [b, a] : [a, b], 0, null);
  }

  /** a where c ≠ 0 (NaN included), else b: a real choice, so an ∞ in the branch not taken never reaches the result. */
  select(c: NodeId, a: NodeId, b: NodeId): NodeId {
    const cc = this.constValue(c);
    if (cc !== undefined) return cc !== 0 ? a : b;
    if (a === b) return a;
    // select(c = 0, a, b) with c a comparison (0 or 1) is select(c, b, a): the condition prints as the relation itself.
    const n = this.nodes[c];
    if (n.op === 'eq') {
      const [x, y] = this.constValue(n.args[0]) === 0 ? [n.args[1], n.args[0]] : n.args;
      if (this.constValue(y) === 0 && isCmp(this.nodes[x].op)) return this.select(x, b, a);
    }
    return this.intern('select', [c, a, b], 0, null);
  }

  fn(name: Fn, a: NodeId): NodeId {
    const ca = this.constValue(a);
    if (ca !== undefined) return this.constant((OPS[name] as OpInfo).eval!(ca, 0, 0));
    return this.intern(name, [a], 0, null);
  }

  /** Adds a table (once) and returns its number. */
  addTable(t: Table): number {
    const i = this.tables.findIndex((u) => u.values === t.values);
    if (i >= 0) return i;
    this.tables.push(t);
    return this.tables.length - 1;
  }

  /** Row trunc(index) of table `table`, column `column` (0-based). */
  lookup(table: number, index: NodeId, column: number): NodeId {
    const c = this.constValue(index);
    if (c !== undefined) return this.constant(tableValue(this.tables[table], c, column));
    return this.intern('lookup', [index], column, null, table);
  }

  /** Names `id` after a layer unit, unless it is a leaf or already named. */
  label(id: NodeId, layer: number, index: number, state?: StateLabel): void {
    if (this.dry) return;
    const op = this.nodes[id].op;
    if (op === 'input' || op === 'const' || op === 'param' || this.labels.has(id)) return;
    this.labels.set(id, state ? { layer, index, state } : { layer, index });
  }

  /** The value of a `const` node, or undefined. */
  constValue(id: NodeId): number | undefined {
    const n = this.nodes[id];
    return n.op === 'const' ? n.value : undefined;
  }

  /** Re-creates a node of another graph here, with its arguments already mapped. */
  copy(node: Node, args: readonly NodeId[]): NodeId {
    switch (node.op) {
      case 'input':
        return this.input(node.value);
      case 'const':
        return this.constant(node.value);
      case 'param':
        return this.param(node.table!, node.value);
      case 'affine':
        return this.affine(args, node.coefs!, node.value);
      case 'mul':
        return this.mul(args[0], args[1]);
      case 'div':
        return this.div(args[0], args[1]);
      case 'pow':
        return this.powOf(args[0], args[1]);
      case 'max':
        return this.max(args[0], args[1]);
      case 'lookup':
        return this.lookup(node.table!, args[0], node.value);
      case 'min':
        return this.min(args[0], args[1]);
      case 'fmod':
        return this.fmod(args[0], args[1]);
      case 'gt':
      case 'ge':
      case 'eq':
        return this.compare(node.op, args[0], args[1]);
      case 'select':
        return this.select(args[0], args[1], args[2]);
      default:
        if (!isFn(node.op)) throw new Error(`unknown op ${node.op}`);
        return this.fn(node.op, args[0]);
    }
  }

  private binary(op: 'max' | 'min', a: NodeId, b: NodeId): NodeId {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.constant(OPS[op].eval(ca, cb));
    if (a === b) return a;
    // max and min commute; put a constant first so max(0, x) and max(x, 0) are one node.
    const swap = cb !== undefined || (ca === undefined && b < a);
    return this.intern(op, swap ? [b, a] : [a, b], 0, null);
  }

  /** A dry graph's stand-in for a node with `terms` affine terms. */
  private measure(terms: number): NodeId {
    this.cost += BYTES_PER_NODE + terms * BYTES_PER_TERM;
    if (this.cost > this.sizeBudget) throw new SizeBudgetExceeded(this.cost, this.sizeBudget);
    this.nodes.push(DRY_NODE);
    return this.nodes.length - 1;
  }

  private intern(op: Op, args: NodeId[], value: number, coefs: Float64Array | null, table?: number): NodeId {
    if (this.dry && op !== 'const' && op !== 'input' && op !== 'param') return this.measure(0);
    const k = structuralHash(op, args, value, coefs, table);
    const found = this.interned.get(k);
    if (typeof found === 'number') {
      if (sameNode(this.nodes[found], op, args, value, coefs, table)) return found;
    } else if (found !== undefined) {
      for (const id of found) if (sameNode(this.nodes[id], op, args, value, coefs, table)) return id;
    }
    this.cost += BYTES_PER_NODE + (coefs === null ? 0 : coefs.length * BYTES_PER_TERM);
    if (this.cost > this.sizeBudget) throw new SizeBudgetExceeded(this.cost, this.sizeBudget);
    const id = this.nodes.length;
    this.nodes.push(table === undefined ? { op, args, value, coefs } : { op, args, value, coefs, table });
    if (id >= this.finite.length) {
      // A dry graph's measured nodes take ids without passing here: grow past them all.
      const grown = new Uint8Array(Math.max(this.finite.length * 2, id + 1024));
      grown.set(this.finite);
      this.finite = grown;
    }
    this.finite[id] = finiteness(op, args, value, coefs, this.finite);
    if (found === undefined) this.interned.set(k, id);
    else if (typeof found === 'number') this.interned.set(k, [found, id]);
    else found.push(id);
    return id;
  }
}

/** Table entry at row trunc(row) (as TF casts ids to int32); NaN outside the table. */
export function tableValue(t: Table, row: number, column: number): number {
  const r = Math.trunc(row);
  return r >= 0 && r < t.rows ? t.values[r * t.cols + column] : NaN;
}

/** Thrown when a graph passes its size budget; extract() turns it into a message naming the layer. */
export class SizeBudgetExceeded extends Error {
  constructor(
    readonly cost: number,
    readonly budget: number,
  ) {
    super(`the equations passed ${budget} bytes`);
  }
}

/** finiteness() bits: never NaN, never −∞, never +∞ (each for every input that holds no NaN; ABOVE and BELOW imply NOT_NAN). */
const NOT_NAN = 1;
const ABOVE = 2;
const BELOW = 4;
const FINITE = NOT_NAN | ABOVE | BELOW;

/**
 * What a new node is for every input that holds no NaN (an input itself may be ±∞): never NaN,
 * bounded below, bounded above, from its arguments' bits `f`. Conservative: 0 when unsure.
 */
function finiteness(op: Op, args: readonly NodeId[], value: number, coefs: Float64Array | null, f: Uint8Array): number {
  const a = args.length > 0 ? f[args[0]] : 0;
  const b = args.length > 1 ? f[args[1]] : 0;
  const bounded = (x: number) => (x & FINITE) === FINITE;
  switch (op) {
    case 'const':
      return Number.isNaN(value) ? 0 : Number.isFinite(value) ? FINITE : NOT_NAN;
    case 'input':
      return NOT_NAN;
    case 'affine': {
      if (!Number.isFinite(value)) return 0;
      let above = ABOVE;
      let below = BELOW;
      for (let i = 0; i < args.length; i++) {
        const c = coefs![i];
        const t = f[args[i]];
        if (!Number.isFinite(c)) return 0;
        if (!(t & NOT_NAN) || (c === 0 && !bounded(t))) return 0;
        if (c > 0 ? !(t & ABOVE) : c < 0 && !(t & BELOW)) above = 0;
        if (c > 0 ? !(t & BELOW) : c < 0 && !(t & ABOVE)) below = 0;
      }
      // A sum of values that are not NaN is taken as not NaN: ∞ − ∞ inside one sum is the one case this misses.
      return above | below | NOT_NAN;
    }
    case 'mul':
      return bounded(a) && bounded(b) ? FINITE : 0;
    case 'max':
    case 'min': {
      if (!(a & b & NOT_NAN)) return 0;
      const [one, both] = op === 'max' ? [ABOVE, BELOW] : [BELOW, ABOVE];
      return NOT_NAN | ((a | b) & one) | (a & b & both);
    }
    case 'gt':
    case 'ge':
    case 'eq':
    case 'step':
      return FINITE;
    case 'select':
      return f[args[1]] & f[args[2]];
    case 'tanh':
    case 'sigmoid':
    case 'erf':
    case 'atan':
      return a & NOT_NAN ? FINITE : 0;
    case 'exp':
    case 'softplus':
      return a & NOT_NAN ? NOT_NAN | ABOVE | (a & BELOW) : 0;
    case 'abs':
    case 'cosh':
      return a & NOT_NAN ? NOT_NAN | ABOVE | (bounded(a) ? BELOW : 0) : 0;
    case 'floor':
    case 'trunc':
    case 'sinh':
    case 'asinh':
      return a;
    case 'sin':
    case 'cos':
      return bounded(a) ? FINITE : 0;
    default:
      return 0;
  }
}

/** What a dry graph stores for every measured node. */
const DRY_NODE: Node = Object.freeze({ op: 'mul', args: [], value: 0, coefs: null });

const OP_CODE = new Map<Op, number>(Object.keys(OPS).map((op, i) => [op as Op, i + 1]));
const bits = new Float64Array(1);
const bitWords = new Uint32Array(bits.buffer);

/** A 32-bit structural hash of a node (FNV-1a style over op, value bits, table, args and coefficient bits). */
function structuralHash(op: Op, args: readonly NodeId[], value: number, coefs: Float64Array | null, table: number | undefined): number {
  let h = 0x811c9dc5 ^ OP_CODE.get(op)!;
  h = Math.imul(h, 0x01000193);
  bits[0] = value;
  h = Math.imul(h ^ bitWords[0], 0x01000193);
  h = Math.imul(h ^ bitWords[1], 0x01000193);
  if (table !== undefined) h = Math.imul(h ^ table, 0x01000193);
  for (let i = 0; i < args.length; i++) h = Math.imul(h ^ args[i], 0x01000193);
  if (coefs !== null) {
    const w = new Uint32Array(coefs.buffer, coefs.byteOffset, coefs.length * 2);
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
  }
  return h >>> 0;
}

function sameNode(n: Node, op: Op, args: readonly NodeId[], value: number, coefs: Float64Array | null, table: number | undefined): boolean {
  if (n.op !== op || n.args.length !== args.length || !Object.is(n.value, value) || n.table !== table) return false;
  for (let i = 0; i < args.length; i++) if (n.args[i] !== args[i]) return false;
  if (n.coefs === null || coefs === null) return n.coefs === coefs;
  for (let i = 0; i < coefs.length; i++) if (!Object.is(n.coefs[i], coefs[i])) return false;
  return true;
}

/** 1536 → "1.5 kB". */
export function humanBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === units.length - 1 && v >= 1000 ? `${n.toExponential(1)} B` : `${v.toFixed(1)} ${units[u]}`;
}
