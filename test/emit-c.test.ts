import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cCompiler, cInput, compileC, parseCNumbers } from '../src/commands/runtimes.js';
import { convertFile } from '../src/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, readReference, tmpDir } from './helpers.js';

const cc = cCompiler();
const skip = cc ? null : 'gcc not found; apt-get install -y gcc';
if (skip) console.warn(`\n*** SKIPPING C checks: ${skip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** Runs `jobs` with at most `limit` at a time (the machine is shared; gcc is the slow part). */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

function exec(exe: string, args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(exe, args, { encoding: 'utf8' }, (err, out, errText) => (err ? reject(new Error(errText || err.message)) : resolve(out)));
    child.stdin!.end(stdin);
  });
}

// Every fixture is compiled with gcc -std=c99 -Wall -Werror -O1 and run on the inputs of its
// reference.json, whose outputs are TF.js's predictions.
describe('C output compiled by gcc matches TF.js predictions', () => {
  // The closed form (--inline) of a few models too: one expression per output, no bindings.
  const INLINE = ['mathematica_3_2_2_2', 'act_gelu', 'shape_embedding', 'rnn_simple_stacked', 'conv2d_same_strided', 'merge_all'];
  const names = [...fixtureNames(), ...INLINE.map((n) => `${n} --inline`)];
  const results = new Map<string, number[][] | Error>();
  beforeAll(async () => {
    if (!cc) return;
    await pool(
      names.map((name) => async () => {
        try {
          const [fixture, inline] = name.split(' ');
          const dir = join(FIXTURES, fixture);
          const ref = readReference(dir);
          const { text } = await convertFile(join(dir, 'model.json'), { format: 'c', inline: Boolean(inline), maxSize: 20e6, ...FIXTURE_OPTIONS[fixture] });
          const exe = await compileC(cc, text, tmpDir());
          const rows = ref.cases.map((c) => flat(c.inputs));
          const m = flat(ref.cases[0].outputs).length;
          results.set(name, parseCNumbers(await exec(exe, [String(rows[0].length), String(m)], cInput(rows)), m));
        } catch (e) {
          results.set(name, e as Error);
        }
      }),
      2,
    );
  }, 600_000);
  for (const name of names) {
    const test = () => {
      const got = results.get(name);
      if (got instanceof Error) throw got;
      const want = readReference(join(FIXTURES, name.split(' ')[0])).cases.map((c) => flat(c.outputs));
      expect(got!.length).toBe(want.length);
      got!.forEach((g, i) => expect(mismatch(g, want[i]), `case ${i}`).toBeNull());
    };
    if (!skip) it(name, test);
    else if (inCI) it(name, () => expect.fail(skip));
    else it.skip(`${name} [needs gcc]`, test);
  }
});
