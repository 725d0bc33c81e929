import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sympyPython } from '../src/verify/extra-runtimes.js';
import { convertFile } from '../src/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, readReference, runSympy, tmpFile } from './helpers.js';

const py = sympyPython();
const skip = 'skipped' in py ? `${py.skipped}; apt-get install -y python3-sympy python3-numpy` : null;
if (skip) console.warn(`\n*** SKIPPING SymPy checks: ${skip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

// Every fixture's SymPy equations, printed by SymPy's own code printer and evaluated in python3
// (the file's python3 servers), against the TF.js predictions in its reference.json.
describe('SymPy output evaluated by python3-sympy matches TF.js predictions', () => {
  const names = fixtureNames();
  const results = new Map<string, number[][] | Error>();
  beforeAll(async () => {
    if (skip) return;
    // One job a fixture, shared among the file's python3 servers (SymPy's printing is the slow part).
    await Promise.all(
      names.map(async (name) => {
        const dir = join(FIXTURES, name);
        const { text } = await convertFile(join(dir, 'model.json'), { format: 'sympy', ...FIXTURE_OPTIONS[name] });
        const rows = readReference(dir).cases.map((c) => flat(c.inputs));
        const [out] = await runSympy((py as { exe: string }).exe, [tmpFile('py', text)], [rows]).catch((e: Error) => [e]);
        results.set(name, out);
      }),
    );
  }, 600_000);
  for (const name of names) {
    const test = () => {
      const got = results.get(name);
      if (got instanceof Error) throw got;
      const want = readReference(join(FIXTURES, name)).cases.map((c) => flat(c.outputs));
      expect(got!.length).toBe(want.length);
      got!.forEach((g, i) => expect(mismatch(g, want[i]), `case ${i}`).toBeNull());
    };
    if (!skip) it(name, test);
    else if (inCI) it(name, () => expect.fail(skip));
    else it.skip(`${name} [needs python3-sympy]`, test);
  }
});
