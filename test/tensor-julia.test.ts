import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extraRunners } from '../src/verify/extra-runtimes.js';
import { juliaTensor } from '../src/emit/julia/tensor.js';
import { Nn2eqError } from '../src/errors.js';
import { convertFile, evaluateOutputs, scalarize, type ConvertOptions, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import { mulberry32 } from '../src/verify/random.js';
import { FIXTURES, fixtureNames, flat, mismatch, readReference, SHARED } from './helpers.js';
import { checkStructure } from './julia-structure.js';
import { loopProgram, opCases, opProgram } from './tensor-cases.js';

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

const emit = (p: TensorProgram) => juliaTensor.emit(p, { inline: false, maxSize: Infinity, modelName: p.modelName });

/** Runs a tensor-form text with julia on rows of flattened inputs of the given shapes. */
async function runJulia(text: string, shapes: number[][], rows: number[][]): Promise<number[][]> {
  const ports = shapes.map((shape) => ({ name: 'x', shape, offset: 0, size: shape.reduce((a, b) => a * b, 1) }));
  const result = await extraRunners(text, ports, rows.map((r) => Float64Array.from(r))).julia();
  if (!('values' in result)) throw new Error(JSON.stringify(result));
  return result.values;
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
  const cases = opCases(rand);
  const programOf = opProgram;
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
    const fail = (m: string): never => {
      throw new Error(m);
    };
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
  const program = (T: number) => loopProgram(T, weights);

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
