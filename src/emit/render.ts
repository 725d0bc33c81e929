import { BYTES_PER_NODE, BYTES_PER_TERM, humanBytes, type NodeId, type ParamTensor } from '../ir/graph.js';
import { OPS, Prec, isFn, type Cmp, type Fn } from '../ir/ops.js';
import type { Name, Program } from '../schedule.js';
import { Nn2eqError } from '../errors.js';
import { TextBuffer, formatNumber, type NumberStyle } from './number.js';
import { unravel } from './common.js';

/** A printed expression and how tightly it binds. */
export interface Printed {
  readonly text: string;
  readonly prec: Prec;
  /** An affine sum's terms, each with its sign and spaces (" + 2 x"), joined give `text`: where LaTeX may break lines. */
  readonly terms?: readonly string[];
  /** A comparison's relation as a condition (a > b), where a select reads it instead of testing the 0/1 value. */
  readonly cond?: string;
}

/**
 * A target's syntax: its op templates and known functions. Arguments arrive already
 * parenthesized by the shared rules in `paren`; call-style templates get raw text.
 */
export interface Syntax {
  readonly numbers: NumberStyle;
  /** Precedence of a number in scientific notation (LaTeX writes it as a product). */
  readonly scientificPrec: Prec;
  name(n: Name): string;
  /** Binding strength of an input's printed name (the tensor form prints whole array expressions as inputs); Atom when absent. */
  inputPrec?(index: number): Prec;
  /** Between a coefficient and its term in an affine sum: '*', ' ', …; a function chooses by the term's text. */
  readonly times: string | ((term: string) => string);
  mul(a: string, b: string): string;
  /** `a` and `b` are parenthesized unless `divParens` is false (LaTeX's \frac). */
  div(a: string, b: string): string;
  readonly divParens: boolean;
  pow(base: string, exponent: string): string;
  /** Table `table` (0-based), row given by `index`, column `column` (0-based). */
  lookup(table: number, index: Printed, column: number): string;
  readonly functions: Record<Fn | 'max' | 'min' | 'fmod', (...args: string[]) => string>;
  /** fmod prints as an infix operator binding as `*` and `/` do (JavaScript's %): its operands are bracketed as a division's. */
  readonly infixFmod?: boolean;
  /** A relation as the target writes a condition (a > b, a >= b, a == b; 'ne', a ≠ b, only as a select's test c ≠ 0). */
  compare(op: Cmp | 'ne', a: Printed, b: Printed): string;
  /** A condition as the number 1 or 0 (the value of a comparison). */
  bool(cond: string): string;
  /** a where `cond` holds, else b. `nan` is the branch taken when an operand of the condition is NaN ('b' for a comparison, 'a' for c ≠ 0): Wolfram's If needs it spelled out. */
  select(cond: string, a: Printed, b: Printed, nan: 'a' | 'b'): string;
  /** Put before every term of a sum but the first (LaTeX --inline marks where a line may break). */
  readonly termBreak?: string;
  /** Element `index` (0-based per axis) of a symbolic weight tensor (--weights symbolic); absent where the format has no such form. */
  param?(t: ParamTensor, index: readonly number[]): string;
  /** A symbol for a known constant of the formula (LaTeX: SELU's λ), printed instead of its digits. */
  constant?(v: number): Printed | undefined;
}

/** Wraps `p` in parentheses when it binds more loosely than `level`. */
export function paren(p: Printed, level: Prec, open = '(', close = ')'): string {
  return p.prec < level ? `${open}${p.text}${close}` : p.text;
}

/** The rendered right-hand sides of a program: one per binding, then one per scalar output. */
export interface Rendered {
  readonly bindings: { readonly name: Name; readonly text: string; readonly terms?: readonly string[] }[];
  readonly outputs: string[];
  /** The terms of each output that is an affine sum (see Printed.terms). */
  readonly outputTerms: (readonly string[] | undefined)[];
}

/** Options shared by every emitter. */
export interface RenderOptions {
  readonly precision?: number;
  /** Refuse (before building strings) when the estimated size of the text passes this. */
  readonly maxSize: number;
  readonly inline: boolean;
  /** Paren style for the target (LaTeX uses \left( \right)). */
  readonly open?: string;
  readonly close?: string;
  /** Keep each affine sum's terms (Printed.terms, Rendered's terms), where the target breaks lines between them (LaTeX). */
  readonly terms?: boolean;
}

/**
 * Prints every binding and output of `program` in the target's syntax. One pass over the graph
 * in creation order; the output size is estimated first and refused past `maxSize`.
 */
export function render(program: Program, syntax: Syntax, opts: RenderOptions): Rendered {
  const { graph, live, names } = program;
  const open = opts.open ?? '(';
  const close = opts.close ?? ')';
  estimateOrRefuse(program, opts);
  const num = (v: number, exact = false): Printed => {
    const known = syntax.constant?.(v);
    if (known) return known;
    const text = formatNumber(v, syntax.numbers, opts.precision, exact);
    const plain = /^-?\d+(\.\d+)?$/.test(text);
    const prec = text.startsWith('-') ? Prec.Add : plain || !Number.isFinite(v) ? Prec.Atom : syntax.scientificPrec;
    return { text, prec };
  };
  const compared = comparedNodes(program);
  const texts: (Printed | undefined)[] = new Array(graph.size);
  const bindings: Rendered['bindings'] = [];
  const sum: AffineText = { b: new TextBuffer(), fast: opts.precision === undefined && !syntax.constant, terms: opts.terms ?? false };
  for (let id = 0; id < graph.size; id++) {
    if (!live[id]) continue;
    const node = graph.nodes[id];
    let p: Printed;
    switch (node.op) {
      case 'input':
        p = { text: syntax.name({ kind: 'input', index: node.value }), prec: syntax.inputPrec?.(node.value) ?? Prec.Atom };
        break;
      case 'const':
        p = num(node.value, compared[id] === 1);
        break;
      case 'param': {
        if (!syntax.param) throw new Error('render: a symbolic weight reached a format without a param syntax');
        const t = graph.params[node.table!];
        p = { text: syntax.param(t, unravel(t.shape, node.value)), prec: Prec.Atom };
        break;
      }
      case 'affine':
        p = affine(sum, node.args, node.coefs!, node.value, texts, syntax, num, open, close, compared[id] === 1);
        break;
      case 'mul': {
        // A symbolic weight reads first, as in W x (the arena orders a product's factors by node id).
        const [a, b] = graph.nodes[node.args[1]].op === 'param' && graph.nodes[node.args[0]].op !== 'param' ? [node.args[1], node.args[0]] : node.args;
        p = { text: syntax.mul(paren(texts[a]!, Prec.Mul, open, close), paren(texts[b]!, Prec.Pow, open, close)), prec: Prec.Mul };
        break;
      }
      case 'div': {
        const [a, b] = [texts[node.args[0]]!, texts[node.args[1]]!];
        p = syntax.divParens
          ? { text: syntax.div(paren(a, Prec.Mul, open, close), paren(b, Prec.Pow, open, close)), prec: Prec.Mul }
          : { text: syntax.div(a.text, b.text), prec: Prec.Atom };
        break;
      }
      case 'lookup':
        p = { text: syntax.lookup(node.table!, texts[node.args[0]]!, node.value), prec: Prec.Atom };
        break;
      case 'pow':
        // A computed exponent is bracketed unless it is one atom (x ** (a + b)).
        p = { text: syntax.pow(paren(texts[node.args[0]]!, Prec.Atom, open, close), graph.nodes[node.args[1]].op === 'const' ? texts[node.args[1]]!.text : paren(texts[node.args[1]]!, Prec.Atom, open, close)), prec: Prec.Pow };
        break;
      case 'gt':
      case 'ge':
      case 'eq': {
        const cond = syntax.compare(node.op, texts[node.args[0]]!, texts[node.args[1]]!);
        p = { text: syntax.bool(cond), prec: Prec.Atom, cond };
        break;
      }
      case 'select': {
        const c = texts[node.args[0]]!;
        const [a, b] = [texts[node.args[1]]!, texts[node.args[2]]!];
        p = { text: c.cond ? syntax.select(c.cond, a, b, 'b') : syntax.select(syntax.compare('ne', c, num(0)), a, b, 'a'), prec: Prec.Atom };
        break;
      }
      default: {
        const op = node.op;
        if (op !== 'max' && op !== 'min' && op !== 'fmod' && !isFn(op)) throw new Error(`render: unknown op ${op}`);
        const args = op === 'fmod' && syntax.infixFmod
          ? [paren(texts[node.args[0]]!, Prec.Mul, open, close), paren(texts[node.args[1]]!, Prec.Pow, open, close)]
          : node.args.map((a) => texts[a]!.text);
        p = { text: syntax.functions[op](...args), prec: OPS[op].prec };
      }
    }
    const name = names.get(id);
    if (name) {
      bindings.push(p.terms ? { name, text: p.text, terms: p.terms } : { name, text: p.text });
      p = { text: syntax.name(name), prec: Prec.Atom };
    }
    texts[id] = p;
  }
  return { bindings, outputs: program.outputIds.map((o) => texts[o]!.text), outputTerms: program.outputIds.map((o) => texts[o]!.terms) };
}

/**
 * Where render builds an affine sum: the buffer `b` (no string or object per term, where a Dense
 * layer of a million weights has a million terms); `fast` when no --precision or constant symbol
 * applies, so a coefficient shortestFloat32 takes is written as digits straight into `b` (a plain
 * decimal, never "1"), any other number goes through `num`; `terms` to keep each term's text.
 */
interface AffineText {
  readonly b: TextBuffer;
  readonly fast: boolean;
  readonly terms: boolean;
}

function affine(
  { b, fast, terms }: AffineText,
  args: readonly NodeId[],
  coefs: Float64Array,
  bias: number,
  texts: (Printed | undefined)[],
  syntax: Syntax,
  num: (v: number, exact?: boolean) => Printed,
  open: string,
  close: string,
  exactBias: boolean,
): Printed {
  // A coefficient is left out when it prints as 1: ask the one number formatter, so that
  // --precision rounding decides this exactly as it decides the printed digits.
  const one = num(1).text;
  const brk = syntax.termBreak ?? '';
  const [plus, minus] = [`${brk} + `, `${brk} - `];
  const starts: number[] | undefined = terms ? [] : undefined;
  b.reset();
  for (let i = 0; i < args.length; i++) {
    const c = coefs[i];
    const t = texts[args[i]]!;
    starts?.push(b.length);
    if (i > 0) b.text(c < 0 ? minus : plus);
    else if (c < 0) b.text('-');
    const term = paren(t, Prec.Pow, open, close);
    const times = typeof syntax.times === 'string' ? syntax.times : syntax.times(term);
    if (fast && b.shortest(Math.abs(c))) {
      b.text(times);
      b.text(term);
      continue;
    }
    const coef = num(Math.abs(c));
    // A leading minus before a power gets parentheses: JS refuses `-x ** 2` (found by test/property.test.ts).
    const lone = i === 0 && c < 0 && t.prec === Prec.Pow ? Prec.Atom : Prec.Mul;
    if (coef.text === one) b.text(paren(t, lone, open, close));
    else {
      b.text(paren(coef, Prec.Mul, open, close));
      b.text(times);
      b.text(term);
    }
  }
  if (bias !== 0) {
    starts?.push(b.length);
    b.text(bias < 0 ? minus : plus);
    // A compared constant term prints exactly (comparedNodes): not through the float32 fast path.
    if (!(fast && !exactBias && b.shortest(Math.abs(bias)))) b.text(num(Math.abs(bias), exactBias).text);
  }
  const text = b.done();
  // Graph.affine returns a lone term with coefficient 1 and no bias as the term itself, so a
  // single positive term here always prints as a product.
  const single = args.length === 1 && bias === 0 && coefs[0] >= 0;
  const p = { text, prec: single ? Prec.Mul : Prec.Add };
  return starts ? { ...p, terms: starts.map((s, k) => text.slice(s, starts[k + 1])) } : p;
}

/**
 * The nodes whose number a comparison reads, 1 in the array: a constant operand of gt, ge or eq, and
 * an operand ±x − θ of one or of step (ThresholdedReLU's [x − θ > 0]), whose constant term is the
 * number x is compared with. Such a number prints as exactly its float64 value (formatNumber's `exact`): a
 * float32 constant's shortest float32 digits (3.14 for 3.14f) read back as another double, which
 * flips the comparison at x = 3.14f; in arithmetic the same half-ulp is within any tolerance.
 */
export function comparedNodes(program: Program): Uint8Array {
  const { graph, live } = program;
  const out = new Uint8Array(graph.size);
  for (let id = 0; id < graph.size; id++) {
    if (!live[id]) continue;
    const op = graph.nodes[id].op;
    if (op !== 'gt' && op !== 'ge' && op !== 'eq' && op !== 'step') continue;
    for (const a of graph.nodes[id].args) {
      const n = graph.nodes[a];
      if (n.op === 'const' || (n.op === 'affine' && n.args.length === 1 && Math.abs(n.coefs![0]) === 1)) out[a] = 1;
    }
  }
  return out;
}

/**
 * Estimates the printed size before any string is built: in the let form each node is printed
 * once; inline, a node is printed once per path to an output, which can grow exponentially.
 */
export function estimateSize(program: Program): number {
  const { graph, live, names } = program;
  const size = new Float64Array(graph.size);
  let total = 0;
  for (let id = 0; id < graph.size; id++) {
    if (!live[id]) continue;
    const n = graph.nodes[id];
    let s = BYTES_PER_NODE + (n.coefs ? n.coefs.length * BYTES_PER_TERM : 0);
    for (const a of n.args) s += size[a];
    if (names.has(id)) {
      total += s;
      s = 8;
    }
    size[id] = s;
  }
  for (const o of program.outputIds) total += size[o];
  for (const t of graph.tables) total += t.values.length * BYTES_PER_TERM;
  return total;
}

function estimateOrRefuse(program: Program, opts: RenderOptions): void {
  const estimate = estimateSize(program);
  if (estimate > opts.maxSize) {
    throw new Nn2eqError(
      `the ${opts.inline ? 'closed-form (--inline) ' : ''}output would be about ${humanBytes(estimate)}, over --max-size ${humanBytes(opts.maxSize)}`,
      'too-large',
      opts.inline
        ? 'drop --inline to get the let form, which names shared values and grows linearly, or raise --max-size'
        : 'raise --max-size if you really want this much text',
    );
  }
}

