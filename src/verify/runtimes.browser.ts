/**
 * The page's stand-in for runtimes.ts: the emitted JS module runs in the page (imported from a
 * blob: URL of its own text), LaTeX through KaTeX; the runtimes a browser has not (python3,
 * wolframscript) are skipped with a reason, as runtimes.ts does when they are not installed.
 */
import type { Port } from '../extract/index.js';
import { flatten, nested, type RunResult } from './points.js';

export type { RunResult } from './points.js';
export { parseNumbers } from './points.js';

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
