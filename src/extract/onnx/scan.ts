import { attribute, attrInt, attrInts } from '../../load/onnx/attributes.js';
import type { OnnxGraph } from '../../load/onnx/types.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { axisOf, dimsOf, dtypeOfVal, konst, tensor, type OnnxContext, type Val } from './context.js';

/** Runs a body graph in the node's scope with its inputs bound (names → values); its outputs in order. */
export type RunBody = (body: OnnxGraph, bound: ReadonlyMap<string, Val>) => Val[];

/** Element `at` of `axis`, the axis dropped: folded on a constant, slice and reshape on a tensor. */
function take(ctx: OnnxContext, v: Val, axis: number, at: number): Val {
  const dims = dimsOf(v);
  const shape = dims.filter((_, i) => i !== axis);
  if (v.kind === 'const') {
    const inner = sizeOf(dims.slice(axis + 1));
    const outer = sizeOf(dims.slice(0, axis));
    const out = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) out.set(v.values.subarray((o * dims[axis] + at) * inner, (o * dims[axis] + at + 1) * inner), o * inner);
    return konst(shape, out, v.dtype);
  }
  const s = ctx.op('slice', [v.t], { begin: dims.map((_, i) => (i === axis ? at : 0)), end: dims.map((d, i) => (i === axis ? at + 1 : d)) }, '_')[0];
  return tensor(ctx.reshape(s, shape, '_'), v.dtype);
}

/** The values stacked along a new axis `axis`. */
export function stack(ctx: OnnxContext, vs: readonly Val[], axis: number): Val {
  const dims = dimsOf(vs[0]);
  const shape = [...dims.slice(0, axis), 1, ...dims.slice(axis)];
  const dtype = dtypeOfVal(vs[0]);
  if (vs.every((v) => v.kind === 'const')) {
    const outer = sizeOf(dims.slice(0, axis));
    const inner = sizeOf(dims.slice(axis));
    const out = new Float64Array(outer * inner * vs.length);
    vs.forEach((v, k) => {
      for (let o = 0; o < outer; o++) out.set((v as { values: Float64Array }).values.subarray(o * inner, (o + 1) * inner), (o * vs.length + k) * inner);
    });
    return konst([...dims.slice(0, axis), vs.length, ...dims.slice(axis)], out, dtype);
  }
  const parts: T[] = vs.map((v) => ctx.reshape(v.kind === 'const' ? ctx.const('c', v.dims, v.values) : v.t, shape));
  return tensor(parts.length === 1 ? parts[0] : ctx.op('concat', parts, { axis }, 'h')[0], dtype);
}

/**
 * Scan (onnx/reference/ops/op_scan.py), unrolled: the body runs once per element of the scan axis
 * (its length is static), on the state values and that element of each scan input (forward or
 * reverse); the final states are outputs, and each scan output's per-step values are stacked
 * along its axis (forward or reverse). Opset 8's Scan has a leading batch axis on every input and
 * output (each batch element scanned on its own) and optional sequence_lens, which must be
 * constant and the full length.
 */
export function runScan(ctx: OnnxContext, runBody: RunBody): Val[] {
  const body = attribute(ctx.node, 'body', 'graph', undefined) ?? ctx.fail('the body attribute is missing');
  const m = attrInt(ctx.node, 'num_scan_inputs', 0);
  const first = ctx.opset < 9 ? 1 : 0;
  const n = ctx.node.inputs.length - m - first;
  if (m < 1 || n < 0 || body.inputs.length !== n + m || body.outputs.length < n) return ctx.fail(`the body takes ${body.inputs.length} inputs and gives ${body.outputs.length} outputs, which do not fit ${n} states and ${m} scan inputs`);
  const k = body.outputs.length - n;
  const states = Array.from({ length: n }, (_, i) => ctx.val(first + i));
  const scans = Array.from({ length: m }, (_, j) => ctx.val(first + n + j));
  const zeros = (c: number) => new Array<number>(c).fill(0);
  const unroll = (init: Val[], seqs: Val[], inAxes: readonly number[], inDirs: readonly number[], outAxes: readonly number[], outDirs: readonly number[]): Val[] => {
    let carried = init;
    const axes = seqs.map((v, j) => axisOf(ctx, inAxes[j], dimsOf(v).length));
    const steps = dimsOf(seqs[0])[axes[0]];
    if (seqs.some((v, j) => dimsOf(v)[axes[j]] !== steps)) return ctx.fail('the scan inputs differ in length along their scan axes');
    if (!(steps > 0)) return ctx.fail('the scan axis is empty');
    const outs: Val[][] = Array.from({ length: k }, () => []);
    for (let t = 0; t < steps; t++) {
      const bound = new Map<string, Val>();
      carried.forEach((v, i) => bound.set(body.inputs[i].name, v));
      seqs.forEach((v, j) => bound.set(body.inputs[n + j].name, take(ctx, v, axes[j], inDirs[j] ? steps - 1 - t : t)));
      const res = runBody(body, bound);
      carried = res.slice(0, n);
      res.slice(n).forEach((v, i) => outs[i].push(v));
    }
    return [...carried, ...outs.map((vs, i) => stack(ctx, outDirs[i] ? [...vs].reverse() : vs, axisOf(ctx, outAxes[i], dimsOf(vs[0]).length + 1)))];
  };
  if (ctx.opset >= 9) {
    const get = (name: string, count: number) => attrInts(ctx.node, name, undefined) ?? zeros(count);
    return unroll(states, scans, get('scan_input_axes', m), get('scan_input_directions', m), get('scan_output_axes', k), get('scan_output_directions', k));
  }
  const batch = dimsOf(scans[0])[0];
  const steps = dimsOf(scans[0])[1];
  if (ctx.has(0) && ctx.constant(0, 'sequence_lens').values.some((l) => l !== steps)) return ctx.fail(`sequence_lens shorter than the ${steps} steps make the scanned length depend on the batch element`, 'export the model at opset 9 or later, or with full-length sequences');
  const dirs = attrInts(ctx.node, 'directions', undefined) ?? zeros(m);
  const perBatch = Array.from({ length: batch }, (_, b) => unroll(states.map((v) => take(ctx, v, 0, b)), scans.map((v) => take(ctx, v, 0, b)), zeros(m), dirs, zeros(k), zeros(k)));
  return perBatch[0].map((_, i) => stack(ctx, perBatch.map((r) => r[i]), 0));
}
