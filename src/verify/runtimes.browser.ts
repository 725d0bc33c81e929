/**
 * The page's stand-in for runtimes.ts: the emitted JS module runs in the page (imported from a
 * blob: URL of its own text), LaTeX through KaTeX; the runtimes a browser has not (python3,
 * wolframscript) are skipped with a reason, as runtimes.ts does when they are not installed.
 */
import type { Port } from '../extract/index.js';

export type RunResult = { values: number[][] } | { skipped: string } | { valid: true } | { invalid: string };

/** Nested per-input arrays of one point, in each input's shape (as runtimes.ts). */
function nested(point: Float64Array, inputs: readonly Port[]): unknown[] {
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

function flatten(v: unknown): number[] {
  if (typeof v === 'string') return [/nan/i.test(v) ? NaN : v.startsWith('-') ? -Infinity : Infinity];
  return Array.isArray(v) ? v.flatMap(flatten) : [Number(v)];
}

export function parseNumbers(text: string): number[][] {
  const quoted = text.replace(/-?\bInfinity\b|\bNaN\b|-?\binf\b|\bnan\b/g, (m) => `"${m}"`);
  return (JSON.parse(quoted) as unknown[]).map(flatten);
}

/** No program runs beside the page: every probe finds nothing. */
export function probe(exe: string, _args: readonly string[]): { error?: Error; status: number | null } {
  return { error: new Error(`${exe} does not run in the browser`), status: null };
}

export async function runJs(text: string, inputs: readonly Port[], points: readonly Float64Array[]): Promise<RunResult> {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
  try {
    const mod = (await import(/* @vite-ignore */ url)) as { predict: (...a: unknown[]) => unknown; PARAMS?: unknown };
    const lead = mod.PARAMS === undefined ? [] : [mod.PARAMS];
    return { values: points.map((p) => flatten(mod.predict(...lead, ...nested(p, inputs)))) };
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function runNumpy(): Promise<RunResult> {
  return { skipped: 'python3 does not run in the browser (nn2eq MODEL -f numpy --verify runs it)' };
}

export async function runWolfram(): Promise<RunResult> {
  return { skipped: 'wolframscript does not run in the browser (nn2eq MODEL -f mathematica --verify runs it)' };
}

export async function checkLatex(text: string): Promise<RunResult> {
  const katex = (await import('katex')).default as unknown as { renderToString(t: string, o: object): string; __parse(t: string, o: object): unknown };
  const options = { throwOnError: true, displayMode: true, maxExpand: Infinity };
  try {
    if (text.length > 200_000) katex.__parse(text, options);
    else katex.renderToString(text, options);
    return { valid: true };
  } catch (e) {
    return { invalid: String((e as Error).message ?? e).split('\n')[0] };
  }
}
