import { TRIG, type Fn } from '../../ir/ops.js';

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

const TEXT_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\textbackslash{}', '^': '\\textasciicircum{}', '~': '\\textasciitilde{}', _: '\\_', '#': '\\#', $: '\\$', '%': '\\%', '&': '\\&', '{': '\\{', '}': '\\}' };

/** A name from the model file (a graph model's signature) as LaTeX text, in typewriter type. */
export function fileName(name: string): string {
  return `\\texttt{${name.replace(/[\\^~_#$%&{}]/g, (c) => TEXT_ESCAPES[c])}}`;
}
