import { Prec, type Fn, trigPrinters, TRIG_NAMES, TRIG } from '../../ir/ops.js';
import type { Syntax } from '../render.js';

export const C_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'INFINITY', nan: 'NAN' };

// Helpers are written only when the program uses them; max/min propagate NaN as TF does (fmax would not).
export const C_PRELUDE: Record<string, string> = {
  sigmoid: 'static inline double sigmoid(double z) {\n  return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));\n}',
  softplus: 'static inline double softplus(double z) {\n  return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));\n}',
  step: 'static inline double step(double z) {\n  return z > 0 ? 1.0 : 0.0;\n}',
  max: 'static inline double max2(double a, double b) {\n  return isnan(a) || isnan(b) ? NAN : a > b ? a : b;\n}',
  min: 'static inline double min2(double a, double b) {\n  return isnan(a) || isnan(b) ? NAN : a < b ? a : b;\n}',
  lookup:
    '/* Row trunc(id) of a table, or NaN when there is no such row. */\nstatic inline double lookup(const double *table, int rows, int cols, double id, int col) {\n  double r = trunc(id);\n  return r >= 0 && r < rows ? table[(int)r * cols + col] : NAN;\n}',
};

/** C's arithmetic and functions (math.h and the prelude above), for the scalar and the tensor form. */
export const C_SYNTAX: Omit<Syntax, 'name' | 'lookup'> = {
  numbers: C_NUMBERS,
  scientificPrec: Prec.Atom,
  times: ' * ',
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  divParens: true,
  pow: (a, b) => `pow(${a}, ${b})`,
  functions: {
    exp: (a) => `exp(${a})`,
    log: (a) => `log(${a})`,
    tanh: (a) => `tanh(${a})`,
    sigmoid: (a) => `sigmoid(${a})`,
    erf: (a) => `erf(${a})`,
    softplus: (a) => `softplus(${a})`,
    abs: (a) => `fabs(${a})`,
    sqrt: (a) => `sqrt(${a})`,
    step: (a) => `step(${a})`,
    floor: (a) => `floor(${a})`,
    trunc: (a) => `trunc(${a})`,
    ...trigPrinters(TRIG_NAMES),
    max: (a, b) => `max2(${a}, ${b})`,
    min: (a, b) => `min2(${a}, ${b})`,
    fmod: (a, b) => `fmod(${a}, ${b})`,
  },
  compare: (op, a, b) => `${a.text} ${{ gt: '>', ge: '>=', eq: '==', ne: '!=' }[op]} ${b.text}`,
  bool: (c) => `(${c} ? 1.0 : 0.0)`,
  select: (c, a, b) => `(${c} ? ${a.text} : ${b.text})`,
};

export const C_KEYWORDS = ['auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern', 'float', 'for', 'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed', 'sizeof', 'static', 'struct', 'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while'];
const C_NAMES = ['x', 'y', 'params', 'PARAMS', 'predict', 'sigmoid', 'softplus', 'step', 'max2', 'min2', 'lookup', 'exp', 'log', 'log1p', 'tanh', 'erf', 'fabs', 'sqrt', 'pow', 'trunc', 'fmod', 'isnan', 'NAN', 'INFINITY', 'main'];

/** The functions C provides (math.h or C_PRELUDE), in the scalar and the tensor form; others are lowered first. */
export const C_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'sigmoid', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** C's keywords and the names a C file defines or includes. */
export const C_RESERVED: ReadonlySet<string> = new Set([...C_KEYWORDS, ...C_NAMES]);
