import type { MapAttrs, TransposeAttrs } from '../tensor/ops.js';
import { sizeOf, useCounts, type Equation, type TensorId, type TensorInfo, type TensorProgram } from '../tensor/program.js';
import { renumberCalls } from './tensor-ports.js';

/**
 * Recognizes two compositions that exporters spell out op by op and rewrites each as the one
 * equation the program has for it, so a reader sees the layer by its name:
 * - layer normalization, (x − E[x]) / √(E[(x − E[x])²] + ε), the means over the same trailing
 *   axes (ONNX before opset 17: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div), with the
 *   per-element scale and shift after it (Mul by γ, Add β) taken in as its γ and β: `layer_norm`;
 * - GELU, ½·x·(1 + erf(x/√2)) in any order of its factors (ONNX before opset 20: Div, Erf, Add,
 *   Mul, Mul): the `map` function `gelu`; its tanh form ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 *   (GPT-2's): `gelu_new`.
 * Exact in real arithmetic: the same formula, evaluated in another order. Only values read once
 * inside the pattern (besides x) are taken in, so nothing is computed twice and no value another
 * equation reads disappears.
 */
export function fuseProgram(p: TensorProgram): { program: TensorProgram; notes: string[] } {
  const tensors: TensorInfo[] = [...p.tensors];
  const eqs: (Equation | null)[] = [...p.equations];
  const uses = useCounts(p);
  const producer = new Map<TensorId, number>();
  eqs.forEach((eq, i) => eq!.outs.forEach((o) => producer.set(o, i)));
  const readers = new Map<TensorId, number[]>();
  eqs.forEach((eq, i) => eq!.args.forEach((a) => readers.set(a, [...(readers.get(a) ?? []), i])));
  const outputs = new Set(p.outputs.map((o) => o.tensor.id));
  /** The one equation still in the program that reads `id`, when it is read once and is no model output; else -1. */
  const readerOf = (id: TensorId): number => {
    if (uses[id] !== 1 || outputs.has(id)) return -1;
    const list = (readers.get(id) ?? []).filter((k) => eqs[k]?.args.includes(id));
    return list.length === 1 ? list[0] : -1;
  };
  const shapeOf = (id: TensorId) => tensors[id].shape;
  /** The equation computing `id` when it is read once (by the pattern) and still in the program. */
  const single = (id: TensorId): [Equation, number] | null => {
    const i = producer.get(id);
    if (i === undefined || uses[id] !== 1 || !eqs[i] || eqs[i]!.outs.length !== 1) return null;
    return [eqs[i]!, i];
  };
  const mapOf = (eq: Equation | undefined, fn: string, arity: number): MapAttrs | null => {
    if (!eq || eq.op !== 'map' || eq.args.length !== arity) return null;
    const a = eq.attrs as unknown as MapAttrs;
    return a.fn === fn && a.derivative === undefined && !a.expanded ? a : null;
  };
  const konst = (id: TensorId) => (tensors[id].kind === 'const' ? tensors[id].values! : null);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.abs(b);

  /**
   * `id` as the mean of a tensor over some of its axes, kept as size-1 axes (ReduceMean with
   * keepdims, as the extractors write it: the reduced axes moved first, merged into one, averaged by
   * global_pool, reshaped back): the tensor, the axes and the pattern's equations; else null.
   */
  const meanOf = (id: TensorId): { x: TensorId; axes: number[]; used: number[] } | null => {
    const used: number[] = [];
    let at = id;
    let e = single(at);
    if (e && e[0].op === 'reshape') {
      used.push(e[1]);
      at = e[0].args[0];
      e = single(at);
    }
    if (!e || e[0].op !== 'global_pool' || (e[0].attrs as { kind: string }).kind !== 'avg' || shapeOf(e[0].args[0]).length !== 2) return null;
    used.push(e[1]);
    const [n] = shapeOf(e[0].args[0]);
    at = e[0].args[0];
    e = single(at);
    if (e && e[0].op === 'reshape') {
      used.push(e[1]);
      at = e[0].args[0];
      e = single(at);
    }
    let x = at;
    let perm = shapeOf(at).map((_, k) => k);
    if (e && e[0].op === 'transpose') {
      used.push(e[1]);
      x = e[0].args[0];
      perm = [...(e[0].attrs as unknown as TransposeAttrs).perm];
    }
    const dims = shapeOf(x);
    // The leading axes of the moved tensor whose sizes multiply to n are the reduced ones; the rest keep their order.
    let k = 0;
    for (let size = 1; size !== n; k++) {
      if (k >= perm.length || size > n) return null;
      size *= dims[perm[k]];
    }
    const axes = perm.slice(0, k).sort((a, b) => a - b);
    const rest = perm.slice(k);
    if (rest.some((d, j) => j > 0 && d < rest[j - 1])) return null;
    const kept = dims.map((d, a) => (axes.includes(a) ? 1 : d));
    if (!sameShape(shapeOf(id), kept) || axes.length === 0) return null;
    return { x, axes, used };
  };

  /** A constant that varies along `axes` of a tensor of shape `dims` alone, as one value per element of those axes (broadcast where it has size 1). */
  const alongAxes = (id: TensorId, dims: readonly number[], axes: readonly number[]): Float64Array | null => {
    const v = konst(id);
    if (!v) return null;
    const shape = shapeOf(id);
    if (shape.length > dims.length) return null;
    const padded = [...new Array<number>(dims.length - shape.length).fill(1), ...shape];
    if (padded.some((d, a) => d !== 1 && (d !== dims[a] || !axes.includes(a)))) return null;
    const sizes = axes.map((a) => dims[a]);
    const out = new Float64Array(sizeOf(sizes));
    const strides = axes.map((a) => (padded[a] === 1 ? 0 : sizeOf(padded.slice(a + 1))));
    for (let j = 0; j < out.length; j++) {
      let rem = j;
      let at = 0;
      for (let q = axes.length - 1; q >= 0; q--) {
        at += (rem % sizes[q]) * strides[q];
        rem = Math.floor(rem / sizes[q]);
      }
      out[j] = v[at];
    }
    return out;
  };

  const fusedLn: number[] = [];
  const fusedGelu: number[] = [];
  const addConst = (like: TensorId, role: string, shape: readonly number[], values: Float64Array): TensorId => {
    const { dtype: _d, index: _i, ...rest } = tensors[like];
    tensors.push({ ...rest, kind: 'const', role, shape, values });
    return tensors.length - 1;
  };

  for (let i = 0; i < eqs.length; i++) {
    const eq = eqs[i];
    if (!eq) continue;
    if (mapOf(eq, 'div', 2)) layerNorm(i, eq);
    else if (mapOf(eq, 'erf', 1) || mapOf(eq, 'tanh', 1)) gelu(i, eq, mapOf(eq, 'tanh', 1) !== null);
  }

  function layerNorm(i: number, div: Equation): void {
    // (x − μ) / √(v + ε): the numerator read twice (here and squared), the denominator once.
    const [centred, denom] = div.args;
    const c = producer.get(centred);
    if (c === undefined || outputs.has(centred) || !eqs[c] || !mapOf(eqs[c]!, 'sub', 2)) return;
    const [x, mu] = eqs[c]!.args;
    const mean = meanOf(mu);
    if (!mean || mean.x !== x) return;
    const root = single(denom);
    if (!root || !mapOf(root[0], 'sqrt', 1)) return;
    const shifted = single(root[0].args[0]);
    const eps = shifted && mapOf(shifted[0], 'affine', 1);
    if (!shifted || !eps || eps.params[0] !== 1 || !(eps.params[1] > 0)) return;
    const variance = meanOf(shifted[0].args[0]);
    if (!variance || !sameShape(variance.axes, mean.axes)) return;
    const sq = single(variance.x);
    if (!sq) return;
    const pow = mapOf(sq[0], 'pow', 1);
    const squares = (pow && pow.params[0] === 2 && sq[0].args[0] === centred) || (mapOf(sq[0], 'mul', 2) && sq[0].args[0] === centred && sq[0].args[1] === centred);
    // Read by the square (once as a power, twice as a product) and by this quotient, nowhere else.
    if (!squares || uses[centred] !== (pow ? 2 : 3)) return;
    const dims = shapeOf(x);
    if (!sameShape(shapeOf(div.outs[0]), dims)) return;
    // The trailing axes, as LayerNormalization normalizes.
    const axes = mean.axes;
    if (axes.some((a, j) => a !== dims.length - axes.length + j)) return;
    // The scale and shift after it: affine maps and products / sums with constants along the normalized axes.
    const n = sizeOf(axes.map((a) => dims[a]));
    const gamma = new Float64Array(n).fill(1);
    const beta = new Float64Array(n);
    let out = div.outs[0];
    let last = i;
    let scaled = false;
    const taken: number[] = [];
    for (;;) {
      const k = readerOf(out);
      if (k < 0) break;
      const next = eqs[k]!;
      if (next.op !== 'map' || !sameShape(shapeOf(next.outs[0]), dims)) break;
      const a = next.attrs as unknown as MapAttrs;
      if (a.derivative !== undefined || a.expanded) break;
      if (a.fn === 'affine' && next.args.length === 1) {
        for (let j = 0; j < n; j++) {
          gamma[j] *= a.params[0];
          beta[j] = beta[j] * a.params[0] + a.params[1];
        }
      } else if ((a.fn === 'mul' || a.fn === 'add') && next.args.length === 2) {
        const other = next.args[0] === out ? next.args[1] : next.args[0];
        const v = alongAxes(other, dims, axes);
        if (!v) break;
        for (let j = 0; j < n; j++) {
          if (a.fn === 'mul') {
            gamma[j] *= v[j];
            beta[j] *= v[j];
          } else beta[j] += v[j];
        }
      } else break;
      scaled = true;
      taken.push(last);
      last = k;
      out = next.outs[0];
    }
    const struck = [...new Set([c, root[1], shifted[1], sq[1], ...mean.used, ...variance.used, ...taken])];
    const args = [x];
    if (scaled) args.push(addConst(out, 'gamma', [n], gamma), addConst(out, 'beta', [n], beta));
    for (const k of struck) eqs[k] = null;
    eqs[last] = { op: 'layer_norm', args, outs: [out], attrs: { axes, eps: eps.params[1], scale: scaled, center: scaled } };
    fusedLn.push(last);
  }

  /** The x of erf(x/√2) (or of tanh(√(2/π)·(x + 0.044715·x³))) and the equations computing the argument, or null. */
  function geluArgument(fn: Equation, tanh: boolean): { x: TensorId; used: number[] } | null {
    const inner = single(fn.args[0]);
    const c = inner && mapOf(inner[0], 'affine', 1);
    if (!inner || !c || !close(c.params[0], tanh ? Math.sqrt(2 / Math.PI) : Math.SQRT1_2) || c.params[1] !== 0) return null;
    if (!tanh) return { x: inner[0].args[0], used: [inner[1]] };
    // x + 0.044715·x³, the terms in either order.
    const sum = single(inner[0].args[0]);
    if (!sum || !mapOf(sum[0], 'add', 2)) return null;
    for (const side of [0, 1]) {
      const x = sum[0].args[side];
      const cubic = single(sum[0].args[1 - side]);
      const k = cubic && mapOf(cubic[0], 'affine', 1);
      if (!cubic || !k || !close(k.params[0], 0.044715) || k.params[1] !== 0) continue;
      const cube = single(cubic[0].args[0]);
      const pow = cube && mapOf(cube[0], 'pow', 1);
      if (!cube || !pow || pow.params[0] !== 3 || cube[0].args[0] !== x) continue;
      return { x, used: [inner[1], sum[1], cubic[1], cube[1]] };
    }
    return null;
  }

  function gelu(i: number, fn: Equation, tanh: boolean): void {
    // erf(x/√2) (or the tanh form), then α·e + α, times s·x (x itself when s = 1), then times r: α·s·r = ½.
    const arg = geluArgument(fn, tanh);
    if (!arg) return;
    const x = arg.x;
    const k1 = readerOf(fn.outs[0]);
    const aff = k1 < 0 ? null : mapOf(eqs[k1]!, 'affine', 1);
    if (!aff || aff.params[0] === 0 || !close(aff.params[1], aff.params[0])) return;
    const t = eqs[k1]!.outs[0];
    const k2 = readerOf(t);
    if (k2 < 0 || !mapOf(eqs[k2]!, 'mul', 2)) return;
    const product = eqs[k2]!;
    const other = product.args[0] === t ? product.args[1] : product.args[0];
    let factor = aff.params[0];
    const struck = [...arg.used, i, k1];
    if (other !== x) {
      const s = single(other);
      const sa = s && mapOf(s[0], 'affine', 1);
      if (!s || !sa || sa.params[1] !== 0 || s[0].args[0] !== x) return;
      factor *= sa.params[0];
      struck.push(s[1]);
    }
    let last = k2;
    let out = product.outs[0];
    if (!close(factor, 0.5)) {
      const k3 = readerOf(out);
      const r = k3 < 0 ? null : mapOf(eqs[k3]!, 'affine', 1);
      if (!r || r.params[1] !== 0 || !close(factor * r.params[0], 0.5)) return;
      struck.push(last);
      last = k3;
      out = eqs[k3]!.outs[0];
    }
    if (!sameShape(shapeOf(out), shapeOf(x))) return;
    for (const k of struck) eqs[k] = null;
    eqs[last] = { op: 'map', args: [x], outs: [out], attrs: { fn: tanh ? 'gelu_new' : 'gelu', params: [] } };
    fusedGelu.push(last);
  }

  if (fusedLn.length + fusedGelu.length === 0) return { program: p, notes: [] };

  // Renumber as fold does: equation indices, call ranges, the numbers of calls that still compute.
  let live: Set<TensorId> | undefined;
  const r = renumberCalls(p, eqs, tensors, (call, kept) => {
    live ??= new Set(kept.flatMap((eq) => eq.outs));
    return call.outputs.filter((t) => live!.has(t.id) || tensors[t.id].kind !== 'value');
  });
  const where = (list: number[], what: string) => {
    if (list.length === 0) return [];
    const names = list.map((k) => p.calls.find((call) => k >= call.from && k < call.to)).map((call) => (call ? `'${call.layer}'` : '?'));
    return [`${what}${list.length > 1 ? 's' : ''} at ${names.join(', ')}`];
  };
  const notes = [`recognized (the same formula; --no-fold keeps the exported ops): ${[...where(fusedLn, 'layer normalization'), ...where(fusedGelu, 'GELU')].join('; ')}`];
  return { program: { ...p, tensors: r.tensors, equations: r.equations, calls: r.calls }, notes };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
