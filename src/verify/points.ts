import type { Port } from '../extract/index.js';

// What the runners share, in node and in the page (runtimes.ts, runtimes.browser.ts): the points as
// nested per-input arrays, and a runtime's printed numbers read back (NaN and infinities included).

export type RunResult = { values: number[][] } | { skipped: string } | { valid: true } | { invalid: string };

/** Nested per-input arrays of one point, in each input's shape. */
export function nested(point: Float64Array, inputs: readonly Port[]): unknown[] {
  return inputs.map((p) => {
    const flat = Array.from(point.subarray(p.offset, p.offset + p.size));
    const build = (shape: readonly number[], at: number): [unknown, number] => {
      if (shape.length === 0) return [flat[at], at + 1];
      const out: unknown[] = [];
      for (let i = 0; i < shape[0]; i++) {
        const [v, next] = build(shape.slice(1), at);
        out.push(v);
        at = next;
      }
      return [out, at];
    };
    return build(p.shape, 0)[0];
  });
}

/**
 * JSON from Python or Wolfram, where NaN, Infinity and -Infinity are bare words JSON.parse
 * refuses: they are read as the numbers they name.
 */
export function parseNumbers(text: string): number[][] {
  const quoted = text.replace(/-?\bInfinity\b|\bNaN\b|-?\binf\b|\bnan\b/g, (m) => `"${m}"`);
  return (JSON.parse(quoted) as unknown[]).map(flatten);
}

export function flatten(v: unknown): number[] {
  if (typeof v === 'string') return [/nan/i.test(v) ? NaN : v.startsWith('-') ? -Infinity : Infinity];
  return Array.isArray(v) ? v.flatMap(flatten) : [Number(v)];
}
