import { Prec, type Fn, trigPrinters, TRIG_NAMES, TRIG } from '../../ir/ops.js';
import { ERF_SOURCE } from '../../ir/special.js';
import { tableName } from '../common.js';
import type { Syntax } from '../render.js';

/** How JavaScript writes numbers. */
export const JS_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'Infinity', nan: 'NaN' };

/** Functions the JS output defines itself, by scalar function name (emitted only when used). */
export const PRELUDE: Record<string, string> = {
  sigmoid: 'function sigmoid(z) {\n  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));\n}',
  softplus: 'function softplus(z) {\n  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));\n}',
  erf: ERF_SOURCE,
};

/** JavaScript's scalar syntax without names (each form names its own values). */
export const JS_SYNTAX: Omit<Syntax, 'name'> = {
  numbers: JS_NUMBERS,
  scientificPrec: Prec.Atom,
  times: ' * ',
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  divParens: true,
  pow: (a, b) => `${a} ** ${b}`,
  lookup: (t, index, column) => `${tableName(t)}[${index.text}][${column}]`,
  functions: {
    exp: (a) => `Math.exp(${a})`,
    log: (a) => `Math.log(${a})`,
    tanh: (a) => `Math.tanh(${a})`,
    sigmoid: (a) => `sigmoid(${a})`,
    erf: (a) => `erf(${a})`,
    softplus: (a) => `softplus(${a})`,
    abs: (a) => `Math.abs(${a})`,
    sqrt: (a) => `Math.sqrt(${a})`,
    step: (a) => `(${a} > 0 ? 1 : 0)`,
    floor: (a) => `Math.floor(${a})`,
    trunc: (a) => `Math.trunc(${a})`,
    ...trigPrinters(TRIG_NAMES, (n, a) => `Math.${n}(${a})`),
    max: (a, b) => `Math.max(${a}, ${b})`,
    min: (a, b) => `Math.min(${a}, ${b})`,
    // Number's % is C's fmod, exactly.
    fmod: (a, b) => `(${a} % ${b})`,
  },
  infixFmod: true,
  compare: (op, a, b) => `${a.text} ${{ gt: '>', ge: '>=', eq: '===', ne: '!==' }[op]} ${b.text}`,
  bool: (c) => `(${c} ? 1 : 0)`,
  select: (c, a, b) => `(${c} ? ${a.text} : ${b.text})`,
};

/** The functions JavaScript provides (Math or PRELUDE), in the scalar and the tensor form; others are lowered first. */
export const JS_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'sigmoid', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** JavaScript's keywords and the names a module defines or reads. */
export const JS_RESERVED: ReadonlySet<string> = new Set(['predict', 'values', 'params', 'PARAMS', 'Math', 'sigmoid', 'softplus', 'erf', 'Infinity', 'NaN', 'undefined', 'arguments', 'eval', 'const', 'let', 'var', 'function', 'return', 'new', 'this', 'in', 'of', 'do', 'if', 'for', 'while', 'class', 'delete', 'default', 'export', 'import', 'typeof', 'void', 'with', 'yield', 'await', 'enum', 'case', 'switch', 'break', 'continue', 'try', 'catch', 'finally', 'throw', 'else', 'instanceof', 'super', 'extends', 'null', 'true', 'false', 'static', 'debugger']);
