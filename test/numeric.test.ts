import { join } from 'node:path';
import { describe } from 'vitest';
import { checkAll } from './check.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, readReference } from './helpers.js';

// Closed forms that grow past 20 MB: deep stacks, and recurrences (each step repeats the last).
const INLINE_REFUSED = new Set(['deep40', 'rnn_lstm_10_steps', 'keras3_recurrent']);

describe('fixtures match TF.js predictions of the saved files', () => {
  for (const name of fixtureNames()) {
    const dir = join(FIXTURES, name);
    // 40 layers of width 3: the closed form repeats each unit 3^depth times.
    checkAll(join(dir, 'model.json'), readReference(dir), name, { inlineRefused: INLINE_REFUSED.has(name), ...FIXTURE_OPTIONS[name] });
  }
});
