import type { AxesAttrs, MapAttrs, TransposeAttrs } from './ops.js';
import type { Equation, TensorId, TensorProgram } from './program.js';

/**
 * Scaled dot-product attention found in a tensor program, with its roles named:
 * output = softmax(scale · Q·Kᵀ + M)·V, the softmax over the keys (the last axis). However the
 * source wrote it (PyTorch's MultiheadAttention scales Q before the product, nanoGPT the scores
 * after; a mask is added or not), the same equations match: Q·Kᵀ a `matmul`, the scale a `map`
 * affine without offset, the mask a `map` add, then `softmax` and a `matmul` by V. Between the
 * product and the softmax the scores may also be viewed in another shape by reshapes that only
 * split or merge their leading (batch, window, head) axes, with terms added in that view (Swin's
 * shifted windows add their mask per window as [batch, windows, heads, N, N]).
 */
export interface Attention {
  /** The queries (before the scale, when the scale was applied to them). */
  readonly q: TensorId;
  /** The keys K when the product reads Kᵀ as K with its last two axes swapped; else the operand itself (already Kᵀ). */
  readonly k: TensorId;
  /** Whether `k` is K (printed K^⊤) rather than the transposed operand. */
  readonly keysTransposed: boolean;
  readonly v: TensorId;
  /** The factor on the scores: 1/√d_k in the textbook form. */
  readonly scale: number;
  /** The terms added to the scores, in order (their sum is the mask M); empty without a mask. */
  readonly masks: readonly AttentionMask[];
  /** The softmax's output (the attention weights) and the result. */
  readonly weights: TensorId;
  readonly output: TensorId;
  /** Size of the query / key vectors (the contracted axis). */
  readonly dk: number;
  /** Indices (in program.equations) of the pattern's equations, the output's last. */
  readonly equations: readonly number[];
}

/** A term added to the attention scores. */
export interface AttentionMask {
  readonly id: TensorId;
  /**
   * The shape to read the term in on the scores' axes, when it was added to a reshaped view of the
   * scores (its leading axes split or merged): the same elements in row-major order, broadcasting
   * onto the scores as it broadcast onto the view. Undefined when added to the scores themselves.
   */
  readonly view?: readonly number[];
}

/** Whether a scale is 1/√d (float32 rounding allowed). */
export function isInverseRoot(scale: number, d: number): boolean {
  return Math.abs(scale * Math.sqrt(d) - 1) < 1e-6;
}

/** Every attention pattern among the top-level equations of `p`, in program order. */
export function findAttention(p: TensorProgram): Attention[] {
  const producer = new Map<TensorId, number>();
  p.equations.forEach((eq, i) => eq.outs.forEach((o) => producer.set(o, i)));
  const eqOf = (id: TensorId): [Equation, number] | null => {
    const i = producer.get(id);
    return i === undefined ? null : [p.equations[i], i];
  };
  const shapeOf = (id: TensorId) => p.tensors[id].shape;
  // A map affine without offset (x·s), one argument: its factor, else null.
  const factor = (eq: Equation): number | null => {
    if (eq.op !== 'map') return null;
    const a = eq.attrs as unknown as MapAttrs;
    if (a.fn !== 'affine' || a.derivative !== undefined || eq.args.length !== 1 || a.params[1] !== 0) return null;
    return a.params[0];
  };
  const isAdd = (eq: Equation) => eq.op === 'map' && (eq.attrs as unknown as MapAttrs).fn === 'add' && eq.args.length === 2;
  // A reshape that keeps the last two axes (queries, keys) and only splits or merges the ones before.
  const leadingReshape = (eq: Equation): boolean => {
    if (eq.op !== 'reshape') return false;
    const from = shapeOf(eq.args[0]);
    const to = shapeOf(eq.outs[0]);
    return from.length >= 2 && to.length >= 2 && [...from, ...to].every((d) => d > 0) && from.at(-1) === to.at(-1) && from.at(-2) === to.at(-2);
  };
  const found: Attention[] = [];
  p.equations.forEach((out, oi) => {
    if (out.op !== 'matmul') return;
    const w = eqOf(out.args[0]);
    if (!w || w[0].op !== 'softmax') return;
    const rank = p.tensors[w[0].outs[0]].shape.length;
    const axes = (w[0].attrs as unknown as AxesAttrs).axes;
    if (axes.length !== 1 || axes[0] !== rank - 1) return;
    const used = [w[1], oi];
    let scale = 1;
    // The added terms, each with the shape of the view it was added in.
    const added: { id: TensorId; view: readonly number[] }[] = [];
    let at = w[0].args[0];
    // Back from the softmax: scales, added masks and leading-axis reshapes, down to the product Q·Kᵀ.
    for (;;) {
      const e = eqOf(at);
      if (!e) return;
      const [eq, i] = e;
      if (eq.op === 'matmul') break;
      const f = factor(eq);
      if (f !== null) {
        scale *= f;
        at = eq.args[0];
      } else if (isAdd(eq)) {
        const side = productSide(eq);
        if (side < 0) return;
        const mask = eq.args[1 - side];
        if (shapeOf(mask).length > shapeOf(eq.args[side]).length) return;
        added.unshift({ id: mask, view: shapeOf(eq.outs[0]) });
        at = eq.args[side];
      } else if (leadingReshape(eq)) {
        at = eq.args[0];
      } else return;
      used.push(i);
    }
    const scores = eqOf(at)!;
    // Q·Kᵀ multiplies two computed tensors; a product with a weight matrix is a linear layer.
    if (scores[0].args.some((id) => p.tensors[id].kind === 'const')) return;
    const scoresShape = shapeOf(at);
    // The weights must be the scores' shape; every term must read on the scores' axes.
    if (!sameShape(shapeOf(w[0].outs[0]), scoresShape)) return;
    const masks: AttentionMask[] = [];
    for (const term of added) {
      if (sameShape(term.view, scoresShape)) {
        masks.push({ id: term.id });
        continue;
      }
      const view = onScores(shapeOf(term.id), term.view, scoresShape);
      if (!view) return;
      masks.push({ id: term.id, view });
    }
    used.push(scores[1]);
    let q = scores[0].args[0];
    // A scale on Q before the product (PyTorch's MultiheadAttention).
    for (let e = eqOf(q); e && factor(e[0]) !== null; e = eqOf(q)) {
      scale *= factor(e[0])!;
      q = e[0].args[0];
      used.push(e[1]);
    }
    let k = scores[0].args[1];
    let keysTransposed = false;
    const t = eqOf(k);
    if (t && t[0].op === 'transpose') {
      const perm = (t[0].attrs as unknown as TransposeAttrs).perm;
      const r = perm.length;
      if (r >= 2 && perm[r - 1] === r - 2 && perm[r - 2] === r - 1 && perm.slice(0, -2).every((d, i) => d === i)) {
        k = t[0].args[0];
        keysTransposed = true;
        used.push(t[1]);
      }
    }
    const qs = p.tensors[q].shape;
    found.push({ q, k, keysTransposed, v: out.args[1], scale, masks, weights: w[0].outs[0], output: out.outs[0], dk: qs[qs.length - 1], equations: used.sort((a, b) => a - b) });
  });
  return found;

  /**
   * Which argument of an add on the way back from the softmax carries the scores: the one that is
   * the product Q·Kᵀ, possibly scaled; else the only one that reaches a product through scales,
   * adds and leading-axis reshapes (within a few equations); else -1.
   */
  function productSide(eq: Equation): number {
    const direct = eq.args.findIndex((id) => reachesProduct(id));
    if (direct >= 0) return direct;
    const sides = [0, 1].filter((k) => reachesThroughViews(eq.args[k]));
    return sides.length === 1 ? sides[0] : -1;
  }

  /** Whether `id` is the product Q·Kᵀ, possibly scaled. */
  function reachesProduct(id: TensorId): boolean {
    for (let cur: TensorId | undefined = id; cur !== undefined; ) {
      const i = producer.get(cur);
      if (i === undefined) return false;
      const eq = p.equations[i];
      if (eq.op === 'matmul') return true;
      if (factor(eq) === null) return false;
      cur = eq.args[0];
    }
    return false;
  }

  /** Whether a product is reached from `id` through scales, adds and leading-axis reshapes, visiting at most 16 equations. */
  function reachesThroughViews(id: TensorId): boolean {
    const stack = [id];
    for (let budget = 16; stack.length > 0 && budget > 0; budget--) {
      const i = producer.get(stack.pop()!);
      if (i === undefined) continue;
      const eq = p.equations[i];
      if (eq.op === 'matmul') return true;
      if (factor(eq) !== null || leadingReshape(eq)) stack.push(eq.args[0]);
      else if (isAdd(eq)) stack.push(...eq.args);
    }
    return false;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The shape a term added to `view` (a reshape of `scores` that keeps their last two axes) reads in
 * on the scores' axes, or null when no broadcast there adds the same numbers. The leading axes of
 * both are cut into the finest groups whose sizes match (a group is one index, split or merged);
 * within a group the term must span every axis or none (broadcast along all of it).
 */
function onScores(term: readonly number[], view: readonly number[], scores: readonly number[]): number[] | null {
  const padded = [...new Array<number>(view.length - term.length).fill(1), ...term];
  // Leading axes of size one belong to no group: they hold one index whatever the term does there.
  const a = view.slice(0, -2).map((d, i) => ({ d, full: padded[i] === d })).filter((x) => x.d > 1);
  const b = scores.slice(0, -2).map((d, i) => ({ d, i })).filter((x) => x.d > 1);
  const out = scores.slice(0, -2).map(() => 1);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let pa = 1;
    let pb = 1;
    const from = i;
    const axes: number[] = [];
    do {
      if (pa <= pb && i < a.length) pa *= a[i++].d;
      else if (j < b.length) {
        axes.push(b[j].i);
        pb *= b[j++].d;
      } else return null;
    } while (pa !== pb);
    const group = a.slice(from, i);
    if (group.some((x) => x.full !== group[0].full)) return null;
    if (group[0].full) for (const k of axes) out[k] = scores[k];
  }
  return [...out, ...padded.slice(-2)];
}
