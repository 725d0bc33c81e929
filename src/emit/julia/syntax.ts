import { Prec, type Fn, trigPrinters, TRIG_NAMES, TRIG } from '../../ir/ops.js';
import type { Name } from '../../schedule.js';
import { tableName } from '../common.js';
import type { Syntax } from '../render.js';

/** How Julia spells numbers: 1.5e-7, Inf, NaN (Float64 literals). */
export const JL_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'Inf', nan: 'NaN' };

/** Definitions printed into a Julia file when its formulas call them (the tensor form prints the same). */
export const JULIA_PRELUDE: Record<string, string> = {
  sigmoid: 'sigmoid(z) = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))',
  softplus: 'softplus(z) = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))',
  lookup: '# Row trunc(id) of a table (ids from 0), or NaN when there is no such row.\nlookup(t, id, col) = isfinite(id) && 0 <= trunc(id) < size(t, 1) ? t[Int(trunc(id)) + 1, col + 1] : NaN',
};

const JL_KEYWORDS = ['baremodule', 'begin', 'break', 'catch', 'const', 'continue', 'do', 'else', 'elseif', 'end', 'export', 'false', 'finally', 'for', 'function', 'global', 'if', 'import', 'let', 'local', 'macro', 'module', 'quote', 'return', 'struct', 'true', 'try', 'using', 'while', 'abstract', 'mutable', 'primitive', 'type', 'where', 'in', 'isa', 'outer'];
const JL_NAMES = ['x', 'params', 'PARAMS', 'predict', 'sigmoid', 'softplus', 'lookup', 'exp', 'log', 'log1p', 'tanh', 'erf', 'abs', 'sqrt', 'max', 'min', 'ifelse', 'trunc', 'rem', 'size', 'length', 'Inf', 'NaN', 'pi', 'im', 'ℯ', 'Int', 'Float64'];

/** The functions Julia provides (natively or in JULIA_PRELUDE); others are lowered first. */
export const JULIA_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'sigmoid', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** Julia's keywords and the names a Julia file defines or reads. */
export const JULIA_RESERVED: ReadonlySet<string> = new Set([...JL_KEYWORDS, ...JL_NAMES]);

/** The Julia scalar syntax (shared with the tensor form, which prints element-wise templates through it). */
export function juliaSyntax(name: (n: Name) => string): Syntax {
  return {
    numbers: JL_NUMBERS,
    scientificPrec: Prec.Atom,
    name,
    times: ' * ',
    mul: (a, b) => `${a} * ${b}`,
    div: (a, b) => `${a} / ${b}`,
    divParens: true,
    pow: (a, b) => `${a} ^ ${b.startsWith('-') ? `(${b})` : b}`,
    lookup: (t, index, column) => `lookup(${tableName(t)}, ${index.text}, ${column})`,
    functions: {
      exp: (a) => `exp(${a})`,
      log: (a) => `log(${a})`,
      tanh: (a) => `tanh(${a})`,
      sigmoid: (a) => `sigmoid(${a})`,
      erf: (a) => `erf(${a})`,
      softplus: (a) => `softplus(${a})`,
      abs: (a) => `abs(${a})`,
      sqrt: (a) => `sqrt(${a})`,
      step: (a) => `ifelse(${a} > 0, 1.0, 0.0)`,
      floor: (a) => `floor(${a})`,
      trunc: (a) => `trunc(${a})`,
      ...trigPrinters(TRIG_NAMES),
      max: (a, b) => `max(${a}, ${b})`,
      min: (a, b) => `min(${a}, ${b})`,
      // rem of floats is C's fmod, exactly.
      fmod: (a, b) => `rem(${a}, ${b})`,
    },
    compare: (op, a, b) => `${a.text} ${{ gt: '>', ge: '>=', eq: '==', ne: '!=' }[op]} ${b.text}`,
    bool: (c) => `ifelse(${c}, 1.0, 0.0)`,
    select: (c, a, b) => `ifelse(${c}, ${a.text}, ${b.text})`,
  };
}
