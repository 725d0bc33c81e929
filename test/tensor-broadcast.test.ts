import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extraRunners, runMathjsText, sympyPython } from '../src/verify/extra-runtimes.js';
import { convertFile, type Format } from '../src/index.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, readReference, runCRows, runJs, runNumpy, runSympyBatch, withCC } from './helpers.js';
import { checkStructure } from './julia-structure.js';

// The fixtures of scripts/onnx-broadcast-fixtures.py (element-wise ops that broadcast as numpy does,
// reductions without keepdims followed by a broadcast, ConvTranspose padded by more than kernel − 1),
// in every tensor format, run in its own runtime against ONNX Runtime's predictions (reference.json).

const ROOT = join(FIXTURES, 'onnx');
const NAMES = readdirSync(ROOT)
  .filter((n) => /^(broadcast_|reduce_|convtranspose_)/.test(n) && existsSync(join(ROOT, n, 'reference.json')))
  .sort();

const julia = !spawnSync(process.env.NN2EQ_JULIA || 'julia', ['--version']).error;
const py = sympyPython();

async function tensorForm(name: string, format: Format): Promise<string> {
  const { text, form } = await convertFile(join(ROOT, name, 'model.onnx'), { format, form: 'tensor' });
  expect(form).toBe('tensor');
  return text;
}

function expectMatches(got: number[][], name: string): void {
  const ref = readReference(join(ROOT, name));
  expect(got.length).toBe(ref.cases.length);
  got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs), 1e-5, 1e-4), `case ${i}`).toBeNull());
}

describe('ONNX broadcast fixtures in every tensor format, against onnxruntime-web', () => {
  it('finds the fixtures', () => expect(NAMES.length).toBeGreaterThanOrEqual(10));
  for (const name of NAMES) {
    const ref = () => readReference(join(ROOT, name));
    const rows = () => ref().cases.map((c) => flat(c.inputs));
    it(`${name}: JS`, async () => expectMatches(await runJs(await tensorForm(name, 'js'), ref().cases.map((c) => c.inputs)), name));
    withPython(`${name}: NumPy`, async () => expectMatches(await runNumpy(await tensorForm(name, 'numpy'), ref().cases.map((c) => c.inputs)), name));
    withCC(`${name}: C`, async () => expectMatches(await runCRows(await tensorForm(name, 'c'), rows(), flat(ref().cases[0].outputs).length), name), 60_000);
    it(`${name}: mathjs`, async () => expectMatches(await runMathjsText(await tensorForm(name, 'mathjs'), rows()), name), 60_000);
    withPython(`${name}: SymPy`, async () => {
      if ('skipped' in py) throw new Error(py.skipped);
      const text = await tensorForm(name, 'sympy');
      const out = await runSympyBatch(py.exe, [{ name, text, rows: rows(), shapes: ref().input_shapes }]);
      const got = out.get(name)!;
      if (got instanceof Error) throw got;
      expectMatches(got, name);
    });
    it(`${name}: Julia${julia ? '' : ' (structure only: no julia on PATH)'}`, async () => {
      const text = await tensorForm(name, 'julia');
      checkStructure(text);
      if (!julia) return;
      const shapes = ref().input_shapes;
      const ports = shapes.map((shape) => ({ name: 'x', shape, offset: 0, size: shape.reduce((a, b) => a * b, 1) }));
      const result = await extraRunners(text, ports, rows().map((r) => Float64Array.from(r))).julia();
      if (!('values' in result)) throw new Error(JSON.stringify(result));
      expectMatches(result.values, name);
    });
  }
});
