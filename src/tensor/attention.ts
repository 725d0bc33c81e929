import type { AxesAttrs, MapAttrs, TransposeAttrs } from './ops.js';
import type { Equation, TensorId, TensorProgram } from './program.js';

/**
 * Scaled dot-product attention found in a tensor program, with its roles named:
 * output = softmax(scale · Q·Kᵀ + M)·V, the softmax over the keys (the last axis). However the
 * source wrote it (PyTorch's MultiheadAttention scales Q before the product, nanoGPT the scores
 * after; a mask is added or not), the same equations match: Q·Kᵀ a `matmul`, the scale a `map`
 * affine without offset, the mask a `map` add, then `softmax` and a `matmul` by V.
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
  /** The additive mask M, when there is one. */
  readonly mask?: TensorId;
  /** The softmax's output (the attention weights) and the result. */
  readonly weights: TensorId;
  readonly output: TensorId;
  /** Size of the query / key vectors (the contracted axis). */
  readonly dk: number;
  /** Indices (in program.equations) of the pattern's equations, the output's last. */
  readonly equations: readonly number[];
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
  // A map affine without offset (x·s), one argument: its factor, else null.
  const factor = (eq: Equation): number | null => {
    if (eq.op !== 'map') return null;
    const a = eq.attrs as unknown as MapAttrs;
    if (a.fn !== 'affine' || a.derivative !== undefined || eq.args.length !== 1 || a.params[1] !== 0) return null;
    return a.params[0];
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
    let mask: TensorId | undefined;
    let at = w[0].args[0];
    // Back from the softmax: scales and at most one added mask, down to the product Q·Kᵀ.
    for (;;) {
      const e = eqOf(at);
      if (!e) return;
      const [eq, i] = e;
      if (eq.op === 'matmul') break;
      const f = factor(eq);
      if (f !== null) {
        scale *= f;
        at = eq.args[0];
      } else if (eq.op === 'map' && (eq.attrs as unknown as MapAttrs).fn === 'add' && eq.args.length === 2 && mask === undefined) {
        const side = eq.args.findIndex((id) => reachesProduct(id));
        if (side < 0) return;
        mask = eq.args[1 - side];
        if (p.tensors[mask].shape.length > p.tensors[eq.args[side]].shape.length) return;
        at = eq.args[side];
      } else return;
      used.push(i);
    }
    const scores = eqOf(at)!;
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
    found.push({ q, k, keysTransposed, v: out.args[1], scale, mask, weights: w[0].outs[0], output: out.outs[0], dk: qs[qs.length - 1], equations: used.sort((a, b) => a - b) });
  });
  return found;

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
}
