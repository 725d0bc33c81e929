import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../src/verify/random.js';

/**
 * Hand-written TF.js graph models: a GraphDef as JSON (attributes in their protobuf-JSON
 * encodings) with seeded weights written to a shard, float32, int32, float16 or uint8/uint16
 * quantized as tensorflowjs_converter writes them. TF.js itself is their oracle (--verify).
 */

type AttrValue = Record<string, unknown>;
/** AttrValue constructors in GraphDef JSON. */
export const A = {
  i: (n: number): AttrValue => ({ i: String(n) }),
  f: (x: number): AttrValue => ({ f: x }),
  b: (x: boolean): AttrValue => ({ b: x }),
  s: (x: string): AttrValue => ({ s: Buffer.from(x).toString('base64') }),
  type: (t = 'DT_FLOAT'): AttrValue => ({ type: t }),
  ints: (xs: number[]): AttrValue => ({ list: { i: xs.map(String) } }),
  strs: (xs: string[]): AttrValue => ({ list: { s: xs.map((x) => Buffer.from(x).toString('base64')) } }),
  shape: (dims: number[]): AttrValue => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

export interface Weight {
  readonly name: string;
  readonly dims: number[];
  /** Values, or 'random' for seeded ones in [-1, 1). */
  readonly values: number[] | 'random';
  readonly dtype?: 'float32' | 'int32';
  readonly quant?: 'float16' | 'uint8' | 'uint16';
}

export interface GraphFixture {
  /** [name, op, inputs, attrs] of each node after the Placeholders and Consts. */
  readonly nodes: [string, string, string[], Record<string, AttrValue>?][];
  readonly inputs: { name: string; dims: number[] }[];
  readonly weights: Weight[];
  /** Signature outputs (tensor names); without, the unconsumed nodes are the outputs. */
  readonly outputs?: string[];
}

/** The nearest binary16 bits of x (round to nearest even on the mantissa; normal range). */
function halfBits(x: number): number {
  if (x === 0) return 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  return sign | ((e + 15) << 10) | m;
}

/** Writes model.json and weights.bin of `g` into `dir`; returns the model.json path. */
export function writeGraphModel(dir: string, g: GraphFixture, seed = 1): string {
  mkdirSync(dir, { recursive: true });
  const rng = mulberry32(seed);
  const nodes: unknown[] = g.inputs.map((i) => ({ name: i.name, op: 'Placeholder', attr: { dtype: A.type(), shape: A.shape(i.dims) } }));
  const specs: unknown[] = [];
  const chunks: Buffer[] = [];
  for (const w of g.weights) {
    const n = w.dims.reduce((a, b) => a * b, 1);
    const vals = w.values === 'random' ? Array.from({ length: n }, () => rng() * 2 - 1) : w.values;
    const dtype = w.dtype ?? 'float32';
    nodes.push({ name: w.name, op: 'Const', attr: { dtype: A.type(dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT'), value: { tensor: { dtype: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: { dim: w.dims.map((d) => ({ size: String(d) })) } } } } });
    const spec: Record<string, unknown> = { name: w.name, shape: w.dims, dtype };
    if (w.quant === 'float16') {
      const b = Buffer.alloc(2 * n);
      vals.forEach((v, i) => b.writeUInt16LE(halfBits(v), 2 * i));
      spec.quantization = { dtype: 'float16' };
      chunks.push(b);
    } else if (w.quant === 'uint8' || w.quant === 'uint16') {
      const levels = w.quant === 'uint8' ? 255 : 65535;
      const min = Math.min(...vals);
      const max = Math.max(...vals);
      const scale = (max - min) / levels || 1;
      const b = Buffer.alloc((w.quant === 'uint8' ? 1 : 2) * n);
      vals.forEach((v, i) => (w.quant === 'uint8' ? b.writeUInt8(Math.round((v - min) / scale), i) : b.writeUInt16LE(Math.round((v - min) / scale), 2 * i)));
      spec.quantization = { dtype: w.quant, scale, min };
      chunks.push(b);
    } else {
      const b = Buffer.alloc(4 * n);
      vals.forEach((v, i) => (dtype === 'int32' ? b.writeInt32LE(v, 4 * i) : b.writeFloatLE(v, 4 * i)));
      chunks.push(b);
    }
    specs.push(spec);
  }
  for (const [name, op, input, attr] of g.nodes) nodes.push({ name, op, input, attr: { T: A.type(), ...(attr ?? {}) } });
  const doc: Record<string, unknown> = {
    format: 'graph-model',
    generatedBy: 'nn2eq test',
    convertedBy: 'hand-written',
    modelTopology: { node: nodes, versions: { producer: 1 } },
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  if (g.outputs) {
    doc.signature = {
      inputs: Object.fromEntries(g.inputs.map((i) => [i.name, { name: `${i.name}:0`, dtype: 'DT_FLOAT', tensorShape: { dim: i.dims.map((d) => ({ size: String(d) })) } }])),
      outputs: Object.fromEntries(g.outputs.map((o) => [o.replace(/:0$/, ''), { name: o.includes(':') ? o : `${o}:0`, dtype: 'DT_FLOAT' }])),
    };
  }
  writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(chunks));
  return join(dir, 'model.json');
}

const x4 = (h: number, w: number, c: number) => ({ name: 'x', dims: [-1, h, w, c] });
const ints = (name: string, values: number[], dims = [values.length]): Weight => ({ name, dims, values, dtype: 'int32' });
const conv = (padding: string, extra: Record<string, AttrValue> = {}) => ({ strides: A.ints([1, 1, 1, 1]), padding: A.s(padding), data_format: A.s('NHWC'), dilations: A.ints([1, 1, 1, 1]), ...extra });

/** The fixtures, by name: one op family, padding mode, mask or weight encoding each. */
export const GRAPH_FIXTURES: Record<string, GraphFixture> = {
  conv_same_stride2: {
    inputs: [x4(7, 7, 2)],
    weights: [{ name: 'k', dims: [3, 3, 2, 3], values: 'random' }, { name: 'b', dims: [3], values: 'random' }],
    nodes: [
      ['c', 'Conv2D', ['x', 'k'], conv('SAME', { strides: A.ints([1, 2, 2, 1]) })],
      ['y', 'BiasAdd', ['c', 'b'], { data_format: A.s('NHWC') }],
    ],
  },
  conv_valid_dilated: {
    inputs: [x4(8, 7, 2)],
    weights: [{ name: 'k', dims: [2, 3, 2, 2], values: 'random' }],
    nodes: [['y', 'Conv2D', ['x', 'k'], conv('VALID', { dilations: A.ints([1, 2, 2, 1]) })]],
  },
  conv_explicit_padding: {
    inputs: [x4(5, 5, 1)],
    weights: [{ name: 'k', dims: [3, 3, 1, 2], values: 'random' }],
    nodes: [['y', 'Conv2D', ['x', 'k'], conv('EXPLICIT', { explicit_paddings: A.ints([0, 0, 2, 1, 0, 1, 0, 0]), strides: A.ints([1, 2, 1, 1]) })]],
  },
  fused_conv_activations: {
    inputs: [x4(6, 6, 2)],
    weights: [{ name: 'k', dims: [3, 3, 2, 4], values: 'random' }, { name: 'b', dims: [4], values: 'random' }, { name: 'a', dims: [4], values: [0.1, 0.2, -0.3, 0.5] }, { name: 'k2', dims: [1, 1, 4, 2], values: 'random' }, { name: 'b2', dims: [2], values: 'random' }],
    nodes: [
      ['c1', '_FusedConv2D', ['x', 'k', 'b', 'a'], { ...conv('SAME'), fused_ops: A.strs(['BiasAdd', 'Prelu']), num_args: A.i(2) }],
      ['c2', '_FusedConv2D', ['c1', 'k2', 'b2'], { ...conv('VALID'), fused_ops: A.strs(['BiasAdd', 'LeakyRelu']), num_args: A.i(1), leakyrelu_alpha: A.f(0.3) }],
      ['c3', '_FusedConv2D', ['c1', 'k2', 'b2'], { ...conv('VALID'), fused_ops: A.strs(['BiasAdd', 'Elu']), num_args: A.i(1) }],
      ['c4', '_FusedConv2D', ['c1', 'k2', 'b2'], { ...conv('VALID'), fused_ops: A.strs(['BiasAdd', 'Sigmoid']), num_args: A.i(1) }],
      ['c5', '_FusedConv2D', ['c1', 'k2', 'b2'], { ...conv('VALID'), fused_ops: A.strs(['BiasAdd', 'Relu6']), num_args: A.i(1) }],
      ['y', 'AddN', ['c2', 'c3', 'c4', 'c5'], { N: A.i(4) }],
    ],
  },
  depthwise: {
    inputs: [x4(6, 5, 3)],
    weights: [{ name: 'd', dims: [3, 3, 3, 2], values: 'random' }, { name: 'b', dims: [6], values: 'random' }],
    nodes: [
      ['d1', 'DepthwiseConv2dNative', ['x', 'd'], conv('SAME', { strides: A.ints([1, 2, 2, 1]) })],
      ['d2', 'FusedDepthwiseConv2dNative', ['x', 'd', 'b'], { ...conv('VALID'), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1) }],
    ],
    outputs: ['d1', 'd2'],
  },
  conv_transpose: {
    inputs: [x4(3, 4, 2)],
    weights: [{ name: 'k', dims: [3, 3, 5, 2], values: 'random' }, ints('same_size', [1, 6, 8, 5]), ints('valid_size', [1, 7, 9, 5])],
    nodes: [
      ['same', 'Conv2DBackpropInput', ['same_size', 'k', 'x'], conv('SAME', { strides: A.ints([1, 2, 2, 1]) })],
      ['valid', 'Conv2DBackpropInput', ['valid_size', 'k', 'x'], conv('VALID', { strides: A.ints([1, 2, 2, 1]) })],
    ],
    outputs: ['same', 'valid'],
  },
  pooling: {
    inputs: [x4(7, 6, 2)],
    weights: [],
    nodes: [
      ['mp', 'MaxPool', ['x'], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), data_format: A.s('NHWC') }],
      ['ap', 'AvgPool', ['x'], { ksize: A.ints([1, 3, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), data_format: A.s('NHWC') }],
      ['apv', 'AvgPool', ['x'], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 1, 2, 1]), padding: A.s('VALID'), data_format: A.s('NHWC') }],
    ],
    outputs: ['mp', 'ap', 'apv'],
  },
  matmul: {
    inputs: [{ name: 'x', dims: [-1, 4] }],
    weights: [{ name: 'w', dims: [3, 4], values: 'random' }, { name: 'b', dims: [3], values: 'random' }, { name: 'w2', dims: [3, 2], values: 'random' }],
    nodes: [
      ['h', '_FusedMatMul', ['x', 'w', 'b'], { transpose_a: A.b(false), transpose_b: A.b(true), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1) }],
      ['y', 'MatMul', ['h', 'w2'], { transpose_a: A.b(false), transpose_b: A.b(false) }],
    ],
  },
  batch_matmul: {
    inputs: [{ name: 'x', dims: [-1, 3, 4] }],
    weights: [{ name: 'w', dims: [2, 4], values: 'random' }, ints('perm', [0, 2, 1])],
    nodes: [
      ['p', 'BatchMatMulV2', ['x', 'w'], { adj_x: A.b(false), adj_y: A.b(true) }],
      ['t', 'Transpose', ['x', 'perm'], { Tperm: A.type('DT_INT32') }],
      ['y', 'BatchMatMulV2', ['p', 't'], { adj_x: A.b(true), adj_y: A.b(true) }],
    ],
  },
  elementwise: {
    inputs: [{ name: 'x', dims: [-1, 2, 3] }],
    weights: [{ name: 'c', dims: [3], values: [0.5, -1.5, 2] }, { name: 'one', dims: [], values: [1.5] }],
    nodes: [
      ['sq', 'Square', ['x']],
      ['pos', 'AddV2', ['sq', 'one']],
      ['rs', 'Rsqrt', ['pos']],
      ['sub', 'Sub', ['x', 'c']],
      ['mul', 'Mul', ['sub', 'rs']],
      ['div', 'RealDiv', ['mul', 'pos']],
      ['mx', 'Maximum', ['div', 'c']],
      ['mn', 'Minimum', ['mx', 'x']],
      ['sg', 'Sigmoid', ['mn']],
      ['th', 'Tanh', ['x']],
      ['r6', 'Relu6', ['mul']],
      ['el', 'Elu', ['x']],
      ['sum', 'AddN', ['sg', 'th', 'r6', 'el'], { N: A.i(4) }],
      ['y', 'Softmax', ['sum']],
    ],
  },
  reductions: {
    inputs: [{ name: 'x', dims: [-1, 3, 4, 2] }],
    weights: [ints('ax12', [1, 2]), ints('ax3', [-1]), ints('ax1', [1])],
    nodes: [
      ['mean', 'Mean', ['x', 'ax12'], { keep_dims: A.b(true), Tidx: A.type('DT_INT32') }],
      ['sum', 'Sum', ['x', 'ax3'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
      ['max', 'Max', ['x', 'ax1'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
      ['min', 'Min', ['x', 'ax12'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
    ],
    outputs: ['mean', 'sum', 'max', 'min'],
  },
  structure: {
    inputs: [{ name: 'x', dims: [-1, 4, 4, 8] }],
    weights: [
      ints('pads', [0, 0, 1, 2, 0, 1, 0, 0], [4, 2]),
      ints('mpads', [0, 0, 1, 1, 2, 1, 0, 0], [4, 2]),
      ints('shape', [1, 16, 2, 4]),
      ints('axis', [2]),
      ints('gaxis', [1]),
      ints('idx', [3, 0, 3]),
      ints('nd', [0, 1, 0, 3, 0, 2], [3, 2]),
      ints('ax', [-1]),
      ints('mult', [1, 2, 1, 1]),
      ints('begin', [0, 1, 0, 2]),
      ints('size', [-1, 2, 3, 4]),
      ints('bshape', [2, 1, 3, 2, 4]),
    ],
    nodes: [
      ['pad', 'Pad', ['x', 'pads'], { Tpaddings: A.type('DT_INT32') }],
      ['mpad', 'MirrorPad', ['x', 'mpads'], { mode: A.s('REFLECT'), Tpaddings: A.type('DT_INT32') }],
      ['d2s', 'DepthToSpace', ['x'], { block_size: A.i(2), data_format: A.s('NHWC') }],
      ['rs', 'Reshape', ['x', 'shape'], { Tshape: A.type('DT_INT32') }],
      ['ed', 'ExpandDims', ['rs', 'axis'], { Tdim: A.type('DT_INT32') }],
      ['sq', 'Squeeze', ['ed'], { squeeze_dims: A.ints([2]) }],
      ['g', 'GatherV2', ['sq', 'idx', 'gaxis'], { batch_dims: A.i(0), Taxis: A.type('DT_INT32'), Tindices: A.type('DT_INT32'), Tparams: A.type() }],
      ['gnd', 'GatherNd', ['x', 'nd'], { Tindices: A.type('DT_INT32'), Tparams: A.type() }],
      ['cat', 'ConcatV2', ['g', 'g', 'ax'], { N: A.i(2), Tidx: A.type('DT_INT32') }],
      ['pk', 'Pack', ['x', 'x'], { N: A.i(2), axis: A.i(1) }],
      ['tile', 'Tile', ['x', 'mult'], { Tmultiples: A.type('DT_INT32') }],
      ['bc', 'BroadcastTo', ['g', 'bshape'], { Tidx: A.type('DT_INT32') }],
      ['sl', 'Slice', ['x', 'begin', 'size'], { Index: A.type('DT_INT32') }],
    ],
    outputs: ['pad', 'mpad', 'd2s', 'cat', 'gnd', 'pk', 'tile', 'sl', 'bc'],
  },
  strided_slice_masks: {
    inputs: [{ name: 'x', dims: [-1, 5, 6, 3] }],
    weights: [
      ints('b1', [0, 1, -5, 0]),
      ints('e1', [0, 4, -1, 2]),
      ints('s1', [1, 2, 1, 1]),
      ints('b2', [0, 2]),
      ints('e2', [0, 3]),
      ints('s2', [1, 1]),
      ints('b3', [0, -1, 0]),
      ints('e3', [0, 0, 0]),
      ints('s3', [1, -1, 1]),
      ints('b5', [0, 4, 5, 0]),
      ints('e5', [0, 0, 0, 3]),
      ints('s5', [1, -3, -2, 2]),
      ints('b4', [0, 0, 0, 1]),
      ints('e4', [1, 0, 0, 2]),
      ints('s4', [1, 1, 1, 1]),
    ],
    nodes: [
      // begin_mask / end_mask on the batch, negative begin/end, a stride of 2 folds into a slice with gaps.
      ['ss1', 'StridedSlice', ['x', 'b1', 'e1', 's1'], { begin_mask: A.i(1), end_mask: A.i(1), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), shrink_axis_mask: A.i(0), Index: A.type('DT_INT32') }],
      // Ellipsis then a shrunk last axis.
      ['ss2', 'StridedSlice', ['x', 'b2', 'e2', 's2'], { begin_mask: A.i(0), end_mask: A.i(0), ellipsis_mask: A.i(1), new_axis_mask: A.i(0), shrink_axis_mask: A.i(2), Index: A.type('DT_INT32') }],
      // A reversed axis (stride −1 from the end), a new axis.
      ['ss3', 'StridedSlice', ['x', 'b3', 'e3', 's3'], { begin_mask: A.i(1), end_mask: A.i(7), ellipsis_mask: A.i(0), new_axis_mask: A.i(4), shrink_axis_mask: A.i(0), Index: A.type('DT_INT32') }],
      // Negative strides past −1 and a stride of 2 on the last axis.
      ['ss5', 'StridedSlice', ['x', 'b5', 'e5', 's5'], { begin_mask: A.i(1), end_mask: A.i(7), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), shrink_axis_mask: A.i(0), Index: A.type('DT_INT32') }],
      ['ss4', 'StridedSlice', ['x', 'b4', 'e4', 's4'], { begin_mask: A.i(6), end_mask: A.i(6), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), shrink_axis_mask: A.i(1), Index: A.type('DT_INT32') }],
    ],
    outputs: ['ss1', 'ss2', 'ss3', 'ss4', 'ss5'],
  },
  shape_arithmetic: {
    inputs: [{ name: 'x', dims: [-1, 4, 6, 2] }],
    weights: [ints('b', [0]), ints('e', [1]), ints('s', [1]), ints('m1', [-1]), ints('twelve', [12]), ints('two', [2])],
    nodes: [
      ['shape', 'Shape', ['x'], { out_type: A.type('DT_INT32') }],
      ['n', 'StridedSlice', ['shape', 'b', 'e', 's'], { begin_mask: A.i(0), end_mask: A.i(0), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), shrink_axis_mask: A.i(1), Index: A.type('DT_INT32'), T: A.type('DT_INT32') }],
      ['gt', 'Greater', ['twelve', 'two'], { T: A.type('DT_INT32') }],
      ['sel', 'SelectV2', ['gt', 'twelve', 'two'], { T: A.type('DT_INT32') }],
      ['half', 'FloorDiv', ['sel', 'two'], { T: A.type('DT_INT32') }],
      ['dims', 'Pack', ['n', 'half', 'm1'], { N: A.i(3), axis: A.i(0), T: A.type('DT_INT32') }],
      ['y', 'Reshape', ['x', 'dims'], { Tshape: A.type('DT_INT32') }],
    ],
  },
  resize: {
    inputs: [x4(3, 4, 2)],
    weights: [ints('size', [7, 5]), ints('up', [6, 8])],
    nodes: [
      ['plain', 'ResizeBilinear', ['x', 'size'], { align_corners: A.b(false), half_pixel_centers: A.b(false) }],
      ['half', 'ResizeBilinear', ['x', 'size'], { align_corners: A.b(false), half_pixel_centers: A.b(true) }],
      ['align', 'ResizeBilinear', ['x', 'size'], { align_corners: A.b(true), half_pixel_centers: A.b(false) }],
      ['nn', 'ResizeNearestNeighbor', ['x', 'up'], { align_corners: A.b(false), half_pixel_centers: A.b(false) }],
      ['nnh', 'ResizeNearestNeighbor', ['x', 'size'], { align_corners: A.b(false), half_pixel_centers: A.b(true) }],
    ],
    outputs: ['plain', 'half', 'align', 'nn', 'nnh'],
  },
  conv3d_pool3d_clip: {
    inputs: [{ name: 'x', dims: [-1, 4, 5, 4, 2] }],
    weights: [{ name: 'k', dims: [2, 3, 2, 2, 3], values: 'random' }, { name: 'lo', dims: [], values: [-0.2] }, { name: 'hi', dims: [], values: [0.4] }],
    nodes: [
      ['c', 'Conv3D', ['x', 'k'], { strides: A.ints([1, 1, 2, 1, 1]), padding: A.s('SAME'), data_format: A.s('NDHWC'), dilations: A.ints([1, 1, 1, 1, 1]) }],
      ['p', 'MaxPool3D', ['c'], { ksize: A.ints([1, 2, 2, 2, 1]), strides: A.ints([1, 2, 1, 2, 1]), padding: A.s('VALID'), data_format: A.s('NDHWC') }],
      ['a', 'AvgPool3D', ['c'], { ksize: A.ints([1, 2, 2, 2, 1]), strides: A.ints([1, 1, 1, 1, 1]), padding: A.s('SAME'), data_format: A.s('NDHWC') }],
      ['y', 'ClipByValue', ['p', 'lo', 'hi']],
    ],
    outputs: ['y', 'a'],
  },
  // Bilinear sampling at coordinates the model computes (facemesh-attention-pinto's crop): Floor, Cast, clamps, GatherNd and GatherV2 at computed indices, Prod of computed values.
  computed_gather: {
    inputs: [x4(4, 5, 2)],
    weights: [
      { name: 'scale', dims: [2], values: [3.99, 4.99] },
      ints('zero', [0], []),
      ints('limit', [3, 4]),
      ints('batch', new Array<number>(20).fill(0), [1, 4, 5, 1]),
      ints('last', [-1]),
      ints('one', [1], []),
      ints('b', [0, 0]),
      ints('e', [0, 1]),
      ints('st', [1, 1]),
      ints('five', [5], []),
      { name: 'on', dims: [], values: [1.5] },
      { name: 'off', dims: [], values: [0.25] },
    ],
    nodes: [
      ['s', 'Sigmoid', ['x']],
      ['sc', 'Mul', ['s', 'scale']],
      ['fl', 'Floor', ['sc']],
      ['ci', 'Cast', ['fl'], { SrcT: A.type(), DstT: A.type('DT_INT32'), Truncate: A.b(false) }],
      ['mx', 'Maximum', ['ci', 'zero'], { T: A.type('DT_INT32') }],
      ['mn', 'Minimum', ['mx', 'limit'], { T: A.type('DT_INT32') }],
      ['idx', 'ConcatV2', ['batch', 'mn', 'last'], { N: A.i(2), Tidx: A.type('DT_INT32'), T: A.type('DT_INT32') }],
      ['g', 'GatherNd', ['x', 'idx'], { Tindices: A.type('DT_INT32'), Tparams: A.type() }],
      ['frac', 'Sub', ['sc', 'fl']],
      ['pr', 'Prod', ['frac', 'last'], { keep_dims: A.b(true), Tidx: A.type('DT_INT32') }],
      ['y', 'Mul', ['g', 'pr']],
      ['row', 'StridedSlice', ['mn', 'b', 'e', 'st'], { begin_mask: A.i(1), end_mask: A.i(1), ellipsis_mask: A.i(1), new_axis_mask: A.i(0), shrink_axis_mask: A.i(2), Index: A.type('DT_INT32'), T: A.type('DT_INT32') }],
      ['gv', 'GatherV2', ['x', 'row', 'one'], { batch_dims: A.i(0), Taxis: A.type('DT_INT32'), Tindices: A.type('DT_INT32'), Tparams: A.type() }],
      ['ce', 'Ceil', ['sc']],
      ['sg', 'Sign', ['x']],
      // TF.js ignores OneHot's axis (its op list marks it notSupported): the last axis keeps it the oracle.
      ['hot', 'OneHot', ['mn', 'five', 'on', 'off'], { axis: A.i(-1), TI: A.type('DT_INT32') }],
    ],
    outputs: ['y', 'gv', 'ce', 'sg', 'hot'],
  },
  // Basic math and logic of tfjs-converter's op lists: FloorMod, FloorDiv, Expm1, Log1p, comparisons and Select on computed values, Round (ties to even), PlaceholderWithDefault.
  math_logic: {
    inputs: [{ name: 'x', dims: [-1, 3, 4] }],
    weights: [{ name: 'd', dims: [4], values: [0.7, -1.3, 2.1, 0.45] }, { name: 'half', dims: [], values: [0.5] }, { name: 'cond', dims: [4], values: [1, 0, 0, 1] }, { name: 'sixc', dims: [], values: [6] }],
    nodes: [
      ['fm', 'FloorMod', ['x', 'd']],
      ['md', 'Mod', ['x', 'd']],
      ['fd', 'FloorDiv', ['x', 'd']],
      ['e1', 'Expm1', ['x']],
      ['ab', 'Abs', ['x']],
      ['l1', 'Log1p', ['ab']],
      ['gt', 'Greater', ['x', 'half']],
      ['ne', 'NotEqual', ['fd', 'half']],
      ['and', 'LogicalAnd', ['gt', 'ne'], { T: A.type('DT_BOOL') }],
      ['not', 'LogicalNot', ['and'], { T: A.type('DT_BOOL') }],
      ['or', 'LogicalOr', ['not', 'gt'], { T: A.type('DT_BOOL') }],
      ['sel', 'SelectV2', ['or', 'e1', 'l1']],
      ['c', 'Cast', ['cond'], { SrcT: A.type(), DstT: A.type('DT_BOOL') }],
      ['selc', 'SelectV2', ['c', 'x', 'fm']],
      // Round half to even on computed ties: multiples of ½.
      ['six', 'Mul', ['x', 'sixc']],
      ['fl6', 'Floor', ['six']],
      ['halves', 'Mul', ['fl6', 'half']],
      ['rd', 'Round', ['halves']],
      ['pd', 'PlaceholderWithDefault', ['half'], { dtype: A.type(), shape: A.shape([]) }],
      ['rdp', 'Mul', ['rd', 'pd']],
      ['y', 'AddN', ['sel', 'selc', 'md', 'rdp'], { N: A.i(4) }],
    ],
  },
  // Reductions and normalization: Cumsum (exclusive, reverse), EuclideanNorm, Any/All, LRN, Prod of computed values.
  reduce_normalize: {
    inputs: [x4(3, 4, 6)],
    weights: [ints('ax2', [2]), ints('ax3', [3]), ints('ax12', [1, 2]), { name: 'z', dims: [], values: [0] }],
    nodes: [
      ['cs', 'Cumsum', ['x', 'ax2'], { exclusive: A.b(false), reverse: A.b(false), Tidx: A.type('DT_INT32') }],
      ['cse', 'Cumsum', ['x', 'ax3'], { exclusive: A.b(true), reverse: A.b(true), Tidx: A.type('DT_INT32') }],
      ['en', 'EuclideanNorm', ['x', 'ax12'], { keep_dims: A.b(true), Tidx: A.type('DT_INT32') }],
      ['pos', 'Greater', ['x', 'z']],
      ['any', 'Any', ['pos', 'ax3'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
      ['all', 'All', ['pos', 'ax3'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
      ['anyf', 'Cast', ['any'], { SrcT: A.type('DT_BOOL'), DstT: A.type() }],
      ['allf', 'Cast', ['all'], { SrcT: A.type('DT_BOOL'), DstT: A.type() }],
      ['lrn', 'LRN', ['x'], { depth_radius: A.i(2), bias: A.f(1.5), alpha: A.f(0.3), beta: A.f(0.75) }],
      ['pr', 'Prod', ['x', 'ax12'], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') }],
    ],
    outputs: ['cs', 'cse', 'en', 'anyf', 'allf', 'lrn', 'pr'],
  },
  // Slice, join and transformation: SpaceToBatchND / BatchToSpaceND around a dilated-style conv, ReverseV2, Concat, MatrixBandPart, OneHot, Einsum, ShapeN, Zeros/Ones/LinSpace folded.
  transform_more: {
    inputs: [x4(5, 6, 2)],
    weights: [
      ints('block', [2, 2]),
      ints('pads', [1, 2, 0, 2], [2, 2]),
      ints('crops', [1, 2, 0, 2], [2, 2]),
      { name: 'k', dims: [2, 2, 2, 3], values: 'random' },
      ints('rax', [1, -1]),
      ints('cax', [3]),
      ints('lo', [1], []),
      ints('oh', [2, 0, 3, 1, 0, 3]),
      ints('depth', [4], []),
      { name: 'on', dims: [], values: [2.5] },
      { name: 'off', dims: [], values: [-0.5] },
      { name: 'w', dims: [2, 3], values: 'random' },
    ],
    nodes: [
      ['s2b', 'SpaceToBatchND', ['x', 'block', 'pads'], { Tblock_shape: A.type('DT_INT32'), Tpaddings: A.type('DT_INT32') }],
      ['cv', 'Conv2D', ['s2b', 'k'], conv('VALID')],
      ['b2s', 'BatchToSpaceND', ['cv', 'block', 'crops'], { Tblock_shape: A.type('DT_INT32'), Tcrops: A.type('DT_INT32') }],
      ['rev', 'ReverseV2', ['x', 'rax'], { Tidx: A.type('DT_INT32') }],
      ['cat', 'Concat', ['cax', 'x', 'rev'], { N: A.i(2) }],
      // TF.js 4.22 reads MatrixBandPart's num_upper from input 1 as num_lower (its op list gives both 'start': 1): equal bands keep it the oracle.
      ['band', 'MatrixBandPart', ['x', 'lo', 'lo'], { Tindex: A.type('DT_INT32') }],
      ['hot', 'OneHot', ['oh', 'depth', 'on', 'off'], { axis: A.i(-1), TI: A.type('DT_INT32') }],
      ['ein', 'Einsum', ['x', 'w'], { equation: A.s('bhwc,cd->bhdw'), N: A.i(2) }],
    ],
    outputs: ['b2s', 'cat', 'band', 'hot', 'ein'],
  },
  float16_weights: {
    inputs: [x4(4, 4, 2)],
    weights: [{ name: 'k', dims: [3, 3, 2, 3], values: Array.from({ length: 54 }, (_, i) => ((i * 37) % 61) / 64 - 0.45), quant: 'float16' }, { name: 'b', dims: [3], values: [0.125, -0.5, 0.3], quant: 'float16' }],
    nodes: [['y', '_FusedConv2D', ['x', 'k', 'b'], { ...conv('SAME'), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1) }]],
  },
  uint8_weights: {
    inputs: [{ name: 'x', dims: [-1, 5] }],
    weights: [{ name: 'w', dims: [5, 4], values: 'random', quant: 'uint8' }, { name: 'b', dims: [4], values: 'random', quant: 'uint16' }],
    nodes: [
      ['h', 'MatMul', ['x', 'w'], { transpose_a: A.b(false), transpose_b: A.b(false) }],
      ['y', 'BiasAdd', ['h', 'b'], { data_format: A.s('NHWC') }],
    ],
  },
};

/** A model with ops nn2eq refuses (control flow, data-dependent shapes). */
export const UNSUPPORTED: GraphFixture = {
  inputs: [{ name: 'x', dims: [-1, 4] }],
  weights: [ints('k', [2])],
  nodes: [
    ['a', 'TopKV2', ['x', 'k'], { sorted: A.b(true) }],
    ['b', 'TopKV2', ['x', 'k'], { sorted: A.b(true) }],
    ['w', 'Where', ['x']],
    ['r', 'Relu', ['x']],
  ],
  outputs: ['a', 'b', 'w', 'r'],
};
