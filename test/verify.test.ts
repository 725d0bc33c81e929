import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { convertModel, FORMATS, loadModel, type Extractor } from '../src/index.js';
import { EXTRACTORS } from '../src/extract/index.js';
import { verify } from '../src/verify/index.js';
import { loadTf } from '../src/verify/oracle.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, python, ROOT, SHARED, tmpDir } from './helpers.js';

// The NumPy route needs a python3 with numpy; tests use the one the other tests found.
if (python.exe) process.env.NN2EQ_PYTHON = python.exe;

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

/**
 * Fixtures TF.js cannot be the reference for: Keras-only layers, settings or activations (their
 * fixture references come from TF.js ops; --verify gives TF.js only Normalization,
 * UnitNormalization, Subtract, 1D padding/cropping/up-sampling, ELU(alpha) and ReLU(threshold,
 * negative_slope)), and layers TF.js computes unlike Keras. --verify must say so (exit 2).
 */
const NO_TFJS_REFERENCE: Record<string, RegExp> = {
  conv1d_causal_dilated: /CAUSAL padding/,
  layer_batchnorm_axis1_plain: /non-last axis/,
  layer_depthwise_conv1d: /Unknown layer: DepthwiseConv1D/,
  act_exponential: /Unknown activation: exponential/,
  act_gelu_new: /Unknown activation: geluNew/,
  layer_separable_conv1d: /Unknown layer: SeparableConv1D/,
  layer_softmax_axis1: /non-last dimension/,
  rnn_gru_reset_after: /reset_after/,
};

// The four original formats on every fixture; each newer format (C, SymPy, …, whose own tests run
// every fixture in its runtime) on every sixth fixture in turn, so --verify's route for each runs
// here without multiplying the suite's time.
const BASE_FORMATS = ['latex', 'numpy', 'js', 'mathematica'] as const;
const NEWER_FORMATS = FORMATS.filter((f) => !(BASE_FORMATS as readonly string[]).includes(f));

describe('--verify passes on every fixture in the main formats, and in each newer format on some', () => {
  fixtureNames().forEach((name, k) => {
    it(name, async () => {
      const model = await loadModel(join(FIXTURES, name, 'model.json'));
      const opts = FIXTURE_OPTIONS[name] ?? {};
      for (const format of [...BASE_FORMATS, NEWER_FORMATS[k % NEWER_FORMATS.length]]) {
        const text = convertModel(model, { format, ...opts });
        if (name in NO_TFJS_REFERENCE) {
          await expect(verify(model, text, { format, ...opts })).rejects.toThrow(NO_TFJS_REFERENCE[name]);
          continue;
        }
        const report = await verify(model, text, { format, ...opts });
        expect(report.ok, JSON.stringify(report.routes)).toBe(true);
        expect(report.routes[0].status).toBe('ok');
        // The text's own route ran (js, numpy, c, …) or was checked (latex, html); only Wolfram and Julia may be skipped here.
        const own = report.routes[1];
        if (format === 'mathematica' || format === 'julia') expect(['ok', 'skipped']).toContain(own.status);
        else expect(own.status === 'ok' || own.status === 'valid', `${format}: ${own.status} ${own.reason ?? ''}`).toBe(true);
      }
    }, 120_000);
  });
});

describe('--verify on the shared Keras and TF.js models', () => {
  const S = SHARED;
  const cases: [string, string[]][] = [
    ['hls4ml/KERAS_3layer', ['KERAS_3layer.json', '--weights', join(S, 'hls4ml/KERAS_3layer/KERAS_3layer_weights.h5')]],
    ['hls4ml/KERAS_3layer_batch_norm', ['KERAS_3layer_batch_norm.json', '--weights', join(S, 'hls4ml/KERAS_3layer_batch_norm/KERAS_3layer_batch_norm_weights.h5')]],
    ['hls4ml/KERAS_lstm_model', ['KERAS_lstm_model_weights.h5']],
    ['hls4ml_prjs/elu', ['elu.h5']],
    ['hls4ml_prjs/leaky_relu', ['leaky_relu.h5']],
    ['hls4ml_prjs/prelu', ['prelu.h5']],
    ['hls4ml_prjs/selu', ['selu.h5']],
    ['dl4j/activations_ReLU_2_parametric', ['ReLU_2_model.h5']],
    ['dl4j/simple_rnn_tf_keras_2', ['simple_rnn_tf_keras_2_model.h5']],
    ['dl4j/cnn_batch_norm', ['cnn_batch_norm.h5']],
    ['community/auto_mpg_normalization_dnn_keras3', ['dnn_model.keras']],
    ['tfjs-layers/mlp', ['model.json']],
    ['tfjs-layers/functional_merge', ['model.json']],
    ['tfjs-layers/simple_rnn', ['model.json']],
    ['tfjs-layers/gru', ['model.json']],
    ['tfjs/rn_bundle_model_dense1', ['bundle_model_test.json']],
    ['tfjs-examples/abalone_node_mlp', ['model.json']],
  ];
  // The four original formats on every model; each newer format on every few models, in turn, so
  // that all run here without multiplying the suite's time by ten.
  const base = ['latex', 'numpy', 'js', 'mathematica'] as const;
  const newer = FORMATS.filter((f) => !(base as readonly string[]).includes(f));
  cases.forEach(([folder, [file, ...rest]], k) => {
    const path = join(S, folder, file);
    it(`${folder}/${file}`, async () => {
      for (const format of [...base, newer[k % newer.length]]) {
        const r = await run([path, ...rest, '-f', format, '--verify', '--report', 'json']);
        expect(r.code, r.err).toBe(0);
        const report = JSON.parse(r.err.trim().split('\n').pop()!);
        expect(report.ok).toBe(true);
        // Both routes really ran: the IR against TF.js, and the text (only Wolfram may be skipped here).
        expect(report.routes[0]).toMatchObject({ route: 'IR (float64)', status: 'ok' });
        expect(report.routes[0].outputs.length).toBeGreaterThan(0);
        expect(format === 'mathematica' || format === 'julia' ? ['ok', 'skipped'] : ['ok', 'valid']).toContain(report.routes[1].status);
      }
    }, 300_000);
  });
  it('a layer TF.js computes unlike Keras is named, exit 2', async () => {
    const r = await run([join(S, 'dl4j/conv1d_k3_channels_first_same/conv1d_k3_s1_d1_cf_same_model.h5'), '-f', 'js', '--verify']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/layer 'conv0' \(Conv1D\): TF\.js transposes the input of a channels_first Conv1D but not its output, so --verify has no trustworthy reference/);
  }, 120_000);
});

describe('--verify and a TF.js gap', () => {
  it("a BatchNormalization whose axis is the last one counted from the front still has TF.js as reference", async () => {
    const model = await loadModel(join(FIXTURES, 'layer_batchnorm', 'model.json'));
    const bn = model.layers.find((l) => l.className === 'BatchNormalization')!;
    // Dense(4) output: rank 1 without the batch, so Keras axis 1 is the last axis, as -1 is.
    // format 'keras' hands TF.js the edited model from memory instead of the file.
    const same = { ...model, format: 'keras' as const, layers: model.layers.map((l) => (l === bn ? { ...l, config: { ...l.config, axis: 1 } } : l)) };
    const report = await verify(same, convertModel(same, { format: 'js' }), { format: 'js' });
    expect(report.ok).toBe(true);
    // (A truly non-last axis, layer_batchnorm_axis1_plain, is refused in the fixture loop above.)
  }, 60_000);
});

describe('--verify reports', () => {
  const model = join(FIXTURES, 'mathematica_3_2_2_2', 'model.json');

  it('prints per-output errors and where they occur; the text goes to stdout as usual', async () => {
    const r = await run([model, '-f', 'js', '--verify']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/export function predict/);
    expect(r.err).toMatch(/^verify: PASS — js against TensorFlow\.js on \d+ points \(32 random, \d+ at kinks\); tolerance atol 1\.00e-5 \+ rtol 1\.00e-4/);
    expect(r.err).toMatch(/IR \(float64\): ok\n {4}dense_Dense\d+: max abs error [\d.e-]+, max rel error [\d.e-]+; worst at point \d+ \[/);
  }, 60_000);

  it('--precision 2 --tolerance 1e-7 exits 1 and says the rounding is why', async () => {
    const r = await run([model, '-f', 'js', '--precision', '2', '--verify', '--tolerance', '1e-7']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^verify: FAIL/);
    expect(r.err).toMatch(/js text: failed/);
    expect(r.err).toMatch(/rounding to 2 significant digits moves the outputs by up to [\d.e-]+ \(relative [\d.e-]+\) — more than the tolerance/);
  }, 60_000);

  it('--report json, --range, and --inputs-file in CSV and JSON', async () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'points.csv'), 'a,b,c\n0.5,0.25,-1\n3,2,1\n');
    writeFileSync(join(dir, 'points.json'), '[[0.5, 0.25, -1], [[3], [2], [1]]]');
    for (const f of ['points.csv', 'points.json']) {
      const r = await run([model, '-f', 'numpy', '--verify', '--report', 'json', '--range', '-3:3', '--inputs-file', join(dir, f)]);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.err);
      expect(report.points).toEqual({ random: 32, kinks: expect.any(Number), user: 2 });
      expect(report.routes.map((x: { route: string }) => x.route)).toEqual(['IR (float64)', 'numpy text']);
    }
  }, 60_000);

  it('bad --verify options are usage errors (exit 2, one line)', async () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'short.csv'), '1,2\n');
    for (const args of [['--range', '1:1'], ['--tolerance', 'tight'], ['--inputs-file', join(dir, 'short.csv')], ['--inputs-file', join(dir, 'missing.csv')]]) {
      const r = await run([model, '-f', 'js', '--verify', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n').length, r.err).toBe(1);
    }
  }, 60_000);
});

describe('a mistaken layer rule is caught and named', () => {
  it('an injected Dense bias error makes --verify fail and names the first layer it reaches', async () => {
    const path = join(FIXTURES, 'functional_chain', 'model.json');
    const model = await loadModel(path);
    // A fixture-only mistake: the 'logits' Dense layer gets 0.01 added to its second bias.
    const wrongDense: Extractor = (ctx, inputs) => {
      if (ctx.layer.name !== 'logits') return EXTRACTORS.Dense(ctx, inputs);
      const bias = ctx.layer.weights.get('bias')!;
      const shifted = Float32Array.from(bias.values, (v, i) => (i === 1 ? v + 0.01 : v));
      const layer = { ...ctx.layer, weights: new Map([...ctx.layer.weights, ['bias', { ...bias, values: shifted }]]) };
      return EXTRACTORS.Dense({ ...ctx, layer, weight: (n: string) => layer.weights.get(n)! }, inputs);
    };
    const extractors = { Dense: wrongDense };
    const text = convertModel(model, { format: 'js', extractors });
    const report = await verify(model, text, { format: 'js', extractors });
    expect(report.ok).toBe(false);
    expect(report.routes.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(report.divergence).toMatchObject({ layer: 'logits', className: 'Dense' });
    expect((report.divergence as { maxAbs: number }).maxAbs).toBeGreaterThan(1e-3);
  }, 60_000);

  it('verify leaves nothing in TF.js behind, on a pass and on a failure that cut sub-models (a library user verifies many models in one process)', async () => {
    const tf = await loadTf();
    const model = await loadModel(join(FIXTURES, 'functional_chain', 'model.json'));
    const text = convertModel(model, { format: 'js' });
    const wrong = text.replace(/(\d)\.(\d)/, '$1.$2' + '9');
    expect(wrong).not.toBe(text);
    await verify(model, text, { format: 'js' });
    const before = { ...tf.memory(), variables: Object.keys(tf.engine().registeredVariables).length };
    const oks = [];
    for (const t of [text, wrong, text]) oks.push((await verify(model, t, { format: 'js' })).ok);
    expect(oks).toEqual([true, false, true]);
    const after = { ...tf.memory(), variables: Object.keys(tf.engine().registeredVariables).length };
    expect([after.numTensors, after.variables]).toEqual([before.numTensors, before.variables]);
  }, 60_000);

  it('without the mistake the same model passes', async () => {
    const model = await loadModel(join(FIXTURES, 'functional_chain', 'model.json'));
    const report = await verify(model, convertModel(model, { format: 'js' }), { format: 'js' });
    expect(report.ok).toBe(true);
    expect(report.divergence).toBeUndefined();
  }, 60_000);

  it('TF.js is loaded only on the --verify path', () => {
    // A fresh process each time: is any @tensorflow module in node's module cache afterwards?
    const probe = (extra: string[]) => {
      const script = [
        `import { main } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'cli.js')).href)};`,
        "import { createRequire } from 'node:module';",
        'const io = { stdout: () => {}, stderr: () => {}, stdinIsTTY: true };',
        `await main(${JSON.stringify([join(FIXTURES, 'medium_1_3_2_1', 'model.json'), '-f', 'js', ...extra])}, io);`,
        "console.log(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@tensorflow')));",
      ].join('\n');
      return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env } }).stdout.trim();
    };
    expect(probe([])).toBe('false');
    expect(probe(['--verify'])).toBe('true');
  }, 60_000);

  it('--range without --verify is pointed out', async () => {
    const r = await run([join(FIXTURES, 'medium_1_3_2_1', 'model.json'), '-f', 'js', '--range', '-2:2']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/--range has no effect without --verify/);
  });
});
