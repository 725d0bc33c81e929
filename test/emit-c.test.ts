import { join } from 'node:path';
import { beforeAll, describe, expect } from 'vitest';
import { convertFile } from '../src/index.js';
import { cc, ccSkip, FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, pool, readReference, runCRows, withCC } from './helpers.js';

if (ccSkip) console.warn(`\n*** SKIPPING C checks: ${ccSkip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

// Every fixture is compiled with gcc -std=c99 -Wall -Werror -O1 and run on the inputs of its
// reference.json, whose outputs are TF.js's predictions.
describe('C output compiled by gcc matches TF.js predictions', () => {
  // The closed form (--inline) of a few models too: one expression per output, no bindings.
  const INLINE = ['mathematica_3_2_2_2', 'act_gelu', 'shape_embedding', 'rnn_simple_stacked', 'conv2d_same_strided', 'merge_all'];
  const names = [...fixtureNames(), ...INLINE.map((n) => `${n} --inline`)];
  const results = new Map<string, number[][] | Error>();
  beforeAll(async () => {
    if (!cc) return;
    await pool(
      names.map((name) => async () => {
        try {
          const [fixture, inline] = name.split(' ');
          const dir = join(FIXTURES, fixture);
          const ref = readReference(dir);
          const { text } = await convertFile(join(dir, 'model.json'), { format: 'c', inline: Boolean(inline), maxSize: 20e6, ...FIXTURE_OPTIONS[fixture] });
          results.set(name, await runCRows(text, ref.cases.map((c) => flat(c.inputs)), flat(ref.cases[0].outputs).length));
        } catch (e) {
          results.set(name, e as Error);
        }
      }),
      2,
    );
  }, 600_000);
  for (const name of names) {
    withCC(name, () => {
      const got = results.get(name);
      if (got instanceof Error) throw got;
      const want = readReference(join(FIXTURES, name.split(' ')[0])).cases.map((c) => flat(c.outputs));
      expect(got!.length).toBe(want.length);
      got!.forEach((g, i) => expect(mismatch(g, want[i]), `case ${i}`).toBeNull());
    });
  }
});
