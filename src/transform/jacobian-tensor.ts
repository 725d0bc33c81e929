import { Nn2eqError } from '../errors.js';
import { ProgramBuilder } from '../tensor/builder.js';
import type { AxesAttrs, AxisAttrs, DenseAttrs, LayerNormAttrs, MapAttrs, PadAttrs, RepeatAttrs, ReshapeAttrs, ScanAttrs, SliceAttrs, TOp, TransposeAttrs } from '../tensor/ops.js';
import { sizeOf, type Equation, type T, type TensorId, type TensorProgram } from '../tensor/program.js';

/** The ops the tensor-form Jacobian differentiates. */
export const JACOBIAN_TENSOR_OPS: readonly TOp[] = ['dense', 'matmul', 'map', 'softmax', 'log_softmax', 'layer_norm', 'l2_normalize', 'conv', 'depthwise_conv', 'pool', 'global_pool', 'upsample', 'scan', 'reshape', 'concat', 'slice', 'transpose', 'pad', 'reverse', 'repeat', 'gather'];

/**
 * --jacobian on the tensor program, by forward mode: every value v that depends on the inputs gets
 * a tangent dv of shape [n, …shape of v], the derivatives of v with respect to the n flattened
 * inputs, one row per input. Dense layers multiply the tangent by the same weight matrix
 * (dA = dX·W; for a vector input the identity is never built, dA = W), convolutions and average
 * pools apply themselves to each row of the tangent (a foreach), element-wise functions by
 * their derivative from the one template (map with `derivative`, so tanh' = 1 − tanh² on the
 * pre-activation, TF.js's convention at kinks), softmax by s ⊙ (dz − Σ s ⊙ dz); data movement
 * moves the tangent. The output `jacobian` is J[i][j] = ∂y_i/∂x_j, shape [m, n], over the flattened
 * outputs. The program's own equations stay (the derivatives read its values).
 */
export function jacobianProgram(p: TensorProgram): { program: TensorProgram; m: number; n: number } {
  const b = new ProgramBuilder();
  for (const t of p.tensors) b.tensors.push(t);
  const number = p.calls.reduce((m, c) => Math.max(m, c.number), 0) + 1;
  b.layer = number;
  const fail = (m: string): never => {
    throw new Nn2eqError(`the Jacobian's tensor program: ${m}`);
  };
  const shapeOf = (id: TensorId) => b.tensors[id].shape;
  const t = (id: TensorId): T => ({ id, shape: b.tensors[id].shape });
  if (p.inputs.some((i) => i.tensor.shape.includes(-1))) {
    throw new Nn2eqError('--jacobian: an input has a time axis of any length, so the Jacobian has no fixed shape', 'usage', 'give the length with --timesteps T');
  }
  const n = p.inputs.reduce((s, i) => s + sizeOf(i.tensor.shape), 0);
  if (n === 0) throw new Nn2eqError('--jacobian: the model has no scalar inputs', 'usage');

  /** A tangent: a tensor [n, …shape], or 'eye' for the one vector input (the identity, never printed unless needed). */
  type Tangent = T | 'eye';
  const tangent = new Map<TensorId, Tangent>();
  let eye: T | undefined;
  const solid = (d: Tangent): T => (d !== 'eye' ? d : (eye ??= b.constant('I', [n, n], identity(n, n, 0))));
  const zeros = (shape: readonly number[]) => b.constant('zero', [n, ...shape], new Float64Array(n * sizeOf(shape)));
  const op = (name: TOp, args: readonly T[], attrs: Record<string, unknown>, role = 'J'): T => b.apply(name, args, attrs, fail, role)[0];
  const row = (v: T): T => op('reshape', [v], { shape: [1, ...v.shape] }, 'v');
  const sum = (terms: T[]): T => (terms.length === 1 ? terms[0] : op('map', terms, { fn: 'add', params: [] }));

  if (p.inputs.length === 1 && p.inputs[0].tensor.shape.length === 1) tangent.set(p.inputs[0].tensor.id, 'eye');
  else {
    let offset = 0;
    for (const port of p.inputs) {
      const size = sizeOf(port.tensor.shape);
      tangent.set(port.tensor.id, b.constant('E', [n, ...port.tensor.shape], identity(n, size, offset)));
      offset += size;
    }
  }

  for (const eq of p.equations) {
    if (!eq.args.some((a) => tangent.has(a))) continue;
    const d = differentiate(eq);
    if (d) tangent.set(eq.outs[0], d);
  }

  function differentiate(eq: Equation): Tangent | undefined {
    const d = (k: number) => tangent.get(eq.args[k]);
    const dx = () => solid(d(0)!);
    const out = shapeOf(eq.outs[0]);
    switch (eq.op) {
      case 'dense': {
        const a = eq.attrs as unknown as DenseAttrs;
        const terms: T[] = [];
        const pairs: T[] = [];
        for (let k = 0; k < a.pairs; k++) {
          const dk = d(2 * k);
          if (!dk) continue;
          if (b.tensors[eq.args[2 * k + 1]].kind !== 'const') throw unsupported(eq, 'a Dense whose matrix is computed');
          if (dk === 'eye') terms.push(t(eq.args[2 * k + 1]));
          else pairs.push(dk, t(eq.args[2 * k + 1]));
        }
        if (pairs.length > 0) terms.push(op('dense', pairs, { pairs: pairs.length / 2, bias: false }));
        return sum(terms);
      }
      case 'matmul': {
        // d(AB) = dA·B + A·dB; a tangent's leading axes are padded with length-1 axes to the result's rank so its row axis stays first.
        const terms: T[] = [];
        const padded = (k: number): T => {
          const dk = solid(d(k)!);
          const own = shapeOf(eq.args[k]);
          const ones = out.length - own.length;
          return ones === 0 ? dk : op('reshape', [dk], { shape: [n, ...Array<number>(ones).fill(1), ...own] }, 'v');
        };
        if (d(0)) terms.push(op('matmul', [padded(0), t(eq.args[1])], {}));
        if (d(1)) terms.push(op('matmul', [t(eq.args[0]), padded(1)], {}));
        return sum(terms);
      }
      case 'map': {
        const a = eq.attrs as unknown as MapAttrs;
        if (a.fn === 'linear') return d(0)!;
        const terms: T[] = [];
        eq.args.forEach((id, k) => {
          const dk = tangent.get(id);
          if (!dk) return;
          // A computed argument that broadcasts: its tangent [n, …own] gets length-1 axes after the
          // row axis up to the output's rank, so its rows broadcast as the argument does.
          const own = shapeOf(id);
          const lift = own.length === out.length ? solid(dk) : op('reshape', [solid(dk)], { shape: [n, ...Array<number>(out.length - own.length).fill(1), ...own] }, 'v');
          // ∂f/∂a_k, from the arguments and f's value, as [1, …shape] so that it meets the tangent's rows
          // (and any leading batch axes of the array targets stay in front).
          const slope = op('map', [...eq.args.map(t), t(eq.outs[0])], { ...a, derivative: k }, 's');
          terms.push(op('map', [row(slope), lift], { fn: 'mul', params: [] }));
        });
        return sum(terms);
      }
      case 'softmax':
      case 'log_softmax': {
        const axes = (eq.attrs as unknown as AxesAttrs).axes;
        if (axes.length !== 1) throw unsupported(eq, `a ${eq.op} over several axes`);
        // Over another axis than the last: the same rule on the tensors with that axis moved last, moved back after.
        const ax = axes[0];
        const perm = [...out.keys()].filter((i) => i !== ax).concat(ax);
        const moved = ax !== out.length - 1;
        const inverse = perm.map((_, i) => perm.indexOf(i));
        const k = out[ax];
        const y0 = moved ? op('transpose', [t(eq.outs[0])], { perm }, 'v') : t(eq.outs[0]);
        const s = eq.op === 'softmax' ? y0 : op('map', [y0], { fn: 'exp', params: [] }, 'v');
        const dz = moved ? op('transpose', [dx()], { perm: [0, ...perm.map((q) => q + 1)] }, 'v') : dx();
        // Σ_k s_k dz_k, kept as an axis of 1 that broadcasts back.
        const sr = row(s);
        const dot = op('dense', [op('map', [sr, dz], { fn: 'mul', params: [] }, 'v'), b.constant('one', [k, 1], new Float64Array(k).fill(1))], { pairs: 1, bias: false }, 'v');
        const centered = op('map', [dz, dot], { fn: 'sub', params: [] }, eq.op === 'softmax' || moved ? 'v' : 'J');
        const d0 = eq.op === 'softmax' ? op('map', [sr, centered], { fn: 'mul', params: [] }, moved ? 'v' : 'J') : centered;
        return moved ? op('transpose', [d0], { perm: [0, ...inverse.map((q) => q + 1)] }) : d0;
      }
      case 'layer_norm':
      case 'l2_normalize': {
        const axes = (eq.attrs as unknown as AxesAttrs).axes;
        if (axes.length !== 1 || axes[0] !== out.length - 1) throw unsupported(eq, `a ${eq.op} over axes other than the last`);
        const k = out[out.length - 1];
        const dz = dx();
        // Σ or mean over the last axis, kept as an axis of 1, and spread back over it (a Dense each, so that
        // every target broadcasts only leading axes).
        const along = (v: T, w: number) => op('dense', [v, b.constant('mean', [k, 1], new Float64Array(k).fill(w))], { pairs: 1, bias: false }, 'v');
        const spread = (v: T) => op('dense', [v, b.constant('one', [1, k], new Float64Array(k).fill(1))], { pairs: 1, bias: false }, 'v');
        const map = (fn: string, args: T[], params: number[] = []) => op('map', args, { fn, params }, 'v');
        const x = t(eq.args[0]);
        if (eq.op === 'l2_normalize') {
          // y = x·r, r = 1/√max(Σx², 1e-12): dy = r·(dx − y (y·dx)) (the bound not reached).
          const r = spread(map('reciprocal', [map('sqrt', [map('clip', [along(map('mul', [x, x]), 1)], [1e-12, NaN])])]));
          const y = row(t(eq.outs[0]));
          return op('map', [row(r), map('sub', [dz, map('mul', [y, spread(along(map('mul', [y, dz]), 1))])])], { fn: 'mul', params: [] });
        }
        // x̂ = (x − μ)/σ, σ = √(mean (x − μ)² + ε): dx̂ = (dz − mean dz − x̂ ⊙ mean(x̂ ⊙ dz))/σ; then ⊙ γ.
        const a = eq.attrs as unknown as LayerNormAttrs;
        const d = map('sub', [x, spread(along(x, 1 / k))]);
        const r = spread(map('reciprocal', [map('sqrt', [map('affine', [along(map('mul', [d, d]), 1 / k)], [1, a.eps])])]));
        const xhat = row(op('layer_norm', [x], { axes, eps: a.eps, scale: false, center: false }, 'v'));
        const inner = map('sub', [map('sub', [dz, spread(along(dz, 1 / k))]), map('mul', [xhat, spread(along(map('mul', [xhat, dz]), 1 / k))])]);
        const dxhat = op('map', [row(r), inner], { fn: 'mul', params: [] }, a.scale ? 'v' : 'J');
        return a.scale ? op('map', [dxhat, t(eq.args[1])], { fn: 'mul', params: [] }) : dxhat;
      }
      case 'reshape':
        return op('reshape', [dx()], { shape: [n, ...(eq.attrs as unknown as ReshapeAttrs).shape] });
      case 'concat':
        return op('concat', eq.args.map((id) => (tangent.has(id) ? solid(tangent.get(id)!) : zeros(shapeOf(id)))), { axis: (eq.attrs as unknown as AxisAttrs).axis + 1 });
      case 'slice': {
        const a = eq.attrs as unknown as SliceAttrs;
        return op('slice', [dx()], { begin: [0, ...a.begin], end: [n, ...a.end] });
      }
      case 'transpose':
        return op('transpose', [dx()], { perm: [0, ...(eq.attrs as unknown as TransposeAttrs).perm.map((q) => q + 1)] });
      case 'pad': {
        const a = eq.attrs as unknown as PadAttrs;
        return op('pad', [dx()], { before: [0, ...a.before], after: [0, ...a.after] });
      }
      case 'reverse':
        return op('reverse', [dx()], { axis: (eq.attrs as unknown as AxisAttrs).axis + 1 });
      case 'repeat': {
        const copies = op('repeat', [dx()], { n: (eq.attrs as unknown as RepeatAttrs).n }, 'v');
        return op('transpose', [copies], { perm: [1, 0, ...out.slice(1).map((_, i) => i + 2)] });
      }
      case 'conv':
      case 'depthwise_conv':
      case 'pool':
      case 'global_pool':
      case 'upsample': {
        // Linear in x (the kernel a constant, the bias gone; an average pool): the same op on every
        // row of the tangent, as a foreach over its first axis.
        const a = eq.attrs as unknown as { kind?: string; bias?: boolean };
        if (a.kind === 'max') throw unsupported(eq, `a max ${eq.op === 'pool' ? 'pooling' : 'global pooling'}`);
        if (eq.args.slice(1).some((id) => b.tensors[id].kind !== 'const')) throw unsupported(eq, `a ${eq.op} with a computed kernel`);
        const kernel = eq.op === 'conv' || eq.op === 'depthwise_conv' ? [t(eq.args[1])] : [];
        const attrs = a.bias === undefined ? eq.attrs : { ...eq.attrs, bias: false };
        const body = b.body([{ shape: shapeOf(eq.args[0]), role: 'x' }], ([row]) => [op(eq.op, [row, ...kernel], attrs as Record<string, unknown>, 'v')]);
        return b.apply('foreach', [dx()], {}, fail, 'J', body)[0];
      }
      case 'scan':
        return scan(eq);
      case 'gather':
        // Embedding ids: the lookup is piecewise constant in them (derivative 0, as the scalar form and TF.js).
        return undefined;
      default:
        throw unsupported(eq, `a ${eq.op}`);
    }
  }

  /**
   * A recurrence: a second scan over [x_t | dx_t] (the tangent rows flattened beside each step's
   * input) whose states are the tangents [n, units] first, then the cell's own states; its body is
   * the cell's equations again (fresh tensors) followed by their tangents, so every time step
   * carries dh/dx along. The main output is then the sequence (or the last) of the first state's tangent.
   */
  function scan(eq: Equation): Tangent {
    const a = eq.attrs as unknown as ScanAttrs;
    const body = eq.body!;
    if (body.equations.some((e) => e.body)) throw unsupported(eq, 'a recurrence with a nested loop');
    const X = eq.args[0];
    const [T, F] = shapeOf(X);
    const S = body.outputs.length;
    const units = body.outputs.map((o) => shapeOf(o));
    const dX = tangent.has(X) ? solid(tangent.get(X)!) : zeros([T, F]);
    const rows = op('reshape', [op('transpose', [dX], { perm: [1, 0, 2] }, 'v')], { shape: [T, n * F] }, 'v');
    const both = op('concat', [t(X), rows], { axis: 1 }, 'v');
    const init = units.map((u, k) => (eq.args.length > 1 + k ? t(eq.args[1 + k]) : b.constant('zero', u, new Float64Array(sizeOf(u)))));
    const dInit = units.map((u, k) => (eq.args.length > 1 + k && tangent.has(eq.args[1 + k]) ? solid(tangent.get(eq.args[1 + k])!) : zeros(u)));
    const newBody = b.body(
      [{ shape: [F + n * F], role: 'x' }, ...units.map((u) => ({ shape: [n, ...u], role: 'J' })), ...body.outputs.map((o, k) => ({ shape: units[k], role: b.tensors[body.inputs[1 + k]].role }))],
      ([xin, ...st]) => {
        const dStates = st.slice(0, S);
        const states = st.slice(S);
        const rename = new Map<TensorId, TensorId>();
        const xt = op('slice', [xin], { begin: [0], end: [F] }, 'v');
        rename.set(body.inputs[0], xt.id);
        tangent.set(xt.id, op('reshape', [op('slice', [xin], { begin: [F], end: [F + n * F] }, 'v')], { shape: [n, F] }, 'v'));
        body.inputs.slice(1).forEach((id, k) => {
          rename.set(id, states[k].id);
          tangent.set(states[k].id, dStates[k]);
        });
        for (const e of body.equations) {
          const args = e.args.map((id) => t(rename.get(id) ?? id));
          const outs = b.apply(e.op, args, e.attrs as Record<string, unknown>, fail, e.outs.map((o) => b.tensors[o].role));
          e.outs.forEach((o, k) => rename.set(o, outs[k].id));
          const copy: Equation = { ...e, args: args.map((x) => x.id), outs: outs.map((x) => x.id) };
          if (copy.args.some((id) => tangent.has(id))) {
            const d = differentiate(copy);
            if (d) tangent.set(copy.outs[0], d);
          }
        }
        const next = body.outputs.map((o) => t(rename.get(o) ?? o));
        return [...next.map((h, k) => (tangent.has(h.id) ? solid(tangent.get(h.id)!) : zeros(units[k]))), ...next];
      },
    );
    const outs = b.apply('scan', [both, ...dInit, ...init], { ...a, symbols: [...a.symbols.map((s) => `d${s}`), ...a.symbols] }, fail, ['J', ...a.symbols.map((s) => `d${s}`), ...a.symbols], newBody);
    eq.outs.slice(1).forEach((o, k) => tangent.set(o, outs[1 + k]));
    return a.returnSequences ? op('transpose', [outs[0]], { perm: [1, 0, 2] }) : outs[0];
  }

  function unsupported(eq: Equation, what: string): Nn2eqError {
    return refusal(p, eq, `--jacobian --form tensor: ${what}`, `has no tensor-form derivative; the tensor form differentiates ${JACOBIAN_TENSOR_OPS.join(', ')} (pools: average only)`, 'use --form scalar, whose reverse mode differentiates every layer');
  }

  // J = [dy₁ | dy₂ | …]ᵀ over the flattened outputs.
  const columns = p.outputs.map((port) => {
    const dy = tangent.get(port.tensor.id);
    const shape = port.tensor.shape;
    const full = dy ? solid(dy) : zeros(shape);
    return shape.length === 1 ? full : op('reshape', [full], { shape: [n, sizeOf(shape)] }, 'v');
  });
  const m = p.outputs.reduce((s, o) => s + sizeOf(o.tensor.shape), 0);
  const joined = columns.length === 1 ? columns[0] : op('concat', columns, { axis: 1 }, 'v');
  const J = op('transpose', [joined], { perm: [1, 0] });
  return { program: withOutput(p, b, number, 'jacobian', 'Jacobian', J), m, n };
}

/** A transform's refusal naming the equation's layer: `what (layer 'name', Class) why`, and the fix. */
function refusal(p: TensorProgram, eq: Equation, what: string, why: string, hint: string): Nn2eqError {
  const index = p.equations.indexOf(eq);
  const call = p.calls.find((c) => index >= c.from && index < c.to);
  return new Nn2eqError(`${what}${call ? ` (layer '${call.layer}', ${call.className})` : ''} ${why}`, 'unsupported', hint);
}

/** The program with `b`'s equations after its own, one call (`className`) holding them, and `out` its one output `name`. */
function withOutput(p: TensorProgram, b: ProgramBuilder, number: number, name: string, className: string, out: T): TensorProgram {
  const equations = [...p.equations, ...b.equations];
  return {
    ...p,
    tensors: b.tensors,
    equations,
    outputs: [{ name, tensor: out }],
    calls: [...p.calls, { layer: name, className, node: 0, number, at: p.layerCount + 1, from: p.equations.length, to: equations.length, outputs: [out] }],
    layerCount: p.layerCount + 1,
  };
}

/** Rows 0…n−1 of a [n, size] block: row offset + i holds a 1 at column i. */
function identity(n: number, size: number, offset: number): Float64Array {
  const v = new Float64Array(n * size);
  for (let i = 0; i < size; i++) v[(offset + i) * size + i] = 1;
  return v;
}

/** The ops the tensor-form gradient in the weights runs backwards through. */
export const GRADIENT_TENSOR_OPS: readonly TOp[] = ['dense', 'map', 'softmax', 'log_softmax', 'reshape', 'concat'];

/**
 * --gradient params on the tensor program, by reverse mode: every value v gets an adjoint of shape
 * [m, …shape of v] (one row per flattened output), seeded with the identity at the outputs and
 * carried back through each equation — a Dense passes A·Wᵀ back (a `dot`, so the weight stays the
 * one tensor) and gives its matrix the outer products x ⊗ A and its bias A; an element-wise function
 * multiplies by its derivative (the same derivative maps as the Jacobian), softmax by the symmetric
 * s ⊙ (A − Σ A s). The output `gradient`, shape [m, P], lists the weight tensors in first-use order,
 * each flattened row-major, as the scalar form does.
 */
export function gradientProgram(p: TensorProgram): { program: TensorProgram; m: number; count: number; order: string[] } {
  const b = new ProgramBuilder();
  for (const t of p.tensors) b.tensors.push(t);
  const number = p.calls.reduce((m, c) => Math.max(m, c.number), 0) + 1;
  b.layer = number;
  const fail = (m: string): never => {
    throw new Nn2eqError(`the gradient's tensor program: ${m}`);
  };
  const shapeOf = (id: TensorId) => p.tensors[id].shape;
  const t = (id: TensorId): T => ({ id, shape: b.tensors[id].shape });
  const op = (name: TOp, args: readonly T[], attrs: Record<string, unknown>, role = 'G'): T => b.apply(name, args, attrs, fail, role)[0];
  const row = (v: T): T => op('reshape', [v], { shape: [1, ...v.shape] }, 'v');
  const m = p.outputs.reduce((s, o) => s + sizeOf(o.tensor.shape), 0);
  if (p.inputs.some((i) => i.tensor.shape.includes(-1))) throw new Nn2eqError('--gradient params: an input has a time axis of any length', 'usage', 'give the length with --timesteps T');
  const parts = new Map<TensorId, T[]>();
  const add = (id: TensorId, v: T) => parts.set(id, [...(parts.get(id) ?? []), v]);
  const total = (id: TensorId): T | undefined => {
    const vs = parts.get(id);
    return !vs ? undefined : vs.length === 1 ? vs[0] : op('map', vs, { fn: 'add', params: [] }, 'v');
  };
  let offset = 0;
  for (const port of p.outputs) {
    const size = sizeOf(port.tensor.shape);
    add(port.tensor.id, b.constant('E', [m, ...port.tensor.shape], identity(m, size, offset)));
    offset += size;
  }
  const unsupported = (eq: Equation, what: string): Nn2eqError =>
    refusal(p, eq, `--gradient params --form tensor: ${what}`, `has no tensor-form gradient; the tensor form runs back through ${GRADIENT_TENSOR_OPS.join(', ')}`, 'use --form scalar, whose reverse mode covers every layer');

  for (let i = p.equations.length - 1; i >= 0; i--) {
    const eq = p.equations[i];
    const A = total(eq.outs[0]);
    if (!A) continue;
    const out = shapeOf(eq.outs[0]);
    switch (eq.op) {
      case 'dense': {
        const a = eq.attrs as unknown as DenseAttrs;
        for (let k = 0; k < a.pairs; k++) {
          const x = eq.args[2 * k];
          const W = eq.args[2 * k + 1];
          if (shapeOf(x).length !== 1) throw unsupported(eq, 'a Dense over more than one axis');
          if (p.tensors[W].kind !== 'const') throw unsupported(eq, 'a Dense whose matrix is computed');
          const rows = shapeOf(x)[0];
          if (p.tensors[x].kind !== 'const') add(x, op('dot', [A, t(W)], { axes: [1, 1], normalize: false }, 'v'));
          // G[i, r, c] = x[r]·A[i, c]: rows copies of A, turned so that x multiplies along the last axis, turned back.
          const copies = op('transpose', [op('repeat', [A], { n: rows }, 'v')], { perm: [1, 2, 0] }, 'v');
          add(W, op('transpose', [op('map', [copies, op('reshape', [t(x)], { shape: [1, 1, rows] }, 'v')], { fn: 'mul', params: [] }, 'v')], { perm: [0, 2, 1] }));
        }
        if (a.bias) add(eq.args[2 * a.pairs], A);
        break;
      }
      case 'map': {
        const a = eq.attrs as unknown as MapAttrs;
        eq.args.forEach((id, k) => {
          if (shapeOf(id).join() !== out.join()) throw unsupported(eq, 'an element-wise function broadcasting one argument over another');
          const slope = a.fn === 'linear' ? null : op('map', [...eq.args.map(t), t(eq.outs[0])], { ...a, derivative: k }, 's');
          add(id, slope ? op('map', [row(slope), A], { fn: 'mul', params: [] }) : A);
        });
        break;
      }
      case 'softmax':
      case 'log_softmax': {
        const axes = (eq.attrs as unknown as AxesAttrs).axes;
        if (axes.length !== 1 || axes[0] !== out.length - 1) throw unsupported(eq, `a ${eq.op} over axes other than the last`);
        const k = out[out.length - 1];
        const s = row(eq.op === 'softmax' ? t(eq.outs[0]) : op('map', [t(eq.outs[0])], { fn: 'exp', params: [] }, 'v'));
        const ones = b.constant('one', [k, 1], new Float64Array(k).fill(1));
        // softmax: s ⊙ (A − Σ s A) (its Jacobian is symmetric); log_softmax: A − s Σ A.
        const sum = op('dense', [eq.op === 'softmax' ? op('map', [s, A], { fn: 'mul', params: [] }, 'v') : A, ones], { pairs: 1, bias: false }, 'v');
        const spread = () => op('dense', [sum, b.constant('one', [1, k], new Float64Array(k).fill(1))], { pairs: 1, bias: false }, 'v');
        add(eq.args[0], eq.op === 'softmax' ? op('map', [s, op('map', [A, sum], { fn: 'sub', params: [] }, 'v')], { fn: 'mul', params: [] }) : op('map', [A, op('map', [s, spread()], { fn: 'mul', params: [] }, 'v')], { fn: 'sub', params: [] }));
        break;
      }
      case 'reshape':
        add(eq.args[0], op('reshape', [A], { shape: [m, ...shapeOf(eq.args[0])] }));
        break;
      case 'concat': {
        const axis = (eq.attrs as unknown as AxisAttrs).axis;
        let at = 0;
        for (const id of eq.args) {
          const s = shapeOf(id);
          add(id, op('slice', [A], { begin: [0, ...out.map((_, d) => (d === axis ? at : 0))], end: [m, ...out.map((n, d) => (d === axis ? at + s[d] : n))] }));
          at += s[axis];
        }
        break;
      }
      default:
        throw unsupported(eq, `a ${eq.op}`);
    }
  }

  const consts = p.equations.length === 0 ? [] : constantsIn(p);
  const pieces = consts.map((id) => {
    const g = total(id);
    const size = sizeOf(shapeOf(id));
    const full = g ?? b.constant('zero', [m, ...shapeOf(id)], new Float64Array(m * size));
    return shapeOf(id).length === 1 ? full : op('reshape', [full], { shape: [m, size] }, 'v');
  });
  const count = consts.reduce((s, id) => s + sizeOf(shapeOf(id)), 0);
  if (count === 0) throw new Nn2eqError('--gradient params: the model has no weights', 'usage');
  const G = pieces.length === 1 ? pieces[0] : op('concat', pieces, { axis: 1 }, 'G');
  return {
    program: withOutput(p, b, number, 'gradient', 'Gradient', G),
    m,
    count,
    order: consts.map((id) => `${p.tensors[id].role}${p.tensors[id].layer} [${shapeOf(id).join(', ')}]`),
  };
}

/** The constant tensors a program's equations read, in first-use order (the weights of --gradient params). */
function constantsIn(p: TensorProgram): TensorId[] {
  const seen = new Set<TensorId>();
  for (const eq of p.equations) for (const a of eq.args) if (p.tensors[a].kind === 'const') seen.add(a);
  return [...seen];
}
