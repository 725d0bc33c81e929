import { join } from 'node:path';
import { describe } from 'vitest';
import { checkAll } from './check.js';
import { FIXTURES, fixtureNames, readReference } from './helpers.js';

describe('fixtures match TF.js predictions of the saved files', () => {
  for (const name of fixtureNames()) {
    const dir = join(FIXTURES, name);
    checkAll(join(dir, 'model.json'), readReference(dir), name);
  }
});
