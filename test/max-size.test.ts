/**
 * --max-size holds in every form and format (issue 23, item 2): output past the limit the user set
 * is refused with the one-line message, in the tensor form as in the scalar form.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../src/cli.js';
import { FORMATS } from '../src/emit/index.js';
import { FIXTURES } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

const MLP = join(FIXTURES, 'medium_1_3_2_1', 'model.json');

describe('--max-size in every form and format', () => {
  it('the issue: a 1-3-2-1 MLP with --max-size 10 (form auto) is refused, printing nothing', async () => {
    const r = await run([MLP, '--max-size', '10']);
    expect(r.code).toBe(EXIT.input);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^nn2eq: [^\n]*over --max-size 10 B; hint: [^\n]+\n$/);
  });

  for (const format of FORMATS) {
    for (const form of ['scalar', 'tensor'] as const) {
      it(`${format}, ${form} form: the limit is kept to the byte`, async () => {
        const free = await run([MLP, '-f', format, '--form', form]);
        expect(free.code, free.err).toBe(EXIT.ok);
        const bytes = Buffer.byteLength(free.out, 'utf8');
        const under = await run([MLP, '-f', format, '--form', form, '--max-size', String(bytes - 1)]);
        expect(under.code).toBe(EXIT.input);
        expect(under.out).toBe('');
        expect(under.err).toMatch(/^nn2eq: [^\n]*over --max-size [^\n]*; hint: [^\n]+\n$/);
        // The tensor form is judged by its text, so exactly its size passes.
        if (form === 'tensor') {
          const exact = await run([MLP, '-f', format, '--form', form, '--max-size', String(bytes)]);
          expect(exact.code, exact.err).toBe(EXIT.ok);
          expect(exact.out).toBe(free.out);
        }
      });
    }
  }
});
