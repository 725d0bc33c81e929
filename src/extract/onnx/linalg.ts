import { attrInt, attrString } from '../../load/onnx/attributes.js';
import { DTYPES } from '../../load/onnx/tensor.js';
import { isFloat } from '../../tensor/dtype.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { dtypeOfVal, konst, moved, permute, tensor, type OnnxContext, type OnnxExtractor } from './context.js';
import { batchedDot } from './linear.js';

/**
 * Linear algebra of static shapes: EyeLike (a constant), Det (the Leibniz sum of a small matrix)
 * and Einsum (transposes, diagonals, sums and one matrix product, ellipses included).
 */

/** EyeLike: ones on diagonal k of a matrix of the input's shape, in `dtype` (default the input's type). */
const eyeLike: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  if (dims.length !== 2) return ctx.fail(`the input has shape [${dims.join(', ')}], expected a matrix`);
  const code = attrInt(ctx.node, 'dtype', 0);
  const dtype = code === 0 ? dtypeOfVal(ctx.val(0)) : DTYPES[code];
  if (dtype === undefined || dtype === 'string') return ctx.fail(`dtype is ${code}, which nn2eq does not compute with`);
  const k = attrInt(ctx.node, 'k', 0);
  const [n, m] = dims;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) if (i + k >= 0 && i + k < m) out[i * m + i + k] = 1;
  return [konst(dims, out, dtype)];
};

/** Det of matrices up to this size, written as their Leibniz sum (4! = 24 products of 4). */
const DET_MAX = 4;

/**
 * Det of x [..., M, M]: the Leibniz sum Σ_σ sign(σ)·Π_i x[i, σ(i)] (the `det` function of the
 * element-wise table over the M² entries, each a slice), for M ≤ 4. ONNX's reference computes
 * numpy's LU; the two agree to rounding.
 */
const det: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const r = dims.length;
  const M = dims[r - 1];
  if (r < 2 || dims[r - 2] !== M) return ctx.fail(`the input has shape [${dims.join(', ')}], expected square matrices [..., M, M]`);
  const dtype = dtypeOfVal(ctx.val(0));
  if (!isFloat(dtype)) return ctx.fail(`takes ${dtype} values; ONNX defines Det for floating-point types`);
  if (M > DET_MAX) return ctx.fail(`the matrices are ${M}×${M}; nn2eq writes a determinant as its Leibniz sum (M! products), for M up to ${DET_MAX}`, 'compute the determinant outside the model, or split it into smaller blocks');
  const lead = dims.slice(0, -2);
  const x = ctx.tensor(0);
  const entries: T[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      const begin = dims.map((_, a) => (a === r - 2 ? i : a === r - 1 ? j : 0));
      const end = dims.map((d, a) => (a === r - 2 ? i + 1 : a === r - 1 ? j + 1 : d));
      entries.push(ctx.op('slice', [x], { begin, end }, '_')[0]);
    }
  }
  return [tensor(ctx.reshape(ctx.map('det', entries, [], M === 1 ? 'h' : '_'), lead, 'h'))];
};

/** Letters standing for the axes an ellipsis covers (never an einsum subscript, which is a–z or A–Z). */
const ELLIPSIS = 'αβγδεζηθικλμνξοπρστυφχψω';

/** One operand's subscripts, in order, an ellipsis spelled out as the `rank` − (letters) axes it covers (right-aligned names). */
function parseTerm(ctx: OnnxContext, s: string, rank: number | null): string[] {
  const dots = s.indexOf('...');
  const letters = [...s.replace('...', '')];
  if (letters.some((l) => !/[a-zA-Z]/.test(l))) return ctx.fail(`equation term '${s}' holds '${letters.find((l) => !/[a-zA-Z]/.test(l))}', expected letters and at most one ellipsis`);
  if (dots < 0) return letters;
  const covered = rank === null ? 0 : rank - letters.length;
  if (covered < 0) return ctx.fail(`equation term '${s}' has more subscripts than its operand has axes (${rank})`);
  if (covered > ELLIPSIS.length) return ctx.fail(`an ellipsis covers ${covered} axes, more than nn2eq names`);
  const names = [...ELLIPSIS.slice(ELLIPSIS.length - covered)];
  const before = [...s.slice(0, dots)];
  return [...before, ...names, ...letters.slice(before.length)];
}

/** x with its axes named `ls`: one diagonal per repeated name, so that every name is once. */
function diagonals(ctx: OnnxContext, x: T, ls: string[]): [T, string[]] {
  for (;;) {
    const i = ls.findIndex((l, k) => ls.indexOf(l) !== k);
    if (i < 0) return [x, ls];
    const first = ls.indexOf(ls[i]);
    const n = x.shape[first];
    if (x.shape[i] !== n) return ctx.fail(`subscript '${ls[i]}' names axes of lengths ${n} and ${x.shape[i]}`);
    // The two axes last, flattened: the diagonal is every (n+1)-th value, read as column 0 of [n, n+1] after n zeros appended.
    const rest = ls.map((_, k) => k).filter((k) => k !== first && k !== i);
    const lead = rest.map((k) => x.shape[k]);
    const flat = ctx.reshape(ctx.transpose(x, [...rest, first, i]), [...lead, n * n]);
    const padded = n === 1 ? flat : ctx.op('pad', [flat], { before: flat.shape.map(() => 0), after: flat.shape.map((_, k) => (k === lead.length ? n : 0)) }, '_')[0];
    const rows = ctx.reshape(padded, [...lead, n, n + 1]);
    const column = n === 1 ? rows : ctx.op('slice', [rows], { begin: rows.shape.map(() => 0), end: rows.shape.map((d, k) => (k === lead.length + 1 ? 1 : d)) }, '_')[0];
    x = ctx.reshape(column, [...lead, n]);
    ls = [...rest.map((k) => ls[k]), ls[first]];
  }
}

/** x with the axes named in `drop` summed away (moved last, flattened, times a column of ones). */
function sumOut(ctx: OnnxContext, x: T, ls: string[], drop: readonly string[]): [T, string[]] {
  const gone = ls.filter((l) => drop.includes(l));
  if (gone.length === 0) return [x, ls];
  const kept = ls.filter((l) => !drop.includes(l));
  const lead = kept.map((l) => x.shape[ls.indexOf(l)]);
  const n = sizeOf(gone.map((l) => x.shape[ls.indexOf(l)]));
  const rows = ctx.reshape(ctx.transpose(x, [...kept, ...gone].map((l) => ls.indexOf(l))), [...lead, n]);
  const sum = ctx.op('dense', [rows, ctx.const('ones', [n, 1], new Float64Array(n).fill(1))], { pairs: 1, bias: false }, '_')[0];
  return [ctx.reshape(sum, lead), kept];
}

/**
 * Einsum (numpy's rules): an ellipsis stands for the axes its operand has beyond its letters
 * (aligned from the right); a subscript repeated in one operand takes a diagonal; a subscript in
 * one operand only and not in the output is summed there; then one operand is transposed to the
 * output's order, and two are multiplied: subscripts in both and in the output are batch axes, in
 * both but not the output are summed, in one only are that operand's free axes. The operands are
 * moved to [batch…, free…, summed…] and [batch…, summed…, free…], multiplied, and the result
 * moved to the output's order. Without an arrow the output is the ellipsis, then the subscripts
 * used once, in alphabetical order.
 */
const einsum: OnnxExtractor = (ctx) => {
  const eq = attrString(ctx.node, 'equation', '').replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = (arrow >= 0 ? eq.slice(0, arrow) : eq).split(',');
  if (lhs.length !== ctx.node.inputs.length) return ctx.fail(`equation '${eq}' has ${lhs.length} operands, the node ${ctx.node.inputs.length}`);
  if (lhs.length > 2) return ctx.fail(`equation '${eq}' has ${lhs.length} operands; nn2eq reads einsum equations of one or two`);
  const terms = lhs.map((s, k) => parseTerm(ctx, s, ctx.shape(k).length));
  terms.forEach((t, k) => {
    if (t.length !== ctx.shape(k).length) ctx.fail(`operand ${k + 1} has shape [${ctx.shape(k).join(', ')}], which does not match '${lhs[k]}'`);
  });
  const all = terms.flat();
  const covered = Math.max(...terms.map((t) => t.filter((l) => ELLIPSIS.includes(l)).length));
  const ellipsis = [...ELLIPSIS.slice(ELLIPSIS.length - covered)];
  const out = arrow >= 0 ? parseTerm(ctx, eq.slice(arrow + 2), covered + eq.slice(arrow + 2).replace('...', '').length) : [...ellipsis, ...[...new Set(all)].filter((l) => !ELLIPSIS.includes(l) && all.indexOf(l) === all.lastIndexOf(l)).sort()];
  if (new Set(out).size !== out.length) return ctx.fail(`equation '${eq}' repeats an output subscript`);
  if (out.some((l) => !all.includes(l))) return ctx.fail(`equation '${eq}': an output subscript is in no operand`);
  const size = new Map<string, number>();
  for (const [k, t] of terms.entries()) {
    for (const [i, l] of t.entries()) {
      const d = ctx.shape(k)[i];
      if (size.has(l) && size.get(l) !== d) return ctx.fail(`equation '${eq}': subscript '${ELLIPSIS.includes(l) ? '...' : l}' has lengths ${size.get(l)} and ${d}; nn2eq reads einsum equations whose axes agree (no broadcasting)`);
      size.set(l, d);
    }
  }
  if (terms.length === 1 && new Set(terms[0]).size === terms[0].length && out.length === terms[0].length) {
    // A transpose: folded when constant.
    const perm = out.map((l) => terms[0].indexOf(l));
    const v = ctx.val(0);
    if (v.kind === 'const') return [moved(v, perm.map((p) => v.dims[p]), permute(v.values, v.dims, perm))];
    return [tensor(ctx.transpose(v.t, perm, 'h'))];
  }
  // Each operand alone: its diagonals, then the subscripts no other term has summed away.
  const ops = terms.map((t, k) => {
    const [x, ls] = diagonals(ctx, ctx.tensor(k, k === 0 ? 'A' : 'B'), t);
    const elsewhere = [...out, ...terms.filter((_, j) => j !== k).flat()];
    return sumOut(ctx, x, ls, ls.filter((l) => !elsewhere.includes(l)));
  });
  if (ops.length === 1) {
    const [x, ls] = ops[0];
    return [tensor(ctx.transpose(x, out.map((l) => ls.indexOf(l)), 'h'))];
  }
  const [[xa, ta], [xb, tb]] = ops;
  const only = (t: string[], other: string[]) => t.filter((l) => !other.includes(l));
  const batch = out.filter((l) => ta.includes(l) && tb.includes(l));
  const summed = ta.filter((l) => tb.includes(l) && !out.includes(l));
  const freeA = only(ta, tb);
  const freeB = only(tb, ta);
  const dimsOfLetters = (ls: string[]) => ls.map((l) => size.get(l)!);
  const [M, N, K] = [freeA, freeB, summed].map((ls) => sizeOf(dimsOfLetters(ls)));
  const a = ctx.reshape(ctx.transpose(xa, [...batch, ...freeA, ...summed].map((l) => ta.indexOf(l))), [...dimsOfLetters(batch), M, K]);
  const b = ctx.reshape(ctx.transpose(xb, [...batch, ...summed, ...freeB].map((l) => tb.indexOf(l))), [...dimsOfLetters(batch), K, N]);
  const y = batch.length === 0 ? ctx.op('dot', [a, b], { axes: [1, 0], normalize: false }, '_')[0] : batchedDot(ctx, a, b);
  const got = [...batch, ...freeA, ...freeB];
  const yr = ctx.reshape(y, dimsOfLetters(got));
  return [tensor(ctx.transpose(yr, out.map((l) => got.indexOf(l)), 'h'))];
};

/** ONNX op type → extractor for the linear algebra ops. */
export const linalgOps: Record<string, OnnxExtractor> = {
  EyeLike: eyeLike,
  Det: det,
  Einsum: einsum,
};
