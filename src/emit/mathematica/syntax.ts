import { Prec, type Fn, trigPrinters, TRIG } from '../../ir/ops.js';
import type { Name } from '../../schedule.js';
import { noExactFmod, tableName } from '../common.js';
import type { Syntax } from '../render.js';

/** How Wolfram Language writes numbers: *^ exponents, Infinity, Indeterminate. */
/**
 * a^b as IEEE pow computes it. A negative base with an exponent that is not a whole number is
 * complex in Wolfram (ref/Power), NaN in IEEE; −∞ to such a power is |a|^b there. A literal whole
 * exponent prints plainly.
 */
function wlPow(a: string, b: string): string {
  const e = b.startsWith('-') ? `(${b})` : b;
  if (/^-?\d+$/.test(b)) return `${a}^${e}`;
  return `If[${a} >= 0, ${a}^${e}, If[IntegerPart[${b}] == ${b}, ${a}^${e}, If[${a} == -Infinity, Abs[${a}]^${e}, Indeterminate], ${a}^${e}], ${a}^${e}]`;
}

export const WL_NUMBERS = { scientific: (m: string, e: number) => `${m}*^${e}`, infinity: 'Infinity', nan: 'Indeterminate' };

/** The functions Wolfram Language provides, in the scalar and the tensor form (softplus spelled stably below); others are lowered first. */
export const WL_FUNCTIONS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'sigmoid', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** Names Wolfram Language defines (System` symbols a variable must not shadow) and the file's own. */
export const WL_RESERVED: ReadonlySet<string> = new Set(['params', 'PARAMS', 'E', 'I', 'N', 'D', 'C', 'O', 'K', 'Pi', 'Block', 'Function', 'Exp', 'Log', 'Max', 'Min', 'Tanh', 'Erf', 'Abs', 'Sqrt', 'LogisticSigmoid', 'Infinity', 'Indeterminate']);

/** The Wolfram Language scalar syntax (shared with the tensor form, which prints element-wise templates through it). */
export function wolframSyntax(name: (n: Name) => string): Syntax {
  return {
    numbers: WL_NUMBERS,
    scientificPrec: Prec.Atom,
    name,
    times: '*',
    mul: (a, b) => `${a}*${b}`,
    div: (a, b) => `${a}/${b}`,
    divParens: true,
    pow: wlPow,
    lookup: (t, index, column) => `${tableName(t)}[[${index.text} + 1, ${column + 1}]]`,
    functions: {
      exp: (a) => `Exp[${a}]`,
      // Wolfram's Log of a negative number is complex (ref/Log: a branch cut along the negative real
      // axis) and Log[0.] Indeterminate; IEEE float math, which every oracle computes, gives NaN and -Infinity.
      log: (a) => `If[${a} > 0, Log[${a}], If[${a} == 0, -Infinity, Indeterminate], Indeterminate]`,
      tanh: (a) => `Tanh[${a}]`,
      sigmoid: (a) => `LogisticSigmoid[${a}]`,
      erf: (a) => `Erf[${a}]`,
      // Max[x, 0] + Log[1 + Exp[-Abs[x]]], not Log[1 + Exp[x]]: the same value, without Exp overflowing in machine numbers.
      softplus: (a) => `(Max[${a}, 0] + Log[1 + Exp[-Abs[${a}]]])`,
      abs: (a) => `Abs[${a}]`,
      // Negative numbers have imaginary square roots in Wolfram (ref/Sqrt); NaN in IEEE float math.
      sqrt: (a) => `If[${a} >= 0, Sqrt[${a}], Indeterminate, Indeterminate]`,
      // Indeterminate > 0 stays unevaluated (Boole of it too): If's fourth argument gives step's 0 for NaN.
      step: (a) => `If[${a} > 0, 1, 0, 0]`,
      floor: (a) => `Floor[${a}]`,
      trunc: (a) => `IntegerPart[${a}]`,
      ...trigPrinters({ sin: 'Sin', cos: 'Cos', tan: 'Tan', asin: 'ArcSin', acos: 'ArcCos', atan: 'ArcTan', sinh: 'Sinh', cosh: 'Cosh', asinh: 'ArcSinh', acosh: 'ArcCosh', atanh: 'ArcTanh' }, (n, a) => `${n}[${a}]`),
      // Outside their real domain ArcSin, ArcCos, ArcCosh and ArcTanh are complex in Wolfram
      // (ref/ArcSin, ref/ArcCosh, ref/ArcTanh), and Sin, Cos, Tan of an infinity an Interval; IEEE gives
      // NaN (and atanh(±1) = ±∞). NaN compares undecided: If's fourth argument.
      sin: (a) => `If[Infinity > Abs[${a}], Sin[${a}], Indeterminate, Indeterminate]`,
      cos: (a) => `If[Infinity > Abs[${a}], Cos[${a}], Indeterminate, Indeterminate]`,
      tan: (a) => `If[Infinity > Abs[${a}], Tan[${a}], Indeterminate, Indeterminate]`,
      asin: (a) => `If[1 >= Abs[${a}], ArcSin[${a}], Indeterminate, Indeterminate]`,
      acos: (a) => `If[1 >= Abs[${a}], ArcCos[${a}], Indeterminate, Indeterminate]`,
      acosh: (a) => `If[${a} >= 1, ArcCosh[${a}], Indeterminate, Indeterminate]`,
      atanh: (a) => `If[1 > Abs[${a}], ArcTanh[${a}], If[${a} == 1, Infinity, If[${a} == -1, -Infinity, Indeterminate]], Indeterminate]`,
      max: (a, b) => `Max[${a}, ${b}]`,
      min: (a, b) => `Min[${a}, ${b}]`,
      fmod: noExactFmod('the Wolfram Language'),
    },
    // A comparison with Indeterminate (NaN) stays unevaluated: If's fourth argument says what it gives.
    compare: (op, a, b) => `${a.text} ${{ gt: '>', ge: '>=', eq: '==', ne: '!=' }[op]} ${b.text}`,
    bool: (c) => `If[${c}, 1, 0, 0]`,
    select: (c, a, b, nan) => `If[${c}, ${a.text}, ${b.text}, ${(nan === 'a' ? a : b).text}]`,
  };
}
