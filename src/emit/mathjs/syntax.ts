import { Prec, type Fn, trigPrinters, TRIG_NAMES, TRIG } from '../../ir/ops.js';
import type { Name } from '../../schedule.js';
import { noExactFmod, tableName } from '../common.js';
import { paren, type Syntax } from '../render.js';

/** How mathjs reads numbers (shared with the tensor form). */
export const MATHJS_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'Infinity', nan: 'NaN' };

// Constants, units and functions mathjs would read instead of a variable of that name.
const MATHJS_NAMES = ['e', 'E', 'i', 'pi', 'PI', 'tau', 'phi', 'Infinity', 'NaN', 'null', 'true', 'false', 'and', 'or', 'not', 'xor', 'mod', 'to', 'in', 'end', 'exp', 'log', 'tanh', 'erf', 'abs', 'sqrt', 'max', 'min', 'fix', 'sign', 'isNaN', 'version', 'LN2', 'LN10', 'SQRT2'];

/** The functions mathjs provides, in the scalar and the tensor form (softplus spelled stably below); sigmoid is lowered to exp in the IR: mathjs has none. */
export const MATHJS_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** The names mathjs reads itself, and the file's PARAMS. */
export const MATHJS_RESERVED: ReadonlySet<string> = new Set([...MATHJS_NAMES, 'PARAMS']);

/**
 * mathjs gives a complex number for log, sqrt, ^, asin, acos, acosh and atanh of a number outside
 * their real domain (log(-1) is 3.14…i) where IEEE float math, and every runtime nn2eq is checked
 * against, gives NaN: each is printed behind a test of its domain, NaN outside it. The tests use
 * sign(), exact where mathjs's <= and == call numbers within 1e-12 of each other equal.
 */
const INTEGER_LITERAL = /^-?\d+$/;
const real = (inDomain: string, call: string) => `(${inDomain} ? ${call} : NaN)`;

/** `a ^ b` as IEEE pow computes it: NaN for a negative base and an exponent that is not an integer. */
export function realPow(a: string, b: string, op = '^'): string {
  const text = `${a} ${op} ${b.startsWith('-') ? `(${b})` : b}`;
  if (INTEGER_LITERAL.test(b)) return text;
  // An infinite exponent, or a = -Infinity: IEEE pow depends on |a| only, where mathjs gives a complex NaN.
  return `(sign(${a}) >= 0 or sign(${b} - fix(${b})) == 0 ? ${text} : max(abs(${a}), abs(${b})) == Infinity ? abs(${a}) ${op} ${b} : NaN)`;
}

/**
 * ⌊a⌋ exactly: mathjs's floor returns round(a) when a is within 1e-12 (or 1e-15 of 0) of it, so
 * floor(-1e-30) is 0; that answer is one too high, and then a is below it, which sign() sees.
 */
function exactFloor(a: string): string {
  return `(floor(${a}) - (sign(${a} - floor(${a})) == -1 ? 1 : 0))`;
}

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
    pow: (a, b) => realPow(a, b),
    lookup: (t, index, column) => `${tableName(t)}_at(${index.text}, ${column})`,
    functions: {
      exp: (a) => `exp(${a})`,
      log: (a) => real(`sign(${a}) >= 0`, `log(${a})`),
      tanh: (a) => `tanh(${a})`,
      sigmoid: (a) => `1 / (1 + exp(-(${a})))`,
      erf: (a) => `erf(${a})`,
      // max(x, 0) + log(1 + e^{−|x|}): no overflow; the log's argument is ≥ 1 but NaN for a NaN x, where mathjs's log is complex.
      softplus: (a) => `(isNaN(${a}) ? NaN : max(${a}, 0) + log(1 + exp(-abs(${a}))))`,
      abs: (a) => `abs(${a})`,
      sqrt: (a) => real(`sign(${a}) >= 0`, `sqrt(${a})`),
      // sign is exact where mathjs's > calls numbers within absTol 1e-15 of 0 equal to it.
      step: (a) => `(sign(${a}) == 1 ? 1 : 0)`,
      floor: (a) => exactFloor(a),
      // fix() rounds through the same tolerant floor and ceil.
      trunc: (a) => `sign(${a}) * ${exactFloor(`abs(${a})`)}`,
      ...trigPrinters(TRIG_NAMES),
      asin: (a) => real(`sign(abs(${a}) - 1) <= 0`, `asin(${a})`),
      acos: (a) => real(`sign(abs(${a}) - 1) <= 0`, `acos(${a})`),
      acosh: (a) => real(`sign(${a} - 1) >= 0`, `acosh(${a})`),
      atanh: (a) => real(`sign(abs(${a}) - 1) <= 0`, `atanh(${a})`),
      max: (a, b) => `max(${a}, ${b})`,
      min: (a, b) => `min(${a}, ${b})`,
      fmod: noExactFmod('mathjs'),
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
