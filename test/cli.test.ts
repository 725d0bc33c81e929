import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { FORMATS } from '../src/emit/index.js';
import { FIXTURES, ROOT, tmpDir } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

/** A copy of a fixture in a fresh folder, with model.json edited by `edit`. */
function broken(edit: (doc: any, dir: string) => void, fixture = 'mathematica_3_2_2_2'): string {
  const dir = tmpDir();
  for (const f of readdirSync(join(FIXTURES, fixture))) copyFileSync(join(FIXTURES, fixture, f), join(dir, f));
  const doc = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(doc, dir);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
  return join(dir, 'model.json');
}

const oneLine = (err: string) => err.trim().split('\n').length === 1 && !/\n\s+at /.test(err);

describe('bad input: one line on stderr, exit 2, never a stack trace', () => {
  const cases: [string, () => string, RegExp][] = [
    ['not JSON', () => { const d = tmpDir(); writeFileSync(join(d, 'm.json'), '{nope'); return join(d, 'm.json'); }, /not valid JSON/],
    ['JSON of the wrong shape', () => { const d = tmpDir(); writeFileSync(join(d, 'm.json'), '[1, 2]'); return join(d, 'm.json'); }, /the top level should be an object, found a list/],
    ['no modelTopology', () => broken((doc) => delete doc.modelTopology), /no 'modelTopology' key/],
    ['no weightsManifest', () => broken((doc) => delete doc.weightsManifest), /no 'weightsManifest' key/],
    ['missing shard', () => broken((doc) => (doc.weightsManifest[0].paths = ['gone.bin'])), /weight shard 'gone.bin' not found/],
    ['short shard', () => broken((_d, dir) => writeFileSync(join(dir, 'weights.bin'), readFileSync(join(dir, 'weights.bin')).subarray(0, 20))), /hold 20 bytes, but their 6 weights declare 80/],
    ['long shard', () => broken((_d, dir) => writeFileSync(join(dir, 'weights.bin'), Buffer.concat([readFileSync(join(dir, 'weights.bin')), Buffer.alloc(8)]))), /hold 88 bytes, but their 6 weights declare 80/],
    ['shard outside the folder', () => broken((doc) => (doc.weightsManifest[0].paths = ['../../../../etc/passwd'])), /lies outside the model's folder/],
    ['unknown dtype', () => broken((doc) => (doc.weightsManifest[0].weights[0].dtype = 'complex64')), /dtype 'complex64', expected float32 or int32/],
    ['shape disagrees with the bytes', () => broken((doc) => (doc.weightsManifest[0].weights[0].shape = [3, 3])), /hold 80 bytes, but their 6 weights declare 92/],
    ['absurd shape', () => broken((doc) => (doc.weightsManifest[0].weights[0].shape = [1e9, 1e9])), /more than the 268435456 accepted/],
    ['unknown activation', () => broken((doc) => (doc.modelTopology.config.layers[0].config.activation = 'wiggle')), /unknown activation 'wiggle'.*known activations: elu, exponential/],
    ['weights for another architecture', () => broken((doc) => (doc.modelTopology.config.layers[1].config.units = 3)), /weight 'kernel' has shape \[2, 2\], expected \[2, 3\]/],
  ];
  for (const [name, make, pattern] of cases) {
    it(name, async () => {
      const r = await run([make(), '-f', 'js']);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^nn2eq: /);
      expect(r.err).toMatch(pattern);
      expect(oneLine(r.err), r.err).toBe(true);
    });
  }

  it('an undefined time axis asks for --timesteps in the scalar form, and --timesteps unrolls it', async () => {
    const path = join(FIXTURES, 'rnn_timesteps_none', 'model.json');
    const r = await run([path, '-f', 'js', '--form', 'scalar']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/input '\w+' has shape \[None, 3\], whose time axis \(axis 1\) is undefined; hint: give its length with --timesteps T .*--form tensor/);
    expect(oneLine(r.err)).toBe(true);
    const ok = await run([path, '-f', 'js', '--timesteps', '4']);
    expect(ok.code).toBe(0);
    // Four steps of three features: x1 … x12; the last step is the output itself.
    expect(ok.out).toMatch(/const h1t3_2 = /);
    expect(ok.out).toMatch(/x12/);
  });

  it('an undefined time axis gets the tensor form by default, which loops over any length', async () => {
    const r = await run([join(FIXTURES, 'rnn_timesteps_none', 'model.json'), '-f', 'numpy']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\(tensor form\)/);
    expect(r.out).toMatch(/for t in range\(input1\.shape\[-2\]\):/);
  });

  it('Masking is refused with the reason', async () => {
    const path = broken((doc) => {
      const layers = doc.modelTopology.config.layers;
      layers.unshift({ class_name: 'Masking', config: { name: 'mask', mask_value: 0, batch_input_shape: layers[0].config.batch_input_shape } });
      delete layers[1].config.batch_input_shape;
    }, 'rnn_lstm_sequences');
    const r = await run([path, '-f', 'js']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/layer 'mask' \(Masking\): Masking skips the time steps whose features all equal mask_value, which no single formula expresses; hint: remove the Masking layer/);
    expect(oneLine(r.err)).toBe(true);
  });

  it('lists every unsupported layer at once', async () => {
    const path = broken((doc) => {
      doc.modelTopology.config.layers[0].class_name = 'QDense';
      doc.modelTopology.config.layers[1].class_name = 'Lambda';
    });
    const r = await run([path]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/2 unsupported layers: 'dense_Dense\d+' \(QDense\), 'dense_Dense\d+' \(Lambda\)/);
  });

  it('NaN weights convert with a warning on stderr', async () => {
    const path = broken((_d, dir) => {
      const b = readFileSync(join(dir, 'weights.bin'));
      b.writeFloatLE(NaN, 0);
      writeFileSync(join(dir, 'weights.bin'), b);
    });
    const r = await run([path, '-f', 'js']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*1 NaN or infinite value/);
    expect(r.out).toMatch(/NaN \* x1/);
  });

  it('a missing file and a usage error', async () => {
    expect((await run(['/no/such/model.json'])).err).toMatch(/no such file/);
    const r = await run([join(FIXTURES, 'medium_1_3_2_1', 'model.json'), '--format', 'cobol']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`nn2eq: option '-f, --format <format>' argument 'cobol' is invalid. expected one of ${FORMATS.join(', ')}\n`);
    expect((await run([join(FIXTURES, 'medium_1_3_2_1', 'model.json'), '--inputs', 'a,b'])).err).toMatch(/--inputs gives 2 names, but the model has 1 scalar input/);
  });
});

describe('CLI behaviour', () => {
  const medium = join(FIXTURES, 'medium_1_3_2_1', 'model.json');

  it('help lists formats from the registry and examples', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const f of ['latex', 'numpy', 'js', 'mathematica']) expect(r.out).toMatch(new RegExp(`^  ${f} `, 'm'));
    expect(r.out).toMatch(/Examples:/);
  });

  it('-o writes atomically and refuses to overwrite the model', async () => {
    const dir = tmpDir();
    const target = join(dir, 'out.py');
    const r = await run([medium, '-f', 'numpy', '-o', target]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(readFileSync(target, 'utf8')).toMatch(/^# Generated by nn2eq/);
    expect(readdirSync(dir)).toEqual(['out.py']);
    const copy = broken(() => {}, 'medium_1_3_2_1');
    const before = readFileSync(copy, 'utf8');
    const bad = await run([copy, '-o', copy]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/would overwrite a file of the model itself/);
    expect(readFileSync(copy, 'utf8')).toBe(before);
  });

  it('--inline past --max-size is refused with a pointer to the let form', async () => {
    const r = await run([join(FIXTURES, 'deep40', 'model.json'), '--inline']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/over --max-size 1\.0 MB; hint: drop --inline to get the let form/);
  });

  it('the real binary: stdin in, stdout out, exit codes', () => {
    const bin = join(ROOT, 'bin', 'nn2eq.js');
    const ok = spawnSync(process.execPath, [bin, '-', '-f', 'latex'], { input: readFileSync(join(FIXTURES, 'act_relu', 'model.json')), cwd: join(FIXTURES, 'act_relu'), encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^\\begin\{aligned\}/);
    expect(ok.stderr).toBe('');
    const bad = spawnSync(process.execPath, [bin, join(ROOT, 'package.json')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^nn2eq: .*package\.json: neither a TF\.js model\.json \(no 'modelTopology'\) nor a Keras architecture JSON/);
  });
});
