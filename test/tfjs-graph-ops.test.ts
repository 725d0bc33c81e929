import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { tfSource } from '../src/extract/tf/source.js';
import type { Extracted } from '../src/extract/index.js';
import { verify } from '../src/verify/index.js';
import { tfGraphReference } from '../src/verify/tf-graph-oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { mismatch, python, ROOT, runCRows, runJs, runPyDriver, tmpDir, withCC } from './helpers.js';
import { A, writeGraphModel, type GraphFixture, type Weight } from './tfjs-graph-fixtures.js';

// The ops of tfjs-converter's op lists mapped after the ten shared graph models converted: one
// hand-written GraphDef per op family, with TF.js running the same file as the oracle (--verify's
// route for the JS text in both forms; NumPy in one python3 process and C against TF.js's outputs
// at a seeded point).

const ints = (name: string, values: number[], dims = [values.length]): Weight => ({ name, dims, values, dtype: 'int32' });
const f32 = (name: string, values: number[], dims = [values.length]): Weight => ({ name, dims, values });
const toFloat = (name: string, from: string, src = 'DT_BOOL'): [string, string, string[], Record<string, Record<string, unknown>>] => [name, 'Cast', [from], { SrcT: A.type(src), DstT: A.type() }];

const FIXTURES: Record<string, GraphFixture> = {
  // basic_math: the circular and hyperbolic functions, Atan2 in all four quadrants and on the axis, IsNan / IsInf / IsFinite of computed NaN and −∞.
  basic_math: {
    inputs: [{ name: 'x', dims: [-1, 2, 4] }],
    weights: [f32('xs', [0.5, -0.7, 0, 0.3]), f32('one', [1], []), f32('two', [2], [])],
    nodes: [
      ['sin', 'Sin', ['x']],
      ['cos', 'Cos', ['x']],
      ['tan', 'Tan', ['x']],
      ['asin', 'Asin', ['x']],
      ['acos', 'Acos', ['x']],
      ['atan', 'Atan', ['x']],
      ['sinh', 'Sinh', ['x']],
      ['cosh', 'Cosh', ['x']],
      ['asinh', 'Asinh', ['x']],
      ['atanh', 'Atanh', ['x']],
      ['ab', 'Abs', ['x']],
      ['ab1', 'AddV2', ['ab', 'one']],
      ['acosh', 'Acosh', ['ab1']],
      ['a2', 'Atan2', ['x', 'xs']],
      ['nx', 'Neg', ['x']],
      ['a2b', 'Atan2', ['nx', 'x']],
      ['lg', 'Log', ['x']],
      ['nan', 'IsNan', ['lg']],
      ['rl', 'Relu', ['x']],
      ['lr', 'Log', ['rl']],
      ['inf', 'IsInf', ['lr']],
      ['fin', 'IsFinite', ['lr']],
      toFloat('nanf', 'nan'),
      toFloat('inff', 'inf'),
      toFloat('finf', 'fin'),
      ['trig', 'AddN', ['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'atanh', 'acosh'], { N: A.i(11) }],
      // Mapped before, first tested here: Reciprocal, Softplus, Selu, Erf, Sqrt, Exp, Pow, SquaredDifference, DivNoNan, LeakyRelu.
      ['rc', 'Reciprocal', ['ab1']],
      ['sp', 'Softplus', ['x']],
      ['se', 'Selu', ['x']],
      ['er', 'Erf', ['x']],
      ['sq', 'Sqrt', ['ab']],
      ['ex', 'Exp', ['x']],
      ['pw', 'Pow', ['ab1', 'x']],
      ['sd', 'SquaredDifference', ['x', 'xs']],
      ['dn', 'DivNoNan', ['x', 'xs']],
      ['lk', 'LeakyRelu', ['x'], { alpha: A.f(0.1) }],
      ['more', 'AddN', ['rc', 'sp', 'se', 'er', 'sq', 'ex', 'pw', 'sd', 'dn', 'lk'], { N: A.i(10) }],
    ],
    outputs: ['trig', 'a2', 'a2b', 'nanf', 'inff', 'finf', 'more'],
  },
  // convolution: Conv1D (SAME with a stride, VALID dilated), Dilation2D (SAME, and VALID with strides and rates).
  convolution: {
    inputs: [{ name: 'x', dims: [-1, 6, 5, 2] }, { name: 's', dims: [-1, 9, 3] }],
    weights: [{ name: 'k1', dims: [3, 3, 4], values: 'random' }, { name: 'kd', dims: [2, 3, 2], values: 'random' }],
    nodes: [
      ['c1', 'Conv1D', ['s', 'k1'], { stride: A.i(2), padding: A.s('SAME'), data_format: A.s('NWC'), dilation: A.i(1) }],
      ['c2', 'Conv1D', ['s', 'k1'], { stride: A.i(1), padding: A.s('VALID'), data_format: A.s('NWC'), dilation: A.i(2) }],
      ['d1', 'Dilation2D', ['x', 'kd'], { strides: A.ints([1, 1, 1, 1]), rates: A.ints([1, 1, 1, 1]), padding: A.s('SAME') }],
      ['d2', 'Dilation2D', ['x', 'kd'], { strides: A.ints([1, 2, 1, 1]), rates: A.ints([1, 2, 1, 1]), padding: A.s('VALID') }],
    ],
    outputs: ['c1', 'c2', 'd1', 'd2'],
  },
  // reduction and evaluation: Cumprod (plain, exclusive, reverse), LowerBound / UpperBound against a constant sorted sequence, Bincount / DenseBincount of computed ids.
  reduction: {
    inputs: [{ name: 'x', dims: [-1, 3, 4] }, { name: 'v', dims: [-1, 5] }],
    weights: [ints('ax1', [1], []), ints('ax2', [2], []), f32('seq', [-0.8, -0.3, -0.3, 0.1, 0.4, 0.9], [1, 6]), f32('three', [3], []), ints('six', [6], []), f32('w', [0.5, -1, 2, 0.25, 1.5]), ints('flat', [5])],
    nodes: [
      ['cp', 'Cumprod', ['x', 'ax1'], { exclusive: A.b(false), reverse: A.b(false), Tidx: A.type('DT_INT32') }],
      ['cpe', 'Cumprod', ['x', 'ax2'], { exclusive: A.b(true), reverse: A.b(false), Tidx: A.type('DT_INT32') }],
      ['cpr', 'Cumprod', ['x', 'ax2'], { exclusive: A.b(true), reverse: A.b(true), Tidx: A.type('DT_INT32') }],
      ['lb', 'LowerBound', ['seq', 'v'], { out_type: A.type('DT_INT32') }],
      ['ub', 'UpperBound', ['seq', 'v'], { out_type: A.type('DT_INT32') }],
      toFloat('lbf', 'lb', 'DT_INT32'),
      toFloat('ubf', 'ub', 'DT_INT32'),
      ['v3', 'Mul', ['v', 'three']],
      ['vf', 'Floor', ['v3']],
      ['vs', 'AddV2', ['vf', 'three']],
      ['vi', 'Cast', ['vs'], { SrcT: A.type(), DstT: A.type('DT_INT32') }],
      ['row', 'Reshape', ['vi', 'flat'], { T: A.type('DT_INT32'), Tshape: A.type('DT_INT32') }],
      ['bc', 'Bincount', ['row', 'six', 'w']],
      ['dbc', 'DenseBincount', ['vi', 'six', 'w'], { binary_output: A.b(true), Tidx: A.type('DT_INT32') }],
    ],
    outputs: ['cp', 'cpe', 'cpr', 'lbf', 'ubf', 'bc', 'dbc'],
  },
  // slice_join: ScatterNd, TensorScatterUpdate, SparseToDense with constant indices and computed values; Split, SplitV, Unpack, Reverse; SparseSegmentSum / SparseSegmentMean (sparse op list) with constant indices.
  slice_join: {
    inputs: [{ name: 'x', dims: [-1, 4, 3] }],
    weights: [
      ints('idx', [0, 2, 0, 0, 0, 3], [3, 2]),
      ints('dup', [0, 4, 0, 1, 0, 4], [3, 2]),
      f32('cupd', [1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]),
      ints('b5', [0, 0, 0]),
      ints('s5', [1, 1, 3]),
      ints('rows', [0, 2], [2, 1]),
      ints('segi', [3, 1, 1, 0]),
      ints('segs', [0, 0, 2, 2]),
      ints('shape', [1, 5, 3]),
      ints('sshape', [4, 3]),
      ints('sidx', [0, 1, 2, 2, 3, 0], [3, 2]),
      f32('dflt', [0.75], []),
      ints('b3', [0, 1, 0]),
      ints('s3', [1, 3, 3]),
      ints('b2', [0, 0, 0]),
      ints('s2', [1, 2, 3]),
      ints('b1', [0, 3, 0]),
      ints('s1', [1, 1, 3]),
      ints('ax1', [1], []),
      ints('ax2', [2], []),
      ints('sizes', [1, -1]),
      { name: 'rev', dims: [3], values: [0, 1, 1], dtype: 'int32' },
    ],
    nodes: [
      ['tx', 'Squeeze', ['x'], { squeeze_dims: A.ints([0]) }],
      ['x5', 'Slice', ['x', 'b5', 's5'], { Index: A.type('DT_INT32') }],
      // Updates: rows 1–3 of the sample into zeros [1, 5, 3] at [0, 2], [0, 0], [0, 3]; rows 0–1 over rows 0 and 2; row 3 as three sparse values over 0.75.
      ['sl3', 'Slice', ['x', 'b3', 's3'], { Index: A.type('DT_INT32') }],
      ['upd3', 'Squeeze', ['sl3'], { squeeze_dims: A.ints([0]) }],
      ['sn', 'ScatterNd', ['idx', 'upd3', 'shape'], { Tindices: A.type('DT_INT32') }],
      // Updates that meet at one index add up: computed, and constant (folded).
      ['snd', 'ScatterNd', ['dup', 'upd3', 'shape'], { Tindices: A.type('DT_INT32') }],
      ['snc', 'ScatterNd', ['dup', 'cupd', 'shape'], { Tindices: A.type('DT_INT32') }],
      ['snx', 'AddV2', ['snc', 'x5']],
      ['sl2', 'Slice', ['x', 'b2', 's2'], { Index: A.type('DT_INT32') }],
      ['upd2', 'Squeeze', ['sl2'], { squeeze_dims: A.ints([0]) }],
      ['tsu', 'TensorScatterUpdate', ['tx', 'rows', 'upd2'], { Tindices: A.type('DT_INT32') }],
      ['sl1', 'Slice', ['x', 'b1', 's1'], { Index: A.type('DT_INT32') }],
      ['v3', 'Squeeze', ['sl1'], { squeeze_dims: A.ints([0, 1]) }],
      ['std', 'SparseToDense', ['sidx', 'sshape', 'v3', 'dflt'], { validate_indices: A.b(true), Tindices: A.type('DT_INT32') }],
      ['sp', 'Split', ['ax1', 'x'], { num_split: A.i(2) }],
      ['spv', 'SplitV', ['x', 'sizes', 'ax2'], { num_split: A.i(2), Tlen: A.type('DT_INT32') }],
      ['un', 'Unpack', ['tx'], { num: A.i(4), axis: A.i(0) }],
      ['rv', 'Reverse', ['x', 'rev']],
      ['j', 'ConcatV2', ['sp:1', 'sp', 'ax2'], { N: A.i(2), Tidx: A.type('DT_INT32') }],
      ['k', 'AddN', ['un:1', 'un:3'], { N: A.i(2) }],
      // Segments 0 and 2 of picked rows (segment 1 empty: 0).
      ['sss', 'SparseSegmentSum', ['tx', 'segi', 'segs'], { Tidx: A.type('DT_INT32'), Tsegmentids: A.type('DT_INT32') }],
      ['ssm', 'SparseSegmentMean', ['tx', 'segi', 'segs'], { Tidx: A.type('DT_INT32'), Tsegmentids: A.type('DT_INT32') }],
      ['v0', 'Identity', ['spv']],
      ['v1', 'Identity', ['spv:1']],
    ],
    outputs: ['sn', 'snd', 'snx', 'tsu', 'std', 'j', 'k', 'rv', 'v0', 'v1', 'sss', 'ssm'],
  },
  // image and transformation: CropAndResize (bilinear with extrapolation, nearest, a crop of one row), ImageProjectiveTransformV3 (each fill mode, both interpolations), ResizeNearestNeighbor with align_corners, MirrorPad SYMMETRIC, FusedBatchNormV3, LogSoftmax.
  image: {
    inputs: [{ name: 'x', dims: [-1, 5, 6, 2] }],
    weights: [
      f32('boxes', [0.1, 0.2, 0.8, 0.9, -0.2, 0.5, 0.6, 1.3, 0.3, 0.3, 0.3, 0.7], [3, 4]),
      ints('bi', [0, 0, 0]),
      ints('crop', [3, 4]),
      ints('crop1', [1, 3]),
      ints('size', [8, 4]),
      ints('mp', [0, 0, 2, 1, 1, 2, 0, 0], [4, 2]),
      f32('g', [1.5, 0.5]),
      f32('be', [0.1, -0.2]),
      f32('mu', [0.05, -0.1]),
      f32('va', [0.8, 1.2]),
      f32('tr', [0.94, -0.34, 1.2, 0.34, 0.94, -0.8, 0.01, -0.02], [1, 8]),
      ints('osh', [4, 5]),
      f32('fv', [0.25], []),
    ],
    nodes: [
      ['cb', 'CropAndResize', ['x', 'boxes', 'bi', 'crop'], { method: A.s('bilinear'), extrapolation_value: A.f(-0.5) }],
      ['cn', 'CropAndResize', ['x', 'boxes', 'bi', 'crop'], { method: A.s('nearest'), extrapolation_value: A.f(0) }],
      ['c1', 'CropAndResize', ['x', 'boxes', 'bi', 'crop1'], { method: A.s('bilinear'), extrapolation_value: A.f(0) }],
      ['nn', 'ResizeNearestNeighbor', ['x', 'size'], { align_corners: A.b(true), half_pixel_centers: A.b(false) }],
      ['mps', 'MirrorPad', ['x', 'mp'], { mode: A.s('SYMMETRIC'), Tpaddings: A.type('DT_INT32') }],
      ['bn', 'FusedBatchNormV3', ['x', 'g', 'be', 'mu', 'va'], { epsilon: A.f(0.001), data_format: A.s('NHWC'), is_training: A.b(false), U: A.type() }],
      ['ls', 'LogSoftmax', ['bn']],
      ['pt1', 'ImageProjectiveTransformV3', ['x', 'tr', 'osh', 'fv'], { interpolation: A.s('BILINEAR'), fill_mode: A.s('CONSTANT'), dtype: A.type() }],
      ['pt2', 'ImageProjectiveTransformV3', ['x', 'tr', 'osh', 'fv'], { interpolation: A.s('NEAREST'), fill_mode: A.s('REFLECT'), dtype: A.type() }],
      ['pt3', 'ImageProjectiveTransformV3', ['x', 'tr', 'osh', 'fv'], { interpolation: A.s('BILINEAR'), fill_mode: A.s('WRAP'), dtype: A.type() }],
      ['pt4', 'ImageProjectiveTransformV3', ['x', 'tr', 'osh', 'fv'], { interpolation: A.s('BILINEAR'), fill_mode: A.s('NEAREST'), dtype: A.type() }],
    ],
    outputs: ['cb', 'cn', 'c1', 'nn', 'mps', 'ls', 'pt1', 'pt2', 'pt3', 'pt4'],
  },
  // Ops mapped earlier that no other fixture reached: shapes and creation folded (Rank, Size, ShapeN, BroadcastArgs, Fill, Range, LinSpace, Zeros, Ones, OnesLike, ZerosLike), comparisons and Select of computed values, Div, PadV2, FusedBatchNorm(V2), BatchMatMul, DepthwiseConv2d, Gather, IdentityN, Snapshot, StopGradient (TF.js 4.22 disposes EnsureShape's output: no oracle for it).
  graph_misc: {
    inputs: [{ name: 'x', dims: [-1, 2, 4] }, { name: 'y', dims: [-1, 4, 4, 2] }],
    weights: [
      ints('b14', [1, 1, 4]),
      ints('b21', [2, 1]),
      f32('half', [0.5], []),
      ints('r0', [0], []),
      ints('r4', [4], []),
      ints('r1', [1], []),
      f32('lo', [-1], []),
      f32('hi', [1], []),
      ints('n4', [4], []),
      ints('s4', [4]),
      f32('three', [3], []),
      f32('c', [0, 1, -1, 2]),
      f32('c0', [0.1], []),
      ints('ax1', [1], []),
      ints('pads', [0, 0, 1, 0, 0, 2], [3, 2]),
      f32('pv', [0.3], []),
      f32('g', [1.5, 0.5, -1, 2]),
      f32('be', [0.1, -0.2, 0, 0.3]),
      f32('mu', [0.05, -0.1, 0.2, 0]),
      f32('va', [0.8, 1.2, 0.5, 2]),
      { name: 'w', dims: [4, 3], values: 'random' },
      { name: 'd', dims: [2, 2, 2, 1], values: 'random' },
      ints('gi', [1, 0, 1]),
    ],
    nodes: [
      ['rank', 'Rank', ['x']],
      ['size', 'Size', ['x'], { out_type: A.type('DT_INT32') }],
      ['shn', 'ShapeN', ['x', 'x'], { N: A.i(2), out_type: A.type('DT_INT32') }],
      ['bargs', 'BroadcastArgs', ['b21', 'b14'], { T: A.type('DT_INT32') }],
      ['shnf', 'Cast', ['shn:1'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
      ['r00', 'Range', ['r0', 'r1', 'r1'], { Tidx: A.type('DT_INT32') }],
      ['shs', 'Sum', ['shnf', 'r00'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
      ['fill', 'Fill', ['bargs', 'half'], { index_type: A.type('DT_INT32') }],
      ['range', 'Range', ['r0', 'r4', 'r1'], { Tidx: A.type('DT_INT32') }],
      ['rangef', 'Cast', ['range'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
      ['lin', 'LinSpace', ['lo', 'hi', 'n4'], { Tidx: A.type('DT_INT32') }],
      ['zeros', 'Zeros', ['s4']],
      ['ones', 'Ones', ['s4']],
      ['ol', 'OnesLike', ['x']],
      ['zl', 'ZerosLike', ['x']],
      ['sizef', 'Cast', ['size'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
      ['rankf', 'Cast', ['rank'], { SrcT: A.type('DT_INT32'), DstT: A.type() }],
      ['a1', 'Mul', ['x', 'fill']],
      ['a2', 'AddV2', ['a1', 'rangef']],
      ['a3', 'AddV2', ['a2', 'lin']],
      ['a4', 'Sub', ['a3', 'zeros']],
      ['a5', 'Mul', ['a4', 'ones']],
      ['a6', 'AddV2', ['a5', 'ol']],
      ['a7', 'AddV2', ['a6', 'zl']],
      ['a8', 'Div', ['a7', 'sizef']],
      ['a9', 'Mul', ['a8', 'rankf']],
      ['made', 'Mul', ['a9', 'shs']],
      ['x3', 'Mul', ['x', 'three']],
      ['fl', 'Floor', ['x3']],
      ['eq', 'Equal', ['fl', 'c']],
      ['ge', 'GreaterEqual', ['x', 'c0']],
      ['lt', 'Less', ['x', 'c0']],
      ['le', 'LessEqual', ['fl', 'c']],
      toFloat('eqf', 'eq'),
      toFloat('gef', 'ge'),
      toFloat('ltf', 'lt'),
      toFloat('lef', 'le'),
      ['cmp', 'AddN', ['eqf', 'gef', 'ltf', 'lef'], { N: A.i(4) }],
      ['tx', 'Squeeze', ['x'], { squeeze_dims: A.ints([0]) }],
      // TF.js's Select broadcasts as SelectV2 does (TF's rank-1 condition that picks rows has no TF.js oracle): a full condition.
      ['neg', 'Less', ['tx', 'c0']],
      ['ntx', 'Neg', ['tx']],
      ['sel', 'Select', ['neg', 'tx', 'ntx']],
      ['pad', 'PadV2', ['x', 'pads', 'pv'], { Tpaddings: A.type('DT_INT32') }],
      ['bn1', 'FusedBatchNorm', ['x', 'g', 'be', 'mu', 'va'], { epsilon: A.f(0.001), data_format: A.s('NHWC'), is_training: A.b(false) }],
      ['bn2', 'FusedBatchNormV2', ['bn1', 'g', 'be', 'mu', 'va'], { epsilon: A.f(0.01), data_format: A.s('NHWC'), is_training: A.b(false), U: A.type() }],
      ['bmm', 'BatchMatMul', ['bn2', 'w'], { adj_x: A.b(false), adj_y: A.b(false) }],
      ['dw', 'DepthwiseConv2d', ['y', 'd'], { strides: A.ints([1, 1, 1, 1]), padding: A.s('VALID'), data_format: A.s('NHWC'), dilations: A.ints([1, 1, 1, 1]) }],
      ['ga', 'Gather', ['tx', 'gi'], { Tindices: A.type('DT_INT32'), Tparams: A.type() }],
      ['idn', 'IdentityN', ['ga', 'sel'], { T: A.strs([]) }],
      ['snap', 'Snapshot', ['idn:1']],
      ['stop', 'StopGradient', ['idn']],
    ],
    outputs: ['made', 'cmp', 'snap', 'stop', 'pad', 'bmm', 'dw'],
  },
};

/** A fixture converted to the NumPy and C tensor forms, with one seeded point and TF.js's outputs there. */
interface FormCase {
  name: string;
  inputs: unknown[];
  flatInputs: number[];
  want: number[];
  numpy: string;
  c: string;
}

function nest(values: readonly number[], shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const step = values.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
}

const models = new Map<string, string>();
const modelOf = (name: string): string => {
  if (!models.has(name)) models.set(name, writeGraphModel(tmpDir(), FIXTURES[name]));
  return models.get(name)!;
};

let formCases: Promise<FormCase[]> | undefined;
function fixtureForms(): Promise<FormCase[]> {
  formCases ??= (async () => {
    const out: FormCase[] = [];
    for (const name of Object.keys(FIXTURES)) {
      const model = modelOf(name);
      const numpy = await convertFile(model, { format: 'numpy', form: 'tensor' });
      const c = await convertFile(model, { format: 'c', form: 'tensor' });
      const program = numpy.program!;
      const rng = mulberry32(11);
      let offset = 0;
      const ports = program.inputs.map((p) => {
        const size = p.tensor.shape.reduce((a, b) => a * b, 1);
        const port = { name: p.name, shape: p.tensor.shape, offset, size };
        offset += size;
        return port;
      });
      const flatInputs = Array.from({ length: offset }, () => Math.fround(rng() * 2 - 1));
      const graph = tfSource(numpy.model)!.model;
      const [want] = await tfGraphReference(graph, { inputs: ports } as unknown as Extracted, [Float64Array.from(flatInputs)]);
      out.push({ name, inputs: ports.map((p) => nest(flatInputs.slice(p.offset, p.offset + p.size), p.shape)), flatInputs, want, numpy: numpy.text, c: c.text });
    }
    return out;
  })();
  return formCases;
}

describe('op families of tfjs-converter\'s op lists against TF.js running the same file', () => {
  for (const name of Object.keys(FIXTURES)) {
    it(`${name}: JS scalar and tensor forms (--verify's TF.js route)`, async () => {
      const model = modelOf(name);
      for (const form of ['scalar', 'tensor'] as const) {
        const r = await convertFile(model, { format: 'js', form });
        const report = await verify(r.model, r.text, { format: 'js', form, program: r.program ?? undefined, extracted: r.extracted ?? undefined, samples: 6 });
        const bad = report.routes.filter((x) => x.status !== 'ok');
        expect(bad, `${form}: ${JSON.stringify(bad).slice(0, 600)}`).toEqual([]);
      }
    }, 60_000);
  }
  withPython('NumPy tensor form (one python3 process for every family)', async () => {
    const cases = await fixtureForms();
    const got = await runPyDriver<number[][]>(
      python.exe,
      `
import numpy as np
res = []
for m, rows in modules():
    out = m.predict(*[np.array(x, dtype=np.float64) for x in rows])
    res.append([v for o in (out if isinstance(out, list) else [out]) for v in np.asarray(o, dtype=np.float64).ravel().tolist()])
print(json.dumps(res))
`,
      cases.map((c) => c.numpy),
      cases.map((c) => c.inputs as number[][]),
    );
    cases.forEach((c, i) => expect(mismatch(got[i], c.want, 1e-5, 1e-4), c.name).toBeNull());
  }, 120_000);
  withCC('C tensor form (gcc, one program per family)', async () => {
    for (const c of await fixtureForms()) {
      const [row] = await runCRows(c.c, [c.flatInputs], c.want.length);
      expect(mismatch(row, c.want, 1e-5, 1e-4), c.name).toBeNull();
    }
  }, 120_000);
});

/**
 * Ops nn2eq maps that TF.js 4.22 cannot run (no kernel: Softsign, SpaceToDepth, Inv,
 * BatchMatMulV3; EnsureShape's output it disposes; Select's rank-1 condition it misreads): nn2eq's JS text of a graph with the op
 * against TF.js running an equivalent graph of ops it has.
 */
const EQUIVALENT: Record<string, { ours: GraphFixture; theirs: GraphFixture }> = (() => {
  const x = [{ name: 'x', dims: [-1, 4, 6, 3] }];
  const w: Weight = { name: 'w', dims: [3, 5], values: 'random' };
  const shapes = [ints('s1', [1, 2, 2, 3, 2, 3]), ints('perm', [0, 1, 3, 2, 4, 5]), ints('s2', [1, 2, 3, 12]), f32('one', [1], []), ints('full', [1, 4, 6, 3])];
  return {
    softsign_inv_ensure: {
      ours: {
        inputs: x,
        weights: [f32('one', [1], []), ints('full', [1, 4, 6, 3])],
        nodes: [
          ['ss', 'Softsign', ['x']],
          ['a', 'Abs', ['x']],
          ['a1', 'AddV2', ['a', 'one']],
          ['inv', 'Inv', ['a1']],
          ['e', 'EnsureShape', ['inv', 'full'], { shape: A.shape([1, 4, 6, 3]) }],
          ['y', 'AddV2', ['ss', 'e']],
        ],
      },
      theirs: {
        inputs: x,
        weights: [f32('one', [1], [])],
        nodes: [
          ['a', 'Abs', ['x']],
          ['a1', 'AddV2', ['a', 'one']],
          ['ss', 'RealDiv', ['x', 'a1']],
          ['inv', 'Reciprocal', ['a1']],
          ['y', 'AddV2', ['ss', 'inv']],
        ],
      },
    },
    space_to_depth: {
      ours: { inputs: x, weights: [], nodes: [['y', 'SpaceToDepth', ['x'], { block_size: A.i(2), data_format: A.s('NHWC') }]] },
      // [1, 4, 6, 3] → [1, 2, 2, 3, 2, 3] → blocks after the grid → [1, 2, 3, 12].
      theirs: {
        inputs: x,
        weights: shapes,
        nodes: [
          ['r1', 'Reshape', ['x', 's1'], { Tshape: A.type('DT_INT32') }],
          ['t', 'Transpose', ['r1', 'perm'], { Tperm: A.type('DT_INT32') }],
          ['y', 'Reshape', ['t', 's2'], { Tshape: A.type('DT_INT32') }],
        ],
      },
    },
    // TF's Select with a rank-1 condition picks whole rows; TF.js broadcasts it as SelectV2 would (and fails): its equivalent is SelectV2 of the condition with trailing axes of length 1.
    select_rows: {
      ours: {
        inputs: x,
        weights: [ints('ax', [1, 2]), f32('zero', [0], [])],
        nodes: [
          ['tx', 'Squeeze', ['x'], { squeeze_dims: A.ints([0]) }],
          ['rs', 'Sum', ['tx', 'ax'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
          ['c', 'Less', ['rs', 'zero']],
          ['n', 'Neg', ['tx']],
          ['y', 'Select', ['c', 'tx', 'n']],
        ],
      },
      theirs: {
        inputs: x,
        weights: [ints('ax', [1, 2]), f32('zero', [0], []), ints('col', [4, 1, 1])],
        nodes: [
          ['tx', 'Squeeze', ['x'], { squeeze_dims: A.ints([0]) }],
          ['rs', 'Sum', ['tx', 'ax'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
          ['c', 'Less', ['rs', 'zero']],
          ['c2', 'Reshape', ['c', 'col'], { T: A.type('DT_BOOL'), Tshape: A.type('DT_INT32') }],
          ['n', 'Neg', ['tx']],
          ['y', 'SelectV2', ['c2', 'tx', 'n']],
        ],
      },
    },
    batch_matmul_v3: {
      ours: { inputs: x, weights: [w], nodes: [['y', 'BatchMatMulV3', ['x', 'w'], { adj_x: A.b(false), adj_y: A.b(false), Ta: A.type(), Tb: A.type(), Tout: A.type() }]] },
      theirs: { inputs: x, weights: [w], nodes: [['y', 'BatchMatMulV2', ['x', 'w'], { adj_x: A.b(false), adj_y: A.b(false) }]] },
    },
  };
})();

describe('ops TF.js cannot run or runs otherwise than TF, against TF.js running an equivalent graph', () => {
  for (const [name, pair] of Object.entries(EQUIVALENT)) {
    it(name, async () => {
      const ours = await convertFile(writeGraphModel(tmpDir(), pair.ours), { format: 'js', form: 'tensor' });
      const theirs = await convertFile(writeGraphModel(tmpDir(), pair.theirs), { format: 'js', form: 'tensor' });
      const size = ours.program!.inputs[0].tensor.shape.reduce((a, b) => a * b, 1);
      const rng = mulberry32(5);
      const points = Array.from({ length: 3 }, () => Array.from({ length: size }, () => Math.fround(rng() * 4 - 2)));
      const ports = [{ name: 'x', shape: ours.program!.inputs[0].tensor.shape, offset: 0, size }];
      const want = await tfGraphReference(tfSource(theirs.model)!.model, { inputs: ports } as unknown as Extracted, points.map((p) => Float64Array.from(p)));
      const got = await runJs(ours.text, points.map((p) => [nest(p, ports[0].shape)]));
      got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `point ${i}`).toBeNull());
    }, 60_000);
  }
});

describe('refusals of the op-list ops without a fixed formula', () => {
  it('every unsupported op of a graph in one line with its count, exit 2', () => {
    const model = writeGraphModel(tmpDir(), {
      inputs: [{ name: 'x', dims: [-1, 4] }],
      weights: [ints('k', [2], [])],
      nodes: [
        ['a', 'MaxPoolWithArgmax', ['x'], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('VALID'), include_batch_in_index: A.b(false) }],
        ['r', 'RandomUniform', ['k'], { dtype: A.type(), seed: A.i(1), seed2: A.i(2) }],
        ['r2', 'RandomUniform', ['k'], { dtype: A.type(), seed: A.i(3), seed2: A.i(4) }],
        ['u', 'Unique', ['x'], { out_idx: A.type('DT_INT32') }],
        ['f', 'FakeQuantWithMinMaxVars', ['x'], { num_bits: A.i(8), narrow_range: A.b(false) }],
      ],
      outputs: ['a', 'r', 'r2', 'u', 'f'],
    });
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'nn2eq.js'), model, '-f', 'js'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/5 nodes of 4 ops nn2eq cannot convert: FakeQuantWithMinMaxVars ×1, MaxPoolWithArgmax ×1, RandomUniform ×2, Unique ×1/);
  });
});
