import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertFile, type Format } from '../src/index.js';
import { onnxRuntimePredict } from '../src/verify/onnx-oracle.js';
import { withPython } from './check.js';
import { mismatch, runJs, runNumpy, tmpFile } from './helpers.js';

// A DenseNet-style chain of 1000 layers, each concatenating tanh(last features · W) to everything
// before it, so every path through the program (printers, schedulers, transforms, the ONNX graph
// walk) is 1000 layers deep and the weights fill about 160 000 rows (a list that long spread into
// push() overflows the call stack). Every format converts it in both forms; the JS and NumPy tensor
// forms run it against onnxruntime-web.

const LAYERS = 1000;
/** Each layer multiplies at most the last WINDOW features (about 160 000 weights in all). */
const WINDOW = 160;

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n % 128) | 128);
  out.push(n);
  return out;
}
const field = (no: number, payload: Uint8Array | string): Buffer => {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from(varint((no << 3) | 2)), Buffer.from(varint(p.length)), p]);
};
const int = (no: number, v: number): Buffer => Buffer.from([...varint(no << 3), ...varint(v)]);

/** ONNX TensorProto: dims, data type (1 float, 7 int64), name, raw little-endian data. */
function tensor(name: string, dims: number[], values: number[], int64 = false): Buffer {
  const raw = int64 ? Buffer.from(BigInt64Array.from(values, (v) => BigInt(v)).buffer) : Buffer.from(Float32Array.from(values).buffer);
  return Buffer.concat([...dims.map((d) => int(1, d)), int(2, int64 ? 7 : 1), field(8, name), field(9, raw)]);
}
const node = (op: string, inputs: string[], outputs: string[], attrs: Buffer[] = []) => Buffer.concat([...inputs.map((i) => field(1, i)), ...outputs.map((o) => field(2, o)), field(4, op), ...attrs.map((a) => field(5, a))]);
const valueInfo = (name: string, dims: number[]) => Buffer.concat([field(1, name), field(2, field(1, Buffer.concat([int(1, 1), field(2, Buffer.concat(dims.map((d) => field(1, int(1, d)))))])))]);

/** The chain as ONNX bytes (opset 17): x [1, 2] → … → [1, 2 + LAYERS]. */
function denseChain(): Buffer {
  const nodes: Buffer[] = [];
  const inits: Buffer[] = [tensor('axis', [1], [1], true)];
  let h = 'x';
  for (let i = 0; i < LAYERS; i++) {
    const width = 2 + i;
    const start = Math.max(0, width - WINDOW);
    inits.push(tensor(`start${i}`, [1], [start], true), tensor(`end${i}`, [1], [width], true));
    inits.push(tensor(`W${i}`, [width - start, 1], Array.from({ length: width - start }, (_, k) => (((k * 7 + i) % 13) - 6) / 32)));
    nodes.push(node('Slice', [h, `start${i}`, `end${i}`, 'axis'], [`s${i}`]));
    nodes.push(node('MatMul', [`s${i}`, `W${i}`], [`m${i}`]));
    nodes.push(node('Tanh', [`m${i}`], [`t${i}`]));
    nodes.push(node('Concat', [h, `t${i}`], [`h${i}`], [Buffer.concat([field(1, 'axis'), int(3, 1), int(20, 2)])]));
    h = `h${i}`;
  }
  const graph = Buffer.concat([...nodes.map((n) => field(1, n)), field(2, 'dense_chain'), ...inits.map((t) => field(5, t)), field(11, valueInfo('x', [1, 2])), field(12, valueInfo(h, [1, 2 + LAYERS]))]);
  return Buffer.concat([int(1, 8), field(8, Buffer.concat([field(1, ''), int(2, 17)])), field(7, graph)]);
}

describe(`a DenseNet-style chain of ${LAYERS} concatenations`, () => {
  const bytes = denseChain();
  const file = tmpFile('onnx', '');
  writeFileSync(file, bytes);
  const x = [[0.5, -0.25]];
  let want: Promise<number[]> | undefined;
  const reference = () =>
    (want ??= onnxRuntimePredict(bytes, [{ name: 'x', dtype: 'float32', dims: [1, 2], values: x.flat() }]).then(([y]) => Array.from(y.values)));
  const text = async (format: Format, form: 'tensor' | 'scalar') => {
    const r = await convertFile(file, { format, form, maxSize: 1e9 });
    expect(r.form).toBe(form);
    return r.text;
  };
  const check = async (got: number[][]) => expect(mismatch(got[0], await reference(), 1e-5, 1e-4)).toBeNull();

  for (const format of ['js', 'numpy', 'c', 'julia', 'mathjs', 'mathematica', 'latex', 'sympy'] as const) {
    it(`${format}: both forms convert`, async () => {
      for (const form of ['tensor', 'scalar'] as const) expect((await text(format, form)).length).toBeGreaterThan(1000);
    }, 120_000);
  }
  it('the JS tensor form matches onnxruntime-web', async () => check(await runJs(await text('js', 'tensor'), [[x]])), 120_000);
  withPython('the NumPy tensor form matches onnxruntime-web', async () => check(await runNumpy(await text('numpy', 'tensor'), [[x]])));
});

describe('a large output', () => {
  it('an output of 270 000 elements converts in the scalar form (its scalars were spread into push())', async () => {
    const shape = [1, 3, 300, 300];
    const graph = Buffer.concat([field(1, node('Tanh', ['x'], ['y'])), field(2, 'big'), field(11, valueInfo('x', shape)), field(12, valueInfo('y', shape))]);
    const file = tmpFile('onnx', '');
    writeFileSync(file, Buffer.concat([int(1, 8), field(8, Buffer.concat([field(1, ''), int(2, 17)])), field(7, graph)]));
    const { text, form } = await convertFile(file, { format: 'js', form: 'scalar', maxSize: 1e9 });
    expect(form).toBe('scalar');
    expect(text).toMatch(/Math\.tanh/);
  }, 120_000);
});
