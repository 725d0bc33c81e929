import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { convertWithIR } from '../src/convert.js';
import { Nn2eqError } from '../src/errors.js';
import { buildOnnxProgram, onnxModelSpec } from '../src/extract/onnx/index.js';
import type { OnnxAttribute, OnnxModel } from '../src/load/onnx/types.js';
import { withPython } from './check.js';
import { init, int, ints, model, node, str } from './onnx-built.js';
import { cc, python, runJs, runPyDriver, tmpDir, withCC } from './helpers.js';

// Paths of the last static-shape ops of issue 29 that ONNX's conformance cases do not reach, on
// models built in memory: Mod of floats (fmod=1) with negative operands, signed zeros, a quotient
// past 2^53, a zero and an infinite divisor; BatchNormalization in training mode with a batch of
// one (rank 2 and rank 3, statistics as constants and as inputs, another momentum); Cast to
// float8e8m0 in every round_mode, saturating or not, on zeros, subnormals, ties and overflows (and
// from float64, which rounds to float32 first); BitCast of float32 to int32 and uint32 on signed
// zeros, infinities, NaN and subnormals; TfIdfVectorizer's IDF and TFIDF modes with uni-, bi- and
// trigrams, skips and permuted columns. The oracle is each op's definition written in numpy here
// (as ONNX's reference computes it), run in the same python3 as the NumPy forms; the JS form runs
// in-process, the C forms as one program (one gcc run). Formats without an exact form must refuse in one line.

const f = (value: number): OnnxAttribute => ({ type: 'float', value });
const floats = (value: number[]): OnnxAttribute => ({ type: 'floats', value });
const F32_MAX = 3.4028234663852886e38;

interface Case {
  name: string;
  model: OnnxModel;
  /** Per point, the inputs nested in their shapes. */
  points: unknown[][];
  /** The op's definition in numpy: a module text defining predict(*inputs) → one array or a list. */
  reference: string;
  /** Formats that must refuse (one line), and a word the refusal holds. */
  refused?: Record<string, string>;
}

const E8M0 = (mode: string, saturate: number) => `
import numpy as np
def predict(x):
    # numpy_helper.to_float8e8m0 of ONNX's reference, on the float32 bits, then the value 2^(k - 127).
    b = np.asarray(x, dtype=np.float32).view(np.uint32)
    e = ((b >> 23) & 0xFF).astype(np.int64)
    special = e == 0xFF
    if '${mode}' == 'up':
        up = ((b & 0x7FFFFF) > 0) & ~special
    elif '${mode}' == 'nearest':
        g, r, s = (b & 0x400000) > 0, (b & 0x200000) > 0, (b & 0x1FFFFF) > 0
        up = g & (r | s | (e > 0)) & ~special
    else:
        up = np.zeros(b.shape, dtype=bool)
    if ${saturate}:
        up = up & (e != 0xFE)
    k = np.where(special, 0xFF, e + up)
    return np.where(k == 0xFF, np.nan, np.ldexp(1.0, (k - 127).astype(np.int64)))
`;

const TFIDF = (pool: number[], counts: number[], indexes: number[], mn: number, mx: number, skip: number, mode: string, weights: number[]) => `
import numpy as np
def predict(x):
    x = np.asarray(x)
    pool, counts, indexes = ${JSON.stringify(pool)}, ${JSON.stringify(counts)}, ${JSON.stringify(indexes)}
    grams, gid = {}, 0
    for i, start in enumerate(counts):
        size = i + 1
        end = counts[i + 1] if i + 1 < len(counts) else len(pool)
        for k in range((end - start) // size):
            if ${mn} <= size <= ${mx}:
                grams[tuple(pool[start + k * size:start + (k + 1) * size])] = indexes[gid]
            gid += 1
    width = max(indexes) + 1
    rows = x if x.ndim == 2 else x[None]
    out = np.zeros((len(rows), width))
    for r, row in enumerate(rows):
        for d in range(1, ${skip} + 2):
            for size in range(${mn} if d == 1 else max(${mn}, 2), ${mx} + 1):
                for s in range(len(row) - (size - 1) * d):
                    g = tuple(int(row[s + t * d]) for t in range(size))
                    if g in grams:
                        out[r, grams[g]] += 1
    w = np.array(${JSON.stringify(weights)} or [1.0] * width)
    out = out if '${mode}' == 'TF' else (out > 0) * w if '${mode}' == 'IDF' else out * w
    return out if x.ndim == 2 else out[0]
`;

const BN = (eps: number, momentum: number) => `
import numpy as np
def predict(x, s, b, mean, var):
    # _batchnorm_training_mode of ONNX's reference.
    x, s, b, mean, var = (np.asarray(v, dtype=np.float64) for v in (x, s, b, mean, var))
    axis = tuple(i for i in range(x.ndim) if i != 1)
    m, v = x.mean(axis=axis), x.var(axis=axis)
    shape = (-1,) + (1,) * (x.ndim - 2)
    y = s.reshape(shape) * (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + ${eps}) + b.reshape(shape)
    return [y, mean * ${momentum} + m * (1 - ${momentum}), var * ${momentum} + v * (1 - ${momentum})]
`;

const MOD_A = [5.5, -5.5, 5.5, -5.5, -0, 6, -6, 1e300, 1e-300, 3, Infinity, 7, -7.25];
const MOD_B = [2, 2, -2, -2, 3, -3, 3, 3, 3e-301, 0, 2, Infinity, 0.5];
const E8M0_X = [0, -0, 1, -1, 1.5, 1.75, 3, 0.124, 2 ** -126, 2 ** -127, 1.5 * 2 ** -127, 2 ** -149, 6e-39, 5e-39, 2 ** 127, 1.5 * 2 ** 127, F32_MAX, Infinity, -Infinity, NaN, 2 ** -126 * 1.5];
const BITS_X = [1, -2.5, -0, 0, Infinity, -Infinity, NaN, 2 ** -149, F32_MAX, -1e-40];
const POOL = [2, 3, 5, 4, 5, 6, 7, 8, 6, 7, 5, 6, 7];
const POOL_COUNTS = [0, 4, 10];
const POOL_INDEXES = [1, 0, 3, 2, 4, 6, 5, 7, 8];
const TOKENS = [[5, 6, 7, 5, 6, 7, 8, 2], [2, 2, 3, 5, 8, 6, 7, 4]];

const e8m0Case = (mode: string, saturate: number, dtype: 'float32' | 'float64' = 'float32'): Case => ({
  name: `cast_e8m0_${mode}_${saturate ? 'saturate' : 'nan'}_${dtype}`,
  model: model([node('Cast', ['x'], ['y'], { to: int(24), round_mode: str(mode), saturate: int(saturate) }, 25)], [['x', dtype, [E8M0_X.length]]], ['y'], [], 25),
  points: [[dtype === 'float64' ? E8M0_X.map((v) => (Number.isFinite(v) && v !== 0 ? v * (1 + 2 ** -30) : v)) : E8M0_X]],
  reference: E8M0(mode, saturate),
});

const tfidfCase = (name: string, dims: number[], mode: string, weights: number[], points: unknown[][]): Case => ({
  name,
  model: model(
    [node('TfIdfVectorizer', ['x'], ['y'], { min_gram_length: int(1), max_gram_length: int(3), max_skip_count: int(1), mode: str(mode), ngram_counts: ints(POOL_COUNTS), ngram_indexes: ints(POOL_INDEXES), pool_int64s: ints(POOL), ...(weights.length ? { weights: floats(weights) } : {}) }, 9)],
    [['x', 'int64', dims]],
    ['y'],
    [],
    9,
  ),
  points,
  reference: TFIDF(POOL, POOL_COUNTS, POOL_INDEXES, 1, 3, 1, mode, weights),
});

const CASES: Case[] = [
  {
    name: 'mod_fmod_float64',
    model: model([node('Mod', ['a', 'b'], ['y'], { fmod: int(1) })], [['a', 'float64', [MOD_A.length]], ['b', 'float64', [MOD_B.length]]], ['y']),
    points: [[MOD_A, MOD_B], [MOD_A.map((v) => -v), MOD_B]],
    reference: 'import numpy as np\ndef predict(a, b):\n    return np.fmod(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))\n',
    refused: { mathematica: 'fmod', sympy: 'fmod', mathjs: 'fmod' },
  },
  {
    name: 'batchnorm_training_batch1_rank2',
    model: model(
      [node('BatchNormalization', ['x', 's', 'b', 'mean', 'var'], ['y', 'rm', 'rv'], { training_mode: int(1), epsilon: f(1e-3), momentum: f(0.7) }, 15)],
      [['x', 'float32', [1, 3]]],
      ['y', 'rm', 'rv'],
      [init('s', 'float32', [3], [1.5, -2, 0.5]), init('b', 'float32', [3], [0.25, 1, -3]), init('mean', 'float32', [3], [0.5, -1, 2]), init('var', 'float32', [3], [1, 2, 0.25])],
      15,
    ),
    points: [[[[0.5, -1.25, 3]]]],
    reference: BN(1e-3, 0.7).replace('def predict(x, s, b, mean, var):', 'def predict(x, s=[1.5, -2, 0.5], b=[0.25, 1, -3], mean=[0.5, -1, 2], var=[1, 2, 0.25]):'),
  },
  {
    name: 'batchnorm_training_batch1_rank3_inputs',
    model: model(
      [node('BatchNormalization', ['x', 's', 'b', 'mean', 'var'], ['y', 'rm', 'rv'], { training_mode: int(1) }, 15)],
      [['x', 'float64', [1, 2, 3]], ['s', 'float64', [2]], ['b', 'float64', [2]], ['mean', 'float64', [2]], ['var', 'float64', [2]]],
      ['y', 'rm', 'rv'],
      [],
      15,
    ),
    points: [[[[[1, 2, 4], [-3, 0.5, 0.25]]], [2, -1], [0.5, 0], [0.1, -0.2], [1.5, 0.5]]],
    reference: BN(1e-5, 0.9),
  },
  e8m0Case('up', 1),
  e8m0Case('down', 1),
  e8m0Case('nearest', 1),
  e8m0Case('up', 0),
  e8m0Case('nearest', 0),
  e8m0Case('up', 1, 'float64'),
  ...(['int32', 'uint32'] as const).map((to): Case => ({
    name: `bitcast_float32_${to}`,
    model: model([node('BitCast', ['x'], ['y'], { to: int(to === 'int32' ? 6 : 12) }, 26)], [['x', 'float32', [BITS_X.length]]], ['y'], [], 26),
    // NaN is not negated: a JS −NaN carries its sign bit into the Float32Array, python's float('NaN') does not.
    points: [[BITS_X], [BITS_X.map((v) => (Number.isNaN(v) ? v : -v))]],
    reference: `import numpy as np\ndef predict(x):\n    return np.asarray(x, dtype=np.float32).view(np.${to})\n`,
    refused: { mathematica: 'BitCast', sympy: 'BitCast', mathjs: 'BitCast' },
  })),
  tfidfCase('tfidf_tfidf_weights_batch', [2, 8], 'TFIDF', [0.5, 1.5, 2, 0.25, 3, 1, 0.75, 4, 2.5], [[TOKENS]]),
  tfidfCase('tfidf_idf_vector', [8], 'IDF', [], [[TOKENS[0]], [TOKENS[1]]]),
  tfidfCase('tfidf_idf_weights_vector', [8], 'IDF', [0.5, 1.5, 2, 0.25, 3, 1, 0.75, 4, 2.5], [[TOKENS[1]]]),
];

const FORMATS = ['numpy', 'js', 'c', 'julia', 'latex', 'mathematica', 'sympy', 'mathjs'] as const;

/** The tensor form of `m` in `format`, or the one-line refusal (an Nn2eqError's message and hint). */
function convert(m: OnnxModel, format: string): { text: string } | { refused: string } {
  try {
    const program = buildOnnxProgram(m);
    return { text: convertWithIR(onnxModelSpec(m, program), { format: format as 'js', form: 'tensor' }, program).text };
  } catch (e) {
    if (!(e instanceof Nn2eqError)) throw e;
    return { refused: `${e.message}${e.hint ? `; hint: ${e.hint}` : ''}` };
  }
}

let texts: Map<string, Record<string, { text: string } | { refused: string }>> | undefined;
const converted = () => (texts ??= new Map(CASES.map((c) => [c.name, Object.fromEntries(FORMATS.map((fmt) => [fmt, convert(c.model, fmt)]))])));
const text = (c: Case, fmt: string): string => {
  const t = converted().get(c.name)![fmt];
  if ('refused' in t) throw new Error(`${c.name} ${fmt}: refused: ${t.refused}`);
  return t.text;
};

/** A number to JSON and to the C program's input: -0, NaN and the infinities spelled out. */
const spell = (v: number) => (Object.is(v, -0) ? '-0' : Number.isFinite(v) ? v : String(v));
const flatten = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flatten) : [v as number]);
/** python's repr of a float back to a number. */
const unrepr = (s: string) => (s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));

/** Equal as numbers, NaN to NaN, and zeros with their sign; float32 outputs within 1e-12 relative (BatchNormalization). */
function expectSame(got: readonly number[], want: readonly number[], what: string, rtol = 0): void {
  expect(got.length, `${what}: values`).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : w === 0 ? Object.is(g, w) || (rtol > 0 && g === 0) : g === w || Math.abs(g - w) <= rtol * Math.abs(w);
    expect(ok, `${what} value ${i}: got ${Object.is(g, -0) ? '-0' : g}, want ${Object.is(w, -0) ? '-0' : w}`).toBe(true);
  });
}

const DRIVER = `
import numpy as np
def leaf(v):
    return [leaf(u) for u in v] if isinstance(v, list) else float(v) if isinstance(v, str) else v
res = []
for m, points in modules():
    rows = []
    for inputs in points:
        out = m.predict(*[np.array(leaf(x)) for x in inputs])
        rows.append([repr(float(v)) for o in (out if isinstance(out, list) else [out]) for v in np.asarray(o, dtype=np.float64).ravel()])
    res.append(rows)
print(json.dumps(res))
`;

let oracle: Promise<Map<string, number[][]>> | undefined;
/** Each case's points through its numpy definition, and through nn2eq's NumPy form: per case name and 'numpy:' + name. */
const pythonRuns = () =>
  (oracle ??= (async () => {
    const spelled = CASES.map((c) => c.points.map((p) => p.map((x) => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' ? spell(v) : v))) as number[])));
    const got = await runPyDriver<string[][][]>(python.exe, DRIVER, [...CASES.map((c) => c.reference), ...CASES.map((c) => text(c, 'numpy'))], [...spelled, ...spelled] as unknown as number[][][]); // each point is a list of nested inputs: JSON carries any depth
    const out = new Map<string, number[][]>();
    CASES.forEach((c, k) => {
      out.set(c.name, got[k].map((row) => row.map(unrepr)));
      out.set(`numpy:${c.name}`, got[CASES.length + k].map((row) => row.map(unrepr)));
    });
    return out;
  })());

/** Runs `exe` with `args` in `cwd`, `input` on stdin: its stdout (a failure throws with its stderr). */
function run(exe: string, args: string[], input: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(exe, args, { cwd, maxBuffer: 1 << 24 }, (err, stdout, stderr) => (err ? reject(new Error(`${exe}: ${stderr || err.message}`)) : resolve(stdout)));
    child.stdin!.end(input);
  });
}

const rtolOf = (c: Case) => (c.name.startsWith('batchnorm') ? 1e-12 : 0);

describe('Mod of floats, BatchNormalization training, float8e8m0 casts, BitCast, TfIdfVectorizer on hand-made models, against their numpy definitions', () => {
  it('every tensor-form emitter prints each model (KaTeX renders the LaTeX), or refuses it in one line where it has no exact form', () => {
    for (const c of CASES) {
      for (const fmt of FORMATS) {
        const t = converted().get(c.name)![fmt];
        const word = c.refused?.[fmt];
        if (word) {
          expect('refused' in t, `${c.name} ${fmt} refuses`).toBe(true);
          const r = (t as { refused: string }).refused;
          expect(r.split('\n'), `${c.name} ${fmt}: one line`).toHaveLength(1);
          expect(r, `${c.name} ${fmt}`).toContain(word);
        } else expect('text' in t, `${c.name} ${fmt} prints: ${'refused' in t ? t.refused : ''}`).toBe(true);
      }
    }
    for (const c of CASES) {
      const t = converted().get(c.name)!.latex;
      if ('text' in t) expect(() => katex.renderToString(t.text, { displayMode: true, throwOnError: true, maxExpand: Infinity }), `${c.name} latex`).not.toThrow();
    }
    expect(text(CASES[0], 'latex')).toContain('\\operatorname{fmod}');
    expect(text(CASES[0], 'julia')).toContain('rem(');
    expect(text(CASES.find((c) => c.name === 'bitcast_float32_uint32')!, 'latex')).toContain('\\operatorname{bits}_{\\mathrm{uint32}}');
  });
  it('the scalar form of BitCast refuses in one line; --form auto prints the tensor form', () => {
    const m = CASES.find((c) => c.name === 'bitcast_float32_int32')!.model;
    const program = buildOnnxProgram(m);
    expect(() => convertWithIR(onnxModelSpec(m, program), { format: 'js', form: 'scalar' }, program)).toThrow(/BitCast\) has no formula/);
    // --form auto prints the tensor form instead, and says why.
    expect(convertWithIR(onnxModelSpec(m, program), { format: 'js', form: 'auto' }, program).text).toContain('--form auto chose the tensor form: its bitcast op has no scalar form');
  });
  withPython('the NumPy tensor form (one python3 process, with the definitions)', async () => {
    const runs = await pythonRuns();
    for (const c of CASES) runs.get(`numpy:${c.name}`)!.forEach((row, i) => expectSame(row, runs.get(c.name)![i], `${c.name} numpy point ${i}`, rtolOf(c)));
  });
  withPython('the JS tensor form', async () => {
    const runs = await pythonRuns();
    for (const c of CASES) (await runJs(text(c, 'js'), c.points)).forEach((row, i) => expectSame(row, runs.get(c.name)![i], `${c.name} js point ${i}`, rtolOf(c)));
  });
  withCC('the C tensor form (one gcc run, one program for every model)', async () => {
    if (python.skip) return;
    const runs = await pythonRuns();
    const dir = tmpDir();
    // Each model's predict renamed by a #define (its helpers are static), one main picking it by number.
    CASES.forEach((c, k) => writeFileSync(join(dir, `case${k}.c`), `#define predict nn2eq_case${k}\n${text(c, 'c')}`));
    const main = [
      '#include <stdio.h>',
      '#include <stdlib.h>',
      ...CASES.map((_, k) => `void nn2eq_case${k}(const double *x, double *y);`),
      `static void (*const CASES[])(const double *, double *) = {${CASES.map((_, k) => `nn2eq_case${k}`).join(', ')}};`,
      'int main(void) {',
      '  int k, nin, nout;',
      '  while (scanf("%d %d %d", &k, &nin, &nout) == 3) {',
      '    double *x = malloc(sizeof(double) * (nin + 1)), *y = calloc(nout + 1, sizeof(double));',
      '    for (int i = 0; i < nin; i++) if (scanf("%lf", &x[i]) != 1) return 3;',
      '    CASES[k](x, y);',
      '    for (int i = 0; i < nout; i++) printf("%s%.17g", i ? " " : "", y[i]);',
      '    printf("\\n");',
      '    free(x); free(y);',
      '  }',
      '  return 0;',
      '}',
    ].join('\n');
    writeFileSync(join(dir, 'main.c'), main);
    await run(cc!, ['-std=c99', '-Wall', '-Werror', '-O0', ...CASES.map((_, k) => `case${k}.c`), 'main.c', '-lm', '-o', 'cases'], '', dir);
    const jobs = CASES.flatMap((c, k) => c.points.map((p, i) => ({ c, k, i, x: p.flatMap(flatten), m: runs.get(c.name)![i].length })));
    const input = jobs.map((j) => `${j.k} ${j.x.length} ${j.m}\n${j.x.map((v) => (typeof spell(v) === 'number' ? v.toPrecision(17) : spell(v))).join(' ')}\n`).join('');
    const lines = (await run(join(dir, 'cases'), [], input, dir)).trim().split('\n');
    expect(lines).toHaveLength(jobs.length);
    jobs.forEach((j, n) => expectSame(lines[n].trim().split(/\s+/).map((t) => (/nan/i.test(t) ? NaN : /inf/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t))), runs.get(j.c.name)![j.i], `${j.c.name} c point ${j.i}`, rtolOf(j.c)));
  }, 120_000);
});
