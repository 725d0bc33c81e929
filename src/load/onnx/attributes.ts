import { Nn2eqError } from '../../errors.js';
import type { OnnxAttribute, OnnxNode, OnnxTensor } from './types.js';

type Kind = OnnxAttribute['type'];
type ValueOf<K extends Kind> = Extract<OnnxAttribute, { type: K }> extends { value: infer V } ? V : never;

/**
 * A node's attribute of the given type, or `fallback` when the node does not set it. An attribute
 * of another type is an error naming the node.
 */
export function attribute<K extends Kind, F>(node: OnnxNode, name: string, type: K, fallback: F): ValueOf<K> | F {
  const a = node.attributes.get(name);
  if (a === undefined) return fallback;
  if (a.type !== type) {
    throw new Nn2eqError(`node '${node.name}' (${node.opType}) has attribute '${name}' of type ${a.type}, expected ${type}`, 'input', 'the model does not follow the ONNX operator specification');
  }
  return (a as unknown as { value: ValueOf<K> }).value;
}

/** An INT attribute (exact up to 2^53). */
export function attrInt<F extends number | undefined>(node: OnnxNode, name: string, fallback: F): number | F {
  return attribute(node, name, 'int', fallback);
}

/** A FLOAT attribute. */
export function attrFloat<F extends number | undefined>(node: OnnxNode, name: string, fallback: F): number | F {
  return attribute(node, name, 'float', fallback);
}

/** An INTS attribute. */
export function attrInts<F extends number[] | undefined>(node: OnnxNode, name: string, fallback: F): number[] | F {
  return attribute(node, name, 'ints', fallback);
}

/** A STRING attribute. */
export function attrString<F extends string | undefined>(node: OnnxNode, name: string, fallback: F): string | F {
  return attribute(node, name, 'string', fallback);
}

/** A TENSOR attribute (Constant's `value`, ConstantOfShape's `value`). */
export function attrTensor<F extends OnnxTensor | undefined>(node: OnnxNode, name: string, fallback: F): OnnxTensor | F {
  return attribute(node, name, 'tensor', fallback);
}

/**
 * A tensor's values as numbers, for shapes, axes, pads and indices. int64 values beyond ±2^53
 * (the INT64_MAX / INT64_MIN "to the end" sentinels) become the nearest double, which clamps the
 * same way; string tensors are refused.
 */
export function intValues(t: OnnxTensor): number[] {
  if (t.dtype === 'string') throw new Nn2eqError(`tensor '${t.name}' holds strings, expected integers`, 'unsupported');
  return Array.from(t.values as ArrayLike<number | bigint>, (v) => Number(v));
}

/** A tensor's values widened to float64 (integers exactly up to 2^53). */
export function floatValues(t: OnnxTensor): Float64Array {
  if (t.dtype === 'string') throw new Nn2eqError(`tensor '${t.name}' holds strings, expected numbers`, 'unsupported');
  if (t.values instanceof BigInt64Array || t.values instanceof BigUint64Array) return Float64Array.from(t.values, (v) => Number(v));
  return Float64Array.from(t.values as ArrayLike<number>);
}
