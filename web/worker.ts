/// <reference lib="webworker" />
// The page's conversion worker: the library's own loaders and converter, files served from memory.
import { convertFile, type Converted } from '../src/convert.js';
import { EMITTERS, FORMATS, type Format } from '../src/emit/index.js';
import { Nn2eqError } from '../src/errors.js';
import { info, infoText } from '../src/commands/info.js';
import { onnxSource } from '../src/extract/onnx/source.js';
import type { ModelSpec } from '../src/load/index.js';
import { mountFiles } from '../src/load/files.browser.js';
import { preloadPackages } from '../src/emit/latex/require.browser.js';
import type { TransformOptions } from '../src/transform/options.js';
import type { InFile, PageOptions, Reply, Request } from './protocol.js';

const post = (r: Reply) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(r);

/** The CLI's one line for an error: `nn2eq: message; hint: hint`. */
function oneLine(e: unknown): string {
  if (e instanceof Nn2eqError) return `nn2eq: ${e.message}${e.hint ? `; hint: ${e.hint}` : ''}`;
  return `nn2eq: internal error: ${(e as Error)?.message ?? String(e)}`;
}

/** Which dropped file is the model, and which the weights of a Keras architecture JSON. */
export function pickModel(files: readonly InFile[]): { model: string; weights?: string } {
  const by = (re: RegExp) => files.filter((f) => re.test(f.name));
  const jsons = by(/\.json$/i);
  const h5 = by(/\.(h5|hdf5)$/i);
  for (const f of jsons) {
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(f.bytes));
    } catch {
      continue;
    }
    if (doc && typeof doc === 'object' && ('modelTopology' in doc || 'weightsManifest' in doc)) return { model: f.name };
    if (doc && typeof doc === 'object' && 'class_name' in doc && h5.length === 1) return { model: f.name, weights: h5[0].name };
  }
  const single = by(/\.(onnx|keras|h5|hdf5)$/i)[0] ?? jsons[0] ?? files[0];
  return { model: single.name };
}

/** The page's transforms as the CLI's TransformOptions (--range is shared with verify). */
function transformsOf(o: PageOptions): TransformOptions {
  const t = o.transforms;
  return { jacobian: t.jacobian, taylor: t.taylor, at: t.at, prune: t.prune, expand: t.expand, range: o.range };
}

/** The last conversion: its files and options, and the JS text with what verify needs of it. */
let last: { files: readonly InFile[]; options: PageOptions; js?: Converted & { model: ModelSpec }; jsError?: string } | undefined;

async function convert(id: number, files: readonly InFile[], options: PageOptions): Promise<void> {
  const t0 = performance.now();
  if (files.length === 0) return post({ id, kind: 'error', error: 'nn2eq: no model file given; drop a model.json with its shards, a .h5, .keras or .onnx file' });
  mountFiles(files.map((f) => [f.name, f.bytes] as const));
  last = { files, options };
  const { model, weights } = pickModel(files);
  post({ id, kind: 'model', file: model, weights });
  // LaTeX first: the equations are what the page shows first.
  const order = ['latex', ...FORMATS.filter((f) => f !== 'latex')] as Format[];
  let failed = false;
  for (const [i, format] of order.entries()) {
    post({ id, kind: 'progress', what: format, done: i, total: order.length + 1 });
    const t = performance.now();
    try {
      await preloadPackages(format);
      const c = await convertFile(model, {
        format,
        weights,
        form: options.form,
        fold: options.fold,
        maxSize: options.maxSize,
        precision: options.precision,
        inputNames: options.inputNames,
        outputNames: options.outputNames,
        maxMatrix: options.maxMatrix,
        transforms: transformsOf(options),
        progress: (what, done, total) => post({ id, kind: 'progress', what: `${format}: ${what}`, done: i + (total ? done / total : 0), total: order.length + 1 }),
      });
      if (format === 'js') last.js = c;
      post({ id, kind: 'format', format, extension: EMITTERS[format].extension, text: c.text, warnings: c.warnings.map((w) => `nn2eq: warning: ${c.model.file}: ${w}`), ms: performance.now() - t });
    } catch (e) {
      if (format === 'js') last.jsError = oneLine(e);
      post({ id, kind: 'format', format, extension: EMITTERS[format].extension, error: oneLine(e), warnings: [], ms: performance.now() - t });
      if (i === 0) {
        // The equations' refusal is the page's message; a model past a size limit may still have
        // other formats, a model that does not load fails alike in every format: say it once.
        post({ id, kind: 'error', error: oneLine(e) });
        if (!(e instanceof Nn2eqError && e.kind === 'too-large')) {
          failed = true;
          break;
        }
      }
    }
  }
  if (!failed) {
    post({ id, kind: 'progress', what: 'info', done: order.length, total: order.length + 1 });
    try {
      post({ id, kind: 'info', text: infoText(await info(model, { weights })) });
    } catch (e) {
      post({ id, kind: 'info', text: oneLine(e) });
    }
  }
  post({ id, kind: 'done', ms: performance.now() - t0 });
}

/** `nn2eq MODEL -f js --verify` on the last conversion: TF.js or ONNX Runtime, imported now, against the JS text run in the page. */
async function verifyLast(id: number): Promise<void> {
  const t0 = performance.now();
  try {
    if (!last) throw new Nn2eqError('nothing to verify', 'usage', 'convert a model first');
    // The js tab's own refusal is the answer.
    if (!last.js) throw new Nn2eqError((last.jsError ?? 'the js text was not written').replace(/^nn2eq: /, ''), 'usage');
    const t = last.options.transforms;
    // The CLI's refusal (src/cli/transform.ts), whose parser the page does not load.
    if (t.jacobian || t.taylor !== undefined) throw new Nn2eqError("--verify compares with the model's predictions, which --jacobian, --gradient, --taylor and --fit replace", 'usage', 'drop --verify; these transforms state their own error in the output header');
    mountFiles(last.files.map((f) => [f.name, f.bytes] as const));
    const { model, text, extracted, program, form } = last.js;
    post({ id, kind: 'progress', what: `verify: loading ${onnxSource(model) ? 'ONNX Runtime' : 'TensorFlow.js'}`, done: 0, total: 2 });
    if (onnxSource(model)) {
      // Its WebAssembly from the page's own folder (scripts/build-web.mjs copies it there).
      const ort = await import('onnxruntime-web');
      ort.env.wasm.wasmPaths = { wasm: new URL('ort/ort-wasm-simd-threaded.wasm', self.location.href).href };
    }
    const { verify, reportText } = await import('../src/verify/index.js');
    post({ id, kind: 'progress', what: 'verify: running the js text and the reference', done: 1, total: 2 });
    const report = await verify(model, text, { format: 'js', range: last.options.range, precision: last.options.precision, extracted, program, form });
    post({ id, kind: 'verify', ok: report.ok, text: reportText(report) });
  } catch (e) {
    post({ id, kind: 'error', error: oneLine(e) });
  }
  post({ id, kind: 'done', ms: performance.now() - t0 });
}

/** `nn2eq diff old/MODEL new/MODEL [-f format]`. */
async function diffModels(id: number, old: readonly InFile[], now: readonly InFile[], format: string | undefined): Promise<void> {
  const t0 = performance.now();
  try {
    if (old.length === 0 || now.length === 0) throw new Nn2eqError('diff needs two models', 'usage', 'choose the old model\'s files and the new model\'s files');
    mountFiles([...old.map((f) => [`old/${f.name}`, f.bytes] as const), ...now.map((f) => [`new/${f.name}`, f.bytes] as const)]);
    post({ id, kind: 'progress', what: 'diff', done: 0, total: 1 });
    if (format) await preloadPackages(format);
    const { diffFiles, diffText } = await import('../src/commands/diff.js');
    const r = await diffFiles(`old/${pickModel(old).model}`, `new/${pickModel(now).model}`, { format: format as Format | undefined });
    post({ id, kind: 'diff', equal: r.equal, text: diffText(r) });
  } catch (e) {
    post({ id, kind: 'error', error: oneLine(e) });
  }
  post({ id, kind: 'done', ms: performance.now() - t0 });
}

post({ id: 0, kind: 'formats', formats: FORMATS });

self.onmessage = async (ev: MessageEvent<Request>) => {
  const r = ev.data;
  if (r.kind === 'convert') await convert(r.id, r.files, r.options);
  else if (r.kind === 'verify') await verifyLast(r.id);
  else await diffModels(r.id, r.old, r.new, r.format);
};
