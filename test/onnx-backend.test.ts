import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module shared with scripts/onnx-backend.mjs (no type declarations)
import { FORMATS, prepareCases, RECORD, runCases, totals } from '../scripts/onnx-backend-lib.mjs';
import { cc, ccSkip, inCI, python } from './helpers.js';
import { runScript } from './pyserver.js';

// ONNX's own conformance tests (test/onnx-backend/node, 1,802 cases) in the NumPy, JS and C
// tensor forms, against the expected outputs ONNX ships with each case: no case may print a wrong
// number or code that fails, and every case recorded as passing (test/onnx-backend/passing.json,
// written by `node scripts/onnx-backend.mjs --record`) must still pass. Reads dist/ (npm run build).

type Status = 'passed' | 'refused' | 'wrong' | 'crash' | 'skipped';
type Result = { name: string; op: string } & Record<string, { status: Status; detail?: string }>;

const missing = [python.skip, ccSkip].filter(Boolean).join('; ');

describe('ONNX backend conformance cases', () => {
  if (missing && !inCI) {
    it.skip(`every case in NumPy, JS and C [needs ${missing}]`, () => {});
    return;
  }
  it('no case is wrong or crashes, and every recorded pass still passes', async () => {
    if (missing) expect.fail(missing);
    const cases = await prepareCases();
    const runPython = (code: string, stdin: string) => runScript(python.exe, { code }, [], stdin);
    const results = (await runCases(cases, { runPython, cc })) as Result[];
    const bad = results.flatMap((r) => (FORMATS as string[]).filter((f) => r[f].status === 'wrong' || r[f].status === 'crash').map((f) => `${f} ${r.name}: ${r[f].status}: ${r[f].detail}`));
    expect(bad).toEqual([]);
    const recorded = JSON.parse(readFileSync(RECORD, 'utf8')) as Record<string, string[]>;
    for (const f of FORMATS as string[]) {
      const passing = new Set(results.filter((r) => r[f].status === 'passed').map((r) => r.name));
      const lost = recorded[f].filter((n) => !passing.has(n)).map((n) => `${n}: ${results.find((r) => r.name === n)?.[f].detail ?? 'no such case'}`);
      expect(lost, `${f}: recorded as passing`).toEqual([]);
    }
    const t = totals(results) as Record<string, Record<Status, number>>;
    expect(results.length).toBe(1802);
    for (const f of FORMATS as string[]) expect(t[f].passed).toBeGreaterThanOrEqual(recorded[f].length);
  }, 600_000);
});
