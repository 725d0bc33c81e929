import { copyFileSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { FIXTURES, ROOT, SHARED, tmpDir } from './helpers.js';

/**
 * Files made to hurt: each must be refused with one line and exit 2 (or converted), quickly and
 * without filling memory. The regression cases `npm run fuzz` found are at the end.
 */
async function run(args: string[]) {
  let out = '';
  let err = '';
  const t0 = performance.now();
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err, ms: performance.now() - t0 };
}

async function refused(args: string[], re: RegExp) {
  const r = await run(args);
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(/^nn2eq: [^\n]*\n$/);
  expect(r.err).toMatch(re);
  expect(r.ms).toBeLessThan(5000);
  if (process.env.NN2EQ_PRINT) console.log(`PRINTS ${expect.getState().currentTestName}: ${r.err.trim()}`);
  return r;
}

/** A copy of a fixture folder with model.json edited. */
function edited(edit: (doc: any, dir: string) => void, fixture = 'mathematica_3_2_2_2'): string {
  const dir = tmpDir();
  for (const f of readdirSync(join(FIXTURES, fixture))) copyFileSync(join(FIXTURES, fixture, f), join(dir, f));
  const doc = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(doc, dir);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
  return join(dir, 'model.json');
}

const layersOf = (doc: any) => doc.modelTopology.model_config?.config?.layers ?? doc.modelTopology.config.layers;

describe('shard paths escaping the folder', () => {
  it('../', async () => {
    const path = edited((doc, dir) => {
      const out = join(dir, '..', `${dir.split('/').pop()}-outside.bin`);
      copyFileSync(join(dir, 'weights.bin'), out);
      doc.weightsManifest[0].paths = [`../${out.split('/').pop()}`];
    });
    await refused([path], /weight shard '\.\.\/.*' lies outside the model's folder/);
  });
  it('an absolute path', async () => {
    const path = edited((doc, dir) => {
      doc.weightsManifest[0].paths = [join(dir, 'weights.bin')];
    });
    await refused([path], /weight shard '\/.*weights\.bin' lies outside the model's folder/);
  });
  it('a symlink pointing out', async () => {
    const path = edited((doc, dir) => {
      const other = tmpDir();
      copyFileSync(join(dir, 'weights.bin'), join(other, 'w.bin'));
      symlinkSync(join(other, 'w.bin'), join(dir, 'link.bin'));
      doc.weightsManifest[0].paths = ['link.bin'];
    });
    await refused([path], /weight shard 'link\.bin' lies outside the model's folder/);
  });
});

describe('.keras archives', () => {
  it('a zip bomb (declared sizes past the limit) is refused before inflating', async () => {
    const { zipSync } = await import('fflate');
    const zip = zipSync({ 'config.json': new Uint8Array(1000), 'model.weights.h5': new Uint8Array(4000) }, { level: 9 });
    // Rewrite the declared uncompressed sizes (central directory, offset 24) to 4 GiB - 1.
    const b = Buffer.from(zip);
    for (let at = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) b.writeUInt32LE(0xffffffff, at + 24);
    const path = join(tmpDir(), 'bomb.keras');
    writeFileSync(path, b);
    const r = await refused([path], /bomb\.keras: the archive declares \d+ uncompressed bytes, more than the limit of 2147483647/);
    expect(process.memoryUsage().rss).toBeLessThan(2 ** 31);
    void r;
  });
  it('a real deflate bomb: 1 GB of zeros in 1 MB', async () => {
    const { zipSync } = await import('fflate');
    // Built from a 64 MB block so the test stays fast; the declared size alone refuses it.
    const zip = zipSync({ 'config.json': new Uint8Array(2 ** 26) }, { level: 9 });
    const b = Buffer.from(zip);
    const cd = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    b.writeUInt32LE(0xffffffff, cd + 24);
    const path = join(tmpDir(), 'zeros.keras');
    writeFileSync(path, b);
    await refused([path], /the archive declares 4294967295 uncompressed bytes/);
  });
  it('entries with ../ are refused', async () => {
    const { zipSync } = await import('fflate');
    const path = join(tmpDir(), 'escape.keras');
    writeFileSync(path, zipSync({ '../evil.json': new TextEncoder().encode('{}'), 'config.json': new TextEncoder().encode('{}') }));
    await refused([path], /escape\.keras: the archive has entries outside its root \(\.\.\/evil\.json\)/);
  });
});

describe('declared sizes are refused before allocating', () => {
  it('a weight of 1e10 elements', async () => {
    const path = edited((doc) => {
      doc.weightsManifest[0].weights[0].shape = [100000, 100000];
    });
    await refused([path], /declares shape \[100000, 100000\] \(10000000000 elements\), more than the 268435456 accepted/);
  });
  it('an input of 1e10 scalars', async () => {
    const path = edited((doc) => {
      layersOf(doc)[0].config.batch_input_shape = [null, 100000, 100000];
    });
    await refused([path], /declares shape \[100000, 100000\], 1\.00e\+10 scalars, more than the 262144 nn2eq can print/);
  });
});

describe('deep and cyclic structure', () => {
  it('JSON nested 200,000 levels deep: no stack overflow', async () => {
    const path = join(tmpDir(), 'deep.json');
    writeFileSync(path, `{"modelTopology":${'['.repeat(200_000)}${']'.repeat(200_000)},"weightsManifest":[]}`);
    const r = await run([path]);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/^nn2eq: [^\n]*\n$/);
    expect(r.err).not.toMatch(/internal error|call stack/);
  });
  it('a layer config nested 200,000 levels deep', async () => {
    // Written as text: JSON.stringify itself would overflow on such an object.
    const path = edited((doc) => {
      layersOf(doc)[0].config.activation = 'DEEP';
    });
    const deep = `${'{"class_name":"Wrap","config":{"layer":'.repeat(200_000)}1${'}}'.repeat(200_000)}`;
    writeFileSync(path, readFileSync(path, 'utf8').replace('"DEEP"', deep));
    const r = await run([path]);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/^nn2eq: [^\n]*\n$/);
  });
  it('a functional config whose inbound nodes form a cycle', async () => {
    const path = edited((doc) => {
      const layers = layersOf(doc);
      // functional_chain: point the first dense layer at the last one.
      layers[1].inbound_nodes = [[[layers[layers.length - 1].name, 0, 0, {}]]];
    }, 'functional_chain');
    await refused([path], /the layer graph has a cycle through '/);
  });
  it('inbound nodes naming layers that do not exist', async () => {
    const path = edited((doc) => {
      layersOf(doc)[1].inbound_nodes = [[['no_such_layer', 0, 0, {}]]];
    }, 'functional_chain');
    await refused([path], /takes input from 'no_such_layer', which is not a layer of the model/);
  });
  it('a 10,000-layer model converts', async () => {
    const path = edited((doc) => {
      const layers = layersOf(doc);
      const act = { class_name: 'Activation', config: { name: '', activation: 'relu', trainable: true } };
      for (let i = 0; i < 10_000; i++) layers.push({ ...act, config: { ...act.config, name: `act_${i}` } });
    });
    const r = await run([path, '-f', 'js']);
    expect(r.code, r.err).toBe(0);
    expect(r.ms).toBeLessThan(20_000);
  }, 60_000);
});

describe('HDF5 datasets of the wrong type', () => {
  async function h5(kernel: (g: any) => void): Promise<string> {
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const path = join(tmpDir(), 'wrong.h5');
    const f = new h5wasm.File(path, 'w');
    const config = {
      class_name: 'Sequential',
      config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, activation: 'linear', use_bias: true, batch_input_shape: [null, 3] } }] },
    };
    f.create_attribute('model_config', JSON.stringify(config));
    f.create_attribute('keras_version', '2.13.1');
    const w = f.create_group('model_weights');
    w.create_attribute('layer_names', ['d']);
    const g = w.create_group('d');
    g.create_attribute('weight_names', ['d/kernel:0', 'd/bias:0']);
    const inner = g.create_group('d');
    kernel(inner);
    inner.create_dataset({ name: 'bias:0', data: new Float32Array([1, 2]), shape: [2], dtype: '<f' });
    f.close();
    return path;
  }
  it('a string dataset as a kernel', async () => {
    const path = await h5((g) => g.create_dataset({ name: 'kernel:0', data: ['a', 'b', 'c', 'd', 'e', 'f'], shape: [3, 2] }));
    await refused([path], /dataset .*kernel:0 is not numeric/);
  });
  it('an int64 kernel of the right shape is read as numbers', async () => {
    const path = await h5((g) => g.create_dataset({ name: 'kernel:0', data: new BigInt64Array([1n, 2n, 3n, 4n, 5n, 6n]), shape: [3, 2], dtype: '<q' }));
    const r = await run([path, '-f', 'js']);
    expect(r.code, r.err).toBe(0);
  });
  it('a kernel of the wrong shape', async () => {
    const path = await h5((g) => g.create_dataset({ name: 'kernel:0', data: new Float32Array(4), shape: [2, 2], dtype: '<f' }));
    const r = await run([path, '-f', 'js']);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/^nn2eq: [^\n]*kernel[^\n]*\n$/);
  });
});

describe('regressions found by npm run fuzz', () => {
  it('a missing key where a list was expected is described, not a TypeError', async () => {
    const path = edited((doc) => {
      delete doc.weightsManifest[0].weights[0].shape;
    });
    await refused([path], /weightsManifest\[0\]\.weights\[0\]\.shape should be a list, found nothing \(the key is missing\)/);
  });
  it('strides [0] and a padding of 1e10 are refused before any layer rule runs', async () => {
    const conv = edited((doc) => {
      layersOf(doc).find((l: any) => l.class_name === 'Conv1D').config.strides = [0];
    }, 'conv1d_same_strided');
    await refused([conv], /has strides \[0\], expected whole numbers from 1 to 262144/);
    const pad = edited((doc) => {
      layersOf(doc).find((l: any) => l.class_name === 'ZeroPadding1D').config.padding = [1e10, 1];
    }, 'layer_zero_padding1d');
    await refused([pad], /has padding \[10000000000,1\], expected whole numbers from 0 to 262144/);
  });
  it('a Keras 3 inbound node without tensors', async () => {
    const path = edited((doc) => {
      const layers = layersOf(doc);
      layers[1].inbound_nodes = [{ a: 1 }];
    }, 'functional_chain');
    await refused([path], /inbound_nodes has a call with no input tensor/);
  });
  it('an output of 200,000 scalars (once a stack overflow)', async () => {
    const dir = tmpDir();
    const src = join(SHARED, 'hls4ml_prjs', 'leaky_relu');
    for (const f of ['leaky_relu.json', 'leaky_relu_weights.h5']) copyFileSync(join(src, f), join(dir, f));
    const arch = JSON.parse(readFileSync(join(dir, 'leaky_relu.json'), 'utf8'));
    arch.config.layers[0].config.batch_input_shape = [null, 200_000];
    writeFileSync(join(dir, 'leaky_relu.json'), JSON.stringify(arch));
    const r = await run([join(dir, 'leaky_relu.json'), '--weights', join(dir, 'leaky_relu_weights.h5'), '-f', 'js', '-o', join(dir, 'out.js')]);
    expect(r.code, r.err).toBe(0);
  }, 60_000);
});

describe('a damaged HDF5 file that sends the HDF5 library into an endless loop', () => {
  it('is refused after the group walk times out (case 1892 of fuzz seed 14)', async () => {
    const { spawnSync } = await import('node:child_process');
    // @ts-expect-error plain JS script, also run by `npm run fuzz`
    const { makeCase, seeds } = await import('../scripts/fuzz.mjs');
    const c = makeCase(seeds(), 14, 1892, join(tmpDir(), 'case'));
    expect(c.what).toBe('flip 8 bytes');
    // Through the CLI: the guard is a worker thread, which runs from the built module.
    const t0 = performance.now();
    const p = spawnSync(process.execPath, [join(ROOT, 'bin', 'nn2eq.js'), c.model, '-f', 'js'], { encoding: 'utf8', timeout: 30_000 });
    expect(p.status, p.stderr).toBe(2);
    expect(p.stderr).toMatch(/^nn2eq: .*selu\.h5: the HDF5 library did not finish reading the file's groups in 4 s; the file is damaged; hint: save the model again\n$/);
    expect(performance.now() - t0).toBeLessThan(15_000);
  }, 60_000);
});
