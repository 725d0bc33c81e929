import { attrInt, attrString } from '../../load/onnx/attributes.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { tensor, type OnnxContext, type OnnxExtractor } from './context.js';

/**
 * GridSample (onnx/reference/ops/op_grid_sample.py): X [N, C, …S] sampled at the normalized
 * coordinates grid [N, …O, r] (grid[…, 0] along the last spatial axis), output [N, C, …O]. Per
 * spatial axis the coordinate is denormalized (align_corners), rounded half to even for nearest
 * (np.rint in onnx's current reference, ONNX Runtime's nearbyint, and the conformance data, 3-D
 * cases included; an older reference rounded 3-D half away from zero), and when outside [lo, hi]
 * clamped (border) or reflected (reflection), except in bicubic mode (see coords below);
 * the taps (1, 2 or 4 per axis) are read as padding_mode says (zeros: 0 outside; border: the nearest
 * cell; reflection: the reflected cell) and weighted by the product of the per-axis linear or cubic
 * (Keys, a = −0.75) coefficients. The cells are rows of X as [N·ΠS, C], picked by `gather_rows` at
 * the flat index the model computes.
 */

type Mode = 'nearest' | 'linear' | 'cubic';
const MODES: Readonly<Record<string, Mode>> = { nearest: 'nearest', bilinear: 'linear', linear: 'linear', bicubic: 'cubic', cubic: 'cubic' };
const CUBIC_A = -0.75;

const gridSample: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const grid = ctx.tensor(1);
  const mode = MODES[attrString(ctx.node, 'mode', ctx.opset >= 20 ? 'linear' : 'bilinear')] ?? ctx.fail(`mode '${attrString(ctx.node, 'mode', '')}' is not one of ONNX's (bilinear, nearest, bicubic; linear, cubic from opset 20)`);
  const padding = attrString(ctx.node, 'padding_mode', 'zeros');
  if (padding !== 'zeros' && padding !== 'border' && padding !== 'reflection') return ctx.fail(`padding_mode '${padding}' is not one of ONNX's (zeros, border, reflection)`);
  const align = attrInt(ctx.node, 'align_corners', 0) === 1;
  const [n, c, ...S] = x.shape;
  const r = S.length;
  const O = grid.shape.slice(1, -1);
  if (r < 1 || grid.shape.length !== r + 2 || grid.shape[0] !== n || grid.shape[r + 1] !== r) {
    return ctx.fail(`grid [${grid.shape.join(', ')}] does not fit X [${x.shape.join(', ')}]: expected [N, …out, ${r}]`);
  }
  const at = [n, ...O];
  const k = (v: number) => ctx.const('k', [1], [v]);
  const where = (cond: T, a: T, b: T) => ctx.map('where', [cond, a, b], [], '_');
  const affine = (t: T, scale: number, offset: number) => ctx.map('affine', [t], [scale, offset], '_');
  /** Reflection of v into [lo, hi] by its nearer border, repeatedly: a triangle wave of period 2(hi − lo). */
  const reflect = (v: T, lo: number, hi: number) => {
    const span = hi - lo;
    // One cell with align_corners: every coordinate reflects onto it, as PyTorch's reflect_coordinates
    // has it (a period of 0 gave NaN; onnx's reference divides by the zero span).
    if (span === 0) return affine(v, 0, lo);
    const u = ctx.map('int_mod', [affine(v, 1, -lo), k(2 * span)], [], '_');
    return where(ctx.map('greater_than', [u], [span], '_'), affine(u, -1, 2 * span + lo), affine(u, 1, lo));
  };
  // Per spatial axis: the coordinate in cells, after rounding (nearest) and the out-of-range rule.
  const coords = S.map((d, axis) => {
    const lo = align ? 0 : -0.5;
    const hi = align ? d - 1 : d - 0.5;
    const g = ctx.reshape(ctx.op('slice', [grid], { begin: [0, ...O.map(() => 0), r - 1 - axis], end: [n, ...O, r - 1 - axis + 1] }, '_')[0], at, '_');
    let v = align ? affine(g, (d - 1) / 2, (d - 1) / 2) : affine(g, d / 2, (d - 1) / 2);
    if (mode === 'nearest') v = ctx.map('round_even', [v], [], '_');
    // Bicubic reads each tap by the padding rule only, as PyTorch and ONNX Runtime do: onnx's
    // reference clamps the coordinate first, which differs for border within two cells of the edge
    // (for reflection the two agree: the cubic kernel is symmetric).
    if (mode === 'cubic' || padding === 'zeros') return { v, d, lo, hi };
    const below = ctx.map('less_than', [v], [lo], '_');
    const above = ctx.map('greater_than', [v], [hi], '_');
    if (padding === 'border') v = where(above, k(d - 1), where(below, k(0), v));
    else v = where(ctx.map('or', [below, above], [], '_'), reflect(v, lo, hi), v);
    return { v, d, lo, hi };
  });
  // Per axis, its taps: the cell index (before the padding rule) and its coefficient.
  const taps = coords.map(({ v }) => {
    if (mode === 'nearest') return [{ i: ctx.map('trunc', [v], [], '_'), w: null as T | null }];
    const i0 = ctx.map('floor', [v], [], '_');
    const t = ctx.map('sub', [v, i0], [], '_');
    if (mode === 'linear') return [{ i: i0, w: affine(t, -1, 1) }, { i: affine(i0, 1, 1), w: t }];
    // Keys's cubic in the distances 1 + t, t, 1 − t, 2 − t, expanded in t and u = 1 − t.
    const u = affine(t, -1, 1);
    const poly = (z: T, a: readonly number[]) => {
      const z2 = ctx.map('mul', [z, z], [], '_');
      const z3 = ctx.map('mul', [z2, z], [], '_');
      return ctx.map('add', [affine(z3, a[3], a[0]), affine(z2, a[2], 0), affine(z, a[1], 0)], [], '_');
    };
    const outer = [0, CUBIC_A, -2 * CUBIC_A, CUBIC_A];
    const inner = [1, 0, -(CUBIC_A + 3), CUBIC_A + 2];
    return [
      { i: affine(i0, 1, -1), w: poly(t, outer) },
      { i: i0, w: poly(t, inner) },
      { i: affine(i0, 1, 1), w: poly(u, inner) },
      { i: affine(i0, 1, 2), w: poly(u, outer) },
    ];
  });
  const cells = sizeOf(S);
  const table = ctx.reshape(ctx.transpose(x, [0, ...S.map((_, i) => i + 2), 1]), [n * cells, c]);
  const base = ctx.const('n', [n, ...O.map(() => 1)], Array.from({ length: n }, (_, i) => i * cells));
  const strides = S.map((_, i) => sizeOf(S.slice(i + 1)));
  const terms: T[] = [];
  const pick = new Array<number>(r).fill(0);
  for (;;) {
    let id = base;
    let weight: T | null = null;
    let valid: T | null = null;
    for (let axis = 0; axis < r; axis++) {
      const tap = taps[axis][pick[axis]];
      const { d, lo, hi } = coords[axis];
      let i = tap.i;
      if (padding === 'border') i = ctx.map('clip', [i], [0, d - 1], '_');
      else if (padding === 'reflection') i = ctx.map('trunc', [reflect(i, lo, hi)], [], '_');
      else {
        const inside = ctx.map('and', [ctx.map('at_least', [i], [0], '_'), ctx.map('at_most', [i], [d - 1], '_')], [], '_');
        valid = valid ? ctx.map('and', [valid, inside], [], '_') : inside;
      }
      id = ctx.map('add', [id, affine(i, strides[axis], 0)], [], '_');
      if (tap.w) weight = weight ? ctx.map('mul', [weight, tap.w], [], '_') : tap.w;
    }
    let value = ctx.op('gather_rows', [table, id], {}, '_')[0];
    if (valid) value = where(ctx.reshape(valid, [...at, 1], '_'), value, k(0));
    terms.push(weight ? ctx.map('mul', [ctx.reshape(weight, [...at, 1], '_'), value], [], '_') : value);
    let axis = r - 1;
    while (axis >= 0 && ++pick[axis] === taps[axis].length) pick[axis--] = 0;
    if (axis < 0) break;
  }
  const sum = terms.length === 1 ? terms[0] : ctx.map('add', terms, [], '_');
  return [tensor(ctx.transpose(sum, [0, r + 1, ...O.map((_, i) => i + 1)], 'h'))];
};

/**
 * AffineGrid (op_affine_grid.py): the sampling grid of an affine map θ [N, r, r+1] over an output of
 * size [N, C, …S]: each position's normalized coordinates (x first; align_corners: −1 … 1 at the
 * corner cells, else at the cell centres) with a 1 appended, times θᵀ: a constant [ΠS, r+1] matrix
 * multiplied by the model's θ.
 */
const affineGrid: OnnxExtractor = (ctx) => {
  const theta = ctx.tensor(0);
  const size = Array.from(ctx.constant(1, 'size').values);
  const align = attrInt(ctx.node, 'align_corners', 0) === 1;
  const [n, , ...S] = size;
  const r = S.length;
  if ((r !== 2 && r !== 3) || theta.shape.length !== 3 || theta.shape[0] !== n || theta.shape[1] !== r || theta.shape[2] !== r + 1) {
    return ctx.fail(`theta [${theta.shape.join(', ')}] and size [${size.join(', ')}] do not fit: expected theta [N, r, r + 1] for size [N, C, …r spatial sizes], r 2 or 3`);
  }
  const coord = (d: number, i: number) => (align ? (d === 1 ? -1 : (2 * i) / (d - 1) - 1) : (2 * i + 1) / d - 1);
  const cells = sizeOf(S);
  const base = new Float64Array(cells * (r + 1));
  for (let p = 0; p < cells; p++) {
    let rest = p;
    for (let axis = r - 1; axis >= 0; axis--) {
      const i = rest % S[axis];
      rest = (rest - i) / S[axis];
      base[p * (r + 1) + (r - 1 - axis)] = coord(S[axis], i);
    }
    base[p * (r + 1) + r] = 1;
  }
  const grid = ctx.op('matmul', [ctx.const('base', [cells, r + 1], base), ctx.transpose(theta, [0, 2, 1])], {}, '_')[0];
  return [tensor(ctx.reshape(grid, [n, ...S, r], 'h'))];
};

/** ONNX op type → extractor for GridSample and AffineGrid. */
export const gridSampleOps: Record<string, OnnxExtractor> = { GridSample: gridSample, AffineGrid: affineGrid };
