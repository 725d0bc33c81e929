/// <reference lib="dom" />
// The page: files in, the worker's conversions out; KaTeX renders the LaTeX.
import katex from 'katex';
import { latexRows, wholeRows } from '../src/emit/latex/html.js';
import { PAGE_MAX_SIZE, type InFile, type PageOptions, type Reply, type Request } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fileInput = $<HTMLInputElement>('files');
const drop = $('drop');
const status = $('status');
const progress = $<HTMLProgressElement>('progress');
const stopButton = $<HTMLButtonElement>('stop');
const errorBox = $('error');
const warningsList = $('warnings');
const result = $('result');
const equations = $('equations');
const tabs = $('tabs');
const code = $('code');
const panelNote = $('panel-note');
const infoBox = $('info');
const notesList = $('notes');
const verifyButton = $<HTMLButtonElement>('verify');
const verdict = $('verdict');
const verifyReport = $('verify-report');
const diffButton = $<HTMLButtonElement>('diff');
const diffReport = $('diff-report');
const diffFormat = $<HTMLSelectElement>('diff-format');

/** One code tab: the CLI's text or its one-line error. */
interface Output {
  format: string;
  extension: string;
  text?: string;
  error?: string;
}

let worker: Worker | undefined;
let files: InFile[] = [];
let request = 0;
let started = 0;
let outputs: Output[] = [];
let selected = 'latex';
let modelName = 'model';
/** What the worker is doing for the page now. */
let pending: Request['kind'] = 'convert';
/** A request is running in the worker (body[data-state] mirrors it for tests and scripts). */
let busy = false;
/** Stop ended the worker that held the last conversion, which verify runs on. */
let stopped = false;

/** How long a conversion may run before the page stops its worker (a damaged file can loop forever). */
const WORKER_LIMIT_MS = 10 * 60_000;
let watchdog: ReturnType<typeof setTimeout> | undefined;

function newWorker(): Worker {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = (ev: MessageEvent<Reply>) => onReply(ev.data);
  w.onerror = (ev) => {
    ev.preventDefault();
    showError(`nn2eq: internal error: ${ev.message || 'the conversion worker stopped'}`);
    finish();
    worker?.terminate();
    worker = undefined;
  };
  return w;
}

/** A control's value that is not what its CLI option takes: the CLI's one line for it. */
class BadOption extends Error {}

function bad(flag: string, value: string, expected: string): never {
  throw new BadOption(`nn2eq: option '${flag}' argument '${value}' is invalid. ${expected}`);
}

function options(): PageOptions {
  const text = (id: string) => $<HTMLInputElement>(id).value.trim();
  const num = (id: string) => (text(id) === '' ? undefined : Number(text(id)));
  const names = (id: string) => (text(id) === '' ? undefined : text(id).split(',').map((s) => s.trim()));
  const checked = (id: string) => $<HTMLInputElement>(id).checked;
  const taylor = num('taylor');
  if (taylor !== undefined && !(Number.isInteger(taylor) && taylor >= 0 && taylor <= 12)) bad('--taylor <N>', text('taylor'), 'expected a whole number from 0 to 12');
  const prune = num('prune');
  if (prune !== undefined && !(Number.isFinite(prune) && prune > 0)) bad('--prune <eps>', text('prune'), 'expected a positive number');
  const at = text('at') === '' ? undefined : text('at').split(',').map((v) => Number(v.trim()));
  if (at?.some((x) => !Number.isFinite(x))) bad('--at <x0>', text('at'), 'expected comma-separated numbers, e.g. 0,0.5,-1');
  let range: [number, number] | undefined;
  if (text('range') !== '') {
    const m = /^\s*(-?[\d.eE+-]+)\s*:\s*(-?[\d.eE+-]+)\s*$/.exec(text('range'));
    range = m ? [Number(m[1]), Number(m[2])] : undefined;
    if (!range || !range.every(Number.isFinite) || !(range[0] < range[1])) bad('--range <lo:hi>', text('range'), 'expected LO:HI with LO < HI, e.g. -1:1');
  }
  let maxSize = PAGE_MAX_SIZE;
  if (text('max-size') !== '') {
    const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(text('max-size'));
    if (!m) bad('--max-size <bytes>', text('max-size'), 'expected a size such as 500000, 800kB or 20MB');
    maxSize = Math.round(Number(m[1]) * { b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9 }[(m[2] ?? 'b').toLowerCase()]!);
  }
  return {
    form: $<HTMLSelectElement>('form').value as PageOptions['form'],
    precision: num('precision'),
    maxMatrix: num('max-matrix'),
    inputNames: names('inputs'),
    outputNames: names('outputs'),
    fold: checked('fold'),
    maxSize,
    range,
    transforms: { jacobian: checked('jacobian') || undefined, taylor, at, prune, expand: checked('expand') || undefined },
  };
}

function showError(message: string | undefined): void {
  errorBox.hidden = message === undefined;
  errorBox.textContent = message ?? '';
}

function finish(): void {
  clearTimeout(watchdog);
  progress.hidden = stopButton.hidden = true;
  verifyButton.disabled = diffButton.disabled = false;
  busy = false;
  document.body.dataset.state = 'done';
}

/** Sends a request to the worker (a fresh one if none runs), with the progress bar and the watchdog. */
function send(r: Request, what: string): void {
  worker ??= newWorker();
  pending = r.kind;
  started = performance.now();
  progress.hidden = stopButton.hidden = false;
  progress.value = 0;
  status.textContent = what;
  verifyButton.disabled = diffButton.disabled = true;
  busy = true;
  document.body.dataset.state = 'busy';
  clearTimeout(watchdog);
  watchdog = setTimeout(() => {
    worker?.terminate();
    worker = undefined;
    showError(`nn2eq: the ${r.kind === 'convert' ? 'conversion' : r.kind} did not finish in ${WORKER_LIMIT_MS / 60000} minutes and was stopped; the file may be damaged or too large for the page`);
    finish();
  }, WORKER_LIMIT_MS);
  worker.postMessage(r);
}

/** Starts a conversion of the current files with the current options. */
function convert(): void {
  if (files.length === 0) {
    showError('nn2eq: no model file given; choose or drop a model.json with its shards, a .h5, .keras or .onnx file');
    return;
  }
  let opts: PageOptions;
  try {
    opts = options();
  } catch (e) {
    if (!(e instanceof BadOption)) throw e;
    showError(e.message);
    return;
  }
  // A conversion still running is abandoned: its worker goes, a fresh one starts.
  if (busy) {
    worker?.terminate();
    worker = undefined;
  }
  const id = ++request;
  outputs = [];
  showError(undefined);
  warningsList.replaceChildren();
  renderRun++;
  equations.replaceChildren();
  notesList.replaceChildren();
  notesList.hidden = true;
  tabs.replaceChildren();
  code.textContent = '';
  infoBox.textContent = '';
  verdict.textContent = '';
  verdict.className = '';
  verifyReport.hidden = true;
  result.hidden = true;
  stopped = false;
  send({ id, kind: 'convert', files, options: opts }, `Converting ${files.map((f) => f.name).join(', ')}…`);
}

function onReply(r: Reply): void {
  // The worker names the formats once, when it starts: the choices of diff's text.
  if (r.kind === 'formats') {
    if (diffFormat.options.length === 1) for (const f of r.formats) diffFormat.append(Object.assign(document.createElement('option'), { value: f, textContent: f }));
    return;
  }
  if (r.id !== request) return;
  switch (r.kind) {
    case 'model':
      modelName = r.file.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_') || 'model';
      break;
    case 'progress':
      progress.value = r.done / r.total;
      status.textContent = `Converting: ${r.what}…`;
      break;
    case 'error':
      if (pending === 'verify') showVerify(undefined, r.error);
      else if (pending === 'diff') showDiff(undefined, r.error);
      else showError(r.error);
      break;
    case 'verify':
      showVerify(r.ok, r.text);
      break;
    case 'diff':
      showDiff(r.equal, r.text);
      break;
    case 'format':
      onFormat(r);
      break;
    case 'info':
      infoBox.textContent = r.text;
      break;
    case 'done':
      if (pending === 'convert') status.textContent = outputs.some((o) => o.text !== undefined) ? `Converted in ${(r.ms / 1000).toFixed(2)} s.` : 'The model could not be converted.';
      else status.textContent = `${pending === 'verify' ? 'Verified' : 'Compared'} in ${(r.ms / 1000).toFixed(2)} s.`;
      finish();
      break;
  }
}

function onFormat(r: Extract<Reply, { kind: 'format' }>): void {
  const out: Output = { format: r.format, extension: r.extension, text: r.text, error: r.error };
  outputs.push(out);
  for (const w of r.warnings) {
    if ([...warningsList.children].some((li) => li.textContent === w)) continue;
    const li = document.createElement('li');
    li.textContent = w;
    warningsList.append(li);
  }
  if (r.format === 'latex') {
    if (r.text !== undefined) {
      showNotes(r.text);
      renderEquations(r.text);
      document.body.dataset.firstEquationMs = String(Math.round(performance.now() - started));
    }
  }
  // The equations and tabs show once some format converted; a model that fails shows its message only.
  if (r.text !== undefined) result.hidden = false;
  addTab(out);
}

/** The rendering of the equations under way: a new one (or a new conversion) stops the old. */
let renderRun = 0;

/**
 * KaTeX renders the LaTeX one whole row group at a time (one huge aligned block renders far
 * slower), in slices of about 50 ms: the first rows show at once, and a model of hundreds of rows
 * (MobileNetV2: 242) never holds the page for the whole of it.
 */
function renderEquations(tex: string): void {
  const run = ++renderRun;
  const rows = wholeRows(latexRows(tex));
  equations.replaceChildren();
  // data-complete marks the last slice (for tests and scripts).
  delete equations.dataset.complete;
  let at = 0;
  const slice = () => {
    if (run !== renderRun) return;
    const frag = document.createDocumentFragment();
    const until = performance.now() + 50;
    do {
      const div = document.createElement('div');
      div.className = 'equation';
      katex.render(`\\begin{aligned}${rows[at]}\\end{aligned}`, div, { displayMode: true, throwOnError: false, maxExpand: Infinity, strict: 'ignore', output: 'htmlAndMathml' });
      frag.append(div);
    } while (++at < rows.length && performance.now() < until);
    equations.append(frag);
    if (at < rows.length) setTimeout(slice, 0);
    else equations.dataset.complete = 'true';
  };
  if (rows.length > 0) slice();
}

/** The header notes of the transforms, folding and --form auto: the LaTeX text's % lines before its equations. */
function showNotes(tex: string): void {
  const notes: string[] = [];
  for (const line of tex.split('\n')) {
    if (!line.startsWith('% ')) break;
    notes.push(line.slice(2));
  }
  notesList.replaceChildren(...notes.map((n) => Object.assign(document.createElement('li'), { textContent: n })));
  notesList.hidden = notes.length === 0;
}

/** The verify report (the CLI's --verify text) and its verdict, or the one-line refusal. */
function showVerify(ok: boolean | undefined, text: string): void {
  verdict.textContent = ok === undefined ? 'not run' : ok ? 'PASS' : 'FAIL';
  verdict.className = ok === undefined ? '' : ok ? 'pass' : 'fail';
  verifyReport.textContent = text;
  verifyReport.classList.toggle('failed', ok === undefined);
  verifyReport.hidden = false;
}

/** The diff report, its lines marked: the text's added and removed lines, the changed layers and weights. */
function showDiff(equal: boolean | undefined, text: string): void {
  diffReport.classList.toggle('failed', equal === undefined);
  diffReport.hidden = false;
  if (equal === undefined) {
    diffReport.textContent = text;
    return;
  }
  const lines = text.replace(/\n$/, '').split('\n');
  diffReport.replaceChildren(
    ...lines.map((line, i) => {
      const span = document.createElement('span');
      span.textContent = `${line}${i < lines.length - 1 || text.endsWith('\n') ? '\n' : ''}`;
      if (/^\+(?!\+\+ )/.test(line)) span.className = 'add';
      else if (/^-(?!-- )/.test(line)) span.className = 'del';
      else if (line.startsWith('@@')) span.className = 'hunk';
      else if (/^ {2}layer |^ {4}\S.*: \d+ of \d+ changed|^ {4}configuration changed|^ {4}(removed|added|reshaped) /.test(line)) span.className = 'changed';
      return span;
    }),
  );
}

function addTab(out: Output): void {
  const tab = document.createElement('button');
  tab.type = 'button';
  tab.role = 'tab';
  tab.id = `tab-${out.format}`;
  tab.textContent = out.format;
  tab.dataset.format = out.format;
  tab.setAttribute('aria-controls', 'panel');
  if (out.error) tab.classList.add('failed');
  tab.addEventListener('click', () => select(out.format, false));
  tabs.append(tab);
  if (out.format === selected || tabs.children.length === 1) select(out.format, false);
  else {
    tab.setAttribute('aria-selected', 'false');
    tab.tabIndex = -1;
  }
}

function select(format: string, focus: boolean): void {
  const out = outputs.find((o) => o.format === format);
  if (!out) return;
  selected = format;
  for (const t of tabs.querySelectorAll<HTMLButtonElement>('[role=tab]')) {
    const on = t.dataset.format === format;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    if (on && focus) t.focus();
  }
  $('panel').setAttribute('aria-labelledby', `tab-${format}`);
  code.textContent = out.text ?? out.error ?? '';
  code.classList.toggle('failed', out.text === undefined);
  panelNote.textContent = out.text !== undefined ? `${fileName(out)}, ${new TextEncoder().encode(out.text).length} bytes` : '';
  $<HTMLButtonElement>('copy').disabled = $<HTMLButtonElement>('download').disabled = out.text === undefined;
}

function fileName(out: Output): string {
  return `${modelName}.${out.extension}`;
}

tabs.addEventListener('keydown', (ev) => {
  const list = [...tabs.querySelectorAll<HTMLButtonElement>('[role=tab]')];
  const i = list.findIndex((t) => t.dataset.format === selected);
  const to = ev.key === 'ArrowRight' ? i + 1 : ev.key === 'ArrowLeft' ? i - 1 : ev.key === 'Home' ? 0 : ev.key === 'End' ? list.length - 1 : undefined;
  if (to === undefined || list.length === 0) return;
  ev.preventDefault();
  select(list[(to + list.length) % list.length].dataset.format!, true);
});

$('copy').addEventListener('click', async () => {
  const out = outputs.find((o) => o.format === selected);
  if (out?.text === undefined) return;
  try {
    await navigator.clipboard.writeText(out.text);
    panelNote.textContent = `${fileName(out)}: copied`;
  } catch {
    // Without clipboard permission, select the text so the keyboard can copy it.
    getSelection()?.selectAllChildren(code);
    panelNote.textContent = 'press Ctrl+C to copy the selected text';
  }
});

$('download').addEventListener('click', () => {
  const out = outputs.find((o) => o.format === selected);
  if (out?.text === undefined) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([out.text], { type: 'text/plain;charset=utf-8' }));
  a.download = fileName(out);
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

async function takeFiles(list: FileList | readonly File[]): Promise<void> {
  const arr = [...list];
  if (arr.length === 0) return;
  try {
    files = await readFiles(arr);
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  convert();
}

/** The bytes of picked files; a file the browser cannot hold in memory is refused in one line. */
function readFiles(list: readonly File[]): Promise<InFile[]> {
  return Promise.all(
    list.map(async (f) => {
      try {
        return { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
      } catch (e) {
        throw new Error(`nn2eq: ${f.name}: the browser cannot read this file into memory (${f.size} bytes: ${(e as Error).message}); hint: convert it with the CLI: nn2eq ${f.name}`);
      }
    }),
  );
}

fileInput.addEventListener('change', () => {
  void takeFiles(fileInput.files ?? []);
  fileInput.value = '';
});
for (const kind of ['dragenter', 'dragover'] as const) {
  document.addEventListener(kind, (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
}
document.addEventListener('dragleave', () => drop.classList.remove('over'));
document.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  // Files dropped on the old or the new model's picker are that side of the comparison.
  const side = ev.target instanceof Element ? ev.target.closest('#diff-controls label')?.querySelector<HTMLInputElement>('input[type=file]') : null;
  if (side && ev.dataTransfer && ev.dataTransfer.files.length > 0) {
    side.files = ev.dataTransfer.files;
    return;
  }
  void takeFiles(ev.dataTransfer?.files ?? []);
});
// Stop: the worker goes (a fresh one starts with the next request); the tabs already filled stay.
stopButton.addEventListener('click', () => {
  if (!busy) return;
  worker?.terminate();
  worker = undefined;
  const what = pending === 'convert' ? 'conversion' : pending;
  const kept = pending === 'convert' ? outputs.filter((o) => o.text !== undefined).map((o) => o.format) : [];
  stopped = true;
  status.textContent = `Stopped the ${what}${kept.length ? `; converted: ${kept.join(', ')}` : ''}.`;
  if (pending === 'verify') showVerify(undefined, 'nn2eq: verify stopped');
  finish();
});

verifyButton.addEventListener('click', () => {
  if (busy || outputs.length === 0) return;
  if (stopped) return showVerify(undefined, 'nn2eq: Stop ended the worker that held the conversion verify runs on; hint: press Convert, then Verify');
  send({ id: ++request, kind: 'verify' }, 'Verifying the js text…');
});

diffButton.addEventListener('click', async () => {
  if (busy) return;
  let old: InFile[];
  let now: InFile[];
  try {
    [old, now] = [await readFiles([...($<HTMLInputElement>('old-files').files ?? [])]), await readFiles([...($<HTMLInputElement>('new-files').files ?? [])])];
  } catch (e) {
    showDiff(undefined, (e as Error).message);
    return;
  }
  send({ id: ++request, kind: 'diff', old, new: now, format: diffFormat.value || undefined }, 'Comparing the two models…');
});

$('controls').addEventListener('submit', (ev) => {
  ev.preventDefault();
  convert();
});

/**
 * ?model=<relative URL> (may repeat) opens a model served beside the page; the files a model.json
 * or an architecture JSON names (shards, weights) are fetched from beside it.
 */
async function openFromUrl(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const urls = params.getAll('model');
  if (urls.length === 0) return;
  status.textContent = `Fetching ${urls.join(', ')}…`;
  const got: InFile[] = [];
  const fetchOne = async (url: URL): Promise<Uint8Array> => {
    if (url.origin !== location.origin) throw new Error(`${url.href} is on another origin; the page opens only models served beside it`);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  try {
    for (const u of urls) {
      const url = new URL(u, location.href);
      const bytes = await fetchOne(url);
      const name = decodeURIComponent(url.pathname.split('/').pop() || 'model');
      got.push({ name, bytes });
      for (const extra of namedFiles(name, bytes, params.getAll('weights'))) {
        try {
          got.push({ name: extra, bytes: await fetchOne(new URL(extra, url)) });
        } catch {
          // A missing shard is the loader's to name, in the CLI's words.
        }
      }
    }
  } catch (e) {
    showError(`nn2eq: ${(e as Error).message}`);
    status.textContent = '';
    return;
  }
  files = got;
  convert();
}

/** The files a model.json's weightsManifest names, and ?weights= for an architecture JSON. */
function namedFiles(name: string, bytes: Uint8Array, weights: readonly string[]): string[] {
  if (!/\.json$/i.test(name)) return [];
  try {
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { weightsManifest?: { paths?: unknown[] }[] };
    const paths = (doc.weightsManifest ?? []).flatMap((g) => g.paths ?? []).filter((p): p is string => typeof p === 'string');
    // Only plain relative names: the shards lie beside model.json, as the loader requires.
    return [...paths, ...weights].filter((p) => !p.includes('..') && !p.startsWith('/') && !/^[a-z]+:/i.test(p));
  } catch {
    return [];
  }
}

document.body.dataset.state = 'idle';
worker = newWorker();
void openFromUrl();
