import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

interface Report { files: string[]; upward: string[]; circles: string[][]; crossings: string[] }

/** scripts/import-graph.mjs over a source folder: its JSON report and exit code. */
function check(src: string): { report: Report; code: number } {
  try {
    return { report: JSON.parse(execFileSync(process.execPath, [join(ROOT, 'scripts', 'import-graph.mjs'), src, '--json'], { encoding: 'utf8' })) as Report, code: 0 };
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return { report: JSON.parse(err.stdout) as Report, code: err.status };
  }
}

describe('import rules (README, "How it works")', () => {
  it('no room of src/ imports a room above it, no import circle, no language folder of emit/ reads another', () => {
    const { report, code } = check(join(ROOT, 'src'));
    expect(report.files.length).toBeGreaterThan(100);
    expect(report.upward).toEqual([]);
    expect(report.circles).toEqual([]);
    expect(report.crossings).toEqual([]);
    expect(code).toBe(0);
  });
  it('the check sees a planted upward import, a circle and a file outside the floor plan', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2eq-imports-'));
    try {
      mkdirSync(join(dir, 'tensor'));
      mkdirSync(join(dir, 'emit'));
      mkdirSync(join(dir, 'misc'));
      writeFileSync(join(dir, 'tensor', 'a.ts'), "import type { B } from '../emit/b.js';\nexport type A = B;\n");
      writeFileSync(join(dir, 'emit', 'b.ts'), "import type { A } from '../tensor/a.js';\nexport type B = A | 1;\n");
      writeFileSync(join(dir, 'misc', 'c.ts'), "export const c = await import('../tensor/a.js');\n");
      const { report, code } = check(dir);
      expect([...report.upward].sort()).toEqual(['misc/c.ts -> tensor/a.ts: a room not in the floor plan', 'tensor/a.ts (tensor) -> emit/b.ts (emit)']);
      expect(report.circles).toEqual([['emit/b.ts', 'tensor/a.ts']]);
      expect(code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('the check sees one language folder of emit/ reading another, a shared file reading a language, the registry read inside emit/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2eq-imports-'));
    try {
      for (const d of ['js', 'c', 'numpy', 'sympy']) mkdirSync(join(dir, 'emit', d), { recursive: true });
      const file = (path: string, text: string) => writeFileSync(join(dir, 'emit', path), text);
      file('c/syntax.ts', "import type { E } from '../index.js';\nexport type C = E;\n");
      file('js/tensor.ts', "import type { C } from '../c/syntax.js';\nexport type J = C;\n");
      file('js/syntax.ts', 'export type S = 1;\n');
      file('numpy/tensor.ts', 'export type N = 1;\n');
      file('sympy/tensor.ts', "import type { N } from '../numpy/tensor.js';\nexport type Y = N;\n");
      file('render.ts', "import type { S } from './js/syntax.js';\nexport type R = S;\n");
      file('index.ts', "import type { J } from './js/tensor.js';\nexport type E = 1;\nexport type F = J;\n");
      const { report, code } = check(dir);
      expect([...report.crossings].sort()).toEqual([
        'emit/c/syntax.ts -> emit/index.ts: only rooms above emit read the registry',
        'emit/js/tensor.ts -> emit/c/syntax.ts: one language reads another',
        'emit/render.ts -> emit/js/syntax.ts: a shared file of emit/ reads a language',
      ]);
      expect(code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
