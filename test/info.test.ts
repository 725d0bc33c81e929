import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { EXTRACTORS, FORMATS } from '../src/index.js';
import { FIXTURES } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

describe('nn2eq info', () => {
  it('describes a TF.js model: writer, inputs, outputs, layers, parameters, sizes', async () => {
    const { code, out } = await run(['info', join(FIXTURES, 'mathematica_3_2_2_2', 'model.json')]);
    expect(code).toBe(0);
    expect(out).toMatch(/TF\.js layers model\.json, model 'mathematica_3_2_2_2'/);
    expect(out).toMatch(/written by: nn2eq fixtures, tfjs-layers 4\.22\.0/);
    expect(out).toMatch(/input {3}dense_Dense4_input \[3\]/);
    expect(out).toMatch(/dense_Dense5 +Dense +\[2\] +6/);
    // 3·2+2, 2·2+2, 2·2+2, counted by hand from the architecture.
    expect(out).toMatch(/total parameters: 20\n/);
    for (const f of FORMATS) expect(out).toMatch(new RegExp(`^${f} +~`, 'm'));
  });

  it('reads the Keras version from an HDF5 file and a .keras archive', async () => {
    const h5 = await run(['info', join(FIXTURES, 'keras_sequential', 'model.h5'), '--report', 'json']);
    expect(h5.code).toBe(0);
    const r = JSON.parse(h5.out);
    expect(r.fileFormat).toBe('Keras HDF5');
    expect(r.writtenBy).toMatch(/^Keras 2\.\d+\.\d+/);
    expect(r.totalParams).toBe(3 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2);
    expect(r.layers.map((l: { className: string }) => l.className)).toEqual(['InputLayer', 'Dense', 'Dense', 'Dense']);
    const zip = JSON.parse((await run(['info', join(FIXTURES, 'keras3_recurrent', 'model.keras'), '--report', 'json'])).out);
    expect(zip.fileFormat).toBe('Keras 3 .keras archive');
    expect(zip.writtenBy).toMatch(/^Keras 3\./);
  });

  it('JSON report: output shapes per layer and sizes per format', async () => {
    const r = JSON.parse((await run(['info', join(FIXTURES, 'conv2d_same_strided', 'model.json'), '--report', 'json'])).out);
    expect(r.inputs[0].shape.length).toBe(3);
    for (const l of r.layers) expect(Array.isArray(l.outputShapes)).toBe(true);
    expect(r.sizes.map((s: { format: string }) => s.format)).toEqual(FORMATS);
    for (const s of r.sizes) expect(s.inline).toBeGreaterThanOrEqual(s.letForm);
  });

  it('a missing file is exit 2 with one line', async () => {
    const { code, err } = await run(['info', 'no/such/model.json']);
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('--list-layers and --list-formats print the registries', async () => {
    const layers = await run(['--list-layers']);
    expect(layers.code).toBe(0);
    expect(layers.out.trim().split('\n')).toEqual(Object.keys(EXTRACTORS).sort());
    const formats = await run(['--list-formats']);
    expect(formats.out.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(FORMATS);
  });

  it('nn2eq MODEL still converts (the default command)', async () => {
    const { code, out } = await run([join(FIXTURES, 'mathematica_3_2_2_2', 'model.json'), '-f', 'c']);
    expect(code).toBe(0);
    expect(out).toMatch(/void predict\(const double \*x, double \*y\)/);
  });
});
