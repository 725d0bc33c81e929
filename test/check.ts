import { describe, expect, it } from 'vitest';
import { convertFile, evaluateOutputs, extract, loadModel, Nn2eqError, type ConvertOptions } from '../src/index.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { flat, inCI, mismatch, python, runJs, runNumpy, runWolfram, type Reference } from './helpers.js';

if (python.skip) console.warn(`\n*** SKIPPING NumPy and Wolfram checks: ${python.skip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** A test that needs python3 + numpy + sympy: skipped with a visible reason, but failed under CI. */
export function withPython(name: string, fn: () => void | Promise<void>, timeout = 120_000) {
  if (!python.skip) return it(name, fn, timeout);
  if (inCI) return it(name, () => expect.fail(python.skip!));
  return it.skip(`${name} [needs python: ${python.skip}]`, fn);
}

/** How a model's closed form (--inline, --max-size 20MB) is expected to fare. */
export interface CheckOptions {
  /** True for models whose closed form grows past the limit (deep or wide); it must then be refused. */
  inlineRefused?: boolean;
  atol?: number;
  rtol?: number;
  /** The weights file of a Keras architecture JSON. */
  weights?: string;
  /** --timesteps, for models whose time axis is None. */
  timesteps?: number;
}

/**
 * Checks a model against reference predictions by every route: the IR in float64, the JS module
 * in node (let form and closed form), the NumPy source in python3, the Wolfram text through
 * SymPy, and the LaTeX through KaTeX.
 */
export function checkAll(model: string, ref: Reference, label: string, { inlineRefused = false, atol = 1e-5, rtol = 1e-5, weights, timesteps }: CheckOptions = {}) {
  const text = async (opts: Omit<ConvertOptions, 'weights'>) => (await convertFile(model, { weights, timesteps, ...opts })).text;
  const cases = ref.cases.map((c) => c.inputs);
  const want = ref.cases.map((c) => flat(c.outputs));
  const compare = (got: number[][]) => {
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => {
      const bad = mismatch(g, want[i], atol, rtol);
      expect(bad, `case ${i}: ${bad}`).toBeNull();
    });
  };
  describe(label, () => {
    it('IR evaluated in float64', async () => {
      const ex = extract(await loadModel(model, { weights }), { timesteps });
      compare(evaluateOutputs(ex.graph, ex.outputIds, cases.map((c) => flat(c))));
    });
    it('js module run in node', async () => {
      compare(await runJs(await text({ format: 'js' }), cases));
    }, 60_000);
    if (inlineRefused) {
      it('js --inline is refused with a pointer to the let form', async () => {
        let err: unknown;
        try {
          await text({ format: 'js', inline: true, maxSize: 20e6 });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(Nn2eqError);
        expect((err as Nn2eqError).kind).toBe('too-large');
        expect((err as Nn2eqError).message).toMatch(/over --max-size 20\.0 MB/);
        expect((err as Nn2eqError).hint).toMatch(/let form/);
      });
    } else {
      it('js --inline run in node', async () => {
        compare(await runJs(await text({ format: 'js', inline: true, maxSize: 20e6 }), cases));
      }, 120_000);
    }
    withPython('numpy source run by python3 on a batch', async () => {
      compare(await runNumpy(await text({ format: 'numpy' }), cases));
    });
    withPython('wolfram text parsed and evaluated by sympy', async () => {
      compare(await runWolfram(await text({ format: 'mathematica' }), cases));
    }, 300_000);
    it('latex renders in KaTeX (parsed only past 200 kB)', async () => {
      // The same check --verify makes (src/verify/runtimes.ts).
      expect(await checkLatex(await text({ format: 'latex' }))).toEqual({ valid: true });
    }, 60_000);
  });
}
