import { Prec, type Fn, trigPrinters, TRIG_NAMES, TRIG } from '../../ir/ops.js';
import type { Name } from '../../schedule.js';
import { tableName } from '../common.js';
import { paren, type Syntax } from '../render.js';

/** JSON's numbers for the PARAMS line (no NaN or Infinity in trained weights; written as strings if ever; shared with the tensor form). */
export const JSON_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: '"Infinity"', nan: '"NaN"' };

/** How mathjs reads numbers (shared with the tensor form). */
export const MATHJS_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'Infinity', nan: 'NaN' };

// Constants, units and functions mathjs would read instead of a variable of that name.
const MATHJS_NAMES = ['e', 'E', 'i', 'pi', 'PI', 'tau', 'phi', 'Infinity', 'NaN', 'null', 'true', 'false', 'and', 'or', 'not', 'xor', 'mod', 'to', 'in', 'end', 'exp', 'log', 'tanh', 'erf', 'abs', 'sqrt', 'max', 'min', 'fix', 'sign', 'isNaN', 'version', 'LN2', 'LN10', 'SQRT2'];

/** The functions mathjs provides, in the scalar and the tensor form; sigmoid and softplus are lowered to exp and log in the IR: mathjs has neither. */
export const MATHJS_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'erf', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** The names mathjs reads itself, and the file's PARAMS. */
export const MATHJS_RESERVED: ReadonlySet<string> = new Set([...MATHJS_NAMES, 'PARAMS']);

/** The mathjs scalar syntax (shared with the tensor form, which prints element-wise templates through it). */
export function mathjsSyntax(name: (n: Name) => string): Syntax {
  return {
    numbers: MATHJS_NUMBERS,
    scientificPrec: Prec.Atom,
    name,
    times: ' * ',
    mul: (a, b) => `${a} * ${b}`,
    div: (a, b) => `${a} / ${b}`,
    divParens: true,
    pow: (a, b) => `${a} ^ ${b.startsWith('-') ? `(${b})` : b}`,
    lookup: (t, index, column) => `${tableName(t)}_at(${index.text}, ${column})`,
    functions: {
      exp: (a) => `exp(${a})`,
      log: (a) => `log(${a})`,
      tanh: (a) => `tanh(${a})`,
      sigmoid: (a) => `1 / (1 + exp(-(${a})))`,
      erf: (a) => `erf(${a})`,
      softplus: (a) => `log(1 + exp(${a}))`,
      abs: (a) => `abs(${a})`,
      sqrt: (a) => `sqrt(${a})`,
      // sign is exact where mathjs's > calls numbers within absTol 1e-15 of 0 equal to it.
      step: (a) => `(sign(${a}) == 1 ? 1 : 0)`,
      floor: (a) => `floor(${a})`,
      trunc: (a) => `fix(${a})`,
      ...trigPrinters(TRIG_NAMES),
      max: (a, b) => `max(${a}, ${b})`,
      min: (a, b) => `min(${a}, ${b})`,
    },
    compare: (op, a, b) => {
      // mathjs's > and == call numbers within relTol 1e-12 (absTol 1e-15) equal: the sign of the
      // difference is exact, and a NaN difference with a == b is the same infinity on both sides.
      const d = b.text === '0' ? a.text : `${a.text} - ${paren(b, Prec.Mul)}`;
      const same = `isNaN(${d}) and ${a.text} == ${b.text}`;
      if (op === 'gt') return `sign(${d}) == 1`;
      if (op === 'ge') return `(sign(${d}) >= 0 or ${same})`;
      return op === 'eq' ? `(sign(${d}) == 0 or ${same})` : `not (sign(${d}) == 0 or ${same})`;
    },
    bool: (c) => `(${c} ? 1 : 0)`,
    select: (c, a, b) => `(${c} ? ${a.text} : ${b.text})`,
  };
}
