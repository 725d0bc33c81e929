import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile, type ConvertOptions } from '../src/index.js';
import { Nn2eqError } from '../src/errors.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, inCI, SHARED, tmpDir } from './helpers.js';

/** The shared Keras / TF.js models: the one place that says where they are (to become test/models). */
const SHARED_MODELS = SHARED;

/** Every shared Keras / TF.js model, as [name, model file, weights file]. */
const SHARED_LIST: [string, string, string?][] = [
  ['hls4ml/KERAS_3layer', 'KERAS_3layer.json', 'KERAS_3layer_weights.h5'],
  ['hls4ml/KERAS_3layer_batch_norm', 'KERAS_3layer_batch_norm.json', 'KERAS_3layer_batch_norm_weights.h5'],
  ['hls4ml/KERAS_lstm_model', 'KERAS_lstm_model_weights.h5'],
  ['hls4ml_prjs/elu', 'elu.h5'],
  ['hls4ml_prjs/leaky_relu', 'leaky_relu.h5'],
  ['hls4ml_prjs/prelu', 'prelu.h5'],
  ['hls4ml_prjs/selu', 'selu.h5'],
  ['tfjs-layers/mlp', 'model.json'],
  ['tfjs-layers/cnn', 'model.json'],
  ['tfjs-layers/simple_rnn', 'model.json'],
  ['tfjs-layers/gru', 'model.json'],
  ['tfjs-layers/functional_merge', 'model.json'],
  ['tfjs/rn_bundle_model_dense1', 'bundle_model_test.json'],
  ['tfjs-examples/abalone_node_mlp', 'model.json'],
  ['dl4j/activations_ReLU_2_parametric', 'ReLU_2_model.h5'],
  ['dl4j/conv1d_k3_channels_first_same', 'conv1d_k3_s1_d1_cf_same_model.h5'],
  ['dl4j/simple_rnn_tf_keras_2', 'simple_rnn_tf_keras_2_model.h5'],
  ['dl4j/cnn_batch_norm', 'cnn_batch_norm.h5'],
  ['dl4j/causal_conv1d_k4_d2', 'causal_conv1d_k4_s1_d2_cl_model.h5'],
  ['dl4j/causal_conv1d_k4_s2', 'causal_conv1d_k4_s2_d1_cl_model.h5'],
  ['frugally-deep/gru_reset_after_units1_stateless', 'temp_stateless.h5'],
  ['community/auto_mpg_normalization_dnn_keras3', 'dnn_model.keras'],
];

/** Models whose let form passes the default --max-size (MobileNetV2 at 224×224): refused, nothing to compile. */
const TOO_LARGE = new Set(['nsfwjs/mobilenet_v2_quant_uint8']);

/** Overfull boxes up to this wide are TeX rounding, not a layout fault. */
const MAX_OVERFULL_PT = 1;

const pdflatex = spawnSync('pdflatex', ['--version']).status === 0;
const skip = pdflatex ? null : 'pdflatex not found; apt-get install -y texlive-latex-base texlive-latex-recommended';

interface Compiled {
  /** nn2eq refused the model itself (a layer it does not support): nothing to compile. */
  refused?: string;
  dir?: string;
  ok: boolean;
  log: string;
  worst: number;
  pdfBytes: number;
  /** Pages the document took (in a batch: its own pages). */
  pages: number;
}

function runPdflatex(dir: string, tex: string): Promise<{ ok: boolean; log: string; pdfBytes: number }> {
  writeFileSync(join(dir, 'doc.tex'), tex);
  return new Promise((resolve) => {
    execFile('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: dir, maxBuffer: 1 << 26 }, (err) => {
      const log = existsSync(join(dir, 'doc.log')) ? readFileSync(join(dir, 'doc.log'), 'latin1') : '';
      const pdf = join(dir, 'doc.pdf');
      resolve({ ok: !err, log, pdfBytes: existsSync(pdf) ? readFileSync(pdf).length : 0 });
    });
  });
}

const OVERFULL = /Overfull \\hbox \(([\d.]+)pt too wide\)(?: in (?:paragraph|alignment) at lines (\d+)--\d+| detected at line (\d+))?/g;

/** One document, alone: compiled in its own folder. */
async function compile(tex: string): Promise<Compiled> {
  const dir = tmpDir();
  const r = await runPdflatex(dir, tex);
  const widths = [...r.log.matchAll(OVERFULL)].map((m) => Number(m[1]));
  const pages = Number(/^Output written on doc\.pdf \((\d+) pages?,/m.exec(r.log)?.[1] ?? 0);
  return { ...r, dir, worst: Math.max(0, ...widths), pages };
}

/** The preamble every --standalone document starts with, and its body: null when it has another form (then it is compiled alone). */
function split(tex: string, preamble: string): string | null {
  const end = '\\end{document}\n';
  if (!tex.startsWith(preamble) || !tex.endsWith(end) || tex.indexOf('\\end{document}') !== tex.length - end.length) return null;
  return tex.slice(preamble.length, tex.length - end.length);
}

/**
 * Small documents (pdflatex spends most of their time starting) compiled several in one run: the
 * one preamble they all share, then each body on pages of its own. An overfull line is the
 * document's whose lines it is on, and each must take a page. When the batch does not pass (an
 * error, an overfull line past MAX_OVERFULL_PT or not placed, a document without a page), each of
 * its documents is compiled alone, so a broken one fails with its own log and folder.
 */
async function compileBatch(docs: { name: string; tex: string }[], preamble: string): Promise<Map<string, Compiled>> {
  const lines = (t: string) => t.split('\n').length - 1;
  let tex = preamble;
  const starts: number[] = [];
  docs.forEach((d, k) => {
    tex += `\\clearpage\\typeout{nn2eq-batch ${k} starts on page \\the\\value{page}}\n`;
    starts.push(lines(tex) + 1);
    tex += split(d.tex, preamble)!;
  });
  tex += `\\clearpage\\typeout{nn2eq-batch ${docs.length} starts on page \\the\\value{page}}\n\\end{document}\n`;
  const dir = tmpDir();
  const r = await runPdflatex(dir, tex);
  const page = new Map([...r.log.matchAll(/^nn2eq-batch (\d+) starts on page (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]));
  const worst = docs.map(() => 0);
  let placed = true;
  for (const m of r.log.matchAll(OVERFULL)) {
    const line = Number(m[2] ?? m[3] ?? NaN);
    let k = -1;
    while (k + 1 < starts.length && starts[k + 1] <= line) k++;
    if (k < 0) placed = false;
    else worst[k] = Math.max(worst[k], Number(m[1]));
  }
  const pages = docs.map((_, k) => (page.get(k + 1) ?? 0) - (page.get(k) ?? 0));
  const out = new Map<string, Compiled>();
  if (r.ok && r.pdfBytes > 0 && placed && worst.every((w) => w <= MAX_OVERFULL_PT) && pages.every((p) => p > 0)) {
    docs.forEach((d, k) => out.set(d.name, { ok: true, log: r.log, pdfBytes: r.pdfBytes, dir, worst: worst[k], pages: pages[k] }));
  } else {
    for (const d of docs) out.set(d.name, await compile(d.tex));
  }
  return out;
}

/** Documents below this size are compiled in batches of BATCH_SIZE. */
const BATCH_BELOW = 40_000;
const BATCH_SIZE = 12;

type Opts = Omit<ConvertOptions, 'format'> & { weights?: string };

/** Options that change the layout: rounding, words for names, the closed form, one term a line. */
const VARIANTS: [name: string, path: string, opts: Opts][] = [
  ['community/auto_mpg_normalization_dnn_keras3 --precision 3', join(SHARED_MODELS, 'community/auto_mpg_normalization_dnn_keras3/dnn_model.keras'), { precision: 3 }],
  ['fixtures/functional_chain --inputs --outputs', join(FIXTURES, 'functional_chain', 'model.json'), { inputNames: ['weight', 'height', 'age', 'cylinders'], outputNames: ['low', 'medium', 'high'] }],
  ['fixtures/medium_1_3_2_1 --inline', join(FIXTURES, 'medium_1_3_2_1', 'model.json'), { inline: true }],
  ['fixtures/act_hard_sigmoid --inline', join(FIXTURES, 'act_hard_sigmoid', 'model.json'), { inline: true }],
  ['fixtures/rnn_lstm_10_steps --terms-per-line 1', join(FIXTURES, 'rnn_lstm_10_steps', 'model.json'), { termsPerLine: 1 }],
];

const cases: [name: string, path: string, opts: Opts][] = [
  ...fixtureNames().map((n): [string, string, Opts] => [`fixtures/${n}`, join(FIXTURES, n, 'model.json'), FIXTURE_OPTIONS[n] ?? {}]),
  ...SHARED_LIST.filter(([folder]) => existsSync(join(SHARED_MODELS, folder)) && !TOO_LARGE.has(folder)).map(
    ([folder, file, weights]): [string, string, Opts] => [folder, join(SHARED_MODELS, folder, file), weights ? { weights: join(SHARED_MODELS, folder, weights) } : {}],
  ),
  ...VARIANTS.filter(([, path]) => existsSync(path)),
];

/** Scalar forms past this size are not a page anyone prints: the form `--form auto` gives (the tensor form) is compiled instead. */
const SCALAR_AT_MOST = 500_000;

/**
 * The --standalone document of a model: its scalar form, or, when that passes SCALAR_AT_MOST (the
 * tfjs-layers CNN's is 7 MB, 150 s of pdflatex, a third of the suite's critical path), the tensor
 * form the CLI's `--form auto` prints for it.
 */
async function standalone(path: string, opts: Opts): Promise<string> {
  try {
    return (await convertFile(path, { format: 'latex', standalone: true, form: 'scalar', maxSize: SCALAR_AT_MOST, ...opts })).text;
  } catch (e) {
    if (!(e instanceof Nn2eqError && e.kind === 'too-large')) throw e;
    return (await convertFile(path, { format: 'latex', standalone: true, form: 'tensor', ...opts })).text;
  }
}

// Every fixture and shared model, --standalone, through pdflatex on A4: it must compile and fit.
describe.skipIf(skip !== null && !inCI)('latex --standalone compiles with pdflatex and fits A4', () => {
  const results = new Map<string, Compiled>();
  beforeAll(async () => {
    if (skip) throw new Error(skip);
    const start = Date.now();
    // Converted one after another (the shared models first: the largest documents are among them),
    // and compiled two at a time (the machine is shared), the largest ready document first, so the
    // longest pdflatex run starts early instead of last; the small documents then go in batches.
    const order = [...cases.filter(([name]) => !name.startsWith('fixtures/')), ...cases.filter(([name]) => name.startsWith('fixtures/'))];
    const ready: { name: string; tex: string }[] = [];
    let converting = true;
    const waiting: (() => void)[] = [];
    const wake = () => waiting.splice(0).forEach((w) => w());
    const converter = (async () => {
      for (const [name, path, opts] of order) {
        try {
          ready.push({ name, tex: await standalone(path, opts) });
        } catch (e) {
          if (!(e instanceof Nn2eqError)) throw e;
          results.set(name, { refused: e.message, ok: false, log: '', worst: 0, pdfBytes: 0, pages: 0 });
        }
        wake();
      }
    })().finally(() => {
      converting = false;
      wake();
    });
    const preamble = (tex: string) => tex.slice(0, tex.indexOf('\\begin{document}\n') + '\\begin{document}\n'.length);
    const worker = async () => {
      for (;;) {
        ready.sort((a, b) => b.tex.length - a.tex.length);
        if (ready.length && (ready[0].tex.length >= BATCH_BELOW || !converting)) {
          const first = ready.shift()!;
          const pre = preamble(first.tex);
          if (first.tex.length >= BATCH_BELOW || split(first.tex, pre) === null) {
            results.set(first.name, await compile(first.tex));
            continue;
          }
          const batch = [first];
          for (let i = 0; i < ready.length && batch.length < BATCH_SIZE; ) {
            if (split(ready[i].tex, pre) !== null) batch.push(...ready.splice(i, 1));
            else i++;
          }
          for (const [name, r] of await compileBatch(batch, pre)) results.set(name, r);
          continue;
        }
        if (!converting && !ready.length) return;
        await new Promise<void>((r) => waiting.push(r));
      }
    };
    await Promise.all([converter, worker(), worker()]);
    const worst = [...results].reduce((a, b) => (b[1].worst > a[1].worst ? b : a));
    console.log(`latex compile: ${results.size} documents in ${((Date.now() - start) / 1000).toFixed(1)} s; worst overfull ${worst[1].worst} pt (${worst[0]})`);
  }, 1_800_000);

  for (const [name] of cases) {
    it(name, (ctx) => {
      const r = results.get(name)!;
      if (r.refused) ctx.skip(`nn2eq refuses the model: ${r.refused}`);
      const error = /^! .*$/m.exec(r.log)?.[0];
      expect(r.ok, `${error ?? 'pdflatex failed'} (${r.dir})`).toBe(true);
      expect(r.pdfBytes).toBeGreaterThan(0);
      expect(r.pages).toBeGreaterThan(0);
      expect(r.worst, `overfull \\hbox in ${r.dir}/doc.log`).toBeLessThanOrEqual(MAX_OVERFULL_PT);
    });
  }
});

if (skip && !inCI) describe.skip(`latex compile: ${skip}`, () => it('skipped', () => {}));
