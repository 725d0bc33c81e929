/// <reference lib="webworker" />
// The page's conversion worker: the library's own loaders and converter, files served from memory.
import { convertFile } from '../src/convert.js';
import { EMITTERS, FORMATS } from '../src/emit/index.js';
import { Nn2eqError } from '../src/errors.js';
import { info, infoText } from '../src/commands/info.js';
import { mountFiles } from '../src/load/files.browser.js';
import { preloadPackages } from '../src/emit/require.browser.js';
import type { InFile, Reply, Request } from './protocol.js';

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

self.onmessage = async (ev: MessageEvent<Request>) => {
  const { id, files, options } = ev.data;
  const t0 = performance.now();
  if (files.length === 0) return post({ id, kind: 'error', error: 'nn2eq: no model file given; drop a model.json with its shards, a .h5, .keras or .onnx file' });
  mountFiles(files.map((f) => [f.name, f.bytes] as const));
  const { model, weights } = pickModel(files);
  post({ id, kind: 'model', file: model, weights });
  // LaTeX first: the equations are what the page shows first.
  const order = ['latex', ...FORMATS.filter((f) => f !== 'latex')];
  let failed = false;
  for (const [i, format] of order.entries()) {
    post({ id, kind: 'progress', what: format, done: i, total: order.length + 1 });
    const t = performance.now();
    try {
      await preloadPackages(format);
      const c = await convertFile(model, {
        format: format as (typeof FORMATS)[number],
        weights,
        form: options.form,
        precision: options.precision,
        inputNames: options.inputNames,
        outputNames: options.outputNames,
        maxMatrix: options.maxMatrix,
        progress: (what, done, total) => post({ id, kind: 'progress', what: `${format}: ${what}`, done: i + (total ? done / total : 0), total: order.length + 1 }),
      });
      post({ id, kind: 'format', format, extension: EMITTERS[format as (typeof FORMATS)[number]].extension, text: c.text, warnings: c.warnings.map((w) => `nn2eq: warning: ${c.model.file}: ${w}`), ms: performance.now() - t });
    } catch (e) {
      post({ id, kind: 'format', format, extension: EMITTERS[format as (typeof FORMATS)[number]].extension, error: oneLine(e), warnings: [], ms: performance.now() - t });
      // A model that does not load fails alike in every format: say it once.
      if (i === 0 && !(e instanceof Nn2eqError && e.kind === 'too-large')) {
        failed = true;
        post({ id, kind: 'error', error: oneLine(e) });
        break;
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
};
