import { Nn2eqError } from '../../errors.js';
import type { Fn } from '../../ir/ops.js';
import type { AxesAttrs, AxisAttrs, BitcastAttrs, ConvAttrs, DenseAttrs, DepthwiseAttrs, DotAttrs, GlobalPoolAttrs, LayerNormAttrs, MapAttrs, MonomialsAttrs, PadAttrs, PoolAttrs, RepeatAttrs, ScanAttrs, SliceAttrs, TransposeAttrs, UpsampleAttrs, WindowAttrs } from '../../tensor/ops.js';
import { sizeOf, type Equation, type TensorId, type TensorProgram } from '../../tensor/program.js';
import { JS_FUNCTIONS, JS_NUMBERS, JS_SYNTAX, PRELUDE } from './syntax.js';
import { formatNumber } from '../number.js';
import type { Syntax } from '../render.js';
import { noSymbolicGather } from '../../tensor/ops.js';
import { appendLines, atoms, broadcastIndex, comparedConstants, constantsUsed, matmulGeometry, planBuffers, printMap, tensorNames, tensorParamLayout, tensorParams, valueRows, type Storage } from '../tensor-common.js';
import type { EmitOptions } from '../types.js';
import { namedElementLines } from '../port-names.js';
import { base64, WASM_SCRATCH, wasmKernels, wasmLanes } from './wasm.js';

/**
 * The JavaScript tensor form: an ES module whose predict(...inputs) runs plain loops over typed
 * arrays, one call or loop per equation of the tensor program. Weights are module-level typed
 * arrays (Float32Array holds the model's float32 values exactly; constants nn2eq derives in
 * float64 stay Float64Array); values are computed in float64, in buffers allocated once at module
 * level and reused once a value is dead. A time axis of any length (-1) is read from the input.
 * With --weights symbolic, predict(params, ...inputs) reads every weight from params (one flat
 * row-major array per weight tensor, by name) and the module exports the trained ones as PARAMS.
 */

/** A dimension as the generated code knows it: a number, or the name of a length read at run time. */
type Dim = number | string;

/** The source of every helper the generated code may call, emitted only when used; `values` is the values' typed array (Float64Array, or Float32Array with --dtype float32). */
const HELPERS: Record<string, string | ((values: string) => string)> = {
  param: `/** The weight tensor \`name\` of params: \`n\` numbers, flat and row-major (a typed array or an array of numbers). */
function param(params, name, n) {
  const v = params[name];
  if (v == null || v.length !== n) throw new RangeError(\`predict: params.\${name} should be an array of \${n} numbers\`);
  return v;
}`,
  read: `/** Copies the numbers of a nested array (or typed array) into \`into\`, row-major, checking the count. */
function read(a, into, name) {
  const n = fill(a, into, 0);
  if (n !== into.length) throw new RangeError(\`predict: \${name} should hold \${into.length} numbers, got \${n}\`);
  return into;
}`,
  sequence: `/** The numbers of a nested array whose first axis has any length (steps of \`width\` numbers). */
function sequence(a, width, name) {
  const n = count(a);
  if (n === 0 || n % width !== 0) throw new RangeError(\`predict: \${name} should hold T \\u00d7 \${width} numbers for some T \\u2265 1, got \${n}\`);
  const into = new Float64Array(n);
  fill(a, into, 0);
  return into;
}

function count(a) {
  if (typeof a !== 'object' || a === null) return 1;
  let n = 0;
  for (let i = 0; i < a.length; i++) n += count(a[i]);
  return n;
}`,
  fill: `function fill(a, into, at) {
  if (typeof a !== 'object' || a === null) {
    into[at] = a;
    return at + 1;
  }
  for (let i = 0; i < a.length; i++) at = fill(a[i], into, at);
  return at;
}`,
  nest: `/** The values of \`v\` as nested arrays of shape \`dims\`. */
function nest(v, dims) {
  let level = Array.from(v);
  for (let d = dims.length - 1; d > 0; d--) {
    const rows = [];
    for (let i = 0; i < level.length; i += dims[d]) rows.push(level.slice(i, i + dims[d]));
    level = rows;
  }
  return dims.length === 0 ? level[0] : level;
}`,
  take: `/** Copies \`into.length\` values of \`from\`, starting at \`at\`. */
function take(into, from, at) {
  for (let i = 0; i < into.length; i++) into[i] = from[at + i];
}`,
  dense: `/** y = x*W + b over the last axis at every leading position (gemm's register blocks), clamped to [lo, hi]; W is [k, n] row-major, b may be null. */
function dense(y, x, W, b, k, n, lo = -Infinity, hi = Infinity) {
  gemm(y, 0, x, 0, y.length / n, W, 0, k, n, b, false, lo, hi);
}`,
  denseAdd: `/** y += x*W over the last axis at every leading position (another input of the same sum), clamped to [lo, hi]. */
function denseAdd(y, x, W, k, n, lo = -Infinity, hi = Infinity) {
  gemm(y, 0, x, 0, y.length / n, W, 0, k, n, null, true, lo, hi);
}`,
  accumulate: `/** y[yo + j] += sum over i < k of x[xo + i] * W[wo + i*stride + j], for j < n; four rows of W per pass (fewer stores of y). */
function accumulate(y, yo, x, xo, W, wo, k, n, stride) {
  let i = 0;
  for (; i + 3 < k; i += 4) {
    const a0 = x[xo + i], a1 = x[xo + i + 1], a2 = x[xo + i + 2], a3 = x[xo + i + 3];
    const w0 = wo + i * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
    for (let j = 0; j < n; j++) y[yo + j] += a0 * W[w0 + j] + a1 * W[w1 + j] + a2 * W[w2 + j] + a3 * W[w3 + j];
  }
  for (; i < k; i++) {
    const a0 = x[xo + i], w0 = wo + i * stride;
    for (let j = 0; j < n; j++) y[yo + j] += a0 * W[w0 + j];
  }
}`,
  gemm: (values) => `/** The columns of W that gemm is working on, copied in panels of four columns (contiguous); grown when needed. */
let gemmPanel = new ${values}(0);

/**
 * A matrix product: rows x n values of y at yo = (b[j], or 0 when b is null, or y's own values when add)
 * + x (rows x k at xo) * W (k x n at wo), all row-major, each value clamped to [lo, hi] as it is stored
 * (-Infinity and Infinity: unchanged). W is copied a strip of columns at a time into gemmPanel, whose
 * 4-column panels are read in order; then each 4x4 block of y is sixteen running sums (a register block:
 * 8 loads per 16 multiply-adds), added to the bias (or y) as they are stored. Rows past a multiple of
 * four, and columns past one, are summed by plainer loops.
 */
function gemm(y, yo, x, xo, rows, W, wo, k, n, b, add, lo = -Infinity, hi = Infinity) {
  const atZero = Object.is(lo, 0); // then max(lo, v) is relu(v), which has no branch on the sign of v to mispredict
  const rows4 = rows - (rows % 4);
  const n4 = n - (n % 4);
  if (!add) for (let o = yo + rows4 * n; o < yo + rows * n; o += n) for (let j = 0; j < n; j++) y[o + j] = b === null ? 0 : b[j];
  for (let i = rows4; i < rows; i++) accumulate(y, yo + i * n, x, xo + i * k, W, wo, k, n, n);
  if ((lo !== -Infinity || hi !== Infinity) && rows4 < rows) for (let o = yo + rows4 * n; o < yo + rows * n; o++) y[o] = Math.min(hi, atZero ? relu(y[o]) : Math.max(lo, y[o]));
  if (rows4 === 0) return;
  for (let j = n4; j < n; j++) {
    for (let i = 0; i < rows4; i++) {
      let s = 0;
      for (let q = 0, at = wo + j, xq = xo + i * k; q < k; q++, at += n) s += x[xq + q] * W[at];
      const o = yo + i * n + j;
      y[o] = Math.min(hi, Math.max(lo, (add ? y[o] : b === null ? 0 : b[j]) + s));
    }
  }
  const strip = Math.min(n4, Math.max(4, 4 * Math.floor(8192 / k)));
  if (gemmPanel.length < k * strip) gemmPanel = new ${values}(k * strip);
  const P = gemmPanel;
  for (let j0 = 0; j0 < n4; j0 += strip) {
    const j1 = Math.min(n4, j0 + strip);
    for (let j = j0, p = 0; j < j1; j += 4) {
      for (let q = 0, at = wo + j; q < k; q++, at += n, p += 4) {
        P[p] = W[at]; P[p + 1] = W[at + 1]; P[p + 2] = W[at + 2]; P[p + 3] = W[at + 3];
      }
    }
    for (let i = 0; i < rows4; i += 4) {
      const x0 = xo + i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
      for (let j = j0, p0 = 0; j < j1; j += 4, p0 += 4 * k) {
        const b0 = b === null ? 0 : b[j], b1 = b === null ? 0 : b[j + 1], b2 = b === null ? 0 : b[j + 2], b3 = b === null ? 0 : b[j + 3];
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let q = 0, p = p0; q < k; q++, p += 4) {
          const w0 = P[p], w1 = P[p + 1], w2 = P[p + 2], w3 = P[p + 3];
          const a0 = x[x0 + q], a1 = x[x1 + q], a2 = x[x2 + q], a3 = x[x3 + q];
          c00 += a0 * w0; c01 += a0 * w1; c02 += a0 * w2; c03 += a0 * w3;
          c10 += a1 * w0; c11 += a1 * w1; c12 += a1 * w2; c13 += a1 * w3;
          c20 += a2 * w0; c21 += a2 * w1; c22 += a2 * w2; c23 += a2 * w3;
          c30 += a3 * w0; c31 += a3 * w1; c32 += a3 * w2; c33 += a3 * w3;
        }
        let o = yo + i * n + j;
        if (add) {
          y[o] = Math.min(hi, atZero ? relu(y[o] + c00) : Math.max(lo, y[o] + c00)); y[o + 1] = Math.min(hi, atZero ? relu(y[o + 1] + c01) : Math.max(lo, y[o + 1] + c01));
          y[o + 2] = Math.min(hi, atZero ? relu(y[o + 2] + c02) : Math.max(lo, y[o + 2] + c02)); y[o + 3] = Math.min(hi, atZero ? relu(y[o + 3] + c03) : Math.max(lo, y[o + 3] + c03)); o += n;
          y[o] = Math.min(hi, atZero ? relu(y[o] + c10) : Math.max(lo, y[o] + c10)); y[o + 1] = Math.min(hi, atZero ? relu(y[o + 1] + c11) : Math.max(lo, y[o + 1] + c11));
          y[o + 2] = Math.min(hi, atZero ? relu(y[o + 2] + c12) : Math.max(lo, y[o + 2] + c12)); y[o + 3] = Math.min(hi, atZero ? relu(y[o + 3] + c13) : Math.max(lo, y[o + 3] + c13)); o += n;
          y[o] = Math.min(hi, atZero ? relu(y[o] + c20) : Math.max(lo, y[o] + c20)); y[o + 1] = Math.min(hi, atZero ? relu(y[o + 1] + c21) : Math.max(lo, y[o + 1] + c21));
          y[o + 2] = Math.min(hi, atZero ? relu(y[o + 2] + c22) : Math.max(lo, y[o + 2] + c22)); y[o + 3] = Math.min(hi, atZero ? relu(y[o + 3] + c23) : Math.max(lo, y[o + 3] + c23)); o += n;
          y[o] = Math.min(hi, atZero ? relu(y[o] + c30) : Math.max(lo, y[o] + c30)); y[o + 1] = Math.min(hi, atZero ? relu(y[o + 1] + c31) : Math.max(lo, y[o + 1] + c31));
          y[o + 2] = Math.min(hi, atZero ? relu(y[o + 2] + c32) : Math.max(lo, y[o + 2] + c32)); y[o + 3] = Math.min(hi, atZero ? relu(y[o + 3] + c33) : Math.max(lo, y[o + 3] + c33));
          continue;
        }
        y[o] = Math.min(hi, atZero ? relu(b0 + c00) : Math.max(lo, b0 + c00)); y[o + 1] = Math.min(hi, atZero ? relu(b1 + c01) : Math.max(lo, b1 + c01));
        y[o + 2] = Math.min(hi, atZero ? relu(b2 + c02) : Math.max(lo, b2 + c02)); y[o + 3] = Math.min(hi, atZero ? relu(b3 + c03) : Math.max(lo, b3 + c03)); o += n;
        y[o] = Math.min(hi, atZero ? relu(b0 + c10) : Math.max(lo, b0 + c10)); y[o + 1] = Math.min(hi, atZero ? relu(b1 + c11) : Math.max(lo, b1 + c11));
        y[o + 2] = Math.min(hi, atZero ? relu(b2 + c12) : Math.max(lo, b2 + c12)); y[o + 3] = Math.min(hi, atZero ? relu(b3 + c13) : Math.max(lo, b3 + c13)); o += n;
        y[o] = Math.min(hi, atZero ? relu(b0 + c20) : Math.max(lo, b0 + c20)); y[o + 1] = Math.min(hi, atZero ? relu(b1 + c21) : Math.max(lo, b1 + c21));
        y[o + 2] = Math.min(hi, atZero ? relu(b2 + c22) : Math.max(lo, b2 + c22)); y[o + 3] = Math.min(hi, atZero ? relu(b3 + c23) : Math.max(lo, b3 + c23)); o += n;
        y[o] = Math.min(hi, atZero ? relu(b0 + c30) : Math.max(lo, b0 + c30)); y[o + 1] = Math.min(hi, atZero ? relu(b1 + c31) : Math.max(lo, b1 + c31));
        y[o + 2] = Math.min(hi, atZero ? relu(b2 + c32) : Math.max(lo, b2 + c32)); y[o + 3] = Math.min(hi, atZero ? relu(b3 + c33) : Math.max(lo, b3 + c33));
      }
    }
  }
}`,
  relu: `/** max(0, v) as (v + |v|) / 2, which is exact for |v| < 2^1023 (else max itself): no branch on the sign of v, which a ReLU's inputs make a coin toss. */
function relu(v) {
  const r = v + Math.abs(v);
  return r < Infinity ? r * 0.5 : Math.max(0, v);
}`,
  along: `/** The flat indices of \`shape\` grouped along \`axes\` (the other axes fixed), group after group. */
function along(shape, axes) {
  const rest = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...rest, ...axes];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = shape.reduce((a, b) => a * b, 1);
  const order = new Int32Array(n);
  const p = perm.map(() => 0);
  for (let o = 0; o < n; o++) {
    let at = 0;
    for (let i = 0; i < perm.length; i++) at += p[i] * strides[perm[i]];
    order[o] = at;
    for (let i = perm.length - 1; i >= 0; i--) {
      if (++p[i] < shape[perm[i]]) break;
      p[i] = 0;
    }
  }
  return order;
}`,
  softmax: `/** Softmax over groups of \`n\` values (contiguous, or listed by \`order\`), less the group's maximum. */
function softmax(y, x, n, order) {
  for (let o = 0; o < y.length; o += n) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, x[order === null ? o + j : order[o + j]]);
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const at = order === null ? o + j : order[o + j];
      y[at] = Math.exp(x[at] - m);
      sum += y[at];
    }
    for (let j = 0; j < n; j++) y[order === null ? o + j : order[o + j]] /= sum;
  }
}`,
  logSoftmax: `/** Log-softmax over groups of \`n\` values (contiguous, or listed by \`order\`): x - max - log(sum of exp(x - max)). */
function logSoftmax(y, x, n, order) {
  for (let o = 0; o < y.length; o += n) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, x[order === null ? o + j : order[o + j]]);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(x[order === null ? o + j : order[o + j]] - m);
    const lse = Math.log(sum);
    for (let j = 0; j < n; j++) {
      const at = order === null ? o + j : order[o + j];
      y[at] = x[at] - m - lse;
    }
  }
}`,
  layerNorm: `/** (x - mean) / sqrt(variance + eps) * gamma + beta over groups of \`n\` values; gamma, beta may be null. */
function layerNorm(y, x, gamma, beta, eps, n, order) {
  for (let o = 0; o < y.length; o += n) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += x[order === null ? o + j : order[o + j]];
    mean /= n;
    let variance = 0;
    for (let j = 0; j < n; j++) variance += (x[order === null ? o + j : order[o + j]] - mean) ** 2;
    const r = 1 / Math.sqrt(variance / n + eps);
    for (let j = 0; j < n; j++) {
      const at = order === null ? o + j : order[o + j];
      y[at] = (x[at] - mean) * r * (gamma === null ? 1 : gamma[j]) + (beta === null ? 0 : beta[j]);
    }
  }
}`,
  l2Normalize: `/** x / sqrt(max(sum of x^2, 1e-12)) over groups of \`n\` values (TF's l2_normalize). */
function l2Normalize(y, x, n, order) {
  for (let o = 0; o < y.length; o += n) {
    let sq = 0;
    for (let j = 0; j < n; j++) sq += x[order === null ? o + j : order[o + j]] ** 2;
    const r = 1 / Math.sqrt(Math.max(sq, 1e-12));
    for (let j = 0; j < n; j++) {
      const at = order === null ? o + j : order[o + j];
      y[at] = x[at] * r;
    }
  }
}`,
  matmul: `/**
 * The matrix product of the last two axes, y[..., M, N] = a[..., M, K] * b[..., K, N], for each position p of
 * y's leading axes; aBase[p] and bBase[p] are where that position's matrices start in a and b.
 */
function matmul(y, a, aBase, b, bBase, M, K, N) {
  for (let p = 0; p < aBase.length; p++) gemm(y, p * M * N, a, aBase[p], M, b, bBase[p], K, N, null, false);
}`,
  dot: `/**
 * Keras's Dot (batch_dot): contracts axis \`ax\` of x (shape xs) with axis \`az\` of z (shape zs); the
 * result has x's other axes, then z's. \`normalize\` divides each contracted vector by its L2 norm.
 */
function dot(y, x, xs, ax, z, zs, az, normalize) {
  const n = xs[ax];
  const rows = bases(xs, ax);
  const cols = bases(zs, az);
  const sx = xs.slice(ax + 1).reduce((a, b) => a * b, 1);
  const sz = zs.slice(az + 1).reduce((a, b) => a * b, 1);
  const norm = (v, base, s) => {
    if (!normalize) return 1;
    let sq = 0;
    for (let k = 0; k < n; k++) sq += v[base + k * s] ** 2;
    return 1 / Math.sqrt(Math.max(sq, 1e-12));
  };
  let o = 0;
  for (const r of rows) {
    const nr = norm(x, r, sx);
    for (const c of cols) {
      const nc = norm(z, c, sz);
      let sum = 0;
      for (let k = 0; k < n; k++) sum += x[r + k * sx] * nr * (z[c + k * sz] * nc);
      y[o++] = sum;
    }
  }
}

/** The flat offset of every position of \`shape\` with axis \`axis\` at 0, row-major over the other axes. */
function bases(shape, axis) {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const dims = shape.map((d, i) => (i === axis ? 1 : d));
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Array(n);
  const p = dims.map(() => 0);
  for (let o = 0; o < n; o++) {
    let at = 0;
    for (let i = 0; i < dims.length; i++) at += p[i] * strides[i];
    out[o] = at;
    for (let i = dims.length - 1; i >= 0; i--) {
      if (++p[i] < dims[i]) break;
      p[i] = 0;
    }
  }
  return out;
}`,
  geometry: `/** A window's geometry, per spatial axis, padded to three axes (depth, height, width). */
function geometry(input, kernel, strides, dilation, padBefore, output) {
  const three = (a, v) => [...Array(3 - a.length).fill(v), ...a];
  const [inD, inH, inW] = three(input, 1);
  const [kD, kH, kW] = three(kernel, 1);
  const [sD, sH, sW] = three(strides, 1);
  const [dD, dH, dW] = three(dilation, 1);
  const [pD, pH, pW] = three(padBefore, 0);
  const [outD, outH, outW] = three(output, 1);
  return { inD, inH, inW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW, outD, outH, outW };
}`,
  conv: (values) => `/** The filters that conv is working on, copied in panels of four filters (contiguous); grown when needed. */
let convPanel = new ${values}(0);

/**
 * Channels-last convolution: x[...in, C], K[...kernel, C/groups, F], b[F] or null; y[...out, F]. Without
 * groups, K is copied a strip of filters at a time into convPanel, whose 4-filter panels are read in
 * order, and four neighbouring pixels of a row are computed four filters at a time in sixteen running
 * sums (a 4x4 register block: 8 loads per 16 multiply-adds), in one loop over a kernel row's taps and
 * channels when the row is inside the input for all four (no dilation along w); a kernel column that
 * reaches past the input's edge for some of the four, or a row's last pixels, go a pixel at a time (4 sums). The filters
 * past a multiple of four, and convolutions with groups, are computed one pixel at a time by convPixel
 * (a convolution with one channel and one filter per group, depthwise, in one loop over the channels).
 * Each value is clamped to [lo, hi] as it is stored (-Infinity and Infinity: unchanged).
 */
function conv(y, x, K, b, g, groups, lo = -Infinity, hi = Infinity) {
  const atZero = Object.is(lo, 0); // then max(lo, v) is relu(v), which has no branch on the sign of v to mispredict
  const { inD, inH, inW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW, outD, outH, outW } = g;
  const C = x.length / (inD * inH * inW);
  const F = y.length / (outD * outH * outW);
  const F4 = groups === 1 ? F - (F % 4) : 0;
  // With no dilation along w, a kernel row's taps (kw, c) are kW*C contiguous values of x.
  const span = dW === 1 ? kW * C : 0;
  const rowsK = kD * kH * kW * C;
  const strip = Math.min(F4, Math.max(4, 4 * Math.floor(8192 / rowsK)));
  if (F4 > 0 && convPanel.length < rowsK * strip) convPanel = new ${values}(rowsK * strip);
  const P = convPanel;
  for (let f0 = 0; f0 < F4; f0 += strip) {
    const f1 = Math.min(F4, f0 + strip);
    for (let f = f0, p = 0; f < f1; f += 4) {
      for (let r = 0, at = f; r < rowsK; r++, at += F, p += 4) {
        P[p] = K[at]; P[p + 1] = K[at + 1]; P[p + 2] = K[at + 2]; P[p + 3] = K[at + 3];
      }
    }
    for (let od = 0; od < outD; od++) for (let oh = 0; oh < outH; oh++) convRow(y, x, P, b, g, od, oh, f0, f1, C, F, rowsK, span, lo, hi, atZero);
  }
  if (F4 === F) return;
  const clamp = lo !== -Infinity || hi !== Infinity;
  for (let od = 0; od < outD; od++) for (let oh = 0; oh < outH; oh++) for (let ow = 0; ow < outW; ow++) {
    const yo = ((od * outH + oh) * outW + ow) * F;
    convPixel(y, yo, x, K, b, g, od, oh, ow, C, F, groups, F4);
    if (clamp) for (let f = yo + F4; f < yo + F; f++) y[f] = Math.min(hi, atZero ? relu(y[f]) : Math.max(lo, y[f]));
  }
}

/**
 * The filters f0...f1 of conv's output row (od, oh), four pixels at a time, from the panels in P (see conv).
 * A function of its own, called for every row: the JIT then compiles it from every path its first rows
 * took, instead of replacing the loop of a call that runs once per prediction while it runs.
 */
function convRow(y, x, P, b, g, od, oh, f0, f1, C, F, rowsK, span, lo, hi, atZero) {
  const { inD, inH, inW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW, outH, outW } = g;
  const xs = sW * C;
  for (let ow = 0; ow < outW; ow += 4) {
    const pixels = Math.min(4, outW - ow);
    const yo = ((od * outH + oh) * outW + ow) * F;
    for (let f = f0, pf = 0; f < f1; f += 4, pf += 4 * rowsK) {
      const b0 = b === null ? 0 : b[f], b1 = b === null ? 0 : b[f + 1], b2 = b === null ? 0 : b[f + 2], b3 = b === null ? 0 : b[f + 3];
      let c00 = b0, c01 = b1, c02 = b2, c03 = b3, c10 = b0, c11 = b1, c12 = b2, c13 = b3;
      let c20 = b0, c21 = b1, c22 = b2, c23 = b3, c30 = b0, c31 = b1, c32 = b2, c33 = b3;
      for (let kd = 0; kd < kD; kd++) {
        const id = od * sD - pD + kd * dD;
        if (id < 0 || id >= inD) continue;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * sH - pH + kh * dH;
          if (ih < 0 || ih >= inH) continue;
          const iwA = ow * sW - pW;
          if (span > 0 && pixels === 4 && iwA >= 0 && iwA + 3 * sW + kW - 1 < inW) {
            // The kernel row is inside the input for all four pixels, and its taps (kw, c) are contiguous in x and in the panel.
            const x0 = ((id * inH + ih) * inW + iwA) * C, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
            for (let c = 0, p = pf + (kd * kH + kh) * span * 4; c < span; c++, p += 4) {
              const w0 = P[p], w1 = P[p + 1], w2 = P[p + 2], w3 = P[p + 3];
              const a0 = x[x0 + c], a1 = x[x1 + c], a2 = x[x2 + c], a3 = x[x3 + c];
              c00 += a0 * w0; c01 += a0 * w1; c02 += a0 * w2; c03 += a0 * w3;
              c10 += a1 * w0; c11 += a1 * w1; c12 += a1 * w2; c13 += a1 * w3;
              c20 += a2 * w0; c21 += a2 * w1; c22 += a2 * w2; c23 += a2 * w3;
              c30 += a3 * w0; c31 += a3 * w1; c32 += a3 * w2; c33 += a3 * w3;
            }
            continue;
          }
          for (let kw = 0; kw < kW; kw++) {
            const iw0 = ow * sW - pW + kw * dW;
            const pk = pf + ((kd * kH + kh) * kW + kw) * C * 4;
            if (pixels === 4 && iw0 >= 0 && iw0 + 3 * sW < inW) {
              const x0 = ((id * inH + ih) * inW + iw0) * C, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
              for (let c = 0, p = pk; c < C; c++, p += 4) {
                const w0 = P[p], w1 = P[p + 1], w2 = P[p + 2], w3 = P[p + 3];
                const a0 = x[x0 + c], a1 = x[x1 + c], a2 = x[x2 + c], a3 = x[x3 + c];
                c00 += a0 * w0; c01 += a0 * w1; c02 += a0 * w2; c03 += a0 * w3;
                c10 += a1 * w0; c11 += a1 * w1; c12 += a1 * w2; c13 += a1 * w3;
                c20 += a2 * w0; c21 += a2 * w1; c22 += a2 * w2; c23 += a2 * w3;
                c30 += a3 * w0; c31 += a3 * w1; c32 += a3 * w2; c33 += a3 * w3;
              }
              continue;
            }
            for (let q = 0; q < pixels; q++) {
              const iw = iw0 + q * sW;
              if (iw < 0 || iw >= inW) continue;
              const xq = ((id * inH + ih) * inW + iw) * C;
              let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
              for (let c = 0, p = pk; c < C; c++, p += 4) {
                const a = x[xq + c];
                s0 += a * P[p]; s1 += a * P[p + 1]; s2 += a * P[p + 2]; s3 += a * P[p + 3];
              }
              if (q === 0) { c00 += s0; c01 += s1; c02 += s2; c03 += s3; }
              else if (q === 1) { c10 += s0; c11 += s1; c12 += s2; c13 += s3; }
              else if (q === 2) { c20 += s0; c21 += s1; c22 += s2; c23 += s3; }
              else { c30 += s0; c31 += s1; c32 += s2; c33 += s3; }
            }
          }
        }
      }
      let o = yo + f;
      y[o] = Math.min(hi, atZero ? relu(c00) : Math.max(lo, c00)); y[o + 1] = Math.min(hi, atZero ? relu(c01) : Math.max(lo, c01)); y[o + 2] = Math.min(hi, atZero ? relu(c02) : Math.max(lo, c02)); y[o + 3] = Math.min(hi, atZero ? relu(c03) : Math.max(lo, c03)); o += F;
      if (pixels < 2) continue;
      y[o] = Math.min(hi, atZero ? relu(c10) : Math.max(lo, c10)); y[o + 1] = Math.min(hi, atZero ? relu(c11) : Math.max(lo, c11)); y[o + 2] = Math.min(hi, atZero ? relu(c12) : Math.max(lo, c12)); y[o + 3] = Math.min(hi, atZero ? relu(c13) : Math.max(lo, c13)); o += F;
      if (pixels < 3) continue;
      y[o] = Math.min(hi, atZero ? relu(c20) : Math.max(lo, c20)); y[o + 1] = Math.min(hi, atZero ? relu(c21) : Math.max(lo, c21)); y[o + 2] = Math.min(hi, atZero ? relu(c22) : Math.max(lo, c22)); y[o + 3] = Math.min(hi, atZero ? relu(c23) : Math.max(lo, c23)); o += F;
      if (pixels < 4) continue;
      y[o] = Math.min(hi, atZero ? relu(c30) : Math.max(lo, c30)); y[o + 1] = Math.min(hi, atZero ? relu(c31) : Math.max(lo, c31)); y[o + 2] = Math.min(hi, atZero ? relu(c32) : Math.max(lo, c32)); y[o + 3] = Math.min(hi, atZero ? relu(c33) : Math.max(lo, c33));
    }
  }
}

/** Filters f0... of one output pixel of conv (f0 > 0 only without groups), written at y[yo...]. */
function convPixel(y, yo, x, K, b, g, od, oh, ow, C, F, groups, f0) {
  const { inD, inH, inW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW } = g;
  const cg = C / groups;
  const fg = F / groups;
  for (let f = f0; f < F; f++) y[yo + f] = b === null ? 0 : b[f];
  for (let kd = 0; kd < kD; kd++) {
    const id = od * sD - pD + kd * dD;
    if (id < 0 || id >= inD) continue;
    for (let kh = 0; kh < kH; kh++) {
      const ih = oh * sH - pH + kh * dH;
      if (ih < 0 || ih >= inH) continue;
      for (let kw = 0; kw < kW; kw++) {
        const iw = ow * sW - pW + kw * dW;
        if (iw < 0 || iw >= inW) continue;
        const xo = ((id * inH + ih) * inW + iw) * C;
        const ko = ((kd * kH + kh) * kW + kw) * cg * F;
        if (f0 > 0) accumulate(y, yo + f0, x, xo, K, ko + f0, C, F - f0, F);
        else if (cg === 1 && fg === 1) for (let f = 0; f < F; f++) y[yo + f] += x[xo + f] * K[ko + f];
        else for (let gr = 0; gr < groups; gr++) accumulate(y, yo + gr * fg, x, xo + gr * cg, K, ko + gr * fg, cg, fg, F);
      }
    }
  }
}`,
  depthwiseConv: `/** The taps of one output pixel of depthwiseConv inside the input: pairs (input offset, kernel offset); grown when needed. */
let depthwiseTaps = new Int32Array(0);

/**
 * Channels-last depthwise convolution: x[...in, C], D[...kernel, C, M], b[C*M] or null; y[...out, C*M],
 * each value clamped to [lo, hi] as it is stored (-Infinity and Infinity: unchanged). Each sum is the bias,
 * then the taps inside the input in order. With one filter per channel (M = 1), a 3x3 kernel over two
 * spatial axes, stride 1 or 2 and no dilation along w, the pixels of a row whose window lies inside the
 * input are computed a channel at a time, that channel's nine weights in locals, four neighbouring pixels
 * at a time (four running sums, each input value loaded once for all of them); every other pixel (and
 * kernel) by depthwisePixel, which lists the pixel's taps first.
 */
function depthwiseConv(y, x, D, b, g, m, lo = -Infinity, hi = Infinity) {
  const atZero = Object.is(lo, 0); // then max(lo, v) is relu(v), which has no branch on the sign of v to mispredict
  const { inD, inH, inW, kD, kH, kW, sH, sW, dH, dW, pH, pW, outD, outH, outW } = g;
  const C = x.length / (inD * inH * inW);
  if (depthwiseTaps.length < 2 * kD * kH * kW) depthwiseTaps = new Int32Array(2 * kD * kH * kW);
  if (m !== 1) {
    depthwiseMultiplier(y, x, D, b, g, m, C);
    if (lo !== -Infinity || hi !== Infinity) for (let i = 0; i < y.length; i++) y[i] = Math.min(hi, atZero ? relu(y[i]) : Math.max(lo, y[i]));
    return;
  }
  if (kD !== 1 || inD !== 1 || outD !== 1 || kH !== 3 || kW !== 3 || dW !== 1 || sW > 2) {
    for (let od = 0, yo = 0; od < outD; od++) for (let oh = 0; oh < outH; oh++) for (let ow = 0; ow < outW; ow++, yo += C) depthwisePixel(y, yo, x, D, b, g, od, oh, ow, C, 0, lo, hi);
    return;
  }
  // The output columns whose window is inside the input along w: iw = ow*sW - pW >= 0 and iw + 2 < inW.
  const owLo = Math.min(outW, Math.ceil(pW / sW));
  const owHi = Math.max(owLo, Math.min(outW, Math.floor((inW - 3 + pW) / sW) + 1));
  const ow4 = owHi - ((owHi - owLo) % 4);
  const col = sW * C, rowX = dH * inW * C, C2 = 2 * C, C3 = 3 * C, C4 = 4 * C, C5 = 5 * C, C6 = 6 * C, C7 = 7 * C, C8 = 8 * C;
  for (let oh = 0; oh < outH; oh++) {
    const ih = oh * sH - pH;
    const inside = ih >= 0 && ih + 2 * dH < inH && owHi > owLo;
    for (let c = 0; inside && c < C; c++) {
      const w0 = D[c], w1 = D[C + c], w2 = D[C2 + c], w3 = D[C3 + c], w4 = D[C4 + c], w5 = D[C5 + c], w6 = D[C6 + c], w7 = D[C7 + c], w8 = D[C8 + c];
      const bias = b === null ? 0 : b[c];
      const r0 = (ih * inW - pW) * C + c, r1 = r0 + rowX, r2 = r1 + rowX, yRow = oh * outW * C + c;
      let ow = owLo;
      // Four pixels: input columns iw...iw+5 of each row with stride 1, iw...iw+8 with stride 2.
      if (sW === 1) {
        for (; ow < ow4; ow += 4) {
          let s0 = bias, s1 = bias, s2 = bias, s3 = bias;
          let i = r0 + ow * C;
          let v0 = x[i], v1 = x[i + C], v2 = x[i + C2], v3 = x[i + C3], v4 = x[i + C4], v5 = x[i + C5];
          s0 += v0 * w0; s0 += v1 * w1; s0 += v2 * w2; s1 += v1 * w0; s1 += v2 * w1; s1 += v3 * w2;
          s2 += v2 * w0; s2 += v3 * w1; s2 += v4 * w2; s3 += v3 * w0; s3 += v4 * w1; s3 += v5 * w2;
          i = r1 + ow * C;
          v0 = x[i]; v1 = x[i + C]; v2 = x[i + C2]; v3 = x[i + C3]; v4 = x[i + C4]; v5 = x[i + C5];
          s0 += v0 * w3; s0 += v1 * w4; s0 += v2 * w5; s1 += v1 * w3; s1 += v2 * w4; s1 += v3 * w5;
          s2 += v2 * w3; s2 += v3 * w4; s2 += v4 * w5; s3 += v3 * w3; s3 += v4 * w4; s3 += v5 * w5;
          i = r2 + ow * C;
          v0 = x[i]; v1 = x[i + C]; v2 = x[i + C2]; v3 = x[i + C3]; v4 = x[i + C4]; v5 = x[i + C5];
          s0 += v0 * w6; s0 += v1 * w7; s0 += v2 * w8; s1 += v1 * w6; s1 += v2 * w7; s1 += v3 * w8;
          s2 += v2 * w6; s2 += v3 * w7; s2 += v4 * w8; s3 += v3 * w6; s3 += v4 * w7; s3 += v5 * w8;
          const o = yRow + ow * C;
          y[o] = Math.min(hi, atZero ? relu(s0) : Math.max(lo, s0)); y[o + C] = Math.min(hi, atZero ? relu(s1) : Math.max(lo, s1)); y[o + C2] = Math.min(hi, atZero ? relu(s2) : Math.max(lo, s2)); y[o + C3] = Math.min(hi, atZero ? relu(s3) : Math.max(lo, s3));
        }
      } else {
        for (; ow < ow4; ow += 4) {
          let s0 = bias, s1 = bias, s2 = bias, s3 = bias;
          let i = r0 + ow * col;
          let v0 = x[i], v1 = x[i + C], v2 = x[i + C2], v3 = x[i + C3], v4 = x[i + C4], v5 = x[i + C5], v6 = x[i + C6], v7 = x[i + C7], v8 = x[i + C8];
          s0 += v0 * w0; s0 += v1 * w1; s0 += v2 * w2; s1 += v2 * w0; s1 += v3 * w1; s1 += v4 * w2;
          s2 += v4 * w0; s2 += v5 * w1; s2 += v6 * w2; s3 += v6 * w0; s3 += v7 * w1; s3 += v8 * w2;
          i = r1 + ow * col;
          v0 = x[i]; v1 = x[i + C]; v2 = x[i + C2]; v3 = x[i + C3]; v4 = x[i + C4]; v5 = x[i + C5]; v6 = x[i + C6]; v7 = x[i + C7]; v8 = x[i + C8];
          s0 += v0 * w3; s0 += v1 * w4; s0 += v2 * w5; s1 += v2 * w3; s1 += v3 * w4; s1 += v4 * w5;
          s2 += v4 * w3; s2 += v5 * w4; s2 += v6 * w5; s3 += v6 * w3; s3 += v7 * w4; s3 += v8 * w5;
          i = r2 + ow * col;
          v0 = x[i]; v1 = x[i + C]; v2 = x[i + C2]; v3 = x[i + C3]; v4 = x[i + C4]; v5 = x[i + C5]; v6 = x[i + C6]; v7 = x[i + C7]; v8 = x[i + C8];
          s0 += v0 * w6; s0 += v1 * w7; s0 += v2 * w8; s1 += v2 * w6; s1 += v3 * w7; s1 += v4 * w8;
          s2 += v4 * w6; s2 += v5 * w7; s2 += v6 * w8; s3 += v6 * w6; s3 += v7 * w7; s3 += v8 * w8;
          const o = yRow + ow * C;
          y[o] = Math.min(hi, atZero ? relu(s0) : Math.max(lo, s0)); y[o + C] = Math.min(hi, atZero ? relu(s1) : Math.max(lo, s1)); y[o + C2] = Math.min(hi, atZero ? relu(s2) : Math.max(lo, s2)); y[o + C3] = Math.min(hi, atZero ? relu(s3) : Math.max(lo, s3));
        }
      }
      for (; ow < owHi; ow++) {
        const i0 = r0 + ow * col, i1 = r1 + ow * col, i2 = r2 + ow * col;
        let s = bias;
        s += x[i0] * w0; s += x[i0 + C] * w1; s += x[i0 + C2] * w2; s += x[i1] * w3; s += x[i1 + C] * w4; s += x[i1 + C2] * w5; s += x[i2] * w6; s += x[i2 + C] * w7; s += x[i2 + C2] * w8;
        y[yRow + ow * C] = Math.min(hi, atZero ? relu(s) : Math.max(lo, s));
      }
    }
    for (let ow = 0; ow < outW; ow++) if (!inside || ow < owLo || ow >= owHi) depthwisePixel(y, (oh * outW + ow) * C, x, D, b, g, 0, oh, ow, C, 0, lo, hi);
  }
}

/** Channels c0... of one output pixel of depthwiseConv (M = 1): its taps inside the input listed, then eight channels at a time in eight running sums. */
function depthwisePixel(y, yo, x, D, b, g, od, oh, ow, C, c0, lo, hi) {
  const atZero = Object.is(lo, 0); // then max(lo, v) is relu(v), which has no branch on the sign of v to mispredict
  const { inD, inH, inW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW } = g;
  const T = depthwiseTaps;
  let n = 0;
  for (let kd = 0; kd < kD; kd++) {
    const id = od * sD - pD + kd * dD;
    if (id < 0 || id >= inD) continue;
    for (let kh = 0; kh < kH; kh++) {
      const ih = oh * sH - pH + kh * dH;
      if (ih < 0 || ih >= inH) continue;
      for (let kw = 0; kw < kW; kw++) {
        const iw = ow * sW - pW + kw * dW;
        if (iw < 0 || iw >= inW) continue;
        T[n++] = ((id * inH + ih) * inW + iw) * C;
        T[n++] = ((kd * kH + kh) * kW + kw) * C;
      }
    }
  }
  let c = c0;
  for (; c + 7 < C; c += 8) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    if (b !== null) {
      s0 = b[c]; s1 = b[c + 1]; s2 = b[c + 2]; s3 = b[c + 3]; s4 = b[c + 4]; s5 = b[c + 5]; s6 = b[c + 6]; s7 = b[c + 7];
    }
    for (let t = 0; t < n; t += 2) {
      const i = T[t] + c, k = T[t + 1] + c;
      s0 += x[i] * D[k]; s1 += x[i + 1] * D[k + 1]; s2 += x[i + 2] * D[k + 2]; s3 += x[i + 3] * D[k + 3];
      s4 += x[i + 4] * D[k + 4]; s5 += x[i + 5] * D[k + 5]; s6 += x[i + 6] * D[k + 6]; s7 += x[i + 7] * D[k + 7];
    }
    const o = yo + c;
    y[o] = Math.min(hi, atZero ? relu(s0) : Math.max(lo, s0)); y[o + 1] = Math.min(hi, atZero ? relu(s1) : Math.max(lo, s1)); y[o + 2] = Math.min(hi, atZero ? relu(s2) : Math.max(lo, s2)); y[o + 3] = Math.min(hi, atZero ? relu(s3) : Math.max(lo, s3));
    y[o + 4] = Math.min(hi, atZero ? relu(s4) : Math.max(lo, s4)); y[o + 5] = Math.min(hi, atZero ? relu(s5) : Math.max(lo, s5)); y[o + 6] = Math.min(hi, atZero ? relu(s6) : Math.max(lo, s6)); y[o + 7] = Math.min(hi, atZero ? relu(s7) : Math.max(lo, s7));
  }
  for (; c < C; c++) {
    let s = b === null ? 0 : b[c];
    for (let t = 0; t < n; t += 2) s += x[T[t] + c] * D[T[t + 1] + c];
    y[yo + c] = Math.min(hi, atZero ? relu(s) : Math.max(lo, s));
  }
}

/** depthwiseConv with M filters per channel (filter f = c*M + j reads channel c), a pixel at a time. */
function depthwiseMultiplier(y, x, D, b, g, m, C) {
  const { inD, inH, inW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW, outD, outH, outW } = g;
  const F = C * m;
  let yo = 0;
  for (let od = 0; od < outD; od++) for (let oh = 0; oh < outH; oh++) for (let ow = 0; ow < outW; ow++, yo += F) {
    for (let f = 0; f < F; f++) y[yo + f] = b === null ? 0 : b[f];
    for (let kd = 0; kd < kD; kd++) {
      const id = od * sD - pD + kd * dD;
      if (id < 0 || id >= inD) continue;
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - pH + kh * dH;
        if (ih < 0 || ih >= inH) continue;
        for (let kw = 0; kw < kW; kw++) {
          const iw = ow * sW - pW + kw * dW;
          if (iw < 0 || iw >= inW) continue;
          const xo = ((id * inH + ih) * inW + iw) * C;
          const ko = ((kd * kH + kh) * kW + kw) * F;
          for (let c = 0; c < C; c++) for (let j = 0; j < m; j++) y[yo + c * m + j] += x[xo + c] * D[ko + c * m + j];
        }
      }
    }
  }
}`,
  pool: `/** Channels-last max or average pooling over the in-bounds cells of each window (as TF's 'same'). */
function pool(y, x, g, max) {
  const { inD, inH, inW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW, outD, outH, outW } = g;
  const C = x.length / (inD * inH * inW);
  let yo = 0;
  for (let od = 0; od < outD; od++) for (let oh = 0; oh < outH; oh++) for (let ow = 0; ow < outW; ow++, yo += C) {
    for (let c = 0; c < C; c++) y[yo + c] = max ? -Infinity : 0;
    let cells = 0;
    for (let kd = 0; kd < kD; kd++) {
      const id = od * sD - pD + kd * dD;
      if (id < 0 || id >= inD) continue;
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - pH + kh * dH;
        if (ih < 0 || ih >= inH) continue;
        for (let kw = 0; kw < kW; kw++) {
          const iw = ow * sW - pW + kw * dW;
          if (iw < 0 || iw >= inW) continue;
          const xo = ((id * inH + ih) * inW + iw) * C;
          cells++;
          if (max) for (let c = 0; c < C; c++) y[yo + c] = Math.max(y[yo + c], x[xo + c]);
          else for (let c = 0; c < C; c++) y[yo + c] += x[xo + c];
        }
      }
    }
    if (!max) for (let c = 0; c < C; c++) y[yo + c] /= cells;
  }
}`,
  globalPool: `/** Max or mean over every axis but the last (channels-last): x[..., C] -> y[C]. */
function globalPool(y, x, max) {
  const C = y.length;
  const n = x.length / C;
  for (let c = 0; c < C; c++) y[c] = max ? -Infinity : 0;
  for (let o = 0; o < x.length; o += C) {
    if (max) for (let c = 0; c < C; c++) y[c] = Math.max(y[c], x[o + c]);
    else for (let c = 0; c < C; c++) y[c] += x[o + c];
  }
  if (!max) for (let c = 0; c < C; c++) y[c] /= n;
}`,
  transpose: `/**
 * y = x (shape \`shape\`) with its axes permuted: axis i of y is axis perm[i] of x. Axes of length 1
 * are left out and axes that stay neighbours are taken together; when that leaves a matrix, or a
 * batch of matrices, transposed, it is copied in 16x16 tiles (transpose2); else element by element.
 */
function transpose(y, x, shape, perm) {
  const at = [];
  let m = 0;
  for (let i = 0; i < shape.length; i++) at.push(shape[i] === 1 ? -1 : m++);
  const groups = [];
  for (const a of perm) {
    if (at[a] < 0) continue;
    const g = groups[groups.length - 1];
    if (g !== undefined && g.end === at[a]) {
      g.end++;
      g.size *= shape[a];
    } else groups.push({ start: at[a], end: at[a] + 1, size: shape[a] });
  }
  if (groups.length <= 1) {
    for (let o = 0; o < y.length; o++) y[o] = x[o];
    return;
  }
  if (groups.length === 2) return transpose2(y, 0, x, 0, groups[1].size, groups[0].size);
  if (groups.length === 3 && groups[0].start === 0) {
    const R = groups[2].size, S = groups[1].size;
    for (let o = 0; o < y.length; o += R * S) transpose2(y, o, x, o, R, S);
    return;
  }
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const dims = perm.map((p) => shape[p]);
  const steps = perm.map((p) => strides[p]);
  const p = dims.map(() => 0);
  let from = 0;
  for (let o = 0; o < y.length; o++) {
    y[o] = x[from];
    for (let i = dims.length - 1; i >= 0; i--) {
      from += steps[i];
      if (++p[i] < dims[i]) break;
      from -= steps[i] * dims[i];
      p[i] = 0;
    }
  }
}

/** y (S x R at yo) = the transpose of x (R x S at xo), in 16x16 tiles. */
function transpose2(y, yo, x, xo, R, S) {
  for (let i0 = 0; i0 < R; i0 += 16) {
    const i1 = Math.min(R, i0 + 16);
    for (let j0 = 0; j0 < S; j0 += 16) {
      const j1 = Math.min(S, j0 + 16);
      for (let j = j0; j < j1; j++) for (let i = i0, o = yo + j * R + i0, f = xo + i0 * S + j; i < i1; i++, o++, f += S) y[o] = x[f];
    }
  }
}`,
  concat: `/** y = the inputs joined along an axis; \`outer\` is the number of positions before that axis. */
function concat(y, outer, ...xs) {
  const width = y.length / outer;
  let offset = 0;
  for (const x of xs) {
    const w = x.length / outer;
    for (let o = 0; o < outer; o++) for (let j = 0; j < w; j++) y[o * width + offset + j] = x[o * w + j];
    offset += w;
  }
}`,
  repeat: `/** y = n copies of x along a new first axis. */
function repeat(y, x) {
  for (let at = 0; at < y.length; at += x.length) y.set(x, at);
}`,
  box: `/**
 * Copies the box of \`sizes\` at \`from\` in x (shape xs) to \`to\` in y (shape ys), and zeros to the rest of y, a
 * run of contiguous values at a time: the last axis, with the axes before it while the axes after them are
 * whole in x and in y.
 */
function box(y, ys, to, x, xs, from, sizes) {
  const S = [...sizes], X = [...xs], Y = [...ys], T = [...to], F = [...from];
  while (S.length > 1 && S[S.length - 1] === X[X.length - 1] && S[S.length - 1] === Y[Y.length - 1]) {
    const n = S.pop();
    X.pop();
    Y.pop();
    T.pop();
    F.pop();
    const i = S.length - 1;
    S[i] *= n;
    X[i] *= n;
    Y[i] *= n;
    T[i] *= n;
    F[i] *= n;
  }
  const r = S.length;
  const ystr = Y.map((_, i) => Y.slice(i + 1).reduce((a, b) => a * b, 1));
  const xstr = X.map((_, i) => X.slice(i + 1).reduce((a, b) => a * b, 1));
  const p = S.map(() => 0);
  const rows = S.slice(0, -1).reduce((a, b) => a * b, 1);
  const run = S[r - 1];
  let end = 0;
  for (let row = 0; row < rows; row++) {
    let yo = 0;
    let xo = 0;
    for (let i = 0; i < r; i++) {
      yo += (T[i] + p[i]) * ystr[i];
      xo += (F[i] + p[i]) * xstr[i];
    }
    for (; end < yo; end++) y[end] = 0;
    for (let j = 0; j < run; j++) y[yo + j] = x[xo + j];
    end = yo + run;
    for (let i = r - 2; i >= 0; i--) {
      if (++p[i] < S[i]) break;
      p[i] = 0;
    }
  }
  for (; end < y.length; end++) y[end] = 0;
}`,
  pad: `/** y = x (shape xs) with zeros before each axis (\`before\`) and after it. */
function pad(y, ys, x, xs, before) {
  box(y, ys, before, x, xs, xs.map(() => 0), xs);
}`,
  slice: `/** y (shape ys) = the elements of x (shape xs) from \`begin\` on each axis. */
function slice(y, ys, x, xs, begin) {
  box(y, ys, ys.map(() => 0), x, xs, begin, ys);
}`,
  upsample: `/** Nearest-neighbour up-sampling: each element of x (shape xs) repeated factors[i] times along axis i. */
function upsample(y, x, xs, factors) {
  const dims = xs.map((d, i) => d * factors[i]);
  const xstr = xs.map((_, i) => xs.slice(i + 1).reduce((a, b) => a * b, 1));
  const p = dims.map(() => 0);
  for (let o = 0; o < y.length; o++) {
    let at = 0;
    for (let i = 0; i < dims.length; i++) at += Math.floor(p[i] / factors[i]) * xstr[i];
    y[o] = x[at];
    for (let i = dims.length - 1; i >= 0; i--) {
      if (++p[i] < dims[i]) break;
      p[i] = 0;
    }
  }
}`,
  bitcast: `/** y = the bits of x's values as float32, read as 32-bit integers (ONNX BitCast; unsigned when \`unsigned\`). */
function bitcast(y, x, unsigned) {
  const f = Float32Array.from(x);
  const bits = unsigned ? new Uint32Array(f.buffer) : new Int32Array(f.buffer);
  for (let i = 0; i < y.length; i++) y[i] = bits[i];
}`,
  reverse: `/** y = x (shape xs) with the elements of axis \`axis\` in reverse order. */
function reverse(y, x, xs, axis) {
  const n = xs[axis];
  const inner = xs.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = xs.slice(0, axis).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const src = (o * n + i) * inner;
      const dst = (o * n + n - 1 - i) * inner;
      for (let j = 0; j < inner; j++) y[dst + j] = x[src + j];
    }
  }
}`,
  gather: `/** Rows of table E [rows, cols] picked by ids (truncated to integers); an id out of range gives NaN. */
function gather(y, ids, E, rows, cols) {
  for (let k = 0; k < ids.length; k++) {
    const r = Math.trunc(ids[k]);
    const inside = r >= 0 && r < rows;
    for (let c = 0; c < cols; c++) y[k * cols + c] = inside ? E[r * cols + c] : NaN;
  }
}`,
  gatherRows: `/** Rows of table E [rows, cols] picked by the first n ids (truncated to integers); an id out of range gives NaN. */
function gatherRows(y, ids, n, E, rows, cols) {
  for (let k = 0; k < n; k++) {
    const r = Math.trunc(ids[k]);
    const inside = r >= 0 && r < rows;
    for (let c = 0; c < cols; c++) y[k * cols + c] = inside ? E[r * cols + c] : NaN;
  }
}`,
  wasmPanels: (values) => `/**
 * --wasm: W [k, n] and b (zeros when null) packed once per call site for the gemm kernel, in HEAP from
 * wasmTop on: panels of ${values === 'Float32Array' ? 8 : 4} columns, each b's values then W's k rows, zeros past n. Returns their byte offset.
 */
function wasmPanels(site, W, b, k, n) {
  if (wasmAt[site] !== 0) return wasmAt[site];
  wasmAt[site] = wasmTop;
  wasmTop += wasmPack(wasmTop, W, 0, b, k, n);
  return wasmAt[site];
}

/** Writes the panels of W [k, n] (from W[wo] on) and b (zeros when null) at byte \`at\` of HEAP; returns their bytes. */
function wasmPack(at, W, wo, b, k, n) {
  const NR = ${values === 'Float32Array' ? 8 : 4};
  const P = new ${values}(HEAP, at, Math.ceil(n / NR) * (k + 1) * NR);
  for (let j = 0; j < n; j++) {
    const o = Math.floor(j / NR) * (k + 1) * NR + (j % NR);
    P[o] = b === null ? 0 : b[j];
    for (let q = 0, w = wo + j; q < k; q++, w += n) P[o + (q + 1) * NR] = W[w];
  }
  for (let j = n; j % NR !== 0; j++) {
    const o = Math.floor(j / NR) * (k + 1) * NR + (j % NR);
    for (let q = 0; q <= k; q++) P[o + q * NR] = 0;
  }
  return P.byteLength;
}

/** Whether the kernels can run on these arrays: WebAssembly SIMD is there, and each array is a view of HEAP. */
function wasmReady(...arrays) {
  if (WASM === null) return false;
  for (const a of arrays) if (a.buffer !== HEAP) return false;
  return true;
}`,
  wasmDense: `/** dense in the gemm kernel (call site number site), or the plain loops where the kernels cannot run. */
function wasmDense(site, y, x, W, b, k, n, lo = -Infinity, hi = Infinity) {
  if (!wasmReady(y, x)) return dense(y, x, W, b, k, n, lo, hi);
  WASM.gemm(y.byteOffset, x.byteOffset, y.length / n, k, n, wasmPanels(site, W, b, k, n), lo, hi, 0);
}`,
  wasmDenseAdd: `/** denseAdd in the gemm kernel (call site number site), or the plain loops where the kernels cannot run. */
function wasmDenseAdd(site, y, x, W, k, n, lo = -Infinity, hi = Infinity) {
  if (!wasmReady(y, x)) return denseAdd(y, x, W, k, n, lo, hi);
  WASM.gemm(y.byteOffset, x.byteOffset, y.length / n, k, n, wasmPanels(site, W, null, k, n), lo, hi, 1);
}`,
  wasmConv: `/**
 * conv in the kernels (call site number site): without groups and over at most two spatial axes, the windows
 * copied as the rows of a matrix at WASM_WORK (im2col), times K as a [kH*kW*C, F] matrix (gemm); else,
 * or where the kernels cannot run, the plain loops.
 */
function wasmConv(site, y, x, K, b, g, groups, lo = -Infinity, hi = Infinity) {
  const { inD, inH, inW, kD, kH, kW, sH, sW, dH, dW, pH, pW, outD, outH, outW } = g;
  if (groups !== 1 || inD !== 1 || kD !== 1 || outD !== 1 || !wasmReady(y, x)) return conv(y, x, K, b, g, groups, lo, hi);
  const C = x.length / (inH * inW), F = y.length / (outH * outW), k = kH * kW * C;
  WASM.im2col(WASM_WORK, x.byteOffset, inH, inW, C, kH, kW, sH, sW, dH, dW, pH, pW, outH, outW);
  WASM.gemm(y.byteOffset, WASM_WORK, outH * outW, k, F, wasmPanels(site, K, b, k, F), lo, hi, 0);
}`,
  wasmMatmul: (values) => `/** matmul in the gemm kernel, each right-hand matrix packed at WASM_WORK first; or the plain loops where the kernels cannot run. */
function wasmMatmul(y, a, aBase, b, bBase, M, K, N) {
  if (!wasmReady(y, a)) return matmul(y, a, aBase, b, bBase, M, K, N);
  for (let p = 0; p < aBase.length; p++) {
    wasmPack(WASM_WORK, b, bBase[p], null, K, N);
    WASM.gemm(y.byteOffset + p * M * N * ${values === 'Float32Array' ? 4 : 8}, a.byteOffset + aBase[p] * ${values === 'Float32Array' ? 4 : 8}, M, K, N, WASM_WORK, -Infinity, Infinity, 0);
  }
}`,
  wasmDepthwise: (values) => `/**
 * depthwiseConv in the depthwise kernel (call site number site) with one filter per channel, channels a
 * multiple of ${values === 'Float32Array' ? 4 : 2}, over at most two spatial axes (b, then D, copied once to HEAP); else the plain loops.
 */
function wasmDepthwise(site, y, x, D, b, g, m, lo = -Infinity, hi = Infinity) {
  const { inD, inH, inW, kD, kH, kW, sH, sW, dH, dW, pH, pW, outD, outH, outW } = g;
  const C = x.length / (inD * inH * inW);
  if (m !== 1 || inD !== 1 || kD !== 1 || outD !== 1 || C % ${values === 'Float32Array' ? 4 : 2} !== 0 || !wasmReady(y, x)) return depthwiseConv(y, x, D, b, g, m, lo, hi);
  if (wasmAt[site] === 0) {
    const P = new ${values}(HEAP, wasmTop, C + D.length);
    if (b !== null) P.set(b);
    P.set(D, C);
    wasmAt[site] = wasmTop;
    wasmTop += P.byteLength;
  }
  WASM.depthwise(y.byteOffset, x.byteOffset, wasmAt[site], inH, inW, C, kH, kW, sH, sW, dH, dW, pH, pW, outH, outW, lo, hi);
}`,
};

/** dense and denseAdd when every dense layer of the program has fewer than four rows (one sample): a row at a time, no packing. */
const DENSE_BY_ROW: Record<string, string> = {
  dense: `/** y = x*W + b over the last axis at every leading position; W is [k, n] row-major, b may be null. */
function dense(y, x, W, b, k, n) {
  for (let xo = 0, yo = 0; yo < y.length; xo += k, yo += n) {
    if (b === null) for (let j = 0; j < n; j++) y[yo + j] = 0;
    else for (let j = 0; j < n; j++) y[yo + j] = b[j];
    accumulate(y, yo, x, xo, W, 0, k, n, n);
  }
}`,
  denseAdd: `/** y += x*W over the last axis at every leading position (another input of the same sum). */
function denseAdd(y, x, W, k, n) {
  for (let xo = 0, yo = 0; yo < y.length; xo += k, yo += n) accumulate(y, yo, x, xo, W, 0, k, n, n);
}`,
};

/** Helpers other helpers call. */
const NEEDS: Record<string, readonly string[]> = { read: ['fill'], sequence: ['fill'], pad: ['box'], slice: ['box'], dense: ['accumulate'], denseAdd: ['accumulate'], matmul: ['gemm'], gemm: ['accumulate', 'relu'], conv: ['accumulate', 'relu'], depthwiseConv: ['relu'], wasmDense: ['dense', 'wasmPanels'], wasmDenseAdd: ['denseAdd', 'wasmPanels'], wasmConv: ['conv', 'wasmPanels'], wasmDepthwise: ['depthwiseConv', 'wasmPanels'], wasmMatmul: ['matmul', 'wasmPanels'] };


/** Whether every value is a float32 (or NaN), so a Float32Array holds them exactly. */
function allFloat32(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (Math.fround(values[i]) !== values[i] && !Number.isNaN(values[i])) return false;
  return true;
}

/** Prints a tensor program as the JS tensor form (see the file comment). */
export function emitJsTensor(program: TensorProgram, opts: EmitOptions): string {
  return new Printer(program, opts).print();
}

class Printer {
  private readonly names: string[];
  private readonly taken: Set<string>;
  private readonly dims: Dim[][] = [];
  private readonly storage: Storage[] = [];
  private readonly slots: number[] = [];
  private readonly slotNames: string[] = [];
  private readonly helpers = new Set<string>();
  private readonly prelude = new Set<Fn>();
  /** Module-level declarations other than weights and buffers (geometries, index orders). */
  private readonly decls: string[] = [];
  private readonly syntax: Syntax;
  private readonly local = new Set<TensorId>();
  private readonly lengthVars: string[] = [];
  /** --wasm: the bytes each kernel call site packs its weights into (its index is the site's number). */
  private readonly wasmSites: number[] = [];
  /** --wasm: bytes of the largest work area a kernel call needs (a convolution's im2col matrix, a matmul's packed right-hand matrix). */
  private wasmWork = 0;
  /** Whether a dense layer has four rows or more (or any number): then dense multiplies by gemm's register blocks, else a row at a time. */
  private denseBlocks = false;
  /** --weights symbolic: the weight tensors predict reads from params (empty otherwise, or when the model has none). */
  private readonly params: ReturnType<typeof tensorParams>;

  constructor(
    private readonly p: TensorProgram,
    private readonly opts: EmitOptions,
  ) {
    this.names = tensorNames(p);
    // An input keeps its parameter's name (tensorNames gives it first): the parameter holds its flat values once read.
    p.inputs.forEach((port, i) => (this.names[port.tensor.id] = `input${i + 1}`));
    this.taken = new Set([...this.names, 'params', 'PARAMS']);
    this.params = opts.symbolicWeights ? tensorParams(p, this.names) : [];
    this.syntax = { ...JS_SYNTAX, name: () => 'undefined' };
    this.shapes();
    this.plan();
    this.fuseClamps();
  }

  /** A producer (conv, depthwise_conv, dense) that clamps its values as it stores them: the bounds' text, and the map it does the work of. */
  private readonly clampAt = new Map<Equation, { lo: string; hi: string }>();
  /** A map equation whose work a producer does (its value is the producer's, in the same memory): the text of its comment. */
  private readonly clampDone = new Map<Equation, string>();

  /**
   * Finds each top-level map that clamps one argument, max(lo, x), min(hi, x) or min(hi, max(lo, x)) as
   * its JavaScript template prints it (ReLU, ReLU6, Clip), whose argument is the output of a conv,
   * depthwise_conv or dense read by nothing else (reshapes aside), and which the buffer plan put in that
   * output's own memory: the producer then stores min(hi, max(lo, v)) for each value v it computes, the
   * very number the map would compute from the stored v, and the map prints no loop.
   */
  private fuseClamps(): void {
    const p = this.p;
    const readers = new Map<TensorId, number>();
    const stack: (readonly Equation[])[] = [p.equations];
    while (stack.length > 0) {
      for (const eq of stack.pop()!) {
        for (const a of eq.args) readers.set(a, (readers.get(a) ?? 0) + 1);
        if (eq.body) {
          stack.push(eq.body.equations);
          for (const o of eq.body.outputs) readers.set(o, (readers.get(o) ?? 0) + 1);
        }
      }
    }
    const outputs = new Set(p.outputs.map((port) => port.tensor.id));
    const made = new Map<TensorId, Equation>();
    for (const eq of p.equations) for (const o of eq.outs) made.set(o, eq);
    const num = '(-?(?:\\d+(?:\\.\\d*)?(?:e[-+]?\\d+)?|Infinity))';
    const patterns: [RegExp, (m: RegExpExecArray) => { lo: string; hi: string }][] = [
      [new RegExp(`^Math\\.min\\(${num}, Math\\.max\\(${num}, v\\)\\)$`), (m) => ({ lo: m[2], hi: m[1] })],
      [new RegExp(`^Math\\.max\\(${num}, v\\)$`), (m) => ({ lo: m[1], hi: 'Infinity' })],
      [new RegExp(`^Math\\.min\\(${num}, v\\)$`), (m) => ({ lo: '-Infinity', hi: m[1] })],
    ];
    for (const eq of p.equations) {
      if (eq.op !== 'map' || eq.args.length !== 1 || eq.outs.length !== 1) continue;
      const [a] = eq.args;
      const [o] = eq.outs;
      if (this.dynamic(o) || outputs.has(a) || (readers.get(a) ?? 0) !== 1) continue;
      const so = this.storage[o];
      const sr = this.storage[this.root(a)];
      if (so?.kind !== 'pool' || sr?.kind !== 'pool' || so.slot !== sr.slot || sizeOf(p.tensors[o].shape) !== sizeOf(p.tensors[a].shape)) continue;
      // Back from the argument through reshapes (each read only by the next) to the equation that computed it.
      let t = a;
      let producer = made.get(t);
      while (producer?.op === 'reshape' && !outputs.has(producer.args[0]) && readers.get(producer.args[0]) === 1) {
        t = producer.args[0];
        producer = made.get(t);
      }
      if (!producer || !['conv', 'depthwise_conv', 'dense'].includes(producer.op) || producer.outs.length !== 1 || this.root(a) !== t || this.clampAt.has(producer)) continue;
      // A dense layer (or 1x1 convolution) of fewer than four rows may be printed a row at a time, without the clamp.
      if ((producer.op === 'dense' || producer.op === 'conv') && sizeOf(p.tensors[t].shape.slice(0, -1)) < 4) continue;
      const text = printMap(eq.attrs as unknown as MapAttrs, atoms(['v']), this.syntax, JS_FUNCTIONS, this.opts).text;
      for (const [re, bounds] of patterns) {
        const m = re.exec(text);
        if (!m) continue;
        this.clampAt.set(producer, bounds(m));
        this.clampDone.set(eq, `${this.names[o]} = ${text.replace(/\bv\b/, this.names[a])}: stored so by the ${producer.op === 'dense' ? 'dense layer' : producer.op === 'conv' ? 'convolution' : 'depthwise convolution'} above, in the same memory`);
        break;
      }
    }
  }

  /** The bounds a producer clamps its values to, as trailing arguments of its call ('' when it does not). */
  private clampArgs(eq: Equation): string {
    const c = this.clampAt.get(eq);
    return c ? `, ${c.lo}, ${c.hi}` : '';
  }

  private fresh(base: string): string {
    let n = base;
    for (let k = 2; this.taken.has(n); k++) n = `${base}${k}`;
    this.taken.add(n);
    return n;
  }

  /** Run-time dimensions of every tensor: a time axis of any length (-1) becomes a length read from the input. */
  private shapes(): void {
    const p = this.p;
    const check = (id: TensorId) => {
      const s = p.tensors[id].shape;
      const dynamic = s.filter((d) => d < 0);
      if (dynamic.length > 1 || dynamic.some((d) => d !== -1) || s.some((d) => !Number.isInteger(d))) {
        throw new Nn2eqError(
          `tensor '${this.names[id]}' has shape [${s.join(', ')}], derived from a time axis of any length; the JS tensor form loops over such an axis only where layers keep it whole`,
          'unsupported',
          'give the length with --timesteps T',
        );
      }
    };
    p.inputs.forEach((port, i) => {
      const id = port.tensor.id;
      check(id);
      this.dims[id] = port.tensor.shape.map((d) => {
        if (d !== -1) return d;
        const v = this.fresh(`steps${i + 1}`);
        this.lengthVars[id] = v;
        return v;
      });
    });
    p.tensors.forEach((t, id) => {
      if (t.kind === 'const') this.dims[id] = [...t.shape];
    });
    const visit = (eqs: readonly Equation[]) => {
      for (const eq of eqs) {
        if (eq.body) {
          eq.body.inputs.forEach((id) => (this.dims[id] = [...p.tensors[id].shape]));
          visit(eq.body.equations);
        }
        const dynamicArg = eq.args.flatMap((a) => this.dims[a].filter((d) => typeof d === 'string'))[0];
        for (const o of eq.outs) {
          check(o);
          const shape = p.tensors[o].shape;
          if (!shape.includes(-1)) {
            this.dims[o] = [...shape];
            continue;
          }
          let d: Dim | undefined = dynamicArg;
          if (eq.op === 'reshape') {
            const x = eq.args[0];
            const known = sizeOf(shape.filter((n) => n !== -1));
            const argKnown = sizeOf(p.tensors[x].shape.filter((n) => n !== -1));
            d = known === argKnown ? dynamicArg : `${dynamicArg} * ${argKnown} / ${known}`;
          } else if (eq.op === 'concat' && shape.indexOf(-1) === (eq.attrs as unknown as AxisAttrs).axis) {
            d = `(${eq.args.map((a) => this.dims[a][(eq.attrs as unknown as AxisAttrs).axis]).join(' + ')})`;
          }
          if (d === undefined) throw new Nn2eqError(`tensor '${this.names[o]}' has a time axis of any length that no input gives`, 'unsupported', 'give the length with --timesteps T');
          this.dims[o] = shape.map((n) => (n === -1 ? d : n));
        }
      }
    };
    visit(p.equations);
  }

  /** The tensor whose memory `id` shares (itself unless a reshape). */
  private root(id: TensorId): TensorId {
    let r = id;
    for (let s = this.storage[r]; s?.kind === 'alias'; s = this.storage[r]) r = s.of;
    return r;
  }

  /** An alias is declared at module level when its memory is; else (inputs, constants, any length) in predict. */
  private moduleAlias(id: TensorId): boolean {
    const r = this.storage[this.root(id)];
    return !this.isInput(this.root(id)) && (r?.kind === 'pool' || r?.kind === 'own');
  }

  private isInput(id: TensorId): boolean {
    return this.p.tensors[id].kind === 'input';
  }

  private dynamic(id: TensorId): boolean {
    return this.dims[id].some((d) => typeof d === 'string');
  }

  /** The number of elements of a tensor, as code. */
  private size(id: TensorId): string {
    const ds = this.dims[id];
    const known = sizeOf(ds.filter((d): d is number => typeof d === 'number'));
    const vars = ds.filter((d): d is string => typeof d === 'string');
    if (vars.length === 0) return String(known);
    return known === 1 ? vars.join(' * ') : `${vars.join(' * ')} * ${known}`;
  }

  private dimsText(id: TensorId): string {
    return `[${this.dims[id].join(', ')}]`;
  }

  /** Where each value lives: the inputs here, the rest by planBuffers (tensor-common.ts), shared with the other static-buffer form. */
  private plan(): void {
    this.p.inputs.forEach((port) => (this.storage[port.tensor.id] = { kind: 'own' }));
    planBuffers(this.p, this.storage, this.local, this.slots, (id) => sizeOf(this.p.tensors[id].shape), (id) => this.dynamic(id));
    this.slots.forEach((_, k) => this.slotNames.push(this.fresh(`memory${k + 1}`)));
  }

  private use(helper: string): string {
    if (!this.helpers.has(helper)) {
      this.helpers.add(helper);
      for (const h of NEEDS[helper] ?? []) this.use(h);
    }
    return helper;
  }

  print(): string {
    const p = this.p;
    const names = this.names;
    const params = p.inputs.map((_, i) => `input${i + 1}`);
    const symbolic = this.params.length > 0;
    const args = [...(symbolic ? ['params'] : []), ...params];
    const body: string[] = [];
    for (const t of this.params) body.push(`  const ${t.name} = ${this.use('param')}(params, '${t.name}', ${t.size});`);
    p.inputs.forEach((port, i) => {
      const id = port.tensor.id;
      const name = names[id];
      const width = sizeOf(port.tensor.shape.filter((d) => d !== -1));
      if (this.dynamic(id)) {
        body.push(`  ${name} = ${this.use('sequence')}(${params[i]}, ${width}, '${params[i]}');`);
        body.push(`  const ${this.lengthVars[id]} = ${name}.length${width === 1 ? '' : ` / ${width}`};`);
      } else {
        body.push(`  ${name} = ${this.use('read')}(${params[i]}, ${this.inputBuffer(id)}, '${params[i]}');`);
      }
    });
    const starts = new Map(p.calls.filter((c) => c.to > c.from).map((c) => [c.from, c]));
    p.equations.forEach((eq, e) => {
      const call = starts.get(e);
      if (call) body.push(`  // ${call.number > 0 ? `Layer ${call.number}: ` : ''}${call.className} '${call.layer}'`);
      this.equation(eq, body, '  ', 0);
    });
    const results = p.outputs.map((port) => `${this.use('nest')}(${names[port.tensor.id]}, ${this.dimsText(port.tensor.id)})`);
    body.push(`  return ${results.length === 1 ? results[0] : `[${results.join(', ')}]`};`);

    const lines: string[] = [];
    lines.push(`// Generated by nn2eq from model '${this.opts.modelName}' (tensor form${symbolic ? ', symbolic weights' : ''}). Do not edit.`);
    for (const n of this.opts.notes ?? []) lines.push(`// ${n}`);
    lines.push(`// predict(${args.join(', ')}): ${symbolic ? 'params an object of weight arrays (below), ' : ''}${p.inputs.map((port, i) => `${params[i]} of shape ${this.shapeText(port.tensor.shape)}`).join(', ')} (nested arrays, row-major); returns ${this.describeOutputs()}.`);
    if (p.inputs.some((port) => port.tensor.shape.includes(-1))) lines.push('// T is the number of time steps, any T >= 1: it is read from the input.');
    lines.push(...namedElementLines(p, this.opts, '// ', (side, port, idx) => `${side}${port + 1}${idx.map((i) => `[${i}]`).join('')}`, p.outputs.length > 1 ? 'outputK is the K-th array predict returns' : 'output1 is the array predict returns'));
    if (symbolic) {
      lines.push('// params maps each weight tensor\'s name to its values, flat and row-major (a typed array or an array of numbers);');
      lines.push('// PARAMS, exported at the end, holds the trained values, so predict(PARAMS, ...) is the model:');
      appendLines(lines, tensorParamLayout(this.params, '//   ', false));
    }
    const weights = symbolic ? this.paramsObject() : this.weights();
    appendLines(lines, this.weightsNote(symbolic ? 'PARAMS holds' : 'Weights are'));

    const buffers: string[] = [];
    // --wasm: every module-level buffer is a region of HEAP, the kernels' memory, at a byte offset fixed here.
    const wasm = this.opts.wasm === true;
    let heapTop = WASM_SCRATCH;
    const place = (bytes: number) => {
      const at = heapTop;
      heapTop += Math.ceil(bytes / 16) * 16;
      return at;
    };
    const own = (size: string) => (wasm && /^\d+$/.test(size) ? `new ${this.valueArray}(HEAP, ${place(Number(size) * this.bytes)}, ${size})` : `new ${this.valueArray}(${size})`);
    if (this.slots.length > 0) {
      buffers.push('', `// Values of the top level: views into ${wasm ? 'regions of HEAP' : 'buffers'} that are reused once a value is no longer needed.`);
      if (wasm) this.slots.forEach((n, s) => buffers.push(`const ${this.slotNames[s]} = ${place(this.bytes * n)}; // ${this.bytes * n} bytes of HEAP`));
      else this.slots.forEach((n, s) => buffers.push(`const ${this.slotNames[s]} = new ArrayBuffer(${this.bytes * n});`));
    }
    const decls: string[] = [];
    p.inputs.forEach((port) => {
      if (!this.dynamic(port.tensor.id)) decls.push(`const ${this.inputBuffer(port.tensor.id)} = ${own(this.size(port.tensor.id))};`);
    });
    p.tensors.forEach((_, id) => {
      const s = this.storage[id];
      if (!s || this.isInput(id)) return;
      if (s.kind === 'pool') decls.push(`const ${names[id]} = new ${this.valueArray}(${wasm ? `HEAP, ${this.slotNames[s.slot]}` : `${this.slotNames[s.slot]}, 0`}, ${this.size(id)});`);
      else if (s.kind === 'own') decls.push(`const ${names[id]} = ${own(this.size(id))};`);
      else if (s.kind === 'alias' && this.moduleAlias(id)) decls.push(`const ${names[id]} = ${names[s.of]};`);
    });
    if (wasm) appendLines(lines, this.wasmSetup(heapTop));
    if (decls.length > 0) appendLines(lines, buffers, '', '// Inputs and values (views of the buffers above at the top level; values inside loops have their own).', decls);
    if (this.decls.length > 0) appendLines(lines, '', this.decls);

    appendLines(lines, '', `export function predict(${args.join(', ')}) {`, body, '}', '', 'export default predict;');
    for (const f of Object.keys(PRELUDE)) if (this.prelude.has(f as Fn)) lines.push('', PRELUDE[f]);
    if (this.denseBlocks) this.use('gemm');
    for (const [h, helper] of Object.entries(HELPERS)) {
      if (!this.helpers.has(h)) continue;
      const text = this.denseBlocks ? helper : (DENSE_BY_ROW[h] ?? helper);
      lines.push('', typeof text === 'string' ? text : text(this.valueArray));
    }
    appendLines(lines, weights, '');
    return lines.join('\n');
  }

  /**
   * --wasm: the kernels' bytes and their instance, HEAP (their memory: the values from byte `values` on,
   * then a work area, then the weights as each call site packs them on its first call), and what the
   * kernel helpers share. Without WebAssembly SIMD, HEAP is a plain ArrayBuffer and the plain loops run.
   */
  private wasmSetup(values: number): string[] {
    const dtype = this.opts.dtype ?? 'float64';
    const work = values;
    const weights = work + Math.ceil(this.wasmWork / 16) * 16;
    const total = weights + this.wasmSites.reduce((a, b) => a + b, 0);
    const pages = Math.max(1, Math.ceil(total / 65536));
    if (pages > 65536) throw new Nn2eqError(`--wasm: the model's values, im2col matrix and packed weights take ${total} bytes, past WebAssembly's 4 GiB memory`, 'too-large', 'drop --wasm (the plain loops have no such limit)');
    const { lanes } = wasmLanes(dtype);
    return [
      '',
      `// --wasm: convolutions and matrix products run in WebAssembly SIMD kernels whose bytes nn2eq wrote below (src/emit/js/wasm.ts):`,
      `// ${dtype === 'float32' ? 'f32x4' : 'f64x2'}, ${lanes} lanes, each sum in ${dtype}, bias first (the plain loops add it last${dtype === 'float32' ? ' and sum in float64' : ''}). Where WebAssembly SIMD is missing, the plain loops run.`,
      `const WASM_BYTES = '${base64(wasmKernels(dtype))}';`,
      `const WASM = wasmInstance(${pages});`,
      `/** The kernels' memory (${total} bytes): the values, a work area at WASM_WORK (an im2col matrix, a matmul's packed right-hand matrix), the weights packed from ${weights} on. */`,
      `const HEAP = WASM === null ? new ArrayBuffer(${pages * 65536}) : WASM.memory.buffer;`,
      `const WASM_WORK = ${work};`,
      `/** Where each kernel call site's packed weights start in HEAP (0 until its first call), and where the next go. */`,
      `const wasmAt = new Int32Array(${Math.max(1, this.wasmSites.length)});`,
      `let wasmTop = ${weights};`,
      '',
      '/** The kernels with a memory of `pages` pages of 64 KiB, or null where WebAssembly SIMD is missing (or the memory cannot be had). */',
      'function wasmInstance(pages) {',
      "  if (typeof WebAssembly !== 'object' || typeof atob !== 'function') return null;",
      '  const bytes = Uint8Array.from(atob(WASM_BYTES), (c) => c.charCodeAt(0));',
      '  if (!WebAssembly.validate(bytes)) return null;',
      '  try {',
      '    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });',
      '    const { gemm, im2col, depthwise } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { memory } }).exports;',
      '    return { memory, gemm, im2col, depthwise };',
      '  } catch {',
      '    return null;',
      '  }',
      '}',
    ];
  }

  private inputBufferNames = new Map<TensorId, string>();
  private inputBuffer(id: TensorId): string {
    let n = this.inputBufferNames.get(id);
    if (!n) {
      n = this.fresh(`${this.names[id]}Values`);
      this.inputBufferNames.set(id, n);
    }
    return n;
  }

  private shapeText(shape: readonly number[]): string {
    return `[${shape.map((d) => (d === -1 ? 'T' : d)).join(', ')}]`;
  }

  private describeOutputs(): string {
    const shapes = this.p.outputs.map((port) => `shape ${this.shapeText(port.tensor.shape)}`);
    return shapes.length === 1 ? `an array of ${shapes[0]}` : `a list of ${shapes.length} arrays (${shapes.join(', ')})`;
  }

  private readonly arrayTypes = new Set<string>();

  /** --dtype float32: values and weights live in Float32Array (every store rounds to float32). */
  private get float32(): boolean {
    return this.opts.dtype === 'float32';
  }

  /** The typed array of the values (buffers, inputs). */
  private get valueArray(): string {
    return this.float32 ? 'Float32Array' : 'Float64Array';
  }

  /** Bytes per value. */
  private get bytes(): number {
    return this.float32 ? 4 : 8;
  }

  /** What the header says of the weights' arrays (after weights() has chosen them); `subject` is 'Weights are' or 'PARAMS holds'. */
  private weightsNote(subject: string): string[] {
    const rows = 'one row (last axis) per line';
    if (this.float32) {
      const values32 = '// --dtype float32: values live in Float32Array buffers allocated once (each stored value rounded to float32; the arithmetic between stores is JavaScript\'s float64).';
      if (this.arrayTypes.size === 0) return [values32];
      return [`// ${subject} Float32Array${this.opts.precision !== undefined ? `, rounded to ${this.opts.precision} significant digits` : ''} (every number rounded to float32), ${rows}.`, values32];
    }
    const values = '// Values are computed in float64, in buffers allocated once.';
    if (this.arrayTypes.size === 0) return [values];
    if (this.opts.precision !== undefined) return [`// ${subject} Float64Array, rounded to ${this.opts.precision} significant digits, ${rows}.`, values];
    if (!this.arrayTypes.has('Float64Array')) return [`// ${subject} Float32Array (the model's float32 values exactly), ${rows}.`, values];
    return [`// ${subject} Float32Array (the model's float32 values exactly) or Float64Array (constants nn2eq derives in float64), ${rows}.`, values];
  }

  /** The weights, last in the file: one typed array per constant, one row per line. */
  private weights(): string[] {
    const lines: string[] = [];
    const arrays = this.weightArrays();
    if (arrays.length > 0) lines.push('', '// Weights');
    for (const a of arrays) {
      lines.push(a.comment);
      if (a.rows.length <= 1) lines.push(`const ${a.name} = new ${a.type}([${a.rows.join('')}]);`);
      else appendLines(lines, `const ${a.name} = new ${a.type}([`, a.rows.map((r) => `  ${r},`), ']);');
    }
    return lines;
  }

  /** --weights symbolic: the weights as the exported PARAMS object, one typed array per weight tensor, one row per line. */
  private paramsObject(): string[] {
    const lines = ['', '// The trained weights: predict(PARAMS, ...) is the model.', 'export const PARAMS = {'];
    for (const a of this.weightArrays()) {
      lines.push(`  ${a.comment}`);
      if (a.rows.length <= 1) lines.push(`  ${a.name}: new ${a.type}([${a.rows.join('')}]),`);
      else appendLines(lines, `  ${a.name}: new ${a.type}([`, a.rows.map((r) => `    ${r},`), '  ]),');
    }
    lines.push('};');
    return lines;
  }

  /** Every constant the program reads as a typed array's text: a comment naming it, its type (chosen here) and its rows. */
  private weightArrays(): { name: string; comment: string; type: string; rows: string[] }[] {
    const p = this.p;
    const byLayer = new Map(p.calls.map((c) => [c.number, c]));
    const compared = comparedConstants(p);
    return constantsUsed(p).map((id) => {
      const t = p.tensors[id];
      const values = this.float32 && t.values ? Float32Array.from(t.values) : (t.values ?? []);
      const exact32 = this.float32 || (this.opts.precision === undefined && allFloat32(values));
      const type = exact32 ? 'Float32Array' : 'Float64Array';
      this.arrayTypes.add(type);
      const call = byLayer.get(t.layer);
      const comment = `// ${this.names[id]} [${t.shape.join(', ')}]${call ? `: ${call.className} '${call.layer}'` : ''}`;
      const width = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
      // A Float32Array reads each float32's shortest text back exactly; a Float64Array a compared constant's only in full (see comparedConstants).
      const rows = valueRows(values, width, JS_NUMBERS, this.opts.precision, ', ', !exact32 && compared.has(id));
      return { name: this.names[id], comment, type, rows };
    });
  }

  /** The code of one equation, appended to `out`. */
  private equation(eq: Equation, out: string[], ind: string, depth: number): void {
    const n = this.names;
    const y = n[eq.outs[0]];
    const x = n[eq.args[0]];
    for (const o of eq.outs) {
      const s = this.storage[o];
      if (s.kind === 'call') out.push(`${ind}const ${n[o]} = new ${this.valueArray}(${this.size(o)});`);
      else if (s.kind === 'alias' && !this.moduleAlias(o)) out.push(`${ind}const ${n[o]} = ${n[s.of]};`);
    }
    const line = (text: string) => out.push(`${ind}${text}`);
    switch (eq.op) {
      case 'dense': {
        const a = eq.attrs as unknown as DenseAttrs;
        const positions = sizeOf(this.p.tensors[eq.outs[0]].shape.slice(0, -1));
        if (this.dynamic(eq.outs[0]) || positions >= 4) this.denseBlocks = true;
        for (let k = 0; k < a.pairs; k++) {
          const [rows, cols] = this.p.tensors[eq.args[2 * k + 1]].shape;
          const xk = n[eq.args[2 * k]];
          const w = n[eq.args[2 * k + 1]];
          const clamp = k === a.pairs - 1 ? this.clampArgs(eq) : '';
          const site = this.wasmAt(depth) && this.constants(eq.args[2 * k + 1], k === 0 && a.bias ? eq.args[2 * a.pairs] : undefined) ? `${this.wasmSite(this.panelBytes(rows, cols))}, ` : '';
          const call = (helper: string) => this.use(site ? `wasm${helper[0].toUpperCase()}${helper.slice(1)}` : helper);
          if (k === 0) line(`${call('dense')}(${site}${y}, ${xk}, ${w}, ${a.bias ? n[eq.args[2 * a.pairs]] : 'null'}, ${rows}, ${cols}${clamp});`);
          else line(`${call('denseAdd')}(${site}${y}, ${xk}, ${w}, ${rows}, ${cols}${clamp});`);
        }
        return;
      }
      case 'map': {
        const done = this.clampDone.get(eq);
        if (done === undefined) this.map(eq, line);
        else line(`// ${done}`);
        return;
      }
      case 'softmax':
      case 'log_softmax':
      case 'l2_normalize': {
        const [groupSize, order] = this.along(eq.args[0], (eq.attrs as unknown as AxesAttrs).axes);
        const helper = this.use(eq.op === 'softmax' ? 'softmax' : eq.op === 'log_softmax' ? 'logSoftmax' : 'l2Normalize');
        line(`${helper}(${y}, ${x}, ${groupSize}, ${order});`);
        return;
      }
      case 'layer_norm': {
        const a = eq.attrs as unknown as LayerNormAttrs;
        const [groupSize, order] = this.along(eq.args[0], a.axes);
        const gamma = a.scale ? n[eq.args[1]] : 'null';
        const beta = a.center ? n[eq.args[a.scale ? 2 : 1]] : 'null';
        line(`${this.use('layerNorm')}(${y}, ${x}, ${gamma}, ${beta}, ${formatNumber(a.eps, JS_NUMBERS)}, ${groupSize}, ${order});`);
        return;
      }
      case 'dot': {
        const a = eq.attrs as unknown as DotAttrs;
        const z = eq.args[1];
        line(`${this.use('dot')}(${y}, ${x}, ${this.dimsText(eq.args[0])}, ${a.axes[0]}, ${n[z]}, ${this.dimsText(z)}, ${a.axes[1]}, ${a.normalize});`);
        return;
      }
      case 'matmul': {
        this.static(eq);
        const g = matmulGeometry(this.p, eq);
        const bases = (name: string, values: number[]) => {
          const id = this.fresh(name);
          this.decls.push(`const ${id} = new Int32Array([${values.join(', ')}]);`);
          return id;
        };
        const wasm = this.wasmAt(depth);
        if (wasm) this.wasmWork = Math.max(this.wasmWork, this.panelBytes(g.K, g.N));
        line(`${this.use(wasm ? 'wasmMatmul' : 'matmul')}(${y}, ${x}, ${bases(`${y}A`, g.aBase)}, ${n[eq.args[1]]}, ${bases(`${y}B`, g.bBase)}, ${g.M}, ${g.K}, ${g.N});`);
        return;
      }
      case 'conv': {
        const a = eq.attrs as unknown as ConvAttrs;
        const [C, F] = this.p.tensors[eq.args[1]].shape.slice(-2);
        if (!this.dynamic(eq.args[0]) && a.groups === 1 && a.kernel.every((k) => k === 1) && a.strides.every((s) => s === 1) && a.padBefore.every((q) => q === 0) && sizeOf(a.outSpatial) === sizeOf(this.p.tensors[eq.args[0]].shape.slice(0, -1))) {
          // Every output pixel is its input pixel's channels times K: a dense layer over the pixels.
          if (sizeOf(a.outSpatial) >= 4) this.denseBlocks = true;
          const site = this.wasmAt(depth) && this.constants(eq.args[1], a.bias ? eq.args[2] : undefined) ? `${this.wasmSite(this.panelBytes(C, F))}, ` : '';
          line(`${this.use(site ? 'wasmDense' : 'dense')}(${site}${y}, ${x}, ${n[eq.args[1]]}, ${a.bias ? n[eq.args[2]] : 'null'}, ${C}, ${F}${this.clampArgs(eq)}); // a 1x1 convolution: the same dense layer at every pixel`);
          return;
        }
        let site = '';
        if (this.wasmAt(depth) && a.groups === 1 && a.kernel.length <= 2 && this.constants(eq.args[1], a.bias ? eq.args[2] : undefined)) {
          // The kernel's matrix is [taps * C, F]; im2col writes one row of it per output pixel.
          const k = sizeOf(a.kernel) * C;
          site = `${this.wasmSite(this.panelBytes(k, F))}, `;
          this.wasmWork = Math.max(this.wasmWork, sizeOf(a.outSpatial) * k * this.bytes);
        }
        line(`${this.use(site ? 'wasmConv' : 'conv')}(${site}${y}, ${x}, ${n[eq.args[1]]}, ${a.bias ? n[eq.args[2]] : 'null'}, ${this.geometry(eq, a)}, ${a.groups}${this.clampArgs(eq)});`);
        return;
      }
      case 'depthwise_conv': {
        const a = eq.attrs as unknown as DepthwiseAttrs;
        const site = this.wasmAt(depth) && a.multiplier === 1 && a.kernel.length <= 2 && this.constants(eq.args[1], a.bias ? eq.args[2] : undefined) ? `${this.wasmSite((sizeOf(this.p.tensors[eq.args[1]].shape) + sizeOf(this.p.tensors[eq.outs[0]].shape.slice(-1))) * this.bytes)}, ` : '';
        line(`${this.use(site ? 'wasmDepthwise' : 'depthwiseConv')}(${site}${y}, ${x}, ${n[eq.args[1]]}, ${a.bias ? n[eq.args[2]] : 'null'}, ${this.geometry(eq, a)}, ${a.multiplier}${this.clampArgs(eq)});`);
        return;
      }
      case 'pool': {
        const a = eq.attrs as unknown as PoolAttrs;
        line(`${this.use('pool')}(${y}, ${x}, ${this.geometry(eq, a)}, ${a.kind === 'max'});`);
        return;
      }
      case 'global_pool':
        line(`${this.use('globalPool')}(${y}, ${x}, ${(eq.attrs as unknown as GlobalPoolAttrs).kind === 'max'});`);
        return;
      case 'transpose':
        line(`${this.use('transpose')}(${y}, ${x}, ${this.dimsText(eq.args[0])}, [${(eq.attrs as unknown as TransposeAttrs).perm.join(', ')}]);`);
        return;
      case 'reshape':
        if (this.moduleAlias(eq.outs[0])) line(`// ${y} = ${x} as shape ${this.dimsText(eq.outs[0])} (the same memory)`);
        return;
      case 'concat': {
        const axis = (eq.attrs as unknown as AxisAttrs).axis;
        const before = this.dims[eq.args[0]].slice(0, axis);
        const outer = before.length === 0 ? '1' : before.join(' * ');
        line(`${this.use('concat')}(${y}, ${outer}, ${eq.args.map((a) => n[a]).join(', ')});`);
        return;
      }
      case 'repeat':
        line(`${this.use('repeat')}(${y}, ${x}); // ${(eq.attrs as unknown as RepeatAttrs).n} copies`);
        return;
      case 'pad': {
        const a = eq.attrs as unknown as PadAttrs;
        this.static(eq);
        line(`${this.use('pad')}(${y}, ${this.dimsText(eq.outs[0])}, ${x}, ${this.dimsText(eq.args[0])}, [${a.before.join(', ')}]);`);
        return;
      }
      case 'slice': {
        const a = eq.attrs as unknown as SliceAttrs;
        this.static(eq);
        line(`${this.use('slice')}(${y}, ${this.dimsText(eq.outs[0])}, ${x}, ${this.dimsText(eq.args[0])}, [${a.begin.join(', ')}]);`);
        return;
      }
      case 'upsample':
        this.static(eq);
        line(`${this.use('upsample')}(${y}, ${x}, ${this.dimsText(eq.args[0])}, [${(eq.attrs as unknown as UpsampleAttrs).factors.join(', ')}]);`);
        return;
      case 'bitcast':
        line(`${this.use('bitcast')}(${y}, ${x}, ${(eq.attrs as unknown as BitcastAttrs).to === 'uint32'});`);
        return;
      case 'reverse':
        line(`${this.use('reverse')}(${y}, ${x}, ${this.dimsText(eq.args[0])}, ${(eq.attrs as unknown as AxisAttrs).axis});`);
        return;
      case 'monomials': {
        const e = (eq.attrs as unknown as MonomialsAttrs).exponents;
        const k = e[0]?.length ?? 0;
        this.static(eq);
        const powers = this.fresh(`${y}Powers`);
        this.decls.push(`const ${powers} = new Uint8Array([${e.flat().join(', ')}]);`);
        line(`for (let p = 0, o = 0; p < ${sizeOf(this.p.tensors[eq.args[0]].shape)}; p += ${k}) for (let t = 0; t < ${e.length}; t++, o++) { let m = 1; for (let i = 0; i < ${k}; i++) m *= ${x}[p + i] ** ${powers}[t * ${k} + i]; ${y}[o] = m; }`);
        return;
      }
      case 'gather': {
        if (this.opts.symbolicWeights) throw noSymbolicGather();
        const [rows, cols] = this.p.tensors[eq.args[1]].shape;
        line(`${this.use('gather')}(${y}, ${x}, ${n[eq.args[1]]}, ${rows}, ${cols});`);
        return;
      }
      case 'gather_rows': {
        const [rows, cols] = this.p.tensors[eq.args[0]].shape;
        line(`${this.use('gatherRows')}(${y}, ${n[eq.args[1]]}, ${this.size(eq.args[1])}, ${x}, ${rows}, ${cols});`);
        return;
      }
      case 'scan':
        return this.scan(eq, out, ind, depth);
      case 'foreach':
        return this.foreach(eq, out, ind, depth);
    }
  }

  /** --wasm (at any depth: a loop body's buffers are regions of the kernels' memory too, but for those sized per call, which the kernels' helpers leave to the plain loops). */
  private wasmAt(_depth: number): boolean {
    return this.opts.wasm === true;
  }

  /**
   * --wasm: a call site packs its weights (and bias) into the kernels' memory on its first call and
   * reads them from there ever after, so it is only for weights that are constants of the file; a
   * computed kernel (none reaches these ops today) keeps the plain loops.
   */
  private constants(...ids: (TensorId | undefined)[]): boolean {
    return ids.every((id) => id === undefined || this.p.tensors[id].kind === 'const');
  }

  /** A new kernel call site whose weights take `bytes` (rounded up to 16) once packed; its number. */
  private wasmSite(bytes: number): number {
    this.wasmSites.push(Math.ceil(bytes / 16) * 16);
    return this.wasmSites.length - 1;
  }

  /** Bytes of a [k, n] weight matrix and its bias in the gemm kernel's panels. */
  private panelBytes(k: number, n: number): number {
    const { panel } = wasmLanes(this.opts.dtype ?? 'float64');
    return Math.ceil(n / panel) * (k + 1) * panel * this.bytes;
  }

  /** Ops whose attributes were computed from static shapes cannot run over a time axis of any length. */
  private static(eq: Equation): void {
    const t = [...eq.args, ...eq.outs].find((id) => this.dynamic(id));
    if (t !== undefined) throw new Nn2eqError(`a ${eq.op} over tensor '${this.names[t]}', whose time axis has any length, is not supported in the JS tensor form`, 'unsupported', 'give the length with --timesteps T');
  }

  /** Group size and index order (or null when the groups are contiguous) for an op along `axes`. */
  private along(id: TensorId, axes: readonly number[]): [number, string] {
    const dims = this.dims[id];
    if (axes.some((a) => typeof dims[a] === 'string')) throw new Nn2eqError(`an op along the time axis of '${this.names[id]}', whose length is any, is not supported in the JS tensor form`, 'unsupported', 'give the length with --timesteps T');
    const n = sizeOf(axes.map((a) => dims[a] as number));
    const sorted = [...axes].sort((a, b) => a - b);
    const trailing = sorted.every((a, i) => a === dims.length - sorted.length + i) && axes.every((a, i) => a === sorted[i]);
    if (trailing) return [n, 'null'];
    if (this.dynamic(id)) throw new Nn2eqError(`an op along axes [${axes.join(', ')}] of '${this.names[id]}', whose time axis has any length, is not supported in the JS tensor form`, 'unsupported', 'give the length with --timesteps T');
    const name = this.fresh(`${this.names[id]}Along${axes.join('')}`);
    this.decls.push(`const ${name} = ${this.use('along')}([${dims.join(', ')}], [${axes.join(', ')}]);`);
    return [n, name];
  }

  private geometry(eq: Equation, a: WindowAttrs): string {
    this.static(eq);
    const r = a.kernel.length;
    if (r > 3) throw new Nn2eqError(`a ${r}-dimensional window op is not supported in the JS tensor form (at most 3 spatial axes)`, 'unsupported');
    const input = this.p.tensors[eq.args[0]].shape.slice(0, r);
    const name = this.fresh(`${this.names[eq.outs[0]]}Window`);
    const list = (v: readonly number[]) => `[${v.join(', ')}]`;
    this.decls.push(`const ${name} = ${this.use('geometry')}(${list(input)}, ${list(a.kernel)}, ${list(a.strides)}, ${list(a.dilation)}, ${list(a.padBefore)}, ${list(a.outSpatial)});`);
    return name;
  }

  /** An element-wise map: one loop, the function printed from its scalar template. */
  private map(eq: Equation, line: (t: string) => void): void {
    const a = eq.attrs as unknown as MapAttrs;
    const o = eq.outs[0];
    const y = this.names[o];
    const args = eq.args.map((id) => this.element(id, o));
    const m = printMap(a, atoms(args), this.syntax, JS_FUNCTIONS, this.opts);
    m.uses.forEach((f) => this.prelude.add(f));
    line(`for (let i = 0; i < ${y}.length; i++) ${y}[i] = ${m.text};`);
  }

  /** Element i of the output read from argument `id` (broadcast, NumPy rules). */
  private element(id: TensorId, out: TensorId): string {
    return `${this.names[id]}[${broadcastIndex(this.dims[id], this.dims[out], 'i', (x, d) => `Math.floor(${x} / ${d})`)}]`;
  }

  /** The step counter of a loop nested `depth` deep: s, s_2, … unless a tensor has the name. */
  private loopVariable(depth: number): string {
    let s = depth === 0 ? 's' : `s_${depth + 1}`;
    while (this.taken.has(s)) s += '_';
    return s;
  }

  /** A recurrence: a loop over the time steps running the body, states carried in the body's input buffers. */
  private scan(eq: Equation, out: string[], ind: string, depth: number): void {
    const a = eq.attrs as unknown as ScanAttrs;
    const body = eq.body!;
    const n = this.names;
    const xs = eq.args[0];
    const steps = this.dims[xs][0];
    const s = this.loopVariable(depth);
    const [xt, ...states] = body.inputs;
    const line = (text: string) => out.push(`${ind}${text}`);
    line(`// ${eq.outs.map((o) => n[o]).join(', ')} = scan over the ${steps} steps of ${n[xs]}${a.reverse ? ', last step first' : ''}`);
    states.forEach((st, k) => line(eq.args.length > 1 + k ? `${n[st]}.set(${n[eq.args[1 + k]]});` : `${n[st]}.fill(0);`));
    line(`for (let ${s} = 0; ${s} < ${steps}; ${s}++) {`);
    const inner = `${ind}  `;
    const width = sizeOf(this.p.tensors[xt].shape);
    const t = a.reverse ? `(${steps} - 1 - ${s})` : s;
    out.push(`${inner}${this.use('take')}(${n[xt]}, ${n[xs]}, ${t}${width === 1 ? '' : ` * ${width}`});`);
    for (const e of body.equations) this.equation(e, out, inner, depth + 1);
    body.outputs.forEach((o, k) => {
      if (o !== states[k]) out.push(`${inner}${n[states[k]]}.set(${n[o]});`);
    });
    if (a.returnSequences) {
      const w = sizeOf(this.p.tensors[states[0]].shape);
      out.push(`${inner}${n[eq.outs[0]]}.set(${n[states[0]]}, ${s}${w === 1 ? '' : ` * ${w}`});`);
    }
    line('}');
    if (!a.returnSequences) line(`${n[eq.outs[0]]}.set(${n[states[0]]});`);
    eq.outs.slice(1).forEach((o, k) => line(`${n[o]}.set(${n[states[k]]});`));
  }

  /** TimeDistributed: the body run on every slice of the first axis. */
  private foreach(eq: Equation, out: string[], ind: string, depth: number): void {
    const body = eq.body!;
    const n = this.names;
    const xs = eq.args[0];
    const steps = this.dims[xs][0];
    const s = this.loopVariable(depth);
    const [xt] = body.inputs;
    const inner = `${ind}  `;
    out.push(`${ind}// ${n[eq.outs[0]]}: the layer applied to each of the ${steps} slices of ${n[xs]}`);
    out.push(`${ind}for (let ${s} = 0; ${s} < ${steps}; ${s}++) {`);
    const width = sizeOf(this.p.tensors[xt].shape);
    out.push(`${inner}${this.use('take')}(${n[xt]}, ${n[xs]}, ${s}${width === 1 ? '' : ` * ${width}`});`);
    for (const e of body.equations) this.equation(e, out, inner, depth + 1);
    const w = sizeOf(this.p.tensors[body.outputs[0]].shape);
    out.push(`${inner}${n[eq.outs[0]]}.set(${n[body.outputs[0]]}, ${s}${w === 1 ? '' : ` * ${w}`});`);
    out.push(`${ind}}`);
  }
}
