import { readFileSync } from 'node:fs';
import type { Extracted } from '../extract/index.js';
import { evaluate } from '../ir/evaluate.js';
import type { TfGraphModel } from '../load/tfgraph.js';
import { loadTf } from './oracle.js';

/**
 * --verify for TF.js graph models: TF.js itself runs the graph (tf.loadGraphModel over
 * tf.io.fromMemory, CPU backend). Points are the formula's flat scalar inputs; an input whose
 * batch axis was dropped is fed with a leading 1. TF.js is imported only here, on first use.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type GraphModel = any;

/** The graph model as TF.js loads it from memory: the same topology, manifest, signature and shard bytes. */
export async function tfGraphOracle(model: TfGraphModel): Promise<GraphModel> {
  const tf = await loadTf();
  const doc = model.document as Record<string, any>;
  const weightSpecs = (doc.weightsManifest ?? []).flatMap((g: { weights: unknown[] }) => g.weights);
  const all = Buffer.concat(model.shards.map((f) => readFileSync(f)));
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const artifacts: Record<string, unknown> = { modelTopology: doc.modelTopology, weightSpecs, weightData, format: doc.format, generatedBy: doc.generatedBy, convertedBy: doc.convertedBy };
  if (doc.signature) artifacts.signature = doc.signature;
  if (doc.userDefinedMetadata) artifacts.userDefinedMetadata = doc.userDefinedMetadata;
  return tf.loadGraphModel(tf.io.fromMemory(artifacts));
}

/** TF.js's values of the tensors `names` (graph tensor names) at each point, each flattened. */
export async function tfGraphRun(model: TfGraphModel, m: GraphModel, ex: Extracted, points: readonly Float64Array[], names: readonly string[]): Promise<number[][][]> {
  const tf = await loadTf();
  const out: number[][][] = [];
  for (const p of points) {
    const feed: Record<string, unknown> = {};
    model.inputs.forEach((inp, k) => {
      const port = ex.inputs[k];
      const dims = inp.dims && inp.dims.length === port.shape.length + 1 ? [1, ...port.shape] : [...port.shape];
      feed[inp.tensor.replace(/:0$/, '')] = tf.tensor(Float32Array.from(p.subarray(port.offset, port.offset + port.size)), dims, 'float32');
    });
    const res = m.execute(feed, [...names]);
    const list = Array.isArray(res) ? res : [res];
    out.push(list.map((t: any) => Array.from(t.dataSync() as ArrayLike<number>)));
    for (const t of list) t.dispose();
    for (const t of Object.values(feed)) (t as { dispose(): void }).dispose();
  }
  return out;
}

/** TF.js's outputs at every point, flattened and concatenated in the model's output order. */
export async function tfGraphReference(model: TfGraphModel, ex: Extracted, points: readonly Float64Array[]): Promise<number[][]> {
  const m = await tfGraphOracle(model);
  const got = await tfGraphRun(model, m, ex, points, model.outputs.map((o) => o.tensor));
  return got.map((outs) => outs.flat());
}

/** The first node whose first output differs between the formula's IR and TF.js. */
export async function tfGraphDivergence(model: TfGraphModel, ex: Extracted, points: readonly Float64Array[], atol: number, rtol: number): Promise<{ layer: string; className: string; maxAbs: number; maxRel: number } | { layer: null; note: string }> {
  const nodes = new Set(model.nodes.map((n) => n.name));
  const checked = ex.trace.filter((c) => c.outputs.length > 0 && nodes.has(c.layer));
  const m = await tfGraphOracle(model);
  const values = points.map((p) => evaluate(ex.graph, p));
  const tfValues = await tfGraphRun(model, m, ex, points, checked.map((c) => c.layer));
  for (let k = 0; k < checked.length; k++) {
    const ids = checked[k].outputs[0].ids;
    let maxAbs = 0;
    let maxRel = 0;
    let bad = false;
    let comparable = true;
    tfValues.forEach((outs, i) => {
      const w = outs[k];
      if (w.length !== ids.length) {
        comparable = false;
        return;
      }
      ids.forEach((id, j) => {
        const d = Math.abs(values[i][id] - w[j]);
        if (!(d <= atol + rtol * Math.abs(w[j]))) bad = true;
        if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
        if (d > 0) maxRel = Math.max(maxRel, d / Math.max(Math.abs(w[j]), Number.MIN_VALUE));
      });
    });
    if (comparable && bad) return { layer: checked[k].layer, className: checked[k].className, maxAbs, maxRel };
  }
  return { layer: null, note: 'every node TF.js exposes agrees; the difference arises in how outputs are combined' };
}
