import type { Extractor, LayerContext, T } from './types.js';

/**
 * Keras's attention layers: MultiHeadAttention (its four EinsumDense projections), Attention
 * (Luong: dot or concat scores) and AdditiveAttention (Bahdanau). Each is written in the ops the
 * tensor program has (dense, reshape, transpose, matmul, an added mask, softmax), in the order the
 * recognizer (tensor/attention.ts) reads as softmax(s·QKᵀ + M)·V.
 *
 * Masks follow Keras's Softmax: masked scores get −10⁹ added (M = 10⁹·m − 10⁹ for a 0/1 mask m).
 * A causal mask alone is −∞ above the diagonal: it never masks a whole row, so exp gives the
 * same zeros, and it prints as the textbook causal mask. Intermediate values that are not a
 * named quantity (Q, K, V, the scores s, the weights A) take the role '_', so the scalar form
 * never gives two different values one name.
 */

/** Tensor `name` of the call: a keyword argument, else positional argument `index`. */
function argument(ctx: LayerContext, inputs: readonly T[], name: string, index: number): T | undefined {
  return ctx.call.keywords.get(name) ?? inputs[index];
}

function sequence(ctx: LayerContext, t: T, what: string): void {
  if (t.shape.length !== 2) ctx.fail(`${what} has shape [${t.shape.join(', ')}] (without the batch), expected [sequence length, features]`, 'nn2eq reads attention over one sequence axis');
}

/** The 0/1 causal mask of [T, S]: query i sees keys j ≤ i. */
function lowerTriangle(t: number, s: number): Float64Array {
  const m = new Float64Array(t * s);
  for (let i = 0; i < t; i++) for (let j = 0; j < s; j++) m[i * s + j] = j <= i ? 1 : 0;
  return m;
}

/** The additive mask M of the scores [.., T, S] for a 0/1 tensor `mask` and/or the causal mask; null when neither. */
function additiveMask(ctx: LayerContext, mask: T | undefined, causal: boolean, t: number, s: number): T | null {
  if (!mask && !causal) return null;
  if (!mask) return ctx.constant('M', [t, s], lowerTriangle(t, s).map((v) => (v ? 0 : -Infinity)));
  const both = causal ? ctx.map('mul', [mask, ctx.constant('C', [t, s], lowerTriangle(t, s))], [], '_') : mask;
  return ctx.map('affine', [both], [1e9, -1e9], '_');
}

/** softmax over the keys of `scores` (+ M), then the product with the values. */
function weigh(ctx: LayerContext, scores: T, mask: T | null, v: T): { out: T; weights: T } {
  const masked = mask ? ctx.map('add', [scores, mask], [], '_') : scores;
  const weights = ctx.op('softmax', [masked], { axes: [masked.shape.length - 1] }, 'A')[0];
  return { out: ctx.op('matmul', [weights, v], {}, 'h')[0], weights };
}

/** Keras masks (Embedding mask_zero, Masking) reach attention layers implicitly and change their result; nn2eq does not carry them. */
function refuseImplicitMasks(ctx: LayerContext): void {
  const source = ctx.model.layers.find((l) => (l.className === 'Embedding' && l.config.mask_zero === true) || l.className === 'Masking');
  if (source) ctx.fail(`the model's layer '${source.name}' (${source.className}${source.className === 'Embedding' ? ' with mask_zero' : ''}) makes a Keras mask, which Keras applies inside this layer; nn2eq does not carry Keras masks`, 'save the model without the implicit mask, or pass the padding mask as attention_mask');
}

function positiveInt(ctx: LayerContext, key: string, fallback?: number): number {
  const v = ctx.layer.config[key] ?? fallback;
  if (!Number.isInteger(v) || (v as number) <= 0) return ctx.fail(`'${key}' is ${JSON.stringify(v)}, expected a positive integer`);
  return v as number;
}

/**
 * MultiHeadAttention: Q = X_q W_Q + b_Q (the kernel [d, heads, key_dim] as a [d, heads·key_dim]
 * matrix), split into heads; K, V likewise; per head softmax((Q/√key_dim)·Kᵀ + M)·V; the heads
 * concatenated and projected by the output kernel [heads, value_dim, out] as a matrix.
 */
const multiHeadAttention: Extractor = (ctx, inputs) => {
  const c = ctx.layer.config;
  const query = argument(ctx, inputs, 'query', 0);
  const value = argument(ctx, inputs, 'value', 1);
  if (!query || !value) return ctx.fail('is called without a query and a value tensor');
  refuseImplicitMasks(ctx);
  const key = argument(ctx, inputs, 'key', 2) ?? value;
  const mask = argument(ctx, inputs, 'attention_mask', 3);
  sequence(ctx, query, 'the query');
  sequence(ctx, value, 'the value');
  sequence(ctx, key, 'the key');
  const axes = c.attention_axes;
  if (axes !== undefined && axes !== null && !(JSON.stringify(axes) === '[1]' || axes === 1 || JSON.stringify(axes) === '[-2]')) {
    ctx.fail(`attention_axes is ${JSON.stringify(axes)}; nn2eq reads attention over axis 1 (the default)`);
  }
  if (c.use_gate === true) ctx.fail('use_gate is on, which nn2eq does not support');
  const heads = positiveInt(ctx, 'num_heads');
  const dk = positiveInt(ctx, 'key_dim');
  const dv = positiveInt(ctx, 'value_dim', dk);
  const bias = c.use_bias !== false;
  const outShape = c.output_shape;
  const out = outShape === null || outShape === undefined ? query.shape[1] : Array.isArray(outShape) && outShape.length === 1 ? outShape[0] : outShape;
  if (!Number.isInteger(out) || (out as number) <= 0) ctx.fail(`output_shape is ${JSON.stringify(outShape)}; nn2eq reads one output size`);
  const [t, s] = [query.shape[0], value.shape[0]];
  if (key.shape[0] !== s) ctx.fail(`the key has ${key.shape[0]} positions and the value ${s}`);
  if (mask && !broadcastsTo(mask.shape, [t, s])) ctx.fail(`attention_mask has shape [${mask.shape.join(', ')}], expected one that broadcasts to [${t}, ${s}]`);

  // [n, d] → [heads, n, size]: the projection, then one [n, size] slice per head.
  const project = (x: T, sub: 'query' | 'key' | 'value', letter: string, size: number): T => {
    const d = x.shape[1];
    const W = ctx.constant(`W${letter}`, [d, heads * size], ctx.weight(`${sub}/kernel`, [d, heads, size]).values);
    const args = bias ? [x, W, ctx.constant(`b${letter}`, [heads * size], ctx.weight(`${sub}/bias`, [heads, size]).values)] : [x, W];
    const y = ctx.op('dense', args, { pairs: 1, bias }, letter)[0];
    const split = ctx.op('reshape', [y], { shape: [x.shape[0], heads, size] }, letter)[0];
    return ctx.op('transpose', [split], { perm: [1, 0, 2] }, letter)[0];
  };
  const q = project(query, 'query', 'Q', dk);
  const k = project(key, 'key', 'K', dk);
  const v = project(value, 'value', 'V', dv);
  // Keras scales the queries before the product.
  const qs = ctx.map('affine', [q], [1 / Math.sqrt(dk), 0], '_');
  const kt = ctx.op('transpose', [k], { perm: [0, 2, 1] }, 'K')[0];
  const scores = ctx.op('matmul', [qs, kt], {}, 's')[0];
  const { out: o, weights } = weigh(ctx, scores, additiveMask(ctx, mask, ctx.call.options.use_causal_mask === true, t, s), v);
  const joined = ctx.op('reshape', [ctx.op('transpose', [o], { perm: [1, 0, 2] }, 'h')[0]], { shape: [t, heads * dv] }, 'h')[0];
  const Wo = ctx.constant('WO', [heads * dv, out as number], ctx.weight('attention_output/kernel', [heads, dv, out as number]).values);
  const args = bias ? [joined, Wo, ctx.param('attention_output/bias', 'bO', [out as number])] : [joined, Wo];
  const y = ctx.op('dense', args, { pairs: 1, bias }, 'h')[0];
  return ctx.call.options.return_attention_scores === true ? [y, weights] : [y];
};

function broadcastsTo(a: readonly number[], to: readonly number[]): boolean {
  if (a.length > to.length) return false;
  return a.every((d, i) => d === 1 || d === to[to.length - a.length + i]);
}

/** [query, value(, key)] of Attention and AdditiveAttention, with the masks they refuse. */
function luongInputs(ctx: LayerContext, inputs: readonly T[]): [T, T, T] {
  if (inputs.length < 2 || inputs.length > 3) return ctx.fail(`takes [query, value] or [query, value, key], found ${inputs.length} input${inputs.length === 1 ? '' : 's'}`);
  if (ctx.call.keywords.has('mask')) ctx.fail('is called with a mask; nn2eq reads it without query or value masks', 'use use_causal_mask, or apply the mask outside the layer');
  refuseImplicitMasks(ctx);
  const [q, v] = inputs;
  const k = inputs[2] ?? v;
  sequence(ctx, q, 'the query');
  sequence(ctx, v, 'the value');
  sequence(ctx, k, 'the key');
  if (q.shape[1] !== k.shape[1]) ctx.fail(`the query has ${q.shape[1]} features and the key ${k.shape[1]}`);
  if (k.shape[0] !== v.shape[0]) ctx.fail(`the key has ${k.shape[0]} positions and the value ${v.shape[0]}`);
  return [q, v, k];
}

/** A scalar weight (Attention's scale and concat_score_weight). */
function scalar(ctx: LayerContext, name: string): number {
  const w = ctx.weight(name);
  if (w.values.length !== 1) ctx.fail(`weight '${name}' has ${w.values.length} values, expected 1`);
  return w.values[0];
}

/** Σ over features of w·tanh(s·(q_i + k_j)): the [Tq, Tv] scores of concat and additive attention. */
function tanhScores(ctx: LayerContext, q: T, k: T, scale: number | null, w: ArrayLike<number>): T {
  const [tq, d] = q.shape;
  const tv = k.shape[0];
  const qe = ctx.op('reshape', [q], { shape: [tq, 1, d] }, 'q')[0];
  const ke = ctx.op('reshape', [k], { shape: [1, tv, d] }, 'k')[0];
  const sum = ctx.map('add', [qe, ke], [], '_');
  const scaled = scale === null ? sum : ctx.map('affine', [sum], [scale, 0], '_');
  const th = ctx.map('tanh', [scaled], [], 'u');
  const z = ctx.op('dense', [th, ctx.constant('w', [d, 1], w)], { pairs: 1, bias: false }, 's')[0];
  return ctx.op('reshape', [z], { shape: [tq, tv] }, 's')[0];
}

function causal(ctx: LayerContext): boolean {
  return ctx.call.options.use_causal_mask === true || ctx.layer.config.causal === true;
}

/** Attention: softmax(scale·Q·Kᵀ)·V ('dot'), or softmax(w·Σ tanh(scale·(q_i + k_j)))·V ('concat'). */
const attention: Extractor = (ctx, inputs) => {
  const [q, v, k] = luongInputs(ctx, inputs);
  const c = ctx.layer.config;
  const scale = c.use_scale === true ? scalar(ctx, 'scale') : null;
  const mode = c.score_mode ?? 'dot';
  let scores: T;
  if (mode === 'dot') {
    const product = ctx.op('matmul', [q, ctx.op('transpose', [k], { perm: [1, 0] }, 'K')[0]], {}, 's')[0];
    scores = scale === null ? product : ctx.map('affine', [product], [scale, 0], '_');
  } else if (mode === 'concat') {
    const w = scalar(ctx, 'concat_score_weight');
    scores = tanhScores(ctx, q, k, scale, Array.from({ length: q.shape[1] }, () => w));
  } else return ctx.fail(`score_mode is ${JSON.stringify(mode)}, expected 'dot' or 'concat'`);
  const { out, weights } = weigh(ctx, scores, additiveMask(ctx, undefined, causal(ctx), q.shape[0], v.shape[0]), v);
  return ctx.call.options.return_attention_scores === true ? [out, weights] : [out];
};

/** AdditiveAttention: softmax(Σ_d scale_d·tanh(q_i + k_j))·V. */
const additiveAttention: Extractor = (ctx, inputs) => {
  const [q, v, k] = luongInputs(ctx, inputs);
  const d = q.shape[1];
  const w = ctx.layer.config.use_scale !== false ? ctx.weight('scale', [d]).values : new Float64Array(d).fill(1);
  const scores = tanhScores(ctx, q, k, null, w);
  const { out, weights } = weigh(ctx, scores, additiveMask(ctx, undefined, causal(ctx), q.shape[0], v.shape[0]), v);
  return ctx.call.options.return_attention_scores === true ? [out, weights] : [out];
};

export const attentionLayers: Record<string, Extractor> = {
  MultiHeadAttention: multiHeadAttention,
  Attention: attention,
  AdditiveAttention: additiveAttention,
};
