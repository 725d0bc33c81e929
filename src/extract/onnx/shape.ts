import { attrFloat, attrInt, attrInts, attrString, attribute, floatValues } from '../../load/onnx/attributes.js';
import { isFloat, roundToFloat } from '../../tensor/dtype.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { linear, openSize } from './symbolic.js';
import { axisOf, broadcast, dtypeOf, dtypeOfVal, expandValues, konst, moved, permute, strides, tensor, type Const, type OnnxContext, type OnnxExtractor, type Val } from './context.js';

/**
 * Data movement and shape arithmetic. On constants every op here is folded at build time (so
 * Shape → Gather → Concat → Reshape chains become fixed shapes); on tensors they are the
 * program's movement ops (reshape, transpose, concat, slice, pad, upsample, reverse).
 */

const ints = (c: Const) => Array.from(c.values, (v) => Math.trunc(v));

/** Integer list from input `i` (opset ≥ some version) or attribute `name` (older opsets). */
function listFrom(ctx: OnnxContext, i: number, name: string, what: string): number[] | undefined {
  const attr = attrInts(ctx.node, name, undefined);
  if (attr) return attr;
  if (ctx.has(i)) return ints(ctx.constant(i, what));
  return undefined;
}

/** Moves a value: folded on a constant, an op on a tensor. */
function move(ctx: OnnxContext, v: Val, onConst: (c: Const) => Const, onTensor: (t: T) => T): Val {
  return v.kind === 'const' ? onConst(v) : tensor(onTensor(v.t));
}

function reshapeVal(ctx: OnnxContext, v: Val, shape: readonly number[]): Val {
  return move(ctx, v, (c) => moved(c, shape, c.values), (t) => ctx.reshape(t, shape, 'h'));
}

const constant: OnnxExtractor = (ctx) => {
  const n = ctx.node;
  const t = attribute(n, 'value', 'tensor', undefined);
  if (t) return [konst(t.dims, floatValues(t), dtypeOf(ctx, t))];
  const f = attribute(n, 'value_float', 'float', undefined);
  if (f !== undefined) return [konst([], [f], 'float32')];
  const fs = attribute(n, 'value_floats', 'floats', undefined);
  if (fs) return [konst([fs.length], fs, 'float32')];
  const i = attribute(n, 'value_int', 'int', undefined);
  if (i !== undefined) return [konst([], [i], 'int64')];
  const is = attribute(n, 'value_ints', 'ints', undefined);
  if (is) return [konst([is.length], is, 'int64')];
  return ctx.fail('has no value nn2eq reads (value, value_float(s), value_int(s))');
};

const constantOfShape: OnnxExtractor = (ctx) => {
  const shape = ints(ctx.constant(0, 'shape'));
  const t = attribute(ctx.node, 'value', 'tensor', undefined);
  const v = t ? floatValues(t)[0] : 0;
  return [konst(shape, new Float64Array(sizeOf(shape)).fill(v), t ? dtypeOf(ctx, t) : 'float32')];
};

const shapeOp: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const r = dims.length;
  const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
  const start = clamp(attrInt(ctx.node, 'start', 0));
  const end = clamp(attrInt(ctx.node, 'end', r));
  const kept = dims.slice(start, end);
  // An axis of any length (-1) is the sequence length T: its entry is 0 + 1·T (symbolic.ts).
  return [linear([kept.length], kept.map((d) => (d === -1 ? 0 : d)), kept.map((d) => (d === -1 ? 1 : 0)), 'int64')];
};

const reshape: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  const dims = ctx.shape(0);
  const target = ctx.opset < 5 ? konst([attrInts(ctx.node, 'shape', []).length], attrInts(ctx.node, 'shape', []), 'int64') : ctx.constant(1, 'target shape');
  const spec = ints(target);
  const allowZero = attrInt(ctx.node, 'allowzero', 0) === 1;
  // Sizes as k·T^n: an axis of any length (-1 in a shape, T·1 in a target) is a factor T.
  const sized = (s: readonly number[]): [number, number] => [sizeOf(s.filter((d) => d !== -1)), s.filter((d) => d === -1).length];
  const shown = (s: readonly number[]) => s.map((d, i) => ((target.sym?.[i] ?? 0) === 1 && d === 0 ? 'T' : d)).join(', ');
  const refuse = (): never => ctx.fail(`cannot reshape [${dims.map((d) => (d === -1 ? 'T' : d)).join(', ')}] to [${shown(spec)}]`);
  let infer = -1;
  const out = spec.map((d, i) => {
    const s = target.sym?.[i] ?? 0;
    if (s !== 0) return s === 1 && d === 0 ? -1 : ctx.fail(`its target shape has ${s}·T${d ? ` + ${d}` : ''} where T is the sequence length of any length; the tensor form has axes of length T only`);
    if (d === 0 && !allowZero) return dims[i];
    if (d !== -1) return d;
    if (infer >= 0) refuse();
    infer = i;
    return 1;
  });
  const [k, n] = sized(dims);
  if (infer >= 0) {
    const [m, p] = sized(out);
    const q = k / m;
    if (n === p && Number.isInteger(q)) out[infer] = q;
    else if (n === p + 1 && q === 1) out[infer] = -1;
    else refuse();
  }
  const [k2, n2] = sized(out);
  if (k2 !== k || n2 !== n) refuse();
  if (v.kind === 'const' && out.includes(-1)) return ctx.fail('reshapes a constant to a shape of the sequence length T, which needs T fixed');
  return [reshapeVal(ctx, v, out)];
};

const flatten: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const axis = attrInt(ctx.node, 'axis', 1);
  const a = axis < 0 ? axis + dims.length : axis;
  return [reshapeVal(ctx, ctx.val(0), [sizeOf(dims.slice(0, a)), sizeOf(dims.slice(a))])];
};

const transposeOp: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const perm = attrInts(ctx.node, 'perm', undefined) ?? [...dims.keys()].reverse();
  return [move(ctx, ctx.val(0), (c) => moved(c, perm.map((p) => c.dims[p]), permute(c.values, c.dims, perm)), (t) => ctx.transpose(t, perm, 'h'))];
};

/**
 * DepthToSpace (DCR or CRD) and SpaceToDepth on [N, C, H, W]: a reshape, a transpose and a
 * reshape, as ONNX defines them; a constant is folded the same way.
 */
function blocks(toSpace: boolean): OnnxExtractor {
  return (ctx) => {
    const dims = ctx.shape(0);
    if (dims.length !== 4) return ctx.fail(`expects a tensor [N, C, H, W], found [${dims.join(', ')}]`);
    const b = attrInt(ctx.node, 'blocksize', 0);
    const [n, c, h, w] = dims;
    if (b < 1) return ctx.fail(`blocksize ${b} is not a positive whole number`);
    let split: number[], perm: number[], out: number[];
    if (toSpace) {
      if (c % (b * b) !== 0) return ctx.fail(`${c} channels do not split into blocks of ${b}×${b}`);
      const crd = attrString(ctx.node, 'mode', 'DCR') === 'CRD';
      split = crd ? [n, c / (b * b), b, b, h, w] : [n, b, b, c / (b * b), h, w];
      perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
      out = [n, c / (b * b), h * b, w * b];
    } else {
      if (h % b !== 0 || w % b !== 0) return ctx.fail(`height ${h} and width ${w} are not multiples of the blocksize ${b}`);
      split = [n, c, h / b, b, w / b, b];
      perm = [0, 3, 5, 1, 2, 4];
      out = [n, c * b * b, h / b, w / b];
    }
    const moves = (v: Val): Val => {
      const s = reshapeVal(ctx, v, split);
      const t = move(ctx, s, (k) => moved(k, perm.map((p) => k.dims[p]), permute(k.values, k.dims, perm)), (x) => ctx.transpose(x, perm, '_'));
      return reshapeVal(ctx, t, out);
    };
    return [moves(ctx.val(0))];
  };
}

const squeeze: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const axes = (listFrom(ctx, 1, 'axes', 'axes') ?? dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => axisOf(ctx, a, dims.length));
  return [reshapeVal(ctx, ctx.val(0), dims.filter((_, i) => !axes.includes(i)))];
};

const unsqueeze: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const given = listFrom(ctx, 1, 'axes', 'axes') ?? ctx.fail('axes are missing');
  const rank = dims.length + given.length;
  const axes = given.map((a) => axisOf(ctx, a, rank));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : dims[k++]);
  return [reshapeVal(ctx, ctx.val(0), out)];
};

/** Concatenates constants along `axis`. */
function concatConst(parts: readonly Const[], axis: number): Const {
  const dims = [...parts[0].dims];
  dims[axis] = parts.reduce((n, p) => n + p.dims[axis], 0);
  const outer = sizeOf(dims.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const inner = sizeOf(p.dims.slice(axis));
      for (let i = 0; i < inner; i++) out.push(p.values[o * inner + i]);
    }
  }
  return moved(parts[0], dims, out);
}

const concat: OnnxExtractor = (ctx) => {
  const vals = ctx.node.inputs.map((_, i) => ctx.val(i));
  // Empty tensors (shape arithmetic's zero-length pieces) add nothing; an open axis (-1) is not empty.
  const keep = vals.map((v, i) => [v, i] as const).filter(([v]) => !(v.kind === 'const' ? v.dims : v.t.shape).includes(0));
  const rank = ctx.shape(0).length;
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), rank);
  if (keep.length === 0) return [vals[0]];
  if (keep.every(([v]) => v.kind === 'const')) return [concatConst(keep.map(([v]) => v as Const), axis)];
  if (keep.length === 1) return [keep[0][0]];
  return [tensor(ctx.op('concat', keep.map(([, i]) => ctx.tensor(i)), { axis })[0])];
};

/** Elements [begin, end) of one axis. */
function sliceAxis(ctx: OnnxContext, v: Val, axis: number, begin: number, end: number, role = 'h'): Val {
  const dims = v.kind === 'const' ? v.dims : v.t.shape;
  if (begin === 0 && end === dims[axis]) return v;
  const b = dims.map((_, i) => (i === axis ? begin : 0));
  const e = dims.map((d, i) => (i === axis ? end : d));
  return sliceBox(ctx, v, b, e, role);
}

function sliceBox(ctx: OnnxContext, v: Val, b: readonly number[], e: readonly number[], role = 'h'): Val {
  if (v.kind === 'const') {
    const out = e.map((x, i) => x - b[i]);
    const st = strides(v.dims);
    const os = strides(out);
    const vals = new Float64Array(sizeOf(out));
    for (let o = 0; o < vals.length; o++) {
      let at = 0;
      let rest = o;
      for (let i = 0; i < out.length; i++) {
        const q = Math.floor(rest / os[i]);
        rest -= q * os[i];
        at += (q + b[i]) * st[i];
      }
      vals[o] = v.values[at];
    }
    return moved(v, out, vals);
  }
  return tensor(ctx.op('slice', [v.t], { begin: [...b], end: [...e] }, role)[0]);
}

const split: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  const dims = ctx.shape(0);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), dims.length);
  const n = ctx.node.outputs.length;
  let sizes = ctx.opset < 13 ? attrInts(ctx.node, 'split', undefined) : ctx.has(1) ? ints(ctx.constant(1, 'split')) : undefined;
  if (!sizes) {
    const parts = attrInt(ctx.node, 'num_outputs', n);
    const each = Math.ceil(dims[axis] / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.min(each, dims[axis] - i * each));
  }
  let at = 0;
  return sizes.map((s) => {
    // An empty piece (RotaryEmbedding's function splits off the 0 elements it does not rotate) is a folded empty value; Concat drops it.
    const out = s === 0 ? konst(dims.map((d, i) => (i === axis ? 0 : d)), [], dtypeOfVal(v)) : sliceAxis(ctx, v, axis, at, at + s, 'h');
    at += s;
    return out;
  });
};

const slice: OnnxExtractor = (ctx) => {
  let v = ctx.val(0);
  const dims = ctx.shape(0);
  const r = dims.length;
  const starts = ctx.opset < 10 ? attrInts(ctx.node, 'starts', []) : ints(ctx.constant(1, 'starts'));
  const ends = ctx.opset < 10 ? attrInts(ctx.node, 'ends', []) : ints(ctx.constant(2, 'ends'));
  const axes = (ctx.opset < 10 ? attrInts(ctx.node, 'axes', undefined) : ctx.has(3) ? ints(ctx.constant(3, 'axes')) : undefined) ?? starts.map((_, i) => i);
  const steps = ctx.opset >= 10 && ctx.has(4) ? ints(ctx.constant(4, 'steps')) : starts.map(() => 1);
  const b = dims.map(() => 0);
  const e = [...dims];
  const reversed: number[] = [];
  // Axes with |step| > 1: the box takes elements first, first + |step|, …; every |step|-th is kept after.
  const strided: [number, number][] = [];
  axes.forEach((a0, k) => {
    const a = axisOf(ctx, a0, r);
    const d = dims[a];
    const step = steps[k];
    let s = starts[k] < 0 ? starts[k] + d : starts[k];
    let en = ends[k] < 0 ? ends[k] + d : ends[k];
    if (step > 0 && Number.isInteger(step)) {
      s = Math.min(Math.max(s, 0), d);
      en = Math.min(Math.max(en, 0), d);
      const n = Math.max(0, Math.ceil((en - s) / step));
      b[a] = s;
      e[a] = n === 0 ? s : s + (n - 1) * step + 1;
      if (step > 1 && n > 1) strided.push([a, step]);
    } else if (step < 0 && Number.isInteger(step)) {
      // Elements s, s−|step|, … down to en+1: reverse the axis and take them forwards.
      s = Math.min(Math.max(s, -1), d - 1);
      en = Math.min(Math.max(en, -1), d - 1);
      const n = Math.max(0, Math.ceil((s - en) / -step));
      b[a] = d - 1 - s;
      e[a] = n === 0 ? b[a] : b[a] + (n - 1) * -step + 1;
      reversed.push(a);
      if (step < -1 && n > 1) strided.push([a, -step]);
    } else {
      ctx.fail(`step ${step} on axis ${a}; ONNX's steps are nonzero integers`);
    }
  });
  for (const a of reversed) v = reverseVal(ctx, v, a);
  if (e.some((x, i) => x - b[i] === 0)) return [konst(e.map((x, i) => x - b[i]), [], dtypeOfVal(v))];
  v = sliceBox(ctx, v, b, e);
  for (const [a, step] of strided) v = everyNth(ctx, v, a, step);
  return [v];
};

/** Elements 0, k, 2k, … of an axis: padded to a multiple of k, split into rows of k, the first column kept. */
function everyNth(ctx: OnnxContext, v: Val, axis: number, k: number): Val {
  const dims = v.kind === 'const' ? v.dims : v.t.shape;
  const n = Math.ceil(dims[axis] / k);
  if (v.kind === 'const') {
    const out = dims.map((d, i) => (i === axis ? n : d));
    const st = strides(dims);
    const os = strides(out);
    const vals = new Float64Array(sizeOf(out));
    for (let o = 0; o < vals.length; o++) {
      const q = Math.floor(o / os[axis]) % n;
      const outer = Math.floor(o / (os[axis] * n));
      const inner = o % os[axis];
      vals[o] = v.values[outer * st[axis] * dims[axis] + q * k * st[axis] + inner];
    }
    return moved(v, out, vals);
  }
  const extra = n * k - dims[axis];
  const t = extra === 0 ? v.t : ctx.op('pad', [v.t], { before: dims.map(() => 0), after: dims.map((_, i) => (i === axis ? extra : 0)) }, '_')[0];
  const rows = ctx.reshape(t, [...dims.slice(0, axis), n, k, ...dims.slice(axis + 1)]);
  const first = ctx.op('slice', [rows], { begin: rows.shape.map(() => 0), end: rows.shape.map((d, i) => (i === axis + 1 ? 1 : d)) }, '_')[0];
  return tensor(ctx.reshape(first, dims.map((d, i) => (i === axis ? n : d)), 'h'));
}

function reverseVal(ctx: OnnxContext, v: Val, axis: number): Val {
  if (v.kind === 'const') {
    const dims = v.dims;
    const st = strides(dims);
    const out = new Float64Array(v.values.length);
    for (let o = 0; o < out.length; o++) {
      const q = Math.floor(o / st[axis]) % dims[axis];
      out[o] = v.values[o + (dims[axis] - 1 - 2 * q) * st[axis]];
    }
    return moved(v, dims, out);
  }
  return tensor(ctx.op('reverse', [v.t], { axis }, '_')[0]);
}

const gather: OnnxExtractor = (ctx) => {
  const data = ctx.val(0);
  const idx = ctx.val(1);
  const dims = ctx.shape(0);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), dims.length);
  if (idx.kind === 'const') {
    const ids = ints(idx).map((i) => (i < 0 ? i + dims[axis] : i));
    if (ids.some((i) => i < 0 || i >= dims[axis])) return ctx.fail(`an index is out of range for axis ${axis} of length ${dims[axis]}`);
    const pieces = ids.map((i) => sliceAxis(ctx, data, axis, i, i + 1, '_'));
    let joined: Val;
    if (pieces.every((p) => p.kind === 'const')) joined = pieces.length === 0 ? konst([...dims.slice(0, axis), 0, ...dims.slice(axis + 1)], [], dtypeOfVal(data)) : concatConst(pieces as Const[], axis);
    else if (pieces.length === 1) joined = pieces[0];
    else joined = tensor(ctx.op('concat', pieces.map((p) => (p as { t: T }).t), { axis }, '_')[0]);
    return [reshapeVal(ctx, joined, [...dims.slice(0, axis), ...idx.dims, ...dims.slice(axis + 1)])];
  }
  if (data.kind === 'const' && axis === 0) {
    // A lookup table (Embedding): rows picked by computed integer ids.
    const cols = sizeOf(dims.slice(1));
    const table = ctx.const('E', [dims[0], cols], data.values);
    const y = ctx.op('gather', [idx.t, table], {}, '_')[0];
    return [tensor(ctx.reshape(y, [...idx.t.shape, ...dims.slice(1)], 'h'))];
  }
  // Computed indices into a computed tensor: the axis moved to the front and flattened into rows,
  // the rows picked (`gather_rows`: NaN for an index out of range), the indices' axes put back
  // where the axis was. A negative index counts from the end, as ONNX says.
  const n = dims[axis];
  const perm = [axis, ...dims.map((_, i) => i).filter((i) => i !== axis)];
  const rest = perm.slice(1).map((i) => dims[i]);
  const table = ctx.reshape(ctx.transpose(ctx.tensor(0), perm), [n, sizeOf(rest)]);
  const ids = ctx.map('add', [idx.t, ctx.map('affine', [ctx.map('less_than', [idx.t], [0], '_')], [n, 0], '_')], [], '_');
  const rows = ctx.op('gather_rows', [table, ids], {}, '_')[0];
  const q = idx.t.shape.length;
  const y = ctx.reshape(rows, [...idx.t.shape, ...rest], '_');
  const order = [...Array.from({ length: axis }, (_, i) => q + i), ...Array.from({ length: q }, (_, i) => i), ...Array.from({ length: dims.length - 1 - axis }, (_, i) => q + axis + i)];
  return [tensor(ctx.transpose(y, order, 'h'), dtypeOfVal(data))];
};

const pad: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  const dims = ctx.shape(0);
  const r = dims.length;
  const mode = attrString(ctx.node, 'mode', 'constant');
  let pads = ctx.opset < 11 ? attrInts(ctx.node, 'pads', undefined) ?? attrInts(ctx.node, 'paddings', []) : ints(ctx.constant(1, 'pads'));
  // A computed constant_value (a graph input) fills the padding by a choice (where), never by a product.
  const given = ctx.opset >= 11 && ctx.has(2) ? ctx.val(2) : null;
  const fill = given?.kind === 'tensor' && mode === 'constant' ? given.t : null;
  if (fill && sizeOf(fill.shape) !== 1) return ctx.fail(`constant_value has shape [${fill.shape.join(', ')}], expected one number`);
  const value = ctx.opset < 11 ? attrFloat(ctx.node, 'value', 0) : fill || mode !== 'constant' ? 0 : ctx.has(2) ? ctx.constant(2, 'constant_value').values[0] : 0;
  if (ctx.opset >= 18 && ctx.has(3)) {
    const axes = ints(ctx.constant(3, 'axes')).map((a) => axisOf(ctx, a, r));
    const full = new Array<number>(2 * r).fill(0);
    axes.forEach((a, k) => {
      full[a] = pads[k];
      full[a + r] = pads[k + axes.length];
    });
    pads = full;
  }
  if (mode === 'reflect' || mode === 'edge' || mode === 'wrap') {
    if (pads.some((p) => p < 0)) return ctx.fail(`negative pads with mode '${mode}' are not supported`);
    // Copies of the input's own elements, axis by axis: slices (reversed for reflect) around it.
    let y: Val = v;
    for (let a = 0; a < r; a++) {
      const [pb, pe] = [pads[a], pads[a + r]];
      if (pb === 0 && pe === 0) continue;
      const d = dims[a];
      if (mode === 'reflect' && (pb >= d || pe >= d)) return ctx.fail(`reflect pads of ${Math.max(pb, pe)} on an axis of length ${d}`);
      if (mode === 'wrap' && (pb > d || pe > d)) return ctx.fail(`wrap pads of ${Math.max(pb, pe)} on an axis of length ${d}`);
      const parts: Val[] = [];
      const edge = (i: number) => Array.from({ length: i === 0 ? pb : pe }, () => sliceAxis(ctx, y, a, i, i + 1, '_'));
      if (pb > 0) parts.push(...(mode === 'edge' ? edge(0) : mode === 'reflect' ? [reverseVal(ctx, sliceAxis(ctx, y, a, 1, pb + 1, '_'), a)] : [sliceAxis(ctx, y, a, d - pb, d, '_')]));
      parts.push(y);
      if (pe > 0) parts.push(...(mode === 'edge' ? edge(d - 1) : mode === 'reflect' ? [reverseVal(ctx, sliceAxis(ctx, y, a, d - 1 - pe, d - 1, '_'), a)] : [sliceAxis(ctx, y, a, 0, pe, '_')]));
      y = parts.every((p) => p.kind === 'const') ? concatConst(parts as Const[], a) : tensor(ctx.op('concat', parts.map((p) => (p.kind === 'const' ? ctx.const('c', p.dims, p.values) : p.t)), { axis: a }, '_')[0]);
    }
    return [y];
  }
  if (mode !== 'constant') return ctx.fail(`mode '${mode}' is not constant, reflect, edge or wrap`);
  // Negative pads crop.
  const before = dims.map((_, i) => Math.max(0, pads[i]));
  const after = dims.map((_, i) => Math.max(0, pads[i + r]));
  let x: Val = v;
  if (pads.some((p) => p < 0)) x = sliceBox(ctx, x, dims.map((_, i) => Math.max(0, -pads[i])), dims.map((d, i) => d - Math.max(0, -pads[i + r])), '_');
  if (before.every((p) => p === 0) && after.every((p) => p === 0)) return [x];
  const t = x.kind === 'const' ? ctx.const('c', x.dims, x.values) : x.t;
  let y = ctx.op('pad', [t], { before, after }, value === 0 && !fill ? 'h' : '_')[0];
  if (value !== 0 || fill) {
    // Zeros, then the value added where the padding is.
    const mask = new Float64Array(sizeOf(y.shape));
    const st = strides(y.shape);
    for (let o = 0; o < mask.length; o++) {
      let rest = o;
      let inside = true;
      for (let i = 0; i < r; i++) {
        const q = Math.floor(rest / st[i]);
        rest -= q * st[i];
        if (q < before[i] || q >= before[i] + t.shape[i]) inside = false;
      }
      mask[o] = inside ? 0 : fill ? 1 : value;
    }
    y = fill ? ctx.map('where', [ctx.const('m', y.shape, mask), ctx.reshape(fill, y.shape.map(() => 1)), y]) : ctx.map('add', [y, ctx.const('p', y.shape, mask)]);
  }
  return [tensor(y)];
};

/**
 * Integer nearest-neighbour factors, checked against ONNX's coordinate rules (the program's
 * `upsample` op repeats each element), or null where the resize is not such a repetition.
 */
function nearestFactors(ctx: OnnxContext, dims: readonly number[], out: readonly number[], ctm: string, nm: string): number[] | null {
  const factors = out.map((o, i) => o / dims[i]);
  if (factors.some((f) => !Number.isInteger(f) || f < 1)) return null;
  // Every output index must pick input floor(i / f), the up-sampling the program's op does.
  for (let a = 0; a < dims.length; a++) {
    const f = factors[a];
    for (let i = 0; i < out[a]; i++) {
      let x: number;
      if (ctm === 'asymmetric') x = i / f;
      else if (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel') x = out[a] > 1 || ctm === 'half_pixel' ? (i + 0.5) / f - 0.5 : 0;
      else if (ctm === 'align_corners') x = out[a] > 1 ? (i * (dims[a] - 1)) / (out[a] - 1) : 0;
      else if (ctm === 'tf_half_pixel_for_nn') x = (i + 0.5) / f;
      else return null;
      let k: number;
      if (nm === 'floor') k = Math.floor(x);
      else if (nm === 'ceil') k = Math.ceil(x);
      else if (nm === 'round_prefer_ceil') k = Math.floor(x + 0.5);
      else k = Math.ceil(x - 0.5);
      k = Math.min(Math.max(k, 0), dims[a] - 1);
      if (k !== Math.floor(i / f)) return null;
    }
  }
  return factors;
}

/** How Resize maps and weighs the input along each axis (its attributes). */
interface ResizeRule {
  readonly mode: string;
  readonly ctm: string;
  readonly nearestMode: string;
  readonly cubicA: number;
  readonly antialias: boolean;
  readonly excludeOutside: boolean;
}

/** The weights of the neighbours of a source coordinate with fraction `ratio` (ONNX's reference, op_resize.py). */
function resizeCoeffs(rule: ResizeRule, ratio: number, scale: number): number[] {
  const A = rule.cubicA;
  if (rule.mode === 'nearest') {
    if (Number.isInteger(ratio)) return [0, 1];
    const nm = rule.nearestMode;
    const up = nm === 'round_prefer_floor' ? ratio > 0.5 : nm === 'round_prefer_ceil' ? ratio >= 0.5 : nm === 'ceil';
    return up ? [0, 1] : [1, 0];
  }
  if (rule.mode === 'linear') {
    if (!rule.antialias) return [1 - ratio, ratio];
    const s = Math.min(scale, 1);
    const start = Math.floor(-1 / s) + 1;
    const cs = Array.from({ length: 2 - 2 * start }, (_, k) => Math.min(Math.max(1 - Math.abs((start + k - ratio) * s), 0), 1));
    const sum = cs.reduce((a, b) => a + b, 0);
    return cs.map((c) => c / sum);
  }
  if (!rule.antialias) {
    const r1 = ratio + 1;
    const q = 1 - ratio;
    const q1 = q + 1;
    return [((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A, ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1, ((A + 2) * q - (A + 3)) * q * q + 1, ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A];
  }
  const s = Math.min(scale, 1);
  const coeff = (x0: number) => {
    const x = Math.abs(x0);
    if (x <= 1) return (A + 2) * x ** 3 - (A + 3) * x * x + 1;
    if (x < 2) return A * x ** 3 - 5 * A * x * x + 8 * A * x - 4 * A;
    return 0;
  };
  const start = Math.floor(-2 / s) + 1;
  const cs = Array.from({ length: 2 - 2 * start }, (_, k) => coeff(s * (start + k - ratio)));
  const sum = cs.reduce((a, b) => a + b, 0);
  return cs.map((c) => c / sum);
}

/**
 * Resize along one axis as a constant [in, out] matrix (each output a fixed combination of the
 * inputs, as ONNX's reference computes it) and the outputs that take the extrapolation value
 * (tf_crop_and_resize outside the roi).
 */
function resizeMatrix(ctx: OnnxContext, rule: ResizeRule, inW: number, outW: number, scale: number, roi: readonly [number, number] | null): { w: Float64Array; outside: boolean[] } {
  const w = new Float64Array(inW * outW);
  const outside: boolean[] = [];
  const width = scale * inW;
  for (let y = 0; y < outW; y++) {
    let x: number;
    switch (rule.ctm) {
      case 'align_corners': x = width === 1 ? 0 : (y * (inW - 1)) / (width - 1); break;
      case 'asymmetric': x = y / scale; break;
      case 'tf_crop_and_resize': {
        const [r0, r1] = roi ?? [0, 1];
        x = (width === 1 ? ((r1 - r0) * (inW - 1)) / 2 : (y * (r1 - r0) * (inW - 1)) / (width - 1)) + r0 * (inW - 1);
        break;
      }
      case 'pytorch_half_pixel': x = width === 1 ? -0.5 : (y + 0.5) / scale - 0.5; break;
      case 'half_pixel': x = (y + 0.5) / scale - 0.5; break;
      case 'half_pixel_symmetric': x = (inW / 2) * (1 - outW / width) + (y + 0.5) / scale - 0.5; break;
      case 'tf_half_pixel_for_nn': x = (y + 0.5) / scale; break;
      default: return ctx.fail(`coordinate_transformation_mode '${rule.ctm}' is not one ONNX defines`);
    }
    outside.push(rule.ctm === 'tf_crop_and_resize' && (x < 0 || x > inW - 1));
    if (outside[y]) continue;
    const xi = Math.floor(x);
    const cs = resizeCoeffs(rule, x === xi ? 1 : x - xi, scale);
    const n = cs.length;
    const pad = Math.ceil(n / 2);
    const p = Math.floor(x + pad);
    const frac = x + pad - p;
    const offset = n % 2 === 0 ? (frac === 0 ? -(n / 2) : -(n / 2) + 1) : frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1;
    const idx = cs.map((_, j) => p + offset + j - pad);
    if (rule.excludeOutside) {
      idx.forEach((k, j) => void (k < 0 || k >= inW ? (cs[j] = 0) : 0));
      const sum = cs.reduce((a, b) => a + b, 0) || 1;
      for (let j = 0; j < n; j++) cs[j] /= sum;
    }
    idx.forEach((k, j) => void (w[Math.min(Math.max(k, 0), inW - 1) * outW + y] += cs[j]));
  }
  return { w, outside };
}

const resize: OnnxExtractor = (ctx) => {
  const old = ctx.node.opType === 'Upsample' || ctx.opset < 11;
  const mode = attrString(ctx.node, 'mode', 'nearest').replace(/^bilinear$/, 'linear');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') return ctx.fail(`mode '${mode}' is not nearest, linear or cubic`);
  const dims = ctx.shape(0);
  const r = dims.length;
  let scales: number[] | null = null;
  let sizes: number[] | null = null;
  let roi: number[] | null = null;
  if (ctx.node.opType === 'Upsample') scales = ctx.opset < 9 ? attribute(ctx.node, 'scales', 'floats', [] as number[]) : Array.from(ctx.constant(1, 'scales').values);
  else if (ctx.opset < 11) scales = Array.from(ctx.constant(1, 'scales').values);
  else {
    if (ctx.has(2) && ctx.constant(2, 'scales').values.length > 0) scales = Array.from(ctx.constant(2, 'scales').values);
    if (ctx.has(3)) sizes = ints(ctx.constant(3, 'sizes'));
    if (ctx.has(1) && ctx.constant(1, 'roi').values.length > 0) roi = Array.from(ctx.constant(1, 'roi').values);
  }
  if (!scales && !sizes) return ctx.fail('neither scales nor sizes is given');
  const axes = (attrInts(ctx.node, 'axes', undefined) ?? dims.map((_, i) => i)).map((a) => axisOf(ctx, a, r));
  const given = scales ?? sizes!;
  if (given.length !== axes.length) return ctx.fail(`${scales ? 'scales' : 'sizes'} has ${given.length} values for ${axes.length} axes`);
  // Per axis of the input: its scale, its output length and its roi (ONNX's _interpolate_nd).
  const scale = dims.map(() => 1);
  const out = [...dims];
  const box: ([number, number] | null)[] = dims.map(() => null);
  axes.forEach((a, i) => {
    if (roi) box[a] = [roi[i], roi[axes.length + i]];
    if (scales) {
      scale[a] = scales[i];
      out[a] = Math.trunc(scales[i] * dims[a]);
    } else scale[a] = sizes![i] / dims[a];
  });
  if (sizes) {
    const policy = attrString(ctx.node, 'keep_aspect_ratio_policy', 'stretch');
    if (policy === 'not_larger' || policy === 'not_smaller') {
      const s = (policy === 'not_larger' ? Math.min : Math.max)(...axes.map((a) => scale[a]));
      for (const a of axes) {
        scale[a] = s;
        out[a] = Math.trunc(s * dims[a] + 0.5);
      }
    } else if (policy !== 'stretch') return ctx.fail(`keep_aspect_ratio_policy '${policy}' is not stretch, not_larger or not_smaller`);
    else axes.forEach((a, i) => void (out[a] = sizes![i]));
  }
  const rule: ResizeRule = {
    mode,
    ctm: attrString(ctx.node, 'coordinate_transformation_mode', old ? 'asymmetric' : 'half_pixel'),
    nearestMode: attrString(ctx.node, 'nearest_mode', old ? 'floor' : 'round_prefer_floor'),
    cubicA: attrFloat(ctx.node, 'cubic_coeff_a', -0.75),
    antialias: attrInt(ctx.node, 'antialias', 0) !== 0 && mode !== 'nearest',
    excludeOutside: attrInt(ctx.node, 'exclude_outside', 0) !== 0,
  };
  if (out.some((o) => o < 1)) return ctx.fail(`the output shape [${out.join(', ')}] is empty`);
  // Whole nearest-neighbour factors: the program's repeat of each element.
  const factors = mode === 'nearest' && !roi ? nearestFactors(ctx, dims, out, rule.ctm, rule.nearestMode) : null;
  if (factors) return [tensor(ctx.op('upsample', [ctx.tensor(0)], { factors })[0])];
  // Otherwise one constant matrix per resized axis (resizing is separable), applied to that axis
  // moved last, plus the extrapolation value where tf_crop_and_resize leaves the roi.
  const extrapolation = attrFloat(ctx.node, 'extrapolation_value', 0);
  let y = ctx.tensor(0);
  for (const a of axes) {
    const trivial = Math.abs(scale[a] - 1) <= 1e-9 && out[a] === dims[a] && (!box[a] || (Math.abs(box[a]![0]) <= 1e-9 && Math.abs(box[a]![1] - 1) <= 1e-9));
    if (trivial) continue;
    const { w, outside } = resizeMatrix(ctx, rule, dims[a], out[a], scale[a], box[a]);
    const perm = [...dims.keys()].filter((i) => i !== a).concat(a);
    const back = perm.map((_, i) => perm.indexOf(i));
    const moved1 = ctx.transpose(y, perm);
    const bias = outside.some(Boolean) ? [ctx.const('b', [out[a]], outside.map((o) => (o ? extrapolation : 0)))] : [];
    const z = ctx.op('dense', [moved1, ctx.const('w', [dims[a], out[a]], w), ...bias], { pairs: 1, bias: bias.length > 0 })[0];
    y = ctx.transpose(z, back);
  }
  return [tensor(y)];
};

const expand: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  const dims = ctx.shape(0);
  const target = ints(ctx.constant(1, 'shape'));
  const out = broadcast(dims, target) ?? ctx.fail(`shape [${dims.join(', ')}] does not broadcast to [${target.join(', ')}]`);
  if (v.kind === 'const') return [moved(v, out, expandValues(v, out))];
  if (out.length === dims.length && out.every((d, i) => d === dims[i])) return [v];
  // x + 0 over the new axes broadcasts it.
  const zeros = out.map((d, i) => {
    const k = dims.length - out.length + i;
    return k >= 0 && dims[k] === d ? 1 : d;
  });
  return [tensor(ctx.map('add', [v.t, ctx.const('z', zeros, new Float64Array(sizeOf(zeros)))]))];
};

const tile: OnnxExtractor = (ctx) => {
  let v = ctx.val(0);
  const reps = ints(ctx.constant(1, 'repeats'));
  reps.forEach((n, axis) => {
    if (n === 1) return;
    const copies = Array.from({ length: n }, () => v);
    if (v.kind === 'const') v = concatConst(copies as Const[], axis);
    else v = tensor(ctx.op('concat', copies.map((c) => (c as { t: T }).t), { axis }, '_')[0]);
  });
  return [v];
};

/**
 * Range as ONNX Runtime computes it: n = max(ceil((limit − start) / delta), 0) elements, each the
 * previous plus delta in the element type (accumulated, as its kernel does; exact for integers).
 */
const range: OnnxExtractor = (ctx) => {
  const [s, l, d] = [0, 1, 2].map((i) => ctx.constant(i, ['start', 'limit', 'delta'][i]));
  const dtype = s.dtype;
  if (dtype === 'bool' || l.dtype !== dtype || d.dtype !== dtype) return ctx.fail(`start, limit and delta have types ${s.dtype}, ${l.dtype}, ${d.dtype}; expected one numeric type`);
  const [start, limit, delta] = [s.values[0], l.values[0], d.values[0]];
  if (delta === 0) return ctx.fail('delta is 0');
  const float = isFloat(dtype);
  if (!float && ![start, limit, delta].every(Number.isSafeInteger)) return ctx.fail(`folds ${dtype} values beyond ±2^53, which nn2eq cannot hold exactly`);
  const n = Math.max(Math.ceil(roundToFloat(limit - start, dtype) / delta), 0);
  if (n > 1 << 24) return ctx.fail(`makes ${n} elements`);
  const out = new Float64Array(n);
  let v = start;
  for (let i = 0; i < n; i++) {
    out[i] = v;
    v = float ? roundToFloat(v + delta, dtype) : v + delta;
  }
  return [konst([n], out, dtype)];
};

const size: OnnxExtractor = (ctx) => [openSize(ctx.shape(0)) ?? ctx.fail('its size is a multiple of T² (T the sequence length of any length), which needs T fixed')];

/** ONNX op type → extractor for movement and shape arithmetic. */
export const shapeOps: Record<string, OnnxExtractor> = {
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Shape: shapeOp,
  Size: size,
  Range: range,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transposeOp,
  DepthToSpace: blocks(true),
  SpaceToDepth: blocks(false),
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  Pad: pad,
  Resize: resize,
  Upsample: resize,
  Expand: expand,
  Tile: tile,
};

