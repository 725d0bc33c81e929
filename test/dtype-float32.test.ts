import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { convertFile } from '../src/index.js';
import { FLOAT32_TOLERANCE } from '../src/verify/index.js';
import { cc, ccSkip, FIXTURES, flat, inCI, mismatch, readReference, runCRows, runJs, SHARED, withCC } from './helpers.js';

// --dtype float32 (issue 26): the C tensor form in float and float math, the JS tensor form in
// Float32Array buffers. Each text runs in its own runtime on the inputs of a reference.json whose
// outputs the writing framework computed (TF.js for the Keras fixtures, PyTorch for the ONNX
// one), at the float32 tolerance --verify uses; the float64 texts run beside them at the float64 one.

if (ccSkip) console.warn(`\n*** SKIPPING float32 C checks: ${ccSkip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** An MLP, a strided 'same' convolution, a 10-step LSTM (Keras, TF.js references) and an ONNX convolution (PyTorch's). */
const MODELS: Record<string, string> = {
  mlp: join(FIXTURES, 'keras_sequential', 'model.json'),
  conv: join(FIXTURES, 'conv2d_same_strided', 'model.json'),
  lstm: join(FIXTURES, 'rnn_lstm_10_steps', 'model.json'),
  onnx_conv: join(SHARED, 'onnx', 'test_Conv2d_padding', 'model.onnx'),
};
const [ATOL, RTOL] = FLOAT32_TOLERANCE;

function reference(name: string) {
  const ref = readReference(join(MODELS[name], '..'));
  return { inputs: ref.cases.map((c) => c.inputs), rows: ref.cases.map((c) => flat(c.inputs)), want: ref.cases.map((c) => flat(c.outputs)) };
}

async function text(name: string, format: 'c' | 'js', dtype: 'float32' | 'float64'): Promise<string> {
  const { text: t, form } = await convertFile(MODELS[name], { format, form: 'tensor', dtype });
  expect(form).toBe('tensor');
  return t;
}

describe('--dtype float32: the JS tensor form against the framework\'s predictions', () => {
  for (const name of Object.keys(MODELS)) {
    it(name, async () => {
      const { inputs, want } = reference(name);
      const t32 = await text(name, 'js', 'float32');
      expect(t32).not.toMatch(/Float64Array/);
      expect(t32).toMatch(/new Float32Array\(/);
      const got32 = await runJs(t32, inputs);
      got32.forEach((g, i) => expect(mismatch(g, want[i], ATOL, RTOL), `float32 case ${i}`).toBeNull());
      const got64 = await runJs(await text(name, 'js', 'float64'), inputs);
      got64.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `float64 case ${i}`).toBeNull());
    });
  }
});

describe('--dtype float32: the C tensor form (gcc -std=c99 -Wall -Werror) against the framework\'s predictions', () => {
  const results = new Map<string, { got32: number[][]; got64: number[][]; t32: string } | Error>();
  beforeAll(async () => {
    if (!cc) return;
    for (const name of Object.keys(MODELS)) {
      try {
        const { rows, want } = reference(name);
        const t32 = await text(name, 'c', 'float32');
        results.set(name, { t32, got32: await runCRows(t32, rows, want[0].length), got64: await runCRows(await text(name, 'c', 'float64'), rows, want[0].length) });
      } catch (e) {
        results.set(name, e as Error);
      }
    }
  }, 300_000);
  for (const name of Object.keys(MODELS)) {
    withCC(name, () => {
      const r = results.get(name);
      if (r instanceof Error || !r) throw r ?? new Error('not run');
      // Single precision throughout: no double anywhere in the code, math.h's float twins.
      expect(r.t32.replace(/\/\*[\s\S]*?\*\//g, '')).not.toMatch(/\bdouble\b/);
      expect(r.t32).toMatch(/^void predict\(const float \*x, float \*y\) \{$/m);
      const { want } = reference(name);
      r.got32.forEach((g, i) => expect(mismatch(g, want[i], ATOL, RTOL), `float32 case ${i}`).toBeNull());
      r.got64.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `float64 case ${i}`).toBeNull());
      // The float32 text really computes in float32: it differs from the float64 one somewhere.
      expect(r.got32.flat().some((v, i) => v !== r.got64.flat()[i])).toBe(true);
    });
  }
  withCC('the LSTM\'s float32 C has no arithmetic promoted to double (-Wdouble-promotion)', async () => {
    const { execFileSync } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const { tmpDir } = await import('./helpers.js');
    const file = join(tmpDir(), 'lstm.c');
    writeFileSync(file, await text('lstm', 'c', 'float32'));
    execFileSync(cc!, ['-std=c99', '-Wall', '-Werror', '-Wdouble-promotion', '-c', file, '-o', `${file}.o`]);
  });
});

describe('--dtype float32: golden files', () => {
  it('conv2d_same_strided.c', async () => {
    await expect(await text('conv', 'c', 'float32')).toMatchFileSnapshot('golden/float32/conv2d_same_strided.c');
  });
  it('conv2d_same_strided.mjs', async () => {
    await expect(await text('conv', 'js', 'float32')).toMatchFileSnapshot('golden/float32/conv2d_same_strided.mjs');
  });
});

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

describe('--dtype on the command line', () => {
  it('--verify states the float32 tolerance and how far the outputs move from the float64 text', async () => {
    const r = await run([MODELS.mlp, '-f', 'js', '--dtype', 'float32', '--verify']);
    expect(r.err).toMatch(/verify: PASS/);
    expect(r.err).toMatch(/float32 text: tolerance atol 1\.00e-4 \+ rtol 0\.001 \(the float32 default; --tolerance sets another\); its outputs move by up to \S+ \(relative \S+\) from the float64 text's/);
    expect(r.code).toBe(0);
  });
  it('refuses a format without a float32 form, and the scalar form, in one line with exit 2', async () => {
    const julia = await run([MODELS.mlp, '-f', 'julia', '--dtype', 'float32']);
    expect(julia.code).toBe(2);
    expect(julia.err).toMatch(/--dtype float32: the julia format has no float32 form; hint: use -f numpy or -f js or -f c, or drop --dtype/);
    const scalar = await run([MODELS.mlp, '-f', 'c', '--form', 'scalar', '--dtype', 'float32']);
    expect(scalar.code).toBe(2);
    expect(scalar.err.trim().split('\n')).toHaveLength(1);
    const bad = await run([MODELS.mlp, '-f', 'c', '--dtype', 'float16']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/float64, float32/);
  });
  it('float64 is the default: the same text as without --dtype', async () => {
    const plain = await run([MODELS.conv, '-f', 'c', '--form', 'tensor']);
    const f64 = await run([MODELS.conv, '-f', 'c', '--form', 'tensor', '--dtype', 'float64']);
    expect(f64.out).toBe(plain.out);
    expect(plain.out).toMatch(/const double \*x/);
  });
});
