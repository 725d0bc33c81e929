// Writes fixtures/keras-attention/<name>/: a Keras file (Keras 2 model.h5, Keras 2 arch.json +
// weights.h5, or a Keras 3 model.keras) and reference.json, PyTorch's outputs on the same weights
// (scripts/keras-attention-fixtures.py computes them and names the weights as Keras does).
// HDF5 is written by h5wasm, the zip by fflate; nothing here uses nn2eq's loader.
// Usage: node scripts/keras-attention-fixtures.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import h5wasm from 'h5wasm/node';

await h5wasm.ready;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'fixtures', 'keras-attention');
const tmp = mkdtempSync(join(tmpdir(), 'nn2eq-kattn-'));

function h5File(path, fill) {
  const f = new h5wasm.File(path, 'w');
  try {
    fill(f);
  } finally {
    f.close();
  }
}

function dataset(g, path, w) {
  const parts = path.split('/');
  let cur = g;
  for (const p of parts.slice(0, -1)) cur = cur.get(p) ?? cur.create_group(p);
  cur.create_dataset({ name: parts[parts.length - 1], data: Float32Array.from(w.values), shape: w.shape, dtype: '<f' });
}

/** Keras 2 layout: layer_names (every layer, inputs too), each group's weight_names '<layer>/<path>:0'. */
function writeLayerNames(g, fx) {
  const names = fx.config.config.layers.map((l) => l.name);
  g.create_attribute('layer_names', names);
  g.create_attribute('backend', 'tensorflow');
  g.create_attribute('keras_version', '2.13.1');
  for (const name of names) {
    const lg = g.create_group(name);
    const ws = fx.layers.find((l) => l.name === name)?.weights ?? [];
    lg.create_attribute('weight_names', ws.length > 0 ? ws.map((w) => `${w.name}:0`) : ['']);
    for (const w of ws) dataset(lg, `${w.name}:0`, w);
  }
}

function snake(name) {
  return name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Keras 3 layout: layers/<class in snake_case>[/<sub-layer>]/vars/<i>. */
function writeKeras3(path, fx) {
  const h5 = join(tmp, `${fx.name}.weights.h5`);
  h5File(h5, (f) => {
    const layers = f.create_group('layers');
    for (const l of fx.layers) {
      const group = layers.create_group(snake(l.className));
      const subs = [...new Set(l.weights.map((w) => w.sub))];
      if (subs.some((s) => s !== '')) group.create_group('vars');
      for (const sub of subs) {
        const vars = (sub ? group.create_group(sub) : group).create_group('vars');
        l.weights.filter((w) => w.sub === sub).forEach((w, i) => vars.create_dataset({ name: String(i), data: Float32Array.from(w.values), shape: w.shape, dtype: '<f' }));
      }
    }
  });
  const files = {
    'metadata.json': new TextEncoder().encode(JSON.stringify({ keras_version: '3.10.0', date_saved: '2026-12-07@00:00:00' })),
    'config.json': new TextEncoder().encode(JSON.stringify(fx.config)),
    'model.weights.h5': new Uint8Array(readFileSync(h5)),
  };
  writeFileSync(path, zipSync(files, { level: 0, mtime: new Date(Date.UTC(2026, 0, 1)) }));
}

try {
  const json = join(tmp, 'fixtures.json');
  execFileSync('/usr/bin/python3', [join(ROOT, 'scripts', 'keras-attention-fixtures.py'), json], { stdio: 'inherit' });
  const { fixtures } = JSON.parse(readFileSync(json, 'utf8'));
  for (const fx of fixtures) {
    const dir = join(fx.folder ? join(ROOT, 'fixtures', fx.folder) : OUT, fx.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    if (fx.format === 'keras2-h5') {
      h5File(join(dir, 'model.h5'), (f) => {
        f.create_attribute('model_config', JSON.stringify(fx.config));
        f.create_attribute('keras_version', '2.13.1');
        f.create_attribute('backend', 'tensorflow');
        writeLayerNames(f.create_group('model_weights'), fx);
      });
    } else if (fx.format === 'keras2-json') {
      writeFileSync(join(dir, 'arch.json'), JSON.stringify(fx.config));
      h5File(join(dir, 'weights.h5'), (f) => writeLayerNames(f, fx));
    } else writeKeras3(join(dir, 'model.keras'), fx);
    writeFileSync(join(dir, 'reference.json'), `${JSON.stringify(fx.reference)}\n`);
    console.log(`${fx.name}: ${fx.format}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
