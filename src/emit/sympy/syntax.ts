import { Prec, type Fn, trigPrinters, TRIG_NAMES, TRIG } from '../../ir/ops.js';
import type { Name } from '../../schedule.js';
import { noExactFmod, tableName } from '../common.js';
import type { Syntax } from '../render.js';

export const SYMPY_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'oo', nan: 'nan' };

const PY_KEYWORDS = ['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield'];
const SYMPY_NAMES = ['params', 'PARAMS', 'Abs', 'Eq', 'Float', 'Function', 'Heaviside', 'Max', 'Piecewise', 'Gt', 'Ge', 'Ne', 'Min', 'erf', 'exp', 'log', 'nan', 'oo', 'sqrt', 'symbols', 'tanh', 'inputs', 'bindings', 'outputs', 'closed_form', 'E', 'I', 'N', 'S', 'O', 'Q'];

/** The SymPy names comparisons and choices print with (imported where used). */
export const SYMPY_RELATIONAL = ['Piecewise', 'Gt', 'Ge', 'Ne'];

/** The functions SymPy provides (softplus spelled stably below); sigmoid is lowered to exp (SymPy has no such function). */
export const SYMPY_SUPPORTS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** Python's keywords and the names a SymPy file defines or imports. */
export const SYMPY_RESERVED: ReadonlySet<string> = new Set([...PY_KEYWORDS, ...SYMPY_NAMES]);

/** SymPy's scalar syntax: op templates and known functions, shared by the scalar and tensor forms. */
export function sympySyntax(name: (n: Name) => string): Syntax {
  return {
    numbers: SYMPY_NUMBERS,
    scientificPrec: Prec.Atom,
    name,
    times: '*',
    mul: (a, b) => `${a}*${b}`,
    div: (a, b) => `${a}/${b}`,
    divParens: true,
    pow: (a, b) => `${a}**${b}`,
    lookup: (t, index, column) => `${tableName(t)}(${index.text}, ${column})`,
    functions: {
      exp: (a) => `exp(${a})`,
      log: (a) => `log(${a})`,
      tanh: (a) => `tanh(${a})`,
      sigmoid: (a) => `1/(1 + exp(-(${a})))`,
      erf: (a) => `erf(${a})`,
      softplus: (a) => `(Max(${a}, 0) + log(1 + exp(-Abs(${a}))))`,
      abs: (a) => `Abs(${a})`,
      sqrt: (a) => `sqrt(${a})`,
      step: (a) => `Heaviside(${a}, 0)`,
      floor: (a) => `floor(${a})`,
      trunc: (a) => `(sign(${a})*floor(Abs(${a})))`,
      ...trigPrinters(TRIG_NAMES),
      max: (a, b) => `Max(${a}, ${b})`,
      min: (a, b) => `Min(${a}, ${b})`,
      fmod: noExactFmod('SymPy'),
    },
    compare: (op, a, b) => `${{ gt: 'Gt', ge: 'Ge', eq: 'Eq', ne: 'Ne' }[op]}(${a.text}, ${b.text})`,
    bool: (c) => `Piecewise((1, ${c}), (0, True))`,
    select: (c, a, b) => `Piecewise((${a.text}, ${c}), (${b.text}, True))`,
  };
}
