import type { OnnxModel } from '../../load/onnx/types.js';
import type { ModelSpec } from '../../load/spec.js';
import type { TensorProgram } from '../../tensor/program.js';

const SOURCES = new WeakMap<ModelSpec, { model: OnnxModel; program: TensorProgram }>();

/** Records that `spec` stands for the ONNX model `model`, built into `program` (see onnxModelSpec). */
export function rememberOnnxSource(spec: ModelSpec, model: OnnxModel, program: TensorProgram): void {
  SOURCES.set(spec, { model, program });
}

/** The ONNX model and its tensor program a ModelSpec stands for; undefined for Keras and TF.js models. */
export function onnxSource(spec: ModelSpec): { model: OnnxModel; program: TensorProgram } | undefined {
  return SOURCES.get(spec);
}
