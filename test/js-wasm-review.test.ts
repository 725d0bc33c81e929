import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { emitJsTensor } from '../src/emit/js/tensor.js';
import type { TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import { wasmKernels, wasmLanes } from '../src/emit/js/wasm.js';
import { mulberry32 } from '../src/verify/random.js';
import { FIXTURES, mismatch } from './helpers.js';

// --wasm's kernels called directly (no generated module, so no fallback to the plain loops can hide
// them), against an im2col and a depthwise convolution written here in plain loops: windows whose
// strides, dilations and paddings differ between height and width (a kernel that read one for the
// other passed test/js-wasm.test.ts), and memories past 2 GiB (which nn2eq sizes for a model whose
// values, im2col matrix and weights take 2 to 4 GiB).

interface Kernels {
  memory: WebAssembly.Memory;
  im2col: (...a: number[]) => void;
  depthwise: (...a: number[]) => void;
}

function kernels(dtype: 'float32' | 'float64', pages: number): Kernels {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const e = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(wasmKernels(dtype))), { m: { memory } }).exports as unknown as Kernels;
  return { memory, im2col: e.im2col, depthwise: e.depthwise };
}

interface Window {
  inH: number;
  inW: number;
  C: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  pH: number;
  pW: number;
  outH: number;
  outW: number;
}

/** The rows of the im2col matrix: for each output pixel, its taps (kh, kw) in order, C channels each, 0 where a tap is padding. */
function im2colLoops(x: ArrayLike<number>, g: Window): number[] {
  const out: number[] = [];
  for (let oh = 0; oh < g.outH; oh++)
    for (let ow = 0; ow < g.outW; ow++)
      for (let kh = 0; kh < g.kH; kh++)
        for (let kw = 0; kw < g.kW; kw++) {
          const ih = oh * g.sH - g.pH + kh * g.dH;
          const iw = ow * g.sW - g.pW + kw * g.dW;
          for (let c = 0; c < g.C; c++) out.push(ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW ? x[(ih * g.inW + iw) * g.C + c] : 0);
        }
  return out;
}

/** A depthwise convolution (one filter per channel, D [kH, kW, C]), clamped to [lo, hi]. */
function depthwiseLoops(x: ArrayLike<number>, D: ArrayLike<number>, b: ArrayLike<number>, g: Window, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let oh = 0; oh < g.outH; oh++)
    for (let ow = 0; ow < g.outW; ow++)
      for (let c = 0; c < g.C; c++) {
        let s = b[c];
        for (let kh = 0; kh < g.kH; kh++)
          for (let kw = 0; kw < g.kW; kw++) {
            const ih = oh * g.sH - g.pH + kh * g.dH;
            const iw = ow * g.sW - g.pW + kw * g.dW;
            if (ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW) s += x[(ih * g.inW + iw) * g.C + c] * D[(kh * g.kW + kw) * g.C + c];
          }
        out.push(Math.min(hi, Math.max(lo, s)));
      }
  return out;
}

const args = (g: Window) => [g.inH, g.inW, g.C, g.kH, g.kW, g.sH, g.sW, g.dH, g.dW, g.pH, g.pW, g.outH, g.outW];

// Height and width differ in every attribute, so reading one for the other moves a tap.
const windows: [string, Window][] = [
  ['stride 2×1, dilation 1×2, padding 1×2', { inH: 7, inW: 9, C: 4, kH: 3, kW: 2, sH: 2, sW: 1, dH: 1, dW: 2, pH: 1, pW: 2, outH: 4, outW: 9 }],
  ['stride 1×3, dilation 2×1, padding 2×0', { inH: 8, inW: 10, C: 4, kH: 2, kW: 3, sH: 1, sW: 3, dH: 2, dW: 1, pH: 2, pW: 0, outH: 8, outW: 3 }],
];

describe('--wasm kernels with different windows along height and width', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const { bytes } = wasmLanes(dtype);
    const View = dtype === 'float32' ? Float32Array : Float64Array;
    for (const [name, g] of windows) {
      it(`im2col, ${name} (${dtype})`, () => {
        const k = kernels(dtype, 1);
        const r = mulberry32(7);
        const x = new View(k.memory.buffer, 1024, g.inH * g.inW * g.C);
        x.set(Array.from(x, () => Math.fround(r() * 2 - 1)));
        const rows = g.outH * g.outW * g.kH * g.kW * g.C;
        const colAt = 1024 + Math.ceil((x.length * bytes) / 16) * 16;
        k.im2col(colAt, x.byteOffset, ...args(g));
        const bad = mismatch(Array.from(new View(k.memory.buffer, colAt, rows)), im2colLoops(x, g), 0, 0);
        expect(bad, bad ?? '').toBeNull();
      });
      it(`depthwise, ${name}, then ReLU6 (${dtype})`, () => {
        const k = kernels(dtype, 1);
        const r = mulberry32(8);
        const rand = (n: number) => Array.from({ length: n }, () => Math.fround(r() * 2 - 1) * 4);
        const x = new View(k.memory.buffer, 1024, g.inH * g.inW * g.C);
        x.set(rand(x.length));
        const b = rand(g.C);
        const D = rand(g.kH * g.kW * g.C);
        const wAt = 1024 + Math.ceil((x.length * bytes) / 16) * 16;
        new View(k.memory.buffer, wAt, b.length + D.length).set([...b, ...D]);
        const yAt = wAt + Math.ceil(((b.length + D.length) * bytes) / 16) * 16;
        k.depthwise(yAt, x.byteOffset, wAt, ...args(g), 0, 6);
        const [atol, rtol] = dtype === 'float32' ? [1e-5, 1e-5] : [1e-12, 1e-12];
        const bad = mismatch(Array.from(new View(k.memory.buffer, yAt, g.outH * g.outW * g.C)), depthwiseLoops(x, D, b, g, 0, 6), atol, rtol);
        expect(bad, bad ?? '').toBeNull();
      });
    }
  }
});

describe('--wasm kernels in a memory past 2 GiB', () => {
  // 2 GiB and 1 MiB: the generated module asks for up to 4 GiB (65536 pages); pages are only touched where written.
  const pages = 32768 + 16;
  const g: Window = { inH: 2, inW: 3, C: 2, kH: 1, kW: 2, sH: 1, sW: 1, dH: 1, dW: 1, pH: 0, pW: 0, outH: 2, outW: 2 };
  for (const dtype of ['float32', 'float64'] as const) {
    const View = dtype === 'float32' ? Float32Array : Float64Array;
    it(`im2col reads an input above 2 GiB and writes a matrix across 2 GiB (${dtype})`, () => {
      const k = kernels(dtype, pages);
      const n = g.inH * g.inW * g.C;
      const rows = g.outH * g.outW * g.kH * g.kW * g.C;
      for (const [xAt, colAt] of [
        [2 ** 31 + 4096, 4096],
        [4096, 2 ** 31 - 32],
      ]) {
        const x = new View(k.memory.buffer, xAt, n);
        x.set(Array.from({ length: n }, (_, i) => i + 1));
        new View(k.memory.buffer, colAt, rows).fill(-1);
        k.im2col(colAt, xAt, ...args(g));
        const bad = mismatch(Array.from(new View(k.memory.buffer, colAt, rows)), im2colLoops(x, g), 0, 0);
        expect(bad, `x at ${xAt}, col at ${colAt}: ${bad}`).toBeNull();
      }
    });
  }
});

describe('--wasm --verify with --precision', () => {
  it("says how far the kernels move the outputs from the plain loops of the same rounded weights, not the rounding's cost", async () => {
    let err = '';
    const code = await main([join(FIXTURES, 'conv2d_same_strided', 'model.json'), '-f', 'js', '--wasm', '--precision', '3', '--verify', '--report', 'json'], { stdout: () => {}, stderr: (t) => (err += t), stdinIsTTY: true });
    expect(code).toBe(1); // 3 digits move the outputs past the tolerance
    const r = JSON.parse(err) as { wasm: { maxAbs: number }; rounding: { maxAbs: number } };
    expect(r.rounding.maxAbs).toBeGreaterThan(1e-4);
    // float64 kernels and float64 loops over the same weights differ in the order of their sums only.
    expect(r.wasm.maxAbs).toBeLessThan(1e-12);
  });
});

describe('--wasm memory for ops the kernels leave to the plain loops', () => {
  it('a 3-D convolution reserves no im2col matrix nor packed weights in HEAP', () => {
    const b = new ProgramBuilder();
    const x = b.input([16, 16, 16, 8], 0);
    b.layer = 1;
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const [y] = b.apply('conv', [x, b.constant('K', [3, 3, 3, 8, 8], new Float32Array(1728).fill(0.5))], { kernel: [3, 3, 3], strides: [1, 1, 1], dilation: [1, 1, 1], padBefore: [1, 1, 1], outSpatial: [16, 16, 16], groups: 1, bias: false }, fail);
    const program: TensorProgram = {
      tensors: b.tensors,
      equations: b.equations,
      inputs: [{ name: 'x', tensor: x }],
      outputs: [{ name: 'y', tensor: y }],
      calls: [{ layer: 'conv3d', className: 'Conv3D', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: [y] }],
      layerCount: 1,
      modelName: 'conv3d',
      file: 'conv3d',
    };
    const text = emitJsTensor(program, { inline: false, maxSize: Infinity, modelName: 'conv3d', wasm: true });
    const heap = Number(/kernels' memory \((\d+) bytes\)/.exec(text)?.[1]);
    // The input and the output, float64: 2 x 16^3 x 8 x 8 bytes, and the kernels' 64 bytes of scratch.
    expect(heap).toBe(2 * 16 ** 3 * 8 * 8 + 64);
  });
});
