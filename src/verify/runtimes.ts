import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Port } from '../extract/index.js';
import { runPythonCode } from './python.js';
import { WOLFRAM_SYMPY_DRIVER } from './wolfram_sympy.js';
import { flatten, nested, parseNumbers, type RunResult } from './points.js';

/**
 * Runs emitted text in its own runtime on a batch of points: the JS module in this process,
 * NumPy source in python3, Wolfram text in wolframscript, LaTeX through KaTeX. A runtime that is
 * not installed gives a reason instead of values.
 */
export type { RunResult } from './points.js';
export { parseNumbers } from './points.js';

const probed = new Map<string, { error?: Error; status: number | null }>();

/**
 * Runs `exe args` to see whether a runtime is there, once per process: the answer does not change
 * during a run, and importing SymPy to ask takes a while (a test run verifies hundreds of texts).
 */
export function probe(exe: string, args: readonly string[]): { error?: Error; status: number | null } {
  const key = JSON.stringify([exe, ...args]);
  let r = probed.get(key);
  if (!r) {
    const p = spawnSync(exe, args, { encoding: 'utf8' });
    r = { error: p.error, status: p.status };
    probed.set(key, r);
  }
  return r;
}

function scratch(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nn2eq-verify-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function runJs(text: string, inputs: readonly Port[], points: readonly Float64Array[]): Promise<RunResult> {
  const s = scratch();
  try {
    const file = join(s.dir, 'model.mjs');
    writeFileSync(file, text);
    const mod = (await import(pathToFileURL(file).href)) as { predict: (...a: unknown[]) => unknown; PARAMS?: unknown };
    // --weights symbolic: predict(params, …) with the trained values the module exports.
    const lead = mod.PARAMS === undefined ? [] : [mod.PARAMS];
    return { values: points.map((p) => flatten(mod.predict(...lead, ...nested(p, inputs)))) };
  } finally {
    s.done();
  }
}

const NUMPY_DRIVER = `
import importlib.util, json, sys
import numpy as np
spec = importlib.util.spec_from_file_location("model", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
data = json.load(sys.stdin)
lead = [m.PARAMS] if hasattr(m, 'PARAMS') else []  # --weights symbolic: predict(params, ...)
out = m.predict(*lead, *[np.asarray(a, dtype=np.float64) for a in data])
outs = out if isinstance(out, list) else [out]
n = len(data[0])
print(json.dumps(np.concatenate([np.asarray(o, dtype=np.float64).reshape(n, -1) for o in outs], axis=1).tolist()))
`;

/** The python3 to use: NN2EQ_PYTHON, else python3 on PATH. */
function pythonExe(): string {
  return process.env.NN2EQ_PYTHON || 'python3';
}

export async function runNumpy(text: string, inputs: readonly Port[], points: readonly Float64Array[]): Promise<RunResult> {
  const exe = pythonExe();
  const found = probe(exe, ['-c', 'import numpy']);
  if (found.error) return { skipped: `${exe} not found` };
  if (found.status !== 0) return { skipped: `${exe} has no numpy (set NN2EQ_PYTHON to a python3 with numpy)` };
  const s = scratch();
  try {
    const file = join(s.dir, 'model.py');
    writeFileSync(file, text);
    const batch = inputs.map((_, i) => points.map((p) => nested(p, inputs)[i]));
    const out = await runPythonCode(exe, NUMPY_DRIVER, [file], JSON.stringify(batch));
    return { values: parseNumbers(out) };
  } finally {
    s.done();
  }
}

export async function runWolfram(text: string, inputs: readonly Port[], points: readonly Float64Array[]): Promise<RunResult> {
  if (probe('wolframscript', ['-version']).error) return runWolframSympy(text, points);
  const s = scratch();
  try {
    const file = join(s.dir, 'model.wl');
    writeFileSync(file, text);
    const args = points.map((p) => `{${Array.from(p, (v) => (Number.isInteger(v) ? String(v) : v.toExponential(17).replace('e', '*^'))).join(', ')}}`);
    const code = `f = Get["${file}"]; Print[ExportString[N[Flatten /@ (Apply[f, #] & /@ {${args.join(', ')}})], "RawJSON"]]`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile('wolframscript', ['-code', code], { encoding: 'utf8', maxBuffer: 1 << 30 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
    });
    return { values: parseNumbers(out) };
  } finally {
    s.done();
  }
}

/** Without wolframscript: SymPy's Mathematica parser and a FullForm interpreter, when python3 has sympy. */
async function runWolframSympy(text: string, points: readonly Float64Array[]): Promise<RunResult> {
  const exe = pythonExe();
  const found = probe(exe, ['-c', 'import sympy.parsing.mathematica']);
  if (found.error || found.status !== 0) return { skipped: `wolframscript is not installed, and ${exe} has no sympy for the parser route` };
  const s = scratch();
  try {
    const file = join(s.dir, 'model.wl');
    writeFileSync(file, text);
    const out = await runPythonCode(exe, WOLFRAM_SYMPY_DRIVER, [file], JSON.stringify(points.map((p) => Array.from(p))));
    return { values: parseNumbers(out) };
  } finally {
    s.done();
  }
}

export async function checkLatex(text: string): Promise<RunResult> {
  const katex = (await import('katex')).default as unknown as {
    renderToString(t: string, o: object): string;
    __parse(t: string, o: object): unknown;
  };
  // A --standalone document holds its rows in several align* blocks: check them all as one.
  const blocks = [...text.matchAll(/\\begin\{align\*\}([^]*?)\\end\{align\*\}/g)].map((m) => m[1].trim());
  const tex = text.includes('\\begin{document}') ? `\\begin{aligned}${blocks.join(' \\\\\n')}\\end{aligned}` : text;
  // Every continuation row's \quad is a macro: a large model passes KaTeX's default of 1000 expansions.
  const options = { throwOnError: true, displayMode: true, maxExpand: Infinity };
  try {
    // Building HTML for megabytes of equations takes KaTeX minutes; past 200 kB its parser checks the syntax.
    if (tex.length > 200_000) katex.__parse(tex, options);
    else katex.renderToString(tex, options);
    return { valid: true };
  } catch (e) {
    return { invalid: String((e as Error).message ?? e).split('\n')[0] };
  }
}
