import { Nn2eqError } from '../../errors.js';
import type { OnnxAttribute, OnnxModel, OnnxNode } from '../../load/onnx/types.js';
import type { ModelSpec } from '../../load/spec.js';
import type { TfGraphModel, TfNode } from '../../load/tfgraph.js';
import { ProgramBuilder } from '../../tensor/builder.js';
import { TOPS, type TOpInfo } from '../../tensor/ops.js';
import type { LayerCall, T, TensorPort, TensorProgram } from '../../tensor/program.js';
import { ONNX_OPS, type OnnxContext } from '../onnx/index.js';
import { builderOps, dtypeOfVal, konst, tensor, tensorOf, type Val } from '../onnx/context.js';
import { asDType, type TfContext, type TfExtractor } from './context.js';
import { TF_OPS } from './ops.js';
import { rememberTfSource } from './source.js';

export { TF_OPS } from './ops.js';

/** Options of `buildTfProgram`. */
export interface TfBuildOptions {
  /** Full shapes for inputs whose declared shape has unknown dimensions (--input-shape name:1x224x224x3). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
}

/** The node name and output index of a tensor name ('n' is 'n:0'). */
function split(name: string): [string, number] {
  // Stryker disable next-line Regex: without ^ the greedy (.*) still matches from the start; without $ only a name with non-digits after ':digits' reads otherwise, and TF's names have no ':' (tf-extract-edges kills (\d) for \d+: output 'sp:10')
  const m = /^(.*):(\d+)$/.exec(name);
  return m ? [m[1], Number(m[2])] : [name, 0];
}

/** The dtype a node's output has, from its attributes (T, dtype, DstT, out_type). */
function outDtype(node: TfNode, inputs: readonly string[]): string {
  // Stryker disable next-line StringLiteral: 'Tparams' (GatherV2, GatherNd) names the dtype of the op's first input, params, which the fallback below reads anyway (the line's other names are each killed by tf-extract-edges)
  for (const k of ['DstT', 'out_type', 'output_type', 'dtype', 'T', 'Tparams']) {
    const a = node.attrs.get(k);
    if (a?.kind === 'type') return a.value;
  }
  // Stryker disable next-line StringLiteral: only a node without inputs and without a type attribute reaches it, and TF's only such ops (Const, Placeholder) must declare dtype
  return inputs[0] ?? 'float32';
}

/** Name order of two distinct names (a Map's keys). */
// Stryker disable next-line EqualityOperator,ConditionalExpression: the names are distinct, so < and <= agree, and V8's sort only asks whether the result is below 0, so 1 or 0 for a > b give the same order (checked on 5000 random keys)
const nameOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Nodes in an order where every node comes after the nodes it reads (Kahn's algorithm, no recursion). */
function topological(model: TfGraphModel): TfNode[] {
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  const pending = new Map<string, number>();
  const readers = new Map<string, TfNode[]>();
  for (const n of model.nodes) {
    const deps = new Set(n.inputs.map((i) => split(i)[0]).filter((d) => byName.has(d)));
    pending.set(n.name, deps.size);
    for (const d of deps) {
      // Stryker disable next-line ArrayDeclaration: a non-node in a new readers list has no name, so its pending count never reaches 0: it changes no order
      const list = readers.get(d) ?? [];
      list.push(n);
      readers.set(d, list);
    }
  }
  const order: TfNode[] = [];
  const ready = model.nodes.filter((n) => pending.get(n.name) === 0);
  for (let i = 0; i < ready.length; i++) {
    const n = ready[i];
    order.push(n);
    // Stryker disable next-line ArrayDeclaration: a non-node read from an empty list has no name, so its pending count never reaches 0: it changes no order
    for (const r of readers.get(n.name) ?? []) {
      const left = pending.get(r.name)! - 1;
      pending.set(r.name, left);
      if (left === 0) ready.push(r);
    }
  }
  if (order.length !== model.nodes.length) {
    const stuck = model.nodes.filter((n) => pending.get(n.name)! > 0).slice(0, 3).map((n) => `'${n.name}' (${n.op})`);
    throw new Nn2eqError(`${model.file}: the graph has a cycle through ${stuck.join(', ')}`, 'unsupported', 'graphs with loops (While) are not converted');
  }
  return order;
}

/** The nodes the outputs need (walking inputs back from them), as a set of names. */
function needed(model: TfGraphModel): Set<string> {
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const stack = model.outputs.map((o) => split(o.tensor)[0]);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    // Stryker disable next-line ArrayDeclaration: a name that is no node marks nothing the walk asks about
    for (const i of byName.get(n)?.inputs ?? []) stack.push(split(i)[0]);
  }
  return seen;
}

/**
 * Builds the tensor program of a TF.js graph model: every node the outputs need becomes
 * equations (one layer call per node); constants and shape arithmetic are folded. Unsupported
 * ops are listed all at once, with their counts, before any work is done.
 */
export function buildTfProgram(model: TfGraphModel, options: TfBuildOptions = {}): TensorProgram {
  const file = model.file;
  const use = needed(model);
  const known = new Set(model.nodes.map((n) => n.name));
  // Unsupported ops are listed before ordering: a v1 while loop (Enter, Merge, NextIteration) is a cycle.
  const unknown = new Map<string, number>();
  for (const n of model.nodes.filter((m) => use.has(m.name))) if (!TF_OPS[n.op] && n.op !== 'Placeholder') unknown.set(n.op, (unknown.get(n.op) ?? 0) + 1);
  const problems: string[] = [];
  if (unknown.size > 0) {
    problems.push(
      `${[...unknown.values()].reduce((a, b) => a + b, 0)} node${[...unknown.values()].reduce((a, b) => a + b, 0) === 1 ? '' : 's'} of ${unknown.size} op${unknown.size === 1 ? '' : 's'} nn2eq cannot convert: ${[...unknown].sort(([a], [b]) => nameOrder(a, b)).map(([op, k]) => `${op} ×${k}`).join(', ')}`,
    );
  }
  // Stryker disable next-line ArrayDeclaration: with unsupported ops the problems below throw before the nodes are read
  const nodes = unknown.size > 0 ? [] : topological(model).filter((n) => use.has(n.name));
  const given = options.inputShapes ?? new Map<string, readonly number[]>();
  for (const name of given.keys()) {
    if (!model.inputs.some((i) => i.name === name)) throw new Nn2eqError(`${file}: --input-shape names '${name}', which is not an input of the model`, 'usage', `inputs: ${model.inputs.map((i) => i.name).join(', ')}`);
  }
  // A leading -1 (or 1) of a rank ≥ 2 input is the batch: dropped from the program's input, kept as 1 inside.
  const shapes = model.inputs.map((inp) => {
    const fixed = given.get(inp.name);
    if (fixed) return { full: [...fixed], batch: false };
    const dims = inp.dims;
    if (dims === null) {
      problems.push(`input '${inp.name}' has no declared shape (fix it with --input-shape ${inp.name}:AxBx…)`);
      // Stryker disable next-line ObjectLiteral,ArrayDeclaration,BooleanLiteral: a problem was just listed, so the walk throws before this shape is read
      return { full: [], batch: false };
    }
    const batch = dims.length >= 2 && (dims[0] === -1 || dims[0] === 1);
    const open = dims.map((d, i) => (d < 0 && !(i === 0 && batch) ? i : -1)).filter((i) => i >= 0);
    if (open.length > 0) problems.push(`input '${inp.name}' has unknown dimensions in [${dims.join(', ')}] (fix them with --input-shape ${inp.name}:${dims.map((d, i) => (d >= 0 ? d : i === 0 ? 1 : 'N')).join('x')})`);
    return { full: dims.map((d) => (d < 0 ? 1 : d)), batch };
  });
  if (problems.length > 0) {
    throw new Nn2eqError(`${file}: ${problems.join('; ')}`, 'unsupported', unknown.size > 0 ? 'control flow and data-dependent ops have no fixed formula; see the README for the TF ops nn2eq maps' : 'give every dimension a number with --input-shape');
  }

  const b = new ProgramBuilder();
  const values = new Map<string, Val>();
  const dtypes = new Map<string, string>();
  const calls: LayerCall[] = [];
  // Stryker disable next-line BlockStatement: fail0 is the builder's refusal of the batch axis's reshapes and a constant output's copy, which never fail (same element count, a map of one constant)
  const fail0 = (m: string): never => {
    // Stryker disable next-line StringLiteral,CallExpression: never thrown (see above)
    throw new Nn2eqError(`${file}: ${m}`);
  };
  const inputs: TensorPort[] = [];
  // Stryker disable next-line ArrayDeclaration: only the map's size is read (whether the signature lists inputs)
  const inputByTensor = new Map(model.inputs.map((p, i) => [p.tensor, i]));
  model.inputs.forEach((inp, index) => {
    const { full, batch } = shapes[index];
    const t = b.input(batch ? full.slice(1) : full, index);
    inputs.push({ name: inp.name, tensor: t });
    let v = t;
    if (batch) {
      const from = b.equations.length;
      v = b.apply('reshape', [t], { shape: full }, fail0, '_')[0];
      calls.push({ layer: inp.name, className: 'Input', node: 0, number: 0, at: 0, from, to: b.equations.length, outputs: [v] });
    }
    // The Placeholder's output 0, whether the port spells it 'x' (as the loader does) or 'x:0'.
    // Stryker disable next-line Regex: TF's node names hold no ':', so ':0' can only end the name
    const key = `${inp.tensor.replace(/:0$/, '')}:0`;
    values.set(key, tensor(v));
    // Stryker disable next-line StringLiteral,CallExpression: a value's dtype is read only by isInt (ops.ts) and outDtype's fallback, where '' (or no entry: the fallback 'float32') reads as float32 does
    dtypes.set(key, 'float32');
  });
  const anyBatch = shapes.some((s) => s.batch);
  const stub = { file, graph: { initializers: new Map() } } as unknown as OnnxModel;

  let number = 0;
  let at = 0;
  for (const node of nodes) {
    at++;
    // A PlaceholderWithDefault the signature feeds is an input; otherwise it passes its default on (TF_OPS).
    // Stryker disable next-line ConditionalExpression: before its node is walked, values holds a node's output 0 only when an input port feeds it (a Placeholder or PlaceholderWithDefault), so the op test in the parentheses changes nothing (the line's other conditions are killed by tf-extract-records)
    if (node.op === 'Placeholder' || (node.op === 'PlaceholderWithDefault' && values.has(`${node.name}:0`))) {
      if (!values.has(`${node.name}:0`)) {
        // Stryker disable next-line ConditionalExpression,EqualityOperator: the loader refuses a graph without inputs, so the signature always lists some here
        if (inputByTensor.size > 0) throw new Nn2eqError(`${file}: the Placeholder '${node.name}' is read by the outputs but is not an input of the signature`, 'input', 'the signature does not list every input the outputs need');
      }
      continue;
    }
    const fail = (message: string, hint?: string): never => {
      throw new Nn2eqError(`${file}: node '${node.name}' (${node.op}): ${message}`, 'unsupported', hint);
    };
    const inNames = node.inputs.map((n) => {
      const [src, k] = split(n);
      return `${src}:${k}`;
    });
    const get = (i: number): Val => {
      const name = inNames[i];
      if (name === undefined) return fail(`input ${i + 1} is missing`);
      const v = values.get(name);
      if (!v) return fail(known.has(split(name)[0]) ? `input '${name}' is not an output of its node` : `reads '${node.inputs[i]}', which is no node of the graph`, 'the model.json is damaged or was edited by hand');
      return v;
    };
    const asTensor = (v: Val, role: string): T => (v.kind === 'tensor' ? v.t : b.constant(role, v.dims, v.values));
    const from = b.equations.length;
    const ops = builderOps(b, fail);
    b.layer = number + 1;
    const onnxCtx = (opType: string, args: readonly (Val | null)[], attrs: Record<string, OnnxAttribute>, opset: number): OnnxContext => {
      // The node an ONNX builder reads: the builders the TF extractors call read its inputs' count
      // (Einsum) and attributes, never the names, domain or outputs (the ops that read their outputs
      // - Split, MaxPool, BatchNormalization, LSTM, SoftmaxCrossEntropyLoss - are never called from TF).
      // Stryker disable next-line StringLiteral,ArrowFunction,ConditionalExpression: no builder reads the names, and no TF extractor passes a null argument (each passes ctx.val or a konst)
      const names = args.map((a, i) => (a ? `#${i}` : ''));
      // Stryker disable next-line StringLiteral,ArrayDeclaration: name, domain and outputs are not read (above)
      const onode: OnnxNode = { name: node.name, opType, domain: 'ai.onnx', opset, inputs: names, outputs: ['#out'], attributes: new Map(Object.entries(attrs)) };
      // Stryker disable next-line StringLiteral,ArithmeticOperator: never thrown: the TF extractors pass every input the ONNX builder reads without asking has(i) first
      const argAt = (i: number): Val => args[i] ?? fail(`input ${i + 1} is missing`);
      return {
        node: onode,
        model: stub,
        opset,
        builder: b,
        // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator: no TF extractor passes a null argument, so undefined is the one way an argument is missing
        has: (i) => args[i] !== undefined && args[i] !== null,
        val: argAt,
        dtype: (i) => dtypeOfVal(argAt(i)),
        tensor: (i, role = 'c') => asTensor(argAt(i), role),
        constant(i, what) {
          const v = argAt(i);
          // Stryker disable next-line StringLiteral,ConditionalExpression: never thrown: each TF extractor checks the arguments ONNX's builders need constant itself (ctx.constant, with the TF input's name) or passes a konst
          if (v.kind !== 'const') return fail(`its ${what} is not constant: it depends on the model's inputs`, 'nn2eq needs it fixed when the formula is written');
          return v;
        },
        shape: (i) => {
          const v = argAt(i);
          return v.kind === 'const' ? v.dims : v.t.shape;
        },
        ...ops,
        fail,
      };
    };
    const ctx: TfContext = {
      node,
      arity: node.inputs.length,
      val: get,
      tensor: tensorOf(get, (role, dims, values) => b.constant(role, dims, values)),
      constant(i, what) {
        const v = get(i);
        if (v.kind !== 'const') return fail(`its ${what} (input '${node.inputs[i]}') is not constant: it depends on the model's inputs`, 'nn2eq needs it fixed when the formula is written');
        return v;
      },
      shape: (i) => {
        const v = get(i);
        return v.kind === 'const' ? v.dims : v.t.shape;
      },
      // Stryker disable next-line StringLiteral: its one reader (ops.ts's binary) asks after ctx.val(0) found the value, which has a dtype; and isInt reads '' as float32
      dtype: (i) => dtypes.get(inNames[i]) ?? 'float32',
      attr: (name) => node.attrs.get(name),
      int: (name, fallback) => {
        const a = node.attrs.get(name);
        return a?.kind === 'i' ? a.value : fallback;
      },
      float: (name, fallback) => {
        const a = node.attrs.get(name);
        return a?.kind === 'f' ? a.value : fallback;
      },
      bool: (name, fallback) => {
        const a = node.attrs.get(name);
        return a?.kind === 'b' ? a.value : fallback;
      },
      str: (name, fallback) => {
        const a = node.attrs.get(name);
        return a?.kind === 's' ? a.value : fallback;
      },
      ints: (name) => {
        const a = node.attrs.get(name);
        return a?.kind === 'list' ? a.value.map((x) => Number(x)) : undefined;
      },
      strs: (name) => {
        const a = node.attrs.get(name);
        return a?.kind === 'list' ? a.value.map((x) => String(x)) : undefined;
      },
      onnx: (opType, args, attrs = {}, opset = 13) => {
        const run = ONNX_OPS[opType];
        // Stryker disable next-line StringLiteral,ConditionalExpression: never thrown: every op name the TF extractors pass is in ONNX_OPS (each is run by the op-family tests)
        if (!run) return fail(`(internal) no ONNX builder '${opType}'`);
        return run(onnxCtx(opType, args, attrs, opset));
      },
      ...ops,
      fail,
    };
    let outs: Val[];
    if (node.op === 'Const') {
      const c = model.consts.get(node.name) ?? fail('has no value: it is in neither the weight manifest nor the GraphDef', 'the weight files do not belong to this model.json');
      // Stryker disable next-line StringLiteral: the dtype is replaced below by the Const's own (its dtype attribute), as every folded output's is
      outs = [konst(c.dims, c.values, 'float32')];
    } else {
      outs = (TF_OPS[node.op] as TfExtractor)(ctx);
    }
    // Stryker disable next-line StringLiteral: the node's inputs were read (ctx.val), so each has a dtype; and '' reads as float32 wherever a dtype is read
    const dt = outDtype(node, inNames.map((n) => dtypes.get(n) ?? 'float32'));
    outs.forEach((v, k) => {
      // Stryker disable next-line ConditionalExpression,StringLiteral: out_type is int32 or int64, which fold alike for any dimension (below 2^31; ops.ts folds every integer type in int32), so reading int32 for it changes no value (the line's true, reading the input's float32 for a Shape without out_type, is killed by tf-extract-records)
      const declared = node.attrs.get('out_type')?.kind === 'type';
      const type = node.op === 'Shape' || node.op === 'Size' ? (declared ? dt : 'int32') : dt;
      // A folded output carries its TF dtype, so ONNX's builders downstream fold it in that type's arithmetic.
      values.set(`${node.name}:${k}`, v.kind === 'const' ? konst(v.dims, v.values, asDType(type)) : v);
      dtypes.set(`${node.name}:${k}`, type);
    });
    const to = b.equations.length;
    // Stryker disable next-line ConditionalExpression: an extractor that returns only constants folded them and wrote no equations, so to === from holds whenever the rest does (the condition's false, which makes every folded node a call, is killed by tf-extract-records)
    if (to === from && outs.every((v) => v.kind === 'const')) continue;
    const computes = b.equations.slice(from, to).some((eq) => !(TOPS[eq.op] as TOpInfo).movement);
    if (computes) number++;
    const outputs = outs.filter((v): v is Extract<Val, { kind: 'tensor' }> => v.kind === 'tensor').map((v) => v.t);
    calls.push({ layer: node.name, className: node.op, node: 0, number: computes ? number : 0, at, from, to, outputs });
  }

  const total = nodes.length;
  const outputs: TensorPort[] = model.outputs.map((o) => {
    const [src, k] = split(o.tensor);
    const v = values.get(`${src}:${k}`);
    if (!v) throw new Nn2eqError(`${file}: the output '${o.name}' (${o.tensor}) is computed by no node`, 'input');
    let t: T;
    if (v.kind === 'tensor') t = v.t;
    else {
      // A constant output is still computed by an equation, so every emitter prints it as a value.
      b.layer = ++number;
      const from = b.equations.length;
      t = b.apply('map', [b.constant('c', v.dims, v.values)], { fn: 'linear', params: [] }, fail0, 'h')[0];
      calls.push({ layer: o.name, className: 'Const', node: 0, number, at: total, from, to: b.equations.length, outputs: [t] });
    }
    if (anyBatch && t.shape.length > 1 && t.shape[0] === 1) {
      b.layer = number;
      const from = b.equations.length;
      t = b.apply('reshape', [t], { shape: t.shape.slice(1) }, fail0, '_')[0];
      calls.push({ layer: o.name, className: 'Output', node: 0, number: 0, at: total, from, to: b.equations.length, outputs: [t] });
    }
    return { name: o.name, tensor: t };
  });
  // The file's names, in the order of the formula's inputs and outputs.
  const shape = (t: T) => `[${t.shape.join(', ')}]`;
  const legend = `inputs in order: ${inputs.map((p) => `${p.name} ${shape(p.tensor)}`).join(', ')}; outputs in order: ${outputs.map((p) => `${p.name} ${shape(p.tensor)}`).join(', ')}`;
  return { tensors: b.tensors, equations: b.equations, inputs, outputs, calls, layerCount: total, modelName: model.name, file, notes: [legend], namedPorts: true };
}

/** The float weights a node reads (its Const inputs; integer Consts are shapes and axes), by input name. */
function weightsOf(model: TfGraphModel, name: string): Map<string, { name: string; shape: readonly number[]; values: Float32Array }> {
  const out = new Map<string, { name: string; shape: readonly number[]; values: Float32Array }>();
  const node = model.nodes.find((n) => n.name === name);
  // Stryker disable next-line ArrayDeclaration: a layer named by no node (a signature output's own name) has no inputs; a made-up input name is no constant either
  for (const input of node?.inputs ?? []) {
    const src = split(input)[0];
    const c = model.consts.get(src);
    if (c && !/int|bool/.test(c.dtype)) out.set(src, { name: src, shape: c.dims, values: Float32Array.from(c.values) });
  }
  return out;
}

/**
 * The ModelSpec the shared pipeline reads for a graph model: its name, files and warnings, and one
 * pseudo-layer per layer call (the TF op as class name; the program holds the weights).
 */
export function tfModelSpec(model: TfGraphModel, program: TensorProgram): ModelSpec {
  const spec: ModelSpec = {
    file: model.file,
    format: 'tfjs',
    name: program.modelName,
    kerasMajor: 0,
    layers: program.calls.map((c) => ({ name: c.layer, className: c.className, config: {}, inbound: [], weights: weightsOf(model, c.layer) })),
    inputs: [],
    outputs: [],
    sources: model.sources,
    warnings: model.warnings,
  };
  rememberTfSource(spec, model, program);
  return spec;
}
