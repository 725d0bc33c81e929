import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { FIXTURES, ROOT, SHARED, tmpDir, tmpFile } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

const MODEL = join(FIXTURES, 'mathematica_3_2_2_2', 'model.json');

/** Exit 2 and exactly one line, `nn2eq: …`, matching `re`. */
async function refused(args: string[], re: RegExp) {
  const r = await run(args);
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(/^nn2eq: [^\n]*\n$/);
  expect(r.err).toMatch(re);
}

describe('option errors are one line starting nn2eq:', () => {
  it('--precision 0, an unknown --format, an unknown option', async () => {
    await refused([MODEL, '--precision', '0'], /^nn2eq: option '--precision <digits>' argument '0' is invalid\. expected a whole number from 1 to 17/);
    await refused([MODEL, '-f', 'cobol'], /^nn2eq: option '-f, --format <format>' argument 'cobol' is invalid\. expected one of latex, numpy, js, mathematica/);
    await refused([MODEL, '--bogus'], /^nn2eq: unknown option '--bogus'/);
  });
  it('format names are case-insensitive', async () => {
    const lower = await run([MODEL, '-f', 'latex']);
    const mixed = await run([MODEL, '-f', 'LaTeX']);
    expect(mixed.code).toBe(0);
    expect(mixed.out).toBe(lower.out);
    expect((await run([MODEL, '-f', 'NumPy'])).out).toBe((await run([MODEL, '-f', 'numpy'])).out);
  });
});

describe('a file that is not a model is named by what it is', () => {
  const file = (name: string, bytes: Uint8Array | string) => {
    const p = join(tmpDir(), name);
    writeFileSync(p, bytes);
    return p;
  };
  const cases: [string, () => string, RegExp][] = [
    ['PNG', () => file('model.json', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), /is a PNG image, not a model/],
    ['.npy', () => file('x.npy', Buffer.concat([Buffer.from([0x93]), Buffer.from("NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }")])), /is a NumPy \.npy array, not a model/],
    ['empty file', () => file('model.json', ''), /model\.json: is empty, not a model/],
    ['white space', () => file('model.json', '  \n'), /holds only white space, not a model/],
    ['text', () => file('model.json', 'hello world\n'), /is text, not JSON \(it begins 'hello world'\)/],
    ['gzip', () => file('model.json.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])), /is gzip-compressed/],
    ['HDF5 weights only', () => join(SHARED, 'hls4ml', 'KERAS_3layer', 'KERAS_3layer_weights.h5'), /is an HDF5 file with no model config \(a weights file\? pass it with --weights/],
  ];
  for (const [name, path, re] of cases) it(name, async () => refused([path()], re));

  it('a zip without config.json', async () => {
    const { zipSync } = await import('fflate');
    await refused([file('m.keras', zipSync({ 'readme.txt': new TextEncoder().encode('hi') }))], /is a zip archive without config\.json, so not a Keras 3 \.keras file; it holds readme\.txt/);
  });

  it('empty standard input', () => {
    const p = spawnSync(process.execPath, [join(ROOT, 'bin', 'nn2eq.js'), '-'], { input: '', encoding: 'utf8' });
    expect(p.status).toBe(2);
    expect(p.stderr).toBe('nn2eq: <stdin>: is empty, not a model; hint: pass a TF.js model.json, a Keras .h5 or .keras file, an ONNX model, or an architecture JSON with --weights\n');
  });
});

describe('names', () => {
  it('--inputs a,a,b says the name is given twice', async () => {
    await refused([MODEL, '--inputs', 'a,a,b'], /--inputs gives the name 'a' twice/);
  });
  it("an input and an output of the same name", async () => {
    await refused([MODEL, '--inputs', 'a,b,c', '--outputs', 'c,d'], /the name 'c' is given to an input and an output/);
  });
  it("'_' is accepted in NumPy and JS, refused with a hint in Wolfram and LaTeX", async () => {
    for (const f of ['numpy', 'js']) {
      const r = await run([MODEL, '-f', f, '--inputs', 'model_year,b,c', '--outputs', 'mpg_out,y_2']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/model_year/);
    }
    await refused([MODEL, '-f', 'mathematica', '--inputs', 'model_year,b,c'], /'model_year' contains '_', which mathematica does not allow in a name; hint: write it without '_' \(e\.g\. 'modelYear'\)/);
    await refused([MODEL, '-f', 'latex', '--inputs', 'model_year,b,c'], /'model_year' contains '_', which latex does not allow/);
  });
  it('the JS module with underscore names runs', async () => {
    const r = await run([MODEL, '-f', 'js', '--inputs', 'model_year,b,c']);
    const { pathToFileURL } = await import('node:url');
    const mod = await import(pathToFileURL(tmpFile('mjs', r.out)).href);
    expect(mod.predict([0.1, 0.2, 0.3])).toHaveLength(2);
  });
});

describe('ignored options are warned about', () => {
  it('--report without --verify, --standalone with a code format, --timesteps on a fixed-length model', async () => {
    const r = await run([MODEL, '-f', 'js', '--report', 'json', '--standalone', '--timesteps', '3']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('nn2eq: warning: --report has no effect without --verify');
    expect(r.err).toContain('nn2eq: warning: --standalone has no effect with -f js');
    expect(r.err).toContain('nn2eq: warning: --timesteps has no effect: every input of this model has a fixed length');
  });
  it('no warning when the options are used', async () => {
    const rnn = join(FIXTURES, 'rnn_timesteps_none', 'model.json');
    expect((await run([rnn, '-f', 'js', '--timesteps', '3'])).err).toBe('');
    expect((await run([MODEL, '-f', 'latex', '--standalone'])).err).toBe('');
  });
});

describe('format from the -o extension', () => {
  const cases: [string, RegExp][] = [
    ['model.py', /^# Generated by nn2eq[^\n]*\nimport numpy as np/],
    ['model.js', /^\/\/ Generated by nn2eq/],
    ['model.mjs', /^\/\/ Generated by nn2eq/],
    ['model.wl', /Function\[/],
    ['model.m', /Function\[/],
    ['model.tex', /\\begin\{aligned\}/],
  ];
  for (const [name, re] of cases) {
    it(name, async () => {
      const out = join(tmpDir(), name);
      const r = await run([MODEL, '-o', out]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe('');
      expect(readFileSync(out, 'utf8')).toMatch(re);
    });
  }
  it('an explicit -f that contradicts the extension wins, with a warning', async () => {
    const out = join(tmpDir(), 'model.py');
    const r = await run([MODEL, '-f', 'js', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^nn2eq: warning: -o .*model\.py looks like numpy output, but -f js was given; writing js\n$/);
    expect(readFileSync(out, 'utf8')).toMatch(/^\/\/ Generated by nn2eq/);
  });
});

describe('--inputs-file', () => {
  it('accepts whitespace-separated rows (np.savetxt, hls4ml .dat)', async () => {
    const rows = tmpFile('dat', '0.1 0.2 0.3\n-0.5\t0.25  1\n');
    const r = await run([MODEL, '-f', 'js', '--verify', '--inputs-file', rows, '--report', 'json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.err.trim().split('\n').pop()!).ok).toBe(true);
    const bad = tmpFile('dat', '0.1 0.2\n');
    await refused([MODEL, '-f', 'js', '--verify', '--inputs-file', bad], /row 1 has 2 values, the model takes 3/);
  }, 60_000);
});
