import { TRIG, trigPrinters, type Fn } from '../../ir/ops.js';
import type { Syntax } from '../render.js';

/** LaTeX's relation symbols for the IR's comparisons ('ne' for a select's test c ≠ 0). */
export const TEX_RELATIONS = { gt: '>', ge: '\\ge', eq: '=', ne: '\\ne' } as const;

/** A choice written as the textbook writes it: a if the condition holds, b otherwise. */
export function texCases(cond: string, a: string, b: string): string {
  return `\\begin{cases} ${a} & \\text{if } ${cond} \\\\ ${b} & \\text{otherwise} \\end{cases}`;
}

/** How LaTeX writes numbers: 1.5 \cdot 10^{-7}, \infty, NaN. */
export const TEX_NUMBERS = { scientific: (m: string, e: number) => `${m} \\cdot 10^{${e}}`, infinity: '\\infty', nan: '\\mathrm{NaN}' };

/** The functions LaTeX prints natively, in the scalar and the tensor form (softplus is lowered first). */
export const TEX_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'sigmoid', 'erf', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/**
 * How LaTeX writes each function, with the given sizing of its brackets: `\\left`/`\\right` (they
 * grow with what they hold), or `\\bigl`/`\\bigr` for an --inline row, where a line may break inside
 * them. The scalar and the tensor form print functions by this one table.
 */
export function texFunctions(L: string, R: string): Syntax['functions'] {
  return {
    exp: (a) => `e^{${a}}`,
    log: (a) => `\\ln${L}(${a}${R})`,
    tanh: (a) => `\\tanh${L}(${a}${R})`,
    sigmoid: (a) => `\\sigma${L}(${a}${R})`,
    erf: (a) => `\\operatorname{erf}${L}(${a}${R})`,
    softplus: (a) => `\\ln${L}(1 + e^{${a}}${R})`,
    abs: (a) => `${L}|${a}${R}|`,
    sqrt: (a) => `\\sqrt{${a}}`,
    step: (a) => `\\mathbf{1}${L}[${a} > 0${R}]`,
    floor: (a) => `${L}\\lfloor ${a}${R}\\rfloor`,
    trunc: (a) => `\\operatorname{trunc}${L}(${a}${R})`,
    ...trigPrinters({ sin: '\\sin', cos: '\\cos', tan: '\\tan', asin: '\\arcsin', acos: '\\arccos', atan: '\\arctan', sinh: '\\sinh', cosh: '\\cosh', asinh: '\\operatorname{arsinh}', acosh: '\\operatorname{arcosh}', atanh: '\\operatorname{artanh}' }, (n, a) => `${n}${L}(${a}${R})`),
    max: (a, b) => `\\max${L}(${a}, ${b}${R})`,
    min: (a, b) => `\\min${L}(${a}, ${b}${R})`,
    fmod: (a, b) => `\\operatorname{fmod}${L}(${a}, ${b}${R})`,
  };
}

/** An Iverson bracket: 1 where the condition holds, else 0. */
export const texBool = (L: string, R: string) => (c: string) => `\\mathbf{1}${L}[${c}${R}]`;

/** What a gate's letter stands for, in the "where" block of either form. */
export const GATE_MEANING: Readonly<Record<string, string>> = {
  i: 'input gate',
  f: 'forget gate',
  g: 'cell candidate',
  o: 'output gate',
  z: 'update gate',
  r: 'reset gate',
  hh: 'candidate state',
  c: 'cell state',
};

const TEXT_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\textbackslash{}', '^': '\\textasciicircum{}', '~': '\\textasciitilde{}', _: '\\_', '#': '\\#', $: '\\$', '%': '\\%', '&': '\\&', '{': '\\{', '}': '\\}' };

/** A name from the model file (a graph model's signature) as LaTeX text, in typewriter type. */
export function fileName(name: string): string {
  return `\\texttt{${name.replace(/[\\^~_#$%&{}]/g, (c) => TEXT_ESCAPES[c])}}`;
}
