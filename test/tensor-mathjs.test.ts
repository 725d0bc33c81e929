import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { Nn2eqError } from '../src/errors.js';
import { convertFile } from '../src/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference, SHARED } from './helpers.js';

// No fixture is refused: rnn_timesteps_none runs with --timesteps 4 (FIXTURE_OPTIONS, as its
// reference); without it, it is refused (a time axis of any length), checked at the end.

/** The mathjs tensor form of a fixture (with the options its reference needs, e.g. --timesteps). */
async function tensorForm(name: string): Promise<string> {
  const { text, form } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'mathjs', form: 'tensor', ...FIXTURE_OPTIONS[name] });
  expect(form).toBe('tensor');
  return text;
}

// Every fixture's mathjs tensor form, evaluated by mathjs itself on the inputs of its reference.json,
// whose outputs are TF.js's (or the framework's) predictions.
describe('mathjs tensor form evaluated by mathjs matches the reference predictions', () => {
  for (const name of fixtureNames()) {
    it(name, async () => {
      const ref = readReference(join(FIXTURES, name));
      const got = await runMathjsText(await tensorForm(name), ref.cases.map((c) => flat(c.inputs)));
      expect(got.length).toBe(ref.cases.length);
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
    }, 60_000);
  }
});

describe('mathjs tensor form: golden files (test/golden/tensor/*.mathjs)', () => {
  for (const name of fixtureNames()) {
    it(name, async () => {
      await expect(await tensorForm(name)).toMatchFileSnapshot(`golden/tensor/${name}.mathjs`);
    });
  }
});

/** Runs the CLI in-process; returns its exit code and stderr. */
async function cli(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { stdout: () => {}, stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, err };
}

describe('mathjs tensor form: --verify and what it refuses', () => {
  it('--verify runs the text with mathjs against TF.js: PASS', async () => {
    const r = await cli([join(FIXTURES, 'conv2d_same_strided', 'model.json'), '-f', 'mathjs', '--form', 'tensor', '--verify', '--report', 'json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.err.trim().split('\n').pop()!);
    expect(report.ok).toBe(true);
    expect(report.routes.map((x: { status: string }) => x.status)).toEqual(['ok', 'ok']);
  }, 60_000);

  it('a wrong text fails: the tanh model verified against the sigmoid model', async () => {
    const { verify } = await import('../src/verify/index.js');
    const other = await convertFile(join(FIXTURES, 'act_tanh', 'model.json'), { format: 'mathjs', form: 'tensor' });
    const model = await convertFile(join(FIXTURES, 'act_sigmoid', 'model.json'), { format: 'mathjs', form: 'tensor' });
    const report = await verify(model.model, other.text, { format: 'mathjs', program: model.program, form: 'tensor' });
    expect(report.ok).toBe(false);
  }, 60_000);

  it('a time axis of any length (rnn_timesteps_none without --timesteps): exit 2, a typed one-line error naming --timesteps', async () => {
    const err = await convertFile(join(FIXTURES, 'rnn_timesteps_none', 'model.json'), { format: 'mathjs', form: 'tensor' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Nn2eqError);
    expect((err as Nn2eqError).kind).toBe('unsupported');
    expect((err as Nn2eqError).message).toMatch(/shape \[T, 3\] with a time axis of any length; mathjs has no loops/);
    expect((err as Nn2eqError).message).not.toMatch(/\n/);
    expect((err as Nn2eqError).hint).toMatch(/--timesteps T/);
    const r = await cli([join(FIXTURES, 'rnn_timesteps_none', 'model.json'), '-f', 'mathjs', '--form', 'tensor']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/time axis of any length/);
  });

  it('--form auto prints the tensor form when the scalar form is large (tfjs-layers/mlp), with the scalar form\'s values', async () => {
    const model = join(SHARED, 'tfjs-layers', 'mlp', 'model.json');
    const auto = await convertFile(model, { format: 'mathjs', form: 'auto' });
    expect(auto.form).toBe('tensor');
    expect(auto.text.split('\n')[0]).toMatch(/\(tensor form\)/);
    const scalar = await convertFile(model, { format: 'mathjs', form: 'scalar' });
    const point = Array.from({ length: 200 }, (_, i) => Math.sin(i + 1));
    const [got] = await runMathjsText(auto.text, [point]);
    const [want] = await runMathjsText(scalar.text, [point]);
    expect(mismatch(got, want, 1e-12, 1e-9)).toBeNull();
  }, 60_000);

  it('is byte-identical across runs', async () => {
    expect(await tensorForm('rnn_bidirectional_concat')).toBe(await tensorForm('rnn_bidirectional_concat'));
  });
});
