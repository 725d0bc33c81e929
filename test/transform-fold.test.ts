import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, evaluate, loadModel, scalarize } from '../src/index.js';
import { foldProgram } from '../src/transform/fold.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames } from './helpers.js';

// Folding is exact: the folded program evaluates as the built one on random inputs, for every fixture.
describe('fold: the same values before and after', () => {
  let foldedSomething = 0;
  for (const name of fixtureNames()) {
    it(name, async () => {
      const model = await loadModel(join(FIXTURES, name, 'model.json'));
      const built = buildProgram(model, FIXTURE_OPTIONS[name]);
      const { program, notes } = foldProgram(built);
      if (notes.length) foldedSomething++;
      const before = scalarize(built);
      const after = scalarize(program);
      const n = before.inputs.reduce((s, p) => s + p.size, 0);
      fc.assert(
        fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n }), (x) => {
          const a = evaluate(before.graph, x);
          const b = evaluate(after.graph, x);
          before.outputIds.forEach((id, i) => {
            const want = a[id];
            const got = b[after.outputIds[i]];
            expect(Math.abs(got - want) <= 1e-9 + 1e-9 * Math.abs(want) || (Number.isNaN(got) && Number.isNaN(want))).toBe(true);
          });
        }),
        { numRuns: 25 },
      );
    });
  }
  it('folds in the fixtures that have something to fold', () => {
    expect(foldedSomething).toBeGreaterThanOrEqual(3);
  });
});
