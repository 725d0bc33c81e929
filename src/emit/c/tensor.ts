import { Nn2eqError } from '../../errors.js';
import type { Fn } from '../../ir/ops.js';
import type { AxesAttrs, AxisAttrs, BitcastAttrs, ConvAttrs, DenseAttrs, DepthwiseAttrs, DotAttrs, GlobalPoolAttrs, LayerNormAttrs, MapAttrs, MonomialsAttrs, PadAttrs, PoolAttrs, RepeatAttrs, ScanAttrs, SliceAttrs, TransposeAttrs, UpsampleAttrs, WindowAttrs } from '../../tensor/ops.js';
import { sizeOf, type Equation, type TensorId, type TensorProgram } from '../../tensor/program.js';
import { C_FUNCTIONS, C_KEYWORDS, C_NUMBERS, C_PRELUDE, C_SYNTAX } from './syntax.js';
import { formatNumber } from '../number.js';
import type { Syntax } from '../render.js';
import { noSymbolicGather } from '../../tensor/ops.js';
import { appendLines, atoms, broadcastIndex, comparedConstants, constantsUsed, matmulGeometry, planBuffers, printMap, tensorNames, tensorParamLayout, tensorParams, valueRows, type Storage } from '../tensor-common.js';
import type { EmitOptions, TensorEmitter } from '../types.js';
import { namedElementLines } from '../port-names.js';

/**
 * The C tensor form: a C99 file whose `void predict(const double *x, double *y)` runs plain loops
 * over double arrays, one call or loop per equation of the tensor program, on one row per call.
 * The calling convention is the scalar C form's (flattened row-major inputs and outputs), so the
 * same harness runs both. Weights are static const double arrays; values live in static buffers
 * reused once a value is dead (no allocation; predict is therefore not reentrant). Every shape is
 * fixed at conversion: a time axis of any length is refused (--timesteps T fixes it). With
 * --weights symbolic, `void predict(const double *params, const double *x, double *y)` reads every
 * weight tensor from one flat vector (the tensors one after another, each row-major) and the file
 * defines the trained one as `const double PARAMS[N]`.
 */

/** The largest rank the index-walking helpers (transpose, box, upsample) hold counters for. */
const MAX_RANK = 8;

/** conv's tile: CONV_TILE_ROWS output positions by CONV_TILE_COLUMNS filters, its sums held in registers (see convTile). */
const CONV_TILE_ROWS = 6;
const CONV_TILE_COLUMNS = 8;
/** conv's blocking: filters per packed panel, numbers in the panel, positions per block, rows of K per chunk. */
const CONV_COLUMNS = 512;
const CONV_PANEL = 32768;
const CONV_POSITIONS = 48;
const CONV_CHUNK = 256;

/**
 * The text of convTile: y_r[v] += sum over c < k of a_r[c] * P[c * V + v], for the R rows and V columns of a
 * tile, written out as R * V running sums (t00 ... ) that the compiler keeps in registers and vectorizes
 * across the columns, two terms of c per pass. The loop's second exit (P reaching its end, which the count
 * also ends) keeps gcc from vectorizing across c instead, which would add the terms out of order or one by one.
 */
function convTileText(): string {
  const R = CONV_TILE_ROWS;
  const V = CONV_TILE_COLUMNS;
  const rows = [...Array(R).keys()];
  const cols = [...Array(V).keys()];
  const lines = [
    '/*',
    ` * The ${R}x${V} tile of conv: y_r[v] += sum over c < k of a_r[c] * P[c * ${V} + v] for r < ${R} and v < ${V}, the terms added in`,
    ' * the order of c, two per pass; the sums are held in registers. The pass also ends where P reaches its end, a',
    ' * second exit that keeps gcc from vectorizing across c (one term at a time) rather than across v.',
    ' */',
    'static void convTile(double *const *y, const double *const *a, const double *restrict P, int k) {',
    ...rows.map((r) => `  const double *restrict a${r} = a[${r}];`),
    ...rows.map((r) => `  double *restrict y${r} = y[${r}];`),
    ...rows.map((r) => `  double ${cols.map((v) => `t${r}${v} = y${r}[${v}]`).join(', ')};`),
    `  const double *const end = P + (k - k % 2) * ${V};`,
    `  for (int c = 0; c + 1 < k; c += 2, P += ${2 * V}) {`,
    '    if (P == end) break;',
    ...rows.map((r) => `    const double x${r} = a${r}[c], z${r} = a${r}[c + 1];`),
    ...rows.map((r) => `    ${cols.map((v) => `t${r}${v} = t${r}${v} + x${r} * P[${v}] + z${r} * P[${V + v}];`).join(' ')}`),
    '  }',
    '  if (k % 2) {',
    ...rows.map((r) => `    const double x${r} = a${r}[k - 1];`),
    ...rows.map((r) => `    ${cols.map((v) => `t${r}${v} += x${r} * P[${v}];`).join(' ')}`),
    '  }',
    ...rows.map((r) => `  ${cols.map((v) => `y${r}[${v}] = t${r}${v};`).join(' ')}`),
    '}',
  ];
  return lines.join('\n');
}

/** The source of every helper the generated code may call, emitted only when used (-Wall rejects unused static functions). */
const HELPERS: Record<string, string> = {
  window: `/* A window's geometry, per spatial axis padded to three (depth, height, width): input size, kernel, strides, dilation, padding before, output size. */
struct window {
  int inD, inH, inW, kD, kH, kW, sD, sH, sW, dD, dH, dW, pD, pH, pW, outD, outH, outW;
};`,
  copy: `/* y[0..n) = x[0..n). */
static void copy(double *y, const double *x, int n) {
  for (int i = 0; i < n; i++) y[i] = x[i];
}`,
  zero: `/* y[0..n) = 0. */
static void zero(double *y, int n) {
  for (int i = 0; i < n; i++) y[i] = 0;
}`,
  addBlockProduct: `/*
 * y[r * sy + j] += sum over q < k of a[r * sa + q] * B[q * sb + j], for r < m and j < n: rows of a times a
 * block of B, added into y. Two rows of y at a time, each updated with four terms per pass (a[q..q+3] times
 * four rows of B) and two columns per step: independent sums that the compiler keeps in registers and
 * vectorizes, at -O2 too. The terms of each y are added in the order of q.
 */
static void addBlockProduct(double *restrict y, int sy, const double *restrict a, int sa, const double *restrict B, int sb, int m, int k, int n) {
  int r = 0;
  for (; r + 1 < m; r += 2, y += 2 * sy, a += 2 * sa) {
    double *const z = y + sy;
    const double *const c = a + sa;
    const double *b = B;
    int q = 0;
    for (; q + 3 < k; q += 4, b += 4 * sb) {
      const double a0 = a[q], a1 = a[q + 1], a2 = a[q + 2], a3 = a[q + 3];
      const double c0 = c[q], c1 = c[q + 1], c2 = c[q + 2], c3 = c[q + 3];
      const double *b0 = b, *b1 = b0 + sb, *b2 = b1 + sb, *b3 = b2 + sb;
      int j = 0;
      for (; j + 1 < n; j += 2) {
        y[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        y[j + 1] += a0 * b0[j + 1] + a1 * b1[j + 1] + a2 * b2[j + 1] + a3 * b3[j + 1];
        z[j] += c0 * b0[j] + c1 * b1[j] + c2 * b2[j] + c3 * b3[j];
        z[j + 1] += c0 * b0[j + 1] + c1 * b1[j + 1] + c2 * b2[j + 1] + c3 * b3[j + 1];
      }
      if (j < n) {
        y[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        z[j] += c0 * b0[j] + c1 * b1[j] + c2 * b2[j] + c3 * b3[j];
      }
    }
    for (; q < k; q++, b += sb) {
      const double a0 = a[q], c0 = c[q];
      int j = 0;
      for (; j + 1 < n; j += 2) {
        y[j] += a0 * b[j];
        y[j + 1] += a0 * b[j + 1];
        z[j] += c0 * b[j];
        z[j + 1] += c0 * b[j + 1];
      }
      if (j < n) {
        y[j] += a0 * b[j];
        z[j] += c0 * b[j];
      }
    }
  }
  if (r < m) {
    const double *b = B;
    int q = 0;
    for (; q + 3 < k; q += 4, b += 4 * sb) {
      const double a0 = a[q], a1 = a[q + 1], a2 = a[q + 2], a3 = a[q + 3];
      const double *b0 = b, *b1 = b0 + sb, *b2 = b1 + sb, *b3 = b2 + sb;
      int j = 0;
      for (; j + 1 < n; j += 2) {
        y[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        y[j + 1] += a0 * b0[j + 1] + a1 * b1[j + 1] + a2 * b2[j + 1] + a3 * b3[j + 1];
      }
      if (j < n) y[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
    }
    for (; q < k; q++, b += sb) {
      const double a0 = a[q];
      int j = 0;
      for (; j + 1 < n; j += 2) {
        y[j] += a0 * b[j];
        y[j + 1] += a0 * b[j + 1];
      }
      if (j < n) y[j] += a0 * b[j];
    }
  }
}`,
  convTile: convTileText(),
  addProduct: `/*
 * y[m, n] (rows sy apart) += a[m, k] (rows sa apart) times B[k, n] (rows sb apart), one block of B at a time
 * (32 rows by 256 columns, which stays in the cache while every row of a meets it).
 */
static void addProduct(double *y, int sy, const double *a, int sa, const double *B, int sb, int m, int k, int n) {
  for (int j = 0; j < n; j += 256)
    for (int q = 0; q < k; q += 32) addBlockProduct(y + j, sy, a + q, sa, B + q * sb + j, sb, m, k - q < 32 ? k - q : 32, n - j < 256 ? n - j : 256);
}`,
  dense: `/* y = x.W + b over the last axis at each of \`rows\` positions; W is [k, n] row-major, b may be 0 (none). */
static void dense(double *y, const double *x, const double *W, const double *b, int rows, int k, int n) {
  for (int r = 0; r < rows; r++) for (int j = 0; j < n; j++) y[r * n + j] = b ? b[j] : 0;
  addProduct(y, n, x, k, W, n, rows, k, n);
}`,
  denseAdd: `/* y += x.W over the last axis at each of \`rows\` positions (another input of the same sum). */
static void denseAdd(double *y, const double *x, const double *W, int rows, int k, int n) {
  addProduct(y, n, x, k, W, n, rows, k, n);
}`,
  softmax: `/* Softmax over groups of n of the len values (contiguous, or listed by \`order\`), less the group's maximum. */
static void softmax(double *y, const double *x, int len, int n, const int *order) {
  for (int o = 0; o < len; o += n) {
    double m = -INFINITY, sum = 0;
    for (int j = 0; j < n; j++) m = max2(m, x[order ? order[o + j] : o + j]);
    for (int j = 0; j < n; j++) {
      const int at = order ? order[o + j] : o + j;
      y[at] = exp(x[at] - m);
      sum += y[at];
    }
    for (int j = 0; j < n; j++) y[order ? order[o + j] : o + j] /= sum;
  }
}`,
  logSoftmax: `/* Log-softmax over groups of n of the len values (contiguous, or listed by \`order\`): x - max - log(sum of exp(x - max)). */
static void logSoftmax(double *y, const double *x, int len, int n, const int *order) {
  for (int o = 0; o < len; o += n) {
    double m = -INFINITY, sum = 0;
    for (int j = 0; j < n; j++) m = max2(m, x[order ? order[o + j] : o + j]);
    for (int j = 0; j < n; j++) sum += exp(x[order ? order[o + j] : o + j] - m);
    const double lse = log(sum);
    for (int j = 0; j < n; j++) {
      const int at = order ? order[o + j] : o + j;
      y[at] = x[at] - m - lse;
    }
  }
}`,
  layerNorm: `/* (x - mean) / sqrt(variance + eps) * gamma + beta over groups of n of the len values; gamma, beta may be 0 (none). */
static void layerNorm(double *y, const double *x, const double *gamma, const double *beta, double eps, int len, int n, const int *order) {
  for (int o = 0; o < len; o += n) {
    double mean = 0, variance = 0;
    for (int j = 0; j < n; j++) mean += x[order ? order[o + j] : o + j];
    mean /= n;
    for (int j = 0; j < n; j++) {
      const double d = x[order ? order[o + j] : o + j] - mean;
      variance += d * d;
    }
    const double r = 1 / sqrt(variance / n + eps);
    for (int j = 0; j < n; j++) {
      const int at = order ? order[o + j] : o + j;
      y[at] = (x[at] - mean) * r * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0);
    }
  }
}`,
  l2Normalize: `/* x / sqrt(max(sum of x^2, 1e-12)) over groups of n of the len values (TF's l2_normalize). */
static void l2Normalize(double *y, const double *x, int len, int n, const int *order) {
  for (int o = 0; o < len; o += n) {
    double sq = 0;
    for (int j = 0; j < n; j++) {
      const double v = x[order ? order[o + j] : o + j];
      sq += v * v;
    }
    const double r = 1 / sqrt(max2(sq, 1e-12));
    for (int j = 0; j < n; j++) {
      const int at = order ? order[o + j] : o + j;
      y[at] = x[at] * r;
    }
  }
}`,
  inverseNorm: `/* 1 / sqrt(max(sum of v[k * s]^2 for k < n, 1e-12)). */
static double inverseNorm(const double *v, int n, int s) {
  double sq = 0;
  for (int k = 0; k < n; k++) sq += v[k * s] * v[k * s];
  return 1 / sqrt(max2(sq, 1e-12));
}`,
  matmul: `/*
 * The matrix product of the last two axes, y[..., M, N] = a[..., M, K] b[..., K, N], for each of the np
 * positions p of y's leading axes; aBase[p] and bBase[p] are where that position's matrices start in a and b.
 */
static void matmul(double *y, const double *a, const int *aBase, const double *b, const int *bBase, int np, int M, int K, int N) {
  for (int i = 0; i < np * M * N; i++) y[i] = 0;
  for (int p = 0; p < np; p++) addProduct(y + p * M * N, N, a + aBase[p], K, b + bBase[p], N, M, K, N);
}`,
  dot: `/*
 * Keras's Dot (batch_dot): y[r, c] = sum over k < n of x[rows[r] + k * sx] * z[cols[c] + k * sz], the
 * result having x's other axes, then z's; \`normalize\` divides each contracted vector by its L2 norm.
 */
static void dot(double *y, const double *x, const int *rows, int nr, int sx, const double *z, const int *cols, int nc, int sz, int n, int normalize) {
  int o = 0;
  for (int r = 0; r < nr; r++) {
    const double xr = normalize ? inverseNorm(x + rows[r], n, sx) : 1;
    for (int c = 0; c < nc; c++) {
      const double zc = normalize ? inverseNorm(z + cols[c], n, sz) : 1;
      double sum = 0;
      for (int k = 0; k < n; k++) sum += x[rows[r] + k * sx] * xr * (z[cols[c] + k * sz] * zc);
      y[o++] = sum;
    }
  }
}`,
  conv: `/*
 * Channels-last convolution: x[..in, C], K[..kernel, C/groups, F], b[F] or 0; y[..out, F]. A matrix product
 * of the output positions (rows) and the filters (columns) over the taps and channels (the rows of K, in the
 * order K holds them), in ${CONV_TILE_ROWS}x${CONV_TILE_COLUMNS} tiles (convTile). For up to ${CONV_COLUMNS} filters at a time, rows of K are packed once into
 * \`panel\` (${CONV_TILE_COLUMNS} filters at a time, contiguous; at most ${CONV_PANEL} numbers), then each block of ${CONV_POSITIONS} positions takes
 * them chunk by chunk: a chunk is up to ${CONV_CHUNK} rows of K that one position reads as one contiguous run of
 * x (channels of one tap, or, for groups = 1 and dW = 1, the neighbouring taps of one kernel row with all
 * their channels). A run partly outside x is gathered with zeros, a run wholly outside it is \`zeros\`.
 * Each y is the bias, then the taps in order, each channel by channel (a tap outside x adds 0).
 */
static void conv(double *y, const double *x, const double *K, const double *b, const struct window *g, int C, int F, int groups) {
  static double panel[${CONV_PANEL}], gathered[${CONV_POSITIONS}][${CONV_CHUNK}];
  static const double zeros[${CONV_CHUNK}];
  double spare[${CONV_TILE_ROWS}][${CONV_TILE_COLUMNS}];
  const int cg = C / groups, fg = F / groups, P = g->outD * g->outH * g->outW, hw = g->outH * g->outW;
  const int merge = groups == 1 && g->dW == 1, run = g->kW * cg, rows = g->kD * g->kH * run;
  for (int o = 0; o < P; o++) for (int f = 0; f < F; f++) y[o * F + f] = b ? b[f] : 0;
  for (int gr = 0; gr < groups; gr++) for (int j0 = 0; j0 < fg; j0 += ${CONV_COLUMNS}) {
    const int nc = fg - j0 < ${CONV_COLUMNS} ? fg - j0 : ${CONV_COLUMNS}, width = (nc + ${CONV_TILE_COLUMNS - 1}) / ${CONV_TILE_COLUMNS} * ${CONV_TILE_COLUMNS};
    const int most = ${CONV_PANEL} / width, limit = most < ${CONV_CHUNK} ? most : ${CONV_CHUNK};
    for (int k0 = 0, k1; k0 < rows; k0 = k1) {
      /* the rows [k0, k1) of K: whole chunks, at most \`most\` rows, packed (a row of K read in order) */
      for (k1 = k0; k1 < rows;) {
        const int o = k1 % run, end = merge ? (run - o < limit ? k1 - o + run : k1 + limit) : (cg - o % cg < limit ? k1 - o % cg + cg : k1 + limit);
        if (end - k0 > most && k1 > k0) break;
        k1 = end;
      }
      const int kr = k1 - k0;
      for (int u = 0; u < kr; u++) {
        const double *const Ku = K + (k0 + u) * F + gr * fg + j0;
        for (int j = 0; j < width; j += ${CONV_TILE_COLUMNS}) for (int v = 0; v < ${CONV_TILE_COLUMNS}; v++) panel[j * kr + u * ${CONV_TILE_COLUMNS} + v] = j + v < nc ? Ku[j + v] : 0;
      }
      for (int p0 = 0; p0 < P; p0 += ${CONV_POSITIONS}) {
        const int mc = P - p0 < ${CONV_POSITIONS} ? P - p0 : ${CONV_POSITIONS};
        for (int u0 = k0, u1; u0 < k1; u0 = u1) {
          /* the chunk [u0, u1): kernel row (kd, kh), taps kwa..kwb, from channel o - kwa * cg of tap kwa */
          const int o = u0 % run, kd = u0 / run / g->kH, kh = u0 / run % g->kH;
          u1 = merge ? (run - o < limit ? u0 - o + run : u0 + limit) : (cg - o % cg < limit ? u0 - o % cg + cg : u0 + limit);
          const int kc = u1 - u0, kwa = o / cg, kwb = (o + kc - 1) / cg;
          const double *a[${CONV_POSITIONS} + ${CONV_TILE_ROWS}];
          for (int q = 0; q < mc; q++) {
            const int p = p0 + q;
            const int id = p / hw * g->sD - g->pD + kd * g->dD, ih = p % hw / g->outW * g->sH - g->pH + kh * g->dH, iw = p % g->outW * g->sW - g->pW;
            const int first = iw + kwa * g->dW, last = iw + kwb * g->dW;
            if (id < 0 || id >= g->inD || ih < 0 || ih >= g->inH || last < 0 || first >= g->inW) a[q] = zeros;
            else if (first >= 0 && last < g->inW) a[q] = x + ((id * g->inH + ih) * g->inW + first) * C + gr * cg + o - kwa * cg;
            else {
              for (int u = 0; u < kc; u++) {
                const int at = iw + (o + u) / cg * g->dW;
                gathered[q][u] = at >= 0 && at < g->inW ? x[((id * g->inH + ih) * g->inW + at) * C + gr * cg + (o + u) % cg] : 0;
              }
              a[q] = gathered[q];
            }
          }
          for (int q = mc; q < mc + ${CONV_TILE_ROWS}; q++) a[q] = zeros;
          for (int j = 0; j < nc; j += ${CONV_TILE_COLUMNS}) for (int q = 0; q < mc; q += ${CONV_TILE_ROWS}) {
            /* a tile of y, through \`spare\` where it passes the last position or filter; skipped if its rows all read zeros */
            double *yt[${CONV_TILE_ROWS}];
            const int whole = q + ${CONV_TILE_ROWS} <= mc && j + ${CONV_TILE_COLUMNS} <= nc;
            int outside = 1;
            for (int r = 0; r < ${CONV_TILE_ROWS}; r++) {
              outside &= a[q + r] == zeros;
              yt[r] = whole ? y + (p0 + q + r) * F + gr * fg + j0 + j : spare[r];
              if (!whole) for (int v = 0; v < ${CONV_TILE_COLUMNS}; v++) spare[r][v] = q + r < mc && j + v < nc ? y[(p0 + q + r) * F + gr * fg + j0 + j + v] : 0;
            }
            if (outside) continue;
            convTile(yt, a + q, panel + j * kr + (u0 - k0) * ${CONV_TILE_COLUMNS}, kc);
            if (!whole) for (int r = 0; r < ${CONV_TILE_ROWS} && q + r < mc; r++) for (int v = 0; v < ${CONV_TILE_COLUMNS} && j + v < nc; v++) y[(p0 + q + r) * F + gr * fg + j0 + j + v] = spare[r][v];
          }
        }
      }
    }
  }
}`,
  depthwiseConv: `/*
 * Channels-last depthwise convolution: x[..in, C], D[..kernel, C, m], b[C * m] or 0; y[..out, C * m]. Each
 * sum is the bias, then the taps inside the input in order. With one filter per channel (m = 1) and at
 * most 64 taps, a pixel's taps are listed first, then eight neighbouring channels are summed at a time in
 * eight running sums (contiguous reads of x and D, y stored once); else y is accumulated tap by tap.
 */
static void depthwiseConv(double *y, const double *x, const double *D, const double *b, const struct window *g, int C, int m) {
  const int F = C * m;
  const int fast = m == 1 && g->kD * g->kH * g->kW <= 64;
  for (int od = 0; od < g->outD; od++) for (int oh = 0; oh < g->outH; oh++) for (int ow = 0; ow < g->outW; ow++, y += F) {
    if (fast) {
      int xo[64], ko[64], n = 0;
      for (int kd = 0; kd < g->kD; kd++) {
        const int id = od * g->sD - g->pD + kd * g->dD;
        if (id < 0 || id >= g->inD) continue;
        for (int kh = 0; kh < g->kH; kh++) {
          const int ih = oh * g->sH - g->pH + kh * g->dH;
          if (ih < 0 || ih >= g->inH) continue;
          for (int kw = 0; kw < g->kW; kw++) {
            const int iw = ow * g->sW - g->pW + kw * g->dW;
            if (iw < 0 || iw >= g->inW) continue;
            xo[n] = ((id * g->inH + ih) * g->inW + iw) * C;
            ko[n++] = ((kd * g->kH + kh) * g->kW + kw) * C;
          }
        }
      }
      int c = 0;
      for (; c + 7 < C; c += 8) {
        double s[8];
        for (int j = 0; j < 8; j++) s[j] = b ? b[c + j] : 0;
        for (int t = 0; t < n; t++) {
          const double *xs = x + xo[t] + c, *ds = D + ko[t] + c;
          for (int j = 0; j < 8; j++) s[j] += xs[j] * ds[j];
        }
        for (int j = 0; j < 8; j++) y[c + j] = s[j];
      }
      for (; c < C; c++) {
        double s = b ? b[c] : 0;
        for (int t = 0; t < n; t++) s += x[xo[t] + c] * D[ko[t] + c];
        y[c] = s;
      }
      continue;
    }
    for (int f = 0; f < F; f++) y[f] = b ? b[f] : 0;
    for (int kd = 0; kd < g->kD; kd++) {
      const int id = od * g->sD - g->pD + kd * g->dD;
      if (id < 0 || id >= g->inD) continue;
      for (int kh = 0; kh < g->kH; kh++) {
        const int ih = oh * g->sH - g->pH + kh * g->dH;
        if (ih < 0 || ih >= g->inH) continue;
        for (int kw = 0; kw < g->kW; kw++) {
          const int iw = ow * g->sW - g->pW + kw * g->dW;
          if (iw < 0 || iw >= g->inW) continue;
          const double *xs = x + ((id * g->inH + ih) * g->inW + iw) * C;
          const double *ds = D + ((kd * g->kH + kh) * g->kW + kw) * F;
          if (m == 1) for (int c = 0; c < C; c++) y[c] += xs[c] * ds[c];
          else for (int c = 0; c < C; c++) for (int j = 0; j < m; j++) y[c * m + j] += xs[c] * ds[c * m + j];
        }
      }
    }
  }
}`,
  pool: `/* Channels-last max or average pooling over the in-bounds cells of each window (as TF's 'same'): x[..in, C], y[..out, C]. */
static void pool(double *y, const double *x, const struct window *g, int C, int max) {
  for (int od = 0; od < g->outD; od++) for (int oh = 0; oh < g->outH; oh++) for (int ow = 0; ow < g->outW; ow++, y += C) {
    int cells = 0;
    for (int c = 0; c < C; c++) y[c] = max ? -INFINITY : 0;
    for (int kd = 0; kd < g->kD; kd++) {
      const int id = od * g->sD - g->pD + kd * g->dD;
      if (id < 0 || id >= g->inD) continue;
      for (int kh = 0; kh < g->kH; kh++) {
        const int ih = oh * g->sH - g->pH + kh * g->dH;
        if (ih < 0 || ih >= g->inH) continue;
        for (int kw = 0; kw < g->kW; kw++) {
          const int iw = ow * g->sW - g->pW + kw * g->dW;
          if (iw < 0 || iw >= g->inW) continue;
          const double *xs = x + ((id * g->inH + ih) * g->inW + iw) * C;
          cells++;
          if (max) for (int c = 0; c < C; c++) y[c] = max2(y[c], xs[c]);
          else for (int c = 0; c < C; c++) y[c] += xs[c];
        }
      }
    }
    if (!max) for (int c = 0; c < C; c++) y[c] /= cells;
  }
}`,
  globalPool: `/* Max or mean over every axis but the last (channels-last): x[len / C positions, C] -> y[C]. */
static void globalPool(double *y, const double *x, int len, int C, int max) {
  for (int c = 0; c < C; c++) y[c] = max ? -INFINITY : 0;
  for (int o = 0; o < len; o += C) {
    if (max) for (int c = 0; c < C; c++) y[c] = max2(y[c], x[o + c]);
    else for (int c = 0; c < C; c++) y[c] += x[o + c];
  }
  if (!max) for (int c = 0; c < C; c++) y[c] /= len / C;
}`,
  transpose: `/* y = x with its axes permuted: axis i of y has dims[i] elements, \`steps[i]\` apart in x. */
static void transpose(double *y, const double *x, int len, const int *dims, const int *steps, int rank) {
  int p[${MAX_RANK}] = {0}, at = 0;
  for (int o = 0; o < len; o++) {
    y[o] = x[at];
    for (int i = rank - 1; i >= 0; i--) {
      at += steps[i];
      if (++p[i] < dims[i]) break;
      at -= steps[i] * dims[i];
      p[i] = 0;
    }
  }
}`,
  box: `/* Copies the box of \`sizes\` at \`from\` in x (strides xstr) to \`to\` in y (strides ystr). */
static void box(double *y, const int *ystr, const int *to, const double *x, const int *xstr, const int *from, const int *sizes, int rank) {
  int p[${MAX_RANK}] = {0}, rows = 1;
  for (int i = 0; i + 1 < rank; i++) rows *= sizes[i];
  for (int row = 0; row < rows; row++) {
    int yo = 0, xo = 0;
    for (int i = 0; i < rank; i++) {
      yo += (to[i] + p[i]) * ystr[i];
      xo += (from[i] + p[i]) * xstr[i];
    }
    for (int j = 0; j < sizes[rank - 1]; j++) y[yo + j] = x[xo + j];
    for (int i = rank - 2; i >= 0; i--) {
      if (++p[i] < sizes[i]) break;
      p[i] = 0;
    }
  }
}`,
  upsample: `/* Nearest-neighbour up-sampling: y (dims) holds each element of x (strides xstr) factors[i] times along axis i. */
static void upsample(double *y, const double *x, int len, const int *dims, const int *xstr, const int *factors, int rank) {
  int p[${MAX_RANK}] = {0};
  for (int o = 0; o < len; o++) {
    int at = 0;
    for (int i = 0; i < rank; i++) at += p[i] / factors[i] * xstr[i];
    y[o] = x[at];
    for (int i = rank - 1; i >= 0; i--) {
      if (++p[i] < dims[i]) break;
      p[i] = 0;
    }
  }
}`,
  bitcast: `/* y = the bits of x's n values as float32, read as 32-bit integers (ONNX BitCast; unsigned when u). */
static void bitcast(double *y, const double *x, int n, int u) {
  for (int i = 0; i < n; i++) {
    union { float f; unsigned int b; } v;
    v.f = (float)x[i];
    y[i] = u || v.b < 2147483648u ? (double)v.b : (double)v.b - 4294967296.0;
  }
}`,
  reverse: `/* y = x with the n elements of one axis in reverse order (outer positions before it, inner after it). */
static void reverse(double *y, const double *x, int outer, int n, int inner) {
  for (int o = 0; o < outer; o++)
    for (int i = 0; i < n; i++) copy(y + (o * n + n - 1 - i) * inner, x + (o * n + i) * inner, inner);
}`,
  place: `/* One input of a concatenation: y[o, offset + j] = x[o, j] for o < outer, j < w (y has width values per position). */
static void place(double *y, int width, int offset, const double *x, int outer, int w) {
  for (int o = 0; o < outer; o++) copy(y + o * width + offset, x + o * w, w);
}`,
  gather: `/* Rows of table E [rows, cols] picked by ids (truncated to integers); an id out of range gives NaN. */
static void gather(double *y, const double *ids, int n, const double *E, int rows, int cols) {
  for (int k = 0; k < n; k++) {
    const double r = trunc(ids[k]);
    const int inside = r >= 0 && r < rows;
    for (int c = 0; c < cols; c++) y[k * cols + c] = inside ? E[(int)r * cols + c] : NAN;
  }
}`,
};

/** Helpers (and prelude functions, as 'prelude:name') other helpers call. */
const NEEDS: Record<string, readonly string[]> = {
  addProduct: ['addBlockProduct'],
  dense: ['addProduct'],
  denseAdd: ['addProduct'],
  matmul: ['addProduct'],
  conv: ['window', 'convTile'],
  depthwiseConv: ['window'],
  pool: ['window', 'prelude:max'],
  globalPool: ['prelude:max'],
  softmax: ['prelude:max'],
  logSoftmax: ['prelude:max'],
  l2Normalize: ['prelude:max'],
  dot: ['inverseNorm'],
  inverseNorm: ['prelude:max'],
  reverse: ['copy'],
  place: ['copy'],
};


/** Row-major strides of a shape. */
function strides(shape: readonly number[]): number[] {
  return shape.map((_, i) => sizeOf(shape.slice(i + 1)));
}

/** The flat indices of `shape` grouped along `axes` (the other axes fixed), group after group. */
function alongOrder(shape: readonly number[], axes: readonly number[]): number[] {
  const rest = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...rest, ...axes];
  const st = strides(shape);
  const order: number[] = [];
  const p = perm.map(() => 0);
  for (let o = 0, n = sizeOf(shape); o < n; o++) {
    let at = 0;
    for (let i = 0; i < perm.length; i++) at += p[i] * st[perm[i]];
    order.push(at);
    for (let i = perm.length - 1; i >= 0; i--) {
      if (++p[i] < shape[perm[i]]) break;
      p[i] = 0;
    }
  }
  return order;
}

/** The flat offset of every position of `shape` with axis `axis` at 0, row-major over the other axes. */
function bases(shape: readonly number[], axis: number): number[] {
  const st = strides(shape);
  const dims = shape.map((d, i) => (i === axis ? 1 : d));
  const out: number[] = [];
  const p = dims.map(() => 0);
  for (let o = 0, n = sizeOf(dims); o < n; o++) {
    let at = 0;
    for (let i = 0; i < dims.length; i++) at += p[i] * st[i];
    out.push(at);
    for (let i = dims.length - 1; i >= 0; i--) {
      if (++p[i] < dims[i]) break;
      p[i] = 0;
    }
  }
  return out;
}

/** A C99 compound literal holding a list of ints. */
function ints(v: readonly number[]): string {
  return `(const int[]){${v.join(', ')}}`;
}

/** Names the generated file defines or includes: a tensor may not take one. */
const RESERVED = new Set([...C_KEYWORDS, ...Object.keys(HELPERS), 'x', 'y', 'predict', 'sigmoid', 'softplus', 'step', 'max2', 'min2', 'exp', 'log', 'log1p', 'tanh', 'erf', 'fabs', 'sqrt', 'pow', 'trunc', 'isnan', 'NAN', 'INFINITY', 'main', 'i', 'k', 'window', 'params', 'PARAMS']);

/** Prints a tensor program as the C tensor form (see the file comment). */
export function emitCTensor(program: TensorProgram, opts: EmitOptions): string {
  const text = new Printer(program, opts).print();
  return opts.dtype === 'float32' ? float32C(text) : text;
}

/** The C tensor form: the `c` format's tensor emitter. */
export const cTensor: TensorEmitter = { emit: emitCTensor, symbolicWeights: true, float32: true };

/** math.h functions with a float twin (name + f) that the C forms call. */
const FLOAT_MATH = ['exp', 'expm1', 'log', 'log1p', 'tanh', 'sinh', 'cosh', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'asinh', 'acosh', 'atanh', 'atan2', 'erf', 'sqrt', 'pow', 'trunc', 'floor', 'ceil', 'round', 'rint', 'nearbyint', 'fabs', 'fmod', 'fmax', 'fmin', 'cbrt'];
const FLOAT_MATH_CALL = new RegExp(`(?<![\\w.>])(${FLOAT_MATH.join('|')})\\(`, 'g');
/** A decimal or scientific literal (an integer stays an int, which C converts exactly where it meets a float). */
const FLOAT_LITERAL = /(?<![\w.])(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][+-]?\d+)?(?![\w.])/g;

/**
 * --dtype float32: the double text made single precision, token by token outside comments: every
 * `double` a `float`, every math.h call its float twin (expf, tanhf, …), every decimal literal the
 * shortest decimal that reads back as its float32 rounding, with the f suffix (so no arithmetic is
 * promoted to double). Comments say float where they said double (the first line, naming the
 * model, is kept as it is).
 */
export function float32C(text: string): string {
  const nl = text.indexOf('\n');
  const head = text.slice(0, nl + 1);
  const parts = text.slice(nl + 1).split(/(\/\*[\s\S]*?\*\/)/);
  return head + parts.map((part, i) => {
    const words = part.replace(/\bdouble(s?)\b/g, 'float$1');
    if (i % 2 === 1) return words;
    return words.replace(FLOAT_MATH_CALL, '$1f(').replace(FLOAT_LITERAL, (lit) => floatLiteral(Number(lit)));
  }).join('');
}

/** A C float literal for `v` rounded to float32: shortest digits (formatNumber), a point or exponent, the f suffix. */
function floatLiteral(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) return 'INFINITY';
  const t = formatNumber(f, C_NUMBERS);
  return `${/[.e]/.test(t) ? t : `${t}.0`}f`;
}

class Printer {
  private readonly names: string[];
  private readonly taken: Set<string>;
  private readonly storage: Storage[] = [];
  private readonly slots: number[] = [];
  private readonly slotNames: string[] = [];
  private readonly helpers = new Set<string>();
  private readonly prelude = new Set<string>();
  /** File-level declarations other than weights and buffers (geometries, index orders). */
  private readonly decls: string[] = [];
  private readonly syntax: Syntax;
  private readonly local = new Set<TensorId>();
  /** --weights symbolic: the weight tensors predict reads from params (empty otherwise, or when the model has no weight to read). */
  private readonly params: ReturnType<typeof tensorParams>;

  constructor(
    private readonly p: TensorProgram,
    private readonly opts: EmitOptions,
  ) {
    this.names = tensorNames(p);
    this.taken = new Set(RESERVED);
    this.names = this.names.map((n) => {
      if (n === undefined) return n;
      let m = n;
      while (this.taken.has(m)) m += '_';
      this.taken.add(m);
      return m;
    });
    this.syntax = {
      ...C_SYNTAX,
      name: () => '0',
      lookup: () => {
        throw new Nn2eqError('an element-wise function looked up a table in the C tensor form', 'unsupported', 'please report this model');
      },
    };
    const params = opts.symbolicWeights ? tensorParams(p, this.names) : [];
    // A C array holds at least one number: a model whose weights hold none prints the plain form.
    this.params = params.some((t) => t.size > 0) ? params : [];
    this.fixedShapes();
    this.plan();
  }

  private fresh(base: string): string {
    let n = base;
    for (let k = 2; this.taken.has(n); k++) n = `${base}${k}`;
    this.taken.add(n);
    return n;
  }

  /** Every shape must be known: the static buffers are sized at conversion time. */
  private fixedShapes(): void {
    this.p.inputs.forEach((port, i) => {
      const s = port.tensor.shape;
      if (s.some((d) => d < 0)) {
        throw new Nn2eqError(
          `input ${i + 1} '${port.name}' has shape [${s.map((d) => (d < 0 ? 'T' : d)).join(', ')}] with a time axis of any length; the C tensor form sizes its static buffers at conversion time`,
          'unsupported',
          'give the length with --timesteps T',
        );
      }
    });
    this.p.tensors.forEach((t, id) => {
      if (t.shape.some((d) => d < 0 || !Number.isInteger(d))) throw new Nn2eqError(`tensor '${this.names[id] ?? id}' has shape [${t.shape.join(', ')}], not a fixed shape`, 'unsupported', 'give the length with --timesteps T');
    });
  }

  private size(id: TensorId): number {
    return sizeOf(this.p.tensors[id].shape);
  }

  /** The tensor whose memory `id` shares (itself unless a reshape). */
  private root(id: TensorId): TensorId {
    let r = id;
    for (let s = this.storage[r]; s?.kind === 'alias'; s = this.storage[r]) r = s.of;
    return r;
  }

  /** Whether a tensor's memory is read-only (an input or a weight, or a reshape of one). */
  private readOnly(id: TensorId): boolean {
    return this.p.tensors[this.root(id)].kind !== 'value';
  }

  /** Where each value lives: the inputs here, the rest by planBuffers (tensor-common.ts), shared with the other static-buffer form. */
  private plan(): void {
    let offset = 0;
    this.p.inputs.forEach((port) => {
      this.storage[port.tensor.id] = { kind: 'input', offset };
      offset += this.size(port.tensor.id);
    });
    planBuffers(this.p, this.storage, this.local, this.slots, (id) => this.size(id));
    this.slots.forEach((_, k) => this.slotNames.push(this.fresh(`memory${k + 1}`)));
  }

  private use(helper: string): string {
    if (!this.helpers.has(helper)) {
      this.helpers.add(helper);
      for (const h of NEEDS[helper] ?? []) {
        if (h.startsWith('prelude:')) this.prelude.add(h.slice('prelude:'.length));
        else this.use(h);
      }
    }
    return helper;
  }

  print(): string {
    const p = this.p;
    const names = this.names;
    const body: string[] = [];
    const starts = new Map(p.calls.filter((call) => call.to > call.from).map((call) => [call.from, call]));
    p.equations.forEach((eq, e) => {
      const call = starts.get(e);
      if (call) body.push(`  /* ${call.number > 0 ? `Layer ${call.number}: ` : ''}${call.className} '${comment(call.layer)}' */`);
      this.equation(eq, body, '  ', 0);
    });
    let yOffset = 0;
    const outs = p.outputs.map((port) => {
      const at = yOffset;
      yOffset += this.size(port.tensor.id);
      return at;
    });
    body.push('  /* Outputs */');
    p.outputs.forEach((port, k) => body.push(`  ${this.use('copy')}(${outs[k] === 0 ? 'y' : `y + ${outs[k]}`}, ${names[port.tensor.id]}, ${this.size(port.tensor.id)});`));

    // Pointers into x, the buffers and aliases, declared only when the body reads them (-Wall rejects unused variables).
    // Comments name values too (`h2 = h1 as shape …`): only code counts, and an alias that is
    // read needs the pointer it aliases.
    const text = body.join('\n').replace(/\/\*[\s\S]*?\*\//g, '');
    const read = new Set<string>();
    for (let id = p.tensors.length - 1; id >= 0; id--) {
      const s = this.storage[id];
      if (s?.kind === 'alias' && (read.has(names[id]) || new RegExp(`\\b${names[id]}\\b`).test(text))) read.add(names[s.of]);
    }
    const mentioned = (n: string) => read.has(n) || new RegExp(`\\b${n}\\b`).test(text);
    const pointers: string[] = [];
    // --weights symbolic: each weight tensor a pointer into params (first: a reshape of one points to it).
    for (const t of this.params) if (mentioned(t.name)) pointers.push(`  const double *const ${t.name} = ${t.offset === 0 ? 'params' : `params + ${t.offset}`};`);
    p.tensors.forEach((_, id) => {
      const s = this.storage[id];
      if (!s || s.kind === 'own' || !mentioned(names[id])) return;
      const type = this.readOnly(id) ? 'const double *const' : 'double *const';
      if (s.kind === 'input') pointers.push(`  ${type} ${names[id]} = ${s.offset === 0 ? 'x' : `x + ${s.offset}`};`);
      else if (s.kind === 'pool') pointers.push(`  ${type} ${names[id]} = ${this.slotNames[s.slot]};`);
      else if (s.kind === 'alias') pointers.push(`  ${type} ${names[id]} = ${names[s.of]};`);
    });
    if (!/\bx\b/.test(pointers.join('\n'))) pointers.unshift('  (void)x;');

    const nIn = p.inputs.reduce((n, port) => n + this.size(port.tensor.id), 0);
    const buffered = this.slots.reduce((a, b) => a + b, 0) + [...this.local].filter((id) => this.storage[id].kind === 'own').reduce((n, id) => n + this.size(id), 0);
    const symbolic = this.params.length > 0;
    const paramCount = this.params.reduce((n, t) => n + t.size, 0);
    const lines: string[] = [];
    lines.push(`/* Generated by nn2eq from model '${comment(this.opts.modelName)}' (tensor form${symbolic ? ', symbolic weights' : ''}). Do not edit.`);
    lines.push(' *');
    lines.push(symbolic ? ' *   void predict(const double *params, const double *x, double *y);' : ' *   void predict(const double *x, double *y);');
    lines.push(' *');
    if (symbolic) {
      lines.push(` * params: ${paramCount} double${paramCount === 1 ? '' : 's'}, the weight tensors one after another; PARAMS holds the trained values (predict(PARAMS, x, y)):`);
      appendLines(lines, tensorParamLayout(this.params, ' *    ').map(comment));
    }
    lines.push(` * x: ${nIn} double${nIn === 1 ? '' : 's'}, the model's inputs flattened row-major, one after another:`);
    p.inputs.forEach((port, i) => {
      const s = this.storage[port.tensor.id] as { offset: number };
      lines.push(` *    x[${s.offset}..${s.offset + this.size(port.tensor.id) - 1}] = input ${i + 1} (${names[port.tensor.id]}), shape ${shapeText(port.tensor.shape)}`);
    });
    lines.push(` * y: ${yOffset} double${yOffset === 1 ? '' : 's'}, written with the outputs in the same layout:`);
    p.outputs.forEach((port, i) => lines.push(` *    y[${outs[i]}..${outs[i] + this.size(port.tensor.id) - 1}] = output ${i + 1}, shape ${shapeText(port.tensor.shape)}`));
    const inAt = p.inputs.map((port) => (this.storage[port.tensor.id] as { offset: number }).offset);
    lines.push(...namedElementLines(p, this.opts, ' * ', (side, port, _, k) => (side === 'input' ? `x[${inAt[port] + k}]` : `y[${outs[port] + k}]`)).map(comment));
    lines.push(' * One row per call, math.h only; link with -lm. No allocation: values live in static buffers');
    lines.push(` * (${buffered} double${buffered === 1 ? '' : 's'} in all), so predict is not reentrant: calls must not run in parallel.`);
    const weights = symbolic ? this.paramsArray(paramCount) : this.weights();
    if (symbolic) {
      lines.push(
        this.opts.precision !== undefined
          ? ` * PARAMS is one const double array, rounded to ${this.opts.precision} significant digits, one row (last axis) of a tensor per line, at the end of the file.`
          : ' * PARAMS is one const double array (the shortest decimals that read back as the model\'s float32 values), one row (last axis) of a tensor per line, at the end of the file.',
      );
    } else if (weights.length > 0) {
      lines.push(
        this.opts.precision !== undefined
          ? ` * Weights are static const double arrays, rounded to ${this.opts.precision} significant digits, one row (last axis) per line, at the end of the file.`
          : ' * Weights are static const double arrays (the shortest decimals that read back as the model\'s float32 values), one row (last axis) per line, at the end of the file.',
      );
    }
    if (this.opts.dtype === 'float32') lines.push(' * --dtype float32: every array, value, literal and math.h call is single precision (float, expf, …).');
    for (const note of this.opts.notes ?? []) lines.push(` * ${comment(note)}`);
    lines.push(' */');
    lines.push('#include <math.h>');
    for (const f of Object.keys(C_PRELUDE)) if (this.prelude.has(f)) lines.push('', C_PRELUDE[f]);
    for (const h of Object.keys(HELPERS)) if (this.helpers.has(h)) lines.push('', HELPERS[h]);
    const used = symbolic ? [] : constantsUsed(p);
    if (used.length > 0) {
      lines.push('', '/* Weights (defined at the end of the file) */');
      for (const id of used) lines.push(`static const double ${names[id]}[${Math.max(1, this.size(id))}];`);
    }
    if (this.slots.length > 0) {
      lines.push('', '/* Values of the top level: buffers reused once a value is no longer needed. */');
      this.slots.forEach((n, s) => lines.push(`static double ${this.slotNames[s]}[${n}];`));
    }
    const own = [...this.local].filter((id) => this.storage[id].kind === 'own').sort((a, b) => a - b);
    if (own.length > 0) {
      lines.push('', '/* Values inside loops: a buffer each. */');
      for (const id of own) lines.push(`static double ${names[id]}[${Math.max(1, this.size(id))}];`);
    }
    if (this.decls.length > 0) appendLines(lines, '', this.decls);
    appendLines(lines, '', symbolic ? 'void predict(const double *params, const double *x, double *y) {' : 'void predict(const double *x, double *y) {', pointers, body, '}');
    appendLines(lines, weights, '');
    return lines.join('\n');
  }

  /** The weights, last in the file: one array per constant, one row per line. */
  private weights(): string[] {
    const lines: string[] = [];
    const arrays = this.weightRows();
    if (arrays.length > 0) lines.push('', '/* Weights */');
    for (const a of arrays) {
      lines.push(`/* ${a.label} */`);
      const n = Math.max(1, a.size);
      if (a.rows.length === 0) lines.push(`static const double ${a.name}[1] = {0};`);
      else if (a.rows.length === 1) lines.push(`static const double ${a.name}[${n}] = {${a.rows[0]}};`);
      else appendLines(lines, `static const double ${a.name}[${n}] = {`, a.rows.map((r) => `  ${r},`), '};');
    }
    return lines;
  }

  /** --weights symbolic: the trained weights as PARAMS, last in the file, the tensors one after another in params' layout, one row per line. */
  private paramsArray(count: number): string[] {
    const lines = ['', '/* The trained weights: predict(PARAMS, x, y) is the model. */', `const double PARAMS[${count}] = {`];
    const offsets = new Map(this.params.map((t) => [t.name, t.offset]));
    for (const a of this.weightRows()) {
      const at = offsets.get(a.name)!;
      if (a.size > 0) appendLines(lines, `  /* ${a.label}, PARAMS[${a.size === 1 ? at : `${at}..${at + a.size - 1}`}] */`, a.rows.map((r) => `  ${r},`));
    }
    lines.push('};');
    return lines;
  }

  /** Every constant the program reads as text: a label for its comment, its size and its rows (one per row of the last axis). */
  private weightRows(): { name: string; label: string; size: number; rows: string[] }[] {
    const p = this.p;
    const byLayer = new Map(p.calls.map((call) => [call.number, call]));
    const compared = comparedConstants(p);
    return constantsUsed(p).map((id) => {
      const t = p.tensors[id];
      const values = t.values ?? [];
      const call = byLayer.get(t.layer);
      const label = `${this.names[id]} [${t.shape.join(', ')}]${call ? `: ${call.className} '${comment(call.layer)}'` : ''}`;
      const width = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
      const rows = valueRows(values, width, C_NUMBERS, this.opts.precision, ', ', compared.has(id));
      return { name: this.names[id], label, size: values.length, rows };
    });
  }

  /** A file-level table of ints (an index order or bases), named after `base`. */
  private intTable(base: string, values: readonly number[]): string {
    const name = this.fresh(base);
    const rows: string[] = [];
    for (let at = 0; at < values.length; at += 16) rows.push(`  ${values.slice(at, at + 16).join(', ')},`);
    this.decls.push(`static const int ${name}[${Math.max(1, values.length)}] = {`, ...rows, '};');
    return name;
  }

  /** The code of one equation, appended to `out`. */
  private equation(eq: Equation, out: string[], ind: string, depth: number): void {
    const n = this.names;
    const y = n[eq.outs[0]];
    const x = n[eq.args[0]];
    const shape = (id: TensorId) => this.p.tensors[id].shape;
    const line = (text: string) => out.push(`${ind}${text}`);
    switch (eq.op) {
      case 'dense': {
        const a = eq.attrs as unknown as DenseAttrs;
        const xs = shape(eq.args[0]);
        const rows = sizeOf(xs.slice(0, -1));
        for (let k = 0; k < a.pairs; k++) {
          const [kk, cols] = shape(eq.args[2 * k + 1]);
          const xk = n[eq.args[2 * k]];
          const w = n[eq.args[2 * k + 1]];
          if (k === 0) line(`${this.use('dense')}(${y}, ${xk}, ${w}, ${a.bias ? n[eq.args[2 * a.pairs]] : '0'}, ${rows}, ${kk}, ${cols});`);
          else line(`${this.use('denseAdd')}(${y}, ${xk}, ${w}, ${rows}, ${kk}, ${cols});`);
        }
        return;
      }
      case 'map':
        return this.map(eq, line);
      case 'softmax':
      case 'log_softmax':
      case 'l2_normalize': {
        const [groupSize, order] = this.along(eq.args[0], (eq.attrs as unknown as AxesAttrs).axes);
        const helper = this.use(eq.op === 'softmax' ? 'softmax' : eq.op === 'log_softmax' ? 'logSoftmax' : 'l2Normalize');
        line(`${helper}(${y}, ${x}, ${this.size(eq.args[0])}, ${groupSize}, ${order});`);
        return;
      }
      case 'layer_norm': {
        const a = eq.attrs as unknown as LayerNormAttrs;
        const [groupSize, order] = this.along(eq.args[0], a.axes);
        const gamma = a.scale ? n[eq.args[1]] : '0';
        const beta = a.center ? n[eq.args[a.scale ? 2 : 1]] : '0';
        line(`${this.use('layerNorm')}(${y}, ${x}, ${gamma}, ${beta}, ${formatNumber(a.eps, C_NUMBERS)}, ${this.size(eq.args[0])}, ${groupSize}, ${order});`);
        return;
      }
      case 'dot': {
        const a = eq.attrs as unknown as DotAttrs;
        const z = eq.args[1];
        const xs = shape(eq.args[0]);
        const zs = shape(z);
        const rows = bases(xs, a.axes[0]);
        const cols = bases(zs, a.axes[1]);
        const rowsName = this.intTable(`${y}Rows`, rows);
        const colsName = this.intTable(`${y}Columns`, cols);
        const sx = sizeOf(xs.slice(a.axes[0] + 1));
        const sz = sizeOf(zs.slice(a.axes[1] + 1));
        line(`${this.use('dot')}(${y}, ${x}, ${rowsName}, ${rows.length}, ${sx}, ${n[z]}, ${colsName}, ${cols.length}, ${sz}, ${xs[a.axes[0]]}, ${a.normalize ? 1 : 0});`);
        return;
      }
      case 'matmul': {
        const g = matmulGeometry(this.p, eq);
        const aBase = this.intTable(`${y}A`, g.aBase);
        const bBase = this.intTable(`${y}B`, g.bBase);
        line(`${this.use('matmul')}(${y}, ${x}, ${aBase}, ${n[eq.args[1]]}, ${bBase}, ${g.aBase.length}, ${g.M}, ${g.K}, ${g.N});`);
        return;
      }
      case 'conv': {
        const a = eq.attrs as unknown as ConvAttrs;
        line(`${this.use('conv')}(${y}, ${x}, ${n[eq.args[1]]}, ${a.bias ? n[eq.args[2]] : '0'}, &${this.geometry(eq, a)}, ${last(shape(eq.args[0]))}, ${last(shape(eq.outs[0]))}, ${a.groups});`);
        return;
      }
      case 'depthwise_conv': {
        const a = eq.attrs as unknown as DepthwiseAttrs;
        line(`${this.use('depthwiseConv')}(${y}, ${x}, ${n[eq.args[1]]}, ${a.bias ? n[eq.args[2]] : '0'}, &${this.geometry(eq, a)}, ${last(shape(eq.args[0]))}, ${a.multiplier});`);
        return;
      }
      case 'pool': {
        const a = eq.attrs as unknown as PoolAttrs;
        line(`${this.use('pool')}(${y}, ${x}, &${this.geometry(eq, a)}, ${last(shape(eq.args[0]))}, ${a.kind === 'max' ? 1 : 0});`);
        return;
      }
      case 'global_pool':
        line(`${this.use('globalPool')}(${y}, ${x}, ${this.size(eq.args[0])}, ${last(shape(eq.args[0]))}, ${(eq.attrs as unknown as GlobalPoolAttrs).kind === 'max' ? 1 : 0});`);
        return;
      case 'transpose': {
        const perm = (eq.attrs as unknown as TransposeAttrs).perm;
        const xs = shape(eq.args[0]);
        const st = strides(xs);
        this.rank(eq, perm.length);
        line(`${this.use('transpose')}(${y}, ${x}, ${this.size(eq.outs[0])}, ${ints(perm.map((q) => xs[q]))}, ${ints(perm.map((q) => st[q]))}, ${perm.length});`);
        return;
      }
      case 'reshape':
        line(`/* ${y} = ${x} as shape ${shapeText(shape(eq.outs[0]))} (the same memory) */`);
        return;
      case 'concat': {
        const axis = (eq.attrs as unknown as AxisAttrs).axis;
        const outer = sizeOf(shape(eq.args[0]).slice(0, axis));
        const width = this.size(eq.outs[0]) / outer;
        let offset = 0;
        for (const arg of eq.args) {
          const w = this.size(arg) / outer;
          line(`${this.use('place')}(${y}, ${width}, ${offset}, ${n[arg]}, ${outer}, ${w});`);
          offset += w;
        }
        return;
      }
      case 'repeat': {
        const times = (eq.attrs as unknown as RepeatAttrs).n;
        const w = this.size(eq.args[0]);
        line(`for (int k = 0; k < ${times}; k++) ${this.use('copy')}(${y} + k * ${w}, ${x}, ${w});`);
        return;
      }
      case 'pad': {
        const a = eq.attrs as unknown as PadAttrs;
        const xs = shape(eq.args[0]);
        this.rank(eq, xs.length);
        line(`${this.use('zero')}(${y}, ${this.size(eq.outs[0])});`);
        line(`${this.use('box')}(${y}, ${ints(strides(shape(eq.outs[0])))}, ${ints(a.before)}, ${x}, ${ints(strides(xs))}, ${ints(xs.map(() => 0))}, ${ints(xs)}, ${xs.length});`);
        return;
      }
      case 'slice': {
        const a = eq.attrs as unknown as SliceAttrs;
        const ys = shape(eq.outs[0]);
        this.rank(eq, ys.length);
        line(`${this.use('box')}(${y}, ${ints(strides(ys))}, ${ints(ys.map(() => 0))}, ${x}, ${ints(strides(shape(eq.args[0])))}, ${ints(a.begin)}, ${ints(ys)}, ${ys.length});`);
        return;
      }
      case 'upsample': {
        const factors = (eq.attrs as unknown as UpsampleAttrs).factors;
        const xs = shape(eq.args[0]);
        this.rank(eq, xs.length);
        line(`${this.use('upsample')}(${y}, ${x}, ${this.size(eq.outs[0])}, ${ints(xs.map((d, i) => d * factors[i]))}, ${ints(strides(xs))}, ${ints(factors)}, ${xs.length});`);
        return;
      }
      case 'bitcast':
        line(`${this.use('bitcast')}(${y}, ${x}, ${this.size(eq.outs[0])}, ${(eq.attrs as unknown as BitcastAttrs).to === 'uint32' ? 1 : 0});`);
        return;
      case 'reverse': {
        const axis = (eq.attrs as unknown as AxisAttrs).axis;
        const xs = shape(eq.args[0]);
        line(`${this.use('reverse')}(${y}, ${x}, ${sizeOf(xs.slice(0, axis))}, ${xs[axis]}, ${sizeOf(xs.slice(axis + 1))});`);
        return;
      }
      case 'monomials': {
        // Powers by repeated multiplication: no pow, and x^0 = 1 for every x.
        const e = (eq.attrs as unknown as MonomialsAttrs).exponents;
        const k = e[0]?.length ?? 0;
        const powers = this.intTable(`${y}Powers`, e.flat());
        line(`for (int p = 0, o = 0; p < ${this.size(eq.args[0])}; p += ${k}) for (int t = 0; t < ${e.length}; t++, o++) { double m = 1.0; for (int i = 0; i < ${k}; i++) for (int q = 0; q < ${powers}[t * ${k} + i]; q++) m *= ${x}[p + i]; ${y}[o] = m; }`);
        return;
      }
      case 'gather': {
        if (this.opts.symbolicWeights) throw noSymbolicGather();
        const [rows, cols] = shape(eq.args[1]);
        line(`${this.use('gather')}(${y}, ${x}, ${this.size(eq.args[0])}, ${n[eq.args[1]]}, ${rows}, ${cols});`);
        return;
      }
      case 'gather_rows': {
        const [rows, cols] = shape(eq.args[0]);
        line(`${this.use('gather')}(${y}, ${n[eq.args[1]]}, ${this.size(eq.args[1])}, ${x}, ${rows}, ${cols});`);
        return;
      }
      case 'scan':
        return this.scan(eq, out, ind, depth);
      case 'foreach':
        return this.foreach(eq, out, ind, depth);
    }
  }

  /** The index-walking helpers hold MAX_RANK counters. */
  private rank(eq: Equation, r: number): void {
    if (r > MAX_RANK) throw new Nn2eqError(`a ${eq.op} of rank ${r} is not supported in the C tensor form (at most ${MAX_RANK} axes)`, 'unsupported', 'please report this model');
  }

  /** Group size and index order (or 0 when the groups are contiguous) for an op along `axes`. */
  private along(id: TensorId, axes: readonly number[]): [number, string] {
    const dims = this.p.tensors[id].shape;
    const n = sizeOf(axes.map((a) => dims[a]));
    const sorted = [...axes].sort((a, b) => a - b);
    const trailing = sorted.every((a, i) => a === dims.length - sorted.length + i) && axes.every((a, i) => a === sorted[i]);
    if (trailing) return [n, '0'];
    return [n, this.intTable(`${this.names[id]}Along${axes.join('')}`, alongOrder(dims, axes))];
  }

  /** A window op's geometry as a file-level struct window; returns its name. */
  private geometry(eq: Equation, a: WindowAttrs): string {
    const r = a.kernel.length;
    if (r > 3) throw new Nn2eqError(`a ${r}-dimensional window op is not supported in the C tensor form (at most 3 spatial axes)`, 'unsupported');
    const three = (v: readonly number[], fill: number) => [...new Array<number>(3 - v.length).fill(fill), ...v];
    const input = this.p.tensors[eq.args[0]].shape.slice(0, r);
    const g = [...three(input, 1), ...three(a.kernel, 1), ...three(a.strides, 1), ...three(a.dilation, 1), ...three(a.padBefore, 0), ...three(a.outSpatial, 1)];
    const name = this.fresh(`${this.names[eq.outs[0]]}Window`);
    this.decls.push(`static const struct window ${name} = {${g.join(', ')}};`);
    return name;
  }

  /** An element-wise map: one loop, the function printed from its scalar template. */
  private map(eq: Equation, line: (t: string) => void): void {
    const a = eq.attrs as unknown as MapAttrs;
    const o = eq.outs[0];
    const y = this.names[o];
    // An empty result computes nothing (its broadcast index would divide by a zero length).
    if (this.size(o) === 0) return line(`/* ${y} is empty */ ${[...new Set(eq.args.map((id) => this.names[id]))].map((n) => `(void)${n};`).join(' ')}`);
    const args = eq.args.map((id) => this.element(id, o));
    const m = printMap(a, atoms(args), this.syntax, C_FUNCTIONS, this.opts);
    m.uses.forEach((f: Fn) => {
      if (f in C_PRELUDE) this.prelude.add(f);
    });
    line(`for (int i = 0; i < ${this.size(o)}; i++) ${y}[i] = ${m.text};`);
  }

  /** Element i of the output read from argument `id` (broadcast, NumPy rules). */
  private element(id: TensorId, out: TensorId): string {
    return `${this.names[id]}[${broadcastIndex(this.p.tensors[id].shape, this.p.tensors[out].shape, 'i', (x, d) => `${x} / ${d}`)}]`;
  }

  /** The step counter of a loop nested `depth` deep: s, s_2, … unless a tensor has the name. */
  private loopVariable(depth: number): string {
    let s = depth === 0 ? 's' : `s_${depth + 1}`;
    while (this.taken.has(s)) s += '_';
    return s;
  }

  /** `name + offset` as C (the name alone at offset 0). */
  private at(name: string, offset: string): string {
    return offset === '0' ? name : `${name} + ${offset}`;
  }

  /** A recurrence: a loop over the time steps running the body, states carried in the body's input buffers. */
  private scan(eq: Equation, out: string[], ind: string, depth: number): void {
    const a = eq.attrs as unknown as ScanAttrs;
    const body = eq.body!;
    const n = this.names;
    const xs = eq.args[0];
    const steps = this.p.tensors[xs].shape[0];
    const s = this.loopVariable(depth);
    const [xt, ...states] = body.inputs;
    const line = (text: string) => out.push(`${ind}${text}`);
    const copy = this.use('copy');
    line(`/* ${eq.outs.map((o) => n[o]).join(', ')} = scan over the ${steps} steps of ${n[xs]}${a.reverse ? ', last step first' : ''} */`);
    states.forEach((st, k) => line(eq.args.length > 1 + k ? `${copy}(${n[st]}, ${n[eq.args[1 + k]]}, ${this.size(st)});` : `${this.use('zero')}(${n[st]}, ${this.size(st)});`));
    line(`for (int ${s} = 0; ${s} < ${steps}; ${s}++) {`);
    const inner = `${ind}  `;
    const width = this.size(xt);
    const t = a.reverse ? `(${steps} - 1 - ${s})` : s;
    out.push(`${inner}${copy}(${n[xt]}, ${this.at(n[xs], width === 1 ? t : `${t} * ${width}`)}, ${width});`);
    for (const e of body.equations) this.equation(e, out, inner, depth + 1);
    body.outputs.forEach((o, k) => {
      if (o !== states[k]) out.push(`${inner}${copy}(${n[states[k]]}, ${n[o]}, ${this.size(states[k])});`);
    });
    if (a.returnSequences) {
      const w = this.size(states[0]);
      out.push(`${inner}${copy}(${n[eq.outs[0]]} + ${w === 1 ? s : `${s} * ${w}`}, ${n[states[0]]}, ${w});`);
    }
    line('}');
    if (!a.returnSequences) line(`${copy}(${n[eq.outs[0]]}, ${n[states[0]]}, ${this.size(states[0])});`);
    eq.outs.slice(1).forEach((o, k) => line(`${copy}(${n[o]}, ${n[states[k]]}, ${this.size(states[k])});`));
  }

  /** TimeDistributed: the body run on every slice of the first axis. */
  private foreach(eq: Equation, out: string[], ind: string, depth: number): void {
    const body = eq.body!;
    const n = this.names;
    const xs = eq.args[0];
    const steps = this.p.tensors[xs].shape[0];
    const s = this.loopVariable(depth);
    const [xt] = body.inputs;
    const inner = `${ind}  `;
    const copy = this.use('copy');
    out.push(`${ind}/* ${n[eq.outs[0]]}: the layer applied to each of the ${steps} slices of ${n[xs]} */`);
    out.push(`${ind}for (int ${s} = 0; ${s} < ${steps}; ${s}++) {`);
    const width = this.size(xt);
    out.push(`${inner}${copy}(${n[xt]}, ${n[xs]} + ${width === 1 ? s : `${s} * ${width}`}, ${width});`);
    for (const e of body.equations) this.equation(e, out, inner, depth + 1);
    const w = this.size(body.outputs[0]);
    out.push(`${inner}${copy}(${n[eq.outs[0]]} + ${w === 1 ? s : `${s} * ${w}`}, ${n[body.outputs[0]]}, ${w});`);
    out.push(`${ind}}`);
  }
}

const last = (s: readonly number[]) => s[s.length - 1];

/** A shape as the header prints it. */
function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Text safe inside a C comment. */
function comment(text: string): string {
  return text.replace(/\*\//g, '* /');
}
