import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { Nn2eqError } from '../src/errors.js';
import { type Converted } from '../src/convert.js';
import { convertFile } from '../src/index.js';
import { withPython } from './check.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, python, readReference, ROOT, runWolframTensor, type WolframAnswer } from './helpers.js';
import { checkStructure } from './julia-structure.js';

// --weights symbolic in the tensor form of mathematica, mathjs and julia: the weights are an argument
// (Wolfram's params list, mathjs's scope, Julia's params NamedTuple) and PARAMS holds the trained
// ones, so the text called with PARAMS is the model: checked against every fixture's reference.json
// (TF.js's predictions) by the Wolfram interpreter and by mathjs. Debian has no julia: its text gets
// the golden files and the structural checks only. An Embedding (gather) has no symbolic form.

type Format = 'mathematica' | 'mathjs' | 'julia';
const FORMATS: readonly Format[] = ['mathematica', 'mathjs', 'julia'];
const EXT: Record<Format, string> = { mathematica: 'wl', mathjs: 'mathjs', julia: 'jl' };

/** The symbolic tensor form of a fixture, or the error converting it. */
function symbolic(name: string, format: Format): Promise<Converted> {
  return convertFile(join(FIXTURES, name, 'model.json'), { format, form: 'tensor', symbolicWeights: true, ...FIXTURE_OPTIONS[name] });
}

/** The numeric tensor form, unfolded (the symbolic form folds nothing): its program holds the weights the text must not. */
function numeric(name: string, format: Format): Promise<Converted> {
  return convertFile(join(FIXTURES, name, 'model.json'), { format, form: 'tensor', fold: false, ...FIXTURE_OPTIONS[name] });
}

/** A model whose program reads an Embedding table: refused with symbolic weights. */
const gathers = (c: Converted) => c.program.equations.some((eq) => eq.op === 'gather');
const weighted = (c: Converted) => c.program.tensors.some((t) => t.kind === 'const');

/** The text without its PARAMS (Wolfram's `PARAMS = {…};`, mathjs's `# PARAMS` line, Julia's `const PARAMS = (…)`). */
function withoutParams(text: string, format: Format): string {
  if (format === 'mathjs') return text.replace(/^# PARAMS .*$/m, '');
  if (format === 'mathematica') return text.replace(/^PARAMS = \{\n[^]*?^\};\n/m, '');
  return text.replace(/^const PARAMS = \(\n[^]*?^\)\n/m, '');
}

/** How many of the program's weight values (non-integers, compared as float32) the text prints. */
function weightsIn(text: string, values: readonly number[]): number {
  const numbers = new Set((text.match(/\d+\.\d+(?:(?:\*\^|e)-?\d+)?/g) ?? []).map((x) => Math.fround(Number(x.replace('*^', 'e')))));
  return values.filter((v) => !Number.isInteger(v) && numbers.has(Math.fround(Math.abs(v)))).length;
}

/** The cases' outputs against reference.json (atol 1e-5 + rtol 1e-4). */
function expectReference(name: string, got: readonly (readonly number[])[]): void {
  const ref = readReference(join(FIXTURES, name));
  expect(got.length).toBe(ref.cases.length);
  got.forEach((g, i) => expect(mismatch([...g], flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
}

const fixtures = fixtureNames();

describe('--weights symbolic --form tensor: the text called with PARAMS matches the reference', () => {
  const wolfram = new Map<string, WolframAnswer | string>();
  beforeAll(async () => {
    if (python.skip) return;
    const jobs: { text: string; cases: unknown[][] }[] = [];
    const names: string[] = [];
    for (const name of fixtures) {
      try {
        jobs.push({ text: (await symbolic(name, 'mathematica')).text, cases: readReference(join(FIXTURES, name)).cases.map((c) => c.inputs) });
        names.push(name);
      } catch (e) {
        wolfram.set(name, (e as Error).message);
      }
    }
    const answers = await runWolframTensor(jobs);
    names.forEach((n, i) => wolfram.set(n, answers[i]));
  }, 300_000);

  for (const name of fixtures) {
    withPython(`${name}: Wolfram, f[PARAMS, input1, …] in the interpreter`, async () => {
      if (gathers(await numeric(name, 'mathematica'))) return;
      const answer = wolfram.get(name);
      if (typeof answer === 'string') return expect.fail(answer);
      if (!answer || !Array.isArray(answer)) return expect.fail(answer ? answer.error : 'no answer');
      expectReference(name, answer.map((g) => g.map((v) => v ?? NaN)));
    });
    it(`${name}: mathjs, the weights in the scope from the PARAMS line`, async () => {
      if (gathers(await numeric(name, 'mathjs'))) return;
      const text = (await symbolic(name, 'mathjs')).text;
      const ref = readReference(join(FIXTURES, name));
      expectReference(name, await runMathjsText(text, ref.cases.map((c) => flat(c.inputs))));
    }, 60_000);
    it(`${name}: Julia text structure (no julia here to run it)`, async () => {
      if (gathers(await numeric(name, 'julia'))) return;
      checkStructure((await symbolic(name, 'julia')).text);
    });
    it(`${name}: the contract in the header, and no weight value outside PARAMS`, async () => {
      for (const format of FORMATS) {
        const plain = await numeric(name, format);
        if (gathers(plain)) {
          // The typed one-line refusal, not a partial text.
          const err = await symbolic(name, format).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err, format).toBeInstanceOf(Nn2eqError);
          expect((err as Nn2eqError).kind).toBe('unsupported');
          expect((err as Nn2eqError).message).toMatch(/^an Embedding \(gather\) has no symbolic form[^\n]*$/);
          continue;
        }
        const { text } = await symbolic(name, format);
        if (!weighted(plain)) {
          // Nothing to take: the numeric form, as the scalar form does.
          expect(text, format).toBe(plain.text);
          continue;
        }
        expect(text.split('\n')[0], format).toMatch(/ \(tensor form, symbolic weights\)\. Do not edit\./);
        if (format === 'mathematica') expect(text).toMatch(/^Function\[\{params, input1[,}]/m);
        if (format === 'mathematica') expect(text).toMatch(/^ Block\[\{\w+ = params\[\[1\]\], /m);
        if (format === 'mathjs') expect(text).toMatch(/^# PARAMS \{"\w+": /m);
        if (format === 'julia') expect(text).toMatch(/^function predict\(params, input1[,)]/m);
        const values = plain.program.tensors.flatMap((t) => (t.kind === 'const' && t.values ? Array.from(t.values) : []));
        expect(weightsIn(withoutParams(text, format), values), `${format}: weight values outside PARAMS`).toBe(0);
        // The same check finds them in PARAMS (so it can fail), when there are any to find.
        if (weightsIn(plain.text, values) > 0) expect(weightsIn(text, values), format).toBeGreaterThan(0);
      }
    }, 60_000);
  }
});

describe('--weights symbolic --form tensor: golden files (test/golden/tensor/symbolic/)', () => {
  for (const name of ['mathematica_3_2_2_2', 'conv2d_same_strided', 'rnn_lstm_sequences', 'layer_layernorm', 'merge_all']) {
    for (const format of FORMATS) {
      it(`${name}.${EXT[format]}`, async () => {
        await expect((await symbolic(name, format)).text).toMatchFileSnapshot(join(ROOT, 'test', 'golden', 'tensor', 'symbolic', `${name}.${EXT[format]}`));
      });
    }
  }
});

describe('--weights symbolic --form tensor: the CLI', () => {
  /** Runs the CLI in-process; returns its exit code, stdout and stderr. */
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
    return { code, out, err };
  }
  for (const format of FORMATS) {
    it(`-f ${format}: prints the symbolic tensor form; an Embedding is refused in one line`, async () => {
      const ok = await cli([join(FIXTURES, 'mathematica_3_2_2_2', 'model.json'), '-f', format, '--form', 'tensor', '--weights', 'symbolic']);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.out).toMatch(/\(tensor form, symbolic weights\)/);
      const bad = await cli([join(FIXTURES, 'shape_embedding', 'model.json'), '-f', format, '--form', 'tensor', '--weights', 'symbolic']);
      expect(bad.code).not.toBe(0);
      expect(bad.out).toBe('');
      expect(bad.err.trim().split('\n')).toHaveLength(1);
      expect(bad.err).toMatch(/Embedding \(gather\) has no symbolic form.*drop --weights symbolic/);
    });
  }
});
