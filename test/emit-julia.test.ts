import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extraRunners } from '../src/verify/extra-runtimes.js';
import { convertFile } from '../src/index.js';
import { FIXTURES, flat, mismatch, readReference } from './helpers.js';

// Debian 12 packages no julia (apt-cache policy julia: none), so this runs only where one is on
// PATH (or NN2EQ_JULIA); otherwise the goldens (test/golden/*.jl) are all that guard the format.
const julia = !spawnSync(process.env.NN2EQ_JULIA || 'julia', ['--version']).error;
if (!julia) console.warn('\n*** SKIPPING Julia runs: no julia on PATH (Debian has no package; the .jl goldens still run)\n');

describe('Julia output run by julia matches TF.js predictions', () => {
  for (const name of ['mathematica_3_2_2_2', 'act_gelu', 'shape_embedding', 'rnn_lstm_sequences', 'conv2d_same_strided']) {
    (julia ? it : it.skip)(name, async () => {
      const dir = join(FIXTURES, name);
      const ref = readReference(dir);
      const { text } = await convertFile(join(dir, 'model.json'), { format: 'julia' });
      const result = await extraRunners(text, [], ref.cases.map((c) => Float64Array.from(flat(c.inputs)))).julia();
      if (!('values' in result)) throw new Error(JSON.stringify(result));
      result.values.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs)), `case ${i}`).toBeNull());
    }, 120_000);
  }
});
