import { Nn2eqError } from '../../errors.js';
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor } from '../../load/onnx/types.js';
import type { ModelSpec } from '../../load/spec.js';
import { rememberOnnxSource } from './source.js';
import { ProgramBuilder } from '../../tensor/builder.js';
import { TOPS, type TOpInfo } from '../../tensor/ops.js';
import { sizeOf, type LayerCall, type T, type TensorPort, type TensorProgram } from '../../tensor/program.js';
import { intRange, isFloat, SMALL_FLOATS, type DType } from '../../tensor/dtype.js';
import { builderOps, dtypeOfVal, konst, tensor, tensorOf, type Const, type OnnxContext, type OnnxExtractor, type Val } from './context.js';
import { elementwiseOps } from './elementwise.js';
import { linearOps } from './linear.js';
import { convOps } from './conv.js';
import { normalizationOps } from './normalization.js';
import { recurrentOps } from './recurrent.js';
import { shapeOps } from './shape.js';
import { reduceOps } from './reduce.js';
import { attentionOps } from './attention.js';
import { scatterOps } from './scatter.js';
import { QUANTIZED_NOTE, quantizeOps } from './quantize.js';
import { trigOps } from './trig.js';
import { lossOps } from './loss.js';
import { bitwiseOps } from './bitwise.js';
import { linalgOps } from './linalg.js';
import { gridSampleOps } from './gridsample.js';
import { signalOps } from './signal.js';
import { attentionNodeOps } from './attention-op.js';
import { rotaryOps } from './rotary.js';
import { swigluOps } from './swiglu.js';
import { causalConvOps } from './causal-conv.js';
import { cropOps } from './crop.js';
import { linearAttentionOps } from './linear-attention.js';
import { col2imOps } from './col2im.js';
import { sequenceOps } from './sequence.js';
import { unpoolOps } from './unpool.js';
import { deformConvOps } from './deform-conv.js';
import { roiAlignOps } from './roi-align.js';
import { optionalOps } from './optional.js';
import { compressOps } from './compress.js';
import { mlOps } from './ml.js';
import { tfidfOps } from './tfidf.js';
import { trainingOps } from './training.js';
import { treeOps } from './tree.js';
import { runScan, type RunBody } from './scan.js';
import { runLoop } from './loop.js';
import { flexAttention } from './flex-attention.js';
import { checkBatchIndependent } from './batch.js';
import { foldLinear, isSymbolic, openAxisProblem, type OpenLength } from './symbolic.js';

export type { OnnxExtractor, OnnxContext, Val } from './context.js';

/** The one registry of ONNX op extractors, keyed by op type (default domain). */
export const ONNX_OPS: Readonly<Record<string, OnnxExtractor>> = {
  ...elementwiseOps,
  ...linearOps,
  ...convOps,
  ...normalizationOps,
  ...recurrentOps,
  ...shapeOps,
  ...reduceOps,
  ...scatterOps,
  ...trigOps,
  ...lossOps,
  ...bitwiseOps,
  ...linalgOps,
  ...gridSampleOps,
  ...signalOps,
  ...attentionNodeOps,
  ...rotaryOps,
  ...swigluOps,
  ...causalConvOps,
  ...cropOps,
  ...linearAttentionOps,
  ...col2imOps,
  ...sequenceOps,
  ...unpoolOps,
  ...deformConvOps,
  ...roiAlignOps,
  ...optionalOps,
  ...compressOps,
  // Other domains, keyed by domain and op type (extractorOf).
  ...mlOps,
  ...tfidfOps,
  ...trainingOps,
  ...treeOps,
  // After the element-wise ops: its Where and boolean folds hand the cases they do not cover to those.
  ...attentionOps,
  ...quantizeOps,
  // If runs in buildOnnxProgram (it needs the enclosing scope); listed here so it counts as supported.
  If: (ctx) => ctx.fail('If is run by the graph walker'),
  Scan: (ctx) => ctx.fail('Scan is run by the graph walker'),
  Loop: (ctx) => ctx.fail('Loop is run by the graph walker'),
};

/**
 * Ops that run graph attributes in the node's scope (Scan's body; FlexAttention's score_mod and
 * prob_mod), keyed by op type, prefixed by the domain outside the default one.
 */
const BODY_OPS: Readonly<Record<string, (ctx: OnnxContext, run: RunBody) => Val[]>> = { Scan: runScan, Loop: runLoop, 'ai.onnx.preview.FlexAttention': flexAttention };
const bodyOp = (n: OnnxNode) => BODY_OPS[n.domain === 'ai.onnx' ? n.opType : `${n.domain}.${n.opType}`];
/** The extractor of a node: ONNX_OPS by op type in the default domain, by domain and op type in another. */
const extractorOf = (n: OnnxNode): OnnxExtractor | undefined => ONNX_OPS[n.domain === 'ai.onnx' ? n.opType : `${n.domain}.${n.opType}`];

/**
 * Ops that print integer and bool values exactly (their extractors follow ONNX's integer
 * definitions, or move values without arithmetic); any other op given a computed integer or bool
 * value is refused, never computed as float.
 */
const TYPED_OPS: ReadonlySet<string> = new Set([
  'Identity', 'Reshape', 'Flatten', 'Transpose', 'DepthToSpace', 'SpaceToDepth', 'Squeeze', 'Unsqueeze', 'Concat', 'Split', 'Slice', 'Gather', 'Expand', 'Tile',
  'Shape', 'Size', 'Cast', 'CastLike', 'Add', 'Sub', 'Mul', 'Div', 'Mod', 'Neg', 'Abs', 'Sign', 'Max', 'Min', 'Sum',
  'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'Where', 'If', 'Scan', 'Loop',
  'ReduceSum', 'ReduceMax', 'ReduceMin', 'ArgMax', 'ArgMin', 'ScatterND', 'ScatterElements', 'Scatter', 'GatherElements', 'GatherND',
  // Their labels are integers, compared and used as indices; the extractors refuse integer scores and weights.
  'NegativeLogLikelihoodLoss', 'SoftmaxCrossEntropyLoss', 'OneHot',
  // A choice between a value and 0 (Trilu), sums and products of shifted copies (CumSum, CumProd, each step wrapped): exact for integers too.
  'Trilu', 'CumSum', 'CumProd',
  // Integers compared with its pool's n-grams, the matches counted (tfidf.ts).
  'TfIdfVectorizer',
  // Comparisons and choices (TopK's ranks and picks; Attention's boolean mask, chosen as 0 or −∞).
  'TopK', 'Attention',
  // position_ids index the caches (RotaryEmbedding refuses integer inputs to rotate).
  'RotaryEmbedding',
  // Choices between values (Clip, MaxPool) and moves with a constant fill (Pad): exact for integers.
  'Clip', 'MaxPool', 'Pad', 'BitShift', 'CenterCropPad',
  // Moves picked by integer positions, lengths and write indices (exact for every type).
  'ReverseSequence', 'TensorScatter', 'MaxUnpool',
  // batch_indices pick the image (RoiAlign reads X's rows there).
  'RoiAlign',
  'QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger',
  // A float base to an integer exponent (an integer base is refused by the extractor).
  'Pow',
  // Integer bits, as exact sums of powers of two (bitwise.ts).
  'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'BitCast',
  // Reads only its input's shape.
  'EyeLike',
  // A tensor as it is, or whether there is one.
  'Optional', 'OptionalGetElement', 'OptionalHasElement',
  // Slices picked by a constant condition (Compress, ArrayFeatureExtractor); the update count T
  // of the optimizer steps, compared with 0 and used as an exponent.
  'Compress', 'ArrayFeatureExtractor', 'Adagrad', 'Momentum', 'Adam',
]);

/** Ops that only move values (exact for every element type, float16 and bfloat16 included). */
const EXACT_MOVES: ReadonlySet<string> = new Set(['Identity', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Concat', 'Split', 'Slice', 'Gather', 'Expand', 'Tile', 'Dropout', 'If', 'Scan', 'Loop', 'DepthToSpace', 'SpaceToDepth', 'ScatterND', 'ScatterElements', 'Scatter', 'GatherElements', 'GatherND', 'TopK', 'Pad', 'CenterCropPad', 'ReverseSequence', 'TensorScatter', 'MaxUnpool',
  // BitCast gives values of its target type exactly (bitwise.ts).
  'BitCast', 'Optional', 'OptionalGetElement', 'Compress', 'ArrayFeatureExtractor']);

/** round_binary's parameters of each low-precision float type: significand bits, emin, emax. */
const LOW_PRECISION = { float16: [11, -14, 15], bfloat16: [8, -126, 127] } as const satisfies Partial<Record<DType, readonly number[]>>;

/** Options of `buildOnnxProgram`. */
export interface OnnxBuildOptions {
  /** Shapes that fix symbolic dimensions of graph inputs (--input-shape name:1x3x224x224). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  /**
   * Graph inputs fixed to constant values (--bind name=v1,v2,…): they fold as initializers do, so
   * an input that only sets a shape, axes or indices makes the graph static; predict no longer takes it.
   */
  readonly bind?: ReadonlyMap<string, readonly number[]>;
  /** Building the batch-of-three program of checkBatchIndependent (which is then not checked again). */
  readonly batchProbe?: boolean;
  /**
   * The tensor form: a symbolic dimension of an input that is not the batch stays open (-1, any
   * length T) instead of asking for --input-shape (one symbol across the inputs; see symbolic.ts).
   */
  readonly anyLength?: boolean;
  /** Inputs whose symbolic leading dimension is such a length rather than the batch (the batch check found it mixes samples). */
  readonly openLeading?: ReadonlySet<string>;
}

/**
 * Builds the tensor program of an ONNX model: every node becomes equations (one layer call per
 * node), values computable at build time (shape arithmetic, Constant) are folded. Unsupported
 * ops and unfixable input shapes are listed all at once before any work is done.
 */
export function buildOnnxProgram(model: OnnxModel, options: OnnxBuildOptions = {}): TensorProgram {
  const graph = model.graph;
  const file = model.file;
  const problems: string[] = [];
  const unknown = (nodes: readonly OnnxNode[]) => {
    for (const n of nodes) {
      if (n.opType === 'If' || bodyOp(n)) {
        for (const a of n.attributes.values()) if (a.type === 'graph') unknown(a.value.nodes);
      }
      if (!bodyOp(n) && !extractorOf(n)) problems.push(`'${n.name}' (${n.domain === 'ai.onnx' ? '' : `${n.domain}.`}${n.opType})`);
    }
  };
  unknown(graph.nodes);

  // Input shapes: a symbolic leading dimension is the batch, dropped from the tensor's shape.
  const given = options.inputShapes ?? new Map<string, readonly number[]>();
  for (const name of given.keys()) {
    if (!graph.inputs.some((i) => i.name === name)) {
      throw new Nn2eqError(`${file}: --input-shape names '${name}', which is not an input of the model`, 'usage', `inputs: ${graph.inputs.map((i) => i.name).join(', ')}`);
    }
  }
  const bind = options.bind ?? new Map<string, readonly number[]>();
  for (const name of bind.keys()) {
    if (!graph.inputs.some((i) => i.name === name)) {
      throw new Nn2eqError(`${file}: --bind names '${name}', which is not an input of the model`, 'usage', `inputs: ${graph.inputs.map((i) => i.name).join(', ')}`);
    }
  }
  let openSymbol: OpenLength | undefined;
  const shapes = graph.inputs.map((inp) => {
    const bound = bind.get(inp.name);
    if (bound) return { full: boundShape(file, inp, bound), batch: false };
    const fixed = given.get(inp.name);
    const dims = inp.dims;
    if (fixed) {
      if (dims && (dims.length !== fixed.length || dims.some((d, i) => typeof d === 'number' && d !== fixed[i]))) {
        throw new Nn2eqError(`${file}: --input-shape ${inp.name}:${fixed.join('x')} does not match the declared shape [${dims.map((d) => d ?? '?').join(', ')}]`, 'usage', 'give the declared shape with its symbolic dimensions fixed');
      }
      return { full: [...fixed], batch: false };
    }
    if (dims === null) {
      problems.push(`input '${inp.name}' has no declared shape (fix it with --input-shape ${inp.name}:AxBx…)`);
      return { full: [], batch: false };
    }
    const leadingOpen = options.openLeading?.has(inp.name) ?? false;
    const open = dims.map((d, i) => (typeof d === 'number' ? -1 : i)).filter((i) => i > 0 || (i === 0 && leadingOpen));
    if (open.length > 0 && options.anyLength && open.every((i) => dims[i] === dims[open[0]]) && (dims[open[0]] !== null || open.length === 1)) {
      const symbol = String(dims[open[0]] ?? '?');
      if (openSymbol === undefined || (openSymbol.symbol === symbol && dims[open[0]] !== null)) {
        openSymbol ??= { symbol, hint: `give the length with --input-shape ${inp.name}:${dims.map((d, i) => (typeof d === 'number' ? d : open.includes(i) ? 'N' : 1)).join('x')}` };
        const batch = dims.length > 0 && typeof dims[0] !== 'number' && !leadingOpen;
        return { full: dims.map((d, i) => (typeof d === 'number' ? d : open.includes(i) ? -1 : 1)), batch };
      }
    }
    if (open.length > 0) {
      problems.push(`input '${inp.name}' has symbolic dimension${open.length > 1 ? 's' : ''} in [${dims.map((d) => d ?? '?').join(', ')}] (fix ${open.length > 1 ? 'them' : 'it'} with --input-shape ${inp.name}:${dims.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : 'N')).join('x')})`);
    }
    const batch = dims.length > 0 && typeof dims[0] !== 'number';
    return { full: dims.map((d) => (typeof d === 'number' ? d : 1)), batch };
  });
  if (problems.length > 0) {
    throw new Nn2eqError(
      `${file}: ${problems.length} node${problems.length === 1 ? '' : 's'} or input${problems.length === 1 ? '' : 's'} nn2eq cannot convert: ${problems.join(', ')}`,
      'unsupported',
      problems.every((p) => p.startsWith('input ')) ? 'give every dimension a number with --input-shape' : `supported ONNX ops: ${Object.keys(ONNX_OPS).sort().join(', ')}`,
    );
  }

  const b = new ProgramBuilder();
  const values = new Map<string, Val>();
  for (const [name, t] of graph.initializers) values.set(name, initializer(t));
  const inputs: TensorPort[] = [];
  const calls: LayerCall[] = [];
  const fail0 = (m: string): never => {
    throw new Nn2eqError(`${file}: ${m}`);
  };
  let index = 0;
  graph.inputs.forEach((inp, k) => {
    const { full, batch } = shapes[k];
    const dtype = inp.elemType ?? 'float32';
    if (dtype === 'string') throw new Nn2eqError(`${file}: input '${inp.name}' holds strings, which take no part in a formula`, 'unsupported');
    const bound = bind.get(inp.name);
    if (bound) return values.set(inp.name, konst(full, boundValues(file, inp.name, dtype, bound), dtype));
    const t = b.input(batch ? full.slice(1) : full, index++, dtype);
    inputs.push({ name: inp.name, tensor: t });
    if (!batch) return values.set(inp.name, tensor(t, dtype));
    // Inside, every value keeps ONNX's full shape: the batch axis comes back as a leading 1.
    const from = b.equations.length;
    const full1 = b.apply('reshape', [t], { shape: full }, fail0, '_')[0];
    calls.push({ layer: inp.name, className: 'Input', node: 0, number: 0, at: 0, from, to: b.equations.length, outputs: [full1] });
    b.setDtype(full1, dtype);
    values.set(inp.name, tensor(full1, dtype));
  });
  const anyBatch = shapes.some((s) => s.batch);

  let number = 0;
  let at = 0;
  const total = countNodes(graph);
  const runGraph = (g: OnnxGraph, scope: Map<string, Val>) => {
    for (const node of g.nodes) {
      at++;
      const from = b.equations.length;
      b.layer = number + 1;
      const outs = runNode(node, scope);
      node.outputs.forEach((name, k) => {
        if (name !== '' && outs[k] !== undefined) scope.set(name, outs[k]);
      });
      const to = b.equations.length;
      if (to === from && outs.every((v) => v.kind === 'const')) continue;
      const computes = b.equations.slice(from, to).some((eq) => !(TOPS[eq.op] as TOpInfo).movement);
      if (computes) number++;
      const outputs = outs.filter((v): v is Extract<Val, { kind: 'tensor' }> => v.kind === 'tensor').map((v) => v.t);
      calls.push({ layer: node.name, className: node.opType, node: 0, number: computes ? number : 0, at, from, to, outputs });
    }
  };

  const runNode = (node: OnnxNode, scope: Map<string, Val>): Val[] => {
    const inputVals = node.inputs.map((name) => (name === '' ? undefined : scope.get(name)));
    // A node that meets the open length T: a refusal asks for T fixed (symbolic.ts).
    const meetsT = openSymbol !== undefined && inputVals.some((v) => isSymbolic(v) || (v?.kind === 'tensor' && v.t.shape.includes(-1)));
    const fail = (message: string, hint?: string): never => {
      throw new Nn2eqError(`${file}: node '${node.name}' (${node.opType}): ${message}`, 'unsupported', meetsT ? openSymbol!.hint : hint);
    };
    if (meetsT) {
      const sym = inputVals.findIndex(isSymbolic);
      if (sym >= 0 && !(node.opType === 'Reshape' && sym === 1 && inputVals.every((v, i) => i === 1 || !isSymbolic(v)))) {
        const folded = foldLinear(node, inputVals, (vals) => runNode1(node, scope, fail, vals));
        if (typeof folded === 'string') return fail(folded);
        return folded;
      }
      const problem = openAxisProblem(node, node.opset, inputVals);
      if (problem) return fail(`${problem}, which needs the length T fixed`);
    }
    if (!openSymbol) return runNode1(node, scope, fail);
    // Only T itself is a length of any length in the program: no tensor the node builds, on the way
    // to its outputs too, may have an axis of 2T (a flattening across the open axis).
    const before = b.tensors.length;
    const outs = runNode1(node, scope, fail);
    const merged = b.tensors.slice(before).find((t) => t.shape.some((d) => d < -1));
    if (merged) return fail(`builds a tensor of shape [${merged.shape.join(', ')}] that merges the sequence axis of any length with others, which needs its length T fixed`);
    return outs;
  };

  /** runNode's work, on the node's inputs from `scope` or `override` (a fold at one length T). */
  const runNode1 = (node: OnnxNode, scope: Map<string, Val>, fail: (message: string, hint?: string) => never, override?: readonly (Val | undefined)[]): Val[] => {
    const get = (i: number): Val => {
      if (override) return override[i] ?? fail(`input ${i + 1} is missing`);
      const name = node.inputs[i];
      if (name === undefined || name === '') return fail(`input ${i + 1} is missing`);
      const v = scope.get(name);
      if (!v) return fail(`input '${name}' is not computed by any earlier node`);
      return v;
    };
    // A graph attribute run in the node's scope: If's branch, Scan's body once per step, FlexAttention's
    // mod graphs; `bound` gives values to the body's own inputs.
    const runBody = (body: OnnxGraph, bound: ReadonlyMap<string, Val>, what = 'body'): Val[] => {
      const inner = new Map(scope);
      for (const [name, t] of body.initializers) inner.set(name, initializer(t));
      for (const [name, v] of bound) inner.set(name, v);
      runGraph(body, inner);
      return body.outputs.map((o) => inner.get(o.name) ?? fail(`the ${what} does not compute its output '${o.name}'`));
    };
    if (node.opType === 'If') {
      const c = get(0);
      const branchOf = (key: string) => {
        const branch = node.attributes.get(key);
        return branch?.type === 'graph' ? branch.value : fail('a branch is missing');
      };
      if (c.kind === 'const') return runBody(branchOf(c.values[0] !== 0 ? 'then_branch' : 'else_branch'), new Map(), 'branch');
      return ifComputed(c, runBody(branchOf('then_branch'), new Map(), 'then branch'), runBody(branchOf('else_branch'), new Map(), 'else branch'), b, fail);
    }
    const ctx: OnnxContext = {
      node,
      model,
      opset: node.opset,
      builder: b,
      has: (i) => node.inputs[i] !== undefined && node.inputs[i] !== '',
      val: get,
      tensor: tensorOf(get, (role, dims, values) => b.constant(role, dims, values)),
      constant(i, what) {
        const v = get(i);
        if (v.kind !== 'const') {
          const name = node.inputs[i];
          const hint = graph.inputs.some((inp) => inp.name === name) ? `fix it when converting with --bind ${name}=v1,v2,…, or make it an initializer of the model` : 'nn2eq needs it fixed when the formula is written; make it an initializer of the model';
          return fail(`its ${what} (input '${name}') is not constant: it depends on the model's inputs`, hint);
        }
        return v;
      },
      dtype: (i) => dtypeOfVal(get(i)),
      shape: (i) => {
        const v = get(i);
        return v.kind === 'const' ? v.dims : v.t.shape;
      },
      ...builderOps(b, fail),
      fail,
    };
    const outs = bodyOp(node)?.(ctx, runBody) ?? extractorOf(node)!(ctx);
    // Computed integer and bool values reach only the ops that print their arithmetic exactly (after
    // the extractor ran, so an input it needs constant is refused for that reason first).
    if (!TYPED_OPS.has(node.opType)) {
      node.inputs.forEach((name) => {
        const v = name === '' ? undefined : scope.get(name);
        if (v?.kind === 'tensor' && !isFloat(dtypeOfVal(v))) fail(`computes with the ${dtypeOfVal(v)} value '${name}', and nn2eq prints ${node.opType} only for floating-point values`, `nn2eq prints integer and bool arithmetic exactly for ${[...TYPED_OPS].sort().join(', ')}`);
      });
    }
    // An output the extractor did not type has its first input's type (Where: its first choice's).
    const first = node.inputs[node.opType === 'Where' ? 1 : 0];
    const fallback = first !== undefined && first !== '' && scope.has(first) ? dtypeOfVal(scope.get(first)!) : 'float32';
    return outs.map((v) => {
      if (v.kind === 'const') return v;
      const dtype = v.dtype ?? fallback;
      if ((SMALL_FLOATS[dtype] || dtype === 'float8e8m0') && !EXACT_MOVES.has(node.opType) && node.opType !== 'Cast' && node.opType !== 'CastLike' && node.opType !== 'QuantizeLinear') {
        return fail(`computes ${dtype} values; nn2eq casts and quantizes to ${dtype} (Cast, CastLike, QuantizeLinear) and moves such values, but computes with them only after a cast to a wider float type`, 'cast to float16 or float32 first');
      }
      if ((dtype === 'float16' || dtype === 'bfloat16') && !EXACT_MOVES.has(node.opType)) {
        // ONNX rounds to the low-precision type after every op: the op's result, computed in float64, is rounded once.
        const r = b.apply('map', [v.t], { fn: 'round_binary', params: LOW_PRECISION[dtype] }, fail, 'h')[0];
        b.setDtype(r, dtype);
        return tensor(r, dtype);
      }
      b.setDtype(v.t, dtype);
      return v.dtype ? v : tensor(v.t, dtype);
    });
  };

  runGraph(graph, values);

  const outputs: TensorPort[] = graph.outputs.map((o) => {
    const v = values.get(o.name);
    if (!v) throw new Nn2eqError(`${file}: the graph output '${o.name}' is computed by no node`, 'input');
    let t: T;
    if (isSymbolic(v)) throw new Nn2eqError(`${file}: the graph output '${o.name}' is computed from the sequence length T of any length`, 'unsupported', openSymbol?.hint);
    if (v.kind === 'tensor') t = v.t;
    else {
      // A constant output is still computed by an equation, so every emitter prints it as a value.
      b.layer = ++number;
      const from = b.equations.length;
      t = b.apply('map', [b.constant('c', v.dims, v.values)], { fn: 'linear', params: [] }, fail0, 'h')[0];
      calls.push({ layer: o.name, className: 'Constant', node: 0, number, at: total, from, to: b.equations.length, outputs: [t] });
    }
    const declaredBatch = o.dims === null || o.dims.length === 0 || typeof o.dims[0] !== 'number';
    if (anyBatch && declaredBatch && t.shape.length > 0 && t.shape[0] === 1) {
      b.layer = number;
      const from = b.equations.length;
      t = b.apply('reshape', [t], { shape: t.shape.slice(1) }, fail0, '_')[0];
      calls.push({ layer: o.name, className: 'Output', node: 0, number: 0, at: total, from, to: b.equations.length, outputs: [t] });
    }
    return { name: o.name, tensor: t };
  });
  const name = graph.name || model.file.replace(/^.*[\\/]/, '').replace(/\.onnx$/, '');
  const quantized = graph.nodes.some((n) => n.domain === 'ai.onnx' && n.opType in quantizeOps);
  const open = openSymbol !== undefined && inputs.some((p) => p.tensor.shape.includes(-1));
  const program: TensorProgram = { tensors: b.tensors, equations: b.equations, inputs, outputs, calls, layerCount: total, modelName: name, file, ...(quantized ? { notes: [QUANTIZED_NOTE] } : {}), ...(open ? { fixLength: openSymbol!.hint } : {}) };
  if (anyBatch && !options.batchProbe) {
    const batched = graph.inputs.flatMap((inp, k) => (shapes[k].batch ? [{ name: inp.name, full: shapes[k].full }] : []));
    try {
      checkBatchIndependent(model, program, batched, (fixed) => buildOnnxProgram(model, { ...options, inputShapes: new Map([...(options.inputShapes ?? []), ...fixed]), batchProbe: true }));
    } catch (e) {
      // The tensor form: a symbolic leading axis that mixes the samples is a sequence axis (PyTorch's
      // layout without batch_first, [T, N, …]), of any length when the rest of the model allows it.
      if (!(options.anyLength && !options.openLeading && e instanceof Nn2eqError)) throw e;
      const leading = new Set(batched.map((x) => x.name));
      try {
        return buildOnnxProgram(model, { ...options, openLeading: leading });
      } catch {
        throw e;
      }
    }
  }
  return program;
}

/**
 * If on a computed condition: both branches are built, and each output chooses between them
 * element by element (the `where` function: a choice, so a NaN or infinity of the branch not taken
 * never reaches the result). Exact when the branches give outputs of one static shape and type.
 */
function ifComputed(c: Extract<Val, { kind: 'tensor' }>, thens: readonly Val[], elses: readonly Val[], b: ProgramBuilder, fail: (message: string, hint?: string) => never): Val[] {
  const hint = 'export the model for one branch (trace it instead of scripting it)';
  if (sizeOf(c.t.shape) !== 1) return fail(`its condition has shape [${c.t.shape.join(', ')}], expected one value`);
  if (thens.length !== elses.length) return fail(`its branches give ${thens.length} and ${elses.length} outputs; the condition depends on the inputs, so both must give the same`, hint);
  // The one value as a tensor of 1s of the output's rank, which every format broadcasts as an element-wise argument.
  const conds = new Map<number, T>();
  const condOf = (rank: number) => {
    const shape = new Array<number>(rank).fill(1);
    const same = c.t.shape.length === rank;
    if (!conds.has(rank)) conds.set(rank, same ? c.t : b.apply('reshape', [c.t], { shape }, fail, '_')[0]);
    return conds.get(rank)!;
  };
  const asTensor = (v: Val) => (v.kind === 'tensor' ? v.t : b.constant('c', v.dims, v.values));
  return thens.map((x, k) => {
    const y = elses[k];
    const [sx, sy] = [x, y].map((v) => (v.kind === 'const' ? v.dims : v.t.shape));
    const [dx, dy] = [dtypeOfVal(x), dtypeOfVal(y)];
    if (sx.length !== sy.length || sx.some((d, i) => d !== sy[i]) || dx !== dy) {
      return fail(`the condition depends on the inputs, and output ${k + 1} of its branches differs (${dx}[${sx.join(', ')}] and ${dy}[${sy.join(', ')}]); nn2eq chooses between branches whose outputs have one shape and type`, hint);
    }
    const t = b.apply('map', [condOf(sx.length), asTensor(x), asTensor(y)], { fn: 'where', params: [] }, fail, 'h')[0];
    b.setDtype(t, dx);
    return tensor(t, dx);
  });
}

/** The shape of a --bind input: its declared one, a single symbolic dimension taken from the count of values. */
function boundShape(file: string, inp: OnnxGraph['inputs'][number], values: readonly number[]): number[] {
  const dims = inp.dims ?? [values.length];
  const open = dims.filter((d) => typeof d !== 'number').length;
  const known = dims.reduce<number>((n, d) => n * (typeof d === 'number' ? d : 1), 1);
  const full = dims.map((d) => (typeof d === 'number' ? d : open === 1 && known > 0 ? values.length / known : NaN));
  const count = full.reduce((n, d) => n * d, 1);
  if (open > 1 || !Number.isInteger(count) || count !== values.length) {
    const shape = `[${dims.map((d) => (typeof d === 'number' ? d : '?')).join(', ')}]`;
    throw new Nn2eqError(`${file}: --bind ${inp.name} gives ${values.length} value${values.length === 1 ? '' : 's'}, but input '${inp.name}' has shape ${shape}`, 'usage', open > 1 ? `fix its dimensions with --input-shape ${inp.name}:AxB…` : `give ${open ? 'a multiple of ' : ''}${known} comma-separated values`);
  }
  return full;
}

/** The values of a --bind input, checked against its element type. */
function boundValues(file: string, name: string, dtype: DType, values: readonly number[]): number[] {
  const fits = (v: number) => (isFloat(dtype) ? Number.isFinite(v) : dtype === 'bool' ? v === 0 || v === 1 : Number.isInteger(v) && v >= intRange(dtype)[0] && v <= intRange(dtype)[1]);
  const bad = values.find((v) => !fits(v));
  if (bad !== undefined) throw new Nn2eqError(`${file}: --bind ${name}=${values.join(',')}: ${bad} is not a value of the input's type ${dtype}`, 'usage', isFloat(dtype) ? 'give finite numbers' : dtype === 'bool' ? 'give 0 or 1' : 'give whole numbers in its range');
  return [...values];
}

function countNodes(g: OnnxGraph): number {
  return g.nodes.length;
}

/** An initializer as a folded value of its element type. */
function initializer(t: OnnxTensor): Const {
  if (t.dtype === 'string') throw new Nn2eqError(`initializer '${t.name}' holds strings, which take no part in a formula`, 'unsupported');
  return konst(t.dims, floatValuesOf(t.values), t.dtype);
}

/** A decoded tensor's values as float64 (bools 0/1, int64 exactly up to 2^53). */
export function floatValuesOf(values: Const['values'] | ArrayLike<number | bigint> | string[]): Float64Array {
  if (Array.isArray(values) && typeof values[0] === 'string') throw new Nn2eqError('a string tensor cannot take part in a formula', 'unsupported');
  // A typed array of numbers converts in one native copy (a mapping callback per value took seconds on 19M weights).
  if (ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) return new Float64Array(values as unknown as ArrayLike<number>);
  return Float64Array.from(values as ArrayLike<number | bigint>, (v) => Number(v));
}

/**
 * The ModelSpec the shared pipeline reads for an ONNX model: its name, files and warnings, and
 * one pseudo-layer per layer call (op type as class name; no weights, the program holds them).
 */
export function onnxModelSpec(model: OnnxModel, program: TensorProgram, bound?: ReadonlyMap<string, readonly number[]>): ModelSpec {
  const spec: ModelSpec = {
    file: model.file,
    name: program.modelName,
    kerasMajor: 0,
    layers: program.calls.map((c) => ({ name: c.layer, className: c.className, config: {}, inbound: [], weights: new Map() })),
    inputs: [],
    outputs: [],
    sources: model.sources,
    warnings: model.warnings,
  };
  rememberOnnxSource(spec, model, program, bound);
  return spec;
}
