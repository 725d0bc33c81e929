import { convertModel, DEFAULT_MAX_SIZE, DEFAULT_MAX_SIZE_INLINE, type ConvertOptions } from '../convert.js';
import { EMITTERS, loadTensorEmitters, type Format } from '../emit/index.js';
import type { EmitOptions } from '../emit/types.js';
import { Nn2eqError } from '../errors.js';
import { loadModel, type LoadOptions, type ModelSpec } from '../load/index.js';
import type { Program } from '../schedule.js';
import type { VerifyOptions, VerifyReport } from '../verify/index.js';

/** Reads a model file (TF.js model.json, Keras .h5 / .keras, or an architecture JSON with `weights`). */
export function load(path: string, options: LoadOptions = {}): Promise<ModelSpec> {
  return loadModel(path, options);
}

/** Options of `convert`: the CLI's, with the format defaulting to LaTeX. */
export type ConvertApiOptions = Partial<ConvertOptions>;

/** The model (a loaded ModelSpec or a file path) as text in `format` (default 'latex'). */
export async function convert(model: ModelSpec | string, options: ConvertApiOptions = {}): Promise<string> {
  const spec = typeof model === 'string' ? await loadModel(model) : model;
  await loadTensorEmitters(options.format ?? 'latex');
  return convertModel(spec, { format: 'latex', ...options });
}

/** Prints a scheduled Program (see `schedule`) in `format`. */
export function emit(program: Program, format: Format, options: Partial<EmitOptions> = {}): string {
  const emitter = EMITTERS[format];
  if (!emitter) throw new Nn2eqError(`unknown format '${String(format)}'`, 'usage', `formats: ${Object.keys(EMITTERS).join(', ')}`);
  const inline = options.inline ?? false;
  return emitter.emit(program, { modelName: 'model', maxSize: inline ? DEFAULT_MAX_SIZE_INLINE : DEFAULT_MAX_SIZE, ...options, inline });
}

/**
 * Checks `text` (written in `options.format`) against TensorFlow.js's predictions of `model`, in
 * the text's own runtime; TF.js is loaded only when this is called.
 */
export async function verify(model: ModelSpec, text: string, options: VerifyOptions): Promise<VerifyReport> {
  const v = await import('../verify/index.js');
  return v.verify(model, text, options);
}
