import { readFileSync } from 'node:fs';
import type { Extracted } from '../extract/index.js';
import { evaluate } from '../ir/evaluate.js';
import type { OnnxSource } from '../extract/onnx/source.js';
import type { OnnxModel } from '../load/onnx/types.js';
import { openOnnxRuntime, type OrtInput } from './onnx-oracle.js';

/**
 * --verify for ONNX models: ONNX Runtime (onnxruntime-web) is the reference. Points are the
 * formula's flat scalar inputs; each graph input is fed in its declared shape (a dropped batch
 * axis comes back as a leading 1) and type.
 */

function feeds({ model, bound }: OnnxSource, ex: Extracted, point: Float64Array): OrtInput[] {
  let k = 0;
  return model.graph.inputs.map((inp) => {
    const dtype = inp.elemType ?? 'float32';
    // An input --bind fixed is no input of the formula: ONNX Runtime gets the bound values.
    const fixed = bound.get(inp.name);
    if (fixed) return { name: inp.name, dtype, dims: inp.dims?.every((d) => typeof d === 'number') ? (inp.dims as number[]) : [fixed.length], values: Float64Array.from(fixed) };
    const port = ex.inputs[k++];
    const dims = inp.dims && inp.dims.length === port.shape.length + 1 ? [1, ...port.shape] : [...port.shape];
    return { name: inp.name, dtype, dims, values: point.subarray(port.offset, port.offset + port.size) };
  });
}

/** ONNX Runtime's outputs at every point, flattened and concatenated in the graph's order. */
export async function onnxReference(source: OnnxSource, ex: Extracted, points: readonly Float64Array[]): Promise<number[][]> {
  const { model } = source;
  const rt = await openOnnxRuntime(modelBytes(model), { externalData: model.externalData, file: model.file });
  try {
    const out: number[][] = [];
    for (const p of points) {
      const got = await rt.run(feeds(source, ex, p));
      out.push(got.slice(0, model.graph.outputs.length).flatMap((o) => Array.from(o.values)));
    }
    return out;
  } finally {
    await rt.release();
  }
}

function modelBytes(model: OnnxModel): Uint8Array {
  return new Uint8Array(readFileSync(model.sources[0] ?? model.file));
}

/** Integer graph inputs (ids of an embedding): the number of rows of the table they index, else 2. */
export function onnxIntegerInputs({ model, bound }: OnnxSource, ex: Extracted): Map<number, number> {
  const ints = new Map<number, number>();
  let k = 0;
  model.graph.inputs.forEach((inp) => {
    if (bound.has(inp.name)) return;
    const port = ex.inputs[k++];
    if (!inp.elemType || !/int|bool/.test(inp.elemType)) return;
    const gather = model.graph.nodes.find((n) => n.opType === 'Gather' && n.inputs[1] === inp.name);
    const table = gather ? model.graph.initializers.get(gather.inputs[0]) : undefined;
    const rows = inp.elemType === 'bool' ? 2 : table ? table.dims[0] : 2;
    for (let i = port.offset; i < port.offset + port.size; i++) ints.set(i, rows);
  });
  return ints;
}

/** The first node whose first output differs between the formula's IR and ONNX Runtime. */
export async function onnxDivergence(source: OnnxSource, ex: Extracted, points: readonly Float64Array[], atol: number, rtol: number): Promise<{ layer: string; className: string; maxAbs: number; maxRel: number } | { layer: null; note: string }> {
  const { model } = source;
  const byName = new Map(model.graph.nodes.map((n) => [n.name, n]));
  const checked = ex.trace.filter((c) => c.outputs.length > 0 && byName.get(c.layer)?.outputs[0]);
  const names = checked.map((c) => byName.get(c.layer)!.outputs[0]);
  const rt = await openOnnxRuntime(modelBytes(model), { externalData: model.externalData, file: model.file, extraOutputs: names });
  try {
    const values = points.map((p) => evaluate(ex.graph, p));
    const ort = [];
    for (const p of points) ort.push(await rt.run(feeds(source, ex, p)));
    for (const call of checked) {
      const name = byName.get(call.layer)!.outputs[0];
      const ids = call.outputs[0].ids;
      let maxAbs = 0;
      let maxRel = 0;
      let bad = false;
      let comparable = true;
      ort.forEach((outs, i) => {
        const o = outs.find((x) => x.name === name);
        if (!o || o.values.length !== ids.length) {
          comparable = false;
          return;
        }
        ids.forEach((id, j) => {
          const w = o.values[j];
          const d = Math.abs(values[i][id] - w);
          if (!(d <= atol + rtol * Math.abs(w))) bad = true;
          if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
          if (d > 0) maxRel = Math.max(maxRel, d / Math.max(Math.abs(w), Number.MIN_VALUE));
        });
      });
      if (comparable && bad) return { layer: call.layer, className: call.className, maxAbs, maxRel };
    }
    return { layer: null, note: 'every node ONNX Runtime exposes agrees; the difference arises in how outputs are combined' };
  } finally {
    await rt.release();
  }
}
