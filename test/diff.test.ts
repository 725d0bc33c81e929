import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { diffLines, unifiedDiff } from '../src/commands/linediff.js';
import { FIXTURES, tmpDir } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

/** A copy of a fixture whose float32 weight number `index` (across the shard) has `delta` added. */
function retrained(fixture: string, index: number, delta: number): string {
  const dir = tmpDir();
  for (const f of readdirSync(join(FIXTURES, fixture))) copyFileSync(join(FIXTURES, fixture, f), join(dir, f));
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const w = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  w[index] += delta;
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(w.buffer));
  return join(dir, 'model.json');
}

const base = join(FIXTURES, 'mathematica_3_2_2_2', 'model.json');

describe('nn2eq diff', () => {
  it('equal models: exit 0', async () => {
    const { code, out } = await run(['diff', base, base]);
    expect(code).toBe(0);
    expect(out).toMatch(/: equal/);
  });

  it('one changed weight: its layer, weight, unit, size, and how far the outputs moved; exit 1', async () => {
    // Weight 10 of the shard: after Dense4's kernel (6) and bias (2), Dense5's kernel [2, 2] at
    // row 1, column 0, so unit 1 of the second layer.
    const changed = retrained('mathematica_3_2_2_2', 10, 0.25);
    const { code, out } = await run(['diff', base, changed, '--report', 'json']);
    expect(code).toBe(1);
    const r = JSON.parse(out);
    expect(r.sameArchitecture).toBe(true);
    expect(r.layers).toHaveLength(1);
    expect(r.layers[0]).toMatchObject({ name: 'dense_Dense5', className: 'Dense', config: [] });
    expect(r.layers[0].weights).toEqual([{ name: 'kernel', shape: [2, 2], changed: 1, total: 4, maxChange: expect.closeTo(0.25, 6), units: [1] }]);
    for (const o of r.outputs) expect(o.maxChange).toBeGreaterThan(0);
  });

  it('--tolerance above the change: equal, exit 0', async () => {
    const changed = retrained('mathematica_3_2_2_2', 10, 1e-3);
    expect((await run(['diff', base, changed, '--tolerance', '0.1'])).code).toBe(0);
    expect((await run(['diff', base, changed, '--tolerance', '1e-6'])).code).toBe(1);
  });

  it('--format: one changed weight is one changed line of the unified diff', async () => {
    const changed = retrained('mathematica_3_2_2_2', 10, 0.25);
    for (const format of ['latex', 'numpy', 'c', 'mathematica', 'json', 'sympy']) {
      const { out } = await run(['diff', base, changed, '--format', format]);
      const minus = out.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
      const plus = out.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
      expect([minus.length, plus.length], format).toEqual([1, 1]);
      expect(minus[0]).toMatch(/0\.57173395/);
      expect(plus[0]).toMatch(/0\.82173395/);
    }
  });

  it('different architecture: layers added, removed and reshaped', async () => {
    const { code, out } = await run(['diff', base, join(FIXTURES, 'act_relu', 'model.json'), '--report', 'json']);
    expect(code).toBe(1);
    const r = JSON.parse(out);
    expect(r.sameArchitecture).toBe(false);
    expect(r.architecture.removed.map((l: { className: string }) => l.className)).toEqual(['Dense', 'Dense']);
    expect(r.architecture.reshaped).toEqual([{ name: 'dense_Dense4', className: 'Dense', old: 'kernel[3,2] bias[2]', new: 'kernel[3,4] bias[4]' }]);
  });

  it('bad input: exit 2', async () => {
    expect((await run(['diff', base, 'no/such.json'])).code).toBe(2);
    expect((await run(['diff', base])).code).toBe(2);
    expect((await run(['diff', base, base, '--range', '3:1'])).code).toBe(2);
  });
});

describe('line diff', () => {
  it('is a shortest edit script (its kept lines are a longest common subsequence)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 14 }), fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 14 }), (a, b) => {
        const e = diffLines(a, b);
        expect(e.filter((x) => x.op !== '+').map((x) => x.line)).toEqual(a);
        expect(e.filter((x) => x.op !== '-').map((x) => x.line)).toEqual(b);
        const L = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
        for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
        expect(e.filter((x) => x.op === ' ').length).toBe(L[0][0]);
      }),
    );
  });

  it('prints unified hunks with line numbers', () => {
    expect(unifiedDiff(['a', 'b', 'c'], ['a', 'B', 'c'], 'old', 'new', 1)).toBe('--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
    expect(unifiedDiff(['a'], ['a'], 'old', 'new')).toBe('');
  });
});
