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
 * The axes MultiHeadAttention attends over, as indices of the query without its batch axis, in the
 * order given. Keras counts them in the projected [batch, <axes>, heads, key_dim] of rank R (query
 * rank + 2 here), negative ones from its end, as its einsum equations read them; the default is
 * every axis but batch, heads and features.
 */
function attentionAxes(ctx: LayerContext, rank: number): number[] {
  const raw = ctx.layer.config.attention_axes;
  const R = rank + 2;
  const list = raw === undefined || raw === null ? Array.from({ length: rank - 1 }, (_, i) => i + 1) : Array.isArray(raw) ? raw : [raw];
  const axes = list.map((a) => (Number.isInteger(a) ? ((a as number) < 0 ? (a as number) + R : (a as number)) : NaN));
  if (axes.length === 0 || axes.some((a, i) => !(a >= 1 && a <= rank - 1) || axes.indexOf(a) !== i)) {
    ctx.fail(`attention_axes is ${JSON.stringify(raw)}; for a query of rank ${rank + 1} (with the batch) they are distinct axes from 1 to ${rank - 1}, not the batch, heads (${R - 2}, or -2) or features (${R - 1}, or -1) axis of the projection`);
  }
  return axes.map((a) => a - 1);
}

/**
 * MultiHeadAttention: Q = X_q W_Q + b_Q (the kernel [d, heads, key_dim] as a [d, heads·key_dim]
 * matrix), split into heads; K, V likewise; per head softmax((Q/√key_dim)·Kᵀ + M)·V; the heads
 * concatenated and projected by the output kernel [heads, value_dim, out] as a matrix. Inputs of
 * higher rank attend over their attention_axes, the other axes as batch axes (attentionOverAxes).
 */
const multiHeadAttention: Extractor = (ctx, inputs) => {
  const c = ctx.layer.config;
  const query = argument(ctx, inputs, 'query', 0);
  const value = argument(ctx, inputs, 'value', 1);
  if (!query || !value) return ctx.fail('is called without a query and a value tensor');
  refuseImplicitMasks(ctx);
  const key = argument(ctx, inputs, 'key', 2) ?? value;
  const mask = argument(ctx, inputs, 'attention_mask', 3);
  if (query.shape.length < 2) ctx.fail(`the query has shape [${query.shape.join(', ')}] (without the batch), expected at least [positions, features]`);
  for (const [t, what] of [[value, 'value'], [key, 'key']] as const) {
    if (t.shape.length !== query.shape.length) ctx.fail(`the ${what} has shape [${t.shape.join(', ')}] and the query [${query.shape.join(', ')}], expected the same rank`);
  }
  const axes = attentionAxes(ctx, query.shape.length);
  if (c.use_gate === true) ctx.fail('use_gate is on, which nn2eq does not support');
  const heads = positiveInt(ctx, 'num_heads');
  const dk = positiveInt(ctx, 'key_dim');
  const dv = positiveInt(ctx, 'value_dim', dk);
  const bias = c.use_bias !== false;
  const outShape = c.output_shape;
  const out = outShape === null || outShape === undefined ? query.shape[query.shape.length - 1] : Array.isArray(outShape) && outShape.length === 1 ? outShape[0] : outShape;
  if (!Number.isInteger(out) || (out as number) <= 0) ctx.fail(`output_shape is ${JSON.stringify(outShape)}; nn2eq reads one output size`);

  // [.., d] → [.., heads·size]: the projection as one matrix.
  const projection = (x: T, sub: 'query' | 'key' | 'value', letter: string, size: number): T => {
    const d = x.shape[x.shape.length - 1];
    const W = ctx.constant(`W${letter}`, [d, heads * size], ctx.weight(`${sub}/kernel`, [d, heads, size]).values);
    const args = bias ? [x, W, ctx.constant(`b${letter}`, [heads * size], ctx.weight(`${sub}/bias`, [heads, size]).values)] : [x, W];
    return ctx.op('dense', args, { pairs: 1, bias }, letter)[0];
  };
  const output = (joined: T): T => {
    const Wo = ctx.constant('WO', [heads * dv, out as number], ctx.weight('attention_output/kernel', [heads, dv, out as number]).values);
    const args = bias ? [joined, Wo, ctx.param('attention_output/bias', 'bO', [out as number])] : [joined, Wo];
    return ctx.op('dense', args, { pairs: 1, bias }, 'h')[0];
  };
  if (query.shape.length > 2) {
    if (mask || ctx.call.options.use_causal_mask === true) ctx.fail(`is called with ${mask ? 'an attention_mask' : 'use_causal_mask'} on inputs of rank ${query.shape.length + 1}; nn2eq reads masks for attention over one sequence axis`, 'apply the mask outside the layer, or attend over a [batch, positions, features] input');
    return attentionOverAxes(ctx, { query, key, value }, axes, { heads, dk, dv }, projection, output);
  }

  const [t, s] = [query.shape[0], value.shape[0]];
  if (key.shape[0] !== s) ctx.fail(`the key has ${key.shape[0]} positions and the value ${s}`);
  if (mask && !broadcastsTo(mask.shape, [t, s])) ctx.fail(`attention_mask has shape [${mask.shape.join(', ')}], expected one that broadcasts to [${t}, ${s}]`);
  // [n, heads·size] → [heads, n, size]: one [n, size] slice per head.
  const project = (x: T, sub: 'query' | 'key' | 'value', letter: string, size: number): T => {
    const split = ctx.op('reshape', [projection(x, sub, letter, size)], { shape: [x.shape[0], heads, size] }, letter)[0];
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
  const y = output(joined);
  return ctx.call.options.return_attention_scores === true ? [y, weights] : [y];
};

/**
 * MultiHeadAttention over the attention axes A of inputs [<axes>, features], the other axes O
 * acting as batch axes: each projection split into heads and arranged as [O, heads, A, size],
 * A flattened into one axis of positions, the attention of one axis on that, then the result
 * arranged back. Keras's softmax runs over all key attention axes at once, which is the softmax
 * over the flattened axis; its returned scores are [O, heads, A_query, A_key].
 */
function attentionOverAxes(
  ctx: LayerContext,
  io: { query: T; key: T; value: T },
  axes: readonly number[],
  size: { heads: number; dk: number; dv: number },
  projection: (x: T, sub: 'query' | 'key' | 'value', letter: string, size: number) => T,
  output: (joined: T) => T,
): T[] {
  const { heads, dk, dv } = size;
  const r = io.query.shape.length;
  const others = Array.from({ length: r - 1 }, (_, i) => i).filter((i) => !axes.includes(i));
  const dims = (x: T, which: readonly number[]) => which.map((i) => x.shape[i]);
  const count = (x: T) => dims(x, axes).reduce((a, b) => a * b, 1);
  for (const [t, what] of [[io.value, 'value'], [io.key, 'key']] as const) {
    if (dims(t, others).join() !== dims(io.query, others).join()) ctx.fail(`the ${what} has shape [${t.shape.join(', ')}] and the query [${io.query.shape.join(', ')}]; their axes outside attention_axes must agree`);
  }
  if (io.key.shape.slice(0, -1).join() !== io.value.shape.slice(0, -1).join()) ctx.fail(`the key has shape [${io.key.shape.join(', ')}] and the value [${io.value.shape.join(', ')}]; all but their last axes must agree`);
  const lead = dims(io.query, others);
  // [<axes>, heads·size] → [<axes>, heads, size] → [O, heads, A, size] → [O, heads, |A|, size].
  const perm = [...others, r - 1, ...axes, r];
  const project = (x: T, sub: 'query' | 'key' | 'value', letter: string, width: number): T => {
    const split = ctx.op('reshape', [projection(x, sub, letter, width)], { shape: [...x.shape.slice(0, -1), heads, width] }, letter)[0];
    const arranged = ctx.op('transpose', [split], { perm }, letter)[0];
    return ctx.op('reshape', [arranged], { shape: [...lead, heads, count(x), width] }, letter)[0];
  };
  const q = project(io.query, 'query', 'Q', dk);
  const k = project(io.key, 'key', 'K', dk);
  const v = project(io.value, 'value', 'V', dv);
  const qs = ctx.map('affine', [q], [1 / Math.sqrt(dk), 0], '_');
  const n = lead.length;
  const kt = ctx.op('transpose', [k], { perm: [...Array.from({ length: n + 1 }, (_, i) => i), n + 2, n + 1] }, 'K')[0];
  const scores = ctx.op('matmul', [qs, kt], {}, 's')[0];
  const { out: o, weights } = weigh(ctx, scores, null, v);
  // [O, heads, |A|, dv] → [O, heads, A, dv] → [<axes>, heads, dv] → [<axes>, heads·dv].
  const unflat = ctx.op('reshape', [o], { shape: [...lead, heads, ...dims(io.query, axes), dv] }, 'h')[0];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const back = ctx.op('transpose', [unflat], { perm: inverse }, 'h')[0];
  const joined = ctx.op('reshape', [back], { shape: [...io.query.shape.slice(0, -1), heads * dv] }, 'h')[0];
  const y = output(joined);
  if (ctx.call.options.return_attention_scores !== true) return [y];
  return [y, ctx.op('reshape', [weights], { shape: [...lead, heads, ...dims(io.query, axes), ...dims(io.key, axes)] }, 'A')[0]];
}

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
