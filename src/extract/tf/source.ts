import type { ModelSpec } from '../../load/spec.js';
import type { TfGraphModel } from '../../load/tfgraph.js';
import type { TensorProgram } from '../../tensor/program.js';

const SOURCES = new WeakMap<ModelSpec, { model: TfGraphModel; program: TensorProgram }>();

/** Records that `spec` stands for the graph model `model`, built into `program` (see tfModelSpec). */
export function rememberTfSource(spec: ModelSpec, model: TfGraphModel, program: TensorProgram): void {
  SOURCES.set(spec, { model, program });
}

/** The graph model and its tensor program a ModelSpec stands for; undefined for other models. */
export function tfSource(spec: ModelSpec): { model: TfGraphModel; program: TensorProgram } | undefined {
  return SOURCES.get(spec);
}
