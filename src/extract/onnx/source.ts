import type { OnnxModel } from '../../load/onnx/types.js';
import type { ModelSpec } from '../../load/spec.js';
import type { TensorProgram } from '../../tensor/program.js';

/** An ONNX model as converted: the file, its tensor program, and the inputs --bind fixed (name → row-major values). */
export interface OnnxSource {
  readonly model: OnnxModel;
  readonly program: TensorProgram;
  readonly bound: ReadonlyMap<string, readonly number[]>;
}

const SOURCES = new WeakMap<ModelSpec, OnnxSource>();

/** Records that `spec` stands for the ONNX model `model`, built into `program` (see onnxModelSpec). */
export function rememberOnnxSource(spec: ModelSpec, model: OnnxModel, program: TensorProgram, bound: ReadonlyMap<string, readonly number[]> = new Map()): void {
  SOURCES.set(spec, { model, program, bound });
}

/** The ONNX model and its tensor program a ModelSpec stands for; undefined for Keras and TF.js models. */
export function onnxSource(spec: ModelSpec): OnnxSource | undefined {
  return SOURCES.get(spec);
}
