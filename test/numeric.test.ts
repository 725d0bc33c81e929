import { join } from 'node:path';
import { describe } from 'vitest';
import { checkAll } from './check.js';
import { FIXTURES, fixtureNames, readReference } from './helpers.js';

describe('fixtures match TF.js predictions of the saved files', () => {
  for (const name of fixtureNames()) {
    const dir = join(FIXTURES, name);
    // 40 layers of width 3: the closed form repeats each unit 3^depth times.
    checkAll(join(dir, 'model.json'), readReference(dir), name, { inlineRefused: name === 'deep40' });
  }
});
