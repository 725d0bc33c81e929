/** nn2eq as a library: load a model, extract its IR, and print it in any registered format. */
import { loadTensorEmitters } from './emit/index.js';

// The library's users may print any tensor form synchronously (convertModel, convertWithIR): load every printer here (the CLI loads only the one it prints).
await loadTensorEmitters();

export { Nn2eqError } from './errors.js';
export { loadModel, loadJsonModel } from './load/index.js';
export type { ModelSpec, LayerSpec, Weight, LoadOptions } from './load/index.js';
export { extract, buildProgram, EXTRACTORS } from './extract/index.js';
export type { Extracted, Extractor, LayerContext, T, Port } from './extract/index.js';
export { scalarize } from './tensor/scalarize.js';
export type { TensorProgram } from './tensor/program.js';
export { Graph } from './ir/graph.js';
export { evaluate, evaluateOutputs } from './ir/evaluate.js';
export { schedule } from './schedule.js';
export { lower } from './transform/lower.js';
export { EMITTERS, FORMATS, loadTensorEmitters } from './emit/index.js';
export type { Format, Emitter } from './emit/index.js';
export { formatNumber, numberParts } from './emit/number.js';
export { convertFile, convertModel, convertWithIR, DEFAULT_MAX_SIZE, DEFAULT_MAX_SIZE_INLINE } from './convert.js';
export type { ConvertOptions } from './convert.js';
export { load, convert, emit, verify } from './commands/api.js';
export type { ConvertApiOptions } from './commands/api.js';
export type { EmitOptions } from './emit/types.js';
export type { Program, Name } from './schedule.js';
export type { VerifyOptions, VerifyReport } from './verify/index.js';
export { diff, diffFiles } from './commands/diff.js';
export type { DiffReport, DiffOptions, LayerDiff, WeightDiff, OutputDiff } from './commands/diff.js';
export { info } from './commands/info.js';
export type { InfoReport, LayerInfo } from './commands/info.js';
export { JSON_IR_VERSION } from './emit/json/json.js';
