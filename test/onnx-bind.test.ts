import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { ROOT, runJs } from './helpers.js';
// @ts-expect-error a plain ES module shared with scripts/onnx-backend.mjs (no type declarations)
import { readTensor } from '../scripts/onnx-backend-lib.mjs';

// --bind NAME=v1,v2,… fixes an ONNX graph input to constant values, so an input that only sets a
// shape folds at conversion. Model: ONNX's own Reshape test (test/onnx-backend/node), whose target
// shape is a graph input; its expected output is ONNX's.

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

const dir = join(ROOT, 'test', 'onnx-backend', 'node', 'test_reshape_reordered_all_dims');
const model = join(dir, 'model.onnx');
type Tensor = { dims: number[]; values: number[] };
const data = (name: string) => readTensor(join(dir, 'test_data_set_0', name)) as Promise<Tensor>;

describe('--bind', () => {
  it('without it, an input that sets a Reshape target is refused, and the refusal suggests --bind', async () => {
    const r = await run([model, '-f', 'js', '--form', 'tensor']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('--bind shape=v1,v2,…');
  });

  it('folds the bound input: predict takes the data only and matches ONNX', async () => {
    const shape = await data('input_1.pb');
    const r = await run([model, '-f', 'js', '--form', 'tensor', '--bind', `shape=${shape.values.join(',')}`]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("// predict(input1): input1 of shape [2, 3, 4] ");
    const [got] = await runJs(r.out, [[Float64Array.from((await data('input_0.pb')).values)]]);
    expect(got).toEqual((await data('output_0.pb')).values);
  });

  it('--verify feeds ONNX Runtime the bound values and the formula the rest (an internal error before)', async () => {
    const shape = await data('input_1.pb');
    const r = await run([model, '-f', 'js', '--form', 'tensor', '--bind', `shape=${shape.values.join(',')}`, '--verify']);
    expect(r.err).not.toContain('internal error');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/verify: PASS — js against ONNX Runtime/);
  });

  it.each([
    [['--bind', 'nope=1,2,3'], /--bind names 'nope', which is not an input of the model/],
    [['--bind', 'shape=4,2'], /--bind shape gives 2 values, but input 'shape' has shape \[3\]/],
    [['--bind', 'shape=4,x,3'], /'x' is not a number/],
    [['--bind', 'shape=4,2.5,3'], /2\.5 is not a value of the input's type int64/],
    [['--bind', 'shape'], /is not name=v1,v2,… with numbers/],
  ])('%j is one line, exit 2', async (args, message) => {
    const r = await run([model, '-f', 'js', '--form', 'tensor', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
