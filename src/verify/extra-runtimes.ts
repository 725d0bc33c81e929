import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Port } from '../extract/index.js';
import { runPythonCode } from './python.js';
import { probe, type RunResult } from './runtimes.js';
import { erf as erfFloat64 } from '../ir/special.js';
import type { Equation, TensorProgram } from '../tensor/program.js';

/** Runs the emitted text of one of this module's formats on flattened points (x1…xN per point). */
export type Runner = (text: string, inputs: readonly Port[], points: readonly Float64Array[]) => Promise<RunResult>;

/** A main() that reads rows of N numbers from stdin and prints the M outputs of predict per row. */
export const C_MAIN = `#include <stdio.h>
#include <stdlib.h>
void predict(const double *x, double *y);
int main(int argc, char **argv) {
  int n = argc > 2 ? atoi(argv[1]) : 0, m = argc > 2 ? atoi(argv[2]) : 0, i;
  double *x = malloc(sizeof(double) * (n + 1)), *y = malloc(sizeof(double) * (m + 1));
  for (;;) {
    for (i = 0; i < n; i++) if (scanf("%lf", &x[i]) != 1) return 0;
    predict(x, y);
    for (i = 0; i < m; i++) printf("%.17g%c", y[i], i + 1 < m ? ' ' : '\\n');
  }
}
`;

/** The flags the C output is promised to compile with. */
export const C_FLAGS = ['-std=c99', '-Wall', '-Werror', '-O1'];

function run(exe: string, args: string[], stdin: string, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(exe, args, { encoding: 'utf8', maxBuffer: 1 << 30, cwd }, (err, out, errText) => (err ? reject(new Error(errText || err.message)) : resolve(out)));
    child.stdin!.end(stdin);
  });
}

/** The C compiler: NN2EQ_CC, else gcc. */
export function cCompiler(): string | null {
  const exe = process.env.NN2EQ_CC || 'gcc';
  return probe(exe, ['--version']).error ? null : exe;
}

/** Parses printf's %.17g output (nan, -nan, inf) back to numbers. */
export function parseCNumbers(out: string, perRow: number): number[][] {
  const rows = out.trim() === '' ? [] : out.trim().split('\n');
  return rows.map((line) => {
    const v = line.trim().split(/\s+/).map((t) => (/nan/i.test(t) ? NaN : /inf/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t)));
    if (v.length !== perRow) throw new Error(`expected ${perRow} numbers per row, got ${v.length}`);
    return v;
  });
}

/**
 * The reading main() for emitted C text: --weights symbolic calls predict(params, x, y) with the
 * trained values the file defines as PARAMS; --dtype float32's predict takes float arrays (scanf
 * reads them with %f; printf prints them promoted to double).
 */
export function cMain(text: string): string {
  const symbolic = /^void predict\(const (?:double|float) \*params, /m.test(text);
  const main = symbolic ? C_MAIN.replace('void predict(const double *x, double *y);', 'extern const double PARAMS[];\nvoid predict(const double *params, const double *x, double *y);').replace('predict(x, y);', 'predict(PARAMS, x, y);') : C_MAIN;
  return /^void predict\(const float \*/m.test(text) ? main.replace(/\bdouble\b/g, 'float').replace('%lf', '%f') : main;
}

/** Compiles emitted C with a reading main() in `dir`; returns the executable's path. */
export async function compileC(cc: string, text: string, dir: string): Promise<string> {
  writeFileSync(join(dir, 'model.c'), text);
  writeFileSync(join(dir, 'main.c'), cMain(text));
  await run(cc, [...C_FLAGS, 'model.c', 'main.c', '-lm', '-o', 'predict'], '', dir);
  return join(dir, 'predict');
}

/** Rows of flattened inputs as text for the C main: one row a line, 17 significant digits. */
export function cInput(points: readonly ArrayLike<number>[]): string {
  return points.map((p) => Array.from(p, (v) => (Number.isFinite(v) ? v.toPrecision(17) : String(v))).join(' ')).join('\n') + '\n';
}

/** How many numbers predict writes to y, as the header of either C form says (' * y: M doubles'). */
export function cOutputCount(text: string): number {
  const m = /^ \* y: (\d+) (?:double|float)s?,/m.exec(text);
  if (!m) throw new Error("the C text has no ' * y: M doubles' line in its header");
  return Number(m[1]);
}

const runC: Runner = async (text, inputs, points) => {
  const cc = cCompiler();
  if (!cc) return { skipped: 'gcc is not installed (set NN2EQ_CC to a C compiler)' };
  const dir = mkdtempSync(join(tmpdir(), 'nn2eq-c-'));
  try {
    const exe = await compileC(cc, text, dir);
    const n = inputs.reduce((s, p) => s + p.size, 0);
    const m = cOutputCount(text);
    return { values: parseCNumbers(await run(exe, [String(n), String(m)], cInput(points)), m) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * Evaluates emitted SymPy modules. The scalar form: each equation's right-hand side is printed by
 * SymPy's own Python code printer and run on float64 values, point by point. The tensor form (a
 * module with predict): predict on all points at once, the flattened inputs cut into the input
 * shapes given, every output element read with float(). argv[1:] = modules; stdin = JSON
 * {"rows": one list of rows per module, "shapes": per module its input shapes (tensor form) or null};
 * stdout = JSON, per module its rows of outputs (null for NaN, "inf"/"-inf") or {"error": …}.
 */
export const SYMPY_DRIVER = `
import importlib.util, json, math, sys, warnings
import numpy as np
from sympy.printing.pycode import PythonCodePrinter
warnings.simplefilter("ignore")
printer = PythonCodePrinter({"allow_unknown_functions": True, "fully_qualified_modules": False})

FUNCTIONS = {"exp": np.exp, "log": np.log, "tanh": np.tanh, "sqrt": np.sqrt, "erf": math.erf, "floor": np.floor, "copysign": np.copysign,
             "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
             "sinh": np.sinh, "cosh": np.cosh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
             # SymPy's Max and Min print as Python's max and min, which pass a NaN over depending on the order.
             "max": lambda *a: math.nan if any(math.isnan(v) for v in a) else max(a),
             "min": lambda *a: math.nan if any(math.isnan(v) for v in a) else min(a)}

def module(file):
    spec = importlib.util.spec_from_file_location("model", file)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m

def load(m):
    args = ", ".join(str(x) for x in m.inputs)
    values = getattr(m, "PARAMS", {})  # --weights symbolic: the trained values put back
    body = [f"    {eq.lhs} = {printer.doprint(eq.rhs.xreplace(values))}" for eq in m.bindings + m.outputs]
    src = f"def f({args}):\\n" + "\\n".join(body + ["    return [" + ", ".join(str(eq.lhs) for eq in m.outputs) + "]"])
    # Every function name SymPy's Python printer writes for what the module may import (its own
    # imports are SymPy's symbolic functions): NumPy's, which give NaN outside a real domain as IEEE float math does.
    env = {**FUNCTIONS, "inf": math.inf, "nan": math.nan, "float": float, "math": math}
    unknown = sorted(n for n in m.__dict__ if str(getattr(m.__dict__[n], "__module__", "") or "").startswith("sympy.functions") and n not in env and n not in ("Abs", "Heaviside", "Max", "Min", "Piecewise", "sign"))
    if unknown:
        raise NameError(f"the driver has no float function for {', '.join(unknown)}")
    for name in dir(m):
        if hasattr(m, "_" + name + "_rows"):
            env[name] = (lambda cls: lambda i, c: float(cls(float(i), int(c))))(getattr(m, name))
    exec(src, env)
    return env["f"]

def tensor(m, rows, shapes):
    rows = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
    inputs, at = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        inputs.append(rows[:, at:at + size].reshape((len(rows),) + tuple(shape)))
        at += size
    out = m.predict(m.PARAMS, *inputs) if hasattr(m, "PARAMS") else m.predict(*inputs)  # --weights symbolic: predict(params, ...)
    outs = out if isinstance(out, list) else [out]
    return np.concatenate([np.asarray(o, dtype=object).reshape(len(rows), -1) for o in outs], axis=1).tolist()

def number(v):
    v = float(v)
    return None if math.isnan(v) else v if math.isfinite(v) else ("inf" if v > 0 else "-inf")

def run(file, rows, shapes):
    try:
        m = module(file)
        if hasattr(m, "predict"):
            return [[number(v) for v in row] for row in tensor(m, rows, shapes)]
        f = load(m)
        return [[number(v) for v in f(*[np.float64(v) for v in row])] for row in rows]
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}

data = json.load(sys.stdin)
print(json.dumps([run(file, rows, shapes) for file, rows, shapes in zip(sys.argv[1:], data["rows"], data["shapes"])]))
`;

/** Runs SYMPY_DRIVER on several modules in one python3 (SymPy takes a while to import; the python3 is kept for the next run, src/verify/python.ts); `shapes`: each tensor-form module's input shapes. */
export async function runSympyFiles(exe: string, files: string[], rows: number[][][], shapes: (readonly (readonly number[])[] | null)[] = files.map(() => null)): Promise<(number[][] | Error)[]> {
  return sympyAnswers(await runPythonCode(exe, SYMPY_DRIVER, files, JSON.stringify({ rows, shapes })));
}

/** What SYMPY_DRIVER prints, read back: per module its rows of outputs, or its error. */
export function sympyAnswers(stdout: string): (number[][] | Error)[] {
  const out = JSON.parse(stdout) as ((number | string | null)[][] | { error: string })[];
  return out.map((r) => ('error' in r ? new Error(r.error) : r.map((row) => row.map((v) => (v === null ? NaN : typeof v === 'string' ? (v === 'inf' ? Infinity : -Infinity) : v)))));
}

/** The python3 with sympy and numpy, or why there is none. */
export function sympyPython(): { exe: string } | { skipped: string } {
  const exe = process.env.NN2EQ_PYTHON || 'python3';
  const found = probe(exe, ['-c', 'import sympy, numpy']);
  if (found.error) return { skipped: `${exe} not found` };
  if (found.status !== 0) return { skipped: `${exe} has no sympy or numpy (set NN2EQ_PYTHON to a python3 with both)` };
  return { exe };
}

const runSympy: Runner = async (text, inputs, points) => {
  const py = sympyPython();
  if ('skipped' in py) return py;
  const dir = mkdtempSync(join(tmpdir(), 'nn2eq-sympy-'));
  try {
    const file = join(dir, 'model.py');
    writeFileSync(file, text);
    const [result] = await runSympyFiles(py.exe, [file], [points.map((p) => Array.from(p))], [inputs.map((p) => p.shape)]);
    if (result instanceof Error) throw result;
    return { values: result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** The scalar input and output names a mathjs text declares in its header. */
function mathjsNames(text: string, kind: 'input' | 'output'): string[] {
  const re = new RegExp(`^# ${kind} .*?, row-major: (.*)$`, 'gm');
  return [...text.matchAll(re)].flatMap((m) => m[1].split(', '));
}

/** The tensor form's inputs or outputs as its header declares them ('# input 1, shape [4, 2]: input1'). */
function mathjsTensors(text: string, kind: 'input' | 'output'): { name: string; shape: number[] }[] {
  const re = new RegExp(`^# ${kind} \\d+, shape \\[([\\d, ]*)\\]: (\\w+)$`, 'gm');
  return [...text.matchAll(re)].map((m) => ({ name: m[2], shape: m[1] === '' ? [] : m[1].split(', ').map(Number) }));
}

/** Flat values in a row-major nested array of `shape`. */
function nestFlat(values: ArrayLike<number>, at: number, shape: readonly number[]): unknown {
  if (shape.length === 0) return values[at];
  const inner = shape.slice(1).reduce((m, d) => m * d, 1);
  return Array.from({ length: shape[0] }, (_, i) => nestFlat(values, at + i * inner, shape.slice(1)));
}

/**
 * Evaluates a mathjs text with mathjs itself (imported only here) on every point (the inputs
 * flattened and concatenated); returns the outputs flattened and concatenated. The scalar form
 * takes x1…xN as numbers; the tensor form takes input1… as matrices in the shapes its header gives.
 * With --weights symbolic the weights come from the text's PARAMS line.
 */
export async function runMathjsText(text: string, points: readonly ArrayLike<number>[]): Promise<number[][]> {
  const { create, all } = await import('mathjs');
  const math = create(all);
  const code = math.compile(text);
  const paramsLine = /^# PARAMS (\{.*\})$/m.exec(text);
  const params = paramsLine ? (JSON.parse(paramsLine[1]) as Record<string, unknown>) : {};
  if (/^# Generated by nn2eq .*\(tensor form/.test(text)) {
    const ins = mathjsTensors(text, 'input');
    const outs = mathjsTensors(text, 'output');
    return points.map((p) => {
      // --weights symbolic: the trained weights from the PARAMS line (a number for shape []).
      const scope = new Map<string, unknown>(Object.entries(params).map(([n, v]) => [n, Array.isArray(v) ? math.matrix(v) : v]));
      let at = 0;
      for (const t of ins) {
        scope.set(t.name, math.matrix(nestFlat(p, at, t.shape) as number[]));
        at += t.shape.reduce((m, d) => m * d, 1);
      }
      code.evaluate(scope);
      return outs.flatMap((t) => {
        const v = scope.get(t.name);
        return typeof v === 'number' ? [v] : (math.flatten(v as number[]) as unknown as { valueOf(): unknown[] }).valueOf().map((x) => mathjsNumber(x, t.name));
      });
    });
  }
  const ins = mathjsNames(text, 'input');
  const outs = mathjsNames(text, 'output');
  return points.map((p) => {
    const scope = new Map<string, unknown>(ins.map((n, i) => [n, p[i]]));
    // --weights symbolic: the trained weights from the PARAMS line, as mathjs matrices.
    for (const [n, v] of Object.entries(params)) scope.set(n, math.matrix(v as number[]));
    code.evaluate(scope);
    return outs.map((n) => mathjsNumber(scope.get(n), n));
  });
}

/** An output value of a mathjs text: a number, never a complex number (log(-1) is 3.14…i in mathjs), which Number() would turn into NaN and so hide. */
function mathjsNumber(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  throw new Error(`mathjs gave ${name} = ${String(v)}, which is not a real number (a ${(v as object)?.constructor?.name ?? typeof v}); the text must give NaN where IEEE float math does`);
}

const runMathjs: Runner = async (text, _inputs, points) => ({ values: await runMathjsText(text, points) });

/**
 * The Julia program that reads rows of flattened inputs from stdin and prints predict's outputs
 * flattened row-major: the scalar form takes the row as one vector; the tensor form takes one array
 * per input in the model's axis order (`shapes`), and returns an array or a tuple of arrays.
 * With --weights symbolic (`symbolic`) predict is called with the file's PARAMS first.
 */
export function juliaDriver(tensor: boolean, shapes: readonly (readonly number[])[], symbolic = false): string {
  const lead = symbolic ? 'PARAMS, ' : '';
  if (!tensor) return `include(ARGS[1]); for line in eachline(stdin); println(join(string.(predict(${lead}parse.(Float64, split(line)))), " ")); end`;
  const tuple = (xs: readonly (number | string)[]) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;
  return `include(ARGS[1])
_rowmajor(x) = ndims(x) <= 1 ? x : permutedims(x, reverse(ntuple(identity, ndims(x))))
function _main(shapes)
    for line in eachline(stdin)
        v = parse.(Float64, split(line))
        args = Array{Float64}[]
        at = 0
        for s in shapes
            n = prod(s)
            push!(args, _rowmajor(reshape(v[at + 1:at + n], reverse(s))))
            at += n
        end
        y = predict(${lead}args...)
        println(join(string.(vcat(map(a -> vec(_rowmajor(a)), y isa Tuple ? collect(y) : [y])...)), " "))
    end
end
_main(${tuple(shapes.map(tuple))})
`;
}

/** Runs emitted Julia with `julia` (NN2EQ_JULIA) when one is installed; Debian 12 packages none. */
const runJulia: Runner = async (text, inputs, points) => {
  const exe = process.env.NN2EQ_JULIA || 'julia';
  if (probe(exe, ['--version']).error) return { skipped: 'julia is not installed (Debian has no julia package; see julialang.org)' };
  const dir = mkdtempSync(join(tmpdir(), 'nn2eq-julia-'));
  try {
    const file = join(dir, 'model.jl');
    writeFileSync(file, text);
    const tensor = /^# Generated by nn2eq .*\(tensor form/.test(text);
    writeFileSync(join(dir, 'driver.jl'), juliaDriver(tensor, inputs.map((p) => p.shape), /^const PARAMS = \($/m.test(text)));
    const out = await run(exe, ['--startup-file=no', join(dir, 'driver.jl'), file], cInput(points));
    // The tensor form's output size follows the time axis, so each row says how many numbers it has.
    const m = tensor ? (out.trim().split('\n')[0] ?? '').trim().split(/\s+/).length : Number((/^# y is a Vector\{Float64\} of (\d+) numbers/m.exec(text) ?? [])[1]);
    return { values: parseCNumbers(out, m) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** A node of the JSON IR (schema/nn2eq-ir.schema.json). */
type JsonNode = { op: string; index?: number; value?: JsonNumber; args?: number[]; coefs?: JsonNumber[]; bias?: JsonNumber; table?: number; column?: number; tensor?: number };
type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/**
 * Evaluates a JSON IR document on flattened points, reading only the document and the meaning
 * the schema gives each op (an independent reading of the format for its consumers and tests).
 */
export function evaluateJsonIr(doc: { nodes: JsonNode[]; results: number[]; tables: { rows: number; cols: number; values: JsonNumber[] }[]; params?: { values: JsonNumber[] }[] }, points: readonly ArrayLike<number>[]): number[][] {
  const n = (v: JsonNumber | undefined) => (typeof v === 'number' ? v : v === undefined ? NaN : Number(v));
  const fns: Record<string, (a: number, b: number, c: number) => number> = {
    mul: (a, b) => a * b,
    div: (a, b) => a / b,
    pow: (a, b) => a ** b,
    max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
    min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
    fmod: (a, b) => a % b,
    exp: Math.exp,
    log: Math.log,
    tanh: Math.tanh,
    sigmoid: (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))),
    erf: (z) => erfFloat64(z),
    softplus: (z) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))),
    abs: Math.abs,
    sqrt: Math.sqrt,
    step: (z) => (z > 0 ? 1 : 0),
    floor: Math.floor,
    trunc: Math.trunc,
    gt: (a, b) => (a > b ? 1 : 0),
    ge: (a, b) => (a >= b ? 1 : 0),
    eq: (a, b) => (a === b ? 1 : 0),
    select: (c, a, b) => (c !== 0 ? a : b),
  };
  return points.map((p) => {
    const v = new Float64Array(doc.nodes.length);
    doc.nodes.forEach((node, i) => {
      const a = node.args ?? [];
      if (node.op === 'input') v[i] = p[node.index!];
      else if (node.op === 'const') v[i] = n(node.value);
      // --weights symbolic: a parameter at its trained value.
      else if (node.op === 'param') v[i] = n(doc.params![node.tensor!].values[node.index!]);
      else if (node.op === 'affine') v[i] = a.reduce((s, id, k) => s + n(node.coefs![k]) * v[id], n(node.bias));
      else if (node.op === 'lookup') {
        const t = doc.tables[node.table!];
        const r = Math.trunc(v[a[0]]);
        v[i] = r >= 0 && r < t.rows ? n(t.values[r * t.cols + node.column!]) : NaN;
      } else v[i] = fns[node.op](v[a[0]], v[a[1]], v[a[2]]);
    });
    return doc.results.map((id) => v[id]);
  });
}

const runJson: Runner = async (text, _inputs, points) => {
  const doc = JSON.parse(text);
  if (doc.form !== 'tensor') return { values: evaluateJsonIr(doc, points) };
  // The tensor form: read back into a tensor program, lowered and evaluated (a time axis of any length has no lowering).
  const program = programFromJson(doc);
  if (program.inputs.some((p) => p.tensor.shape.includes(-1))) return { skipped: 'the JSON tensor program has a time axis of any length; evaluating it needs a fixed one (--timesteps T)' };
  const { scalarize } = await import('../tensor/scalarize.js');
  const { evaluate } = await import('../ir/evaluate.js');
  const ex = scalarize(program, { stableSoftmax: true });
  return { values: points.map((p) => {
    const v = evaluate(ex.graph, p);
    return ex.outputIds.map((o) => v[o]);
  }) };
};

interface EquationDoc { op: string; args: number[]; outs: number[]; attrs: Record<string, unknown>; body?: { inputs: number[]; equations: EquationDoc[]; outputs: number[] } }
/** A tensor-form JSON document (schema/nn2eq-ir.schema.json, #/$defs/tensorProgram). */
export interface TensorJson {
  tensors: { name: string; kind: 'input' | 'const' | 'value'; shape: number[]; role: string; layer: number; values?: JsonNumber[] }[];
  inputs: { name: string; tensor: number }[];
  outputs: { name: string; tensor: number }[];
  equations: EquationDoc[];
  layers: { layer: string; class: string; from: number; to: number; outputs: number[] }[];
}

/** A tensor-form JSON document read back into a tensor program: what another tool would do with it. */
export function programFromJson(doc: TensorJson, name = 'json'): TensorProgram {
  const num = (v: JsonNumber) => (typeof v === 'number' ? v : Number(v));
  const attrs = (a: Record<string, unknown>) => JSON.parse(JSON.stringify(a), (_k, x) => (x === 'NaN' ? NaN : x === 'Infinity' ? Infinity : x === '-Infinity' ? -Infinity : x));
  const eq = (e: EquationDoc): Equation => ({ op: e.op as Equation['op'], args: e.args, outs: e.outs, attrs: attrs(e.attrs), ...(e.body ? { body: { inputs: e.body.inputs, equations: e.body.equations.map(eq), outputs: e.body.outputs } } : {}) });
  const T = (id: number) => ({ id, shape: doc.tensors[id].shape });
  return {
    tensors: doc.tensors.map((t) => ({ shape: t.shape, kind: t.kind, role: t.role, layer: t.layer, ...(t.values ? { values: Float64Array.from(t.values, num) } : {}) })),
    equations: doc.equations.map(eq),
    inputs: doc.inputs.map((p) => ({ name: p.name, tensor: T(p.tensor) })),
    outputs: doc.outputs.map((p) => ({ name: p.name, tensor: T(p.tensor) })),
    calls: doc.layers.map((l, i) => ({ layer: l.layer, className: l.class, node: 0, number: i + 1, at: i + 1, from: l.from, to: l.to, outputs: l.outputs.map(T) })),
    layerCount: doc.layers.length,
    modelName: name,
    file: name,
  };
}

/** An HTML page is valid when KaTeX rendered every equation (a failed one is a span.katex-error). */
const checkHtml: Runner = async (text) => {
  const bad = /<span class="katex-error"[^>]*title="([^"]*)"/.exec(text);
  return bad ? { invalid: `KaTeX could not render an equation: ${bad[1]}` } : { valid: true };
};

/** --verify -f svg: the picture rendered every row (a MathJax error would have stopped the conversion) and names no network resource. */
const checkSvg: Runner = async (text) => {
  if (/data-mjx-error|<merror/.test(text)) return { invalid: 'MathJax could not render an equation' };
  const urls = [...text.matchAll(/https?:\/\/[^"'\s<>]+/g)].map((m) => m[0]).filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(u));
  return urls.length ? { invalid: `the picture names a network resource: ${urls[0]}` } : { valid: true };
};

const RUNNERS = { c: runC, sympy: runSympy, mathjs: runMathjs, julia: runJulia, json: runJson, html: checkHtml, svg: checkSvg } satisfies Record<string, Runner>;

/** --verify's runs of the formats added by this module, bound to its text and points; spread into its table. */
export function extraRunners(text: string, inputs: readonly Port[], points: readonly Float64Array[]): Record<keyof typeof RUNNERS, () => Promise<RunResult>> {
  const bound = {} as Record<keyof typeof RUNNERS, () => Promise<RunResult>>;
  for (const [f, r] of Object.entries(RUNNERS) as [keyof typeof RUNNERS, Runner][]) bound[f] = () => r(text, inputs, points);
  return bound;
}
