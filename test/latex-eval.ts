/**
 * A numeric route for the LaTeX form: KaTeX's own parse tree of the emitted `aligned` block,
 * evaluated in float64. Rows are evaluated in order (continuation rows `&\quad + …` join the row
 * above); the "where" block ends the equations. It knows only what a reader would: \sigma is the
 * logistic function, \tanh is tanh, so printing one for the other fails the comparison.
 */
import katex from 'katex';

type KNode = { type: string; [k: string]: unknown };

const parse = (katex as unknown as { __parse(tex: string, opts: object): KNode[] }).__parse;

/** A canonical key of a name's parse tree (positions dropped). */
function key(n: KNode | KNode[]): string {
  return JSON.stringify(n, (k, v) => (k === 'loc' || k === 'mode' ? undefined : v));
}

/** The key of a name written in LaTeX, e.g. `y_{3}` or `\mathrm{mpg}`. */
export function nameKey(tex: string): string {
  const nodes = parse(tex, { displayMode: true, maxExpand: Infinity, strict: false });
  return key(nodes.length === 1 ? nodes[0] : nodes);
}

function cellBody(cell: KNode): KNode[] {
  // A cell is styling > ordgroup > tokens.
  let n: KNode = cell;
  while (n.type === 'styling') n = (n.body as KNode[])[0] ?? { type: 'ordgroup', body: [] };
  return n.type === 'ordgroup' ? (n.body as KNode[]) : [n];
}

/** Evaluates every row of `tex` for the named inputs; returns the value of every bound name. */
export function evaluateLatex(tex: string, inputs: Map<string, number>): Map<string, number> {
  const tree = parse(tex, { displayMode: true, maxExpand: Infinity, strict: false, throwOnError: true });
  const array = tree.find((n) => n.type === 'array');
  if (!array) throw new Error('latex-eval: no aligned block');
  const rows: [lhs: KNode[], rhs: KNode[]][] = [];
  for (const row of array.body as KNode[][]) {
    if (row.length < 2) continue;
    const lhs = cellBody(row[0]);
    let rhs = cellBody(row[1]).filter((n) => !(n.type === 'ordgroup' && (n.body as KNode[]).length === 0));
    if (rhs.some((n) => n.type === 'text')) break;
    if (lhs.length === 0) {
      // A continuation row: drop its indent and append its terms to the row above.
      rhs = rhs.filter((n) => n.type !== 'kern');
      rows[rows.length - 1][1].push(...rhs);
      continue;
    }
    if (!(rhs[0]?.type === 'atom' && rhs[0].text === '=')) throw new Error(`latex-eval: row without '=': ${key(lhs)}`);
    rows.push([lhs, rhs.slice(1)]);
  }
  const values = new Map(inputs);
  const tables = new Map<string, number[]>();
  for (const [lhs, rhs] of rows) {
    const name = lhs[0];
    if (isTableRow(name)) {
      tables.set(key(name), tuple(rhs, values, tables));
      continue;
    }
    values.set(key(lhs.length === 1 ? lhs[0] : lhs), new Expr(rhs, values, tables).all());
  }
  return values;
}

function isTableRow(n: KNode): boolean {
  if (n.type !== 'supsub' || (n.base as KNode).text !== 'E' || !n.sub) return false;
  return !(n.sub as { body: KNode[] }).body.some((t) => t.type === 'atom' && t.family === 'punct');
}

/** `\bigl(a, b, c\bigr)`: the numbers of a table row. */
function tuple(rhs: KNode[], values: Map<string, number>, tables: Map<string, number[]>): number[] {
  const inner = rhs.filter((n) => n.type !== 'delimsizing');
  const out: number[] = [];
  let part: KNode[] = [];
  for (const n of [...inner, { type: 'atom', family: 'punct', text: ',' } as KNode]) {
    if (n.type === 'atom' && n.family === 'punct') {
      out.push(new Expr(part, values, tables).all());
      part = [];
    } else part.push(n);
  }
  return out;
}

const FUNCTIONS: Record<string, (a: number) => number> = {
  '\\tanh': Math.tanh,
  '\\ln': Math.log,
  '\\sigma': (z) => 1 / (1 + Math.exp(-z)),
  erf: erf,
};

/** A recursive-descent evaluator over one token list. */
class Expr {
  private i = 0;
  constructor(
    private readonly tokens: KNode[],
    private readonly values: Map<string, number>,
    private readonly tables: Map<string, number[]>,
  ) {}

  all(): number {
    const v = this.sum();
    if (this.i !== this.tokens.length) throw new Error(`latex-eval: unexpected ${key(this.tokens[this.i])}`);
    return v;
  }

  private peek(): KNode | undefined {
    return this.tokens[this.i];
  }

  private isBin(n: KNode | undefined, ...ops: string[]): boolean {
    return n !== undefined && n.type === 'atom' && (n.family === 'bin' || n.family === 'ord') && ops.includes(n.text as string);
  }

  private sum(): number {
    let sign = 1;
    while (this.isBin(this.peek(), '+', '-')) sign *= this.tokens[this.i++].text === '-' ? -1 : 1;
    let v = sign * this.product();
    while (this.isBin(this.peek(), '+', '-')) {
      const s = this.tokens[this.i++].text === '-' ? -1 : 1;
      v += s * this.product();
    }
    return v;
  }

  private product(): number {
    let v = this.factor();
    for (;;) {
      const n = this.peek();
      if (n === undefined || this.isBin(n, '+', '-') || (n.type === 'atom' && (n.family === 'punct' || n.family === 'rel'))) return v;
      if (this.isBin(n, '\\cdot')) this.i++;
      v *= this.factor();
    }
  }

  private factor(): number {
    const n = this.tokens[this.i++];
    if (n === undefined) throw new Error('latex-eval: expression ends early');
    if (n.type === 'kern') return this.factor();
    if (n.type === 'textord' && /^[\d.]$/.test(n.text as string)) return this.number(n.text as string);
    if (n.type === 'textord' && n.text === '\\infty') return Infinity;
    if (n.type === 'leftright' && n.left === '\\{') return this.cases(n);
    if (n.type === 'leftright') return this.group(n);
    if (n.type === 'delimsizing' && n.mclass === 'mopen') return this.group(this.sized(n));
    if (n.type === 'genfrac') return this.sub(n.numer as KNode) / this.sub(n.denom as KNode);
    if (n.type === 'sqrt') return Math.sqrt(this.sub(n.body as KNode));
    if (n.type === 'op' || (n.type === 'mathord' && n.text === '\\sigma') || n.type === 'operatorname') {
      const fname = n.type === 'operatorname' ? (n.body as KNode[]).map((t) => t.text).join('') : ((n.name ?? n.text) as string);
      let arg = this.tokens[this.i++];
      if (arg?.type === 'delimsizing' && arg.mclass === 'mopen') arg = this.sized(arg);
      if (arg?.type !== 'leftright') throw new Error(`latex-eval: ${fname} without an argument`);
      const args = split(arg.body as KNode[]).map((p) => new Expr(p, this.values, this.tables).all());
      if (fname === '\\max') return args.some(Number.isNaN) ? NaN : Math.max(...args);
      if (fname === '\\min') return args.some(Number.isNaN) ? NaN : Math.min(...args);
      const f = FUNCTIONS[fname];
      if (!f || args.length !== 1) throw new Error(`latex-eval: unknown function ${fname}`);
      return f(args[0]);
    }
    if (n.type === 'font' && n.font === 'mathbf') {
      // \mathbf{1}\left[a > b\right]: 1 where the relation holds.
      let arg = this.tokens[this.i++];
      if (arg?.type === 'delimsizing' && arg.mclass === 'mopen') arg = this.sized(arg);
      return this.holds(arg.body as KNode[]) ? 1 : 0;
    }
    if (n.type === 'supsub') return this.supsub(n);
    if (n.type === 'font' && n.font === 'mathrm' && key(n.body as KNode).includes('"N"')) return NaN;
    if (n.type === 'ordgroup') return this.sub(n);
    return this.name(n);
  }

  /** a > b, a \ge b, a = b or a \ne b, as IEEE 754 compares (false with a NaN side, but ≠). */
  private holds(body: KNode[]): boolean {
    const at = body.findIndex((t) => (t.type === 'atom' && t.family === 'rel') || t.type === 'htmlmathml');
    if (at < 0) throw new Error(`latex-eval: no relation in ${key(body)}`);
    const a = new Expr(body.slice(0, at), this.values, this.tables).all();
    const b = new Expr(body.slice(at + 1), this.values, this.tables).all();
    const rel = body[at].type === 'htmlmathml' ? '\\ne' : (body[at].text as string);
    const f: Record<string, (x: number, y: number) => boolean> = { '>': (x, y) => x > y, '\\ge': (x, y) => x >= y, '=': (x, y) => x === y, '\\ne': (x, y) => x !== y };
    if (!f[rel]) throw new Error(`latex-eval: unknown relation ${rel}`);
    return f[rel](a, b);
  }

  /** \begin{cases} a & \text{if } relation \\ b & \text{otherwise} \end{cases}: the first row whose condition holds. */
  private cases(n: KNode): number {
    const array = (n.body as KNode[]).find((t) => t.type === 'array');
    if (!array) throw new Error('latex-eval: cases without rows');
    for (const row of array.body as KNode[][]) {
      const cond = cellBody(row[1]);
      const words = cond[0]?.type === 'text' ? (cond[0].body as KNode[]).map((t) => t.text).join('').trim() : '';
      if (words === 'otherwise' || (words === 'if' && this.holds(cond.slice(1)))) return new Expr(cellBody(row[0]), this.values, this.tables).all();
    }
    throw new Error('latex-eval: no case holds');
  }

  /** `\bigl( … \bigr)` (--inline, possibly across rows) as the group \left( … \right) would be. */
  private sized(open: KNode): KNode {
    const body: KNode[] = [];
    for (let depth = 0; ; ) {
      const t = this.tokens[this.i++];
      if (t === undefined) throw new Error('latex-eval: \\bigl without \\bigr');
      if (t.type === 'delimsizing' && t.mclass === 'mclose' && depth === 0) return { type: 'leftright', body, left: open.delim, right: t.delim };
      if (t.type === 'delimsizing') depth += t.mclass === 'mopen' ? 1 : -1;
      body.push(t);
    }
  }

  private number(first: string): number {
    let text = first;
    for (;;) {
      const n = this.peek();
      if (n?.type === 'textord' && /^[\d.]$/.test(n.text as string)) {
        text += n.text;
        this.i++;
      } else if (n?.type === 'supsub' && (n.base as KNode).type === 'textord' && /^\d$/.test((n.base as KNode).text as string) && !n.sub) {
        // 10^{-7}: the last digit carries the power.
        this.i++;
        return Math.pow(Number(text + (n.base as KNode).text), this.sub(n.sup as KNode));
      } else return Number(text);
    }
  }

  private group(n: KNode): number {
    const v = new Expr(n.body as KNode[], this.values, this.tables).all();
    return n.left === '|' ? Math.abs(v) : v;
  }

  private sub(n: KNode): number {
    return new Expr(n.type === 'ordgroup' ? (n.body as KNode[]) : [n], this.values, this.tables).all();
  }

  private supsub(n: KNode): number {
    const base = n.base as KNode;
    if (base.type === 'mathord' && base.text === 'E' && n.sub) {
      // E^{(k)}_{index, column}: a table lookup, row trunc(index), column from 1.
      const parts = split((n.sub as KNode).body as KNode[]);
      const index = Math.trunc(new Expr(parts[0], this.values, this.tables).all());
      const column = new Expr(parts[1], this.values, this.tables).all();
      const row = this.tables.get(key({ type: 'supsub', base, sup: n.sup, sub: { type: 'ordgroup', body: [{ type: 'textord', text: String(index) }] } } as KNode));
      return row ? row[column - 1] : NaN;
    }
    if (n.sub) return this.name(n);
    if (base.type === 'mathord' && base.text === 'e') return Math.exp(this.sub(n.sup as KNode));
    return Math.pow(this.sub(base), this.sub(n.sup as KNode));
  }

  private name(n: KNode): number {
    const v = this.values.get(key(n));
    if (v === undefined) throw new Error(`latex-eval: ${key(n)} is used before it is defined`);
    return v;
  }
}

/** Splits tokens at top-level commas (not inside a \\bigl( … \\bigr) group). */
function split(tokens: KNode[]): KNode[][] {
  const out: KNode[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.type === 'delimsizing') depth += t.mclass === 'mopen' ? 1 : t.mclass === 'mclose' ? -1 : 0;
    if (t.type === 'atom' && t.family === 'punct' && depth === 0) out.push([]);
    else out[out.length - 1].push(t);
  }
  return out;
}

/** erf by its Maclaurin series near 0 and a continued fraction outside (float64 accurate to ~1e-15). */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …))))
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (a + f);
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
  return Math.sign(x) * (1 - erfc);
}
