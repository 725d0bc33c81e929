import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { convertFile, FORMATS } from '../src/index.js';
import { readZip } from '../src/load/zip.js';
import { checkAll } from './check.js';
import { FIXTURES, readReference, tmpDir } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}
const oneLine = (err: string) => err.trim().split('\n').length === 1 && !/\n\s+at /.test(err);

const SEQ = join(FIXTURES, 'keras_sequential');
const FN = join(FIXTURES, 'keras_functional');

// Each file holds the model of the model.json beside it (scripts/keras-files.mjs writes them from
// the same TF.js model), so each must print exactly what the model.json prints.
describe('every Keras layout and dialect prints what the TF.js model.json prints', () => {
  const files: [string, string, string | undefined][] = [
    [SEQ, 'model.h5', undefined],
    [SEQ, 'really_hdf5.keras', undefined],
    [SEQ, 'arch.json', 'weights.h5'],
    [SEQ, 'arch_theano.json', 'weights_theano.h5'],
    [SEQ, 'model.keras', undefined],
    [SEQ, 'model_unnamed_vars.keras', undefined],
    [SEQ, 'keras1.h5', undefined],
    [join(FIXTURES, 'keras1_lstm'), 'keras1.h5', undefined],
    [join(FIXTURES, 'keras3_recurrent'), 'model.keras', undefined],
    [join(FIXTURES, 'keras3_recurrent'), 'model_unnamed_vars.keras', undefined],
    [join(FIXTURES, 'keras3_recurrent'), 'model.h5', undefined],
    [FN, 'model.h5', undefined],
    [FN, 'model.keras', undefined],
    [FN, 'model_unnamed_vars.keras', undefined],
  ];
  for (const [dir, file, weights] of files) {
    it(`${dir.split('/').pop()}/${file}${weights ? ` --weights ${weights}` : ''}`, async () => {
      for (const format of FORMATS) {
        const want = (await convertFile(join(dir, 'model.json'), { format })).text;
        const got = await convertFile(join(dir, file), { format, weights: weights && join(dir, weights) });
        // A Keras 1 Sequential config is a bare list with no model name; nn2eq calls it 'sequential'.
        const expected = file === 'keras1.h5' ? want.replaceAll(`'${dir.split('/').pop()}'`, "'sequential'") : want;
        expect(got.text).toBe(expected);
        expect(got.model.sources.length).toBe(weights ? 2 : 1);
      }
    });
  }
});

describe('Keras files match TF.js predictions of the same weights', () => {
  checkAll(join(FN, 'model.keras'), readReference(FN), 'keras_functional/model.keras (Keras 3 functional)');
  checkAll(join(SEQ, 'keras1.h5'), readReference(SEQ), 'keras_sequential/keras1.h5 (Keras 1)');
  checkAll(join(SEQ, 'arch.json'), readReference(SEQ), 'keras_sequential/arch.json + weights.h5', { weights: join(SEQ, 'weights.h5') });
});

describe('bad Keras files: one line on stderr naming what is missing and what is there, exit 2', () => {
  const copy = (dir: string, name: string) => {
    const to = join(tmpDir(), name);
    copyFileSync(join(dir, name), to);
    return to;
  };
  const zipOf = (files: Record<string, Uint8Array>) => {
    const p = join(tmpDir(), 'm.keras');
    writeFileSync(p, zipSync(files));
    return p;
  };
  const entries = async () => readZip(readFileSync(join(FN, 'model.keras')), 'model.keras');
  const cases: [string, () => Promise<string[]>, RegExp][] = [
    ['truncated HDF5', async () => {
      const p = copy(SEQ, 'model.h5');
      writeFileSync(p, readFileSync(p).subarray(0, 900));
      return [p];
    }, /not a readable HDF5 file/],
    ['a .keras zip without config.json', async () => {
      const e = await entries();
      return [zipOf({ 'metadata.json': e.get('metadata.json')!, 'model.weights.h5': e.get('model.weights.h5')! })];
    }, /is a zip archive without config\.json, so not a Keras 3 \.keras file; it holds metadata\.json, model\.weights\.h5/],
    ['a .keras zip without weights', async () => {
      const e = await entries();
      return [zipOf({ 'config.json': e.get('config.json')! })];
    }, /has no model\.weights\.h5; it holds config\.json/],
    ['a zip entry outside the archive root', async () => {
      const e = await entries();
      return [zipOf({ 'config.json': e.get('config.json')!, '../escape.txt': new Uint8Array([1]) })];
    }, /entries outside its root \(\.\.\/escape\.txt\)/],
    ['a weights-only HDF5 given as the model', async () => [join(SEQ, 'weights.h5')], /is an HDF5 file with no model config \(a weights file\? pass it with --weights.*hint: pass the architecture JSON/],
    ['an architecture JSON without --weights', async () => [join(SEQ, 'arch.json')], /Keras architecture JSON without weights; hint: add --weights/],
    ['--weights beside a TF.js model.json', async () => [join(SEQ, 'model.json'), '--weights', join(SEQ, 'weights.h5')], /weightsManifest names its weights, so --weights is not used/],
    ['--weights that is not HDF5', async () => [join(SEQ, 'arch.json'), '--weights', join(SEQ, 'model.json')], /--weights expects an HDF5 file/],
    ['a weights file for another architecture', async () => [join(SEQ, 'arch.json'), '--weights', join(FN, 'model.h5')], /holds weights for 2 layers the architecture does not have \(hidden, head\); the architecture's layers without weights: dense_Dense\d+, dense_Dense\d+, dense_Dense\d+/],
    ['a weights file that lacks a layer', async () => {
      const arch = JSON.parse(readFileSync(join(SEQ, 'arch.json'), 'utf8'));
      const layers = arch.config.layers;
      // Put a new Dense layer at the end that the weights file knows nothing about.
      layers.push({ class_name: 'Dense', config: { ...layers[layers.length - 1].config, name: 'extra_dense', units: 2 } });
      const p = join(tmpDir(), 'arch.json');
      writeFileSync(p, JSON.stringify(arch));
      return [p, '--weights', join(SEQ, 'weights.h5')];
    }, /layer 'extra_dense' \(Dense\): weight 'kernel' is missing; the layer has no weights/],
  ];
  for (const [name, make, pattern] of cases) {
    it(name, async () => {
      const r = await run([...(await make()), '-f', 'js']);
      expect(r.err).toMatch(pattern);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(oneLine(r.err), r.err).toBe(true);
    });
  }

  it('a zip whose declared size passes the limit is refused before inflating', async () => {
    const bytes = readFileSync(join(FN, 'model.keras'));
    await expect(readZip(bytes, 'model.keras', 1000)).rejects.toThrow(/declares \d+ uncompressed bytes, more than the limit of 1000/);
  });
});
