import type { LayerSpec, Weight } from '../load/spec.js';
import type { LayerContext, T } from './types.js';

/** Config helpers for extractors. Shapes exclude the batch dimension. */

export { sizeOf } from '../tensor/program.js';

/** A Keras axis (counting the batch as axis 0, negative from the end) as an index into `shape`. */
export function kerasAxis(ctx: LayerContext, axis: unknown, rank: number, key = 'axis'): number {
  const a = Number(axis);
  if (!Number.isInteger(a)) return ctx.fail(`'${key}' is ${JSON.stringify(axis)}, expected an integer axis`);
  const i = a < 0 ? rank + a : a - 1;
  if (i < 0 || i >= rank) return ctx.fail(`'${key}' ${a} is not an axis of an input of shape [${rank} dims] (the batch axis 0 cannot be used)`);
  return i;
}

/** A Keras axis setting that may be one axis or a list of axes. */
export function kerasAxes(ctx: LayerContext, axis: unknown, rank: number, key = 'axis'): number[] {
  const list = Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => kerasAxis(ctx, a, rank, key)))].sort((x, y) => x - y);
}

/** An integer or a list of `n` integers in the config (kernel_size, strides, …). */
export function intTuple(ctx: LayerContext, key: string, n: number, fallback?: number[]): number[] {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) {
    if (fallback) return fallback;
    return ctx.fail(`'${key}' is missing`);
  }
  const list = Array.isArray(v) ? v : Array.from({ length: n }, () => v);
  if (list.length !== n || !list.every((x) => Number.isInteger(x))) return ctx.fail(`'${key}' is ${JSON.stringify(v)}, expected ${n} integer${n === 1 ? '' : 's'}`);
  return list as number[];
}

/** Permutes the axes of `t` (output axis i is input axis perm[i]); no equation for the identity. */
export function transpose(ctx: LayerContext, t: T, perm: readonly number[]): T {
  if (perm.every((p, i) => p === i)) return t;
  return ctx.op('transpose', [t], { perm }, 'v')[0];
}

/** Channels-first data as channels-last (C, d1, …) → (d1, …, C), and back. */
export function toChannelsLast(ctx: LayerContext, t: T): T {
  const r = t.shape.length;
  return transpose(ctx, t, [...Array.from({ length: r - 1 }, (_, i) => i + 1), 0]);
}
export function toChannelsFirst(ctx: LayerContext, t: T): T {
  const r = t.shape.length;
  return transpose(ctx, t, [r - 1, ...Array.from({ length: r - 1 }, (_, i) => i)]);
}

export function channelsFirst(ctx: LayerContext): boolean {
  return ctx.layer.config.data_format === 'channels_first';
}

export function sameShape(ctx: LayerContext, inputs: readonly T[]): readonly number[] {
  const s = inputs[0].shape;
  for (const t of inputs) {
    if (t.shape.length !== s.length || t.shape.some((d, i) => d !== s[i])) {
      return ctx.fail(`inputs have shapes ${inputs.map((x) => `[${x.shape.join(', ')}]`).join(' and ')}, expected equal shapes`);
    }
  }
  return s;
}

/** The wrapped layer of a wrapper's config ({class_name, config}). */
export function wrappedLayer(ctx: LayerContext, key: string, weights: Map<string, Weight>): LayerSpec | null {
  const inner = ctx.layer.config[key] as { class_name?: unknown; config?: Record<string, unknown> } | undefined | null;
  if (inner === undefined || inner === null) return null;
  if (typeof inner.class_name !== 'string' || typeof inner.config !== 'object' || inner.config === null) {
    return ctx.fail(`'${key}' should be a layer config {class_name, config}, found ${JSON.stringify(inner).slice(0, 60)}`);
  }
  return { name: String(inner.config.name ?? `${ctx.layer.name}_${key}`), className: inner.class_name, config: inner.config, inbound: [], weights };
}
