import type { FnName } from '../../tensor/functions.js';
import type { T } from '../../tensor/program.js';
import { dtypeOfVal, tensor, type OnnxContext, type Val } from './context.js';

/**
 * MelWeightMatrix (onnx/reference/ops/op_mel_weight_matrix.py) whose band edges are computed: the
 * integers fix the [dft_length/2 + 1, num_mel_bins] shape, and the matrix is built element by
 * element as the reference's loops fill it, in the precision numpy gives each step (the edges in
 * mel in float32, rounded after every operation; the bins in float64, floor-divided by the rate:
 * floor(a / rate), one less where rate · that passes a. numpy's // (floorDivide below) takes fmod
 * instead, which the tensor program has no exact function for: the two can differ by one bin where a
 * bin's a / rate lies within rounding of a whole number; the constant-edge path uses floorDivide). Entry (j, i), with the bins lo, c, hi of band i:
 * (hi − j)/(hi − c) where hi > c and c ≤ j < hi (the falling side, written last), else
 * (j − lo)/(c − lo) where c ≥ lo and lo ≤ j ≤ c (1 where c = lo), else 0. Every entry is NaN where
 * a bin falls outside the spectrogram (an edge below 0 Hz or past the Nyquist frequency): there the
 * reference fails on an index, or reads one from the end.
 */
export function melComputed(ctx: OnnxContext, mels: number, length: number, rate: number, dtype: 'float32' | 'float64', output: 'float32' | 'float64'): Val[] {
  const rows = Math.floor(length / 2) + 1;
  const n = mels + 2;
  const num = (v: number) => ctx.const('c', [], [v]);
  const map = (fn: FnName, args: readonly T[], params: readonly number[] = []) => ctx.map(fn, args, params, '_');
  const edge = (i: number): T => {
    const t = ctx.tensor(i);
    if (t.shape.reduce((a, d) => a * d, 1) !== 1) return ctx.fail(`input ${i + 1} has shape [${t.shape.join(', ')}], expected one number`);
    // Rank 1, not 0: every format broadcasts a one-element vector (a rank-0 array compares as a list in Wolfram's).
    return ctx.reshape(t, [1]);
  };
  // The reference computes in the edges' type: float32 rounds after every operation.
  const r = (t: T) => (dtype === 'float32' ? map('round_float32', [t]) : t);
  const ln10 = num(Math.LN10);
  const toMel = (f: T) => r(map('affine', [r(map('div', [r(map('log', [r(map('affine', [r(map('div', [f, num(700)]))], [1, 1]))])), ln10]))], [2595, 0]));
  // An edge computed in float64 is first the float32 value ONNX holds (one rounding of the exact value).
  const low = toMel(r(edge(3)));
  const step = r(map('div', [r(map('sub', [toMel(r(edge(4))), low])), num(n)]));
  // k·step + low, 700·(10^(mel/2595) − 1), (dft_length + 1)·hz, in float64 as numpy promotes them.
  const k = ctx.const('k', [n], Array.from({ length: n }, (_, i) => i));
  const mel = map('add', [map('mul', [k, step]), low]);
  const hz = map('affine', [map('affine', [map('power', [num(10), map('div', [mel, num(2595)])])], [1, -1])], [700, 0]);
  const a = map('affine', [hz], [length + 1, 0]);
  // floor(a / rate), one less where rate · that passes a (a / rate may round up onto the next whole number).
  const q = map('floor', [map('div', [a, num(rate)])]);
  const bins = map('where', [map('greater', [map('affine', [q], [rate, 0]), a]), map('affine', [q], [1, -1]), q]);
  const lo = ctx.op('slice', [bins], { begin: [0], end: [mels] }, '_')[0];
  const c = ctx.op('slice', [bins], { begin: [1], end: [mels + 1] }, '_')[0];
  const hi = ctx.op('slice', [bins], { begin: [2], end: [n] }, '_')[0];
  const j = ctx.const('j', [rows, 1], Array.from({ length: rows }, (_, i) => i));
  const all = (...ts: T[]) => ts.reduce((x, y) => map('and', [x, y]));
  const falling = all(map('greater', [hi, c]), map('greater_equal', [j, c]), map('less', [j, hi]));
  const rising = all(map('greater_equal', [c, lo]), map('greater_equal', [j, lo]), map('less_equal', [j, c]));
  const down = map('div', [map('sub', [hi, j]), map('sub', [hi, c])]);
  const up = map('where', [map('equal', [c, lo]), num(1), map('div', [map('sub', [j, lo]), map('sub', [c, lo])])]);
  const w = map('where', [falling, down, map('where', [rising, up, num(0)])]);
  // Bins 0…mels index rows 0…rows − 1; the last bin is only ever an end (rows at most).
  const top = ctx.const('top', [n], Array.from({ length: n }, (_, i) => (i === n - 1 ? rows : rows - 1)));
  const outside = map('or', [map('less_than', [bins], [0]), map('greater', [bins, top])]);
  const any = ctx.reshape(ctx.op('global_pool', [ctx.reshape(outside, [n, 1])], { kind: 'max' }, '_')[0], [1, 1]);
  const out = ctx.map('where', [any, num(NaN), w], [], 'h');
  return [tensor(output === 'float32' ? ctx.map('round_float32', [out], [], 'h') : out, output)];
}

/**
 * numpy's a // b for floats (npy_divmod, as CPython's float //): (a − fmod(a, b)) / b, one less where
 * the remainder's sign is not b's, then floored, and rounded up where that floor lies more than ½
 * below. Not floor(a / b), which differs where a / b rounds onto or across a whole number.
 */
export function floorDivide(a: number, b: number): number {
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod && b < 0 !== mod < 0) div -= 1;
  if (!div) return 1 / (a / b) < 0 ? -0 : 0; // the sign of a / b, as copysign(0, a / b)
  const f = Math.floor(div);
  return div - f > 0.5 ? f + 1 : f;
}

/** Whether MelWeightMatrix's band edges are both known when the formula is written. */
export const edgesConstant = (ctx: OnnxContext) => ctx.val(3).kind === 'const' && ctx.val(4).kind === 'const';

/** The float type of the band edges, which the computation follows (float32 or float64), or null. */
export function edgeType(ctx: OnnxContext): 'float32' | 'float64' | null {
  const d = dtypeOfVal(ctx.val(3));
  return d === dtypeOfVal(ctx.val(4)) && (d === 'float32' || d === 'float64') ? d : null;
}
