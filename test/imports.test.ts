import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

// Every module of the built package can be imported first, on its own: no import cycle leaves a
// binding uninitialized (a tensor emitter once imported its scalar emitter, which imported it back).
describe('every emitter module imports on its own', () => {
  // dist/emit and its folders (one per language), as the build wrote them.
  const files = (readdirSync(join(ROOT, 'dist/emit'), { recursive: true }) as string[]).filter((n) => n.endsWith('.js')).sort();
  for (const f of files) {
    it(`dist/emit/${f}`, () => {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(ROOT, 'dist/emit', f))}); console.log('ok')`], { encoding: 'utf8' });
      expect(out.trim()).toBe('ok');
    });
  }
});
