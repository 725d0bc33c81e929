import { Nn2eqError } from '../../errors.js';
import { decodeModel } from './decode.js';
import { GraphBuilder } from './graph.js';
import type { OnnxModel } from './types.js';

export type * from './types.js';
export { looksLikeOnnx } from './detect.js';
export { attribute, attrFloat, attrInt, attrInts, attrString, attrTensor, intValues, floatValues } from './attributes.js';

/**
 * Decodes ONNX model bytes. `dir` is where external-data files are looked up (the model's
 * folder); `file` names the model in messages. Model-local functions are inlined.
 */
export function decodeOnnx(bytes: Uint8Array, file: string, dir: string): OnnxModel {
  const external = new Map<string, string>();
  const raw = decodeModel(bytes, { file, dir, external, cache: new Map() });
  if (raw.graph === null) throw new Nn2eqError(`${file}: an ONNX model without a graph`, 'input', 'the file is truncated or corrupt; export the model again');
  if (raw.irVersion === 0) throw new Nn2eqError(`${file}: an ONNX model without ir_version`, 'input', 'the file is truncated or corrupt; export the model again');
  const opsets = new Map(raw.opsets);
  // IR version 2 files predate opset_import and follow opset 1.
  if (opsets.size === 0 && raw.irVersion < 3) opsets.set('ai.onnx', 1);
  if (opsets.size === 0) throw new Nn2eqError(`${file}: an ONNX model of IR version ${raw.irVersion} that imports no opset`, 'input', 'the file is truncated or corrupt; export the model again');
  const warnings: string[] = [];
  const graph = new GraphBuilder(file, opsets, raw.functions).build(raw.graph, new Set(), true);
  const nonFinite = [...graph.initializers.values()].filter((t) => (t.values instanceof Float32Array || t.values instanceof Float64Array) && t.values.some((v) => !Number.isFinite(v)));
  if (nonFinite.length > 0) {
    warnings.push(`${nonFinite.length} weight${nonFinite.length === 1 ? ' holds' : 's hold'} NaN or infinite values: ${nonFinite.slice(0, 5).map((t) => t.name).join(', ')}${nonFinite.length > 5 ? ', …' : ''}`);
  }
  return {
    file,
    irVersion: raw.irVersion,
    opsets,
    producerName: raw.producerName,
    producerVersion: raw.producerVersion,
    graph,
    sources: [...external.values()],
    externalData: external,
    warnings,
  };
}
