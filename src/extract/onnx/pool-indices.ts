import type { WindowAttrs } from '../../tensor/ops.js';
import { sizeOf, type T } from '../../tensor/program.js';
import type { OnnxContext } from './context.js';

/**
 * MaxPool's Indices output (onnx/reference/ops/op_max_pool.py): for each window of x [N, C, …S],
 * the flat index into x of its first largest element, the spatial part row-major (storage_order
 * 0) or column-major (1). Per kernel tap, the cell read (a constant index, picked by
 * `gather_rows`; −∞ where the tap lies in the padding) and its index; the maximum of the taps;
 * then, from the last tap to the first, the index of each tap that reaches it, so the first wins.
 */
export function maxPoolIndices(ctx: OnnxContext, x: T, w: WindowAttrs, columnMajor: boolean): T {
  const [N, C, ...S] = x.shape;
  const r = S.length;
  const O = w.outSpatial;
  const plane = sizeOf(S);
  const outCells = sizeOf(O);
  const rowStride = S.map((_, i) => sizeOf(S.slice(i + 1)));
  const colStride = S.map((_, i) => sizeOf(S.slice(0, i)));
  const table = ctx.reshape(x, [N * C * plane, 1]);
  const at = [1, 1, ...O];
  const base = ctx.const('nc', [N, C, ...O.map(() => 1)], Array.from({ length: N * C }, (_, k) => k * plane));
  const taps: { v: T; pos: T; valid: T }[] = [];
  const off = new Array<number>(r).fill(0);
  for (;;) {
    const cell = new Float64Array(outCells);
    const pos = new Float64Array(outCells);
    const valid = new Float64Array(outCells);
    for (let o = 0; o < outCells; o++) {
      let rest = o;
      let inside = true;
      let rm = 0;
      let cm = 0;
      for (let i = r - 1; i >= 0; i--) {
        const oi = rest % O[i];
        rest = (rest - oi) / O[i];
        const c = oi * w.strides[i] - w.padBefore[i] + off[i] * w.dilation[i];
        if (c < 0 || c >= S[i]) inside = false;
        rm += c * rowStride[i];
        cm += c * colStride[i];
      }
      valid[o] = inside ? 1 : 0;
      cell[o] = inside ? rm : 0;
      pos[o] = columnMajor ? cm : rm;
    }
    const rows = ctx.op('gather_rows', [table, ctx.map('add', [base, ctx.const('cell', at, cell)], [], '_')], {}, '_')[0];
    const validT = ctx.const('valid', at, valid);
    const v = ctx.map('where', [validT, ctx.reshape(rows, [N, C, ...O]), ctx.const('lowest', [1], [-Infinity])], [], '_');
    taps.push({ v, pos: ctx.map('add', [base, ctx.const('pos', at, pos)], [], '_'), valid: validT });
    let i = r - 1;
    while (i >= 0 && ++off[i] === w.kernel[i]) off[i--] = 0;
    if (i < 0) break;
  }
  const m = taps.length === 1 ? taps[0].v : ctx.map('maximum', taps.map((t) => t.v), [], '_');
  let idx = taps[taps.length - 1].pos;
  for (let k = taps.length - 2; k >= 0; k--) {
    const hit = ctx.map('and', [taps[k].valid, ctx.map('equal', [taps[k].v, m], [], '_')], [], '_');
    idx = ctx.map('where', [hit, taps[k].pos, idx], [], k === 0 ? 'h' : '_');
  }
  return idx;
}
