import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { Nn2eqError } from '../src/errors.js';
import { buildProgram } from '../src/extract/index.js';
import { convertFile, loadModel } from '../src/index.js';
import { cc, ccSkip, expectReferenceRows, FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, pool, readReference, runCRows, runJs, tmpFile, withCC } from './helpers.js';

// --weights symbolic in the JS and C tensor forms: predict(params, …) reads every weight tensor
// from params, PARAMS holds the trained values, so predict(PARAMS, …) must equal the model's
// predictions (TF.js's, in reference.json); and no weight value may be printed outside PARAMS.

if (ccSkip) console.warn(`\n*** SKIPPING C symbolic tensor-form checks: ${ccSkip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

const model = (name: string) => join(FIXTURES, name, 'model.json');

/** The tensor form of a fixture, symbolic weights (or numeric with `symbolic` false: the same program, unfolded). */
async function tensorText(name: string, format: 'js' | 'c', symbolic = true): Promise<string> {
  const { text, form } = await convertFile(model(name), { format, form: 'tensor', ...(symbolic ? { symbolicWeights: true } : { fold: false }), ...FIXTURE_OPTIONS[name] });
  expect(form).toBe('tensor');
  return text;
}

const names = fixtureNames();
/** Fixtures whose model has an Embedding: refused (an indexed table has no symbolic form). */
const embedding = new Set<string>();
/** The trained values of each fixture's weight tensors (none for a model without weights). */
const weights = new Map<string, Float32Array[]>();
for (const name of names) {
  const spec = await loadModel(model(name));
  if (spec.layers.some((l) => l.className === 'Embedding')) embedding.add(name);
  const program = buildProgram(spec, FIXTURE_OPTIONS[name] ?? {});
  weights.set(name, program.tensors.filter((t) => t.kind === 'const').map((t) => Float32Array.from(t.values!)));
}

/** How many of a model's non-integer weight values `text` prints as a number (outside PARAMS this must be none). */
function weightsIn(text: string, values: readonly Float32Array[]): number {
  const numbers = new Set((text.match(/\d+\.\d+(e[-+]?\d+)?/g) ?? []).map((x) => Math.fround(Number(x))));
  return values.flatMap((v) => Array.from(v)).filter((v) => !Number.isInteger(v) && numbers.has(Math.fround(Math.abs(v)))).length;
}

/** A refusal: one typed line naming the reason. */
async function expectGatherRefused(name: string, format: 'js' | 'c'): Promise<void> {
  const err = await tensorText(name, format).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Nn2eqError);
  expect(err).toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/^an Embedding \(gather\) has no symbolic form/) });
  expect((err as Nn2eqError).message).not.toMatch(/\n/);
  expect((err as Nn2eqError).hint).toMatch(/drop --weights symbolic/);
}

type Module = { predict: (...a: unknown[]) => unknown; PARAMS?: Record<string, ArrayLike<number>> };

async function importText(text: string): Promise<Module> {
  return (await import(pathToFileURL(tmpFile('mjs', text)).href)) as Module;
}

describe('JS tensor form, --weights symbolic: predict(PARAMS, …) equals TF.js (reference.json)', () => {
  for (const name of names) {
    it(embedding.has(name) ? `${name}: refused` : name, async () => {
      if (embedding.has(name)) return expectGatherRefused(name, 'js');
      const text = await tensorText(name, 'js');
      const weighted = weights.get(name)!.length > 0;
      if (weighted) {
        expect(text.split('\n')[0]).toContain('(tensor form, symbolic weights)');
        expect(text).toMatch(/^export function predict\(params, input1/m);
        expect(text).toContain('export const PARAMS = {');
        const [code] = text.split('export const PARAMS = {');
        expect(weightsIn(code, weights.get(name)!)).toBe(0);
      } else {
        // Nothing to name: the numeric form, as the scalar form does.
        expect(text).toBe(await tensorText(name, 'js', false));
      }
      const r = readReference(join(FIXTURES, name));
      const got = await runJs(text, r.cases.map((c) => c.inputs));
      expect(mismatch(got.flat(), r.cases.flatMap((c) => flat(c.outputs)), 1e-5, 1e-4)).toBeNull();
    });
  }
});

describe('JS tensor form, --weights symbolic: predict reads its weights from params', () => {
  for (const name of names) {
    if (embedding.has(name) || weights.get(name)!.length === 0) continue;
    it(`${name}: every weight zeroed changes the output; plain arrays work as typed arrays`, async () => {
      const mod = await importText(await tensorText(name, 'js'));
      const cases = readReference(join(FIXTURES, name)).cases.map((c) => c.inputs);
      const run = (params: Record<string, ArrayLike<number>>) => cases.flatMap((inputs) => flat(mod.predict(params, ...inputs)));
      const trained = run(mod.PARAMS!);
      const zeroed = Object.fromEntries(Object.entries(mod.PARAMS!).map(([k, v]) => [k, new Float64Array(v.length)]));
      expect(mismatch(run(zeroed), trained, 1e-9, 0)).not.toBeNull();
      const plain = Object.fromEntries(Object.entries(mod.PARAMS!).map(([k, v]) => [k, Array.from(v)]));
      expect(run(plain)).toEqual(trained);
    });
  }
  it('each weight tensor on its own changes the output (keras_sequential, rnn_gru_reset_after)', async () => {
    for (const name of ['keras_sequential', 'rnn_gru_reset_after']) {
      const mod = await importText(await tensorText(name, 'js'));
      const cases = readReference(join(FIXTURES, name)).cases.map((c) => c.inputs);
      const run = (params: Record<string, ArrayLike<number>>) => cases.flatMap((inputs) => flat(mod.predict(params, ...inputs)));
      const trained = run(mod.PARAMS!);
      for (const [k, v] of Object.entries(mod.PARAMS!)) {
        const scaled = { ...mod.PARAMS!, [k]: Array.from(v, (w) => 2 * w + 0.25) };
        expect(mismatch(run(scaled), trained, 1e-9, 0), `${name}: ${k}`).not.toBeNull();
      }
    }
  });
  it('a missing weight or one of the wrong length is a RangeError naming it', async () => {
    const mod = await importText(await tensorText('keras_sequential', 'js'));
    const x = [0.1, 0.2, 0.3];
    expect(() => mod.predict({ ...mod.PARAMS, W2: [1, 2] }, x)).toThrow(/^predict: params\.W2 should be an array of 12 numbers$/);
    const { b1: _, ...rest } = mod.PARAMS!;
    expect(() => mod.predict(rest, x)).toThrow(RangeError);
  });
  it('the check for weight values outside PARAMS finds them in the numeric form', async () => {
    for (const format of ['js', 'c'] as const) expect(weightsIn(await tensorText('keras_sequential', format, false), weights.get('keras_sequential')!)).toBeGreaterThan(0);
  });
});

describe('C tensor form, --weights symbolic: predict(PARAMS, x, y) compiled by gcc equals TF.js (reference.json)', () => {
  const results = new Map<string, number[][] | Error>();
  beforeAll(async () => {
    if (!cc) return;
    await pool(
      names.map((name) => async () => {
        if (embedding.has(name)) return;
        try {
          const ref = readReference(join(FIXTURES, name));
          const text = await tensorText(name, 'c');
          results.set(name, await runCRows(text, ref.cases.map((c) => flat(c.inputs)), flat(ref.cases[0].outputs).length));
        } catch (e) {
          results.set(name, e as Error);
        }
      }),
      2,
    );
  }, 600_000);
  for (const name of names) {
    if (embedding.has(name)) {
      it(`${name}: refused`, () => expectGatherRefused(name, 'c'));
      continue;
    }
    withCC(name, () => expectReferenceRows(results.get(name), name));
  }
});

describe('C tensor form, --weights symbolic: the text', () => {
  for (const name of names) {
    it(`${name}: params in the signature and the header, no weight value outside PARAMS`, async () => {
      if (embedding.has(name)) return expectGatherRefused(name, 'c');
      const text = await tensorText(name, 'c');
      if (weights.get(name)!.length === 0) return expect(text).toBe(await tensorText(name, 'c', false));
      expect(text.split('\n')[0]).toContain('(tensor form, symbolic weights)');
      expect(text).toMatch(/^void predict\(const double \*params, const double \*x, double \*y\) \{$/m);
      expect(text).toMatch(/^ \* params: \d+ doubles?, the weight tensors one after another/m);
      expect(text).not.toMatch(/^static const double /m);
      const [code, values] = text.split(/^const double PARAMS\[\d+\] = \{$/m);
      expect(values).toBeDefined();
      expect(weightsIn(code, weights.get(name)!)).toBe(0);
    });
  }
});

describe('--weights symbolic tensor forms: golden files', () => {
  for (const name of ['keras_sequential', 'conv1d_same_strided', 'rnn_gru_reset_after', 'layer_layernorm', 'layer_batchnorm', 'shape_time_distributed']) {
    it(`${name}.mjs`, async () => {
      await expect(await tensorText(name, 'js')).toMatchFileSnapshot(`golden/tensor/symbolic/${name}.mjs`);
    });
    it(`${name}.c`, async () => {
      await expect(await tensorText(name, 'c')).toMatchFileSnapshot(`golden/tensor/symbolic/${name}.c`);
    });
  }
});

describe('--weights symbolic --form tensor on the command line', () => {
  async function run(args: string[]) {
    let out = '';
    let err = '';
    const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
    return { code, out, err };
  }
  it('--verify passes in js and c', async () => {
    for (const f of ['js', ...(cc || inCI ? ['c'] : [])]) {
      const r = await run([model('keras_sequential'), '-f', f, '--form', 'tensor', '--weights', 'symbolic', '--verify']);
      expect({ f, code: r.code, err: r.err.split('\n')[0] }).toMatchObject({ f, code: 0, err: expect.stringMatching(/^verify: PASS/) });
      expect(r.out.split('\n')[0]).toContain('(tensor form, symbolic weights)');
    }
  }, 120_000);
});
