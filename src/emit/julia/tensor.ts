import { Nn2eqError } from '../../errors.js';
import { Prec, type Fn } from '../../ir/ops.js';
import type { AxesAttrs, AxisAttrs, BitcastAttrs, ConvAttrs, DenseAttrs, DepthwiseAttrs, DotAttrs, GlobalPoolAttrs, LayerNormAttrs, MapAttrs, MonomialsAttrs, PadAttrs, PoolAttrs, RepeatAttrs, ReshapeAttrs, ScanAttrs, SliceAttrs, TOp, TransposeAttrs, UpsampleAttrs } from '../../tensor/ops.js';
import type { Equation, TensorId, TensorProgram } from '../../tensor/program.js';
import { JL_NUMBERS, JULIA_FUNCTIONS, JULIA_PRELUDE, juliaSyntax } from './syntax.js';
import { formatNumber } from '../number.js';
import { appendLines, comparedConstants, constantsUsed, isAtom, printMap, tensorNames, tensorParamLayout, tensorParams, useCounts, weightRows } from '../tensor-common.js';
import type { EmitOptions, TensorEmitter } from '../types.js';
import { namedElementLines } from '../port-names.js';

/**
 * The Julia tensor form: `predict(input1, …)` over Julia arrays that keep the model's axis order
 * (element [i, j] of a Julia array is element [i-1, j-1] of the model's tensor; only the storage is
 * column-major), one example per call. Weights are module-level `const` arrays; each equation is
 * one line of array code (broadcasting, `W' * x`, `permutedims`, `cat`, …) or a call of a helper
 * below; recurrences are loops over the first axis, so a time axis may have any length.
 *
 * --weights symbolic (as the scalar form's): `predict(params, input1, …)` reads every weight as
 * `params.W1`, params a NamedTuple of arrays in the model's axis order, and `const PARAMS = (W1 = …, …)`
 * holds the trained ones, so predict(PARAMS, …) is the numeric form.
 */

/** Roles of values that have no name of their own (pre-activations, temporaries): printed in place when read once. */
const ANONYMOUS = new Set(['_', 'a', 'v', 'd']);

/** Helpers written into the file only when an op uses them (in this order, so each follows what it calls). */
const HELPERS = {
  rev: `# The axes of x in reverse order: its column-major storage then reads as x's row-major order.
_rev(x) = ndims(x) <= 1 ? x : permutedims(x, reverse(ntuple(identity, ndims(x))))`,
  weights: `# A weight array from its elements in row-major order.
_w(text, dims) = _rev(reshape(parse.(Float64, split(text)), reverse(dims)))`,
  check: `# An input as an Array{Float64} after checking its size (-1: any length).
function _check(a, dims, name)
    ndims(a) == length(dims) && all(n == -1 || n == m for (n, m) in zip(dims, size(a))) ||
        throw(DimensionMismatch("predict: $name has size $(size(a)), expected $dims (-1: any length)"))
    return Array{Float64}(a)
end`,
  lift: `# x with k leading axes of length 1 (NumPy broadcasting aligns axes at the right, Julia's at the left).
_lift(x, k) = reshape(x, ntuple(_ -> 1, k)..., size(x)...)`,
  reshape: `# Reshape in row-major order, as the model means it (Julia's reshape is column-major).
_reshape(x, dims) = _rev(reshape(_rev(x), reverse(dims)))`,
  dense: `# x·W over the last axis of x, at every leading position.
_dense(x, W) = reshape(reshape(x, :, size(x, ndims(x))) * W, size(x)[1:end-1]..., size(W, 2))`,
  mean: `# The mean over dims, kept as axes of length 1.
_mean(x, dims) = sum(x; dims=dims) ./ prod(size(x, d) for d in dims)`,
  softmax: `function _softmax(x, dims)
    e = exp.(x .- maximum(x; dims=dims))
    return e ./ sum(e; dims=dims)
end`,
  log_softmax: `function _log_softmax(x, dims)
    s = x .- maximum(x; dims=dims)
    return s .- log.(sum(exp.(s); dims=dims))
end`,
  layer_norm: `function _layer_norm(x, dims, eps, gamma, beta)
    d = x .- _mean(x, dims)
    y = d .* (1 ./ sqrt.(_mean(d .* d, dims) .+ eps))
    gamma === nothing || (y = y .* gamma)
    return beta === nothing ? y : y .+ beta
end`,
  l2_normalize: `_l2_normalize(x, dims) = x .* (1 ./ sqrt.(max.(sum(x .* x; dims=dims), 1e-12)))`,
  matmul: `# The matrix product of the last two axes, a[..., M, K] * b[..., K, N], over the leading axes (a missing or length-1 axis repeats).
function _matmul(a, b)
    r = max(ndims(a), ndims(b))
    a = reshape(a, ntuple(_ -> 1, r - ndims(a))..., size(a)...)
    b = reshape(b, ntuple(_ -> 1, r - ndims(b))..., size(b)...)
    lead = ntuple(d -> max(size(a, d), size(b, d)), r - 2)
    y = zeros(lead..., size(a, r - 1), size(b, r))
    for I in CartesianIndices(lead)
        ia = CartesianIndex(ntuple(d -> size(a, d) == 1 ? 1 : I[d], r - 2))
        ib = CartesianIndex(ntuple(d -> size(b, d) == 1 ? 1 : I[d], r - 2))
        y[I, :, :] = a[ia, :, :] * b[ib, :, :]
    end
    return y
end`,
  dot: `# Contracts axis px[end] of x with axis py[1] of y; the rest of x's axes, then of y's ((1,) when none).
function _dot(x, y, px, py)
    n = size(x, px[end])
    z = reshape(permutedims(x, px), :, n) * reshape(permutedims(y, py), n, :)
    dims = (map(d -> size(x, d), px[1:end-1])..., map(d -> size(y, d), py[2:end])...)
    return reshape(z, isempty(dims) ? (1,) : dims)
end`,
  tap: `# The input position that kernel offset k reads for output position o (both CartesianIndex), or nothing outside x.
function _tap(x, o, k, strides, dilation, pad_before)
    i = ntuple(d -> (o[d] - 1) * strides[d] + (k[d] - 1) * dilation[d] - pad_before[d] + 1, length(strides))
    return all(d -> 1 <= i[d] <= size(x, d), 1:length(i)) ? i : nothing
end`,
  conv: `# Channels-last convolution: x[spatial..., C], K[kernel..., C ÷ groups, F], b[F] or nothing.
function _conv(x, K, b, strides, dilation, pad_before, out, groups)
    r = length(strides)
    cg, F = size(K, r + 1), size(K, r + 2)
    fg = div(F, groups)
    y = zeros(out..., F)
    for o in CartesianIndices(out), k in CartesianIndices(size(K)[1:r])
        i = _tap(x, o, k, strides, dilation, pad_before)
        i === nothing && continue
        for f in 1:F
            c0 = div(f - 1, fg) * cg
            for c in 1:cg
                y[o, f] += x[i..., c0 + c] * K[k, c, f]
            end
        end
    end
    return b === nothing ? y : y .+ reshape(b, ntuple(_ -> 1, r)..., F)
end`,
  depthwise_conv: `# Channels-last depthwise convolution: x[spatial..., C], D[kernel..., C, M], b[C * M] or nothing.
function _depthwise_conv(x, D, b, strides, dilation, pad_before, out)
    r = length(strides)
    C, M = size(D, r + 1), size(D, r + 2)
    y = zeros(out..., C * M)
    for o in CartesianIndices(out), k in CartesianIndices(size(D)[1:r])
        i = _tap(x, o, k, strides, dilation, pad_before)
        i === nothing && continue
        for c in 1:C, j in 1:M
            y[o, (c - 1) * M + j] += x[i..., c] * D[k, c, j]
        end
    end
    return b === nothing ? y : y .+ reshape(b, ntuple(_ -> 1, r)..., C * M)
end`,
  pool: `# Max or average pooling, channels-last; the average counts only the cells inside x (as TF).
function _pool(x, kind, kernel, strides, dilation, pad_before, out)
    C = size(x, ndims(x))
    y = fill(kind === :max ? -Inf : 0.0, out..., C)
    n = zeros(out...)
    for o in CartesianIndices(out), k in CartesianIndices(kernel)
        i = _tap(x, o, k, strides, dilation, pad_before)
        i === nothing && continue
        n[o] += 1
        for c in 1:C
            y[o, c] = kind === :max ? max(y[o, c], x[i..., c]) : y[o, c] + x[i..., c]
        end
    end
    return kind === :max ? y : y ./ n
end`,
  pad: `# Zeros before and after each axis.
function _pad(x, before, after)
    y = zeros(size(x) .+ before .+ after)
    y[ntuple(d -> before[d] + 1:before[d] + size(x, d), ndims(x))...] = x
    return y
end`,
  gather: `# Row trunc(id) + 1 of table for every id (ids from 0), or NaN when there is no such row.
function _gather(ids, table)
    y = fill(NaN, size(ids)..., size(table, 2))
    for i in CartesianIndices(ids)
        r = ids[i]
        if isfinite(r) && 0 <= trunc(r) < size(table, 1)
            y[i, :] = table[Int(trunc(r)) + 1, :]
        end
    end
    return y
end`,
};
type Helper = keyof typeof HELPERS;

/** What each helper calls. */
const NEEDS: Partial<Record<Helper, Helper[]>> = { weights: ['rev'], reshape: ['rev'], layer_norm: ['mean'], conv: ['tap'], depthwise_conv: ['tap'], pool: ['tap'] };

/** A Julia tuple literal. */
const jt = (xs: readonly (number | string)[]) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;
/** 1-based axes. */
const axes1 = (xs: readonly number[]) => jt(xs.map((a) => a + 1));
const dim = (d: number) => (d === -1 ? 'T' : String(d));

/** Julia source of a tensor program: weights as module-level constants, predict() as a few array operations. */
export const juliaTensor: TensorEmitter = {
  symbolicWeights: true,
  emit(p: TensorProgram, opts: EmitOptions): string {
    const names = tensorNames(p);
    // --weights symbolic: every weight is read from predict's params (none for a model without weights).
    const weights = opts.symbolicWeights ? tensorParams(p, names) : [];
    const symbolic = weights.length > 0;
    for (const t of weights) names[t.id] = `params.${t.name}`;
    const uses = useCounts(p);
    const helpers = new Set<Helper>(['check']);
    const fns = new Set<Fn>();
    const syntax = juliaSyntax(() => '');
    const shapeOf = (id: TensorId) => p.tensors[id].shape;
    const rank = (id: TensorId) => shapeOf(id).length;
    // Element-wise functions: one scalar Julia function per distinct template, broadcast with f.(…).
    const mapFns = new Map<string, string>();
    const mapDefs: string[] = [];
    const taken = new Set<string>([...Object.keys(HELPERS).map((h) => `_${h}`), '_w']);
    const inlined = new Map<TensorId, string>();
    const inlinedPrec = new Map<TensorId, Prec>();
    const ports = new Set([...p.inputs, ...p.outputs].map((t) => t.tensor.id));
    const calls = new Set(p.calls.flatMap((c) => c.outputs.map((t) => t.id)));
    const arg = (id: TensorId, atom = true): string => {
      const t = inlined.get(id);
      if (t === undefined) return names[id];
      return atom && inlinedPrec.get(id)! < Prec.Atom ? `(${t})` : t;
    };
    const num = (v: number) => formatNumber(v, JL_NUMBERS, opts.precision);
    const use = (h: Helper) => {
      helpers.add(h);
      for (const n of NEEDS[h] ?? []) use(n);
    };
    /** `id` with `k` leading axes of length 1, for broadcasting against a tensor of higher rank. */
    const lift = (id: TensorId, k: number): string => {
      const s = shapeOf(id);
      // A tensor of rank 0 (a zero-dimensional array, or the number a broadcast over one returns) broadcasts as it is.
      if (k === 0 || s.length === 0) return arg(id, false);
      if (s.includes(-1)) {
        use('lift');
        return `_lift(${arg(id, false)}, ${k})`;
      }
      return `reshape(${arg(id, false)}, ${[...Array<number>(k).fill(1), ...s].join(', ')})`;
    };

    /** The name of the scalar function for a map's template, defined on first use; or a known function's name. */
    const mapFunction = (at: MapAttrs, arity: number): { name: string } | { identity: true } => {
      const params = arity === 1 ? ['x'] : Array.from({ length: arity }, (_, i) => String.fromCharCode(97 + i));
      const m = printMap(at, params.map((text) => ({ text, prec: Prec.Atom })), syntax, JULIA_FUNCTIONS, opts);
      m.uses.forEach((f) => fns.add(f));
      if (arity === 1 && m.text === 'x') return { identity: true };
      const known = arity === 1 ? /^([a-z]\w*)\(x\)$/.exec(m.text) : null;
      if (known) return { name: known[1] };
      const key = `${arity}:${m.text}`;
      let name = mapFns.get(key);
      if (name === undefined) {
        const base = `_${at.derivative !== undefined ? 'd' : ''}${at.fn}`;
        name = base;
        for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
        taken.add(name);
        mapFns.set(key, name);
        mapDefs.push(`${name}(${params.join(', ')}) = ${m.text}`);
      }
      return { name };
    };

    const expr = (eq: Equation): string => {
      const a = eq.args;
      const x = () => arg(a[0], false);
      const op = eq.op as TOp;
      switch (op) {
        case 'dense': {
          const at = eq.attrs as unknown as DenseAttrs;
          const r = rank(a[0]);
          const terms: string[] = [];
          for (let k = 0; k < at.pairs; k++) {
            const [xk, wk] = [a[2 * k], a[2 * k + 1]];
            if (r === 1) terms.push(`${arg(wk)}' * ${arg(xk)}`);
            else if (r === 2) terms.push(`${arg(xk)} * ${arg(wk)}`);
            else {
              use('dense');
              terms.push(`_dense(${arg(xk, false)}, ${arg(wk, false)})`);
            }
          }
          if (at.bias) {
            const b = a[2 * at.pairs];
            terms.push(r === 1 ? arg(b) : r === 2 ? `${arg(b)}'` : lift(b, r - 1));
          }
          return terms.join(' .+ ');
        }
        case 'map': {
          const f = mapFunction(eq.attrs as unknown as MapAttrs, a.length);
          const r = rank(eq.outs[0]);
          const args = a.map((id) => lift(id, r - rank(id)));
          return 'identity' in f ? args[0] : `${f.name}.(${args.join(', ')})`;
        }
        case 'softmax':
        case 'log_softmax':
        case 'l2_normalize':
          use(op);
          return `_${op}(${x()}, ${axes1((eq.attrs as unknown as AxesAttrs).axes)})`;
        case 'layer_norm': {
          const at = eq.attrs as unknown as LayerNormAttrs;
          const shape = shapeOf(a[0]).map((d, i) => (at.axes.includes(i) ? d : 1));
          // Inserting axes of length 1 keeps the element order in any storage order.
          const param = (k: number) => `reshape(${arg(a[k], false)}, ${shape.join(', ')})`;
          use('layer_norm');
          const gamma = at.scale ? param(1) : 'nothing';
          const beta = at.center ? param(at.scale ? 2 : 1) : 'nothing';
          return `_layer_norm(${x()}, ${axes1(at.axes)}, ${num(at.eps)}, ${gamma}, ${beta})`;
        }
        case 'dot': {
          const at = eq.attrs as unknown as DotAttrs;
          const [rx, ry] = [rank(a[0]), rank(a[1])];
          const px = [...[...Array(rx).keys()].filter((i) => i !== at.axes[0]), at.axes[0]];
          const py = [at.axes[1], ...[...Array(ry).keys()].filter((i) => i !== at.axes[1])];
          const side = (id: TensorId, ax: number) => {
            if (!at.normalize) return arg(id, false);
            use('l2_normalize');
            return `_l2_normalize(${arg(id, false)}, ${axes1([ax])})`;
          };
          use('dot');
          return `_dot(${side(a[0], at.axes[0])}, ${side(a[1], at.axes[1])}, ${axes1(px)}, ${axes1(py)})`;
        }
        case 'conv': {
          const at = eq.attrs as unknown as ConvAttrs;
          use('conv');
          return `_conv(${x()}, ${arg(a[1], false)}, ${at.bias ? arg(a[2], false) : 'nothing'}, ${jt(at.strides)}, ${jt(at.dilation)}, ${jt(at.padBefore)}, ${jt(at.outSpatial)}, ${at.groups})`;
        }
        case 'depthwise_conv': {
          const at = eq.attrs as unknown as DepthwiseAttrs;
          use('depthwise_conv');
          return `_depthwise_conv(${x()}, ${arg(a[1], false)}, ${at.bias ? arg(a[2], false) : 'nothing'}, ${jt(at.strides)}, ${jt(at.dilation)}, ${jt(at.padBefore)}, ${jt(at.outSpatial)})`;
        }
        case 'pool': {
          const at = eq.attrs as unknown as PoolAttrs;
          use('pool');
          return `_pool(${x()}, :${at.kind}, ${jt(at.kernel)}, ${jt(at.strides)}, ${jt(at.dilation)}, ${jt(at.padBefore)}, ${jt(at.outSpatial)})`;
        }
        case 'global_pool': {
          const dims = axes1([...Array(rank(a[0]) - 1).keys()]);
          if ((eq.attrs as unknown as GlobalPoolAttrs).kind === 'max') return `vec(maximum(${x()}; dims=${dims}))`;
          use('mean');
          return `vec(_mean(${x()}, ${dims}))`;
        }
        case 'transpose':
          return `permutedims(${x()}, ${axes1((eq.attrs as unknown as TransposeAttrs).perm)})`;
        case 'reshape': {
          const to = (eq.attrs as unknown as ReshapeAttrs).shape;
          const dims = to.map((d) => (d === -1 ? ':' : String(d)));
          // Adding or dropping axes of length 1 keeps the element order in any storage order.
          const core = (s: readonly number[]) => s.filter((d) => d !== 1).join(',');
          if (core(shapeOf(a[0])) === core(to)) return `reshape(${x()}, ${dims.length === 0 ? '()' : dims.join(', ')})`;
          use('reshape');
          return `_reshape(${x()}, ${jt(dims)})`;
        }
        case 'concat':
          return `cat(${a.map((id) => arg(id, false)).join(', ')}; dims=${(eq.attrs as unknown as AxisAttrs).axis + 1})`;
        case 'repeat':
          return `repeat(${lift(a[0], 1)}, ${(eq.attrs as unknown as RepeatAttrs).n})`;
        case 'pad': {
          const at = eq.attrs as unknown as PadAttrs;
          use('pad');
          return `_pad(${x()}, ${jt(at.before)}, ${jt(at.after)})`;
        }
        case 'slice': {
          const at = eq.attrs as unknown as SliceAttrs;
          const s = shapeOf(a[0]);
          return `${arg(a[0])}[${at.begin.map((b, i) => (b === 0 && at.end[i] === s[i] ? ':' : `${b + 1}:${at.end[i]}`)).join(', ')}]`;
        }
        case 'upsample':
          return `repeat(${x()}; inner=${jt((eq.attrs as unknown as UpsampleAttrs).factors)})`;
        case 'reverse':
          return `reverse(${x()}; dims=${(eq.attrs as unknown as AxisAttrs).axis + 1})`;
        case 'monomials': {
          // x^0 is 1 for every x in Julia, so each row of powers is applied whole.
          const rows = (eq.attrs as unknown as MonomialsAttrs).exponents.map((e) => `[${e.join(', ')}]`);
          return `[prod(${arg(a[0])} .^ e) for e in (${rows.join(', ')}${rows.length === 1 ? ',' : ''})]`;
        }
        case 'gather':
          use('gather');
          return `_gather(${x()}, ${arg(a[1], false)})`;
        case 'gather_rows':
          use('gather');
          return `_gather(${arg(a[1], false)}, ${x()})`;
        case 'matmul':
          if (rank(a[0]) === 2 && rank(a[1]) === 2) return `${arg(a[0])} * ${arg(a[1])}`;
          use('matmul');
          return `_matmul(${x()}, ${arg(a[1], false)})`;
        case 'bitcast':
          // The float32 values' bits as integers (reinterpret), held as Float64 as every value is.
          return `Float64.(reinterpret.(${(eq.attrs as unknown as BitcastAttrs).to === 'int32' ? 'Int32' : 'UInt32'}, Float32.(${x()})))`;
        case 'scan':
        case 'foreach':
          throw new Error('julia tensor form: a loop is a statement, not an expression');
        default: {
          const never: never = op;
          throw new Error(`julia tensor form: unknown op ${String(never)}`);
        }
      }
    };

    const body: string[] = [];
    const block = (eqs: readonly Equation[], indent: string, keep: ReadonlySet<TensorId>) => {
      eqs.forEach((eq, i) => {
        if (eq.op === 'scan') return scan(eq, indent);
        if (eq.op === 'foreach') return foreach(eq, indent);
        const text = expr(eq);
        const out = eq.outs[0];
        const next = eqs[i + 1];
        // f.(expr) evaluates expr once, however often f's template reads its argument.
        const inline = ANONYMOUS.has(p.tensors[out].role) && uses[out] === 1 && !ports.has(out) && !keep.has(out) && !calls.has(out) && next !== undefined && next.op !== 'scan' && next.op !== 'foreach' && next.args.includes(out);
        if (inline) {
          inlined.set(out, text);
          inlinedPrec.set(out, isAtom(text) ? Prec.Atom : Prec.Add);
        } else if (uses[out] > 0 || ports.has(out) || keep.has(out)) body.push(`${indent}${names[out]} = ${text}`);
      });
    };
    const steps = (id: TensorId) => `size(${names[id]}, 1)`;
    const scan = (eq: Equation, indent: string) => {
      const at = eq.attrs as unknown as ScanAttrs;
      const b = eq.body!;
      const xs = eq.args[0];
      const [xt, ...states] = b.inputs;
      states.forEach((s, k) => {
        const init = eq.args[1 + k];
        body.push(`${indent}${names[s]} = ${init !== undefined ? names[init] : `zeros(${at.units})`}`);
      });
      const main = names[eq.outs[0]];
      if (at.returnSequences) body.push(`${indent}${main} = zeros(${steps(xs)}, ${at.units})`);
      body.push(`${indent}for t in ${at.reverse ? `${steps(xs)}:-1:1` : `1:${steps(xs)}`}`);
      const inner = `${indent}    `;
      body.push(`${inner}${names[xt]} = ${names[xs]}[t, :]`);
      block(b.equations, inner, new Set(b.outputs));
      body.push(`${inner}${states.map((s) => names[s]).join(', ')} = ${b.outputs.map((o) => names[o]).join(', ')}`);
      // The sequence is in processing order: a reversed scan's first row is the last time step.
      if (at.returnSequences) body.push(`${inner}${main}[${at.reverse ? `${steps(xs)} + 1 - t` : 't'}, :] = ${names[states[0]]}`);
      body.push(`${indent}end`);
      if (!at.returnSequences) body.push(`${indent}${main} = ${names[states[0]]}`);
      states.forEach((s, k) => {
        if (uses[eq.outs[1 + k]] > 0 || ports.has(eq.outs[1 + k])) body.push(`${indent}${names[eq.outs[1 + k]]} = ${names[s]}`);
      });
    };
    const foreach = (eq: Equation, indent: string) => {
      const b = eq.body!;
      const xs = eq.args[0];
      const out = names[eq.outs[0]];
      const inner = `${indent}    `;
      const rest = (r: number) => Array<string>(r).fill(':').join(', ');
      const each = shapeOf(b.outputs[0]);
      if (each.includes(-1) || rank(xs) < 2) throw new Nn2eqError(`a time-distributed layer maps slices of shape [${shapeOf(xs).slice(1).map(dim).join(', ')}] to [${each.map(dim).join(', ')}]; the Julia tensor form expects fixed shapes of rank 1 or more for both`, 'unsupported', 'use --form scalar');
      body.push(`${indent}${out} = zeros(${steps(xs)}, ${each.map((d) => (d === -1 ? ':' : d)).join(', ')})`);
      body.push(`${indent}for t in 1:${steps(xs)}`);
      body.push(`${inner}${names[b.inputs[0]]} = ${names[xs]}[t, ${rest(rank(xs) - 1)}]`);
      block(b.equations, inner, new Set(b.outputs));
      body.push(`${inner}${out}[t, ${rest(each.length)}] = ${names[b.outputs[0]]}`);
      body.push(`${indent}end`);
    };
    block(p.equations, '    ', new Set());

    const params = p.inputs.map((_, i) => `input${i + 1}`);
    const size = (s: readonly number[]) => `(${s.map(dim).join(', ')}${s.length === 1 ? ',' : ''})`;
    const outs = p.outputs.map((o) => names[o.tensor.id]);
    const args = [...(symbolic ? ['params'] : []), ...params];
    const lines: string[] = [];
    lines.push(`# Generated by nn2eq from model '${opts.modelName}' (${symbolic ? 'tensor form, symbolic weights' : 'tensor form'}). Do not edit.`);
    lines.push('#');
    lines.push(`# predict(${args.join(', ')}) -> ${outs.length === 1 ? 'y' : `(${outs.map((_, i) => `y${i + 1}`).join(', ')})`}, one example per call:`);
    if (symbolic) {
      lines.push(`#   params: a NamedTuple of the weight arrays (PARAMS below holds the trained values; call predict(PARAMS, ${params.join(', ')})):`);
      appendLines(lines, tensorParamLayout(weights, '#     params.'));
    }
    p.inputs.forEach((port, i) => lines.push(`#   ${params[i]}: an array of size ${size(port.tensor.shape)} (real numbers)`));
    p.outputs.forEach((port, i) => lines.push(`#   ${outs.length === 1 ? 'y' : `y${i + 1}`}: an Array{Float64} of size ${size(port.tensor.shape)}`));
    lines.push("# Arrays keep the model's axis order, indexed from 1: x[i, j] is element (i-1, j-1) of the model's tensor (no batch axis).");
    lines.push(...namedElementLines(p, opts, '# ', (side, port, idx) => `${side === 'input' ? `input${port + 1}` : outs.length === 1 ? 'y' : `y${port + 1}`}[${idx.map((i) => i + 1).join(', ')}]`));
    if (p.inputs.some((port) => port.tensor.shape.includes(-1))) lines.push('# T is a time axis of any length.');
    for (const n of opts.notes ?? []) lines.push(`# ${n}`);
    if (fns.has('erf')) lines.push('', 'using SpecialFunctions: erf  # add with: import Pkg; Pkg.add("SpecialFunctions")');
    for (const f of Object.keys(JULIA_PRELUDE)) if (fns.has(f as Fn)) lines.push('', JULIA_PRELUDE[f]);
    const consts = constantsUsed(p);
    if (consts.length > 0) use('weights');
    for (const h of Object.keys(HELPERS) as Helper[]) if (helpers.has(h)) lines.push('', HELPERS[h]);
    if (mapDefs.length > 0) appendLines(lines, '', mapDefs);
    if (symbolic) {
      lines.push('', 'const PARAMS = (');
      for (const w of weights) appendLines(lines, `    ${w.name} = _w("""`, weightRows(p.tensors[w.id], JL_NUMBERS, opts.precision), `""", ${jt(w.shape)}),`);
      lines.push(')');
    } else {
      const compared = comparedConstants(p);
      for (const id of consts) {
        const t = p.tensors[id];
        appendLines(lines, '', `const ${names[id]} = _w("""`, weightRows(t, JL_NUMBERS, opts.precision, compared.has(id)), `""", ${jt(t.shape)})`);
      }
    }
    lines.push('', `function predict(${args.join(', ')})`);
    p.inputs.forEach((port, i) => lines.push(`    ${names[port.tensor.id]} = _check(${params[i]}, ${jt(port.tensor.shape)}, "${params[i]}")`));
    appendLines(lines, body);
    lines.push(`    return ${outs.length === 1 ? outs[0] : `(${outs.join(', ')})`}`, 'end', '');
    return lines.join('\n');
  },
};
