import type { Hint, NodeId, ParamTensor } from '../../ir/graph.js';
import { Prec } from '../../ir/ops.js';
import { schedule, type Name, type Program } from '../../schedule.js';
import { tableRows, usedFunctions } from '../common.js';
import { formatNumber } from '../number.js';
import { render, type Syntax } from '../render.js';
import type { EmitOptions, Emitter } from '../types.js';
import { fileName, GATE_MEANING, TEX_FUNCTIONS, TEX_NUMBERS, TEX_RELATIONS, texBool, texCases, texFunctions } from './syntax.js';

/**
 * Default --terms-per-line. Four terms of a full-precision float32 weight times a name
 * (about 75 pt each at 10 pt) fill A4 article's 345 pt text width next to a left-hand side;
 * with --precision the cap keeps rows short enough to read. Lines also break earlier when the
 * estimated width would pass the page.
 */
export const DEFAULT_TERMS_PER_LINE = 4;

/** Text width of A4 `article` at 10 pt, in TeX points: every row must fit it. */
export const PAGE_WIDTH_PT = 345;

/**
 * Constants of the formula printed as symbols, defined once in rows of their own: SELU's λ and α
 * (Klambauer et al. 2017, as Keras and TF.js store them in float64) and their product.
 */
const CONSTANTS: readonly { value: number; symbol: string; define?: string }[] = [
  { value: 1.0507009873554805, symbol: '\\lambda', define: '\\lambda' },
  { value: 1.6732632423543772, symbol: '\\alpha', define: '\\alpha' },
  { value: 1.0507009873554805 * 1.6732632423543772, symbol: '\\lambda \\alpha' },
];

/** Rows per align* environment of a --standalone document. */
const ALIGN_ROWS = 200;

/** What a hint symbol stands for in the "where" block: a gate's letter, or one of the scalar form's own values. */
const HINT_MEANING: Record<string, string> = { ...GATE_MEANING, e: 'exponential in the softmax', a: 'pre-activation (weighted sum)' };

function userName(s: string): string {
  return s.length === 1 ? s : `\\mathrm{${s}}`;
}

/** LaTeX names of the symbolic weight tensors (--weights symbolic): W^{(k)}, b^{(k)}, \gamma^{(k)}, …; a repeat gets a prime. */
function paramSymbols(params: readonly ParamTensor[]): Map<ParamTensor, string> {
  const out = new Map<ParamTensor, string>();
  const seen = new Map<string, number>();
  for (const t of params) {
    const letter = TEX_GREEK[t.role] ?? (t.role.length === 1 ? t.role : `\\mathrm{${t.role}}`);
    const key = `${letter}|${t.layer}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    out.set(t, `${letter}^{(${t.layer})${"'".repeat(k)}}`);
  }
  return out;
}

const TEX_GREEK: Record<string, string> = { gamma: '\\gamma', beta: '\\beta', alpha: '\\alpha' };

/**
 * A gate's input projection (schedule's `a.g`, or the parts `x.g` and `h.g` of one): printed
 * a^{(k)}_{g,t=s,j}, \hat{x}^{(k)}_{g,t=s,j} or \hat{h}^{(k)}_{g,t=s,j}.
 */
function gateOf(h: Hint): { symbol: string; gate: string } | undefined {
  const m = /^([axh])\.(.+)$/.exec(h.symbol);
  if (!m) return undefined;
  const letter = m[1] === 'a' ? 'a' : `\\hat{${m[1]}}`;
  return { symbol: h.backward ? `\\overleftarrow{${letter}}` : letter, gate: m[2] === 'hh' ? '\\tilde{h}' : m[2] };
}

/** A gate times a state inside a step (scalarize's `r*h` hint, GRU's r ⊙ h_{t−1}): `r \odot h`. */
function gatedOf(h: Hint): string | undefined {
  if (!h.symbol.includes('*')) return undefined;
  return h.symbol.split('*').map((x) => hintSymbol({ ...h, symbol: x })).join(' \\odot ');
}

function hintSymbol(h: Hint): string {
  const s = h.symbol === 'hh' ? '\\tilde{h}' : h.symbol.length === 1 ? h.symbol : `\\mathrm{${h.symbol}}`;
  return h.backward ? `\\overleftarrow{${s}}` : s;
}

/** Display-math `aligned` content (KaTeX and amsmath), or a complete document with --standalone. */
export const latex: Emitter = {
  description: 'LaTeX aligned equations (KaTeX / amsmath); --standalone for a document',
  extension: 'tex',
  textbook: true,
  supports: TEX_FUNCTIONS,
  reserved: new Set(),
  symbolicWeights: true,
  emit(shared: Program, opts: EmitOptions): string {
    const perLine = opts.termsPerLine ?? DEFAULT_TERMS_PER_LINE;
    const name = (n: Name): string => {
      switch (n.kind) {
        case 'input':
          return opts.inputNames ? userName(opts.inputNames[n.index]) : `x_{${n.index + 1}}`;
        case 'output':
          return opts.outputNames ? userName(opts.outputNames[n.index]) : `y_{${n.index + 1}}`;
        case 'hidden': {
          if (!n.state) return `h^{(${n.layer})}_{${n.index}}`;
          const s = n.state.symbol;
          const sym = s.endsWith('b') ? `\\overleftarrow{${s[0]}}` : s;
          return `${sym}^{(${n.layer})}_{t=${n.state.step},${n.index}}`;
        }
        case 'temp': {
          const h = n.hint;
          if (!h) return `t_{${n.index}}`;
          const gate = gateOf(h);
          if (gate) return `${gate.symbol}^{(${h.layer})}_{${gate.gate},t=${h.step},${h.index}}`;
          const gated = gatedOf(h);
          if (gated) return `\\left(${gated}\\right)^{(${h.layer})}_{t=${h.step},${h.index}}`;
          return `${hintSymbol(h)}^{(${h.layer})}_{${h.step === undefined ? '' : `t=${h.step},`}${h.index}}`;
        }
      }
    };
    const constantsUsed = new Set<number>();
    const symbols = paramSymbols(shared.graph.params);
    const paramText = new RegExp(`^(${[...symbols.values()].map((v) => v.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')).join('|') || '(?!)'})(_\\{[\\d,]+\\})?$`);
    // --inline rows are one closed form each: fixed-size parentheses, so that a line may break
    // inside them, at the marked terms of any sum not inside braces.
    const [L, R] = opts.inline ? ['\\bigl', '\\bigr'] : ['\\left', '\\right'];
    const syntax: Syntax = {
      constant: (v) => {
        const c = CONSTANTS.find((k) => k.value === v);
        if (!c) return undefined;
        constantsUsed.add(c.value);
        return { text: c.symbol, prec: c.define ? Prec.Atom : Prec.Mul };
      },
      numbers: TEX_NUMBERS,
      scientificPrec: Prec.Mul,
      name,
      // A thin space keeps a coefficient off a word: 0.589\,\mathrm{cylinders}.
      times: (term) => (term.startsWith('\\mathrm') ? '\\,' : ' '),
      // A symbolic weight times a value: W^{(1)}_{1,2} x_{1}, as in W x.
      mul: (a, b) => (paramText.test(a) ? `${a} ${b}` : `${a} \\cdot ${b}`),
      div: (a, b) => `\\frac{${a}}{${b}}`,
      divParens: false,
      pow: (a, b) => `{${a}}^{${b}}`,
      lookup: (t, index, column) => `E^{(${t + 1})}_{${index.text},${column + 1}}`,
      param: (t, idx) => `${symbols.get(t)!}${idx.length ? `_{${idx.map((i) => i + 1).join(',')}}` : ''}`,
      functions: texFunctions(L, R),
      compare: (op, a, b) => `${a.text} ${TEX_RELATIONS[op]} ${b.text}`,
      bool: texBool(L, R),
      select: (c, a, b) => texCases(c, a.text, b.text),
      termBreak: opts.inline ? BREAK : undefined,
    };
    // The reader's let form: every layer's outputs and every hinted value bound. A row still too
    // wide for the page gets the largest sum inside it bound on a row of its own, where it can
    // break; a few rounds settle even nested functions (hard sigmoid: min(1, max(0, 0.2 (…) + 0.5))).
    const graph = shared.graph;
    const split = new Set<NodeId>();
    let program: Program;
    let lines: string[];
    for (let round = 0; ; round++) {
      program = schedule(graph, shared.inputs, shared.outputs, shared.outputIds, opts.inline, { everyLabel: true, hints: true, longSum: (id) => split.has(id) });
      const r = render(program, syntax, { ...opts, open: `${L}(`, close: `${R})`, terms: true });
      const rows: [lhs: string, rhs: string, terms: readonly string[] | undefined, root: NodeId][] = [];
      if (constantsUsed.has(CONSTANTS[2].value)) constantsUsed.add(CONSTANTS[0].value).add(CONSTANTS[1].value);
      for (const c of CONSTANTS) if (c.define && constantsUsed.has(c.value)) rows.push([c.define, formatNumber(c.value, TEX_NUMBERS, opts.precision), undefined, -1]);
      program.graph.tables.forEach((t, i) => {
        tableRows(t, TEX_NUMBERS, opts.precision).forEach((row, k) => {
          const cells = row.map((c, j) => `${j === 0 ? '\\bigl(' : ' '}${c}${j === row.length - 1 ? '\\bigr)' : ','}`);
          rows.push([`E^{(${i + 1})}_{${k}}`, cells.join(''), cells, -1]);
        });
      });
      r.bindings.forEach((b, i) => rows.push([name(b.name), b.text, b.terms, program.bindings[i]]));
      r.outputs.forEach((t, i) => rows.push([name({ kind: 'output', index: i }), t, r.outputTerms[i], program.outputIds[i]]));
      const lhsWidth = Math.max(0, ...rows.map(([lhs]) => texWidth(lhs)));
      // '=' and its spaces, and a margin for the estimate's error.
      const budget = 0.92 * (PAGE_WIDTH_PT - lhsWidth - 14);
      const wide: NodeId[] = [];
      lines = rows.map(([lhs, rhs, terms, root]) => {
        // A table row is numbers only: twice as many fit a line.
        const parts = opts.inline ? breakTerms(breakPoints(rhs), perLine, budget) : terms ? (root < 0 ? breakTerms(terms, 2 * perLine, budget, true) : breakTerms(terms, perLine, budget)) : [rhs];
        if (root >= 0 && parts.some((p) => texWidth(p) > budget)) wide.push(root);
        return `${lhs} &= ${parts.join(' \\\\\n&')}`;
      });
      let added = 0;
      for (const root of wide) {
        const inner = largestInside(program, root);
        if (inner !== undefined && !split.has(inner)) {
          split.add(inner);
          added++;
        }
      }
      if (added === 0 || round >= 16 || opts.inline) break;
    }
    lines.push(...whereBlock(program!, opts, constantsUsed.size > 0));
    // Notes are % comment lines: before the aligned block, or after the title comment of a document.
    const notes = (opts.notes ?? []).map((note) => `% ${note}\n`).join('');
    if (!opts.standalone) return `${notes}\\begin{aligned}\n${lines.join(' \\\\\n')}\n\\end{aligned}\n`;
    // amsmath reads a whole align* as one macro argument: blocks of ALIGN_ROWS rows keep a large
    // model within TeX's memory; \allowdisplaybreaks lets each block break across pages.
    const blocks: string[] = [];
    for (let i = 0; i < lines.length; i += ALIGN_ROWS) blocks.push('\\begin{align*}', lines.slice(i, i + ALIGN_ROWS).join(' \\\\\n'), '\\end{align*}');
    return [
      '\\documentclass[a4paper]{article}',
      '\\usepackage{amsmath}',
      '\\allowdisplaybreaks',
      '\\begin{document}',
      `% Generated by nn2eq from model '${opts.modelName.replace(/[%\\{}]/g, '')}' (scalar form).`,
      ...(opts.notes ?? []).map((note) => `% ${note}`),
      ...blocks,
      '\\end{document}',
      '',
    ].join('\n');
  },
};

/** Marks a place where an --inline row may break (before a term of a sum). */
const BREAK = '\u0001';

/** An --inline row cut at its marks outside braces (a line cannot break inside a group), marks dropped. */
function breakPoints(rhs: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < rhs.length; i++) {
    const c = rhs[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === BREAK && depth === 0) {
      out.push(rhs.slice(start, i));
      start = i + 1;
    }
  }
  out.push(rhs.slice(start));
  return out.map((p) => p.replaceAll(BREAK, ''));
}

/**
 * Joins the terms of a sum (each with its sign: " + 2 x") into lines of at most `perLine` terms
 * and about `budget` points, continued on the next row with `&\quad + …`. A constant (the bias)
 * does not count as a term, so it stays on the last line when it fits.
 */
function breakTerms(terms: readonly string[], perLine: number, budget: number, numbers = false): string[] {
  const out: string[] = [];
  let line = '';
  let count = 0;
  let width = 0;
  for (const t of terms) {
    const w = texWidth(t);
    const counts = numbers || /[A-Za-z]/.test(t.replace(/\\cdot 10\^\{-?\d+\}/, ''));
    if (line !== '' && ((counts && count >= perLine) || width + w > budget)) {
      out.push(line);
      line = '';
      count = 0;
      width = 10;
    }
    line += line === '' && out.length > 0 ? `\\quad ${t.trimStart()}` : t;
    width += w;
    if (counts) count++;
  }
  out.push(line);
  return out;
}

/**
 * The sum inside row `root` (not bound already) to give a row of its own: the affine sum of most
 * terms, else the sub-expression nearest half the row's size (a chain of max splits in halves);
 * undefined when the row has nothing left to split.
 */
function largestInside(program: Program, root: NodeId): NodeId | undefined {
  const { graph, names } = program;
  const size = new Map<NodeId, number>();
  const measure = (id: NodeId): number => {
    const n = graph.nodes[id];
    if (n.op === 'input' || n.op === 'const' || n.op === 'param' || (id !== root && names.has(id))) return 1;
    let s = size.get(id);
    if (s !== undefined) return s;
    s = 1 + (n.coefs?.length ?? 0);
    for (const a of n.args) s += measure(a);
    size.set(id, s);
    return s;
  };
  measure(root);
  let best: NodeId | undefined;
  let bestTerms = 1;
  let half: NodeId | undefined;
  const target = size.get(root)! / 2;
  for (const [id, s] of size) {
    if (id === root) continue;
    const n = graph.nodes[id];
    const terms = n.op === 'affine' ? n.coefs!.length + (n.value !== 0 ? 1 : 0) : 0;
    if (terms > bestTerms) [best, bestTerms] = [id, terms];
    if (half === undefined || Math.abs(s - target) < Math.abs(size.get(half)! - target)) half = id;
  }
  return best ?? half;
}

/** The scalars of a port named after it: `x_{3} is input a`, `x_{1}, …, x_{9} are the elements of input a (row-major)`. */
function namedPort(letter: string, side: string, p: { name: string; offset: number; size: number }): string {
  const first = `${letter}_{${p.offset + 1}}`;
  if (p.size === 1) return `${first} \\text{ is ${side} } ${fileName(p.name)}`;
  return `${first}, \\ldots, ${letter}_{${p.offset + p.size}} \\text{ are the elements of ${side} } ${fileName(p.name)} \\text{ (row-major)}`;
}

/** The "where" block: every symbol and operator the equations use that a reader may not know. */
function whereBlock(program: Program, opts: EmitOptions, selu: boolean): string[] {
  const items: string[] = [];
  const used = usedFunctions(program);
  const ops = new Set<string>();
  for (let id = 0; id < program.graph.size; id++) if (program.live[id]) ops.add(program.graph.nodes[id].op);
  const kinds = new Set<string>();
  const hints = new Map<string, Hint>();
  for (const n of program.names.values()) {
    if (n.kind === 'hidden') kinds.add(n.state ? `state-${n.state.symbol}` : 'hidden');
    else if (n.kind === 'temp' && n.hint) hints.set(`${n.hint.symbol}${n.hint.backward ? 'b' : ''}${n.hint.step === undefined ? '' : 't'}`, n.hint);
    else if (n.kind === 'temp') kinds.add('temp');
  }
  if (!opts.inputNames && opts.namedPorts) items.push(...program.inputs.map((p) => namedPort('x', 'input', p)));
  else if (!opts.inputNames && program.inputs.length > 0) items.push('x_{j} \\text{ is input } j \\text{ (all inputs, flattened row-major)}');
  if (!opts.outputNames && opts.namedPorts) items.push(...program.outputs.map((p) => namedPort('y', 'output', p)));
  else if (!opts.outputNames) items.push('y_{j} \\text{ is output } j');
  if (kinds.has('hidden')) items.push('h^{(k)}_{j} \\text{ is output } j \\text{ of layer } k');
  for (const s of ['h', 'c', 'hb', 'cb'] as const) {
    if (!kinds.has(`state-${s}`)) continue;
    const sym = s.endsWith('b') ? `\\overleftarrow{${s[0]}}` : s;
    items.push(`${sym}^{(k)}_{t=s,j} \\text{ is ${s[0] === 'h' ? 'hidden' : 'cell'} state } j \\text{ of layer } k \\text{ after step } s${s.endsWith('b') ? '\\text{ (backward)}' : ''}`);
  }
  for (const h of hints.values()) {
    const gate = gateOf(h);
    if (gate) {
      // The gate itself is defined on its own line of the where block: the value is named by its symbol only (the line fits A4).
      const what = { a: 'weighted sum', x: "inputs' weighted sum", h: "state's weighted sum" }[h.symbol[0]];
      items.push(`${gate.symbol}^{(k)}_{${gate.gate},t=s,j} \\text{ is the ${what} inside } ${hintSymbol({ ...h, symbol: h.symbol.slice(2) })}^{(k)}_{t=s,j}`);
      continue;
    }
    const gated = gatedOf(h);
    if (gated) {
      const [g, st] = h.symbol.split('*').map((x) => hintSymbol({ ...h, symbol: x }));
      items.push(`\\left(${gated}\\right)^{(k)}_{t=s,j} \\text{ is } ${g}^{(k)}_{t=s,j} \\, ${st}^{(k)}_{t=s-1,j}`);
      continue;
    }
    const sym = hintSymbol(h);
    const what = HINT_MEANING[h.symbol] ?? `value ${h.symbol}`;
    items.push(`${sym}^{(k)}_{${h.step === undefined ? '' : 't=s,'}j} \\text{ is the ${what} } j \\text{ of layer } k${h.step === undefined ? '' : ' \\text{ at step } s'}`);
  }
  if (program.graph.params.length > 0) {
    const symbols = paramSymbols(program.graph.params);
    for (const t of program.graph.params) {
      items.push(`${symbols.get(t)!} \\in \\mathbb{R}^{${t.shape.join('\\times ') || '1'}} \\text{ is the weight tensor ${t.role.replace(/[^A-Za-z0-9]/g, '')} of layer ${t.layer}${t.shape.length ? ', entries indexed from 1' : ''}}`);
    }
  }
  if (selu) items.push('\\lambda, \\alpha \\text{ are the SELU constants (Klambauer et al., 2017)}');
  if (kinds.has('temp')) items.push('t_{j} \\text{ is an intermediate value, defined once above}');
  if (program.graph.tables.length > 0) items.push('E^{(k)}_{r} \\text{ is row } r \\text{ of table } k \\text{ (by integer id, from 0)}', 'E^{(k)}_{r,j} \\text{ is entry } j \\text{ of that row}');
  if (used.has('sigmoid')) items.push('\\sigma(z) = \\frac{1}{1 + e^{-z}} \\text{ (logistic sigmoid)}');
  if (used.has('step')) items.push('\\mathbf{1}\\left[z > 0\\right] \\text{ is 1 when } z > 0 \\text{, else 0}');
  if (used.has('erf')) items.push('\\operatorname{erf}(z) = \\frac{2}{\\sqrt{\\pi}} \\int_{0}^{z} e^{-s^{2}} \\, ds');
  if (ops.has('max')) items.push('\\max\\left(a, b\\right) \\text{ is the larger of } a, b \\text{ (ReLU: } \\max\\left(0, z\\right)\\text{)}');
  if (ops.has('min')) items.push('\\min\\left(a, b\\right) \\text{ is the smaller of } a, b');
  if (ops.has('fmod')) items.push('\\operatorname{fmod}\\left(a, b\\right) = a - b \\operatorname{trunc}\\left(a / b\\right) \\text{, the remainder with the sign of } a \\text{ (C\'s fmod)}');
  if (items.length === 0) return [];
  return ['&\\text{where}', ...items.map((t) => `&\\quad ${t}`)];
}

const CHAR_PT: Record<string, number> = { '.': 2.8, ',': 4.5, '(': 3.9, ')': 3.9, '[': 2.8, ']': 2.8, '|': 2.8, ' ': 0, '+': 12.2, '-': 12.2, '=': 13.4, '>': 13.4, '<': 13.4, ':': 2.8 };
const COMMAND_PT: Record<string, number> = {
  cdot: 7.2, quad: 10, qquad: 20, ',': 1.7, ';': 2.8, sigma: 5.7, tanh: 20, ln: 9, max: 19, min: 17, infty: 10, pi: 5.7, int: 12,
  left: 0, right: 0, bigl: 0, bigr: 0, lambda: 5.8, alpha: 6.4,
};

/**
 * A rough width in TeX points of math text at 10 pt, to break lines before they pass the page:
 * digits 5 pt, letters 5.7 pt, binary operators with their spaces, scripts at 70 %.
 */
export function texWidth(tex: string): number {
  let i = 0;
  const group = (): string => {
    // The argument after a command or script mark: a braced group or one character/command.
    while (tex[i] === ' ') i++;
    if (tex[i] === '{') {
      let depth = 0;
      const start = i;
      for (; i < tex.length; i++) {
        if (tex[i] === '{') depth++;
        else if (tex[i] === '}' && --depth === 0) break;
      }
      i++;
      return tex.slice(start + 1, i - 1);
    }
    if (tex[i] === '\\') {
      const m = /^\\([A-Za-z]+|.)/.exec(tex.slice(i))!;
      i += m[0].length;
      return m[0];
    }
    return tex[i++] ?? '';
  };
  let w = 0;
  let lastScript = 0;
  while (i < tex.length) {
    const c = tex[i];
    if (c === '^' || c === '_') {
      i++;
      const s = 0.7 * texWidth(group());
      // A superscript and a subscript stack: only the wider one counts.
      w += lastScript > 0 ? Math.max(0, s - lastScript) : s;
      lastScript = lastScript > 0 ? 0 : s;
      continue;
    }
    lastScript = 0;
    if (c === '\\') {
      const m = /^\\([A-Za-z]+|.)/.exec(tex.slice(i))!;
      i += m[0].length;
      const cmd = m[1];
      if (cmd === 'frac') w += Math.max(texWidth(group()), texWidth(group())) + 2;
      else if (cmd === 'sqrt') w += texWidth(group()) + 8;
      else if (cmd === 'text') w += group().length * 5;
      else if (cmd === 'mathrm' || cmd === 'operatorname' || cmd === 'mathbf') w += group().length * 5.5 + 1.7;
      else if (cmd === 'tilde' || cmd === 'overleftarrow') w += texWidth(group());
      else w += COMMAND_PT[cmd] ?? 6;
      continue;
    }
    if (c === '{' || c === '}') {
      i++;
      continue;
    }
    w += CHAR_PT[c] ?? (c >= '0' && c <= '9' ? 5 : 5.7);
    i++;
  }
  return w;
}
