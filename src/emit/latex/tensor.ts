import { isInteger } from '../../tensor/dtype.js';
import type { Fn } from '../../ir/ops.js';
import { Prec } from '../../ir/ops.js';
import type { Name } from '../../schedule.js';
import { ELEMENTWISE, type ElementwiseFn } from '../../tensor/functions.js';
import type {
  AxesAttrs,
  AxisAttrs,
  BitcastAttrs,
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
} from '../../tensor/ops.js';
import type { Body, Equation, TensorId, TensorProgram } from '../../tensor/program.js';
import { findAttention, isInverseRoot, type Attention } from '../../tensor/attention.js';
import { fileName, GATE_MEANING, texBool, texCases, texFunctions, TEX_FUNCTIONS, TEX_NUMBERS, TEX_RELATIONS } from './syntax.js';
import { formatNumber } from '../number.js';
import type { Syntax } from '../render.js';
import { comparedConstants, constantsUsed, printMap, useCounts } from '../tensor-common.js';
import type { EmitOptions, TensorEmitter } from '../types.js';
import { portNames } from '../port-names.js';

/**
 * LaTeX's tensor form: one equation per layer in vector notation (W x + b, K ∗ X, gate equations
 * of a recurrence with a time index t), a "where" block defining every operator used, then the
 * weights: matrices up to --max-matrix printed in full, larger ones declared by shape.
 */

/** Default largest matrix (rows and columns) printed in full. */
export const DEFAULT_MAX_MATRIX = 16;

/** Text width of the --standalone page (A4, 2 cm margins) in TeX points. */
export const TENSOR_PAGE_WIDTH_PT = 482;

/** A printed expression: text, how tightly it binds, and (for sums) pieces a long row may break between. */
interface P {
  readonly text: string;
  readonly prec: Prec;
  /** The same expression as pieces ("a", " + b", …) that may go on separate rows of `aligned`. */
  readonly parts?: readonly string[];
}

const atom = (text: string): P => ({ text, prec: Prec.Atom });

function par(p: P, level: Prec): string {
  return p.prec < level ? `\\left(${p.text}\\right)` : p.text;
}

/** `pre(arg)post` keeping the argument's break points (with \bigl( \bigr), which may span rows). */
function apply(pre: string, arg: P): P {
  const text = `${pre}\\left(${arg.text}\\right)`;
  if (!arg.parts || arg.parts.length < 2) return atom(text);
  const parts = [...arg.parts];
  parts[0] = `${pre}\\bigl(${parts[0]}`;
  parts[parts.length - 1] = `${parts[parts.length - 1]}\\bigr)`;
  return { text, prec: Prec.Atom, parts };
}

function sum(terms: readonly P[]): P {
  const parts = terms.map((t, i) => {
    const s = t.prec <= Prec.Add && t.prec !== Prec.Add ? par(t, Prec.Add) : t.text;
    if (i === 0) return s;
    return s.startsWith('-') ? ` - ${s.slice(1)}` : ` + ${s}`;
  });
  return terms.length === 1 ? terms[0] : { text: parts.join(''), prec: Prec.Add, parts };
}

/** Rough printed width in points at 10 pt (for breaking rows and splitting matrices). */
export function texWidth(s: string): number {
  let w = 0;
  let depth = 0;
  const stack: boolean[] = [];
  let pendingScript = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const scale = depth > 0 ? 0.7 : 1;
    if (ch === '\\') {
      const m = /^\\([A-Za-z]+|.)/.exec(s.slice(i))!;
      const cmd = m[1];
      i += m[0].length - 1;
      if (['left', 'right', 'mathbf', 'boldsymbol', 'mathrm', 'operatorname', 'begin', 'end', 'bigl', 'bigr', 'text', 'tilde', 'overleftarrow', 'mathbb', 'mathsf', 'hat', 'top'].includes(cmd)) {
        if (cmd === 'top') w += 7 * scale;
        if (cmd === 'begin' || cmd === 'end') {
          const e = /^\{[a-z*]+\}/.exec(s.slice(i + 1));
          if (e) i += e[0].length;
        }
        continue;
      }
      if (cmd === ',' || cmd === ';') w += 3 * scale;
      else if (cmd === 'quad') w += 10;
      else if (cmd === '\\') w += 0;
      else if (['odot', 'cdot', 'ast', 'circledast', 'in', 'times', 'le', 'ge', 'otimes'].includes(cmd)) w += 13 * scale;
      else if (['frac'].includes(cmd)) w += 0;
      else if (['sum', 'max', 'min', 'exp', 'tanh', 'ln', 'sqrt'].includes(cmd)) w += (cmd.length * 5 + 3) * scale;
      else w += 6 * scale;
      continue;
    }
    if (ch === '^' || ch === '_') {
      pendingScript = true;
      continue;
    }
    if (ch === '{') {
      stack.push(pendingScript);
      if (pendingScript) depth++;
      pendingScript = false;
      continue;
    }
    if (ch === '}') {
      if (stack.pop()) depth--;
      continue;
    }
    const sc = pendingScript ? 0.7 : scale;
    pendingScript = false;
    if (ch === ' ') continue;
    if (ch === '+' || ch === '=' || ch === '-') w += depth > 0 ? 6 : 13;
    else if (ch === '&') w += 0;
    else if (ch === ',' || ch === '.') w += 2.8 * sc;
    else if (ch === '(' || ch === ')' || ch === '[' || ch === ']' || ch === '|') w += 3.9 * sc;
    else if (/[A-Z]/.test(ch)) w += 7.5 * sc;
    else w += 5.2 * sc;
  }
  return w;
}

/** A tensor's printed name: a letter (bold for values), superscript layer, optional subscripts. */
interface TexName {
  readonly letter: string;
  readonly bold: boolean;
  readonly arrow: boolean;
  readonly tilde?: boolean;
  readonly sup?: string;
  readonly sub: readonly string[];
}

function show(n: TexName, extraSub: readonly string[] = []): string {
  let core = n.letter;
  if (n.bold) core = n.letter.length === 1 && /[a-zA-Z]/.test(n.letter) ? `\\mathbf{${core}}` : `\\boldsymbol{${core}}`;
  if (n.tilde) core = `\\tilde{${core}}`;
  if (n.arrow) core = `\\overleftarrow{${core}}`;
  const sub = [...n.sub, ...extraSub];
  return `${core}${sub.length ? `_{${sub.join(',')}}` : ''}${n.sup ? `^{${n.sup}}` : ''}`;
}


const GREEK: Record<string, string> = { gamma: '\\gamma', beta: '\\beta', alpha: '\\alpha' };

/** Operator text of an ELEMENTWISE entry's `operator` name. */
function operatorTex(op: string): string {
  if (op === 'σ') return '\\sigma';
  if (op === 'tanh' || op === 'exp' || op === 'max' || op === 'min') return `\\${op}`;
  const u = op.indexOf('_{');
  return u > 0 ? `\\operatorname{${op.slice(0, u)}}${op.slice(u)}` : `\\operatorname{${op}}`;
}

const SYNTAX_BASE: Omit<Syntax, 'name'> = {
  numbers: TEX_NUMBERS,
  scientificPrec: Prec.Mul,
  times: ' ',
  mul: (a, b) => `${a} \\odot ${b}`,
  div: (a, b) => `\\frac{${a}}{${b}}`,
  divParens: false,
  pow: (a, b) => `{${a}}^{${b}}`,
  lookup: (t, index, column) => `E^{(${t + 1})}_{${index.text},${column + 1}}`,
  functions: texFunctions('\\left', '\\right'),
  compare: (op, a, b) => `${a.text} ${TEX_RELATIONS[op]} ${b.text}`,
  bool: texBool('\\left', '\\right'),
  select: (c, a, b) => texCases(c, a.text, b.text),
};

/** The scalar syntax with arguments printed as the given texts (for definitions `f(z) = …`). */
const syntaxFor = (mulSign: string): Syntax => ({
  ...SYNTAX_BASE,
  mul: (a, b) => `${a} ${mulSign} ${b}`,
  name: (n: Name) => (n.kind === 'temp' ? `t_{${n.index}}` : 'z'),
});

const tuple = (xs: readonly (number | string)[]) => (xs.length === 1 ? `${xs[0]}` : `(${xs.join(', ')})`);

/** One row of the output: left side, right side (possibly in pieces to break). */
interface Row {
  readonly lhs: string;
  readonly rhs: P;
}

class LatexTensorPrinter {
  private readonly p: TensorProgram;
  private readonly opts: EmitOptions;
  private readonly uses: Int32Array;
  private readonly names = new Map<TensorId, TexName>();
  /** Value tensors printed in place (used once, unnamed). */
  private readonly producer = new Map<TensorId, Equation>();
  /** Operator definitions of the where block, by key, in first-use order. */
  private readonly defs = new Map<string, { symbol: string; rows: string[] }>();
  private readonly notes = new Set<string>();
  /** Constants printed transposed (the W of W x, stored [in, out]). */
  private readonly transposed = new Set<TensorId>();
  private readonly rows: (Row | string)[] = [];
  private sigma = false;
  /** Whether a function of one number is applied to a tensor (the where block says: element by element). */
  private elementwise = false;
  private readonly width: number;
  private readonly num = (v: number, exact = false) => formatNumber(v, TEX_NUMBERS, this.opts.precision, exact);

  constructor(p: TensorProgram, opts: EmitOptions) {
    this.p = p;
    this.opts = opts;
    this.uses = useCounts(p);
    this.width = TENSOR_PAGE_WIDTH_PT;
    this.found = findAttention(p);
    this.operands = this.attentionOperands();
    this.nameTensors();
    this.markAttention();
  }

  // ---- attention (tensor/attention.ts): one row softmax(QKᵀ/√d_k + M)·V instead of its steps ----

  /** The attention pattern whose result an equation computes. */
  private readonly attentionAt = new Map<Equation, Attention & { weightsOnly: boolean }>();
  /** Steps of an attention pattern printed inside its row (their values are read nowhere else). */
  private readonly attentionSteps = new Set<Equation>();

  /** The attention patterns of the program (tensor/attention.ts), in program order. */
  private readonly found: readonly Attention[];
  /** Queries, keys and values that no extractor named, by the recognizer's roles: Q^{(n)}, K^{(n)⊤} (the operand already transposed), V^{(n)} for the n-th attention. */
  private readonly operands: ReadonlyMap<TensorId, TexName>;

  private attentionOperands(): Map<TensorId, TexName> {
    const p = this.p;
    const ports = new Set([...p.inputs, ...p.outputs].map((o) => o.tensor.id));
    const named = new Map<TensorId, TexName>();
    this.found.forEach((m, n) => {
      // One tensor in two roles (self-attention read straight from one value) keeps its own name.
      if (new Set([m.q, m.k, m.v]).size < 3) return;
      const roles: [TensorId, string, string][] = [[m.q, 'Q', ''], [m.k, 'K', m.keysTransposed ? '' : '\\top'], [m.v, 'V', '']];
      for (const [id, letter, top] of roles) {
        const t = p.tensors[id];
        if (ports.has(id) || t.kind !== 'value' || ['Q', 'K', 'V'].includes(t.role) || named.has(id)) continue;
        named.set(id, { letter, bold: true, arrow: false, sup: `(${n + 1})${top}`, sub: [] });
      }
    });
    return named;
  }

  private markAttention(): void {
    const p = this.p;
    const outputs = new Set(p.outputs.map((o) => o.tensor.id));
    for (const m of this.found) {
      // Queries, keys and values an extractor marked as such (Keras's MultiHeadAttention: role Q, K, V) get rows of their own, Q^{(k)} = …, as in the textbook.
      for (const id of [m.q, m.k, m.v]) {
        const t = p.tensors[id];
        if (!this.names.has(id) && ['Q', 'K', 'V'].includes(t.role)) this.names.set(id, { letter: t.role, bold: true, arrow: false, sup: `(${t.layer})`, sub: [] });
      }
      // The others (an ONNX export's heads, split by reshapes and transposes) by their role in the pattern.
      for (const [id, name] of this.operands) this.names.set(id, name);
      this.inlineHeadMoves(m);
      let eqs = m.equations.map((i) => p.equations[i]);
      const uses = (o: TensorId, by: readonly Equation[]) => by.reduce((n, eq) => n + eq.args.filter((a) => a === o).length, 0);
      // Weights the model also returns (or reads elsewhere) keep their own row: A(Q, Kᵀ, M) there, then A·V as a product.
      const soft = eqs.find((eq) => eq.outs[0] === m.weights)!;
      const weightsKept = outputs.has(m.weights) || uses(m.weights, eqs) !== this.uses[m.weights];
      if (weightsKept) eqs = eqs.filter((eq) => eq !== eqs[eqs.length - 1]);
      const last = weightsKept ? soft : eqs[eqs.length - 1];
      this.attentionAt.set(last, { ...m, weightsOnly: weightsKept });
      // A step prints inside the row when every read of its values is by the row or by steps that do (latest first).
      for (const eq of eqs.slice(0, eqs.indexOf(last)).reverse()) {
        const inside = eq.outs.every((o) => {
          const readers = eqs.filter((r) => r.args.includes(o));
          return !outputs.has(o) && uses(o, eqs) === this.uses[o] && readers.every((r) => r === last || this.attentionSteps.has(r));
        });
        if (inside) this.attentionSteps.add(eq);
      }
    }
  }

  /**
   * The reshapes, transposes and slices that split a projection into heads (before Q, K, V) or join
   * the heads again (after the attention's result, up to the output projection) print inside the row
   * that reads them, Q^{(1)} = permute(reshape(…)), as Keras's MultiHeadAttention prints: an ONNX
   * export gives each of them a row M_k of its own, which made an encoder layer's equations run past
   * a page. Only values read once, under a movement name M_k, are folded; the M_k left are renumbered.
   */
  private inlineHeadMoves(m: Attention): void {
    const p = this.p;
    const moves = new Set(['reshape', 'transpose', 'slice']);
    const ports = new Set([...p.inputs, ...p.outputs].map((o) => o.tensor.id));
    const producer = new Map<TensorId, Equation>();
    const readers = new Map<TensorId, Equation[]>();
    for (const eq of p.equations) {
      eq.outs.forEach((o) => producer.set(o, eq));
      for (const a of eq.args) readers.set(a, [...(readers.get(a) ?? []), eq]);
    }
    const foldable = (id: TensorId) => {
      const n = this.names.get(id);
      return !ports.has(id) && p.tensors[id].kind === 'value' && this.uses[id] === 1 && n !== undefined && /^[Mm]$/.test(n.letter) && n.sup === undefined;
    };
    let folded = false;
    // The moves of a chain print inside their reader, in place of the values they compute.
    const back = (from: Equation | undefined): Equation | undefined => {
      let eq = from;
      for (; eq && moves.has(eq.op) && foldable(eq.args[0]); eq = producer.get(eq.args[0])) {
        this.names.delete(eq.args[0]);
        folded = true;
      }
      return eq;
    };
    const on = (from: TensorId): Equation | undefined => {
      let eq = readers.get(from)?.[0];
      while (eq && moves.has(eq.op) && foldable(eq.outs[0])) {
        const out = eq.outs[0];
        const next = readers.get(out)?.[0];
        // The last move of the chain keeps its row unless a reader takes it in place.
        if (!next) break;
        this.names.delete(out);
        folded = true;
        eq = next;
      }
      return eq;
    };
    const projection = (eq: Equation | undefined) => eq !== undefined && eq.op === 'dense' && (eq.attrs as unknown as DenseAttrs).pairs === 1;
    // Back from each operand to the projection, and on past it to the moves that lay out its input
    // (an ONNX export's (batch, sequence) → (sequence, batch) transpose).
    for (const start of [m.q, m.k, m.v]) {
      let eq = back(producer.get(start));
      if (eq && moves.has(eq.op)) eq = producer.get(eq.args[0]);
      // A projection read by this operand alone (the queries of a cross-attention) prints in its row: Q = reshape(W X + b).
      if (projection(eq) && this.uses[eq!.outs[0]] === 1 && !ports.has(eq!.outs[0]) && /^[Hh]$/.test(this.names.get(eq!.outs[0])?.letter ?? '')) {
        this.names.delete(eq!.outs[0]);
        folded = true;
      }
      if (projection(eq) && foldable(eq!.args[0])) {
        this.names.delete(eq!.args[0]);
        folded = true;
        back(producer.get(eq!.args[0]));
      }
    }
    // On from the result (read once) through the moves that join the heads, and past the output
    // projection to the moves that lay its result out again.
    if (this.uses[m.output] === 1) {
      const eq = on(m.output);
      if (projection(eq) && this.uses[eq!.outs[0]] === 1) on(eq!.outs[0]);
    }
    if (!folded) return;
    const left = [...this.names].filter(([, n]) => /^[Mm]$/.test(n.letter) && n.sup === undefined && n.sub.length === 1 && /^\d+$/.test(n.sub[0]));
    left.sort((a, b) => Number(a[1].sub[0]) - Number(b[1].sub[0]));
    left.forEach(([id, n], i) => this.names.set(id, { ...n, sub: [`${i + 1}`] }));
  }

  /** Attention(Q, Kᵀ, V[, M]) with the operator defined once in the where block (per d_k, scale and shapes). */
  private attention(m: Attention & { weightsOnly: boolean }, ctx: Ctx): P {
    const shape = (id: TensorId) => this.p.tensors[id].shape;
    // A time axis of any length (-1 in the program) is T, as in the where block's input line.
    const dims = (id: TensorId, swap = false) => {
      const d = shape(id).map((n) => (n < 0 ? 'T' : `${n}`));
      if (swap) d.push(...d.splice(-2).reverse());
      return d.join('\\times ');
    };
    const textbook = isInverseRoot(m.scale, m.dk);
    const scores = textbook ? '\\frac{Q K^{\\top}}{\\sqrt{d_{k}}}' : m.scale === 1 ? 'Q K^{\\top}' : `${this.num(m.scale)}\\, Q K^{\\top}`;
    const qs = shape(m.q);
    const heads = qs.length >= 3 ? qs[qs.length - 3] : 1;
    const masked = m.masks.length > 0;
    const key = `attention|${m.weightsOnly}|${m.dk}|${m.scale}|${masked}|${dims(m.q)}|${dims(m.k)}|${m.keysTransposed}|${dims(m.v)}`;
    const name = m.weightsOnly ? '\\operatorname{AttentionWeights}' : '\\operatorname{Attention}';
    const sym = this.define(key, (v) => `${name}${v ? `_{${v}}` : ''}`, (s) => {
      const definition = `${s}(Q, K^{\\top}${m.weightsOnly ? '' : ', V'}${masked ? ', M' : ''}) = \\operatorname{softmax}\\left(${scores}${masked ? ' + M' : ''}\\right)${m.weightsOnly ? '' : ' V'}${textbook ? `\\text{, } d_{k} = ${m.dk}` : ''}`;
      const shapes =
        m.weightsOnly || dims(m.q) !== dims(m.v)
          ? `Q \\in \\mathbb{R}^{${dims(m.q)}}\\text{, } K^{\\top} \\in \\mathbb{R}^{${dims(m.k, m.keysTransposed)}}${m.weightsOnly ? '' : `\\text{, } V \\in \\mathbb{R}^{${dims(m.v)}}`}`
          : `Q, V \\in \\mathbb{R}^{${dims(m.q)}}\\text{, } K^{\\top} \\in \\mathbb{R}^{${dims(m.k, m.keysTransposed)}}`;
      // How the products run is said once for every attention with as many heads; the shapes follow the definition on its line when they fit.
      const how = this.once(`\\quad\\text{products of the last two axes${heads > 1 ? `, for each of the ${heads} heads` : ''}; the softmax over the keys (last axis)}`);
      const joined = `${definition}\\text{, } ${shapes}`;
      if (texWidth(joined) <= 0.9 * this.width) return [joined, ...how];
      return [definition, `\\quad ${shapes}`, ...how];
    });
    const k = this.arg(m.k, ctx);
    const args = [this.arg(m.q, ctx).text, m.keysTransposed ? `{${par(k, Prec.Atom)}}^{\\top}` : k.text, ...(m.weightsOnly ? [] : [this.arg(m.v, ctx).text])];
    if (masked) {
      // Several terms (Swin's position bias, then its shifted-window mask in the per-window view) add up to M.
      args.push(m.masks.map((t) => (t.view && t.view.join() !== shape(t.id).join() ? this.reshape(t.view, this.arg(t.id, ctx)) : this.arg(t.id, ctx)).text).join(' + '));
      m.masks.forEach((t) => this.describeMask(t.id));
    }
    return atom(`${sym}\\left(${args.join(', ')}\\right)`);
  }

  /** reshape_{(s)}(x), the operator defined once in the where block. */
  private reshape(to: readonly number[], x: P): P {
    const sym = this.define('reshape', () => '\\operatorname{reshape}', (s) => [`${s}_{\\mathbf{s}}(X) \\text{ is } X \\text{'s elements in row-major order, arranged in shape } \\mathbf{s}`]);
    return apply(`${sym}_{${tuple(to.map((d) => (d < 0 ? 'T' : d)))}}`, x);
  }

  /** A constant causal mask (0 on and below the diagonal of its last two axes, −∞ above) is said to be one. */
  private describeMask(id: TensorId): void {
    const t = this.p.tensors[id];
    if (t.kind !== 'const' || !this.names.has(id) || t.shape.length < 2) return;
    const [n, c] = t.shape.slice(-2);
    const v = t.values!;
    const causal = Array.from(v).every((x, i) => {
      const r = Math.floor(i / c) % n;
      const j = i % c;
      return j > r ? x === -Infinity : x === 0;
    });
    if (causal) this.define(`causal|${id}`, () => '', () => [`${this.nameOf(id)}_{ij} = 0 \\text{ for keys } j \\le i\\text{, } -\\infty \\text{ for } j > i \\text{ (the causal mask: query } i \\text{ sees keys up to } i\\text{)}`]);
  }

  // ---- names ----

  private nameTensors(): void {
    const p = this.p;
    const multi = p.inputs.length > 1;
    p.inputs.forEach((port, i) => {
      const rank = port.tensor.shape.length;
      this.names.set(port.tensor.id, { letter: rank > 1 ? 'X' : 'x', bold: true, arrow: false, sub: multi ? [`${i + 1}`] : [] });
    });
    const outMulti = p.outputs.length > 1;
    p.outputs.forEach((port, i) => {
      const id = port.tensor.id;
      if (this.names.has(id) || p.tensors[id].kind !== 'value') return;
      const rank = port.tensor.shape.length;
      this.names.set(id, { letter: rank > 1 ? 'Y' : 'y', bold: true, arrow: false, sub: outMulti ? [`${i + 1}`] : [] });
    });
    // Scan outputs are the final states h_T (and the stacked sequence H); name them from the body.
    for (const call of p.calls) {
      for (let e = call.from; e < call.to; e++) this.nameEquation(p.equations[e], call.number);
      call.outputs.forEach((t) => {
        if (this.names.has(t.id)) return;
        const rank = t.shape.length;
        this.names.set(t.id, { letter: rank > 1 ? 'H' : 'h', bold: true, arrow: false, sup: call.number > 0 ? `(${call.number})` : undefined, sub: [] });
      });
    }
    let moved = 0;
    let temps = 0;
    for (const eq of p.equations) {
      eq.outs.forEach((o) => {
        if (!this.names.has(o) && this.uses[o] > 1) {
          this.names.set(o, { letter: p.tensors[o].shape.length > 1 ? 'T' : 't', bold: true, arrow: false, sub: [`${++temps}`] });
        }
      });
    }
    // Movement-only calls (number 0) that must be named: m_k.
    for (const call of p.calls) {
      if (call.number !== 0) continue;
      for (const t of call.outputs) {
        const n = this.names.get(t.id);
        if (n && n.sup === undefined && n.letter.toLowerCase() === 'h' && !this.operands.has(t.id)) this.names.set(t.id, { ...n, letter: t.shape.length > 1 ? 'M' : 'm', sub: [`${++moved}`] });
      }
    }
    // Constants.
    const seen = new Map<string, number>();
    for (const id of constantsUsed(p)) {
      const t = p.tensors[id];
      const role = t.role;
      let letter = role[0];
      let sub: string[] = [];
      if (GREEK[role]) letter = GREEK[role];
      else if (role.length > 1 && /^[WUbc]/.test(role)) {
        const g = role.slice(1);
        sub = [g === 'hh' ? 'h' : g];
        letter = role[0] === 'c' ? 'b' : role[0];
        if (role[0] === 'c') sub = [`${g}`, '\\mathrm{rec}'];
      } else if (role.length > 1) letter = `\\mathrm{${role}}`;
      const vector = t.shape.length <= 1;
      const bold = vector;
      const arrow = this.backwardConsts.has(id);
      let name: TexName = { letter, bold, arrow, sup: `(${t.layer})`, sub };
      const key = show(name);
      const k = seen.get(key) ?? 0;
      seen.set(key, k + 1);
      if (k > 0) name = { ...name, sup: `(${t.layer})${"'".repeat(k)}` };
      this.names.set(id, name);
    }
  }

  private readonly backwardConsts = new Set<TensorId>();
  /** Gate roles of the recurrences printed (named in the where block). */
  private readonly gates = new Set<string>();

  /** Names the tensors of a scan or foreach body and the scan's outputs. */
  private nameEquation(eq: Equation, layer: number): void {
    if (eq.op === 'scan') {
      const a = eq.attrs as unknown as ScanAttrs;
      const body = eq.body!;
      const back = a.symbols[0]?.endsWith('b') ?? false;
      if (back) this.markBackward(body);
      if (a.symbols.length > 1) this.gates.add('c');
      const sup = `(${layer})`;
      const stateName = (k: number): TexName => ({ letter: a.symbols[k][0], bold: true, arrow: back, sup, sub: [] });
      // Body inputs: x_t (named at print time from the argument), states at t−1.
      body.inputs.forEach((id, k) => {
        if (k > 0) this.names.set(id, { ...stateName(k - 1), sub: ['t-1'] });
      });
      body.outputs.forEach((id, k) => this.names.set(id, { ...stateName(k), sub: ['t'] }));
      for (const e of body.equations) {
        for (const o of e.outs) {
          if (this.names.has(o)) continue;
          const role = this.p.tensors[o].role;
          if (GATE_MEANING[role] !== undefined) {
            this.gates.add(role);
            this.names.set(o, { letter: role === 'hh' ? 'h' : role, tilde: role === 'hh', bold: true, arrow: back, sup, sub: ['t'] });
          }
        }
      }
      const T = this.p.tensors[eq.args[0]].shape[0];
      const last = T === -1 ? 'T' : `${T}`;
      eq.outs.forEach((o, k) => {
        if (this.names.has(o)) return;
        if (k === 0 && a.returnSequences) this.names.set(o, { letter: a.symbols[0][0].toUpperCase(), bold: true, arrow: back, sup, sub: [] });
        else this.names.set(o, { ...stateName(k === 0 ? 0 : k - 1), sub: [last] });
      });
    } else if (eq.op === 'foreach') {
      const body = eq.body!;
      for (const e of body.equations) this.nameEquation(e, layer);
      const out = eq.outs[0];
      if (!this.names.has(out)) this.names.set(out, { letter: 'H', bold: true, arrow: false, sup: `(${layer})`, sub: [] });
    }
  }

  private markBackward(body: Body): void {
    for (const e of body.equations) for (const a of e.args) if (this.p.tensors[a].kind === 'const') this.backwardConsts.add(a);
  }

  private nameOf(id: TensorId, extra: readonly string[] = []): string {
    const n = this.names.get(id);
    if (!n) throw new Error(`latex tensor form: tensor ${id} has no name`);
    return show(n, extra);
  }

  // ---- definitions ----

  /** Where-block lines already printed by a definition, for those said once however many definitions share them. */
  private readonly said = new Set<string>();

  /** `row` the first time it is asked for, then nothing. */
  private once(row: string): string[] {
    if (this.said.has(row)) return [];
    this.said.add(row);
    return [row];
  }

  private define(key: string, symbol: (variant: string) => string, rows: (sym: string) => string[]): string {
    const had = this.defs.get(key);
    if (had) return had.symbol;
    const base = key.split('|')[0];
    const variants = [...this.defs.keys()].filter((k) => k.split('|')[0] === base).length;
    const sym = symbol(variants === 0 ? '' : `${variants + 1}`);
    this.defs.set(key, { symbol: sym, rows: rows(sym) });
    return sym;
  }

  // ---- expressions ----

  /** A tensor as an operand: its name, or its producing equation printed in place. */
  private arg(id: TensorId, ctx: Ctx): P {
    if (ctx.rename.has(id)) return atom(ctx.rename.get(id)!);
    if (this.names.has(id)) return atom(this.nameOf(id, ctx.sub(id)));
    const eq = this.producer.get(id);
    if (!eq) throw new Error(`latex tensor form: tensor ${id} is neither named nor produced`);
    // An attention result read once (inside one layer, as Keras's MultiHeadAttention) prints in place as Attention(…).
    const m = this.attentionAt.get(eq);
    return m ? this.attention(m, ctx) : this.expr(eq, ctx);
  }

  private expr(eq: Equation, ctx: Ctx): P {
    const a = (k: number) => this.arg(eq.args[k], ctx);
    const shape = (k: number) => this.p.tensors[eq.args[k]].shape;
    switch (eq.op) {
      case 'dense': {
        const at = eq.attrs as unknown as DenseAttrs;
        const terms: P[] = [];
        for (let k = 0; k < at.pairs; k++) {
          const W = eq.args[2 * k + 1];
          this.transposed.add(W);
          terms.push({ text: `${this.nameOf(W)} ${par(a(2 * k), Prec.Pow)}`, prec: Prec.Mul });
          if (shape(2 * k).length > 1) this.notes.add('matmul');
        }
        if (at.bias) terms.push(a(2 * at.pairs));
        return sum(terms);
      }
      case 'map':
        return this.map(eq, ctx);
      case 'softmax':
      case 'log_softmax': {
        const axes = (eq.attrs as unknown as AxesAttrs).axes;
        const rank = shape(0).length;
        const lastOnly = axes.length === 1 && axes[0] === rank - 1;
        const op = eq.op === 'softmax' ? '\\operatorname{softmax}' : '\\operatorname{log\\,softmax}';
        const sym = this.define(`${eq.op}|${lastOnly ? 'last' : axes.join(',')}`, () => (lastOnly ? op : `${op}_{${tuple(axes)}}`), (s) => [[
          eq.op === 'softmax'
            ? `${s}(\\mathbf{z})_{i} = \\frac{e^{z_{i}}}{\\sum_{j} e^{z_{j}}}`
            : `${s}(\\mathbf{z})_{i} = z_{i} - \\ln \\sum_{j} e^{z_{j}}`,
          lastOnly ? '' : `\\text{, over axes } ${tuple(axes)} \\text{ (from 0) at every other index}`,
        ].filter(Boolean).join('')]);
        return apply(sym, a(0));
      }
      case 'layer_norm': {
        const at = eq.attrs as unknown as LayerNormAttrs;
        const sym = this.define(`layer_norm|${at.axes.join(',')}|${at.eps}`, (v) => `\\operatorname{LN}${v ? `_{${v}}` : ''}`, (s) => [
          `${s}(\\mathbf{z}) = \\frac{\\mathbf{z} - \\mu}{\\sqrt{v + ${this.num(at.eps)}}}\\text{, with } \\mu, v \\text{ the mean and variance of } \\mathbf{z} \\text{ over axes } ${tuple(at.axes)} \\text{ (from 0)}`,
          ...(at.scale || at.center ? [`\\quad\\text{the scale } \\boldsymbol{\\gamma} \\text{ and offset } \\boldsymbol{\\beta} \\text{ run along the same axes}`] : []),
        ]);
        let out: P = apply(sym, a(0));
        let k = 1;
        if (at.scale) out = { text: `${this.nameOf(eq.args[k++])} \\odot ${out.text}`, prec: Prec.Mul };
        if (at.center) out = sum([out, a(k)]);
        this.notes.add('odot');
        return out;
      }
      case 'l2_normalize': {
        const axes = (eq.attrs as unknown as AxesAttrs).axes;
        const sym = this.define(`l2|${axes.join(',')}`, (v) => `\\operatorname{unit}${v ? `_{${v}}` : ''}`, (s) => [
          `${s}(\\mathbf{z}) = \\frac{\\mathbf{z}}{\\sqrt{\\max\\left(\\sum_{i} z_{i}^{2}, 10^{-12}\\right)}}\\text{, over axes } ${tuple(axes)} \\text{ (from 0)}`,
        ]);
        return apply(sym, a(0));
      }
      case 'dot': {
        const at = eq.attrs as unknown as DotAttrs;
        const [x, y] = [a(0), a(1)];
        const vectors = shape(0).length === 1 && shape(1).length === 1;
        let xs = x;
        let ys = y;
        if (at.normalize) {
          const u = this.define('l2|last', () => '\\operatorname{unit}', (s) => [`${s}(\\mathbf{z}) = \\frac{\\mathbf{z}}{\\sqrt{\\max\\left(\\sum_{i} z_{i}^{2}, 10^{-12}\\right)}}\\text{, along the contracted axis}`]);
          xs = apply(u, x);
          ys = apply(u, y);
        }
        if (vectors) return { text: `{${par(xs, Prec.Atom)}}^{\\top} ${par(ys, Prec.Pow)}`, prec: Prec.Mul };
        const sym = this.define(`dot|${at.axes.join(',')}`, (v) => `\\operatorname{dot}${v ? `_{${v}}` : ''}`, (s) => [
          `${s}(A, B) = \\sum_{k} A_{\\ldots k \\ldots} B_{\\ldots k \\ldots}\\text{, contracting axis ${at.axes[0]} of } A \\text{ with axis ${at.axes[1]} of } B \\text{ (from 0)}`,
          `\\quad\\text{the result is indexed by } A \\text{'s other axes, then } B \\text{'s}`,
        ]);
        return atom(`${sym}\\left(${xs.text}, ${ys.text}\\right)`);
      }
      case 'matmul': {
        // A B: the matrix product of the last two axes, batched over the leading ones.
        if (shape(0).length > 2 || shape(1).length > 2) this.notes.add('batched');
        return { text: `${par(a(0), Prec.Pow)} ${par(a(1), Prec.Pow)}`, prec: Prec.Mul };
      }
      case 'conv':
      case 'depthwise_conv': {
        const at = eq.attrs as unknown as ConvAttrs & DepthwiseAttrs;
        const conv = eq.op === 'conv';
        const groups = conv ? at.groups : 1;
        const key = `${eq.op}|${at.strides}|${at.dilation}|${at.padBefore}|${groups}`;
        const base = conv ? '\\ast' : '\\circledast';
        const sym = this.define(key, (v) => (v ? `${base}_{${v}}` : base), (s) => this.convDef(s, at, conv, groups));
        const terms: P[] = [{ text: `${this.nameOf(eq.args[1])} ${sym} ${par(a(0), Prec.Pow)}`, prec: Prec.Mul }];
        if (at.bias) terms.push(a(2));
        return sum(terms);
      }
      case 'pool': {
        const at = eq.attrs as unknown as PoolAttrs;
        const key = `pool|${at.kind}|${at.kernel}|${at.strides}|${at.dilation}|${at.padBefore}`;
        const name = at.kind === 'max' ? 'maxpool' : 'avgpool';
        const sym = this.define(key, (v) => `\\operatorname{${name}}${v ? `_{${v}}` : ''}`, (s) => this.poolDef(s, at));
        return apply(sym, a(0));
      }
      case 'global_pool': {
        const at = eq.attrs as unknown as GlobalPoolAttrs;
        const name = at.kind === 'max' ? 'globalmax' : 'globalavg';
        const sym = this.define(`gpool|${at.kind}`, () => `\\operatorname{${name}}`, (s) => [
          at.kind === 'max'
            ? `${s}(X)_{c} = \\max_{\\mathbf{p}} X_{\\mathbf{p},c}\\text{, over every position } \\mathbf{p} \\text{ of channel } c`
            : `${s}(X)_{c} = \\frac{1}{N} \\sum_{\\mathbf{p}} X_{\\mathbf{p},c}\\text{, the mean over the } N \\text{ positions } \\mathbf{p} \\text{ of channel } c`,
        ]);
        return apply(sym, a(0));
      }
      case 'transpose': {
        const perm = (eq.attrs as unknown as TransposeAttrs).perm;
        const sym = this.define(`transpose|${perm}`, (v) => `\\operatorname{permute}${v ? `_{${v}}` : ''}`, (s) => [`${s}(X)_{i_{0},\\ldots} = X_{\\ldots}\\text{: axis } k \\text{ of the result is axis } \\pi_{k} \\text{ of } X\\text{, } \\pi = ${tuple(perm)}`]);
        return apply(sym, a(0));
      }
      case 'reshape': {
        const to = (eq.attrs as unknown as ReshapeAttrs).shape;
        if (to.length === 1) {
          const sym = this.define('vec', () => '\\operatorname{vec}', (s) => [`${s}(X) \\text{ lists the elements of } X \\text{ in row-major order (last index fastest)}`]);
          return apply(sym, a(0));
        }
        return this.reshape(to, a(0));
      }
      case 'concat': {
        const axis = (eq.attrs as unknown as AxisAttrs).axis;
        const parts = eq.args.map((_, k) => a(k).text);
        if (shape(0).length === 1) return atom(`\\begin{bmatrix} ${parts.join(' \\\\ ')} \\end{bmatrix}`);
        const sym = this.define('concat', () => '\\operatorname{concat}', (s) => [`${s}_{k}(A, B, \\ldots) \\text{ joins its arguments along axis } k \\text{ (from 0)}`]);
        return atom(`${sym}_{${axis}}\\left(${parts.join(', ')}\\right)`);
      }
      case 'repeat': {
        const n = (eq.attrs as unknown as RepeatAttrs).n;
        const sym = this.define('repeat', () => '\\operatorname{repeat}', (s) => [`${s}_{n}(\\mathbf{z}) \\text{ stacks } n \\text{ copies of } \\mathbf{z} \\text{ along a new first axis}`]);
        return apply(`${sym}_{${n}}`, a(0));
      }
      case 'pad': {
        const at = eq.attrs as unknown as PadAttrs;
        const sym = this.define('pad', () => '\\operatorname{pad}', (s) => [`${s}_{\\mathbf{a},\\mathbf{b}}(X) \\text{ adds } a_{k} \\text{ zeros before and } b_{k} \\text{ after axis } k`]);
        return apply(`${sym}_{${tuple(at.before)},${tuple(at.after)}}`, a(0));
      }
      case 'slice': {
        const at = eq.attrs as unknown as SliceAttrs;
        const idx = at.begin.map((b, k) => (b === 0 && at.end[k] === shape(0)[k] ? ':' : `${b}:${at.end[k]}`));
        this.notes.add('slice');
        return atom(`{${par(a(0), Prec.Atom)}}_{[${idx.join(',\\,')}]}`);
      }
      case 'upsample': {
        const f = (eq.attrs as unknown as UpsampleAttrs).factors;
        const sym = this.define('upsample', () => '\\operatorname{upsample}', (s) => [`${s}_{\\mathbf{f}}(X) \\text{ repeats every element } f_{k} \\text{ times along axis } k \\text{ (nearest neighbour)}`]);
        return apply(`${sym}_{${tuple(f)}}`, a(0));
      }
      case 'reverse': {
        const axis = (eq.attrs as unknown as AxisAttrs).axis;
        const sym = this.define('reverse', () => '\\operatorname{reverse}', (s) => [`${s}_{k}(X) \\text{ reverses the order of axis } k \\text{ (from 0)}`]);
        return apply(`${sym}_{${axis}}`, a(0));
      }
      case 'monomials': {
        const e = (eq.attrs as unknown as MonomialsAttrs).exponents;
        const sym = this.define('monomials', () => '\\boldsymbol{\\phi}', (s) => [`${s}(\\mathbf{z}) = ${monomialList(e)}^{\\top} \\text{, the ${e.length} monomials of the polynomial}`]);
        return apply(sym, a(0));
      }
      case 'gather': {
        this.notes.add('gather');
        return atom(`${this.nameOf(eq.args[1])}\\left[${a(0).text}\\right]`);
      }
      case 'gather_rows': {
        this.notes.add('gather');
        return atom(`${a(0).text}\\left[${a(1).text}\\right]`);
      }
      case 'bitcast': {
        // Notation, not arithmetic: the bits of each float32 read as an integer, defined once in the where block.
        const to = (eq.attrs as unknown as BitcastAttrs).to;
        const sym = this.define(`bitcast_${to}`, () => `\\operatorname{bits}_{\\mathrm{${to}}}`, (s) => [`${s}(X) \\text{ reads the 32 bits of each float32 of } X \\text{ as ${to === 'int32' ? "a two's complement" : 'an unsigned'} integer (ONNX BitCast)}`]);
        return apply(sym, a(0));
      }
      case 'scan':
      case 'foreach':
        throw new Error('latex tensor form: a scan or foreach is printed as rows, never in place');
    }
  }

  private convDef(s: string, a: ConvAttrs | DepthwiseAttrs, conv: boolean, groups: number): string[] {
    const r = a.kernel.length;
    const vec = (xs: readonly number[]) => (r === 1 ? `${xs[0]}` : tuple(xs));
    const idx = (p: string) => (r === 1 ? p : `\\mathbf{${p}}`);
    const s0 = a.strides.every((v) => v === 1) ? '' : r === 1 ? `${a.strides[0]} ` : `\\mathbf{s} \\odot `;
    const d0 = a.dilation.every((v) => v === 1) ? '' : r === 1 ? `${a.dilation[0]} ` : `\\mathbf{d} \\odot `;
    const pad = a.padBefore.some((v) => v !== 0) ? (r === 1 ? ` - ${a.padBefore[0]}` : ' - \\mathbf{a}') : '';
    const at = `${s0}${idx('p')} + ${d0}${idx('k')}${pad}`;
    const rows = conv
      ? groups === 1
        ? `(K ${s} X)_{${idx('p')},f} = \\sum_{${idx('k')}} \\sum_{c} K_{${idx('k')},c,f}\\, X_{${at},c}`
        : `(K ${s} X)_{${idx('p')},f} = \\sum_{${idx('k')}} \\sum_{c} K_{${idx('k')},c,f}\\, X_{${at},\\,g(f) C_{g} + c}`
      : `(D ${s} X)_{${idx('p')},cM+m} = \\sum_{${idx('k')}} D_{${idx('k')},c,m}\\, X_{${at},c}`;
    const params: string[] = [];
    if (a.strides.some((v) => v !== 1) && r > 1) params.push(`\\mathbf{s} = ${vec(a.strides)}`);
    if (a.dilation.some((v) => v !== 1) && r > 1) params.push(`\\mathbf{d} = ${vec(a.dilation)}`);
    if (a.padBefore.some((v) => v !== 0) && r > 1) params.push(`\\mathbf{a} = ${vec(a.padBefore)}`);
    const out = [rows];
    const info = `\\quad\\text{indices from 0; } X \\text{ is } 0 \\text{ outside its bounds; output size } ${vec(a.outSpatial)}`;
    // Three axes of strides, dilation and padding do not fit one row beside the rest.
    if (params.length && texWidth(info) + texWidth(params.join(',\\ ')) > 0.8 * this.width) out.push(info, `\\quad ${params.join(',\\ ')}`);
    else out.push(`${info}${params.length ? `\\text{; } ${params.join(',\\ ')}` : ''}`);
    if (conv && groups > 1) out.push(`\\quad\\text{${groups} groups: } g(f) \\text{ is the group of filter } f \\text{, } C_{g} \\text{ the channels per group}`);
    if (!conv) out.push(`\\quad M = ${(a as DepthwiseAttrs).multiplier} \\text{ outputs per input channel } c`);
    return out;
  }

  private poolDef(s: string, a: PoolAttrs): string[] {
    const r = a.kernel.length;
    const idx = (p: string) => (r === 1 ? p : `\\mathbf{${p}}`);
    const vec = (xs: readonly number[]) => (r === 1 ? `${xs[0]}` : tuple(xs));
    const s0 = a.strides.every((v) => v === 1) ? '' : r === 1 ? `${a.strides[0]} ` : `${vec(a.strides)} \\odot `;
    const pad = a.padBefore.some((v) => v !== 0) ? ` - ${vec(a.padBefore)}` : '';
    const d0 = a.dilation.every((v) => v === 1) ? '' : r === 1 ? `${a.dilation[0]} ` : `${vec(a.dilation)} \\odot `;
    const at = `${s0}${idx('p')} + ${d0}${idx('k')}${pad}`;
    const head =
      a.kind === 'max'
        ? `${s}(X)_{${idx('p')},c} = \\max_{${idx('k')}} X_{${at},c}`
        : `${s}(X)_{${idx('p')},c} = \\frac{1}{N_{${idx('p')}}} \\sum_{${idx('k')}} X_{${at},c}`;
    return [
      head,
      `\\quad\\text{indices from 0; window } ${vec(a.kernel)}\\text{, over the cells inside } X${a.kind === 'avg' ? ' \\text{ (} N_{' + idx('p') + '} \\text{ of them)}' : ''}\\text{; output size } ${vec(a.outSpatial)}`,
    ];
  }

  private map(eq: Equation, ctx: Ctx): P {
    const at = eq.attrs as unknown as MapAttrs;
    const f: ElementwiseFn = ELEMENTWISE[at.fn];
    const xs = eq.args.map((id) => this.arg(id, ctx));
    const odot = (x: P, y: P): P => {
      this.notes.add('odot');
      return { text: `${par(x, Prec.Mul)} \\odot ${par(y, Prec.Mul)}`, prec: Prec.Mul };
    };
    // A derivative (tensor-form --jacobian) or an --expand-ed function: its template, element-wise.
    const plain = at.derivative === undefined && !at.expanded;
    switch (plain ? at.fn : undefined) {
      case 'linear':
        return xs[0];
      case 'add':
        return sum(xs);
      case 'mul':
        return xs.slice(1).reduce(odot, xs[0]);
      case 'scale_shift':
        return sum([odot(xs[1], xs[0]), xs[2]]);
      case 'mul_add_mul':
        return sum([odot(xs[0], xs[1]), odot(xs[2], xs[3])]);
      case 'add_mul':
        return sum([xs[0], odot(xs[1], xs[2])]);
      case 'gru_update':
        return sum([odot(xs[0], xs[1]), odot({ text: `1 - ${xs[0].text}`, prec: Prec.Add }, xs[2])]);
      case 'sub':
        return { text: `${xs[0].text} - ${par(xs[1], Prec.Mul)}`, prec: Prec.Add, parts: [xs[0].text, ` - ${par(xs[1], Prec.Mul)}`] };
      case 'average':
        return { text: `\\frac{1}{${xs.length}}\\left(${sum(xs).text}\\right)`, prec: Prec.Mul };
      case 'dequantize': {
        // The dequantization, defined once in the where block (ONNX DequantizeLinear; functions.ts).
        const sym = this.define('dequantize', () => '\\operatorname{DQ}', (s) => [
          `${s}(\\mathbf{q}; \\mathbf{z}, \\mathbf{a}, \\mathbf{s}) = \\frac{(\\mathbf{q} - \\mathbf{z}) \\odot \\mathbf{s}}{\\mathbf{a}}\\text{: integers } \\mathbf{q} \\text{ with zero point } \\mathbf{z} \\text{ as real numbers, scale } \\mathbf{s}/\\mathbf{a} \\text{ (}\\mathbf{a} \\text{ a power of two)}`,
        ]);
        this.notes.add('odot');
        return atom(`${sym}\\left(${xs[0].text}; ${xs.slice(1).map((x) => x.text).join(', ')}\\right)`);
      }
    }
    if (f.operator && plain) {
      const sym = this.elementwiseOperator(at, f);
      if (xs.length === 1) return apply(sym, xs[0]);
      // A function with a tensor parameter (PReLU's α) is written f(z; α), as defined.
      return atom(`${sym}\\left(${xs.map((x) => x.text).join(f.arity === 2 && at.fn === 'prelu' ? '; ' : ', ')}\\right)`);
    }
    // Plain arithmetic with numbers (Rescaling's affine): the template with the tensors in place.
    const printed = printMap(at, xs.map((x) => ({ text: x.text, prec: x.prec })), syntaxFor('\\odot'), TEX_FUNCTIONS, this.opts, true);
    if (printed.uses.has('sigmoid')) this.sigma = true;
    if (printed.uses.has('fmod' as Fn)) this.notes.add('fmod');
    return { text: printed.text, prec: Prec.Add };
  }

  private elementwiseOperator(at: MapAttrs, f: ElementwiseFn): string {
    this.elementwise = true;
    const base = operatorTex(f.operator!);
    const standard = ['\\tanh', '\\exp', '\\max', '\\min'].includes(base);
    const key = `${f.operator}|${at.fn}|${at.params.join(',')}`;
    return this.define(key, (v) => (v ? `${base}_{${v}}` : base), (s) => {
      if (standard) return f.arity === 1 ? [] : [`${s}(\\mathbf{a}, \\mathbf{b}, \\ldots) \\text{ is taken element-wise}`];
      if (at.fn === 'sigmoid') {
        this.sigma = true;
        return [];
      }
      const zs = f.arity === 2 ? ['z', '\\alpha'] : ['z'];
      const printed = printMap(at, zs.map((text) => ({ text, prec: Prec.Atom })), syntaxFor('\\cdot'), TEX_FUNCTIONS, this.opts, true);
      if (printed.uses.has('sigmoid')) this.sigma = true;
      const lhs = f.arity === 2 ? `${s}(z; \\alpha)` : `${s}(z)`;
      return [`${lhs} = ${printed.text}`];
    });
  }

  // ---- rows ----

  private emitRow(lhs: string, rhs: P): void {
    this.rows.push({ lhs, rhs });
  }

  private emitEquations(eqs: readonly Equation[], ctx: Ctx): void {
    for (const eq of eqs) {
      if (eq.op === 'scan') {
        this.scan(eq, ctx);
        continue;
      }
      if (eq.op === 'foreach') {
        this.foreach(eq, ctx);
        continue;
      }
      const out = eq.outs[0];
      if (this.attentionSteps.has(eq)) continue;
      if (!this.names.has(out) && !ctx.rename.has(out)) {
        this.producer.set(out, eq);
        continue;
      }
      const m = this.attentionAt.get(eq);
      this.emitRow(ctx.rename.get(out) ?? this.nameOf(out, ctx.sub(out)), m ? this.attention(m, ctx) : this.expr(eq, ctx));
    }
  }

  private scan(eq: Equation, outer: Ctx): void {
    const a = eq.attrs as unknown as ScanAttrs;
    const body = eq.body!;
    const X = eq.args[0];
    const T = this.p.tensors[X].shape[0];
    const last = T === -1 ? 'T' : `${T}`;
    const xName = this.rowName(X, outer, a.reverse ? (T === -1 ? 'T+1-t' : `${T + 1}-t`) : 't');
    const rename = new Map(outer.rename);
    rename.set(body.inputs[0], xName);
    const ctx: Ctx = { rename, sub: outer.sub };
    this.rows.push(`\\text{for } t = 1, \\ldots, ${last}\\text{:}`);
    this.emitEquations(body.equations, ctx);
    const init = body.outputs.map((o, k) => {
      const h0 = show({ ...this.names.get(o)!, sub: ['0'] });
      return `${h0} = ${eq.args.length > 1 + k ? this.arg(eq.args[1 + k], outer).text : '\\mathbf{0}'}`;
    });
    this.rows.push(`\\text{with } ${init.join(',\\ ')}${a.reverse ? `\\text{; the steps read the input from its last row back}` : ''}`);
    const h = this.names.get(body.outputs[0])!;
    eq.outs.forEach((o, k) => {
      if (this.uses[o] === 0) return;
      const target =
        k === 0 && a.returnSequences
          ? `\\begin{bmatrix} ${show({ ...h, sub: ['1'] })} & \\cdots & ${show({ ...h, sub: [last] })} \\end{bmatrix}^{\\top}`
          : show({ ...this.names.get(body.outputs[k === 0 ? 0 : k - 1])!, sub: [last] });
      const own = this.nameOf(o);
      if (own !== target) this.emitRow(own, atom(target));
    });
  }

  private foreach(eq: Equation, outer: Ctx): void {
    const body = eq.body!;
    const X = eq.args[0];
    const T = this.p.tensors[X].shape[0];
    const last = T === -1 ? 'T' : `${T}`;
    const rename = new Map(outer.rename);
    rename.set(body.inputs[0], this.rowName(X, outer, 't'));
    const H = this.names.get(eq.outs[0])!;
    const hRow = show({ ...H, letter: H.letter.toLowerCase() }, ['t']);
    rename.set(body.outputs[0], hRow);
    this.rows.push(`\\text{for } t = 1, \\ldots, ${last}\\text{:}`);
    const inner: Ctx = { rename, sub: (id) => (this.bodyNamed.has(id) ? ['t'] : outer.sub(id)) };
    for (const e of body.equations) for (const o of e.outs) if (this.names.has(o) && this.p.tensors[o].kind === 'value') this.bodyNamed.add(o);
    this.emitEquations(body.equations, inner);
    this.emitRow(this.nameOf(eq.outs[0]), atom(`\\begin{bmatrix} ${hRow.replace(/t\}/, '1}')} & \\cdots & ${hRow.replace(/t\}/, `${last}}`)} \\end{bmatrix}^{\\top}`));
  }

  private readonly bodyNamed = new Set<TensorId>();

  /** Row `t` of a tensor [T, …]: x_t for a named X, else (expr)_t. */
  private rowName(id: TensorId, ctx: Ctx, t: string): string {
    const n = this.names.get(id);
    if (n && !ctx.rename.has(id)) {
      const letter = n.letter.length === 1 ? n.letter.toLowerCase() : n.letter;
      return show({ ...n, letter, bold: true }, [...ctx.sub(id), t]);
    }
    return `\\left(${this.arg(id, ctx).text}\\right)_{${t}}`;
  }

  // ---- weights ----

  private matrices(): string[] {
    const max = this.opts.maxMatrix ?? DEFAULT_MAX_MATRIX;
    const out: string[] = [];
    // A constant a comparison reads is printed exactly, as in every format (see comparedConstants).
    const compared = comparedConstants(this.p);
    for (const id of constantsUsed(this.p)) {
      const t = this.p.tensors[id];
      const name = this.nameOf(id);
      const exact = compared.has(id);
      let shape = [...t.shape];
      let values = t.values!;
      if (this.transposed.has(id) && shape.length === 2) {
        const [r, c] = shape;
        const v = new Float64Array(r * c);
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) v[j * r + i] = values[i * c + j];
        values = v;
        shape = [c, r];
      }
      const size = shape.length === 0 ? 1 : shape.reduce((a, b) => a * b, 1);
      // --weights symbolic: every weight is declared by its shape, no value printed.
      if (this.opts.symbolicWeights) {
        out.push(`${name} &\\in \\mathbb{R}^{${shape.join('\\times ') || '1'}}`);
        continue;
      }
      if (size === 1) {
        out.push(`${name} &= ${this.num(values[0], exact)}`);
        continue;
      }
      const dims = shape.length === 1 ? [1, shape[0]] : shape.slice(-2);
      const slices = size / (dims[0] * dims[1]);
      if (dims[0] > max || dims[1] > max || slices > max) {
        out.push(`${name} &\\in \\mathbb{R}^{${shape.join('\\times ')}}`);
        continue;
      }
      const lead = shape.slice(0, -2);
      for (let s = 0; s < slices; s++) {
        const idx: number[] = [];
        let rest = s;
        for (let k = lead.length - 1; k >= 0; k--) {
          idx.unshift(rest % lead[k]);
          rest = Math.floor(rest / lead[k]);
        }
        const off = s * dims[0] * dims[1];
        const cells: string[][] = [];
        for (let i = 0; i < dims[0]; i++) cells.push(Array.from({ length: dims[1] }, (_, j) => this.num(values[off + i * dims[1] + j], exact)));
        out.push(...this.matrix(name, shape.length === 1, idx, cells));
      }
    }
    return out;
  }

  /** A matrix (or a row vector, transposed) in column blocks that fit the page, one matrix row per line. */
  private matrix(name: string, vector: boolean, lead: readonly number[], cells: string[][]): string[] {
    const cols = cells[0].length;
    const colWidth = Array.from({ length: cols }, (_, j) => Math.max(...cells.map((r) => texWidth(r[j]))) + 10);
    const labelWidth = texWidth(name) + 60;
    const budget = 0.9 * this.width - labelWidth;
    const blocks: [number, number][] = [];
    let from = 0;
    let w = 0;
    for (let j = 0; j < cols; j++) {
      if (j > from && w + colWidth[j] > budget) {
        blocks.push([from, j]);
        from = j;
        w = 0;
      }
      w += colWidth[j];
    }
    blocks.push([from, cols]);
    const out: string[] = [];
    for (const [b0, b1] of blocks) {
      const range = blocks.length > 1 ? (b1 - b0 === 1 ? `${b0}` : `${b0}:${b1}`) : null;
      const sub = vector ? (range ? [range] : []) : lead.length > 0 || range ? [...lead.map(String), ':', range ?? ':'] : [];
      const fixed = sub.length ? `{${name}}_{[${sub.join(',')}]}` : name;
      const rows = cells.map((r) => r.slice(b0, b1).join(' & '));
      if (vector) out.push(`${fixed} &= \\begin{bmatrix} ${rows[0]} \\end{bmatrix}^{\\top}`);
      else out.push(`${fixed} &= \\begin{bmatrix}\n${rows.join(' \\\\\n')}\n\\end{bmatrix}`);
    }
    return out;
  }

  // ---- the whole text ----

  /** The rows of `aligned`, each a logical row (a broken equation or a matrix spans several lines). */
  print(): string[] {
    const top: Ctx = { rename: new Map(), sub: () => [] };
    this.emitEquations(this.p.equations, top);
    // Outputs that are not the value of an equation under their own name.
    this.p.outputs.forEach((port, i) => {
      const id = port.tensor.id;
      const n = this.names.get(id)!;
      const want = this.outputSymbol(i);
      if (show(n) !== want) this.emitRow(want, atom(show(n)));
    });
    const lines: string[] = [];
    const lhsWidth = Math.max(0, ...this.rows.map((r) => (typeof r === 'string' ? 0 : texWidth(r.lhs))));
    const budget = 0.9 * (this.width - lhsWidth - 20);
    for (const r of this.rows) {
      if (typeof r === 'string') {
        lines.push(`&${r}`);
        continue;
      }
      lines.push(`${r.lhs} &= ${this.breakRow(r.rhs, budget)}`);
    }
    lines.push(...this.whereBlock());
    lines.push(...this.matrices());
    return lines;
  }

  private breakRow(rhs: P, budget: number): string {
    if (!rhs.parts || texWidth(rhs.text) <= budget) return rhs.text;
    const rows: string[] = [];
    let cur = '';
    for (const part of rhs.parts) {
      if (cur && texWidth(cur + part) > budget) {
        rows.push(cur);
        cur = part;
      } else cur += part;
    }
    rows.push(cur);
    // Continuation rows start with the operator: `&\quad + …`.
    return rows.map((r, i) => (i === 0 ? r : `\\quad ${r.trimStart()}`)).join(' \\\\\n&');
  }

  /** --inputs / --outputs: each input and output defined by its named elements, `\mathbf{x} = (\mathrm{cylinders}, …)^\top`. */
  private namedElements(): string[] {
    const rows: string[] = [];
    const word = (n: string) => (n.length === 1 ? n : `\\mathrm{${n}}`);
    const names = portNames(this.p, this.opts);
    const define = (symbol: string, rank: number, list: readonly string[]) => {
      // A matrix or higher tensor is listed flattened row-major: vec(X). Plain parentheses: a long list spans rows.
      let line = `\\quad ${rank > 1 ? `\\operatorname{vec}\\left(${symbol}\\right)` : symbol} = (`;
      list.forEach((n, k) => {
        const piece = `${word(n)}${k < list.length - 1 ? ',' : `)^{\\top}${rank > 1 ? '\\text{ (row-major)}' : ''}`}`;
        if (k > 0 && texWidth(`${line} ${piece}`) > 0.85 * this.width) {
          rows.push(line);
          line = `\\qquad ${piece}`;
        } else line += k > 0 ? ` ${piece}` : piece;
      });
      rows.push(line);
    };
    names.inputs?.forEach((list, i) => define(this.nameOf(this.p.inputs[i].tensor.id), this.p.inputs[i].tensor.shape.length, list));
    names.outputs?.forEach((list, i) => define(this.outputSymbol(i), this.p.outputs[i].tensor.shape.length, list));
    return rows;
  }

  /** Rows saying which output of the file each output symbol is, as many per row as fit the page. */
  private namedOutputs(): string[] {
    const rows: string[] = [];
    const items = this.p.outputs.map((port, i) => `${this.outputSymbol(i)} \\text{ is ${this.p.outputs.length > 1 ? 'output' : 'the output'} } ${fileName(port.name)}`);
    let line = '\\quad ';
    items.forEach((item, k) => {
      const piece = `${item}${k < items.length - 1 ? ',' : ''}`;
      if (k > 0 && texWidth(line + piece) > 0.85 * this.width) {
        rows.push(line);
        line = '\\quad ';
      } else if (k > 0) line += '\\ ';
      line += piece;
    });
    rows.push(line);
    return rows;
  }

  /** How the equations call output `i`: \mathbf{y}, or \mathbf{y}_{i} of several. */
  private outputSymbol(i: number): string {
    const letter = this.p.outputs[i].tensor.shape.length > 1 ? 'Y' : 'y';
    return this.p.outputs.length > 1 ? `\\mathbf{${letter}}_{${i + 1}}` : `\\mathbf{${letter}}`;
  }

  private whereBlock(): string[] {
    const rows: string[] = [];
    const ins = this.p.inputs.map((port) => {
      const dims = port.tensor.shape.map((d) => (d === -1 ? 'T' : `${d}`));
      // An integer input ranges over ℤ, a bool input over {0, 1} (its values as numbers).
      const dtype = this.p.tensors[port.tensor.id].dtype;
      const set = dtype === 'bool' ? '\\{0, 1\\}' : dtype !== undefined && isInteger(dtype) ? '\\mathbb{Z}' : '\\mathbb{R}';
      // A name from the file (a graph model's signature) says which input it is.
      const named = this.opts.namedPorts && !this.opts.inputNames ? ` \\ (${fileName(port.name)})` : '';
      return `${this.nameOf(port.tensor.id)} \\in ${set}^{${dims.join('\\times ') || '1'}}${named}`;
    });
    const tail = ` \\text{ ${this.p.inputs.length > 1 ? 'are the inputs' : 'is the input'}${this.p.inputs.some((p) => p.tensor.shape[0] === -1) ? ' (any number } T \\text{ of time steps)' : ''}}`;
    // Many inputs: as many declarations per row as fit the page.
    let line = '\\text{where } ';
    ins.forEach((d, k) => {
      const piece = `${d}${k < ins.length - 1 ? ',' : tail}`;
      if (k > 0 && texWidth(line + piece) > 0.85 * this.width) {
        rows.push(line);
        line = '\\quad ';
      } else if (k > 0) line += '\\ ';
      line += piece;
    });
    rows.push(line);
    if (this.opts.namedPorts && !this.opts.outputNames) rows.push(...this.namedOutputs());
    rows.push(...this.namedElements());
    const gates = Object.keys(GATE_MEANING).filter((g) => this.gates.has(g));
    for (let k = 0; k < gates.length; k += 3) {
      const items = gates.slice(k, k + 3).map((g) => `${show({ letter: g === 'hh' ? 'h' : g, tilde: g === 'hh', bold: true, arrow: false, sub: ['t'] })} \\text{ ${GATE_MEANING[g]}}`);
      rows.push(`\\quad ${items.join(',\\ ')}${k + 3 >= gates.length ? '\\text{ (at step } t\\text{)}' : ','}`);
    }
    if (this.backwardConsts.size > 0) rows.push('\\quad \\overleftarrow{\\cdot} \\text{ marks the backward direction of a bidirectional layer}');
    if (this.sigma) rows.push('\\quad \\sigma(z) = \\frac{1}{1 + e^{-z}}');
    for (const d of this.defs.values()) for (const r of d.rows) rows.push(r.startsWith('\\quad') ? `\\quad${r}` : `\\quad ${r}`);
    if (this.notes.has('odot')) rows.push('\\quad \\odot \\text{ is the element-wise product; vectors broadcast along trailing axes}');
    if (this.notes.has('matmul')) rows.push('\\quad W X \\text{ applies } W \\text{ to the last axis of } X \\text{ at every other index}');
    if (this.notes.has('batched')) rows.push('\\quad A B \\text{ of two computed tensors multiplies the matrices of their last two axes at every index of the leading axes}');
    if (this.notes.has('fmod')) rows.push('\\quad \\operatorname{fmod}(a, b) = a - b \\operatorname{trunc}(a / b) \\text{ element-wise, the remainder with the sign of } a \\text{ (C\'s fmod)}');
    if (this.notes.has('slice')) rows.push('\\quad X_{[a:b]} \\text{ keeps indices } a, \\ldots, b - 1 \\text{ (from 0)}');
    if (this.notes.has('gather')) rows.push('\\quad E[\\mathbf{i}] \\text{ is row } i \\text{ (from 0, truncated to an integer) of } E \\text{ for each id}');
    if (this.elementwise) rows.push('\\quad \\text{functions of one number apply to each element}');
    if (this.transposed.size > 0) rows.push('\\quad W_{j,i} \\text{ is the weight from input } i \\text{ to unit } j \\text{ (from 0)}');
    return rows.map((r) => `&${r}`);
  }
}

/** How a body's tensors print: names bound per step, and subscripts added to names. */
interface Ctx {
  readonly rename: Map<TensorId, string>;
  sub(id: TensorId): readonly string[];
}

/** Rows per align* of a --standalone document: amsmath reads a whole align* as one argument, so blocks keep a large model within TeX's memory. */
const ALIGN_ROWS = 120;

function alignBlocks(rows: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += ALIGN_ROWS) out.push('\\begin{align*}', rows.slice(i, i + ALIGN_ROWS).join(' \\\\\n'), '\\end{align*}');
  return out;
}

/** LaTeX's tensor form (issue 9): display-math `aligned` content, or a complete A4 document. */
export const latexTensor: TensorEmitter = {
  emit(program: TensorProgram, opts: EmitOptions): string {
    const rows = new LatexTensorPrinter(program, opts).print();
    const notes = (opts.notes ?? []).map((n) => `% ${n}\n`).join('');
    if (!opts.standalone) return `${notes}\\begin{aligned}\n${rows.join(' \\\\\n')}\n\\end{aligned}\n`;
    const columns = Math.max(0, ...rows.flatMap((r) => r.split('\n')).filter((l) => l.includes('\\begin{bmatrix}') || !l.includes('&=')).map((l) => l.split(' & ').length));
    return [
      '\\documentclass[a4paper]{article}',
      '\\usepackage[margin=2cm]{geometry}',
      '\\usepackage{amsmath,amssymb}',
      // amsmath's matrices hold 10 columns unless told more (a vector of 16 short numbers prints on one row).
      ...(columns > 10 ? [`\\setcounter{MaxMatrixCols}{${columns}}`] : []),
      '\\allowdisplaybreaks',
      '\\begin{document}',
      `% Generated by nn2eq from model '${opts.modelName.replace(/[%\\{}\n]/g, '')}' (tensor form).`,
      ...(opts.notes ?? []).map((n) => `% ${n}`),
      ...alignBlocks(rows),
      '\\end{document}',
      '',
    ].join('\n');
  },
};

/** (z_{1}, z_{1}^{2}, z_{1} z_{2}, …): the monomials of `exponents`, the middle elided past 16. */
function monomialList(exponents: readonly (readonly number[])[]): string {
  const term = (e: readonly number[]) => e.map((k, i) => (k === 0 ? '' : k === 1 ? `z_{${i + 1}}` : `z_{${i + 1}}^{${k}}`)).filter(Boolean).join(' ') || '1';
  const shown = exponents.length <= 16 ? exponents.map(term) : [...exponents.slice(0, 12).map(term), '\\ldots', ...exponents.slice(-2).map(term)];
  return `\\left(${shown.join(', ')}\\right)`;
}
