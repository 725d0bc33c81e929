import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { FIXTURES, inCI, mismatch, python, tmpDir } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

/** mathematica_3_2_2_2 with its first kernel value set to `v` (TF.js reads the same weights). */
function withWeight(v: number): string {
  const dir = tmpDir();
  for (const f of readdirSync(join(FIXTURES, 'mathematica_3_2_2_2'))) copyFileSync(join(FIXTURES, 'mathematica_3_2_2_2', f), join(dir, f));
  const b = readFileSync(join(dir, 'weights.bin'));
  b.writeFloatLE(v, 0);
  writeFileSync(join(dir, 'weights.bin'), b);
  return join(dir, 'model.json');
}

describe('--verify: a NaN is never a match', () => {
  it('NaN outputs fail even where TF.js gives NaN too (same broken weights), with the point', async () => {
    const r = await run([withWeight(NaN), '-f', 'js', '--verify']);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/verify: FAIL/);
    expect(r.err).toMatch(/values? NaN or infinite where TF\.js gives NaN too \(never a match\); worst at point 1 \[[^\]]+\]: got NaN, TF\.js NaN {2}<- over tolerance/);
  }, 60_000);

  it('the JSON report carries NaN and Infinity as strings and parses', async () => {
    const r = await run([withWeight(NaN), '-f', 'numpy', '--verify', '--report', 'json']);
    expect(r.code, r.err).toBe(1);
    const report = JSON.parse(r.err.trim().split('\n').pop()!);
    expect(report.ok).toBe(false);
    expect(report.routes[0].outputs[0]).toMatchObject({ got: 'NaN', maxAbs: 'Infinity', within: false });
    expect(report.routes[0].outputs[0].nonFinite).toBeGreaterThan(0);
    if (!python.skip) expect(report.routes[1]).toMatchObject({ route: 'numpy text', status: 'failed' });
  }, 60_000);

  it('finite weights still pass', async () => {
    const r = await run([withWeight(0.5), '-f', 'js', '--verify', '--report', 'json']);
    expect(r.code, r.err).toBe(0);
  }, 60_000);
});

describe('--verify: the Wolfram route', () => {
  it.skipIf(!!python.skip && !inCI)('runs through SymPy\'s parser when wolframscript is absent', async () => {
    const r = await run([join(FIXTURES, 'mathematica_3_2_2_2', 'model.json'), '-f', 'mathematica', '--verify', '--report', 'json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.err.trim().split('\n').pop()!);
    expect(report.routes[1].status).toBe('ok');
    expect(report.routes[1].route).toMatch(/^mathematica text( \(SymPy's Mathematica parser; wolframscript is not installed\))?$/);
  }, 60_000);
});

describe('the test helper mismatch()', () => {
  it('fails NaN against NaN and a finite value, passes the same infinity', () => {
    expect(mismatch([NaN], [NaN])).toMatch(/not finite/);
    expect(mismatch([NaN], [1])).toMatch(/not finite/);
    expect(mismatch([Infinity], [1])).toMatch(/not finite/);
    expect(mismatch([Infinity], [-Infinity])).toMatch(/not finite/);
    expect(mismatch([Infinity], [Infinity])).toBeNull();
    expect(mismatch([1], [1 + 1e-7])).toBeNull();
  });
});
