import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, inject, it } from 'vitest';
import { C_FLAGS, cCompiler, cInput, cMain, parseCNumbers, SYMPY_DRIVER, sympyAnswers } from '../src/verify/extra-runtimes.js';
import { parseNumbers } from '../src/verify/runtimes.js';
import { loadModel } from '../src/index.js';
import { loadTf, oracleModel } from '../src/verify/oracle.js';
import { WOLFRAM_SYMPY_DRIVER } from '../src/verify/wolfram_sympy.js';
import { probePython, runScript } from './pyserver.js';

export { runScript } from './pyserver.js';

declare module 'vitest' {
  export interface ProvidedContext {
    python: { exe: string; skip: string | null };
  }
}

export const ROOT = resolve(__dirname, '..');
export const FIXTURES = join(ROOT, 'fixtures');
/** Real models from other projects, copied into the repository with their licenses (test/models/INDEX.md). */
export const SHARED = join(ROOT, 'test', 'models');

/** Conversion options a fixture needs: its time axis is None, so it is unrolled over the reference's steps. */
export const FIXTURE_OPTIONS: Record<string, { timesteps?: number }> = { rnn_timesteps_none: { timesteps: 4 } };

/** Fixture folder names, sorted. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'model.json'))).sort();
}

export interface Reference {
  input_shapes: number[][];
  output_shapes: number[][];
  cases: { inputs: unknown[]; outputs: unknown[] }[];
}

export function readReference(dir: string): Reference {
  return JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
}

export function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

/**
 * atol + rtol·|want| for every value; returns the first mismatch or null. A NaN never matches (not
 * even a NaN), an infinity only the same infinity.
 */
export function mismatch(got: number[], want: number[], atol = 1e-5, rtol = 1e-5): string | null {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    if (!Number.isFinite(got[i]) || !Number.isFinite(want[i])) {
      if (got[i] === want[i] && !Number.isNaN(got[i])) continue;
      return `value ${i}: got ${got[i]}, want ${want[i]} (not finite)`;
    }
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) return `value ${i}: got ${got[i]}, want ${want[i]}`;
  }
  return null;
}

const TMP = mkdtempSync(join(tmpdir(), 'nn2eq-test-'));
let counter = 0;
export function tmpFile(ext: string, text: string): string {
  const p = join(TMP, `f${process.pid}-${counter++}.${ext}`);
  writeFileSync(p, text);
  return p;
}
export function tmpDir(): string {
  const d = join(TMP, `d${counter++}`);
  mkdirSync(d);
  return d;
}

/** Imports an emitted ES module and runs predict on every case. */
export async function runJs(text: string, cases: unknown[][]): Promise<number[][]> {
  const mod = (await import(pathToFileURL(tmpFile('mjs', text)).href)) as { predict: (...a: unknown[]) => unknown; PARAMS?: unknown };
  // --weights symbolic: predict(PARAMS, …) must equal the numeric form.
  const lead = mod.PARAMS === undefined ? [] : [mod.PARAMS];
  return cases.map((inputs) => flat(mod.predict(...lead, ...inputs)));
}

/**
 * Debian's python3 with numpy and sympy (the interpreter on PATH may be another one). `skip` says
 * why tests that need it cannot run; under CI=true those tests fail instead of skipping. Probed once
 * per run by test/global-setup.ts (importing sympy takes a while), else here.
 */
export const python: { exe: string; skip: string | null } = inject('python') ?? probePython();

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Runs a helper script without blocking the test worker (SymPy can take a while on big models). */
async function runPython(script: string, file: string, input: unknown): Promise<number[][]> {
  const r = await runScript(python.exe, { script }, [file], JSON.stringify(input));
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr || `exit status ${r.status}`}`);
  return parseNumbers(r.stdout);
}

/** Runs emitted NumPy source on all cases as one batch. */
export function runNumpy(text: string, cases: unknown[][]): Promise<number[][]> {
  return runPython(join(ROOT, 'test', 'py', 'run_numpy.py'), tmpFile('py', text), cases);
}

/** What test/py/run_wolfram_tensor.py answers for one text: each case's flat outputs (null where not finite), or its error. */
export type WolframAnswer = (number | null)[][] | { error: string };

/** Evaluates many Wolfram tensor-form texts in one python3 process (test/py/run_wolfram_tensor.py --batch). */
export async function runWolframTensor(jobs: { text: string; cases: unknown[][] }[]): Promise<WolframAnswer[]> {
  const input = jobs.map((j) => [tmpFile('wl', j.text), j.cases]);
  const r = await runScript(python.exe, { script: join(ROOT, 'test', 'py', 'run_wolfram_tensor.py') }, ['--batch'], JSON.stringify(input));
  if (r.status !== 0) throw new Error(`run_wolfram_tensor.py failed: ${r.stderr || `exit status ${r.status}`}`);
  return JSON.parse(r.stdout) as WolframAnswer[];
}

let wolframDriver: string | undefined;

/** Evaluates emitted Wolfram text through SymPy's parser (the driver --verify uses); cases are flattened scalar inputs. */
export function runWolfram(text: string, cases: unknown[][]): Promise<number[][]> {
  wolframDriver ??= tmpFile('py', WOLFRAM_SYMPY_DRIVER);
  return runPython(wolframDriver, tmpFile('wl', text), cases.map((c) => flat(c)));
}

/**
 * A fixture as TF.js runs it (the oracle of the derivative tests): the tf module, the model, the
 * inputs of one case as batch-of-one tensors, and the number of flattened outputs; null when TF.js
 * cannot run the model.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function tfFixture(name: string, inputs: unknown[]): Promise<{ tf: any; model: any; xs: any[]; outCount: number } | null> {
  const tf = await loadTf();
  let model;
  try {
    model = await oracleModel(await loadModel(join(FIXTURES, name, 'model.json')));
  } catch {
    return null;
  }
  const xs = inputs.map((x) => tf.tensor([x]));
  const outCount = tf.tidy(() => {
    const y = model.apply(xs.length === 1 ? xs[0] : xs);
    return (Array.isArray(y) ? y : [y]).reduce((n: number, t: { size: number }) => n + t.size, 0);
  });
  return { tf, model, xs, outCount };
}

/** ∂y_i/∂θ for every trainable weight of the TF.js model, by tf.variableGrads (float32), keyed by the weight's values. */
export async function tfWeightGradients(name: string, inputs: unknown[]): Promise<{ values: Float32Array; grads: number[][] }[] | null> {
  const fx = await tfFixture(name, inputs);
  if (!fx) return null;
  const { tf, model, xs, outCount } = fx;
  const vars = model.trainableWeights.map((w: { read: () => unknown }) => w.read());
  const result = model.trainableWeights.map((w: { read: () => { dataSync: () => Float32Array } }) => ({ values: Float32Array.from(w.read().dataSync()), grads: [] as number[][] }));
  for (let i = 0; i < outCount; i++) {
    const { grads } = tf.variableGrads(() => {
      const y = model.apply(xs.length === 1 ? xs[0] : xs, { training: false });
      const flatY = tf.concat((Array.isArray(y) ? y : [y]).map((t: { reshape: (s: number[]) => unknown }) => t.reshape([-1])));
      return flatY.slice([i], [1]).sum();
    }, vars);
    vars.forEach((v: { name: string }, k: number) => result[k].grads.push(Array.from((grads[v.name] as { dataSync: () => Float32Array }).dataSync())));
  }
  return result;
}

/** The C compiler (NN2EQ_CC, else gcc), or null; `ccSkip` says why tests that need it cannot run. */
export const cc = cCompiler();
export const ccSkip = cc ? null : 'gcc not found; apt-get install -y gcc';

/** A test that needs gcc: skipped with a visible reason without it, failed under CI. */
export function withCC(name: string, fn: () => Promise<void> | void, timeout?: number): void {
  if (!ccSkip) it(name, fn, timeout);
  else if (inCI) it(name, () => expect.fail(ccSkip));
  else it.skip(`${name} [needs gcc]`, fn);
}

/** Runs `jobs` with at most `limit` at a time (the machine is shared; gcc is the slow part). */
export async function pool<R>(jobs: (() => Promise<R>)[], limit: number): Promise<R[]> {
  const out: R[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

function exec(exe: string, args: string[], stdin: string, cwd?: string): Promise<string> {
  return new Promise<string>((resolvePromise, reject) => {
    const child = execFile(exe, args, { encoding: 'utf8', maxBuffer: 1 << 26, cwd }, (err, stdout, errText) => (err ? reject(new Error(errText || err.message)) : resolvePromise(stdout)));
    child.stdin!.end(stdin);
  });
}

/** The reading main() (src/verify/extra-runtimes.ts cMain) compiled once per test file with the same flags, per kind (numeric, --weights symbolic). */
const mainObjects = new Map<string, Promise<string>>();
function mainObject(text: string): Promise<string> {
  const main = cMain(text);
  let object = mainObjects.get(main);
  if (!object) {
    const dir = tmpDir();
    writeFileSync(join(dir, 'main.c'), main);
    object = exec(cc!, [...C_FLAGS, '-c', 'main.c', '-o', 'main.o'], '', dir).then(() => join(dir, 'main.o'));
    mainObjects.set(main, object);
  }
  return object;
}

/** Compiles C text of either form with gcc -std=c99 -Wall -Werror -O1 (or `flags`; predict(PARAMS, x, y) when it takes params) and runs it on rows of flattened inputs; `m` outputs a row. */
export async function runCRows(text: string, rows: readonly ArrayLike<number>[], m: number, flags: readonly string[] = C_FLAGS): Promise<number[][]> {
  const dir = tmpDir();
  writeFileSync(join(dir, 'model.c'), text);
  await exec(cc!, [...flags, 'model.c', await mainObject(text), '-lm', '-o', 'predict'], '', dir);
  return parseCNumbers(await exec(join(dir, 'predict'), [String(rows[0].length), String(m)], cInput(rows)), m);
}

/** Checks rows of outputs (or the error that stopped them) against a fixture's reference.json, case by case (atol 1e-5 + rtol 1e-4). */
export function expectReferenceRows(got: number[][] | Error | undefined, name: string): void {
  if (got instanceof Error) throw got;
  const want = readReference(join(FIXTURES, name)).cases.map((c) => flat(c.outputs));
  expect(got!.length).toBe(want.length);
  got!.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `case ${i}`).toBeNull());
}

/** One module for runSympyBatch: its text, its rows of flattened inputs, and its input shapes. */
export interface SympyJob {
  readonly name: string;
  readonly text: string;
  readonly rows: number[][];
  readonly shapes: number[][];
}

/**
 * Runs SymPy modules with the driver --verify uses (src/verify/extra-runtimes.ts SYMPY_DRIVER), as
 * runSympyFiles does, in this file's python3 servers: per file its rows of outputs, or the error.
 */
export async function runSympy(exe: string, files: string[], rows: number[][][], shapes: (readonly (readonly number[])[] | null)[] = files.map(() => null)): Promise<(number[][] | Error)[]> {
  const r = await runScript(exe, { code: SYMPY_DRIVER }, files, JSON.stringify({ rows, shapes }));
  if (r.status !== 0) throw new Error(r.stderr || `exit status ${r.status}`);
  return sympyAnswers(r.stdout);
}

/** Runs SymPy tensor-form modules in this file's python3 servers, one module a job: per job's name, its rows of outputs or the error. */
export async function runSympyBatch(exe: string, jobs: readonly SympyJob[]): Promise<Map<string, number[][] | Error>> {
  const out = await Promise.all(jobs.map((j) => runSympy(exe, [tmpFile('py', j.text)], [j.rows], [j.shapes]).then(([r]) => r, (e: Error) => e)));
  return new Map(jobs.map((j, i) => [j.name, out[i]]));
}

/** Python a driver starts with: modules() loads each module named in argv[1:] and yields it with its rows from the JSON list on stdin. */
export const PY_MODULES = `
import importlib.util, json, sys

def modules():
    for file, rows in zip(sys.argv[1:], json.load(sys.stdin)):
        spec = importlib.util.spec_from_file_location("model", file)
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        yield m, rows
`;

/** Runs a python driver (PY_MODULES + code) on modules with their rows; returns what it prints, parsed as JSON. */
export async function runPyDriver<T>(exe: string, code: string, texts: readonly string[], rows: readonly number[][][]): Promise<T> {
  const files = texts.map((t) => tmpFile('py', t));
  const r = await runScript(exe, { code: PY_MODULES + code }, files, JSON.stringify(rows));
  if (r.status !== 0) throw new Error(r.stderr || `exit status ${r.status}`);
  return JSON.parse(r.stdout) as T;
}

/** The outputs of a fixture's reference cases, flattened. */
export function referenceOutputs(name: string): number[][] {
  return readReference(join(FIXTURES, name)).cases.map((c) => flat(c.outputs));
}

/**
 * pdflatex on a --standalone document (A4): the first error line (null when it compiles) and the
 * widest overfull line in pt (0 when none); `dir` keeps the log.
 */
export async function compileStandalone(text: string): Promise<{ error: string | null; overfull: number; dir: string }> {
  const dir = tmpDir();
  writeFileSync(join(dir, 'doc.tex'), text);
  const ok = await new Promise<boolean>((done) => execFile('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: dir, maxBuffer: 1 << 26 }, (err) => done(!err)));
  const log = readFileSync(join(dir, 'doc.log'), 'latin1');
  const widths = [...log.matchAll(/Overfull \\hbox \(([\d.]+)pt too wide\)/g)].map((m) => Number(m[1]));
  return { error: ok ? null : /^! .*$/m.exec(log)?.[0] ?? 'pdflatex failed', overfull: Math.max(0, ...widths), dir };
}
