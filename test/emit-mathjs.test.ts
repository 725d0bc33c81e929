import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { convertFile } from '../src/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference } from './helpers.js';

// Every fixture's mathjs text, evaluated by mathjs itself, against the TF.js predictions in its reference.json.
describe('mathjs output evaluated by mathjs matches TF.js predictions', () => {
  for (const name of fixtureNames()) {
    it(name, async () => {
      const dir = join(FIXTURES, name);
      const ref = readReference(dir);
      const { text } = await convertFile(join(dir, 'model.json'), { format: 'mathjs', ...FIXTURE_OPTIONS[name] });
      const got = await runMathjsText(text, ref.cases.map((c) => flat(c.inputs)));
      const want = ref.cases.map((c) => flat(c.outputs));
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => expect(mismatch(g, want[i]), `case ${i}`).toBeNull());
    }, 60_000);
  }
});
