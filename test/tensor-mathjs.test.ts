import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { runMathjsText } from '../src/commands/runtimes.js';
import { Nn2eqError } from '../src/errors.js';
import { convertFile } from '../src/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference } from './helpers.js';

/** Fixtures the mathjs tensor form refuses by design, with the reason (each is checked to be refused). */
const REFUSED: Record<string, string> = {};

/** The mathjs tensor form of a fixture (with the options its reference needs, e.g. --timesteps). */
async function tensorForm(name: string): Promise<string> {
  const { text, form } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'mathjs', form: 'tensor', ...FIXTURE_OPTIONS[name] });
  expect(form).toBe('tensor');
  return text;
}

// Every fixture's mathjs tensor form, evaluated by mathjs itself on the inputs of its reference.json,
// whose outputs are TF.js's (or the framework's) predictions.
describe('mathjs tensor form evaluated by mathjs matches the reference predictions', () => {
  for (const name of fixtureNames().filter((n) => !(n in REFUSED))) {
    it(name, async () => {
      const ref = readReference(join(FIXTURES, name));
      const got = await runMathjsText(await tensorForm(name), ref.cases.map((c) => flat(c.inputs)));
      expect(got.length).toBe(ref.cases.length);
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
    }, 60_000);
  }
});

describe('mathjs tensor form: golden files (test/golden/tensor/*.mathjs)', () => {
  for (const name of fixtureNames().filter((n) => !(n in REFUSED))) {
    it(name, async () => {
      await expect(await tensorForm(name)).toMatchFileSnapshot(`golden/tensor/${name}.mathjs`);
    });
  }
});
