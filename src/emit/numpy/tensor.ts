import { Prec, type Fn } from '../../ir/ops.js';
import type { AxesAttrs, AxisAttrs, BitcastAttrs, ConvAttrs, DepthwiseAttrs, DotAttrs, GlobalPoolAttrs, LayerNormAttrs, MapAttrs, MonomialsAttrs, PadAttrs, PoolAttrs, RepeatAttrs, ReshapeAttrs, ScanAttrs, SliceAttrs, TOp, TransposeAttrs, UpsampleAttrs } from '../../tensor/ops.js';
import { sizeOf, type Equation, type TensorId, type TensorProgram } from '../../tensor/program.js';
import { Nn2eqError } from '../../errors.js';
import { formatNumber } from '../number.js';
import { NUMPY_FUNCTIONS, NUMPY_PRELUDE, numpySyntax } from './syntax.js';
import { noSymbolicGather } from '../../tensor/ops.js';
import { allEquations, appendLines, comparedConstants, constantsUsed, dependsOnInputs, isAtom, printMap, templateReads, tensorNames, tensorParamLayout, tensorParams, useCounts, weightRows, type Arg } from '../tensor-common.js';
import type { EmitOptions, TensorEmitter } from '../types.js';
import { namedElementLines } from '../port-names.js';

/** Roles of values that have no name of their own (pre-activations, temporaries): printed in place when read once. */
const ANONYMOUS = new Set(['_', 'a', 'v', 'd']);

/** Ops whose text does not read an argument exactly once (loops are statements; reshape and pad print it more than once). */
const ONCE_NOT: ReadonlySet<TOp> = new Set<TOp>(['scan', 'foreach', 'reshape', 'pad']);

/** Weight text as numpy.fromstring reads it. */
const TEXT_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'inf', nan: 'nan' };

/** Helpers written into the file only when an op uses them. */
export const HELPERS = {
  softmax: `def _softmax(x, axes):
    e = np.exp(x - np.max(x, axis=axes, keepdims=True))
    return e / np.sum(e, axis=axes, keepdims=True)`,
  log_softmax: `def _log_softmax(x, axes):
    s = x - np.max(x, axis=axes, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axes, keepdims=True))`,
  layer_norm: `def _layer_norm(x, axes, eps, gamma, beta):
    d = x - np.mean(x, axis=axes, keepdims=True)
    y = d * (1.0 / np.sqrt(np.mean(d * d, axis=axes, keepdims=True) + eps))
    if gamma is not None:
        y = y * gamma
    return y if beta is None else y + beta`,
  l2_normalize: `def _l2_normalize(x, axes):
    return x * (1.0 / np.sqrt(np.maximum(np.sum(x * x, axis=axes, keepdims=True), 1e-12)))`,
  matmul: `def _matmul(a, b, ra, rb):
    """a @ b over the last two axes, a and b of ranks ra and rb before their batch axes: the lower rank is padded with axes of length 1."""
    r = max(ra, rb)
    a = a.reshape(a.shape[:a.ndim - ra] + (1,) * (r - ra) + a.shape[a.ndim - ra:])
    b = b.reshape(b.shape[:b.ndim - rb] + (1,) * (r - rb) + b.shape[b.ndim - rb:])
    return a @ b`,
  padded: `def _padded(x, kernel, strides, dilation, pad_before, out, fill):
    """x padded with fill on the spatial axes before the channels, so that every window of the output lies inside."""
    r = len(kernel)
    # A negative pad (a transposed convolution padded by more than kernel - 1) crops the input instead.
    x = x[(Ellipsis,) + tuple(slice(max(0, -p), None) for p in pad_before) + (slice(None),)]
    size = x.shape[x.ndim - r - 1:-1]
    pads = tuple((max(0, p), max(0, (o - 1) * s + (k - 1) * d + 1 - max(0, p) - n)) for p, o, s, k, d, n in zip(pad_before, out, strides, kernel, dilation, size))
    if not any(before or after for before, after in pads):
        return x
    # The borders are filled and x copied in (np.pad does the same with more work around it).
    xp = np.empty(x.shape[:x.ndim - r - 1] + tuple(n + a + z for n, (a, z) in zip(size, pads)) + x.shape[-1:], dtype=x.dtype)
    for i, (a, z) in enumerate(pads):
        axis = (slice(None),) * (x.ndim - r - 1 + i)
        xp[axis + (slice(0, a),)] = fill
        xp[axis + (slice(xp.shape[x.ndim - r - 1 + i] - z, None),)] = fill
    xp[(Ellipsis,) + tuple(slice(a, a + n) for n, (a, _) in zip(size, pads)) + (slice(None),)] = x
    return xp`,
  windows: `def _windows(x, kernel, strides, dilation, pad_before, out, fill):
    """(kernel offset, the strided slice of x it multiplies) over the spatial axes before the channels."""
    xp = _padded(x, kernel, strides, dilation, pad_before, out, fill)
    for k in np.ndindex(*kernel):
        cut = tuple(slice(i * d, i * d + (o - 1) * s + 1, s) for i, d, o, s in zip(k, dilation, out, strides))
        yield k, xp[(Ellipsis,) + cut + (slice(None),)]`,
  cells: `def _cells(x, kernel, strides, dilation, pad_before, out):
    """The windows of x as a strided view, no copy: (..., output positions, channels, kernel cells)."""
    r = len(out)
    xp = _padded(x, kernel, strides, dilation, pad_before, out, 0.0)
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    w = np.lib.stride_tricks.sliding_window_view(xp, span, axis=tuple(range(xp.ndim - r - 1, xp.ndim - 1)))
    # Every stride-th position, every dilation-th cell.
    return w[(Ellipsis,) + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out, strides)) + (slice(None),) + tuple(slice(None, None, d) for d in dilation)]`,
  products: `def _products(a, B, out):
    """out = a @ B for a matrix a: in products of at most 10 ** 6 multiply-adds, when that leaves 32 rows or more to
    each, as OpenBLAS multiplies matrices that small without packing them first (10-30% faster on ResNet's layers)."""
    n, (k, f) = a.shape[0], B.shape
    m = 10 ** 6 // max(1, k * f)
    if m < 32 or m >= n:
        return np.matmul(a, B, out=out)
    q = n // m * m
    np.matmul(a[:q].reshape(-1, m, k), B, out=out[:q].reshape(-1, m, f))
    if q < n:
        np.matmul(a[q:], B, out=out[q:])
    return out`,
  conv: `def _conv(x, K, b, strides, dilation, pad_before, out, groups):
    """x convolved with K (kernel cells, channels per group, filters), plus b. A 1×1 kernel that reads no padding is one
    matrix product of every stride-th position (see _products). Otherwise, without groups, an output of few positions (under 196 per
    example) or an input of few channels (under 32) is the cells of every window side by side times K (im2col), in
    blocks of about 2 MB, each copied and multiplied while it is in cache. The rest is one product per kernel offset,
    added up in place (products of one row of positions each, which OpenBLAS runs faster here than one tall product)."""
    r = len(out)
    lead, size, kernel, (cg, f) = x.shape[:x.ndim - r - 1], x.shape[x.ndim - r - 1:-1], K.shape[:-2], K.shape[-2:]
    cells, c, m = int(np.prod(kernel)), x.shape[-1], int(np.prod(out))
    if groups == 1 and cells == 1 and not any(pad_before) and all((o - 1) * s < n for o, s, n in zip(out, strides, size)):
        xs = x[(Ellipsis,) + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out, strides)) + (slice(None),)]
        xs = xs.reshape(int(np.prod(xs.shape[:-1])), c)
        y = _products(xs, K.reshape(c, f), np.empty((xs.shape[0], f), dtype=np.result_type(x, K)))
        if b is not None:
            y += b
    elif groups == 1 and (c < 32 or m < 196):
        xp = _padded(x, kernel, strides, dilation, pad_before, out, 0.0)
        xp = xp.reshape((int(np.prod(lead)),) + xp.shape[xp.ndim - r - 1:])
        # Every window as a strided view (examples, output positions, kernel cells, channels): no copy yet.
        t = xp.strides
        w = np.lib.stride_tricks.as_strided(xp, xp.shape[:1] + out + kernel + (c,), t[:1] + tuple(a * s for a, s in zip(t[1:-1], strides)) + tuple(a * d for a, d in zip(t[1:-1], dilation)) + t[-1:], writeable=False)
        y = np.empty(xp.shape[:1] + out + (f,), dtype=np.result_type(x, K))
        Kr = K.reshape(cells * c, f)
        # Positions along the first output axis per block (whole examples when they fit).
        block = max(1, (1 << 21) // y.itemsize // max(1, m // max(1, out[0]) * cells * c))
        e = max(1, block // max(1, out[0]))
        for i in range(0, y.shape[0] if y.size else 0, e):
            for j in range(0, out[0], block):
                ys = y[i:i + e, j:j + block].reshape(-1, f)
                _products(w[i:i + e, j:j + block].reshape(ys.shape[0], cells * c), Kr, ys)
                if b is not None:
                    ys += b
    else:
        y = spare = None
        fg = f // groups
        for k, xs in _windows(x, kernel, strides, dilation, pad_before, out, 0.0):
            if groups == 1:
                # After the first, every product goes into the same spare array.
                term = np.matmul(xs, K[k], out=spare)
            else:
                term = np.concatenate([xs[..., g * cg:(g + 1) * cg] @ K[k][:, g * fg:(g + 1) * fg] for g in range(groups)], axis=-1)
            if y is None:
                y = term
            else:
                y += term
                spare = term if groups == 1 else None
        if b is not None:
            y += b
    return y.reshape(lead + out + (f,))`,
  against: `def _against(f, a, b):
    """f(a, b) for f np.maximum or np.minimum where a or b is a number: the number made an array of the other's shape
    first, as NumPy 1.24 takes the maximum of two arrays 2-3 times faster than of an array and a number; the result
    goes into that array."""
    if isinstance(b, np.ndarray) and b.ndim > 0:
        a = np.full_like(b, a)
        return f(a, b, out=a)
    if isinstance(a, np.ndarray) and a.ndim > 0:
        b = np.full_like(a, b)
        return f(a, b, out=b)
    return f(a, b)`,
  winograd: `def _winograd(x, U, b, pad_before, out):
    """x convolved with a 3×3 kernel at stride 1, plus b, by Winograd's F(2×2, 3×3) (Lavin and Gray, 2015); U is the
    kernel as _winograd_kernel gives it. Each 2×2 block of outputs reads the 4×4 cells around it: Bᵀ d B (additions only),
    then cell by cell times U (16 matrix products over the channels, where the 3×3 kernel takes 36 per 2×2 outputs,
    2.25 times fewer multiply-adds), then Aᵀ m A (additions only). Done a few rows of blocks at a time (about 512 KB of
    cells, at least 64 blocks a product), which stay in cache from one step to the next."""
    lead, (c, f), (h, w) = x.shape[:-3], U.shape[1:], out
    n, th, tw = int(np.prod(lead)), (h + 1) // 2, (w + 1) // 2
    xp = _padded(x, (3, 3), (1, 1), (1, 1), pad_before, (2 * th, 2 * tw), 0.0)
    xp = xp.reshape((n,) + xp.shape[-3:])
    y = np.empty((n, 2 * th, 2 * tw, f), dtype=np.result_type(x, U))
    At = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=y.dtype)
    A = np.kron(At, At)

    def bt(d, into):
        """Bᵀ d along the first axis of four cells d: d0 - d2, d1 + d2, d2 - d1, d1 - d3."""
        np.subtract(d[0], d[2], out=into[0])
        np.add(d[1], d[2], out=into[1])
        np.subtract(d[2], d[1], out=into[2])
        np.subtract(d[1], d[3], out=into[3])

    # Rows of blocks per part: about 512 KB of cells, at least 64 blocks; then as many rows in every part as that allows.
    rows = max(1, (1 << 19) // (16 * tw * c * y.itemsize), -(-64 // tw))
    rows = -(-th // -(-th // rows))
    for e in range(n):
        for r in range(0, th, rows):
            k = min(rows, th - r)
            # The rows of every block, then their columns: v[i, j] is cell (i, j) of Bᵀ d B for k rows of tw blocks.
            d = np.empty((4, k, xp.shape[2], c), dtype=y.dtype)
            bt([xp[e, 2 * r + i:2 * (r + k) + i:2] for i in range(4)], d)
            v = np.empty((4, 4, k, tw, c), dtype=y.dtype)
            for i in range(4):
                bt([d[i][:, j:j + 2 * tw:2] for j in range(4)], v[i])
            m = np.matmul(v.reshape(16, k * tw, c), U)
            # Aᵀ m A for every block at once, its 2×2 outputs put in place with b added.
            z = (A @ m.reshape(16, -1)).reshape(2, 2, k, tw, f).transpose(2, 0, 3, 1, 4)
            ys = y[e, 2 * r:2 * (r + k)].reshape(z.shape)
            if b is None:
                np.copyto(ys, z)
            else:
                np.add(z, b, out=ys)
    if (2 * th, 2 * tw) != out:
        y = np.ascontiguousarray(y[:, :h, :w])
    return y.reshape(lead + out + (f,))`,
  winograd_kernel: `def _winograd_kernel(K):
    """A 3×3 kernel K (3, 3, channels, filters) as _winograd multiplies it: G K Gᵀ over the kernel's two axes, computed
    in float64 and rounded once, its 4×4 cells in a row (16, channels, filters)."""
    G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    GK = (G @ K.reshape(3, -1)).reshape(4, 3, -1)
    return np.matmul(G, GK).reshape((16,) + K.shape[2:]).astype(K.dtype)`,
  depthwise_conv: `def _depthwise_conv(x, D, b, strides, dilation, pad_before, out):
    """Every window of every channel against that channel's kernels D[..., c, m], summed by einsum. With one kernel per
    channel, under 64 channels, at stride and dilation 1 along the last axis: one product per kernel cell, added up, each
    along a whole row of positions and channels at once (einsum's loops run along the channels only, too few)."""
    c, m = D.shape[-2:]
    if m == 1 and c < 64 and strides[-1] == 1 and dilation[-1] == 1:
        y = t = None
        for k, xs in _windows(x, D.shape[:-2], strides, dilation, pad_before, out, 0.0):
            # A row of positions and channels is one run of numbers of x, and D[k] repeated along it.
            xs, d = xs.reshape(xs.shape[:-2] + (-1,)), np.tile(D[k][:, 0], out[-1])
            if y is None:
                y = xs * d
                t = np.empty_like(y)
            else:
                y += np.multiply(xs, d, out=t)
        if b is not None:
            y += np.tile(b, out[-1])
        return y.reshape(y.shape[:-1] + (out[-1], c))
    cells = 'ijkl'[:len(out)]
    y = np.einsum(f'...c{cells},{cells}cm->...cm', _cells(x, D.shape[:-2], strides, dilation, pad_before, out), D)
    y = y.reshape(y.shape[:-2] + (-1,))
    if b is not None:
        y += b
    return y`,
  pool: `def _pool(x, kind, size, strides, dilation, pad_before, out):
    if kind == 'max':
        y = None
        for i, (_, xs) in enumerate(_windows(x, size, strides, dilation, pad_before, out, -np.inf)):
            # The first window is a view of x; from the second on, the maximum goes into one array of its own.
            y = xs if i == 0 else np.maximum(y, xs, out=None if i == 1 else y)
        return y
    # TF's average counts only the cells inside the input.
    y, n = 0.0, 0.0
    cells = np.ones(x.shape[x.ndim - len(size) - 1:-1] + (1,), dtype=x.dtype)
    for (_, xs), (_, c) in zip(_windows(x, size, strides, dilation, pad_before, out, 0.0), _windows(cells, size, strides, dilation, pad_before, out, 0.0)):
        y, n = y + xs, n + c
    return y / n`,
  concat: `def _concat(xs, axis, rank):
    lead = np.broadcast_shapes(*(x.shape[:x.ndim - rank] for x in xs))
    return np.concatenate([np.broadcast_to(x, lead + x.shape[x.ndim - rank:]) for x in xs], axis=axis)`,
  transpose: `def _transpose(x, perm):
    lead = x.ndim - len(perm)
    return x.transpose(tuple(range(lead)) + tuple(lead + p for p in perm))`,
  gather: `def _gather(table, ids):
    i = np.trunc(ids)
    ok = (i >= 0) & (i < table.shape[0])
    y = table[np.where(ok, i, 0).astype(np.int64)]
    y[~ok] = np.nan
    return y`,
  gather_rows: `def _gather_rows(table, ids, rank):
    """Row trunc(id) of table [..., rows, cols] for every id (nan where there is no such row); ids carry rank axes after any batch axes."""
    i = np.trunc(ids)
    ok = (i >= 0) & (i < table.shape[-2])
    j = np.where(ok, i, 0).astype(np.int64)
    lead = np.broadcast_shapes(table.shape[:-2], j.shape[:j.ndim - rank])
    s = j.shape[j.ndim - rank:]
    t = np.broadcast_to(table, lead + table.shape[-2:])
    y = np.take_along_axis(t, np.broadcast_to(j, lead + s).reshape(lead + (-1, 1)), axis=-2).reshape(lead + s + table.shape[-1:])
    return np.where(np.broadcast_to(ok, lead + s)[..., None], y, np.nan)`,
  check: `def _check(a, shape, name):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim < len(shape) or any(n != -1 and n != m for n, m in zip(shape, a.shape[a.ndim - len(shape):])):
        raise ValueError(f"predict: {name} has shape {a.shape}, expected (..., {', '.join('T' if n == -1 else str(n) for n in shape)})")
    return a`,
  broadcast: `def _broadcast(v, *args):
    """v broadcast to the shape of an element-wise result whose formula no longer reads args."""
    return np.broadcast_to(v, np.broadcast_shapes(np.shape(v), *(np.shape(a) for a in args)))`,
  weights: `def _w(text, shape):
    return np.fromstring(text, dtype=np.float64, sep=' ').reshape(shape)`,
  param: `def _param(params, name, shape):
    a = np.asarray(params[name], dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"predict: params['{name}'] has shape {a.shape}, expected {shape}")
    return a`,
};
type Helper = keyof typeof HELPERS;

/**
 * How another Python target prints the tensor form on NumPy's skeleton (the SymPy form runs the
 * same array code on object arrays of SymPy expressions): its own helpers, its own text for some
 * equations, and the lines around predict.
 */
export interface PythonDialect {
  /** Helper definitions that replace NumPy's of the same name, or add new ones (after NumPy's). */
  readonly helpers: Readonly<Record<string, string>>;
  /** The dialect's own text for an equation, or null to print it as NumPy does. */
  expr(eq: Equation, ctx: DialectContext): string | null;
  /** The file's first lines: header comments and imports; `text` is everything after them; `params` the weight tensors predict takes (--weights symbolic), else null. */
  head(p: TensorProgram, opts: EmitOptions, text: string, params: TensorParams | null): string[];
  /** Lines after predict. */
  tail(p: TensorProgram, params: TensorParams | null): string[];
}

/** --weights symbolic: the weight tensors predict takes, as tensorParams lists them. */
export type TensorParams = ReturnType<typeof tensorParams>;

/** What a dialect's expr may ask: an argument printed (in parentheses when `atom` and it binds looser), its rank, a helper. */
export interface DialectContext {
  arg(id: TensorId, atom?: boolean): Arg;
  /** An argument of an element-wise op whose result has rank `rank`, with new axes after its batch axes where it has fewer (see `lifted`). */
  elementwise(id: TensorId, rank: number): Arg;
  rank(id: TensorId): number;
  use(helper: string): void;
}

/** A tuple in Python: (1,) for one element. */

export const py = (xs: readonly number[]) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;
/** Axis `a` of a rank-`r` tensor counted from the end, so leading batch axes do not matter. */
export const fromEnd = (a: number, r: number) => a - r;

/**
 * NumPy source of a tensor program: weights as module-level arrays, predict() as a few array
 * operations; with --weights symbolic predict(params, …) takes them and PARAMS holds the trained ones.
 */
export const numpyTensor: TensorEmitter = { emit: (p, opts) => emitPythonTensor(p, opts), symbolicWeights: true, float32: true };

/** The tensor form in Python: NumPy's, or a dialect's on NumPy's skeleton. */
export function emitPythonTensor(p: TensorProgram, opts: EmitOptions, dialect?: PythonDialect): string {
  const names = tensorNames(p);
  // A model without weights has nothing to take: it prints as without --weights symbolic, as the scalar form does.
  const taken = opts.symbolicWeights === true ? tensorParams(p, names) : [];
  const params = taken.length > 0 ? taken : null;
  if (params && allEquations(p).some(({ eq }) => eq.op === 'gather')) throw noSymbolicGather();
  const uses = useCounts(p);
  const helpers = new Set<string>(['check']);
  const fns = new Set<Fn>();
  // --dtype float32: arrays of np.float32 (the model's own precision; NumPy keeps a Python float
  // times a float32 array in float32), wherever the file names a type.
  const float = opts.dtype === 'float32' ? 'np.float32' : 'np.float64';
  const typed = (text: string) => text.replaceAll('np.float64', float);
  const zerosType = opts.dtype === 'float32' ? `, dtype=${float}` : '';
  const base = numpySyntax(() => '', float);
  // NumPy 1.24 takes the maximum or minimum of two arrays 2-3 times faster than of an array and a number (ReLU,
  // ReLU6): against a number, in an element-wise op of LARGE numbers or more per example, it is
  // _against(np.maximum, …) or _against(np.minimum, …), which make the number an array first (on fewer, the
  // call costs more than it saves).
  // (A number float32 cannot hold would make NumPy's result float64: that stays np.maximum.)
  const number = (t: string) => /^-?\d[\d.]*(e[+-]?\d+)?$/.test(t) && Math.abs(Number(t)) < 3e38;
  const bound = (ufunc: 'maximum' | 'minimum') => (a: string, b: string) => {
    if (dialect || !largeMap || number(a) === number(b)) return `np.${ufunc}(${a}, ${b})`;
    helpers.add('against');
    return `_against(np.${ufunc}, ${a}, ${b})`;
  };
  const syntax = { ...base, functions: { ...base.functions, max: bound('maximum'), min: bound('minimum') } };
  let largeMap = false;
  const rank = (id: TensorId) => p.tensors[id].shape.length;
  // A value read once, by the next lines of the same block, is printed in place.
  const inlined = new Map<TensorId, string>();
  const ports = new Set([...p.inputs, ...p.outputs].map((t) => t.tensor.id));
  const inlinedPrec = new Map<TensorId, Prec>();
  const arg = (id: TensorId, atom = true): string => {
    const t = inlined.get(id);
    if (t === undefined) return names[id];
    return atom && inlinedPrec.get(id)! < Prec.Atom ? `(${t})` : t;
  };
  const calls = new Set(p.calls.flatMap((c) => c.outputs.map((t) => t.id)));
  const fromInputs = dependsOnInputs(p);
  // Conv kernels printed a second time, as Winograd's F(2×2, 3×3) multiplies them.
  const winograd = new Set<TensorId>();

  const argOf = (id: TensorId, atom = true): Arg => ({ text: arg(id, atom), prec: inlined.has(id) && !atom ? inlinedPrec.get(id)! : Prec.Atom });
  // NumPy aligns axes at the right, batch axes included: a value that has batch axes and fewer axes
  // of its own than an element-wise result gets length-1 axes after its batch axes, so that those
  // meet the result's batch axes (a mean over every axis, shape (..., ), against x (..., 2, 3, 4)).
  const elementwise = (id: TensorId, r: number): Arg => {
    const own = rank(id);
    if (own >= r || !fromInputs.has(id)) return argOf(id, false);
    return { text: `${arg(id)}[${['...', ...new Array<string>(r - own).fill('None'), ...new Array<string>(own).fill(':')].join(', ')}]`, prec: Prec.Atom };
  };
  // Whether the arguments an element-wise formula reads carry the shape of its result: its axes
  // (a length above 1 on each), and the batch axes when any argument has them.
  const keepsShape = (eq: Equation, reads: readonly number[]): boolean => {
    const out = p.tensors[eq.outs[0]].shape;
    const read = eq.args.filter((_, i) => reads[i] > 0);
    if (eq.args.some((id) => fromInputs.has(id)) && !read.some((id) => fromInputs.has(id))) return false;
    if (!read.some((id) => fromInputs.has(id) || rank(id) === out.length)) return false;
    return out.every((d, j) => d === 1 || read.some((id) => p.tensors[id].shape[rank(id) - out.length + j] === d));
  };
  const ctx: DialectContext = {
    arg: argOf,
    elementwise,
    rank,
    use: (h) => helpers.add(h),
  };
  const expr = (eq: Equation): string => {
    const own = dialect?.expr(eq, ctx);
    if (own != null) return own;
    const a = eq.args;
    const x = () => arg(a[0], false);
    switch (eq.op as TOp) {
      case 'dense': {
        const at = eq.attrs as { pairs: number; bias: boolean };
        const pairs = Array.from({ length: at.pairs }, (_, k) => [a[2 * k], a[2 * k + 1]]);
        // Rows that stand alone on their axis ([..., n, 1, k], as PyTorch's sequence-first attention
        // leaves them) are a stack of n one-row products to NumPy's @, each reading all of W: taken
        // out of that axis they make one matrix product.
        const rows = pairs.every(([x, w]) => rank(x) >= 3 && p.tensors[x].shape.at(-2) === 1 && !fromInputs.has(w));
        const terms = pairs.map(([x, w]) => `${arg(x)}${rows ? '[..., 0, :]' : ''} @ ${arg(w)}`);
        if (at.bias) terms.push(arg(a[2 * at.pairs]));
        return rows ? `(${terms.join(' + ')})[..., None, :]` : terms.join(' + ');
      }
      case 'map': {
        const r = rank(eq.outs[0]);
        const args = a.map((id) => elementwise(id, r));
        largeMap = sizeOf(p.tensors[eq.outs[0]].shape) >= LARGE;
        const m = printMap(eq.attrs as unknown as MapAttrs, args, syntax, NUMPY_FUNCTIONS, opts);
        m.uses.forEach((f) => fns.add(f));
        const reads = templateReads(eq.attrs as unknown as MapAttrs, a.length);
        const unread = args.filter((_, i) => reads[i] === 0);
        if (unread.length === 0 || keepsShape(eq, reads)) return m.text;
        // The formula no longer reads an argument that gave the result its shape (x·0 + c is c):
        // the result is broadcast to the shape the arguments give, batch axes included.
        helpers.add('broadcast');
        return `_broadcast(${m.text}, ${unread.map((x) => x.text).join(', ')})`;
      }
      case 'softmax':
      case 'log_softmax':
      case 'l2_normalize':
        helpers.add(eq.op as Helper);
        return `_${eq.op}(${x()}, ${py((eq.attrs as unknown as AxesAttrs).axes.map((i) => fromEnd(i, rank(a[0]))))})`;
      case 'layer_norm': {
        const at = eq.attrs as unknown as LayerNormAttrs;
        const r = rank(a[0]);
        const shape = p.tensors[a[0]].shape.map((d, i) => (at.axes.includes(i) ? d : 1));
        const param = (k: number) => `${arg(a[k])}.reshape(${py(shape)})`;
        helpers.add('layer_norm');
        const gamma = at.scale ? param(1) : 'None';
        const beta = at.center ? param(at.scale ? 2 : 1) : 'None';
        return `_layer_norm(${x()}, ${py(at.axes.map((i) => fromEnd(i, r)))}, ${num(at.eps)}, ${gamma}, ${beta})`;
      }
      case 'dot': {
        const at = eq.attrs as unknown as DotAttrs;
        const [rx, ry] = [rank(a[0]), rank(a[1])];
        const letters = 'abcdefghijklmnopqrstuvwxyz';
        const xs = letters.slice(0, rx).split('');
        const ys = letters.slice(rx, rx + ry).split('');
        ys[at.axes[1]] = xs[at.axes[0]];
        const out = [...xs.filter((_, i) => i !== at.axes[0]), ...ys.filter((_, i) => i !== at.axes[1])];
        const normalize = (id: TensorId, ax: number, r: number) => {
          if (!at.normalize) return arg(id);
          helpers.add('l2_normalize');
          return `_l2_normalize(${arg(id)}, ${py([fromEnd(ax, r)])})`;
        };
        const e = `np.einsum('...${xs.join('')},...${ys.join('')}->...${out.join('')}', ${normalize(a[0], at.axes[0], rx)}, ${normalize(a[1], at.axes[1], ry)})`;
        return out.length === 0 ? `${e}[..., None]` : e;
      }
      case 'matmul': {
        const [ra, rb] = [rank(a[0]), rank(a[1])];
        if (ra === rb) return `${arg(a[0])} @ ${arg(a[1])}`;
        helpers.add('matmul');
        return `_matmul(${arg(a[0], false)}, ${arg(a[1], false)}, ${ra}, ${rb})`;
      }
      case 'conv': {
        const at = eq.attrs as unknown as ConvAttrs;
        const K = p.tensors[a[1]];
        // A 3×3 kernel of the file's own weights at stride 1, 32 channels or more in and out, 196 output positions or
        // more: Winograd's F(2×2, 3×3), its kernel transformed once at import. A kernel computed in predict or taken in
        // params, SymPy's sums, and smaller convolutions stay with _conv: with few positions the transforms, and the
        // transformed kernel's 16/9 the memory read for each product, cost more than the multiply-adds saved.
        if (!dialect && !params && K.kind === 'const' && at.groups === 1 && K.shape.length === 4 && K.shape[0] === 3 && K.shape[1] === 3 && K.shape[2] >= 32 && K.shape[3] >= 32 && at.strides.every((s) => s === 1) && at.dilation.every((d) => d === 1) && sizeOf(at.outSpatial) >= 196) {
          helpers.add('winograd');
          helpers.add('winograd_kernel');
          winograd.add(a[1]);
          return `_winograd(${x()}, ${names[a[1]]}_winograd, ${at.bias ? arg(a[2]) : 'None'}, ${py(at.padBefore)}, ${py(at.outSpatial)})`;
        }
        helpers.add('conv');
        return `_conv(${x()}, ${arg(a[1])}, ${at.bias ? arg(a[2]) : 'None'}, ${py(at.strides)}, ${py(at.dilation)}, ${py(at.padBefore)}, ${py(at.outSpatial)}, ${at.groups})`;
      }
      case 'depthwise_conv': {
        const at = eq.attrs as unknown as DepthwiseAttrs;
        helpers.add('depthwise_conv');
        return `_depthwise_conv(${x()}, ${arg(a[1])}, ${at.bias ? arg(a[2]) : 'None'}, ${py(at.strides)}, ${py(at.dilation)}, ${py(at.padBefore)}, ${py(at.outSpatial)})`;
      }
      case 'pool': {
        const at = eq.attrs as unknown as PoolAttrs;
        helpers.add('pool');
        return `_pool(${x()}, '${at.kind}', ${py(at.kernel)}, ${py(at.strides)}, ${py(at.dilation)}, ${py(at.padBefore)}, ${py(at.outSpatial)})`;
      }
      case 'global_pool': {
        const r = rank(a[0]);
        const axes = py(Array.from({ length: r - 1 }, (_, i) => i - r));
        const max = (eq.attrs as unknown as GlobalPoolAttrs).kind === 'max';
        // The maximum of no values is -inf (ONNX's ReduceMax of an empty set); np.max refuses it.
        const empty = max && p.tensors[a[0]].shape.slice(0, -1).some((d) => d === 0) ? ', initial=-np.inf' : '';
        return `np.${max ? 'max' : 'mean'}(${x()}, axis=${axes}${empty})`;
      }
      case 'transpose':
        helpers.add('transpose');
        return `_transpose(${x()}, ${py((eq.attrs as unknown as TransposeAttrs).perm)})`;
      case 'reshape': {
        const v = arg(a[0]);
        const to = (eq.attrs as unknown as ReshapeAttrs).shape;
        const r = rank(a[0]);
        // NumPy takes one unknown size: with several axes of any length the reshape must only add or
        // drop axes of size 1, and each kept axis is read from the array's own shape.
        if (to.filter((d) => d < 0).length > 1) {
          const from = p.tensors[a[0]].shape;
          const kept = from.map((d, k) => [d, k]).filter(([d]) => d !== 1);
          if (kept.map(([d]) => d).join() !== to.filter((d) => d !== 1).join()) throw new Nn2eqError(`the NumPy tensor form cannot reshape [${from.map((d) => (d < 0 ? 'T' : d)).join(', ')}] to [${to.map((d) => (d < 0 ? 'T' : d)).join(', ')}] with several axes of any length`, 'unsupported', 'give the length with --timesteps T');
          let next = 0;
          const dims = to.map((d) => (d === 1 ? '1' : `${v}.shape[${v}.ndim - ${r - kept[next++][1]}]`));
          return `${v}.reshape(${v}.shape[:${v}.ndim - ${r}] + (${dims.join(', ')}${dims.length === 1 ? ',' : ''}))`;
        }
        return `${v}.reshape(${v}.shape[:${v}.ndim - ${r}] + ${py(to)})`;
      }
      case 'concat': {
        const axis = fromEnd((eq.attrs as unknown as AxisAttrs).axis, rank(a[0]));
        // Parts of which some read no input (so carry no batch axes) are given the others' batch axes first.
        if (a.some((id) => fromInputs.has(id)) && a.some((id) => !fromInputs.has(id))) {
          helpers.add('concat');
          return `_concat((${a.map((id) => arg(id, false)).join(', ')}), ${axis}, ${rank(a[0])})`;
        }
        return `np.concatenate((${a.map((id) => arg(id, false)).join(', ')}${a.length === 1 ? ',' : ''}), axis=${axis})`;
      }
      case 'repeat': {
        const r = rank(a[0]);
        return `np.repeat(np.expand_dims(${x()}, ${-r - 1}), ${(eq.attrs as unknown as RepeatAttrs).n}, axis=${-r - 1})`;
      }
      case 'pad': {
        const at = eq.attrs as unknown as PadAttrs;
        const v = arg(a[0]);
        return `np.pad(${v}, ((0, 0),) * (${v}.ndim - ${rank(a[0])}) + (${at.before.map((b, i) => `(${b}, ${at.after[i]})`).join(', ')},))`;
      }
      case 'monomials': {
        // One row of powers per term: the product over the last axis (0 ** 0 is 1 in NumPy).
        const rows = (eq.attrs as unknown as MonomialsAttrs).exponents.map((e) => `[${e.join(', ')}]`);
        return `np.prod(${arg(a[0])}[..., None, :] ** np.array([${rows.join(', ')}]), axis=-1)`;
      }
      case 'slice': {
        const at = eq.attrs as unknown as SliceAttrs;
        // An axis of any length (-1) is kept whole.
        const from = p.tensors[a[0]].shape;
        return `${arg(a[0])}[..., ${at.begin.map((b, i) => (from[i] === -1 ? ':' : `${b}:${at.end[i]}`)).join(', ')}]`;
      }
      case 'upsample': {
        const r = rank(a[0]);
        let v = x();
        (eq.attrs as unknown as UpsampleAttrs).factors.forEach((f, i) => {
          if (f !== 1) v = `np.repeat(${v}, ${f}, axis=${fromEnd(i, r)})`;
        });
        return v;
      }
      case 'reverse':
        return `np.flip(${x()}, axis=${fromEnd((eq.attrs as unknown as AxisAttrs).axis, rank(a[0]))})`;
      case 'gather':
        helpers.add('gather');
        return `_gather(${arg(a[1])}, ${x()})`;
      case 'gather_rows':
        helpers.add('gather_rows');
        return `_gather_rows(${x()}, ${arg(a[1], false)}, ${rank(a[1])})`;
      case 'bitcast':
        // The float32 values' bits as an integer array (view), held as float64 as every value is.
        return `np.asarray(${x()}, dtype=np.float32).view(np.${(eq.attrs as unknown as BitcastAttrs).to}).astype(np.float64)`;
      case 'scan':
      case 'foreach':
        throw new Error('numpy tensor form: a loop is a statement, not an expression');
    }
  };

  const num = (v: number) => formatNumber(v, TEXT_NUMBERS, opts.precision);
  const body: string[] = [];
  const block = (eqs: readonly Equation[], indent: string, keep: ReadonlySet<TensorId>, after?: (i: number) => void) => {
    eqs.forEach((eq, i) => {
      line(eq, i, eqs, indent, keep);
      after?.(i);
    });
  };
  const line = (eq: Equation, i: number, eqs: readonly Equation[], indent: string, keep: ReadonlySet<TensorId>) => {
    if (eq.op === 'scan') return scan(eq, indent);
    if (eq.op === 'foreach') {
      const b = eq.body!;
      // Every op indexes its axes from the end, so the time axis rides along as a batch axis:
      // the body reads the whole input and its result is the layer's.
      if (inlined.has(eq.args[0])) body.push(`${indent}${names[b.inputs[0]]} = ${arg(eq.args[0], false)}`);
      else names[b.inputs[0]] = names[eq.args[0]];
      names[b.outputs[0]] = names[eq.outs[0]];
      // A computed value from outside the loop (a weight given as an input) has the batch axes but
      // not the loop's: it gets a length-1 axis there, so that it lines up under the body's values.
      const made = new Set(b.equations.flatMap((e) => e.outs));
      const outer = [...new Set(b.equations.flatMap((e) => e.args))].filter((id) => !made.has(id) && !b.inputs.includes(id) && fromInputs.has(id));
      const saved = outer.map((id) => names[id]);
      outer.forEach((id) => {
        const each = `${names[id]}_each`;
        body.push(`${indent}${each} = np.expand_dims(${arg(id, false)}, ${-p.tensors[id].shape.length - 1})`);
        inlined.delete(id);
        names[id] = each;
      });
      block(b.equations, indent, new Set(b.outputs));
      outer.forEach((id, k) => (names[id] = saved[k]));
      return;
    }
    const text = expr(eq);
    const out = eq.outs[0];
    const next = eqs[i + 1];
    // Reshape and pad print their argument more than once (to learn its batch axes): it gets a name.
    const inline = ANONYMOUS.has(p.tensors[out].role) && uses[out] === 1 && !ports.has(out) && !keep.has(out) && !calls.has(out) && next !== undefined && !ONCE_NOT.has(next.op) && next.args.includes(out) && (next.op !== 'map' || templateReads(next.attrs as unknown as MapAttrs, next.args.length)[next.args.indexOf(out)] <= 1);
    if (inline) {
      inlined.set(out, text);
      inlinedPrec.set(out, isAtom(text) ? Prec.Atom : Prec.Add);
    } else if (uses[out] > 0 || ports.has(out) || keep.has(out)) {
      body.push(`${indent}${names[out]} = ${text}`);
      assigned.add(out);
    }
  };
  // NumPy frees an array when its last name goes: a large value is deleted after the line that last
  // reads it, so that the next layers reuse its memory instead of faulting fresh pages in (each
  // array a local of predict would otherwise live until predict returns).
  const assigned = new Set<TensorId>();
  const freed = freedAfter(p, ports);
  // A value printed in place is read on the line of the equation that takes it in: its arguments are
  // deleted after that line.
  let pending: TensorId[] = [];
  let printed = 0;
  const free = (i: number) => {
    pending.push(...freed[i]);
    if (body.length > printed) {
      const dead = pending.filter((id) => assigned.has(id)).map((id) => names[id]);
      if (dead.length > 0) body.push(`    del ${dead.join(', ')}`);
      pending = [];
    }
    printed = body.length;
  };
  const scan = (eq: Equation, indent: string) => {
    const at = eq.attrs as unknown as ScanAttrs;
    const b = eq.body!;
    const xs = arg(eq.args[0]);
    const [xt, ...states] = b.inputs;
    const steps = `${xs}.shape[-2]`;
    // A state is [units] for a cell; a tangent state (--jacobian) is [inputs, units]: zeros of its own shape.
    const stateShape = (s: TensorId) => py(p.tensors[s].shape.length === 0 ? [at.units] : p.tensors[s].shape);
    states.forEach((s, k) => {
      const init = eq.args[1 + k];
      body.push(`${indent}${names[s]} = ${init !== undefined ? `${arg(init)} + ` : ''}np.zeros(${xs}.shape[:-2] + ${stateShape(s)}${zerosType})`);
    });
    const seq = `${names[eq.outs[0]]}_steps`;
    if (at.returnSequences) body.push(`${indent}${seq} = []`);
    body.push(`${indent}for t in ${at.reverse ? `range(${steps} - 1, -1, -1)` : `range(${steps})`}:`);
    const inner = `${indent}    `;
    body.push(`${inner}${names[xt]} = ${xs}[..., t, :]`);
    block(b.equations, inner, new Set(b.outputs));
    body.push(`${inner}${states.map((s) => names[s]).join(', ')} = ${b.outputs.map((o) => names[o]).join(', ')}`);
    if (at.returnSequences) body.push(`${inner}${seq}.append(${names[states[0]]})`);
    body.push(`${indent}${names[eq.outs[0]]} = ${at.returnSequences ? `np.stack(${seq}, axis=${-1 - p.tensors[states[0]].shape.length})` : names[states[0]]}`);
    states.forEach((s, k) => {
      if (uses[eq.outs[1 + k]] > 0 || ports.has(eq.outs[1 + k])) body.push(`${indent}${names[eq.outs[1 + k]]} = ${names[s]}`);
    });
  };
  block(p.equations, '    ', new Set(), dialect ? undefined : free);

  const args = p.inputs.map((_, i) => `input${i + 1}`);
  const lines: string[] = [];
  const consts = constantsUsed(p);
  if (consts.length > 0) helpers.add('weights');
  if (params) helpers.add('param');
  const all: Record<string, string> = { ...HELPERS, ...dialect?.helpers };
  // A helper that calls another brings it along (as the target's own text of it says).
  const callees = (h: string) => Object.keys(all).filter((g) => g !== h && new RegExp(`\\b_${g}\\(`).test(all[h]));
  for (const h of helpers) for (const g of callees(h)) helpers.add(g);
  for (const h of Object.keys(all)) if (helpers.has(h)) lines.push('', '', typed(all[h]));
  lines.push('');
  const compared = comparedConstants(p);
  const weights = (id: TensorId, end: string) => appendLines(weightRows(p.tensors[id], TEXT_NUMBERS, opts.precision, compared.has(id)), `""", ${py(p.tensors[id].shape)})${end}`);
  // An empty constant (an empty slice or shape) is np.zeros: fromstring reads '' as one number.
  const empty = (id: TensorId) => sizeOf(p.tensors[id].shape) === 0;
  if (params) {
    appendLines(lines, '', 'PARAMS = {');
    for (const t of params) {
      if (empty(t.id)) lines.push(`    '${t.name}': np.zeros(${py(p.tensors[t.id].shape)}${zerosType}),`);
      else appendLines(lines, `    '${t.name}': _w("""`, weights(t.id, ','));
    }
    lines.push('}');
  } else {
    for (const id of consts) {
      if (empty(id)) lines.push('', `${names[id]} = np.zeros(${py(p.tensors[id].shape)}${zerosType})`);
      else appendLines(lines, '', `${names[id]} = _w("""`, weights(id, ''));
    }
    if (winograd.size > 0) {
      lines.push('', '# The 3×3 kernels that _winograd multiplies, transformed once.');
      for (const id of winograd) lines.push(`${names[id]}_winograd = _winograd_kernel(${names[id]})`);
    }
  }
  lines.push('', '', `def predict(${[...(params ? ['params'] : []), ...args].join(', ')}):`);
  p.inputs.forEach((port, i) => lines.push(`    ${names[port.tensor.id]} = _check(${args[i]}, ${py(port.tensor.shape)}, '${args[i]}')`));
  for (const t of params ?? []) lines.push(`    ${t.name} = _param(params, '${t.name}', ${py(t.shape)})`);
  appendLines(lines, body);
  // An output that reads no input (a linear model's Jacobian) still gets the inputs' batch axes.
  const first = p.inputs[0];
  const batch = first && `${names[first.tensor.id]}.shape[:${names[first.tensor.id]}.ndim - ${first.tensor.shape.length}]`;
  const outs = p.outputs.map((o) => (fromInputs.has(o.tensor.id) || !batch ? names[o.tensor.id] : `np.broadcast_to(${names[o.tensor.id]}, ${batch} + ${py(o.tensor.shape)})`));
  lines.push(`    return ${outs.length === 1 ? outs[0] : `[${outs.join(', ')}]`}`, '');
  if (dialect) return [...dialect.head(p, opts, lines.join('\n'), params), ...lines, ...dialect.tail(p, params)].join('\n');
  const head = [generatedLine(opts, params), predictLine(p, params), ...pythonNames(p, opts)];
  if (opts.dtype === 'float32') head.push('# --dtype float32: weights and arithmetic in float32, the model\'s own precision; predict returns float32 arrays.');
  if (params) appendLines(head, paramsDoc(params));
  for (const n of opts.notes ?? []) head.push(`# ${n}`);
  head.push(fns.has('erf') ? 'import math\n\nimport numpy as np' : 'import numpy as np');
  for (const f of Object.keys(NUMPY_PRELUDE)) if (fns.has(f as Fn)) head.push('', typed(NUMPY_PRELUDE[f]));
  return [...head, ...lines].join('\n');
}

/** Numbers per example from which a value is worth deleting once dead (128 KiB of float64, the size from which glibc maps an array pages of its own). */
const LARGE = 1 << 14;

/**
 * For each top-level equation, the large values it is the last to read (a loop's body reads for
 * its equation), in id order; `keep` (the ports, and what they view) are never freed.
 */
function freedAfter(p: TensorProgram, keep: ReadonlySet<TensorId>): TensorId[][] {
  const last = new Map<TensorId, number>();
  p.equations.forEach((eq, i) => {
    const stack = [eq];
    while (stack.length > 0) {
      const e = stack.pop()!;
      for (const a of e.args) last.set(a, i);
      if (e.body) stack.push(...e.body.equations);
    }
  });
  // A reshape is a view that keeps its argument's memory: the argument goes when the view does.
  const at = new Map<TensorId, number | null>();
  for (let i = p.equations.length - 1; i >= 0; i--) {
    const eq = p.equations[i];
    for (const a of eq.args) {
      if (last.get(a) !== i || at.has(a)) continue;
      const view = eq.op === 'reshape' ? eq.outs[0] : undefined;
      at.set(a, keep.has(a) ? null : view === undefined ? i : keep.has(view) ? null : (at.get(view) ?? null));
    }
  }
  const freed = p.equations.map((): TensorId[] => []);
  const large = (id: TensorId) => p.tensors[id].shape.reduce((n, d) => n * Math.max(d, 1), 1) >= LARGE;
  for (const [id, i] of at) if (i !== null && large(id)) freed[i].push(id);
  return freed.map((ids) => ids.sort((x, y) => x - y));
}

/** The file's first line: what made it, from which model, in which form. */
export function generatedLine(opts: EmitOptions, params: TensorParams | null): string {
  return `# Generated by nn2eq from model '${opts.modelName}' (tensor form${params ? ', symbolic weights' : ''}). Do not edit.`;
}

/** --inputs / --outputs: header lines naming each element, `input1[..., 0] cylinders, …`. */
export function pythonNames(p: TensorProgram, opts: EmitOptions): string[] {
  const spell = (side: string, port: number, idx: readonly number[]) => `${side}${port + 1}[..., ${idx.join(', ')}]`;
  return namedElementLines(p, opts, '# ', spell, p.outputs.length > 1 ? 'outputK is the K-th array predict returns' : 'output1 is the array predict returns');
}

/** --weights symbolic: the header lines that say what predict's params holds. */
export function paramsDoc(params: TensorParams): string[] {
  return ["# params maps each weight tensor's name to an array of that shape (PARAMS holds the trained values):", ...tensorParamLayout(params, '#   ')];
}

/** The header line that documents predict's arguments and results. */
export function predictLine(p: TensorProgram, weights: TensorParams | null = null): string {
  const params = p.inputs.map((_, i) => `input${i + 1}`);
  const shape = (s: readonly number[]) => `(..., ${s.map((d) => (d === -1 ? 'T' : d)).join(', ')})`;
  // T is said only where a shape shows it: a model of fixed sizes has no T.
  const anyLength = [...p.inputs, ...p.outputs].some((port) => port.tensor.shape.includes(-1));
  return `# predict(${[...(weights ? ['params'] : []), ...params].join(', ')}): ${p.inputs.map((port, i) => `${params[i]} of shape ${shape(port.tensor.shape)}`).join(', ')}; returns ${p.outputs.map((o) => shape(o.tensor.shape)).join(', ')}. Leading batch axes are kept${anyLength ? '; T is any sequence length' : ''}.`;
}
