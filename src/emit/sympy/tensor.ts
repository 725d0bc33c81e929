import { TRIG } from '../../ir/ops.js';
import type { DotAttrs, GlobalPoolAttrs, MapAttrs, TOp } from '../../tensor/ops.js';
import type { Equation, TensorProgram } from '../../tensor/program.js';
import { SYMPY_SUPPORTS, sympySyntax } from './syntax.js';
import { noBitcast } from '../tensor-common.js';
import { appendLines, atoms, printMap } from '../tensor-common.js';
import type { EmitOptions, TensorEmitter } from '../types.js';
import { emitPythonTensor, fromEnd, generatedLine, paramsDoc, predictLine, py, pythonNames, type DialectContext, type PythonDialect, type TensorParams } from '../numpy/tensor.js';

/**
 * Helpers that replace NumPy's, or are new: the same array code on object arrays of SymPy
 * expressions, where NumPy's ufuncs (exp, maximum, comparisons) would need numbers.
 */
const HELPERS = {
  softmax: `def _softmax(x, axes):
    e = _map(exp, x)
    return e / np.sum(e, axis=axes, keepdims=True)`,
  log_softmax: `def _log_softmax(x, axes):
    return x - _map(log, np.sum(_map(exp, x), axis=axes, keepdims=True))`,
  layer_norm: `def _layer_norm(x, axes, eps, gamma, beta):
    d = x - np.mean(x, axis=axes, keepdims=True)
    y = d * _map(lambda v: 1 / sqrt(v + eps), np.mean(d * d, axis=axes, keepdims=True))
    if gamma is not None:
        y = y * gamma
    return y if beta is None else y + beta`,
  l2_normalize: `def _l2_normalize(x, axes):
    return x * _map(lambda s: 1 / sqrt(Max(s, 1e-12)), np.sum(x * x, axis=axes, keepdims=True))`,
  pool: `def _pool(x, kind, size, strides, dilation, pad_before, out):
    if kind == 'max':
        y = None
        for _, xs in _windows(x, size, strides, dilation, pad_before, out, -oo):
            y = xs if y is None else _map(Max, y, xs)
        return y
    # TF's average counts only the cells inside the input (an integer count: x/4 stays exact).
    y, n = 0, 0
    cells = np.ones(x.shape[x.ndim - len(size) - 1:-1] + (1,), dtype=np.int64)
    for (_, xs), (_, c) in zip(_windows(x, size, strides, dilation, pad_before, out, 0), _windows(cells, size, strides, dilation, pad_before, out, 0)):
        y, n = y + xs, n + c
    return y / n`,
  // NumPy's picks its matrix products by the shapes (for speed); here the sums stay in one order whatever the size.
  conv: `def _conv(x, K, b, strides, dilation, pad_before, out, groups):
    """One matrix product per kernel offset, added up in place."""
    y = None
    cg, fg = K.shape[-2], K.shape[-1] // groups
    for k, xs in _windows(x, K.shape[:-2], strides, dilation, pad_before, out, 0.0):
        if groups == 1:
            term = xs @ K[k]
        else:
            term = np.concatenate([xs[..., g * cg:(g + 1) * cg] @ K[k][:, g * fg:(g + 1) * fg] for g in range(groups)], axis=-1)
        if y is None:
            y = term
        else:
            y += term
    if b is not None:
        y += b
    return y`,
  depthwise_conv: `def _depthwise_conv(x, D, b, strides, dilation, pad_before, out):
    y = 0.0
    for k, xs in _windows(x, D.shape[:-2], strides, dilation, pad_before, out, 0.0):
        if D.shape[-1] == 1:
            y = y + xs * D[k][:, 0]
        else:
            y = y + (xs[..., :, None] * D[k]).reshape(xs.shape[:-1] + (-1,))
    return y if b is None else y + b`,
  gather: `def _gather(table, ids, name):
    """Rows of table by integer id (truncated; nan when there is no such row); an id that is not a number gives the unevaluated function name(id, column)."""
    row = Function(name)

    def at(i, c):
        if not i.is_Number:
            return row(i, c)
        r = int(i) if i.is_finite else -1
        return table[r, c] if 0 <= r < table.shape[0] else nan
    return np.stack([_map(lambda i: at(i, c), ids) for c in range(table.shape[1])], axis=-1)`,
  gather_rows: `def _gather_rows(table, ids, rank):
    """Row trunc(id) of a computed table [..., rows, cols] for every id (nan where there is no such row); a symbolic id picks by Piecewise."""
    rows, cols = table.shape[-2:]
    lead = np.broadcast_shapes(table.shape[:-2], ids.shape[:ids.ndim - rank])
    s = ids.shape[ids.ndim - rank:]
    t = np.broadcast_to(table, lead + (rows, cols))
    i = np.broadcast_to(ids, lead + s)
    y = np.empty(lead + s + (cols,), dtype=object)
    for b in np.ndindex(*lead):
        for k in np.ndindex(*s):
            v = sympify(i[b + k])
            for c in range(cols):
                if v.is_Number:
                    r = int(v) if v.is_finite else -1
                    y[b + k + (c,)] = t[b + (r, c)] if 0 <= r < rows else nan
                else:
                    y[b + k + (c,)] = Piecewise(*[(t[b + (r, c)], (v > -1) & (v < 1) if r == 0 else (v >= r) & (v < r + 1)) for r in range(rows)], (nan, True))
    return y`,
  check: `def _check(a, shape, name):
    a = np.asarray(a, dtype=object)
    if a.ndim < len(shape) or any(n != -1 and n != m for n, m in zip(shape, a.shape[a.ndim - len(shape):])):
        raise ValueError(f"predict: {name} has shape {a.shape}, expected (..., {', '.join('T' if n == -1 else str(n) for n in shape)})")
    return np.frompyfunc(sympify, 1, 1)(a)`,
  weights: `def _w(text, shape):
    return np.array([Float(s, precision=53) for s in text.split()], dtype=object).reshape(shape)`,
  param: `def _param(params, name, shape):
    a = np.asarray(params[name], dtype=object)
    if a.shape != shape:
        raise ValueError(f"predict: params['{name}'] has shape {a.shape}, expected {shape}")
    return np.array([sympify(v) for v in a.flat], dtype=object).reshape(shape)`,
  map: `def _map(f, *xs):
    """f element by element over broadcast object arrays."""
    return np.frompyfunc(f, len(xs), 1)(*xs)`,
  max: `def _max(x, axes):
    """SymPy's Max over axes (counted from the end, in increasing order)."""
    for a in axes:
        x = np.frompyfunc(Max, 2, 1).reduce(x, axis=a)
    return x`,
  dot: `def _dot(x, y, ax, ay, rx, ry):
    """Keras's batch dot: contracts axis ax of x (rank rx) with axis ay of y (rank ry), axes counted from the end."""
    x, y = np.moveaxis(x, ax, -1), np.moveaxis(y, ay, -1)
    x = x.reshape(x.shape[:-1] + (1,) * (ry - 1) + x.shape[-1:])
    y = y.reshape(y.shape[:y.ndim - ry] + (1,) * (rx - 1) + y.shape[y.ndim - ry:])
    z = np.sum(x * y, axis=-1)
    return z if rx + ry > 2 else np.asarray(z, dtype=object)[..., None]`,
};

/** SymPy names the file may use, imported when its text does. */
const IMPORTS = ['Abs', 'Eq', 'erf', 'exp', 'Float', 'floor', 'Function', 'Ge', 'Gt', 'Heaviside', 'log', 'Max', 'Min', 'nan', 'Ne', 'oo', 'Piecewise', 'sign', 'sqrt', 'symbols', 'sympify', 'tanh', ...TRIG];

/** SymPy's text for an equation, or null where NumPy's array code serves object arrays as it is. */
function expr(eq: Equation, ctx: DialectContext, opts: EmitOptions): string | null {
  const a = eq.args;
  const op: TOp = eq.op;
  switch (op) {
    case 'map': {
      ctx.use('map');
      const params = a.map((_, i) => `a${i}`);
      const m = printMap(eq.attrs as unknown as MapAttrs, atoms(params), sympySyntax(() => ''), SYMPY_SUPPORTS, opts);
      // exp(a0) is exp itself: pass the function, not a lambda around it.
      const f = m.text === `${m.text.split('(')[0]}(${params.join(', ')})` ? m.text.split('(')[0] : `lambda ${params.join(', ')}: ${m.text}`;
      return `_map(${f}, ${a.map((id) => ctx.elementwise(id, ctx.rank(eq.outs[0])).text).join(', ')})`;
    }
    case 'softmax':
    case 'log_softmax':
    case 'layer_norm':
    case 'l2_normalize':
    case 'pool':
      ctx.use('map');
      return null;
    case 'dot': {
      const at = eq.attrs as unknown as DotAttrs;
      const [rx, ry] = [ctx.rank(a[0]), ctx.rank(a[1])];
      const side = (k: 0 | 1, r: number) => {
        const v = ctx.arg(a[k]).text;
        if (!at.normalize) return v;
        ctx.use('l2_normalize');
        ctx.use('map');
        return `_l2_normalize(${v}, ${py([fromEnd(at.axes[k], r)])})`;
      };
      ctx.use('dot');
      return `_dot(${side(0, rx)}, ${side(1, ry)}, ${fromEnd(at.axes[0], rx)}, ${fromEnd(at.axes[1], ry)}, ${rx}, ${ry})`;
    }
    case 'global_pool': {
      if ((eq.attrs as unknown as GlobalPoolAttrs).kind !== 'max') return null;
      const r = ctx.rank(a[0]);
      ctx.use('max');
      return `_max(${ctx.arg(a[0], false).text}, ${py(Array.from({ length: r - 1 }, (_, i) => i - r))})`;
    }
    case 'gather': {
      ctx.use('gather');
      ctx.use('map');
      const table = ctx.arg(a[1]).text;
      return `_gather(${table}, ${ctx.arg(a[0], false).text}, '${table}')`;
    }
    case 'gather_rows':
      ctx.use('gather_rows');
      return `_gather_rows(${ctx.arg(a[0], false).text}, ${ctx.arg(a[1], false).text}, ${ctx.rank(a[1])})`;
    case 'depthwise_conv':
      // NumPy's einsum takes no object arrays before NumPy 1.25: this one adds up one product per kernel cell.
      ctx.use('windows');
      return null;
    case 'dense':
    case 'matmul':
    case 'conv':
    case 'transpose':
    case 'reshape':
    case 'concat':
    case 'repeat':
    case 'pad':
    case 'slice':
    case 'upsample':
    case 'reverse':
    case 'monomials':
    case 'scan':
    case 'foreach':
      return null;
    case 'bitcast':
      return noBitcast('SymPy');
    default: {
      const never: never = op;
      throw new Error(`sympy tensor form: no rule for op ${String(never)}`);
    }
  }
}

/** The SymPy dialect of the Python tensor form: NumPy object arrays of SymPy expressions. */
const SYMPY_DIALECT = (opts: EmitOptions): PythonDialect => ({
  helpers: HELPERS,
  expr: (eq, ctx) => expr(eq, ctx, opts),
  head(p: TensorProgram, o: EmitOptions, text: string, params: TensorParams | null) {
    const used = IMPORTS.filter((n) => n === 'symbols' || new RegExp(`\\b${n}\\b`).test(text));
    const lines = [generatedLine(o, params), predictLine(p, params), ...pythonNames(p, o)];
    if (params) appendLines(lines, paramsDoc(params));
    lines.push('# The arrays are NumPy object arrays of SymPy expressions: numbers in give SymPy numbers out (float() each),');
    lines.push('# symbols in give the outputs as expressions. symbolic_inputs(T=None) gives input1… as arrays of real symbols');
    lines.push("# x1…xN numbered row-major through the inputs one after another (the scalar form's names; T sizes a time axis");
    if (params) {
      lines.push('# of any length); symbolic_params() gives params as arrays of real symbols named as in the scalar form (W1_0_1 is');
      lines.push('# W1[0, 1]), so predict(symbolic_params(), *symbolic_inputs()) is the parametric form. closed_form(T=None,');
      lines.push('# params=PARAMS) is predict(params, *symbolic_inputs(T)): with the trained weights unless given symbolic_params().');
      lines.push('# PARAMS holds SymPy Floats of the printed decimals; softmax is exp(x)/sum(exp(x)) (SymPy Floats do not overflow).');
    } else {
      lines.push('# of any length); closed_form(T=None) is predict(*symbolic_inputs(T)). Weights are SymPy Floats of the printed');
      lines.push('# decimals; softmax is exp(x)/sum(exp(x)) (SymPy Floats do not overflow).');
    }
    for (const n of o.notes ?? []) lines.push(`# ${n}`);
    lines.push('import numpy as np', `from sympy import ${used.join(', ')}`);
    return lines;
  },
  tail(p: TensorProgram, params: TensorParams | null) {
    const shapes = p.inputs.map((port) => py(port.tensor.shape));
    const lines = [
      '',
      'def symbolic_inputs(T=None):',
      '    """input1… as arrays of real symbols x1…xN, numbered row-major through the inputs one after another; T is the length of a time axis of any length."""',
      '    arrays, k = [], 0',
      `    for shape in [${shapes.join(', ')}]:`,
      '        if -1 in shape and T is None:',
      "            raise ValueError('symbolic_inputs: an input has a time axis of any length; pass T, the number of steps')",
      '        shape = tuple(T if n == -1 else n for n in shape)',
      '        n = int(np.prod(shape))',
      "        arrays.append(np.array(symbols(f'x{k + 1}:{k + n + 1}', real=True), dtype=object).reshape(shape))",
      '        k += n',
      '    return arrays',
      '',
      '',
    ];
    if (!params) {
      lines.push('def closed_form(T=None):', '    """The outputs as SymPy expressions of x1…xN: predict(*symbolic_inputs(T))."""', '    return predict(*symbolic_inputs(T))', '');
      return lines;
    }
    lines.push('def symbolic_params():');
    lines.push('    """params as arrays of real symbols, each named by its tensor and its 0-based index (W1_0_1 is W1[0, 1]), as the scalar form names the weights."""');
    lines.push('    out = {}');
    lines.push(`    for name, shape in [${params.map((t) => `('${t.name}', ${py(t.shape)})`).join(', ')}]:`);
    lines.push("        out[name] = np.array([symbols('_'.join([name, *map(str, i)]), real=True) for i in np.ndindex(*shape)], dtype=object).reshape(shape)");
    lines.push('    return out', '', '');
    lines.push('def closed_form(T=None, params=PARAMS):');
    lines.push('    """The outputs as SymPy expressions of x1…xN with the weights of params: predict(params, *symbolic_inputs(T)); params=symbolic_params() keeps every weight a symbol."""');
    lines.push('    return predict(params, *symbolic_inputs(T))', '');
    return lines;
  },
});

/** SymPy source of a tensor program: NumPy's array code on object arrays of SymPy expressions. */
export const sympyTensor: TensorEmitter = {
  emit: (p, opts) => emitPythonTensor(p, opts, SYMPY_DIALECT(opts)),
  symbolicWeights: true,
};
