import { Nn2eqError } from '../errors.js';
import { OPS, isFn, type Fn, type Op, type OpInfo } from './ops.js';

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

/** Largest arena the tool builds before it gives up with an error instead of running out of memory. */
export const DEFAULT_NODE_BUDGET = 20_000_000;

/**
 * The expression IR: a flat, hash-consed arena. Arguments always precede their users, so the
 * creation order is a topological order and every traversal is a loop over ids. Equal
 * sub-expressions are stored once. Constructors fold constants and simplify trivial cases.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly labels = new Map<NodeId, Label>();
  readonly tables: Table[] = [];
  private readonly interned = new Map<string, NodeId | NodeId[]>();

  constructor(readonly nodeBudget = DEFAULT_NODE_BUDGET) {}

  get size(): number {
    return this.nodes.length;
  }

  /** The scalar model input number `index` (0-based). */
  input(index: number): NodeId {
    return this.intern('input', [], index, null, `i${index}`);
  }

  constant(value: number): NodeId {
    return this.intern('const', [], value, null, `c${Object.is(value, -0) ? '0' : value}`);
  }

  /** Σ coefs[i]·terms[i] + bias, with constant terms folded into the bias and zero terms dropped. */
  affine(terms: ArrayLike<NodeId>, coefs: ArrayLike<number>, bias = 0): NodeId {
    const ids: NodeId[] = [];
    const cs: number[] = [];
    let slot: Map<NodeId, number> | null = null;
    for (let i = 0; i < terms.length; i++) {
      const c = coefs[i];
      const t = terms[i];
      const node = this.nodes[t];
      if (node.op === 'const') {
        bias += c * node.value;
        continue;
      }
      if (c === 0) continue;
      if (terms.length > 1) {
        slot ??= new Map();
        const at = slot.get(t);
        if (at !== undefined) {
          cs[at] += c;
          continue;
        }
        slot.set(t, ids.length);
      }
      ids.push(t);
      cs.push(c);
    }
    if (ids.length === 0) return this.constant(bias);
    if (ids.length === 1 && cs[0] === 1 && bias === 0) return ids[0];
    const coefArray = Float64Array.from(cs);
    return this.intern('affine', ids, bias, coefArray, null);
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
    return this.intern('mul', a <= b ? [a, b] : [b, a], 0, null, null);
  }

  div(a: NodeId, b: NodeId): NodeId {
    const cb = this.constValue(b);
    if (cb !== undefined && this.constValue(a) !== undefined) return this.constant(this.constValue(a)! / cb);
    if (cb === 1) return a;
    return this.intern('div', [a, b], 0, null, null);
  }

  pow(a: NodeId, exponent: number): NodeId {
    if (exponent === 1) return a;
    const ca = this.constValue(a);
    if (ca !== undefined) return this.constant(Math.pow(ca, exponent));
    return this.intern('pow', [a, this.constant(exponent)], 0, null, null);
  }

  max(a: NodeId, b: NodeId): NodeId {
    return this.binary('max', a, b);
  }

  min(a: NodeId, b: NodeId): NodeId {
    return this.binary('min', a, b);
  }

  fn(name: Fn, a: NodeId): NodeId {
    const ca = this.constValue(a);
    if (ca !== undefined) return this.constant((OPS[name] as OpInfo).eval!(ca, 0));
    return this.intern(name, [a], 0, null, null);
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
    return this.intern('lookup', [index], column, null, `L${table}:${column}:${index}`, table);
  }

  /** Names `id` after a layer unit, unless it is a leaf or already named; says whether it did. */
  label(id: NodeId, layer: number, index: number, state?: StateLabel): boolean {
    const op = this.nodes[id].op;
    if (op === 'input' || op === 'const' || this.labels.has(id)) return false;
    this.labels.set(id, state ? { layer, index, state } : { layer, index });
    return true;
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
      case 'affine':
        return this.affine(args, node.coefs!, node.value);
      case 'mul':
        return this.mul(args[0], args[1]);
      case 'div':
        return this.div(args[0], args[1]);
      case 'pow':
        return this.pow(args[0], this.nodes[args[1]].value);
      case 'max':
        return this.max(args[0], args[1]);
      case 'lookup':
        return this.lookup(node.table!, args[0], node.value);
      case 'min':
        return this.min(args[0], args[1]);
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
    return this.intern(op, swap ? [b, a] : [a, b], 0, null, null);
  }

  private intern(op: Op, args: NodeId[], value: number, coefs: Float64Array | null, key: string | null, table?: number): NodeId {
    const k = key ?? structuralKey(op, args, value, coefs);
    const found = this.interned.get(k);
    if (typeof found === 'number') return found;
    if (found !== undefined) {
      for (const id of found) if (sameNode(this.nodes[id], args, value, coefs)) return id;
    }
    if (this.nodes.length >= this.nodeBudget) {
      throw new Nn2eqError(
        `the expression graph passed its budget of ${this.nodeBudget} nodes`,
        'too-large',
        'this model is too large to expand into scalar equations',
      );
    }
    const id = this.nodes.length;
    this.nodes.push(table === undefined ? { op, args, value, coefs } : { op, args, value, coefs, table });
    if (coefs === null) this.interned.set(k, id);
    else if (found === undefined) this.interned.set(k, [id]);
    else (found as NodeId[]).push(id);
    return id;
  }
}

/** Table entry at row trunc(row) (as TF casts ids to int32); NaN outside the table. */
export function tableValue(t: Table, row: number, column: number): number {
  const r = Math.trunc(row);
  return r >= 0 && r < t.rows ? t.values[r * t.cols + column] : NaN;
}

function structuralKey(op: Op, args: readonly NodeId[], value: number, coefs: Float64Array | null): string {
  if (coefs === null) return `${op}:${args.join(',')}`;
  // Affine nodes can have thousands of terms: key them by a hash, and compare in full on a hit.
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  for (let i = 0; i < args.length; i++) {
    h1 = Math.imul(h1 ^ args[i], 0x01000193);
    h2 = Math.imul(h2 ^ args[i], 0x85ebca6b) ^ (h2 >>> 13);
  }
  const bits = new Uint32Array(coefs.buffer, coefs.byteOffset, coefs.length * 2);
  for (let i = 0; i < bits.length; i++) {
    h1 = Math.imul(h1 ^ bits[i], 0x01000193);
    h2 = Math.imul(h2 ^ bits[i], 0xc2b2ae35) ^ (h2 >>> 16);
  }
  return `a:${args.length}:${h1 >>> 0}:${h2 >>> 0}:${value}`;
}

function sameNode(n: Node, args: readonly NodeId[], value: number, coefs: Float64Array | null): boolean {
  if (n.coefs === null || coefs === null || n.args.length !== args.length || !Object.is(n.value, value)) return false;
  for (let i = 0; i < args.length; i++) if (n.args[i] !== args[i] || !Object.is(n.coefs[i], coefs[i])) return false;
  return true;
}
