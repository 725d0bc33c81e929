import { Prec, type Fn, trigPrinters, TRIG } from '../../ir/ops.js';
import type { Name } from '../../schedule.js';
import { tableName } from '../common.js';
import { paren, type Syntax } from '../render.js';

export const NP_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'np.inf', nan: 'np.nan' };

/** Definitions of the functions NumPy lacks, written into a file only when used. */
export const NUMPY_PRELUDE: Record<string, string> = {
  sigmoid: 'def _sigmoid(z):\n    return np.exp(-np.logaddexp(0.0, -z))',
  softplus: 'def _softplus(z):\n    return np.logaddexp(0.0, z)',
  erf: '_erf = np.vectorize(math.erf, otypes=[np.float64])',
};

/** The functions NumPy provides (natively or in NUMPY_PRELUDE), in the scalar and the tensor form; others are lowered first. */
export const NUMPY_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'sigmoid', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** Python's keywords and the names a NumPy file defines itself. */
export const NUMPY_RESERVED: ReadonlySet<string> = new Set(['np', 'math', 'predict', 'batch', 'params', 'PARAMS', 'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield']);

const NP_COMPARE = { gt: 'greater', ge: 'greater_equal', eq: 'equal', ne: 'not_equal' } as const;

/** NumPy's scalar syntax: op templates and known functions (the tensor form prints element-wise functions with it too); `float` is the type a comparison's 0 or 1 is cast to. */
export function numpySyntax(name: (n: Name) => string, float = 'np.float64'): Syntax {
  return {
    numbers: NP_NUMBERS,
    scientificPrec: Prec.Atom,
    name,
    times: '*',
    mul: (a, b) => `${a}*${b}`,
    div: (a, b) => `${a}/${b}`,
    divParens: true,
    pow: (a, b) => `${a}**${b}`,
    lookup: (t, index, column) => `${tableName(t)}[${paren(index, Prec.Atom)}.astype(np.int64), ${column}]`,
    functions: {
      exp: (a) => `np.exp(${a})`,
      log: (a) => `np.log(${a})`,
      tanh: (a) => `np.tanh(${a})`,
      sigmoid: (a) => `_sigmoid(${a})`,
      erf: (a) => `_erf(${a})`,
      softplus: (a) => `_softplus(${a})`,
      abs: (a) => `np.abs(${a})`,
      sqrt: (a) => `np.sqrt(${a})`,
      step: (a) => `np.greater(${a}, 0).astype(${float})`,
      floor: (a) => `np.floor(${a})`,
      trunc: (a) => `np.trunc(${a})`,
      ...trigPrinters({ sin: 'sin', cos: 'cos', tan: 'tan', asin: 'arcsin', acos: 'arccos', atan: 'arctan', sinh: 'sinh', cosh: 'cosh', asinh: 'arcsinh', acosh: 'arccosh', atanh: 'arctanh' }, (n, a) => `np.${n}(${a})`),
      max: (a, b) => `np.maximum(${a}, ${b})`,
      min: (a, b) => `np.minimum(${a}, ${b})`,
      fmod: (a, b) => `np.fmod(${a}, ${b})`,
    },
    compare: (op, a, b) => `np.${NP_COMPARE[op]}(${a.text}, ${b.text})`,
    bool: (c) => `${c}.astype(${float})`,
    select: (c, a, b) => `np.where(${c}, ${a.text}, ${b.text})`,
  };
}
