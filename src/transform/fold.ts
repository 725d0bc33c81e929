import type { ConvAttrs, DenseAttrs, DepthwiseAttrs, MapAttrs } from '../tensor/ops.js';
import { renumberCalls } from './tensor-ports.js';
import { useCounts, type Equation, type TensorId, type TensorInfo, type TensorProgram } from '../tensor/program.js';

/**
 * Exact folding on the tensor program, on by default (--no-fold keeps one formula per layer):
 * a per-channel scale and shift (BatchNormalization, Normalization, Rescaling) after a Dense or
 * convolution goes into its weights; one before a Dense goes into the Dense; two Dense layers with
 * nothing between them become one when that does not make the matrix larger. Folded weights are
 * computed in float64 and printed exactly. Only values read once are folded, so nothing is computed twice.
 */
export function foldProgram(p: TensorProgram): { program: TensorProgram; notes: string[] } {
  const tensors: TensorInfo[] = [...p.tensors];
  const eqs: (Equation | null)[] = [...p.equations];
  /** Values that no longer exist as such: the calls that produced them list them no more. */
  const dropped = new Set<TensorId>();
  /** A Dense or convolution that now computes the value after it (its call lists that value instead). */
  const moved = new Map<TensorId, TensorId>();
  const foldedInto = new Set<number>();
  const counts = { after: 0, before: 0, merged: 0 };
  const folded = new Set<string>();

  // Program outputs are counted too; fold never takes one in (they are pinned below), and the
  // constants it adds are read by nothing it merges.
  const uses = useCounts(p);
  const pinned = new Set([...p.inputs, ...p.outputs].map((t) => t.tensor.id));
  const producer = new Map<TensorId, number>();
  eqs.forEach((eq, i) => eq!.outs.forEach((o) => producer.set(o, i)));
  const konst = (id: TensorId) => (tensors[id].kind === 'const' ? tensors[id].values! : null);
  const addConst = (like: TensorId, shape: readonly number[], values: Float64Array, role?: string): TensorId => {
    tensors.push({ ...tensors[like], shape, values, ...(role ? { role } : {}) });
    return tensors.length - 1;
  };
  const callOf = (i: number) => p.calls.find((c) => i >= c.from && i < c.to);
  const note = (kind: keyof typeof counts, i: number, j: number) => {
    counts[kind]++;
    foldedInto.add(i);
    const a = callOf(i);
    const b = callOf(j);
    if (a && b) folded.add(`${b.className} '${b.layer}' into ${a.className} '${a.layer}'`);
  };

  /**
   * a·x + t of a map equation as per-last-axis vectors of length n, or null when it is not one.
   * `binary` also takes a sum or product with a constant on either side (PyTorch's Linear on a
   * sequence exports MatMul, then Add of the bias).
   */
  const scaleShift = (eq: Equation, n: number, binary = false): { a: Float64Array; t: Float64Array } | null => {
    if (eq.op !== 'map') return null;
    const m = eq.attrs as unknown as MapAttrs;
    const a = new Float64Array(n);
    const t = new Float64Array(n);
    if (binary && (m.fn === 'add' || m.fn === 'mul') && eq.args.length === 2 && m.derivative === undefined) {
      const k = konst(eq.args[0]) ? 0 : 1;
      const id = eq.args[k];
      const v = konst(id);
      const other = tensors[eq.args[1 - k]].shape;
      const shape = tensors[id].shape;
      if (!v || konst(eq.args[1 - k]) || shape.length > other.length || shape.slice(0, -1).some((d) => d !== 1)) return null;
      const vec = new Float64Array(n);
      if (v.length === 1) vec.fill(v[0]);
      else if (v.length === n) vec.set(Array.from(v));
      else return null;
      if (m.fn === 'add') {
        a.fill(1);
        t.set(vec);
      } else a.set(vec);
      return { a, t };
    }
    if (m.fn === 'affine') {
      a.fill(m.params[0]);
      t.fill(m.params[1]);
      return { a, t };
    }
    if (m.fn !== 'scale_shift') return null;
    const [, sa, st] = eq.args;
    const va = konst(sa);
    const vt = konst(st);
    if (!va || !vt) return null;
    for (const [id, v, into] of [[sa, va, a], [st, vt, t]] as const) {
      const shape = tensors[id].shape;
      // Only a parameter that varies along the last axis alone folds into a matrix's columns.
      if (shape.slice(0, -1).some((d) => d !== 1)) return null;
      if (v.length === 1) into.fill(v[0]);
      else if (v.length === n) for (let k = 0; k < n; k++) into[k] = v[k];
      else return null;
    }
    return { a, t };
  };

  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 0; i < eqs.length; i++) {
      const eq = eqs[i];
      if (!eq) continue;
      // The computed argument (a constant may come first in a sum or product).
      const x = eq.op === 'map' && eq.args.length === 2 && konst(eq.args[0]) ? eq.args[1] : eq.args[0];
      const j = producer.get(x);
      if (j === undefined || eqs[j] === null || uses[x] !== 1 || pinned.has(x)) continue;
      const prev = eqs[j]!;
      const n = tensors[x].shape[tensors[x].shape.length - 1];
      // 1. scale/shift after a Dense or a convolution: scale its columns (filters), shift its bias.
      if (eq.op === 'map' && (prev.op === 'dense' || prev.op === 'conv' || prev.op === 'depthwise_conv')) {
        const st = scaleShift(eq, n, prev.op === 'dense');
        if (!st) continue;
        const at = prev.attrs as unknown as DenseAttrs | ConvAttrs | DepthwiseAttrs;
        const weightArgs = prev.op === 'dense' ? Array.from({ length: (at as DenseAttrs).pairs }, (_, k) => 2 * k + 1) : [1];
        if (weightArgs.some((k) => !konst(prev.args[k]))) continue;
        const biasAt = prev.op === 'dense' ? 2 * (at as DenseAttrs).pairs : 2;
        if (at.bias && !konst(prev.args[biasAt])) continue;
        const args = [...prev.args];
        for (const k of weightArgs) {
          const w = konst(prev.args[k])!;
          const out = new Float64Array(w.length);
          for (let e = 0; e < w.length; e++) out[e] = w[e] * st.a[e % n];
          args[k] = addConst(prev.args[k], tensors[prev.args[k]].shape, out);
        }
        const b = at.bias ? konst(prev.args[biasAt])! : null;
        const bias = new Float64Array(n);
        for (let k = 0; k < n; k++) bias[k] = (b ? b[k] : 0) * st.a[k] + st.t[k];
        const biasId = addConst(at.bias ? prev.args[biasAt] : prev.args[weightArgs[0]], [n], bias, at.bias ? undefined : 'b');
        if (at.bias) args[biasAt] = biasId;
        else args.push(biasId);
        eqs[j] = { ...prev, args, outs: eq.outs, attrs: { ...prev.attrs, bias: true } };
        producer.set(eq.outs[0], j);
        eqs[i] = null;
        dropped.add(eq.outs[0]);
        moved.set(x, eq.outs[0]);
        note('after', j, i);
        changed = true;
        continue;
      }
      // 2. scale/shift before a Dense (one pair): x·diag(a)·W + (t·W + b).
      if (eq.op === 'dense' && (eq.attrs as unknown as DenseAttrs).pairs === 1 && prev.op === 'map') {
        const st = scaleShift(prev, n);
        const w = konst(eq.args[1]);
        const at = eq.attrs as unknown as DenseAttrs;
        if (!st || !w || (at.bias && !konst(eq.args[2]))) continue;
        const units = tensors[eq.args[1]].shape[1];
        const W = new Float64Array(w.length);
        const bias = new Float64Array(units);
        const b = at.bias ? konst(eq.args[2])! : null;
        for (let u = 0; u < units; u++) bias[u] = b ? b[u] : 0;
        for (let r = 0; r < n; r++) {
          for (let u = 0; u < units; u++) {
            W[r * units + u] = st.a[r] * w[r * units + u];
            bias[u] += st.t[r] * w[r * units + u];
          }
        }
        const args = [prev.args[0], addConst(eq.args[1], tensors[eq.args[1]].shape, W), addConst(at.bias ? eq.args[2] : eq.args[1], [units], bias, at.bias ? undefined : 'b')];
        eqs[i] = { ...eq, args, attrs: { ...eq.attrs, bias: true } };
        eqs[j] = null;
        dropped.add(x);
        note('before', i, j);
        changed = true;
        continue;
      }
      // 3. Dense after Dense with nothing between: x·(W₁W₂) + (b₁W₂ + b₂), when no larger.
      if (eq.op === 'dense' && prev.op === 'dense' && (eq.attrs as unknown as DenseAttrs).pairs === 1 && (prev.attrs as unknown as DenseAttrs).pairs === 1) {
        const [w1, w2] = [konst(prev.args[1]), konst(eq.args[1])];
        const [a1, a2] = [prev.attrs as unknown as DenseAttrs, eq.attrs as unknown as DenseAttrs];
        if (!w1 || !w2 || (a1.bias && !konst(prev.args[2])) || (a2.bias && !konst(eq.args[2]))) continue;
        const [rows, k] = tensors[prev.args[1]].shape;
        const m = tensors[eq.args[1]].shape[1];
        if (rows * m > rows * k + k * m) continue;
        const W = new Float64Array(rows * m);
        for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) for (let u = 0; u < m; u++) W[r * m + u] += w1[r * k + c] * w2[c * m + u];
        const bias = new Float64Array(m);
        const b1 = a1.bias ? konst(prev.args[2])! : null;
        const b2 = a2.bias ? konst(eq.args[2])! : null;
        for (let u = 0; u < m; u++) {
          bias[u] = b2 ? b2[u] : 0;
          if (b1) for (let c = 0; c < k; c++) bias[u] += b1[c] * w2[c * m + u];
        }
        eqs[i] = { ...eq, args: [prev.args[0], addConst(eq.args[1], [rows, m], W), addConst(eq.args[1], [m], bias)], attrs: { pairs: 1, bias: true } };
        eqs[j] = null;
        dropped.add(x);
        note('merged', i, j);
        changed = true;
      }
    }
  }
  if (counts.after + counts.before + counts.merged === 0) return { program: p, notes: [] };

  // Renumber: equation indices, call ranges, and the numbers of calls that still compute.
  const r = renumberCalls(
    p,
    eqs,
    tensors,
    (c) => c.outputs.filter((t) => !dropped.has(t.id)).map((t) => (moved.has(t.id) ? { id: moved.get(t.id)!, shape: t.shape } : t)),
    (c) => ([...foldedInto].some((i) => i >= c.from && i < c.to) ? { folded: true } : {}),
  );
  const notes = [`folded (exact; --no-fold keeps one formula per layer): ${[...folded].join('; ')}`];
  return { program: { ...p, tensors: r.tensors, equations: r.equations, calls: r.calls, layerCount: p.layerCount }, notes };
}
