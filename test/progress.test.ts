import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { terminalProgress } from '../src/cli/progress.js';
import { convertFile } from '../src/index.js';
import { FIXTURES } from './helpers.js';

describe('progress on a terminal', () => {
  const fake = (isTTY: boolean) => {
    const out: string[] = [];
    let t = 0;
    return { out, stream: { isTTY, write: (s: string) => out.push(s) }, clock: { now: () => t, set: (v: number) => void (t = v) } };
  };
  it('nothing during the first second, then one rewritten line, erased at the end', () => {
    const f = fake(true);
    const p = terminalProgress(f.stream, 1000, f.clock.now);
    f.clock.set(500);
    p.report('building', 1, 4);
    expect(f.out).toEqual([]);
    f.clock.set(1200);
    p.report('building', 2, 4);
    f.clock.set(1250);
    p.report('building', 3, 4); // throttled: within 100 ms of the last line
    f.clock.set(1400);
    p.report('building', 3, 4);
    p.end();
    expect(f.out).toEqual(['\r\x1b[2Knn2eq: building 2/4 50%', '\r\x1b[2Knn2eq: building 3/4 75%', '\r\x1b[2K']);
  });
  it('nothing at all when stderr is not a terminal', () => {
    const f = fake(false);
    const p = terminalProgress(f.stream, 0, f.clock.now);
    f.clock.set(5000);
    p.report('building', 1, 2);
    p.end();
    expect(f.out).toEqual([]);
  });
  it('convertFile reports every layer call, counting up to the total', async () => {
    const calls: [string, number, number][] = [];
    await convertFile(join(FIXTURES, 'functional_chain', 'model.json'), { format: 'js', progress: (w, d, t) => calls.push([w, d, t]) });
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.map((c) => c[1])).toEqual(calls.map((_, i) => i + 1));
    expect(calls[calls.length - 1][1]).toBeLessThanOrEqual(calls[0][2]);
    expect(calls[0][0]).toMatch(/^building layer '\w+' \(\w+\)$/);
  });
});
