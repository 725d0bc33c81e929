/**
 * The page's stand-in for extra-runtimes.ts: the page verifies the JS text only (verify/runtimes.browser.ts);
 * the formats this module runs (a C compiler, python3, julia, …) are skipped with a reason.
 */
import type { Port } from '../extract/index.js';
import type { RunResult } from './runtimes.browser.js';

const FORMATS = ['c', 'sympy', 'mathjs', 'julia', 'json', 'html', 'svg'] as const;

export function extraRunners(_text: string, _inputs: readonly Port[], _points: readonly Float64Array[]): Record<(typeof FORMATS)[number], () => Promise<RunResult>> {
  const bound = {} as Record<(typeof FORMATS)[number], () => Promise<RunResult>>;
  for (const f of FORMATS) bound[f] = async () => ({ skipped: `the page runs the js text only (nn2eq MODEL -f ${f} --verify runs this one)` });
  return bound;
}
