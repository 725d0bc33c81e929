import type { NodeId } from '../ir/graph.js';
import { sizeOf } from './program.js';

/** A tensor lowered to scalars: its shape (without the batch) and the node of every element, row-major. */
export interface Scalars {
  readonly shape: readonly number[];
  readonly ids: readonly NodeId[];
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Permutes the axes of `t`: output axis i is input axis perm[i]. */
export function transpose(t: Scalars, perm: readonly number[]): Scalars {
  const shape = perm.map((p) => t.shape[p]);
  const inStrides = stridesOf(t.shape);
  const ids = new Array<NodeId>(t.ids.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < ids.length; o++) {
    let src = 0;
    for (let i = 0; i < shape.length; i++) src += idx[i] * inStrides[perm[i]];
    ids[o] = t.ids[src];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return { shape, ids };
}

/** Applies `f` to every group of elements that runs along `axes` (the other axes fixed). */
export function alongAxes(t: Scalars, axes: readonly number[], f: (xs: NodeId[]) => NodeId[]): Scalars {
  const rank = t.shape.length;
  const rest = [...Array(rank).keys()].filter((i) => !axes.includes(i));
  const perm = [...rest, ...axes];
  const moved = transpose(t, perm);
  const n = sizeOf(axes.map((a) => t.shape[a]));
  const out: NodeId[] = [];
  for (let at = 0; at < moved.ids.length; at += n) for (const id of f(moved.ids.slice(at, at + n))) out.push(id);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return transpose({ shape: moved.shape, ids: out }, inverse);
}

/** NumPy broadcasting of shapes (aligned at the right); null when they do not broadcast. */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] | null {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const n = k < 0 ? 1 : s[k];
      if (n === 1) continue;
      if (d !== 1 && d !== n) return null;
      d = n;
    }
    out.push(d);
  }
  return out;
}

/** For each element of `out` (row-major), the index of the element of `shape` that broadcasts to it. */
export function broadcastIndex(shape: readonly number[], out: readonly number[]): (i: number) => number {
  if (sizeOf(shape) === sizeOf(out)) return (i) => i;
  const os = stridesOf(out);
  const s = stridesOf(shape);
  const off = out.length - shape.length;
  return (i) => {
    let k = 0;
    for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) k += (Math.floor(i / os[d + off]) % out[d + off]) * s[d];
    return k;
  };
}

/** Where a window of a strided, dilated, padded convolution or pooling reads. */
export interface Geometry {
  readonly inSpatial: readonly number[];
  readonly outSpatial: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilation: readonly number[];
  readonly padBefore: readonly number[];
}

/**
 * Calls `visit(outPos, taps)` for every output position (row-major), where `taps` lists
 * [input spatial offset (row-major), kernel offset (row-major)] for the in-bounds window cells.
 */
export function windows(geo: Geometry, visit: (outPos: number, taps: [number, number][]) => void): void {
  const r = geo.inSpatial.length;
  const outCount = sizeOf(geo.outSpatial);
  const kCount = sizeOf(geo.kernel);
  const p = new Array<number>(r).fill(0);
  for (let o = 0; o < outCount; o++) {
    const taps: [number, number][] = [];
    const q = new Array<number>(r).fill(0);
    for (let k = 0; k < kCount; k++) {
      let at = 0;
      let inside = true;
      for (let i = 0; i < r; i++) {
        const x = p[i] * geo.strides[i] - geo.padBefore[i] + q[i] * geo.dilation[i];
        if (x < 0 || x >= geo.inSpatial[i]) {
          inside = false;
          break;
        }
        at = at * geo.inSpatial[i] + x;
      }
      if (inside) taps.push([at, k]);
      for (let i = r - 1; i >= 0; i--) {
        if (++q[i] < geo.kernel[i]) break;
        q[i] = 0;
      }
    }
    visit(o, taps);
    for (let i = r - 1; i >= 0; i--) {
      if (++p[i] < geo.outSpatial[i]) break;
      p[i] = 0;
    }
  }
}
