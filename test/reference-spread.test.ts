import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, SHARED } from './helpers.js';

// A reference whose cases all give the same output checks nothing: any program that prints that one
// number passes. fixtures/deep40 was one (40 contracting tanh layers sent every input to one fixed
// point); it is now built from orthogonal kernels (scripts/make-fixtures.mjs). This guards every
// reference.json with several cases: each output must differ between at least two of them.

/** Models whose output is constant by design, each with the reason. */
const CONSTANT_BY_DESIGN: Record<string, string> = {
  'fixtures/onnx-hunt/misc_const_out_opset17': 'the hunt exports a module that returns a constant, to check that the constant output is printed',
};

function references(dir: string): string[] {
  const found: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) stack.push(p);
      else if (name === 'reference.json') found.push(d);
    }
  }
  return found.sort();
}

interface Cases {
  cases?: { outputs: unknown[] }[];
}

describe('every reference distinguishes its cases', () => {
  const dirs = [...references(FIXTURES), ...references(SHARED)];
  it('finds the references (fixtures and test/models)', () => {
    expect(dirs.length).toBeGreaterThan(100);
    expect(dirs.map((d) => relative(ROOT, d))).toContain('fixtures/deep40');
  });
  it('each output of each reference with several cases takes at least two values', () => {
    const same: string[] = [];
    for (const dir of dirs) {
      const name = relative(ROOT, dir);
      const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Cases;
      if (!Array.isArray(ref.cases) || ref.cases.length < 2 || name in CONSTANT_BY_DESIGN) continue;
      ref.cases[0].outputs.forEach((_, k) => {
        if (new Set(ref.cases!.map((c) => JSON.stringify(c.outputs[k]))).size === 1) same.push(`${name} output ${k}`);
      });
    }
    expect(same).toEqual([]);
  });
  it('the constant-by-design list names references that exist and are constant', () => {
    for (const name of Object.keys(CONSTANT_BY_DESIGN)) {
      const ref = JSON.parse(readFileSync(join(ROOT, name, 'reference.json'), 'utf8')) as Cases;
      expect(new Set(ref.cases!.map((c) => JSON.stringify(c.outputs))).size, name).toBe(1);
    }
  });
});
