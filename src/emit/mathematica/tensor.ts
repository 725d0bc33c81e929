import { Nn2eqError } from '../../errors.js';
import { TRIG } from '../../ir/ops.js';
import type { Fn } from '../../ir/ops.js';
import type {
  AxesAttrs,
  AxisAttrs,
  ConvAttrs,
  DenseAttrs,
  DepthwiseAttrs,
  DotAttrs,
  GlobalPoolAttrs,
  LayerNormAttrs,
  MapAttrs,
  MonomialsAttrs,
  PadAttrs,
  PoolAttrs,
  RepeatAttrs,
  ReshapeAttrs,
  ScanAttrs,
  SliceAttrs,
  TransposeAttrs,
  UpsampleAttrs,
  WindowAttrs,
} from '../../tensor/ops.js';
import type { Body, Equation, TensorId, TensorProgram } from '../../tensor/program.js';
import { WL_FUNCTIONS, WL_NUMBERS, wolframSyntax } from './syntax.js';
import { formatNumber } from '../number.js';
import { atoms, noBitcast, comparedConstants, constantsBefore, literalRows, MARK, MARKS, printMap, templateReads, tensorNames, tensorParamLayout, tensorParams, useCounts } from '../tensor-common.js';
import type { EmitOptions, TensorEmitter } from '../types.js';
import { namedElementLines } from '../port-names.js';

/**
 * The Wolfram Language tensor form: `Function[{input1, …, inputK}, Block[{…}, …]]`.
 *
 * Calling contract: one argument per model input, a nested list in the input's shape without the
 * batch dimension (the scalar form's x1…xN would need 150 528 parameters for one 224×224 image,
 * and cannot take a time axis of any length); the result is the output's nested list, or a list
 * of them for a model with several outputs — as the scalar form returns.
 *
 * Inside the Block every weight is a named nested list (one matrix row per line) assigned just
 * before the layer that first reads it, then one assignment per layer: `Dot` for dense layers,
 * element-wise functions printed from their one scalar template (listable ones applied to whole
 * arrays, the others through Map/MapThread at the element level), convolution and pooling as a
 * Sum (or Max) over kernel taps of strided Span slices of the zero-padded input, and recurrences
 * as a Fold (FoldList for sequences) of the cell over the time steps, so any sequence length works.
 *
 * --weights symbolic (as the scalar form's): `Function[{params, input1, …}, Block[{W1 = params[[1]], …}, …]]`,
 * params a list of the weight tensors in the order the header gives, and `PARAMS = {…};` before the
 * Function holds the trained ones, so `f[PARAMS, input1, …]` is the numeric form.
 */
export const mathematicaTensor: TensorEmitter = {
  symbolicWeights: true,
  emit(program: TensorProgram, opts: EmitOptions): string {
    return new Printer(program, opts).print();
  },
};


/** A printed equation: its right-hand side with argument marks, and args it reads more than once. */
interface Printed {
  readonly text: string;
  /** Arguments that must stay names (read several times, or inside a loop). */
  readonly repeated?: readonly TensorId[];
}

/** Functions whose Wolfram form threads over lists element by element (Max, Min and Boole[# > 0] do not). */
// Not log, sqrt and the trig functions with a domain: their templates test the real domain with If, which does not thread
// over lists (nor does a power whose exponent is not a whole-number literal: map() looks for If in the text).
const LISTABLE: ReadonlySet<string> = new Set(['input', 'const', 'affine', 'mul', 'div', 'pow', 'exp', 'tanh', 'sigmoid', 'erf', 'abs', 'atan', 'sinh', 'cosh', 'asinh']);

/** True when `text` needs no parentheses as an operand (a name, a call, a list or a part). */
function atomic(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '[' || ch === '{' || ch === '(') depth++;
    else if (ch === ']' || ch === '}' || ch === ')') depth--;
    else if (depth === 0 && !/[A-Za-z0-9$#\u0001\u0002]/.test(ch)) return false;
  }
  return true;
}
const operand = (text: string) => (atomic(text) ? text : `(${text})`);

/** Wolfram permutation list for a NumPy-style perm (output axis i is input axis perm[i]). */
function wolframPerm(perm: readonly number[]): number[] {
  const n = new Array<number>(perm.length);
  perm.forEach((p, i) => (n[p] = i + 1));
  return n;
}

/** `a v + c` for a Span bound, simplified. */
function linear(a: number, v: string, c: number): string {
  const head = a === 0 ? '' : a === 1 ? v : `${a} ${v}`;
  if (!head) return String(c);
  return c === 0 ? head : c > 0 ? `${head} + ${c}` : `${head} - ${-c}`;
}

const ITERATORS = ['i', 'j', 'k', 'l'];

class Printer {
  private readonly names: string[];
  private readonly uses: Int32Array;
  private readonly printedConsts = new Set<TensorId>();
  private readonly callOutputs = new Set<TensorId>();
  private readonly programOutputs = new Set<TensorId>();
  private readonly syntax = wolframSyntax(() => {
    throw new Error('the tensor form prints no scalar names');
  });
  private readonly taken: Set<string>;
  /** --weights symbolic: the weight tensors the Function takes as params (none for a model without weights). */
  private readonly params: ReturnType<typeof tensorParams>;

  constructor(
    private readonly p: TensorProgram,
    private readonly opts: EmitOptions,
  ) {
    this.names = wolframNames(tensorNames(p));
    this.taken = new Set([...this.names, 'params']);
    this.params = opts.symbolicWeights ? tensorParams(p, this.names) : [];
    this.uses = useCounts(p);
    for (const c of p.calls) for (const t of c.outputs) this.callOutputs.add(t.id);
    for (const o of p.outputs) this.programOutputs.add(o.tensor.id);
  }

  print(): string {
    const p = this.p;
    const symbolic = this.params.length > 0;
    const ins = [...(symbolic ? ['params'] : []), ...p.inputs.map((port) => this.names[port.tensor.id])];
    const body = this.block(p.equations, '  ', true);
    const locals = [...this.params.map((t, k) => `${t.name} = params[[${k + 1}]]`), ...body.locals];
    const outs = p.outputs.map((o) => this.names[o.tensor.id]);
    const result = outs.length === 1 ? outs[0] : `{${outs.join(', ')}}`;
    const shapes = (ports: typeof p.inputs) => ports.map((port) => `${port.name} [${port.tensor.shape.map((d) => (d < 0 ? 'any' : d)).join(', ')}]`).join(', ');
    const head = [
      `(* Generated by nn2eq from model '${this.opts.modelName}' (${symbolic ? 'tensor form, symbolic weights' : 'tensor form'}). Do not edit. *)`,
      ...(this.opts.notes ?? []).map((n) => `(* ${n} *)`),
      `(* Takes ${symbolic ? 'params, then ' : ''}one argument per model input, a nested list in its shape: ${shapes(p.inputs)}. *)`,
      `(* Returns ${p.outputs.length === 1 ? 'the output' : 'the list of outputs'} in ${p.outputs.length === 1 ? 'its shape' : 'their shapes'}: ${shapes(p.outputs)}. *)`,
      ...namedElementLines(p, this.opts, '', (side, port, idx) => `${side === 'input' ? ins[port + (symbolic ? 1 : 0)] : `output${port + 1}`}[[${idx.map((i) => i + 1).join(', ')}]]`, p.outputs.length > 1 ? 'outputK is the K-th output returned' : 'output1 is the output returned').map((l) => `(* ${l} *)`),
      ...(symbolic ? this.paramsHeader() : []),
    ];
    if (locals.length === 0) return [...head, `Function[{${ins.join(', ')}}, ${result}]`, ''].join('\n');
    return [...head, `Function[{${ins.join(', ')}},`, ` Block[{${locals.join(', ')}},`, ...body.lines, `  ${result}`, ' ]', ']', ''].join('\n');
  }

  /** --weights symbolic: the layout of params, then PARAMS with the trained values (one row of a matrix per line). */
  private paramsHeader(): string[] {
    const lines = [
      `(* params is a list of the weight tensors in this order, each a nested list in its shape (PARAMS holds the trained values; call f[PARAMS, ${this.p.inputs.map((_, i) => `input${i + 1}`).join(', ')}]): *)`,
      ...tensorParamLayout(this.params, '').map((l, k) => `(*   params[[${k + 1}]] = ${l} *)`),
      'PARAMS = {',
    ];
    this.params.forEach((t, k) => {
      const value = this.literal(t.id, ' ');
      value[0] = ` ${value[0]}`;
      if (k < this.params.length - 1) value[value.length - 1] += ',';
      lines.push(...value);
    });
    lines.push('};');
    return lines;
  }

  /** Prints the equations of one list (the program, or a body) as assignments, inlining single-use temporaries. */
  private block(eqs: readonly Equation[], indent: string, top: boolean, bodyOutputs: readonly TensorId[] = []): { lines: string[]; locals: string[] } {
    const lines: string[] = [];
    const locals: string[] = [];
    const keep = new Set(bodyOutputs);
    // First pass: print every equation with marks for its arguments.
    const printed = eqs.map((eq) => ({ eq, out: this.equation(eq, indent) }));
    const producer = new Map<TensorId, { text: string; index: number }>();
    const inlined = new Set<number>();
    printed.forEach(({ eq, out }, index) => {
      if (eq.outs.length !== 1 || out.length !== 1) return;
      const id = eq.outs[0];
      const role = this.p.tensors[id].role;
      if (this.uses[id] !== 1 || keep.has(id) || this.callOutputs.has(id) || this.programOutputs.has(id)) return;
      if (role !== '_' && role !== 'v' && role !== 'a') return;
      producer.set(id, { text: out[0].text, index });
    });
    // An argument is inlined when its consumer reads it once, outside any loop.
    const canInline = new Set<TensorId>();
    for (const { out } of printed) {
      for (const o of out) {
        const counts = new Map<number, number>();
        for (const m of o.text.matchAll(MARKS)) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
        for (const [id, n] of counts) if (n === 1 && producer.has(id) && !o.repeated?.includes(id)) canInline.add(id);
      }
    }
    for (const id of canInline) inlined.add(producer.get(id)!.index);
    const expand = (text: string): string =>
      text.replace(MARKS, (m, d: string, at: number) => {
        const id = Number(d);
        if (!canInline.has(id)) return this.names[id];
        const inner = expand(producer.get(id)!.text);
        // Between '[', '{', ', ' or '+ ' and ',', ']', '}', ' +' or ' -' (an argument, or a term of a
        // sum) nothing binds tighter than the inlined text's loosest operator, so no parentheses.
        const before = text.slice(Math.max(0, at - 2), at);
        const after = text.slice(at + m.length, at + m.length + 2);
        const open = at === 0 || before.endsWith('[') || before.endsWith('{') || before === ', ' || before === '+ ';
        const close = after === '' || /^[,\]}]/.test(after) || after === ' +' || after === ' -';
        return open && close ? inner : operand(inner);
      });
    printed.forEach(({ eq, out }, index) => {
      if (top) for (const c of this.constantsOf(eq)) this.constant(c, indent, lines, locals);
      if (inlined.has(index)) return;
      for (const o of out) {
        lines.push(`${indent}${o.target} = ${expand(o.text)};`);
        locals.push(...o.target.split(/[{}, ]+/).filter(Boolean));
      }
    });
    return { lines, locals: [...new Set(locals)] };
  }

  /** The constants an equation (and its body) reads that are not printed yet. */
  private constantsOf(eq: Equation): TensorId[] {
    return constantsBefore(this.p, eq, this.printedConsts);
  }

  /** A weight assigned as a nested list, one row of the last axis per line (--weights symbolic: the Block binds it from params). */
  private constant(id: TensorId, indent: string, lines: string[], locals: string[]): void {
    this.printedConsts.add(id);
    if (this.params.length > 0) return;
    const name = this.names[id];
    locals.push(name);
    const value = this.literal(id, indent);
    value[0] = `${indent}${name} = ${value[0]}`;
    value[value.length - 1] += ';';
    lines.push(...value);
  }

  /**
   * A weight's nested list: one line for a vector, else one row of the last axis per line (indented
   * by `indent` and two). A rank-0 weight is a number: `{1}` would be a list of length 1, which
   * Wolfram's listable arithmetic cannot combine with a longer list (Thread::tdlen).
   */
  private literal(id: TensorId, indent: string): string[] {
    const t = this.p.tensors[id];
    const exact = (this.compared ??= comparedConstants(this.p)).has(id);
    const values = Array.from(t.values!, (v) => this.num(v, exact));
    if (t.shape.length === 0) return [values[0]];
    if (t.shape.length === 1) return [`{${values.join(', ')}}`];
    return ['{', ...literalRows(t.shape, values, '{', '}').map((row) => `${indent}  ${row}`), `${indent}}`];
  }

  private fail(eq: Equation, what: string): never {
    throw new Nn2eqError(`the Mathematica tensor form cannot print ${eq.op}: ${what}`, 'unsupported', 'use --form scalar');
  }

  private shape(id: TensorId): readonly number[] {
    return this.p.tensors[id].shape;
  }

  /** A fresh name for a local helper (fold accumulators). */
  private fresh(base: string): string {
    let n = base;
    for (let k = 2; this.taken.has(n); k++) n = `${base}${k}`;
    this.taken.add(n);
    return n;
  }

  /** The assignments of one equation: `target = text` (text with argument marks). */
  private equation(eq: Equation, indent: string): (Printed & { target: string })[] {
    const one = (pr: Printed) => [{ ...pr, target: this.names[eq.outs[0]] }];
    const x = MARK(eq.args[0]);
    const a = eq.attrs;
    switch (eq.op) {
      case 'dense':
        return one(this.dense(eq, a as unknown as DenseAttrs));
      case 'map':
        return one(this.map(eq, a as unknown as MapAttrs));
      case 'softmax':
        return one(this.along(eq, (a as unknown as AxesAttrs).axes, (s, k) => `With[{e = Exp[${s} - Max[${s}]]}, e/${total('e', k)}]`));
      case 'log_softmax':
        return one(this.along(eq, (a as unknown as AxesAttrs).axes, (s, k) => `With[{d = ${s} - Max[${s}]}, d - Log[${total('Exp[d]', k)}]]`));
      case 'l2_normalize':
        return one(this.along(eq, (a as unknown as AxesAttrs).axes, (s, k) => `${s}/Sqrt[Max[${total(`${s}^2`, k)}, ${this.num(1e-12)}]]`));
      case 'layer_norm': {
        const at = a as unknown as LayerNormAttrs;
        const gamma = at.scale ? MARK(eq.args[1]) : null;
        const beta = at.center ? MARK(eq.args[at.scale ? 2 : 1]) : null;
        return one(
          this.along(eq, at.axes, (s, k) => {
            const flat = (v: string) => (k === 1 ? v : `Flatten[${v}]`);
            let r = `d/Sqrt[Mean[${flat('d^2')}] + ${this.num(at.eps)}]`;
            if (gamma) r += `*${gamma}`;
            if (beta) r += ` + ${beta}`;
            return `With[{d = ${s} - Mean[${flat(s)}]}, ${r}]`;
          }),
        );
      }
      case 'dot':
        return one(this.dot(eq, a as unknown as DotAttrs));
      case 'matmul':
        return one(this.matmul(eq));
      case 'conv':
        return one(this.conv(eq, a as unknown as ConvAttrs));
      case 'depthwise_conv':
        return one(this.depthwise(eq, a as unknown as DepthwiseAttrs));
      case 'pool':
        return one(this.pool(eq, a as unknown as PoolAttrs));
      case 'global_pool': {
        const r = this.shape(eq.args[0]).length;
        if (r === 1) return one({ text: x });
        const rows = r === 2 ? x : `Flatten[${x}, ${r - 2}]`;
        return one({ text: (a as unknown as GlobalPoolAttrs).kind === 'max' ? `Max /@ Transpose[${rows}]` : `Mean[${rows}]` });
      }
      case 'transpose': {
        const perm = (a as unknown as TransposeAttrs).perm;
        if (perm.every((q, i) => q === i)) return one({ text: x });
        if (perm.length === 2) return one({ text: `Transpose[${x}]` });
        return one({ text: `Transpose[${x}, {${wolframPerm(perm).join(', ')}}]` });
      }
      case 'reshape': {
        const shape = (a as unknown as ReshapeAttrs).shape;
        const from = this.shape(eq.args[0]);
        if (shape.length === from.length && shape.every((d, i) => d === from[i])) return one({ text: x });
        if (shape.includes(-1)) {
          const known = shape.filter((d) => d >= 0).reduce((m, d) => m * d, 1);
          return one({ text: `ArrayReshape[${x}, {${shape.map((d) => (d < 0 ? `Length[Flatten[${x}]]/${known}` : d)).join(', ')}}]`, repeated: [eq.args[0]] });
        }
        // A rank-0 value is a number, not a list: ArrayReshape takes a list and gives one.
        if (shape.length === 0) return one({ text: `Flatten[{${x}}][[1]]` });
        return one({ text: `ArrayReshape[${from.length === 0 ? `{${x}}` : x}, {${shape.join(', ')}}]` });
      }
      case 'concat': {
        const axis = (a as unknown as AxisAttrs).axis;
        return one({ text: `Join[${eq.args.map(MARK).join(', ')}${axis === 0 ? '' : `, ${axis + 1}`}]` });
      }
      case 'repeat':
        return one({ text: `ConstantArray[${x}, ${(a as unknown as RepeatAttrs).n}]` });
      case 'pad': {
        const at = a as unknown as PadAttrs;
        return one({ text: `ArrayPad[${x}, {${at.before.map((b, i) => `{${b}, ${at.after[i]}}`).join(', ')}}]` });
      }
      case 'slice': {
        const at = a as unknown as SliceAttrs;
        const from = this.shape(eq.args[0]);
        const specs = at.begin.map((b, i) => (b === 0 && at.end[i] === from[i] ? 'All' : `${b + 1} ;; ${at.end[i]}`));
        return one({ text: part(x, specs) });
      }
      case 'upsample': {
        const f = (a as unknown as UpsampleAttrs).factors;
        const from = this.shape(eq.args[0]);
        const specs = f.map((k, i) => (k === 1 ? 'All' : `Ceiling[Range[${from[i] < 0 ? `${k} Length[${x}]` : from[i] * k}]/${k}]`));
        return one({ text: part(x, specs), repeated: from[0] < 0 ? [eq.args[0]] : [] });
      }
      case 'reverse': {
        const axis = (a as unknown as AxisAttrs).axis;
        return one({ text: axis === 0 ? `Reverse[${x}]` : `Reverse[${x}, ${axis + 1}]` });
      }
      case 'monomials': {
        // Each monomial written out (Power[0, 0] is Indeterminate in Wolfram, so zero powers are left out).
        const u = this.fresh('u');
        const term = (e: readonly number[]) => e.map((k, i) => (k === 0 ? '' : k === 1 ? `${u}[[${i + 1}]]` : `${u}[[${i + 1}]]^${k}`)).filter(Boolean).join('*') || '1';
        return one({ text: `With[{${u} = ${x}}, {${(a as unknown as MonomialsAttrs).exponents.map(term).join(', ')}}]` });
      }
      case 'gather': {
        const [rows, cols] = this.shape(eq.args[1]);
        // TF reads row trunc(id); ids outside [0, rows) give NaN.
        return one({ text: `Map[If[-1 < # && # < ${rows}, ${MARK(eq.args[1])}[[IntegerPart[#] + 1]], ConstantArray[Indeterminate, ${cols}]] &, ${x}, {-1}]` });
      }
      case 'gather_rows': {
        const [rows, cols] = this.shape(eq.args[0]);
        return one({ text: `Map[If[-1 < # && # < ${rows}, ${x}[[IntegerPart[#] + 1]], ConstantArray[Indeterminate, ${cols}]] &, ${MARK(eq.args[1])}, {-1}]` });
      }
      case 'bitcast':
        return noBitcast('Mathematica');
      case 'scan':
        return this.scan(eq, a as unknown as ScanAttrs, indent);
      case 'foreach': {
        const body = eq.body!;
        const fn = this.bodyFunction(body, [this.names[body.inputs[0]]], [], indent);
        return one({ text: `Map[${fn}, ${x}]` });
      }
    }
  }

  /** The constant tensors a comparison reads (printed exactly, see comparedConstants), found on first use. */
  private compared?: Set<TensorId>;

  private num(v: number, exact = false): string {
    return formatNumber(v, WL_NUMBERS, this.opts.precision, exact);
  }

  /** Σ xₖ·Wₖ + b over the last axis; at rank > 1 the bias is added at every position by Map. */
  private dense(eq: Equation, a: DenseAttrs): Printed {
    const rank = this.shape(eq.args[0]).length;
    const dots: string[] = [];
    for (let k = 0; k < a.pairs; k++) dots.push(`${MARK(eq.args[2 * k])} . ${MARK(eq.args[2 * k + 1])}`);
    if (!a.bias) return { text: dots.join(' + ') };
    const b = MARK(eq.args[2 * a.pairs]);
    if (rank === 1) return { text: `${dots.join(' + ')} + ${b}` };
    if (a.pairs === 1) return { text: `Map[# . ${MARK(eq.args[1])} + ${b} &, ${MARK(eq.args[0])}, {${rank - 1}}]` };
    return { text: `Map[# + ${b} &, ${dots.join(' + ')}, {${rank - 1}}]` };
  }

  /** An element-wise function, printed from its one scalar template. */
  private map(eq: Equation, a: MapAttrs): Printed {
    const out = this.shape(eq.outs[0]);
    const rank = out.length;
    const shapes = eq.args.map((id) => this.shape(id));
    const slots = eq.args.length === 1 ? ['#'] : eq.args.map((_, i) => `#${i + 1}`);
    const probe = printMap(a, atoms(slots), this.syntax, WL_FUNCTIONS, this.opts);
    const listable = [...probe.uses].every((u) => LISTABLE.has(u as Fn | 'input')) && !probe.text.includes('If[');
    const size = (s: readonly number[]) => s.reduce((m, d) => m * d, 1);
    if (listable) {
      const args = eq.args.map((id, i) => this.broadcast(MARK(id), shapes[i], out, true));
      // Listable arithmetic leaves a number or a leading-axes array as it is. When no argument the
      // template reads spans the result (in a Jacobian the slope of x·a + b is the number a, of x·c
      // the weights c), one is copied out to the result's shape, or the number filled into it.
      const reads = templateReads(a, eq.args.length);
      const read = eq.args.map((_, i) => i).filter((i) => reads[i] > 0);
      if (read.length > 0 && !read.some((i) => args[i] === this.broadcast(MARK(eq.args[i]), shapes[i], out, false))) {
        args[read[0]] = this.broadcast(MARK(eq.args[read[0]]), shapes[read[0]], out, false);
      }
      const text = printMap(a, atoms(args.map(operand)), this.syntax, WL_FUNCTIONS, this.opts).text;
      return { text: read.length === 0 && rank > 0 ? `ConstantArray[${text}, {${out.join(', ')}}]` : text };
    }
    // Numbers (rank 0) go into the template as they are: Map at level {-1} leaves an atom unchanged.
    if (rank === 0) return { text: printMap(a, atoms(eq.args.map(MARK)), this.syntax, WL_FUNCTIONS, this.opts).text, repeated: [...eq.args] };
    // Size-1 arguments go into the template as numbers; the others are threaded over element by element.
    const threaded = eq.args.map((_, i) => size(shapes[i]) !== 1 || size(out) === 1);
    const count = threaded.filter(Boolean).length;
    let slot = 0;
    const inTemplate = eq.args.map((id, i) => (threaded[i] ? (count === 1 ? '#' : `#${++slot}`) : shapes[i].length === 0 ? MARK(id) : `${MARK(id)}[[${shapes[i].map(() => 1).join(', ')}]]`));
    const fn = printMap(a, atoms(inTemplate), this.syntax, WL_FUNCTIONS, this.opts).text;
    const lists = eq.args.filter((_, i) => threaded[i]).map((id) => this.broadcast(MARK(id), this.shape(id), out, false));
    // A size-1 argument is read inside the function, once per element: it must stay a name.
    const repeated = eq.args.filter((_, i) => !threaded[i]);
    if (count === 1) return { text: `Map[${fn} &, ${lists[0]}, {-1}]`, repeated };
    return { text: `MapThread[${fn} &, {${lists.join(', ')}}, ${rank}]`, repeated };
  }

  /**
   * `expr` of shape `from` broadcast (NumPy rules, aligned at the right) to `to`. Wolfram's
   * listable arithmetic threads from the left, so with `listable` a scalar or a leading-axes
   * array is returned as it is; otherwise the copies are made with ConstantArray (+ Transpose).
   */
  private broadcast(expr: string, from: readonly number[], to: readonly number[], listable: boolean): string {
    if (from.length === to.length && from.every((d, i) => d === to[i])) return expr;
    const rank = to.length;
    const padded = [...Array(rank - from.length).fill(1), ...from];
    const copied = [...Array(rank).keys()].filter((i) => padded[i] === 1 && to[i] !== 1);
    const kept = [...Array(rank).keys()].filter((i) => !copied.includes(i));
    const keptShape = kept.map((i) => to[i]);
    if (to.some((d) => d < 0)) throw new Nn2eqError(`the Mathematica tensor form cannot broadcast [${from.join(', ')}] over an axis of any length`, 'unsupported', 'use --form scalar with --timesteps');
    const size = from.reduce((m, d) => m * d, 1);
    let core: string;
    if (size === 1) core = from.length === 0 ? expr : `${expr}[[${from.map(() => 1).join(', ')}]]`;
    else if (from.length === keptShape.length - keptShape.filter((d) => d === 1).length && from.every((d, i) => d === keptShape.filter((q) => q !== 1)[i]) && keptShape.every((d) => d !== 1)) core = expr;
    else core = `ArrayReshape[${expr}, {${keptShape.join(', ')}}]`;
    if (copied.length === 0) return core;
    if (size === 1 && listable) return core;
    // Left-aligned: the kept axes lead, so Wolfram's threading copies along the rest.
    if (listable && kept.every((k, i) => k === i)) return core;
    const filled = size === 1 ? `ConstantArray[${core}, {${to.join(', ')}}]` : `ConstantArray[${core}, {${copied.map((i) => to[i]).join(', ')}}]`;
    if (size === 1) return filled;
    const order = [...copied, ...kept];
    if (order.every((q, i) => q === i)) return filled;
    return `Transpose[${filled}, {${order.map((q) => q + 1).join(', ')}}]`;
  }

  /** `f` applied to every block of elements along `axes` (a reduction: softmax, normalization). */
  private along(eq: Equation, axes: readonly number[], f: (s: string, k: number) => string): Printed {
    const x = MARK(eq.args[0]);
    const rank = this.shape(eq.args[0]).length;
    const k = axes.length;
    const sorted = [...axes].sort((p, q) => p - q);
    const trailing = sorted.every((ax, i) => ax === rank - k + i);
    if (trailing && k === rank) return { text: f(x, k), repeated: [eq.args[0]] };
    const apply = (t: string) => `Map[Function[s, ${f('s', k)}], ${t}, {${rank - k}}]`;
    if (trailing) return { text: apply(x) };
    const rest = [...Array(rank).keys()].filter((i) => !sorted.includes(i));
    const perm = [...rest, ...sorted];
    const moved = `Transpose[${x}, {${wolframPerm(perm).join(', ')}}]`;
    return { text: `Transpose[${apply(moved)}, {${perm.map((q) => q + 1).join(', ')}}]` };
  }

  /**
   * A matrix product batched over the leading axes: Dot of the two matrices at each position of
   * the result's leading axes, a Table over them (an operand's missing or length-1 axis is read at 1).
   */
  private matmul(eq: Equation): Printed {
    const [sx, sy] = [this.shape(eq.args[0]), this.shape(eq.args[1])];
    const lead = this.shape(eq.outs[0]).slice(0, -2);
    const [x, y] = [MARK(eq.args[0]), MARK(eq.args[1])];
    if (lead.length === 0) return { text: `${operand(x)} . ${operand(y)}` };
    const vars = lead.map((_, k) => ITERATORS[k] ?? `i${k + 1}`);
    const at = (s: readonly number[]) => {
      const own = s.slice(0, -2);
      const off = lead.length - own.length;
      return [...own.map((d, k) => (d === 1 ? '1' : vars[k + off])), 'All', 'All'].join(', ');
    };
    return { text: `Table[${x}[[${at(sx)}]] . ${y}[[${at(sy)}]], ${lead.map((d, k) => `{${vars[k]}, ${d}}`).join(', ')}]` };
  }

  /** Keras's batch_dot: the contracted axis of x moved last, of y first, then Dot. */
  private dot(eq: Equation, a: DotAttrs): Printed {
    const [ax, ay] = a.axes;
    const sx = this.shape(eq.args[0]);
    const sy = this.shape(eq.args[1]);
    const norm = (t: string, rank: number, axis: number) => {
      if (!a.normalize) return t;
      const f = (s: string, k: number) => `${s}/Sqrt[Max[${total(`${s}^2`, k)}, ${this.num(1e-12)}]]`;
      if (rank === 1) return `With[{s = ${t}}, ${f('s', 1)}]`;
      const perm = [...[...Array(rank).keys()].filter((i) => i !== axis), axis];
      const moved = axis === rank - 1 ? t : `Transpose[${t}, {${wolframPerm(perm).join(', ')}}]`;
      const mapped = `Map[Function[s, ${f('s', 1)}], ${moved}, {${rank - 1}}]`;
      return axis === rank - 1 ? mapped : `Transpose[${mapped}, {${perm.map((q) => q + 1).join(', ')}}]`;
    };
    let x = norm(MARK(eq.args[0]), sx.length, ax);
    let y = norm(MARK(eq.args[1]), sy.length, ay);
    if (ax !== sx.length - 1) x = `Transpose[${x}, {${wolframPerm([...[...Array(sx.length).keys()].filter((i) => i !== ax), ax]).join(', ')}}]`;
    if (ay !== 0) y = `Transpose[${y}, {${wolframPerm([ay, ...[...Array(sy.length).keys()].filter((i) => i !== ay)]).join(', ')}}]`;
    const text = `${operand(x)} . ${operand(y)}`;
    return { text: sx.length === 1 && sy.length === 1 ? `{${text}}` : text };
  }

  /**
   * The window geometry of conv/pool: the padded input bound to `p` (or the input itself), the
   * Sum/Table iterators over kernel axes longer than 1, and the Span of each spatial axis per tap.
   */
  private windows(eq: Equation, a: WindowAttrs, fill?: string) {
    const x = MARK(eq.args[0]);
    const inShape = this.shape(eq.args[0]);
    const r = a.kernel.length;
    const after = a.kernel.map((k, i) => Math.max(0, a.strides[i] * (a.outSpatial[i] - 1) + a.dilation[i] * (k - 1) + 1 - inShape[i] - a.padBefore[i]));
    // A negative pad (a transposed convolution padded by more than kernel - 1) crops: ArrayPad[x, -m] removes m elements (ref/ArrayPad).
    const padded = a.padBefore.some((b) => b !== 0) || after.some((q) => q > 0);
    const full = inShape.slice(0, r).map((n, i) => n + a.padBefore[i] + after[i]);
    const iters: string[] = [];
    const index: string[] = [];
    const spans = a.kernel.map((k, i) => {
      const s = a.strides[i];
      const d = a.dilation[i];
      const o = a.outSpatial[i];
      let start: [number, string, number];
      if (k === 1) {
        start = [0, '', 1];
        index.push('1');
      } else {
        const v = ITERATORS[iters.length] ?? `i${iters.length + 1}`;
        iters.push(`{${v}, ${k}}`);
        index.push(v);
        start = [d, v, 1 - d];
      }
      const [c, v, b] = start;
      if (c === 0 && b === 1 && s === 1 && o === full[i]) return 'All';
      const end = linear(c, v, b + s * (o - 1));
      return `${linear(c, v, b)} ;; ${end}${s === 1 ? '' : ` ;; ${s}`}`;
    });
    const pads = `{${a.padBefore.map((b, i) => `{${b}, ${after[i]}}`).join(', ')}, {0, 0}}`;
    const source = padded ? 'p' : x;
    // The padded input is bound once (p), with any `more` bindings, rather than padded at every tap.
    const bind = (body: string, more?: string) => (padded ? `With[{p = ArrayPad[${x}, ${pads}${fill ? `, ${fill}` : ''}]${more ? `, ${more}` : ''}}, ${body}]` : body);
    return { r, iters, index, spans, source, bind, padded, pads, after, inShape, repeated: padded ? [] : [eq.args[0]] };
  }

  private conv(eq: Equation, a: ConvAttrs): Printed {
    const w = this.windows(eq, a);
    const K = MARK(eq.args[1]);
    const kShape = this.shape(eq.args[1]);
    const cg = kShape[w.r];
    const filters = kShape[w.r + 1];
    const fg = filters / a.groups;
    const sums: string[] = [];
    for (let g = 0; g < a.groups; g++) {
      const ch = a.groups === 1 ? [] : [`${g * cg + 1} ;; ${(g + 1) * cg}`];
      const kf = a.groups === 1 ? [] : ['All', `${g * fg + 1} ;; ${(g + 1) * fg}`];
      const slice = part(w.source, [...w.spans, ...ch]);
      const term = `${slice} . ${K}[[${[...w.index, ...kf].join(', ')}]]`;
      sums.push(w.iters.length ? `Sum[${term}, ${w.iters.join(', ')}]` : term);
    }
    let text = sums.length === 1 ? sums[0] : `Join[${sums.join(', ')}, ${w.r + 1}]`;
    if (a.bias) text = `Map[# + ${MARK(eq.args[2])} &, ${text}, {${w.r}}]`;
    return { text: w.bind(text), repeated: w.repeated };
  }

  private depthwise(eq: Equation, a: DepthwiseAttrs): Printed {
    const w = this.windows(eq, a);
    const D = MARK(eq.args[1]);
    // Each position's channel vector times the tap's weights (flattened to C·M channels when M > 1).
    const tap = a.multiplier === 1 ? `#*${D}[[${[...w.index, 'All', '1'].join(', ')}]] &` : `Flatten[#*${D}[[${w.index.join(', ')}]]] &`;
    const term = `Map[${tap}, ${part(w.source, w.spans)}, {${w.r}}]`;
    let text = w.iters.length ? `Sum[${term}, ${w.iters.join(', ')}]` : term;
    if (a.bias) text = `Map[# + ${MARK(eq.args[2])} &, ${text}, {${w.r}}]`;
    return { text: w.bind(text), repeated: w.repeated };
  }

  private pool(eq: Equation, a: PoolAttrs): Printed {
    if (a.kind === 'max') {
      const w = this.windows(eq, a, '-Infinity');
      const slice = part(w.source, w.spans);
      if (!w.iters.length) return { text: w.bind(slice), repeated: w.repeated };
      const taps = `Table[${slice}, ${w.iters.join(', ')}]`;
      const flat = w.iters.length > 1 ? `Flatten[${taps}, ${w.iters.length - 1}]` : taps;
      return { text: w.bind(`MapThread[Max, ${flat}, ${w.r + 1}]`), repeated: w.repeated };
    }
    // TF averages over the cells inside the input only: divide by the count of such cells (n).
    const w = this.windows(eq, a);
    const sum = (t: string) => (w.iters.length ? `Sum[${t}, ${w.iters.join(', ')}]` : t);
    if (w.padded) {
      const count = `n = ArrayPad[ConstantArray[1, {${w.inShape.slice(0, w.r).join(', ')}}], {${a.padBefore.map((b, i) => `{${b}, ${w.after[i]}}`).join(', ')}}]`;
      return { text: w.bind(`${sum(part('p', w.spans))}/${sum(part('n', w.spans))}`, count), repeated: w.repeated };
    }
    const cells = a.kernel.reduce((m, k) => m * k, 1);
    const total = sum(part(w.source, w.spans));
    return { text: cells === 1 ? total : `${total}/${cells}`, repeated: w.repeated };
  }

  /** A body as a pure function of (`params`…): a Block of its equations returning its outputs. */
  private bodyFunction(body: Body, params: readonly string[], unpack: readonly string[], indent: string): string {
    const inner = this.block(body.equations, `${indent}   `, false, body.outputs);
    const outs = body.outputs.map((o) => this.names[o]);
    const result = outs.length === 1 ? outs[0] : `{${outs.join(', ')}}`;
    const locals = [...unpack, ...inner.locals.filter((n) => !params.includes(n))];
    const head = params.length === 1 ? params[0] : `{${params.join(', ')}}`;
    if (locals.length === 0) return `Function[${head}, ${result}]`;
    return [`Function[${head},`, `${indent}  Block[{${locals.join(', ')}},`, ...inner.lines, `${indent}   ${result}]]`].join('\n');
  }

  /** A recurrence: Fold (final states) or FoldList (every step) of the cell over the time steps. */
  private scan(eq: Equation, a: ScanAttrs, indent: string): (Printed & { target: string })[] {
    const body = eq.body!;
    const [xt, ...states] = body.inputs;
    const k = states.length;
    const stateNames = states.map((s) => this.names[s]);
    const acc = k === 1 ? stateNames[0] : this.fresh('state');
    const unpack = k === 1 ? [] : stateNames.map((n, i) => `${n} = ${acc}[[${i + 1}]]`);
    const fn = this.bodyFunction(body, [acc, this.names[xt]], unpack, indent);
    const init = states.map((s, i) => (eq.args.length > 1 + i ? MARK(eq.args[1 + i]) : `ConstantArray[0, ${a.units}]`));
    const start = k === 1 ? init[0] : `{${init.join(', ')}}`;
    const xs = a.reverse ? `Reverse[${MARK(eq.args[0])}]` : MARK(eq.args[0]);
    const [main, ...finals] = eq.outs;
    const out: (Printed & { target: string })[] = [];
    const used = (id: TensorId) => this.uses[id] > 0 || this.programOutputs.has(id);
    if (!a.returnSequences) {
      const fold = `Fold[${fn}, ${start}, ${xs}]`;
      if (k === 1) {
        out.push({ target: this.names[main], text: fold });
        if (used(finals[0])) out.push({ target: this.names[finals[0]], text: MARK(main) });
      } else {
        out.push({ target: `{${finals.map((f) => this.names[f]).join(', ')}}`, text: fold });
        out.push({ target: this.names[main], text: MARK(finals[0]) });
      }
      return out;
    }
    const steps = `Rest[FoldList[${fn}, ${start}, ${xs}]]`;
    if (k === 1) {
      out.push({ target: this.names[main], text: steps });
      if (used(finals[0])) out.push({ target: this.names[finals[0]], text: `Last[${MARK(main)}]` });
      return out;
    }
    const all = this.fresh(`${this.names[main]}s`);
    out.push({ target: all, text: steps });
    out.push({ target: this.names[main], text: `${all}[[All, 1]]` });
    if (finals.some(used)) out.push({ target: `{${finals.map((f) => this.names[f]).join(', ')}}`, text: `Last[${all}]` });
    return out;
  }
}

/** Σ over a block: Total for a vector, Total[·, Infinity] for a deeper block. */
function total(v: string, k: number): string {
  return k === 1 ? `Total[${v}]` : `Total[${v}, Infinity]`;
}

/** `x[[specs]]` without trailing Alls (x itself when every spec is All). */
function part(x: string, specs: readonly string[]): string {
  const s = [...specs];
  while (s.length && s[s.length - 1] === 'All') s.pop();
  return s.length ? `${x}[[${s.join(', ')}]]` : x;
}

/** Wolfram symbols take no underscore: h1_2 becomes h1v2 (kept unique). */
function wolframNames(names: readonly string[]): string[] {
  const taken = new Set(names.filter((n) => !n.includes('_')));
  return names.map((n) => {
    if (!n.includes('_')) return n;
    let m = n.replace(/_/g, 'v');
    while (taken.has(m)) m += 'v';
    taken.add(m);
    return m;
  });
}
