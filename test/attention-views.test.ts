import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOnnxProgram } from '../src/extract/onnx/index.js';
import { convertFile, evaluate, scalarize } from '../src/index.js';
import { loadOnnx } from '../src/load/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import { findAttention, type Attention } from '../src/tensor/attention.js';
import type { T, TensorProgram } from '../src/tensor/program.js';
import { mulberry32 } from '../src/verify/random.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { FIXTURES, mismatch } from './helpers.js';

// The attention recognizer (tensor/attention.ts) looking through reshapes that only split or merge
// the scores' leading axes, with terms added in that view: Swin's shifted-window block adds its
// relative position bias to the scores [windows, heads, N, N], then its shift mask per window in
// [batch, windows, heads, N, N]. Each match is checked by numbers: softmax(scale·Q·Kᵀ + Σ masks)·V
// recomputed here from the roles it names (the masks read in their `view` shapes) equals the
// program's own value of the output, at random inputs. Hand-built programs check what must not match.

const fail = (m: string): never => {
  throw new Error(m);
};

/** Row-major strides of `shape`. */
const strides = (shape: readonly number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** `values` in `shape` broadcast (numpy's rule, aligned on the right) to `to`. */
function broadcast(values: readonly number[], shape: readonly number[], to: readonly number[]): number[] {
  const s = strides(shape);
  const off = to.length - shape.length;
  const ts = strides(to);
  const size = to.reduce((a, b) => a * b, 1);
  return Array.from({ length: size }, (_, flat) => {
    let at = 0;
    for (let d = off; d < to.length; d++) {
      const i = Math.floor(flat / ts[d]) % to[d];
      if (shape[d - off] !== 1) at += i * s[d - off];
    }
    return values[at];
  });
}

/** A·B over the last two axes, the leading ones broadcast. */
function matmul(a: readonly number[], as: readonly number[], b: readonly number[], bs: readonly number[]): { v: number[]; shape: number[] } {
  const L = Math.max(as.length, bs.length) - 2;
  const lead = Array.from({ length: L }, (_, i) => Math.max(as[as.length - 2 - L + i] ?? 1, bs[bs.length - 2 - L + i] ?? 1));
  const [n, k] = as.slice(-2);
  const m = bs[bs.length - 1];
  const A = broadcast(a, as, [...lead, n, k]);
  const B = broadcast(b, bs, [...lead, k, m]);
  const batches = lead.reduce((x, y) => x * y, 1);
  const v: number[] = [];
  for (let t = 0; t < batches; t++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A[t * n * k + i * k + q] * B[t * k * m + q * m + j];
        v.push(s);
      }
    }
  }
  return { v, shape: [...lead, n, m] };
}

/** The last two axes swapped. */
function swapLast(v: readonly number[], shape: readonly number[]): { v: number[]; shape: number[] } {
  const [r, c] = shape.slice(-2);
  const out: number[] = [];
  for (let b = 0; b < v.length / (r * c); b++) for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) out.push(v[b * r * c + i * c + j]);
  return { v: out, shape: [...shape.slice(0, -2), c, r] };
}

/**
 * The largest difference between the program's value of each match's output and the attention
 * recomputed from the match's roles, over `points` random inputs in [-1, 1].
 */
function roleError(p: TensorProgram, found: readonly Attention[], points = 2): number {
  const ex = scalarize(p, { keepValues: true });
  const n = p.inputs.reduce((s, i) => s + i.tensor.shape.reduce((a, b) => a * b, 1), 0);
  const r = mulberry32(7);
  let worst = 0;
  for (let pt = 0; pt < points; pt++) {
    const x = Array.from({ length: n }, () => 2 * r() - 1);
    const values = evaluate(ex.graph, x);
    const read = (id: number) => ex.values![id]!.ids.map((node) => values[node]);
    for (const m of found) {
      const shape = (id: number) => p.tensors[id].shape;
      const kt = m.keysTransposed ? swapLast(read(m.k), shape(m.k)) : { v: read(m.k), shape: [...shape(m.k)] };
      const s = matmul(read(m.q), shape(m.q), kt.v, kt.shape);
      let scores = s.v.map((v) => v * m.scale);
      for (const t of m.masks) {
        const add = broadcast(read(t.id), t.view ?? shape(t.id), s.shape);
        scores = scores.map((v, i) => v + add[i]);
      }
      const keys = s.shape[s.shape.length - 1];
      const weights: number[] = [];
      for (let row = 0; row < scores.length / keys; row++) {
        const part = scores.slice(row * keys, (row + 1) * keys);
        const top = Math.max(...part);
        const e = part.map((v) => (top === -Infinity ? NaN : Math.exp(v - top)));
        const sum = e.reduce((a, b) => a + b, 0);
        weights.push(...e.map((v) => v / sum));
      }
      const got = matmul(weights, s.shape, read(m.v), shape(m.v)).v;
      const want = read(m.output);
      expect(mismatch(got, want, 1e-9, 1e-9), `attention with output ${m.output}`).toBeNull();
      worst = Math.max(worst, ...got.map((v, i) => Math.abs(v - want[i])));
    }
  }
  return worst;
}

describe("Swin's shifted-window attention: found through the reshapes of its leading axes", () => {
  for (const opset of [13, 17]) {
    const file = join(FIXTURES, 'onnx', `swin_opset${opset}`, 'model.onnx');
    it(`opset ${opset}: all 3 window attentions, the shifted one with its bias and its per-window mask`, async () => {
      const p = buildOnnxProgram(await loadOnnx(file));
      const found = findAttention(p);
      expect(found.map((m) => m.dk)).toEqual([4, 4, 8]);
      expect(found.map((m) => m.masks.length)).toEqual([1, 2, 1]);
      // The shift mask [batch 1, windows 4, 1, 16, 16] reads as [4, 1, 16, 16] on the scores [windows 4, heads 2, 16, 16].
      const shift = found[1].masks[1];
      expect(p.tensors[shift.id].shape).toEqual([1, 4, 1, 16, 16]);
      expect(shift.view).toEqual([4, 1, 16, 16]);
      expect(found[1].masks[0].view).toBeUndefined();
      expect(roleError(p, found, 1)).toBeLessThan(1e-9);
    }, 60_000);
  }
  it('the LaTeX tensor form prints the three as Attention rows, the shifted mask reshaped onto the scores; KaTeX accepts it', async () => {
    const { text } = await convertFile(join(FIXTURES, 'onnx', 'swin_opset17', 'model.onnx'), { format: 'latex', form: 'tensor' });
    const rows = text.split('\n').filter((l) => /&= \\operatorname\{Attention\}/.test(l));
    expect(rows.length).toBe(3);
    expect(rows[1]).toMatch(/, c\^\{\(\d+\)\} \+ \\operatorname\{reshape\}_\{\(4, 1, 16, 16\)\}\\left\(c\^\{\(\d+\)\}\\right\)\\right\) \\\\$/);
    // No softmax row of its own is left.
    expect(text).not.toMatch(/&= \\operatorname\{softmax\}/);
    expect(await checkLatex(text)).toEqual({ valid: true });
  }, 60_000);
});

describe('hand-built scores in another view: what matches and what does not', () => {
  const r = mulberry32(3);
  const rand = (n: number) => Float32Array.from({ length: n }, () => 2 * r() - 1);
  /**
   * q, k, v from x [6, 4, 2] by different affine maps; scores = q·kᵀ·0.5, then `between`
   * (the view, added terms, reshapes back), softmax over the last axis, ·v.
   */
  const program = (between: (b: ProgramBuilder, s: T) => T, vShape: number[] = [6, 4, 2]): TensorProgram => {
    const b = new ProgramBuilder();
    const x = b.input([6, 4, 2], 0);
    b.layer = 1;
    const scaled = (f: number) => b.apply('map', [x], { fn: 'affine', params: [f, 0.1 * f] }, fail)[0];
    const q = scaled(1);
    const k = scaled(2);
    const v0 = scaled(3);
    const v = vShape.join() === '6,4,2' ? v0 : b.apply('reshape', [v0], { shape: vShape }, fail)[0];
    const [kt] = b.apply('transpose', [k], { perm: [0, 2, 1] }, fail);
    const [s] = b.apply('matmul', [q, kt], {}, fail);
    const [ss] = b.apply('map', [s], { fn: 'affine', params: [0.5, 0] }, fail);
    const before = between(b, ss);
    const [w] = b.apply('softmax', [before], { axes: [before.shape.length - 1] }, fail);
    const [y] = b.apply('matmul', [w, v], {}, fail);
    return {
      tensors: b.tensors,
      equations: b.equations,
      inputs: [{ name: 'x', tensor: x }],
      outputs: [{ name: 'y', tensor: y }],
      calls: [{ layer: 'attn', className: 'Attn', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: [y] }],
      layerCount: 1,
      modelName: 'attn',
      file: 'attn',
    };
  };
  const reshape = (b: ProgramBuilder, t: T, shape: number[]) => b.apply('reshape', [t], { shape }, fail)[0];
  const add = (b: ProgramBuilder, t: T, mask: T) => b.apply('map', [t, mask], { fn: 'add', params: [] }, fail)[0];
  /** scores [6, 4, 4] viewed as `view` ([.., 4, 4]), `mask` added there, and back. */
  const viaView = (view: number[], maskShape: number[]) => (b: ProgramBuilder, s: T) => reshape(b, add(b, reshape(b, s, view), b.constant('M', maskShape, rand(maskShape.reduce((a, c) => a * c, 1)))), [6, 4, 4]);

  const matches: [string, (b: ProgramBuilder, s: T) => T, (number[] | undefined)[]][] = [
    ['a mask per split index: [2, 3] from 6, the mask [2, 3, 4, 4]', viaView([2, 3, 4, 4], [2, 3, 4, 4]), [[6, 4, 4]]],
    ['a mask shared by every split index: [1, 1, 4, 4]', viaView([2, 3, 4, 4], [1, 1, 4, 4]), [[1, 4, 4]]],
    ['a mask of rank 2 in a view of rank 5 with axes of size 1', viaView([1, 2, 1, 3, 4, 4], [4, 4]), [[1, 4, 4]]],
    ['a mask over a size-1 axis and a full one: [1, 6, 4, 4] in [1, 6, 4, 4]', viaView([1, 6, 4, 4], [1, 6, 1, 4]), [[6, 1, 4]]],
    ['two terms: one on the scores, one in the view', (b, s) => viaView([2, 3, 4, 4], [2, 3, 1, 4])(b, add(b, s, b.constant('B', [4, 4], rand(16)))), [undefined, [6, 1, 4]]],
  ];
  for (const [name, between, views] of matches) {
    it(`matches: ${name}`, () => {
      const p = program(between);
      const found = findAttention(p);
      expect(found.length).toBe(1);
      expect(found[0].masks.map((t) => t.view)).toEqual(views);
      expect(found[0].scale).toBe(0.5);
      expect(roleError(p, found)).toBeLessThan(1e-9);
    });
  }

  const refused: [string, (b: ProgramBuilder, s: T) => T][] = [
    // Broadcast along only part of a merged index: the mask repeats with period 3 over the 6 scores rows, no broadcast of a tensor on [6, ..] adds that.
    ['a mask broadcast along the first of the two split axes only: [1, 3, 4, 4]', viaView([2, 3, 4, 4], [1, 3, 4, 4])],
    ['a mask broadcast along the second of the two split axes only: [2, 1, 4, 4]', viaView([2, 3, 4, 4], [2, 1, 4, 4])],
    // A reshape that changes the queries or keys axes is not a view of the same scores.
    ['a reshape that regroups the queries axis', (b, s) => reshape(b, add(b, reshape(b, s, [6, 2, 2, 4]), b.constant('M', [6, 2, 2, 4], rand(96))), [6, 4, 4])],
    ['a reshape that moves keys into the leading axes', (b, s) => reshape(b, add(b, reshape(b, s, [12, 4, 2]), b.constant('M', [12, 4, 2], rand(96))), [6, 4, 4])],
    // Both sides of the add lead to a product: which is the scores is not decidable here.
    ['an add of the scores and another product, both through views', (b, s) => reshape(b, add(b, reshape(b, s, [2, 3, 4, 4]), reshape(b, b.apply('matmul', [s, s], {}, fail)[0], [2, 3, 4, 4])), [6, 4, 4])],
  ];
  for (const [name, between] of refused) {
    it(`does not match: ${name}`, () => {
      expect(findAttention(program(between)).length).toBe(0);
    });
  }
  it('does not match: scores that are a product with a constant (a linear layer, then softmax and a product)', () => {
    const b = new ProgramBuilder();
    const x = b.input([6, 4, 2], 0);
    b.layer = 1;
    const [s] = b.apply('matmul', [x, b.constant('W', [2, 4], rand(8))], {}, fail);
    const [w] = b.apply('softmax', [s], { axes: [2] }, fail);
    const [y] = b.apply('matmul', [w, x], {}, fail);
    const p: TensorProgram = { tensors: b.tensors, equations: b.equations, inputs: [{ name: 'x', tensor: x }], outputs: [{ name: 'y', tensor: y }], calls: [{ layer: 'l', className: 'L', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: [y] }], layerCount: 1, modelName: 'l', file: 'l' };
    expect(findAttention(p).length).toBe(0);
  });
  it('does not match: the softmax in another view than the scores (weights [2, 3, 4, 4] times V [2, 3, 4, 2])', () => {
    const p = program((b, s) => reshape(b, s, [2, 3, 4, 4]), [2, 3, 4, 2]);
    expect(findAttention(p).length).toBe(0);
  });
});
