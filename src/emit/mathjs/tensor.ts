import { Nn2eqError } from '../../errors.js';
import type { Fn } from '../../ir/ops.js';
import type { AxesAttrs, AxisAttrs, ConvAttrs, DenseAttrs, DepthwiseAttrs, DotAttrs, GlobalPoolAttrs, LayerNormAttrs, MapAttrs, MonomialsAttrs, PadAttrs, PoolAttrs, RepeatAttrs, ReshapeAttrs, ScanAttrs, SliceAttrs, TransposeAttrs, UpsampleAttrs, WindowAttrs } from '../../tensor/ops.js';
import { sizeOf, type Body, type Equation, type TensorId, type TensorProgram } from '../../tensor/program.js';
import { paramLiteral } from '../common.js';
import { MATHJS_FUNCTIONS, MATHJS_NUMBERS, mathjsSyntax } from './syntax.js';
import { formatNumber, JSON_NUMBERS } from '../number.js';
import type { Syntax } from '../render.js';
import { atoms, comparedConstants, constantsBefore, literalRows, MARK, MARKS, noBitcast, printMap, tensorNames, tensorParamLayout, tensorParams, useCounts } from '../tensor-common.js';
import { matmulGeometry } from '../tensor-common.js';
import type { EmitOptions, TensorEmitter } from '../types.js';
import { namedElementLines } from '../port-names.js';

/**
 * The mathjs tensor form: one mathjs expression-language assignment per line, every tensor a
 * mathjs matrix of its static shape (without the batch axis), for `math.evaluate(text, scope)`.
 *
 * Calling contract: input1 … inputK in the scope, each a matrix (math.matrix of a nested array) in
 * its input's shape; afterwards output1 … outputM are in the scope, matrices in their shapes (the
 * header lists both). The scalar form's x1…xN / y1…yM are the same numbers, row-major.
 *
 * Weights are matrix literals assigned just before the layer that first reads them; a dense layer
 * is a matrix product (`x * W1 + b1`); element-wise functions are printed from their one scalar
 * template, straight on whole matrices with mathjs's element-wise operators (.*, ./, .^) when the
 * template is arithmetic only, else as a named function applied by `map` (mathjs 15 applies exp,
 * tanh, sqrt… to numbers only). Reductions use max/sum/mean along a dimension. mathjs has no loops:
 * convolution and pooling are unrolled at conversion time into a sum (or max) over the kernel taps
 * of strided index ranges of the zero-padded input, and recurrences (and TimeDistributed) into one
 * block of assignments per time step, so a time axis must have a fixed length (--timesteps T).
 *
 * --weights symbolic (as the scalar form's): no weight is assigned; the caller puts each in the scope
 * under the name the header gives (a matrix of its shape, a number for shape []), and the header's
 * `# PARAMS {json}` line holds the trained values (JSON.parse of the line after `# PARAMS `).
 */
export const mathjsTensor: TensorEmitter = {
  symbolicWeights: true,
  emit(program: TensorProgram, opts: EmitOptions): string {
    return new Printer(program, opts).print();
  },
};


/** One printed line: `target = text` (text with argument marks until its block expands them). */
interface Stmt {
  readonly target: string;
  readonly text: string;
}

/** Names of the current time step for tensors inside a body (tensor id → mathjs name). */
type Env = ReadonlyMap<TensorId, string>;

/** Scalar-template ops that mathjs applies to whole matrices when written with .*, ./ and .^. */
const ELEMENTWISE: ReadonlySet<string> = new Set(['input', 'const', 'affine', 'mul', 'div', 'pow']);

/** Roles of values that have no name of their own (pre-activations, temporaries): printed in place when read once. */
const ANONYMOUS = new Set(['_', 'a', 'v', 'd']);

/** True when `text` needs no parentheses as an operand (a name, a call, a matrix or an index). */
function atomic(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') depth--;
    else if (depth === 0 && !/[A-Za-z0-9_\u0001\u0002]/.test(ch)) return false;
  }
  return true;
}

const list = (xs: readonly (number | string)[]) => `[${xs.join(', ')}]`;

/** A 1-based mathjs range over `count` elements from `start` by `step` (ranges keep their axis, even of length 1). */
function range(start: number, step: number, count: number): string {
  const end = start + step * (count - 1);
  return step === 1 ? `${start}:${end}` : `${start}:${step}:${end}`;
}

/** Every index of a shape in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = sizeOf(shape);
  const at = shape.map(() => 0);
  for (let k = 0; k < n; k++) {
    yield [...at];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++at[i] < shape[i]) break;
      at[i] = 0;
    }
  }
}

class Printer {
  private readonly names: string[];
  private readonly uses: Int32Array;
  private readonly taken: Set<string>;
  private readonly printedConsts = new Set<TensorId>();
  private readonly callOutputs = new Set<TensorId>();
  private readonly programOutputs = new Set<TensorId>();
  /** Function definitions, by name, in first-use order. */
  private readonly functions = new Map<string, string>();
  private readonly syntax: Syntax;
  /** The scalar syntax with mathjs's element-wise operators, for templates applied to whole matrices. */
  private readonly elementwise: Syntax;
  /** Set while printing with `elementwise` when a power's exponent is not an integer literal. */
  private nonIntegerPow = false;
  /** The time-step suffix of the body being printed ('' at top level; nested bodies append theirs). */
  private suffix = '';
  /** --weights symbolic: the weight tensors the caller puts in the scope (none for a model without weights). */
  private readonly params: ReturnType<typeof tensorParams>;

  constructor(
    private readonly p: TensorProgram,
    private readonly opts: EmitOptions,
  ) {
    this.names = tensorNames(p);
    this.taken = new Set(this.names.filter((n) => n !== undefined));
    this.uses = useCounts(p);
    this.params = opts.symbolicWeights ? tensorParams(p, this.names) : [];
    for (const c of p.calls) for (const t of c.outputs) this.callOutputs.add(t.id);
    for (const o of p.outputs) this.programOutputs.add(o.tensor.id);
    this.syntax = mathjsSyntax(() => {
      throw new Error('the tensor form prints no scalar names');
    });
    this.elementwise = {
      ...this.syntax,
      mul: (a, b) => `${a} .* ${b}`,
      div: (a, b) => `${a} ./ ${b}`,
      // A power whose exponent is not an integer literal needs realPow's test of its domain, which
      // mathjs evaluates on numbers only: map() then applies the scalar template instead.
      pow: (a, b) => {
        if (!/^-?\d+$/.test(b)) this.nonIntegerPow = true;
        return `${a} .^ ${b.startsWith('-') ? `(${b})` : b}`;
      },
    };
  }

  print(): string {
    const p = this.p;
    p.tensors.forEach((t, id) => {
      if (t.shape.some((d) => d < 0 || !Number.isInteger(d))) {
        throw new Nn2eqError(
          `tensor '${this.names[id] ?? id}' has shape [${t.shape.map((d) => (d < 0 ? 'T' : d)).join(', ')}] with a time axis of any length; mathjs has no loops, so the mathjs tensor form unrolls a recurrence over a fixed number of steps`,
          'unsupported',
          'give the length with --timesteps T (or use --form scalar with --timesteps T)',
        );
      }
    });
    const body = this.block(p.equations, new Map(), true, new Set()).map((s) => `${s.target} = ${s.text}`);
    const shape = (s: readonly number[]) => list(s);
    const symbolic = this.params.length > 0;
    const lines = [
      `# Generated by nn2eq from model '${this.opts.modelName}' (${symbolic ? 'tensor form, symbolic weights' : 'tensor form'}). Do not edit.`,
      symbolic
        ? '# Evaluate with math.evaluate(text, scope): put input1… in the scope, each a matrix (math.matrix of a nested array) in its shape below, without the batch axis, and every weight below by its name, a matrix of its shape (a number for shape []); the PARAMS line holds the trained values as JSON, name: nested array. output1… are then in it, matrices in their shapes.'
        : '# Evaluate with math.evaluate(text, scope): put input1… in the scope, each a matrix (math.matrix of a nested array) in its shape below, without the batch axis; output1… are then in it, matrices in their shapes.',
      ...tensorParamLayout(this.params, '# weight '),
      ...(symbolic ? [`# PARAMS {${this.params.map((t) => `"${t.name}": ${paramLiteral({ ...t, values: this.p.tensors[t.id].values! }, JSON_NUMBERS, this.opts.precision)}`).join(', ')}}`] : []),
      ...p.inputs.map((port, i) => `# input ${i + 1}, shape ${shape(port.tensor.shape)}: input${i + 1}`),
      ...p.outputs.map((port, i) => `# output ${i + 1}, shape ${shape(port.tensor.shape)}: output${i + 1}`),
      ...namedElementLines(p, this.opts, '# ', (side, port, idx) => `${side}${port + 1}[${idx.map((i) => i + 1).join(', ')}]`),
      ...(this.opts.notes ?? []).map((n) => `# ${n}`),
      ...[...this.functions.values()],
      ...body,
      ...p.outputs.map((port, i) => `output${i + 1} = ${this.names[port.tensor.id]}`),
      '',
    ];
    return lines.join('\n');
  }

  private name(id: TensorId, env: Env): string {
    return env.get(id) ?? this.names[id];
  }

  private shape(id: TensorId): readonly number[] {
    return this.p.tensors[id].shape;
  }

  /** The constant tensors a comparison reads (printed exactly, see comparedConstants), found on first use. */
  private compared?: Set<TensorId>;

  private num(v: number, exact = false): string {
    return formatNumber(v, MATHJS_NUMBERS, this.opts.precision, exact);
  }

  /** A fresh name for a helper value (padded inputs, pool counts, initial states). */
  private fresh(base: string): string {
    let n = base;
    for (let k = 2; this.taken.has(n); k++) n = `${base}_${k}`;
    this.taken.add(n);
    return n;
  }

  /** Defines function `base(params) = body` once; the same name with another body gets a suffix. */
  private define(base: string, params: readonly string[], body: string): string {
    for (let k = 1; ; k++) {
      const n = k === 1 ? base : `${base}_${k}`;
      const text = `${n}(${params.join(', ')}) = ${body}`;
      const had = this.functions.get(n);
      if (had === text) return n;
      if (had === undefined && !this.taken.has(n)) {
        this.taken.add(n);
        this.functions.set(n, text);
        return n;
      }
    }
  }

  /**
   * Prints the equations of one list (the program, or a body at one time step) as statements,
   * inlining a temporary read once; weights (top level only) just before their first reader.
   */
  private block(eqs: readonly Equation[], env: Env, top: boolean, keep: ReadonlySet<TensorId>): Stmt[] {
    const printed = eqs.map((eq) => ({ eq, stmts: this.equation(eq, env) }));
    const counts = new Map<TensorId, number>();
    for (const { stmts } of printed) for (const s of stmts) for (const m of `${s.target} ${s.text}`.matchAll(MARKS)) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
    const inlined = new Map<TensorId, string>();
    const skip = new Set<number>();
    printed.forEach(({ eq, stmts }, index) => {
      if (eq.outs.length !== 1 || stmts.length !== 1 || eq.body) return;
      const id = eq.outs[0];
      if (stmts[0].target !== this.name(id, env)) return;
      if (!ANONYMOUS.has(this.p.tensors[id].role) || this.uses[id] !== 1 || counts.get(id) !== 1) return;
      if (keep.has(id) || this.callOutputs.has(id) || this.programOutputs.has(id)) return;
      inlined.set(id, stmts[0].text);
      skip.add(index);
    });
    // An inlined text reads earlier values only: each is expanded once, in order, with its own inlined
    // values already expanded (no recursion down a chain of them).
    const expanded = new Map<TensorId, string>();
    const expand = (text: string): string =>
      text.replace(MARKS, (m, d: string, at: number) => {
        const id = Number(d);
        const body = expanded.get(id);
        if (body === undefined) return this.name(id, env);
        // An argument of a call or a matrix, or a whole right-hand side, needs no parentheses.
        const before = text.slice(Math.max(0, at - 2), at);
        const after = text.slice(at + m.length, at + m.length + 1);
        const open = at === 0 || before.endsWith('(') || before.endsWith('[') || before === ', ';
        const close = after === '' || after === ',' || after === ')' || after === ']';
        return (open && close) || atomic(body) ? body : `(${body})`;
      });
    for (const [id, text] of inlined) expanded.set(id, expand(text));
    const out: Stmt[] = [];
    printed.forEach(({ eq, stmts }, index) => {
      // --weights symbolic: the weights are in the caller's scope.
      if (top && this.params.length === 0) for (const c of this.constantsOf(eq)) out.push(this.constant(c));
      if (skip.has(index)) return;
      for (const s of stmts) {
        const single = eq.outs.length === 1 && s.target === this.name(eq.outs[0], env);
        if (single && !eq.body && this.uses[eq.outs[0]] === 0 && !keep.has(eq.outs[0]) && !this.programOutputs.has(eq.outs[0])) continue;
        out.push({ target: expand(s.target), text: expand(s.text) });
      }
    });
    return out;
  }

  /** The constants an equation (and its body) reads that are not printed yet. */
  private constantsOf(eq: Equation): TensorId[] {
    return constantsBefore(this.p, eq, this.printedConsts);
  }

  /** A weight as a matrix literal, one row of its last axis per line. */
  private constant(id: TensorId): Stmt {
    this.printedConsts.add(id);
    const t = this.p.tensors[id];
    const exact = (this.compared ??= comparedConstants(this.p)).has(id);
    const values = Array.from(t.values!, (v) => this.num(v, exact));
    const shape = t.shape;
    const target = this.names[id];
    if (shape.length === 0) return { target, text: values[0] };
    if (shape.length === 1) return { target, text: list(values) };
    return { target, text: ['[', ...literalRows(shape, values, '[', ']').map((row) => `  ${row}`), ']'].join('\n') };
  }

  private fail(eq: Equation, what: string): never {
    throw new Nn2eqError(`the mathjs tensor form cannot print ${eq.op}: ${what}`, 'unsupported', 'use --form scalar');
  }

  /** The statements of one equation, with marks for its arguments. */
  private equation(eq: Equation, env: Env): Stmt[] {
    const target = this.name(eq.outs[0], env);
    const one = (text: string): Stmt[] => [{ target, text }];
    const x = MARK(eq.args[0]);
    const xs = this.shape(eq.args[0]);
    const a = eq.attrs;
    switch (eq.op) {
      case 'dense':
        return one(this.dense(eq, a as unknown as DenseAttrs));
      case 'map':
        return one(this.map(eq, a as unknown as MapAttrs));
      case 'softmax': {
        const axes = (a as unknown as AxesAttrs).axes;
        const e = this.fresh(`${target}_exp`);
        return [
          { target: e, text: `map(${x} - ${this.reduce('max', x, xs, axes).text}, exp)` },
          { target, text: `${e} ./ ${this.reduce('sum', e, xs, axes).text}` },
        ];
      }
      case 'log_softmax': {
        const axes = (a as unknown as AxesAttrs).axes;
        const d = this.fresh(`${target}_shift`);
        const total = this.reduce('sum', `map(${d}, exp)`, xs, axes);
        // Not map(…, log): map hands its callback (value, index), which log reads as (x, base).
        const log = this.define('f_log', ['x'], this.syntax.functions.log('x'));
        return [
          { target: d, text: `${x} - ${this.reduce('max', x, xs, axes).text}` },
          { target, text: `${d} - ${total.scalar ? `log(${total.text})` : this.apply(log, total)}` },
        ];
      }
      case 'l2_normalize':
        return one(`${x} .* ${this.l2Scale(x, xs, (a as unknown as AxesAttrs).axes)}`);
      case 'layer_norm':
        return this.layerNorm(eq, a as unknown as LayerNormAttrs, target);
      case 'dot':
        return this.dot(eq, a as unknown as DotAttrs, target);
      case 'matmul':
        return this.matmul(eq, target);
      case 'conv':
        return this.conv(eq, a as unknown as ConvAttrs, target);
      case 'depthwise_conv':
        return this.depthwise(eq, a as unknown as DepthwiseAttrs, target);
      case 'pool':
        return this.pool(eq, a as unknown as PoolAttrs, target);
      case 'global_pool': {
        const fn = (a as unknown as GlobalPoolAttrs).kind === 'max' ? 'max' : 'mean';
        if (xs.length === 1) return one(x);
        const c = xs[xs.length - 1];
        const rows = xs.length === 2 ? x : `reshape(${x}, ${list([sizeOf(xs) / c, c])})`;
        if (fn === 'mean') return one(`mean(${rows}, 1)`);
        // mathjs's max along a dimension passes over NaN (max([1, NaN], 1) is 1; the scalar rule's max
        // is NaN): a column's NaN comes back through a sum of NaN-or-0 (x + 0 is x, ±∞ included).
        const nan = this.define('f_nan0', ['x'], 'isNaN(x) ? NaN : 0');
        const m = xs.length === 2 ? x : this.fresh(`${target}_cells`);
        const pooled = { target, text: `max(${m}, 1) + sum(map(${m}, ${nan}), 1)` };
        return xs.length === 2 ? [pooled] : [{ target: m, text: rows }, pooled];
      }
      case 'transpose':
        return one(this.permute(x, xs, (a as unknown as TransposeAttrs).perm));
      case 'reshape': {
        const shape = (a as unknown as ReshapeAttrs).shape;
        if (shape.length === xs.length && shape.every((d, i) => d === xs[i])) return one(x);
        // mathjs has no matrix of rank 0: such a tensor is a number.
        if (shape.length === 0) return one(`squeeze(${x})`);
        return one(`reshape(${xs.length === 0 ? `[${x}]` : x}, ${list(shape)})`);
      }
      case 'concat':
        return one(`concat(${eq.args.map(MARK).join(', ')}, ${(a as unknown as AxisAttrs).axis + 1})`);
      case 'repeat': {
        const n = (a as unknown as RepeatAttrs).n;
        // Row 1 of x as a one-row matrix, picked n times.
        const rows = `reshape(${x}, ${list([1, sizeOf(xs)])})[${list(Array<number>(n).fill(1))}, :]`;
        return one(xs.length === 1 ? rows : `reshape(${rows}, ${list([n, ...xs])})`);
      }
      case 'pad': {
        const at = a as unknown as PadAttrs;
        if (at.before.every((b, i) => b === 0 && at.after[i] === 0)) return one(x);
        return [
          { target, text: `zeros(${list(xs.map((d, i) => d + at.before[i] + at.after[i]))})` },
          { target: `${target}[${xs.map((d, i) => range(at.before[i] + 1, 1, d)).join(', ')}]`, text: x },
        ];
      }
      case 'slice': {
        const at = a as unknown as SliceAttrs;
        if (at.begin.every((b, i) => b === 0 && at.end[i] === xs[i])) return one(x);
        return one(`${x}[${at.begin.map((b, i) => (b === 0 && at.end[i] === xs[i] ? ':' : range(b + 1, 1, at.end[i] - b))).join(', ')}]`);
      }
      case 'upsample': {
        const f = (a as unknown as UpsampleAttrs).factors;
        if (f.every((k) => k === 1)) return one(x);
        return one(`${x}[${f.map((k, i) => (k === 1 ? ':' : list(Array.from({ length: xs[i] * k }, (_, j) => Math.floor(j / k) + 1)))).join(', ')}]`);
      }
      case 'reverse': {
        const axis = (a as unknown as AxisAttrs).axis;
        return one(`${x}[${xs.map((d, i) => (i === axis ? (d === 1 ? '1:1' : `${d}:-1:1`) : ':')).join(', ')}]`);
      }
      case 'monomials': {
        // Each monomial written out from the 1-based elements (x^0 terms left out).
        const term = (e: readonly number[]) => e.map((k, i) => (k === 0 ? '' : k === 1 ? `${x}[${i + 1}]` : `${x}[${i + 1}]^${k}`)).filter(Boolean).join(' * ') || '1';
        return one(`[${(a as unknown as MonomialsAttrs).exponents.map(term).join(', ')}]`);
      }
      case 'gather':
        return this.gather(eq, target);
      case 'gather_rows':
        return this.gather(eq, target, eq.args[1], eq.args[0]);
      case 'scan':
        return this.scan(eq, a as unknown as ScanAttrs, env);
      case 'foreach':
        return this.foreach(eq, env);
      case 'bitcast':
        return noBitcast('mathjs');
      default: {
        const never: never = eq.op;
        return this.fail(eq, `unknown op ${String(never)}`);
      }
    }
  }

  /**
   * Σ, max or mean of `x` (shape `shape`) over `axes`, shaped to broadcast against x: a number when
   * every axis is reduced, else reduced one dimension at a time (highest first) and reshaped with
   * ones in place of the reduced axes unless they lead (mathjs broadcasts from the right).
   */
  private reduce(fn: 'max' | 'sum' | 'mean', x: string, shape: readonly number[], axes: readonly number[]): { text: string; scalar: boolean } {
    if (axes.length === shape.length) return { text: `${fn}(${x})`, scalar: true };
    let t = x;
    for (const ax of [...axes].sort((p, q) => q - p)) t = `${fn}(${t}, ${ax + 1})`;
    const leading = [...axes].sort((p, q) => p - q).every((ax, i) => ax === i);
    return { text: leading ? t : `reshape(${t}, ${list(shape.map((d, i) => (axes.includes(i) ? 1 : d)))})`, scalar: false };
  }

  /** f(v) applied to a reduction's result: called on a number, mapped over a matrix. */
  private apply(f: string, r: { text: string; scalar: boolean }): string {
    return r.scalar ? `${f}(${r.text})` : `map(${r.text}, ${f})`;
  }

  /** 1/√max(Σx², 1e-12) over `axes` (TF's l2_normalize), shaped to broadcast against x. */
  private l2Scale(x: string, shape: readonly number[], axes: readonly number[]): string {
    const f = this.define('f_rnorm', ['s'], `1 / sqrt(max(s, ${this.num(1e-12)}))`);
    return this.apply(f, this.reduce('sum', `${x} .^ 2`, shape, axes));
  }

  private dense(eq: Equation, a: DenseAttrs): string {
    const xs = this.shape(eq.args[0]);
    const lead = xs.slice(0, -1);
    const units = this.shape(eq.args[1])[1];
    // A rank-1 or rank-2 x multiplies W as it is; a deeper one as the matrix of its rows.
    const deep = xs.length > 2;
    const terms = Array.from({ length: a.pairs }, (_, k) => {
      const x = MARK(eq.args[2 * k]);
      const n = this.shape(eq.args[2 * k]).at(-1)!;
      return `${deep ? `reshape(${x}, ${list([sizeOf(lead), n])})` : x} * ${MARK(eq.args[2 * k + 1])}`;
    });
    if (a.bias) terms.push(MARK(eq.args[2 * a.pairs]));
    const text = terms.join(' + ');
    return deep ? `reshape(${text}, ${list([...lead, units])})` : text;
  }

  /** An element-wise function from its one scalar template: on whole matrices when it is arithmetic only, else through map. */
  private map(eq: Equation, a: MapAttrs): string {
    const marks = eq.args.map(MARK);
    this.nonIntegerPow = false;
    const direct = printMap(a, atoms(marks), this.elementwise, MATHJS_FUNCTIONS, this.opts);
    if (!this.nonIntegerPow && [...direct.uses].every((u) => ELEMENTWISE.has(u as Fn | 'input'))) return direct.text;
    const params = eq.args.length === 1 ? ['x'] : eq.args.map((_, i) => `x${i + 1}`);
    const template = printMap(a, atoms(params), this.syntax, MATHJS_FUNCTIONS, this.opts).text;
    // A template that is one of mathjs's own functions of x (tanh(x), exp(x)…) is mapped as it is.
    // Not log: map hands its callback (value, index), which log reads as (x, base).
    const builtin = /^(exp|tanh|erf|abs|sqrt)\(x\)$/.exec(template);
    const f = builtin ? builtin[1] : this.define(`f_${a.derivative !== undefined ? 'd' : ''}${a.fn}`, params, template);
    // Numbers (tensors of rank 0) are not mapped over: the function is called on them.
    if (this.shape(eq.outs[0]).length === 0) return `${f}(${marks.join(', ')})`;
    // mathjs's map takes arrays only: a number beside them is a one-element array, which broadcasts.
    return `map(${marks.map((m, i) => (marks.length > 1 && this.shape(eq.args[i]).length === 0 ? `[${m}]` : m)).join(', ')}, ${f})`;
  }

  /** x with its axes permuted (output axis i is input axis perm[i]). */
  private permute(x: string, shape: readonly number[], perm: readonly number[]): string {
    if (perm.every((q, i) => q === i)) return x;
    const out = perm.map((q) => shape[q]);
    if (perm.length === 2) return `transpose(${x})`;
    // Rank 3 and more: mathjs transposes matrices only, so the elements are picked by their row-major positions.
    const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
    const at: number[] = [];
    for (const o of indices(out)) at.push(o.reduce((s, v, k) => s + v * strides[perm[k]], 0) + 1);
    return `reshape(flatten(${x})[${list(at)}], ${list(out)})`;
  }

  private layerNorm(eq: Equation, a: LayerNormAttrs, target: string): Stmt[] {
    const x = MARK(eq.args[0]);
    const xs = this.shape(eq.args[0]);
    const d = this.fresh(`${target}_centred`);
    const f = this.define('f_rsqrt', ['v'], '1 / sqrt(v)');
    const variance = this.reduce('mean', `${d} .^ 2`, xs, a.axes);
    const scale = this.apply(f, { text: `${variance.text} + ${this.num(a.eps)}`, scalar: variance.scalar });
    // γ and β hold the normalized axes; they broadcast as they are when those axes are the trailing ones.
    const trailing = a.axes.every((ax, i) => ax === xs.length - a.axes.length + i);
    const param = (k: number) => (trailing ? MARK(eq.args[k]) : `reshape(${MARK(eq.args[k])}, ${list(xs.map((n, i) => (a.axes.includes(i) ? n : 1)))})`);
    let text = `${d} .* ${scale}`;
    if (a.scale) text += ` .* ${param(1)}`;
    if (a.center) text += ` + ${param(a.scale ? 2 : 1)}`;
    return [
      { target: d, text: `${x} - ${this.reduce('mean', x, xs, a.axes).text}` },
      { target, text },
    ];
  }

  /**
   * A matrix product batched over the leading axes: both operands reshaped to stacks of matrices,
   * one product per position of the result's leading axes (broadcast), stacked and reshaped.
   */
  private matmul(eq: Equation, target: string): Stmt[] {
    const g = matmulGeometry(this.p, eq);
    const [x, y] = [MARK(eq.args[0]), MARK(eq.args[1])];
    const [sx, sy] = [this.shape(eq.args[0]), this.shape(eq.args[1])];
    const out = this.shape(eq.outs[0]);
    if (sx.length === 2 && sy.length === 2) return [{ target, text: `${x} * ${y}` }];
    const a = this.fresh(`${target}_a`);
    const b = this.fresh(`${target}_b`);
    const stmts: Stmt[] = [
      { target: a, text: `reshape(${x}, ${list([sizeOf(sx) / (g.M * g.K), g.M, g.K])})` },
      { target: b, text: `reshape(${y}, ${list([sizeOf(sy) / (g.K * g.N), g.K, g.N])})` },
    ];
    const products = g.aBase.map((oa, p) => `reshape(${a}[${oa / (g.M * g.K) + 1}, :, :], ${list([g.M, g.K])}) * reshape(${b}[${g.bBase[p] / (g.K * g.N) + 1}, :, :], ${list([g.K, g.N])})`);
    const stacked = products.length === 1 ? products[0] : `concat(${products.join(', ')}, 1)`;
    return [...stmts, { target, text: `reshape(${stacked}, ${list(out)})` }];
  }

  /** Keras's batch_dot: the contracted axis of x moved last and of y first, then a matrix product. */
  private dot(eq: Equation, a: DotAttrs, target: string): Stmt[] {
    const [ax, ay] = a.axes;
    const sx = this.shape(eq.args[0]);
    const sy = this.shape(eq.args[1]);
    const stmts: Stmt[] = [];
    let x = MARK(eq.args[0]);
    let y = MARK(eq.args[1]);
    if (a.normalize) {
      const nx = this.fresh(`${target}_x`);
      const ny = this.fresh(`${target}_y`);
      stmts.push({ target: nx, text: `${x} .* ${this.l2Scale(x, sx, [ax])}` }, { target: ny, text: `${y} .* ${this.l2Scale(y, sy, [ay])}` });
      [x, y] = [nx, ny];
    }
    const n = sx[ax];
    if (sx.length === 1 && sy.length === 1) return [...stmts, { target, text: `[dot(${x}, ${y})]` }];
    const restX = sx.filter((_, i) => i !== ax);
    const restY = sy.filter((_, i) => i !== ay);
    const px = [...[...sx.keys()].filter((i) => i !== ax), ax];
    const py = [ay, ...[...sy.keys()].filter((i) => i !== ay)];
    const xm = this.permute(x, sx, px);
    const ym = this.permute(y, sy, py);
    const lhs = sx.length === 2 ? xm : `reshape(${xm}, ${list([sizeOf(restX), n])})`;
    const rhs = sy.length === 2 ? ym : `reshape(${ym}, ${list([n, sizeOf(restY)])})`;
    const out = [...restX, ...restY];
    const product = `${lhs} * ${rhs}`;
    // A vector times a matrix is a vector, a matrix times a matrix a matrix: reshaped to the output unless it is that already.
    const natural = [...(sx.length === 1 ? [] : [sizeOf(restX)]), ...(sy.length === 1 ? [] : [sizeOf(restY)])];
    const same = natural.length === out.length && natural.every((d, i) => d === out[i]);
    return [...stmts, { target, text: same ? product : `reshape(${product}, ${list(out.length ? out : [1])})` }];
  }

  /**
   * The window geometry of conv/pool: the input zero-padded (or `fill`-padded) into a helper matrix
   * when a window passes its edge, and for every kernel tap the index ranges of the spatial axes.
   */
  private windows(eq: Equation, a: WindowAttrs, target: string, fill?: string) {
    const x = MARK(eq.args[0]);
    const xs = this.shape(eq.args[0]);
    const r = a.kernel.length;
    // A negative pad (a transposed convolution padded by more than kernel − 1) crops the input instead.
    const before = a.padBefore.map((p) => Math.max(0, p));
    const crop = a.padBefore.map((p) => Math.max(0, -p));
    const kept = xs.slice(0, r).map((n, i) => n - crop[i]);
    const after = a.kernel.map((k, i) => Math.max(0, a.strides[i] * (a.outSpatial[i] - 1) + a.dilation[i] * (k - 1) + 1 - kept[i] - before[i]));
    const padded = before.some((b) => b > 0) || after.some((q) => q > 0);
    const pre: Stmt[] = [];
    const cropped = crop.some((c) => c > 0) ? `${x}[${[...kept.map((n, i) => range(crop[i] + 1, 1, n)), ':'].join(', ')}]` : x;
    let source = cropped;
    if (padded) {
      source = this.fresh(`${target}_padded`);
      const full = list([...kept.map((n, i) => n + before[i] + after[i]), xs[r]]);
      pre.push({ target: source, text: fill ? `${fill} * ones(${full})` : `zeros(${full})` });
      pre.push({ target: `${source}[${[...kept.map((n, i) => range(before[i] + 1, 1, n)), ':'].join(', ')}]`, text: cropped });
    } else if (cropped !== x) {
      source = this.fresh(`${target}_cropped`);
      pre.push({ target: source, text: cropped });
    }
    const size = kept.map((n, i) => n + before[i] + after[i]);
    // A range over a whole axis is written ':'.
    const span = (start: number, step: number, count: number, n: number) => (start === 1 && (step === 1 || count === 1) && count === n ? ':' : range(start, step, count));
    const taps = [...indices(a.kernel)].map((k) => ({ k, spans: k.map((ki, i) => span(ki * a.dilation[i] + 1, a.strides[i], a.outSpatial[i], size[i])) }));
    return { r, xs, after, pre, source, taps, positions: sizeOf(a.outSpatial) };
  }

  /** `source[spans…, last]`, or the source itself when every range is the whole axis. */
  private slice(source: string, spans: readonly string[], last: string): string {
    return [...spans, last].every((q) => q === ':') ? source : `${source}[${[...spans, last].join(', ')}]`;
  }

  private conv(eq: Equation, a: ConvAttrs, target: string): Stmt[] {
    const w = this.windows(eq, a, target);
    const K = MARK(eq.args[1]);
    const ks = this.shape(eq.args[1]);
    const cg = ks[w.r];
    const filters = ks[w.r + 1];
    const fg = filters / a.groups;
    const groups: string[] = [];
    for (let g = 0; g < a.groups; g++) {
      const channels = a.groups === 1 ? ':' : range(g * cg + 1, 1, cg);
      const columns = a.groups === 1 ? ':' : range(g * fg + 1, 1, fg);
      const terms = w.taps.map(({ k, spans }) => {
        const slice = this.slice(w.source, spans, channels);
        const rows = w.r === 1 ? slice : `reshape(${slice}, ${list([w.positions, cg])})`;
        return `${rows} * ${K}[${[...k.map((v) => v + 1), ':', columns].join(', ')}]`;
      });
      groups.push(terms.join(' + '));
    }
    let text = groups.length === 1 ? groups[0] : `concat(${groups.join(', ')}, 2)`;
    if (w.r > 1) text = `reshape(${text}, ${list([...a.outSpatial, filters])})`;
    if (a.bias) text += ` + ${MARK(eq.args[2])}`;
    return [...w.pre, { target, text }];
  }

  private depthwise(eq: Equation, a: DepthwiseAttrs, target: string): Stmt[] {
    const w = this.windows(eq, a, target);
    const D = MARK(eq.args[1]);
    const c = w.xs[w.r];
    const m = a.multiplier;
    // Each tap: the slice's channels times the tap's weights (channel c, multiplier j → output channel c·M + j).
    const terms = w.taps.map(({ k, spans }) => {
      const slice = this.slice(w.source, spans, ':');
      const at = k.map((v) => v + 1);
      return m === 1 ? `${slice} .* ${D}[${[...at, ':', 1].join(', ')}]` : `reshape(${slice}, ${list([w.positions, c, 1])}) .* ${D}[${[...at, ':', ':'].join(', ')}]`;
    });
    let text = terms.join(' + ');
    if (m > 1) text = `reshape(${text}, ${list([...a.outSpatial, c * m])})`;
    if (a.bias) text += ` + ${MARK(eq.args[2])}`;
    return [...w.pre, { target, text }];
  }

  private pool(eq: Equation, a: PoolAttrs, target: string): Stmt[] {
    const w = this.windows(eq, a, target, a.kind === 'max' ? '-Infinity' : undefined);
    const slices = w.taps.map(({ spans }) => this.slice(w.source, spans, ':'));
    if (a.kind === 'max') {
      if (slices.length === 1) return [...w.pre, { target, text: slices[0] }];
      const params = slices.map((_, i) => `x${i + 1}`);
      const f = this.define(`f_max${slices.length}`, params, `max(${params.join(', ')})`);
      return [...w.pre, { target, text: `map(${slices.join(', ')}, ${f})` }];
    }
    const sum = slices.length === 1 ? slices[0] : `(${slices.join(' + ')})`;
    if (w.pre.length === 0) return [{ target, text: slices.length === 1 ? sum : `${sum} / ${slices.length}` }];
    // TF averages over the cells inside the input only: divide by how many there are at each position.
    const counts: number[] = [];
    const inside = (o: readonly number[], k: readonly number[]) => k.every((ki, i) => {
      const q = o[i] * a.strides[i] + ki * a.dilation[i] - a.padBefore[i];
      return q >= 0 && q < w.xs[i];
    });
    for (const o of indices(a.outSpatial)) counts.push([...indices(a.kernel)].filter((k) => inside(o, k)).length);
    // The counts as a matrix of shape [...output positions, 1], which broadcasts over the channels.
    const nested = (shape: readonly number[], at: number): string => (shape.length === 0 ? String(counts[at]) : list(Array.from({ length: shape[0] }, (_, i) => nested(shape.slice(1), at * shape[0] + i))));
    const cells = this.fresh(`${target}_cells`);
    return [...w.pre, { target: cells, text: nested([...a.outSpatial, 1], 0) }, { target, text: `${sum} ./ ${cells}` }];
  }

  /** Embedding rows picked by integer ids (from 0, truncated); a row of NaN for an id with no row, as the scalar form. */
  private gather(eq: Equation, target: string, idsId = eq.args[0], tableId = eq.args[1]): Stmt[] {
    const ids = this.shape(idsId);
    const [rows, cols] = this.shape(tableId);
    const f = this.define(`f_row${rows}`, ['i'], `fix(i) >= 0 and fix(i) < ${rows} ? fix(i) + 1 : ${rows + 1}`);
    const at = this.fresh(`${target}_rows`);
    const picked = `concat(${MARK(tableId)}, NaN * ones(1, ${cols}), 1)[${at}, :]`;
    return [
      { target: at, text: `map(${ids.length === 1 ? MARK(idsId) : `flatten(${MARK(idsId)})`}, ${f})` },
      { target, text: ids.length === 1 ? picked : `reshape(${picked}, ${list([...ids, cols])})` },
    ];
  }

  /** The body's statements at one step: its own tensors get the step's suffix, its inputs the given names. */
  private step(body: Body, env: Env, inputs: readonly string[], suffix: string): { stmts: Stmt[]; outputs: string[] } {
    const outer = this.suffix;
    this.suffix = `${outer}${suffix}`;
    const inner = new Map(env);
    body.inputs.forEach((id, i) => inner.set(id, inputs[i]));
    for (const eq of body.equations) for (const o of eq.outs) inner.set(o, `${this.names[o]}${this.suffix}`);
    const stmts = this.block(body.equations, inner, false, new Set(body.outputs));
    this.suffix = outer;
    return { stmts, outputs: body.outputs.map((o) => this.name(o, inner)) };
  }

  /** A recurrence, unrolled: one block of the cell's assignments per time step (mathjs has no loops). */
  private scan(eq: Equation, a: ScanAttrs, env: Env): Stmt[] {
    const body = eq.body!;
    const [xt, ...states] = body.inputs;
    const [steps] = this.shape(eq.args[0]);
    const stmts: Stmt[] = [];
    let current = states.map((s, k) => {
      if (eq.args.length > 1 + k) return MARK(eq.args[1 + k]);
      const zero = this.fresh(`${this.names[s]}${this.suffix}_s0`);
      stmts.push({ target: zero, text: `zeros(${a.units})` });
      return zero;
    });
    const sequence: string[] = [];
    for (let k = 1; k <= steps; k++) {
      const x = this.fresh(`${this.names[xt]}${this.suffix}_s${k}`);
      stmts.push({ target: x, text: `${MARK(eq.args[0])}[${a.reverse ? steps - k + 1 : k}, :]` });
      const s = this.step(body, env, [x, ...current], `_s${k}`);
      for (const st of s.stmts) stmts.push(st);
      current = s.outputs;
      sequence.push(current[0]);
    }
    const [main, ...finals] = eq.outs;
    stmts.push({ target: this.name(main, env), text: a.returnSequences ? list(sequence) : current[0] });
    finals.forEach((f, k) => {
      if (this.uses[f] > 0 || this.programOutputs.has(f)) stmts.push({ target: this.name(f, env), text: current[k] });
    });
    return stmts;
  }

  /** TimeDistributed, unrolled: the body once per slice of the first axis, the results stacked. */
  private foreach(eq: Equation, env: Env): Stmt[] {
    const body = eq.body!;
    const xs = this.shape(eq.args[0]);
    const stmts: Stmt[] = [];
    const results: string[] = [];
    for (let k = 1; k <= xs[0]; k++) {
      const x = this.fresh(`${this.names[body.inputs[0]]}${this.suffix}_s${k}`);
      stmts.push({ target: x, text: `${MARK(eq.args[0])}[${[k, ...xs.slice(1).map(() => ':')].join(', ')}]` });
      const s = this.step(body, env, [x], `_s${k}`);
      for (const st of s.stmts) stmts.push(st);
      results.push(s.outputs[0]);
    }
    stmts.push({ target: this.name(eq.outs[0], env), text: list(results) });
    return stmts;
  }
}
