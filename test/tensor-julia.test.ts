import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extraRunners } from '../src/commands/runtimes.js';
import { julia as juliaEmitter } from '../src/emit/julia.js';
import { Nn2eqError } from '../src/errors.js';
import { convertFile, evaluateOutputs, scalarize, type ConvertOptions, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { mulberry32 } from '../src/verify/random.js';
import { FIXTURES, fixtureNames, flat, mismatch, readReference, SHARED } from './helpers.js';

// Debian 12 packages no julia (apt-cache policy julia: none), so the runs below happen only where
// one is on PATH (or NN2EQ_JULIA); the goldens and the structural checks run everywhere.
const julia = !spawnSync(process.env.NN2EQ_JULIA || 'julia', ['--version']).error;
if (!julia) console.warn('\n*** SKIPPING Julia tensor-form runs: no julia on PATH (Debian has no package; goldens and structural checks still run)\n');
const withJulia = (name: string, fn: () => Promise<void>, timeout = 120_000) => (julia ? it(name, fn, timeout) : it.skip(`${name} [needs julia]`, fn));

/** The Julia tensor form of a model file. */
async function tensorForm(model: string, opts: Omit<ConvertOptions, 'format'> = {}): Promise<string> {
  const { text, form } = await convertFile(model, { format: 'julia', form: 'tensor', ...opts });
  expect(form).toBe('tensor');
  return text;
}

const emit = (p: TensorProgram) => juliaEmitter.tensor!.emit(p, { inline: false, maxSize: Infinity, modelName: p.modelName });

/** Runs a tensor-form text with julia on rows of flattened inputs of the given shapes. */
async function runJulia(text: string, shapes: number[][], rows: number[][]): Promise<number[][]> {
  const ports = shapes.map((shape) => ({ name: 'x', shape, offset: 0, size: shape.reduce((a, b) => a * b, 1) }));
  const result = await extraRunners(text, ports, rows.map((r) => Float64Array.from(r))).julia();
  if (!('values' in result)) throw new Error(JSON.stringify(result));
  return result.values;
}

const BUILTINS = new Set([
  'size', 'zeros', 'fill', 'reshape', 'permutedims', 'cat', 'repeat', 'reverse', 'vec', 'maximum', 'max', 'min', 'exp', 'log', 'tanh',
  'abs', 'sqrt', 'erf', 'sigmoid', 'softplus', 'ifelse', 'nothing', 'end', 'for', 'in', 'return', 'dims', 'inner', 't', 'predict',
]);

/**
 * What can be checked without julia: blocks open and close at the same indentation, every name
 * predict reads is defined before (module constants, helpers, earlier assignments), every weight
 * text holds as many Julia Float64 literals as its shape has elements, and indices start at 1.
 */
function checkStructure(text: string): void {
  const lines = text.split('\n');
  const code: string[] = [];
  const consts = new Map<string, { shape: number[]; count: number }>();
  const defined = new Set<string>(BUILTINS);
  for (let i = 0; i < lines.length; i++) {
    const w = /^const (\w+) = _w\("""$/.exec(lines[i]);
    if (w) {
      let count = 0;
      for (i++; !lines[i].startsWith('"""'); i++) {
        for (const n of lines[i].split(' ')) {
          expect(n, `${w[1]}: a number Julia's parse(Float64, …) reads`).toMatch(/^-?(\d+(\.\d+)?(e-?\d+)?|Inf|NaN)$/);
          count++;
        }
      }
      const shape = /^""", \(([\d, ]*)\)\)$/.exec(lines[i]);
      expect(shape, lines[i]).not.toBeNull();
      consts.set(w[1], { shape: shape![1].split(',').filter((s) => s.trim()).map(Number), count });
      defined.add(w[1]);
      continue;
    }
    if (!lines[i].startsWith('#')) code.push(lines[i]);
  }
  for (const [name, c] of consts) expect(c.count, `${name} has one number per element`).toBe(c.shape.reduce((a, b) => a * b, 1));
  // Blocks: every opener is closed by an `end` at its indentation.
  const open: { indent: number; line: string }[] = [];
  for (const line of code) {
    const indent = line.length - line.trimStart().length;
    if (/^\s*(function|for|if|while|let|begin)\b/.test(line)) open.push({ indent, line });
    else if (/^\s*end\s*$/.test(line)) {
      const o = open.pop();
      expect(o, 'an end without an opener').toBeDefined();
      expect(indent, `the end of '${o!.line.trim()}'`).toBe(o!.indent);
    }
  }
  expect(open.map((o) => o.line)).toEqual([]);
  // Module-level definitions: helpers and element-wise functions.
  for (const line of code) {
    const f = /^(?:function )?(_\w+)\(.*\)( =|$)/.exec(line);
    if (f) defined.add(f[1]);
  }
  // predict reads only names defined before (in text order).
  const start = code.findIndex((l) => l.startsWith('function predict('));
  expect(start).toBeGreaterThanOrEqual(0);
  for (const p of /\(([^)]*)\)/.exec(code[start])![1].split(', ')) defined.add(p);
  for (const line of code.slice(start + 1)) {
    const stripped = line.replace(/"[^"]*"/g, '""').replace(/\b(dims|inner)=/g, '');
    const assign = /^\s*([\w, ]+?) = (.*)$/.exec(stripped);
    const loop = /^\s*for (\w+) in (.*)$/.exec(stripped);
    const rhs = assign && !/\[/.test(assign[1]) ? assign[2] : loop ? loop[2] : stripped;
    for (const m of rhs.matchAll(/(?<![\w.:])([A-Za-z_]\w*)/g)) expect(defined.has(m[1]), `'${m[1]}' is defined before: ${line.trim()}`).toBe(true);
    if (assign && !/\[/.test(assign[1])) assign[1].split(', ').forEach((n) => defined.add(n.trim()));
    if (loop) defined.add(loop[1]);
  }
  // Indices and ranges from 1; no lowercase nan/inf spelled as names.
  expect(text).not.toMatch(/\[0[:,\]]|[[, ]0:\d/);
  expect(code.join('\n')).not.toMatch(/\b(nan|inf|Infinity|np)\b/);
}

/** Fixtures that hold another fixture's weights in another layout: their text is that fixture's. */
const SAME_OUTPUT_AS: Record<string, string> = { two_shards: 'quant_base' };

describe('Julia tensor form: golden files and structure', () => {
  for (const name of fixtureNames().filter((n) => !(n in SAME_OUTPUT_AS))) {
    it(name, async () => {
      const text = await tensorForm(join(FIXTURES, name, 'model.json'));
      expect(text.split('\n')[0]).toMatch(/\(tensor form\)/);
      checkStructure(text);
      await expect(text).toMatchFileSnapshot(`golden/tensor/${name}.jl`);
    });
  }
  it('is byte-identical across runs', async () => {
    const path = join(FIXTURES, 'rnn_bidirectional_concat', 'model.json');
    expect(await tensorForm(path)).toBe(await tensorForm(path));
  });
  it('a time axis of any length is a loop over size(x, 1), documented as T', async () => {
    const text = await tensorForm(join(FIXTURES, 'rnn_timesteps_none', 'model.json'));
    expect(text).toMatch(/^# {3}input1: an array of size \(T, 3\)/m);
    expect(text).toMatch(/^ {4}for t in 1:size\(input1, 1\)$/m);
  });
  it('--form auto picks the tensor form for a large scalar form or a time axis of any length, the scalar form when small', async () => {
    const auto = async (path: string) => (await convertFile(path, { format: 'julia', form: 'auto' })).form;
    const cnn = join(SHARED, 'tfjs-layers', 'cnn', 'model.json');
    if (existsSync(cnn)) expect(await auto(cnn)).toBe('tensor');
    expect(await auto(join(FIXTURES, 'rnn_timesteps_none', 'model.json'))).toBe('tensor');
    expect(await auto(join(FIXTURES, 'act_relu', 'model.json'))).toBe('scalar');
  });
});

describe('Julia output run by julia matches TF.js predictions (reference.json)', () => {
  for (const name of fixtureNames()) {
    withJulia(name, async () => {
      const dir = join(FIXTURES, name);
      const ref = readReference(dir);
      const text = await tensorForm(join(dir, 'model.json'));
      const got = await runJulia(text, ref.input_shapes, ref.cases.map((c) => flat(c.inputs)));
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
    });
  }
});

/**
 * Ops in settings no fixture reaches (the C tensor form's cases), printed and checked for structure
 * everywhere, and run by julia against the op's scalarize rule where julia exists.
 */
describe('Julia tensor form: ops against their scalarize rule', () => {
  const r = mulberry32(21);
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const window = (kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[]) => ({ kernel, strides, dilation, padBefore, outSpatial });
  const cases: [string, (b: ProgramBuilder, x: T) => T[], number[]][] = [
    ['conv 2-D, 2 groups, strides and dilation, padded', (b, x) => b.apply('conv', [x, b.constant('K', [2, 3, 2, 6], rand(72)), b.constant('b', [6], rand(6))], { ...window([2, 3], [2, 1], [1, 2], [1, 2], [3, 4]), groups: 2, bias: true }, fail), [5, 4, 4]],
    ['conv 3-D without bias', (b, x) => b.apply('conv', [x, b.constant('K', [2, 2, 2, 3, 2], rand(48))], { ...window([2, 2, 2], [1, 1, 1], [1, 1, 1], [0, 0, 0], [2, 3, 2]), groups: 1, bias: false }, fail), [3, 4, 3, 3]],
    ['depthwise 1-D, multiplier 3', (b, x) => b.apply('depthwise_conv', [x, b.constant('D', [3, 2, 3], rand(18)), b.constant('b', [6], rand(6))], { ...window([3], [2], [1], [1], [4]), multiplier: 3, bias: true }, fail), [7, 2]],
    ['average pool 3-D, padded (in-bounds cells only)', (b, x) => b.apply('pool', [x], { ...window([2, 2, 2], [2, 2, 1], [1, 1, 1], [1, 0, 1], [2, 2, 3]), kind: 'avg' }, fail), [3, 4, 3, 2]],
    ['max pool 2-D, dilated', (b, x) => b.apply('pool', [x], { ...window([2, 2], [1, 1], [2, 1], [0, 0], [2, 3]), kind: 'max' }, fail), [4, 4, 2]],
    ['global average pool 3-D', (b, x) => b.apply('global_pool', [x], { kind: 'avg' }, fail), [2, 3, 2, 4]],
    ['global max pool 2-D', (b, x) => b.apply('global_pool', [x], { kind: 'max' }, fail), [3, 2, 4]],
    ['dot on axes (0, 1), normalized', (b, x) => [b.apply('dot', [x, b.constant('y', [2, 3, 4], rand(24))], { axes: [0, 1], normalize: true }, fail)[0]], [3, 5]],
    ['dot on axes (1, 0)', (b, x) => b.apply('dot', [x, b.constant('y', [5, 2], rand(10))], { axes: [1, 0], normalize: false }, fail), [3, 5]],
    ['softmax over axes 0 and 2', (b, x) => b.apply('softmax', [x], { axes: [0, 2] }, fail), [2, 3, 4]],
    ['log_softmax over the middle axis', (b, x) => b.apply('log_softmax', [x], { axes: [1] }, fail), [2, 3, 4]],
    ['layer_norm over axes 1 and 2 with gamma and beta', (b, x) => b.apply('layer_norm', [x, b.constant('gamma', [3, 4], rand(12)), b.constant('beta', [3, 4], rand(12))], { axes: [1, 2], eps: 1e-3, scale: true, center: true }, fail), [2, 3, 4]],
    ['l2_normalize over the first axis', (b, x) => b.apply('l2_normalize', [x], { axes: [0] }, fail), [3, 2]],
    ['map broadcasting [3, 1] against [2, 3, 4]', (b, x) => b.apply('map', [x, b.constant('a', [3, 1], rand(3)), b.constant('c', [4], rand(4))], { fn: 'scale_shift', params: [] }, fail), [2, 3, 4]],
    ['map of a scalar and a leading block', (b, x) => b.apply('map', [x, b.constant('a', [1], rand(1)), b.constant('c', [2, 1, 1], rand(2))], { fn: 'add', params: [] }, fail), [2, 3, 4]],
    ['dense over the last axis of a rank-3 tensor', (b, x) => b.apply('dense', [x, b.constant('W', [4, 3], rand(12)), b.constant('b', [3], rand(3))], { pairs: 1, bias: true }, fail), [2, 3, 4]],
    ['transpose of rank 4', (b, x) => b.apply('transpose', [x], { perm: [2, 0, 3, 1] }, fail), [2, 3, 4, 2]],
    ['reshape [2, 3, 4] to [4, 6] (row-major)', (b, x) => b.apply('reshape', [x], { shape: [4, 6] }, fail), [2, 3, 4]],
    ['pad, slice, upsample, reverse of rank 3', (b, x) => {
      const [p] = b.apply('pad', [x], { before: [1, 0, 2], after: [0, 1, 1] }, fail);
      const [s] = b.apply('slice', [p], { begin: [1, 1, 0], end: [3, 4, 4] }, fail);
      const [u] = b.apply('upsample', [s], { factors: [2, 1, 3] }, fail);
      return b.apply('reverse', [u], { axis: 1 }, fail);
    }, [2, 3, 2]],
    ['concat on the middle axis, repeat', (b, x) => {
      const [c] = b.apply('concat', [x, b.constant('k', [2, 1, 3], rand(6)), x], { axis: 1 }, fail);
      return b.apply('repeat', [c], { n: 2 }, fail);
    }, [2, 2, 3]],
    ['gather with ids out of range and fractional', (b, x) => b.apply('gather', [x, b.constant('E', [4, 2], rand(8))], {}, fail), [5]],
  ];
  const programOf = (name: string, build: (b: ProgramBuilder, x: T) => T[], shape: number[]): TensorProgram => {
    const b = new ProgramBuilder();
    const x = b.input(shape, 0);
    b.layer = 1;
    const outs = build(b, x);
    return {
      tensors: b.tensors,
      equations: b.equations,
      inputs: [{ name: 'x', tensor: x }],
      outputs: outs.map((t, i) => ({ name: `y${i}`, tensor: t })),
      calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
      layerCount: 1,
      modelName: name,
      file: name,
    };
  };
  for (const [name, build, shape] of cases) {
    it(`${name}: structure`, () => checkStructure(emit(programOf(name, build, shape))));
    withJulia(name, async () => {
      const program = programOf(name, build, shape);
      const ex = scalarize(program, { stableSoftmax: true });
      const n = shape.reduce((a, c) => a * c, 1);
      const points = Array.from({ length: 3 }, () => (name.startsWith('gather') ? [0, 3.7, -0.5, 4, -1.2] : Array.from(rand(n))));
      const want = evaluateOutputs(ex.graph, ex.outputIds, points);
      const got = await runJulia(emit(program), [shape], points);
      const sane = (v: number[]) => v.map((z) => (Number.isNaN(z) ? 1e300 : z));
      got.forEach((g, k) => expect(mismatch(sane(g), sane(want[k]), 1e-7, 1e-7), `point ${k}`).toBeNull());
    });
  }

  it('spells the ops as Julia: 1-based axes, W\' * x, broadcast calls, inclusive ranges', () => {
    const text = (i: number) => emit(programOf(cases[i][0], cases[i][1], cases[i][2]));
    expect(text(9)).toMatch(/_softmax\(input1, \(1, 3\)\)/);
    expect(text(13)).toMatch(/_scale_shift\.\(input1, reshape\(a1, 1, 3, 1\), reshape\(c1, 1, 1, 4\)\)/);
    expect(text(16)).toMatch(/permutedims\(input1, \(3, 1, 4, 2\)\)/);
    expect(text(17)).toMatch(/_reshape\(input1, \(4, 6\)\)/);
    expect(text(18)).toMatch(/\[2:3, 2:4, 1:4\]/);
    expect(text(18)).toMatch(/reverse\(repeat\(.*; inner=\(2, 1, 3\)\); dims=2\)|reverse\(\w+; dims=2\)/);
  });

  it('a time-distributed layer over rank-1 slices is refused with the fix', () => {
    const b = new ProgramBuilder();
    const x = b.input([4], 0);
    b.layer = 1;
    const body = b.body([{ shape: [], role: 'x' }], ([xt]) => b.apply('map', [xt], { fn: 'tanh', params: [] }, fail));
    const [y] = b.apply('foreach', [x], {}, fail, 'h', body);
    const p: TensorProgram = { tensors: b.tensors, equations: b.equations, inputs: [{ name: 'x', tensor: x }], outputs: [{ name: 'y', tensor: y }], calls: [], layerCount: 1, modelName: 'f', file: 'f' };
    const err = (() => {
      try {
        emit(p);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(Nn2eqError);
    expect((err as Nn2eqError).kind).toBe('unsupported');
    expect((err as Nn2eqError).message).not.toMatch(/\n/);
    expect((err as Nn2eqError).hint).toMatch(/--form scalar/);
  });
});

describe('Julia tensor form: loops against the scalarize rule', () => {
  const r = mulberry32(5);
  const weights = Array.from({ length: 6 }, () => Float32Array.from({ length: 64 }, () => Math.fround(r() - 0.5)));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  /** x[T, 3] → Dense → a reversed scan from given states → reverse → softmax → a foreach (Dense, sigmoid) → a scan's last state. */
  function program(T: number): TensorProgram {
    const b = new ProgramBuilder();
    const x = b.input([T, 3], 0);
    b.layer = 1;
    const W = b.constant('W', [3, 2], weights[0].slice(0, 6));
    const U = b.constant('U', [2, 2], weights[1].slice(0, 4));
    const V = b.constant('V', [2, 2], weights[2].slice(0, 4));
    const h0 = b.constant('h0', [2], weights[3].slice(0, 2));
    const c0 = b.constant('c0', [2], weights[4].slice(0, 2));
    const [d] = b.apply('dense', [x, b.constant('A', [3, 3], weights[5].slice(0, 9))], { pairs: 1, bias: false }, fail);
    const cell = (width: number) =>
      b.body([{ shape: [width], role: 'x' }, { shape: [2], role: 'h' }, { shape: [2], role: 'c' }], ([xs, h, c]) => {
        const [z] = b.apply('dense', [xs, width === 3 ? W : V, h, U], { pairs: 2, bias: false }, fail);
        const [hn] = b.apply('map', [z], { fn: 'tanh', params: [] }, fail);
        const [cz] = b.apply('dense', [c, V], { pairs: 1, bias: false }, fail);
        const [cn] = b.apply('map', [cz, hn], { fn: 'add', params: [] }, fail);
        return [hn, cn];
      });
    const [seq] = b.apply('scan', [d, h0, c0], { reverse: true, returnSequences: true, symbols: ['h', 'c'], units: 2 }, fail, ['h', 'h', 'c'], cell(3));
    const [rev] = b.apply('reverse', [seq], { axis: 0 }, fail);
    const [sm] = b.apply('softmax', [rev], { axes: [1] }, fail);
    const each = b.body([{ shape: [2], role: 'x' }], ([xt]) => {
      const [z] = b.apply('dense', [xt, V, b.constant('b', [2], weights[5].slice(9, 11))], { pairs: 1, bias: true }, fail);
      return b.apply('map', [z], { fn: 'sigmoid', params: [] }, fail);
    });
    const [e] = b.apply('foreach', [sm], {}, fail, 'h', each);
    const [last, , c] = b.apply('scan', [e], { reverse: false, returnSequences: false, symbols: ['h', 'c'], units: 2 }, fail, ['h', 'h', 'c'], cell(2));
    const outputs = [last, c, rev];
    return { tensors: b.tensors, equations: b.equations, inputs: [{ name: 'x', tensor: x }], outputs: outputs.map((t, i) => ({ name: `y${i}`, tensor: t })), calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs }], layerCount: 1, modelName: 'loops', file: 'loops' };
  }

  it('one text for every sequence length: loops over size(x, 1), structure checked', () => {
    const text = emit(program(-1));
    checkStructure(text);
    expect(text).toMatch(/for t in size\(\w+, 1\):-1:1/);
    expect(text).toMatch(/\[size\(\w+, 1\) \+ 1 - t, :\] = /);
    expect(text).toMatch(/^ {4}return \(\w+, \w+, \w+\)$/m);
  });

  withJulia('scans (reversed, from given states), reverse, softmax and a foreach, at T = 1, 4 and 9', async () => {
    const text = emit(program(-1));
    for (const T of [1, 4, 9]) {
      const ex = scalarize(program(T), { stableSoftmax: true });
      const points = Array.from({ length: 2 }, () => Array.from({ length: T * 3 }, () => r() * 2 - 1));
      const want = evaluateOutputs(ex.graph, ex.outputIds, points);
      const got = await runJulia(text, [[T, 3]], points);
      got.forEach((g, k) => expect(mismatch(g, want[k], 1e-7, 1e-7), `${T} steps, point ${k}`).toBeNull());
    }
  });
});
