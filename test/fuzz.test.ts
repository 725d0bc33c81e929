import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertFile, Nn2eqError } from '../src/index.js';
// @ts-expect-error plain JS script, also run by `npm run fuzz`
import { LIMIT_MS, makeCase, runCli, runInProcess, seeds } from '../scripts/fuzz.mjs';

/** A few hundred seeded cases of `npm run fuzz`: success or nn2eq's own one-line error, in time. */
const CASES = 300;
const SEED = 20261123;
const base = mkdtempSync(join(tmpdir(), 'nn2eq-fuzz-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe(`fuzzing: ${CASES} mutated model files (seed ${SEED})`, () => {
  const all = seeds();
  it('every case converts or ends in an Nn2eqError of one line, within the time limit', async () => {
    const failures: string[] = [];
    const counts = { ok: 0, error: 0 };
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(all, SEED, i, join(base, `c${i}`));
      const r = await runInProcess({ convertFile, Nn2eqError }, c);
      if (r.outcome === 'crash' || r.ms > LIMIT_MS) failures.push(`case ${i} ${c.seedName} ${c.target} (${c.what}): ${r.outcome} in ${Math.round(r.ms)} ms ${r.message ?? ''}`);
      else counts[r.outcome as 'ok' | 'error']++;
    }
    expect(failures).toEqual([]);
    // Both outcomes occur: the mutations neither all break the files nor all miss them.
    expect(counts.ok).toBeGreaterThan(CASES / 10);
    expect(counts.error).toBeGreaterThan(CASES / 10);
  }, 300_000);

  it('through the CLI: exit 0, or exit 2 with one line', () => {
    const failures: string[] = [];
    for (let i = 0; i < 12; i++) {
      const c = makeCase(all, SEED + 1, i, join(base, `cli${i}`));
      const r = runCli(c);
      if (r.outcome !== 'ok' && r.outcome !== 'error') failures.push(`case ${i} ${c.seedName} ${c.target} (${c.what}): ${r.outcome} ${r.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
