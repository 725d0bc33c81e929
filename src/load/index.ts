import { readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Nn2eqError } from '../errors.js';
import { isObject, objectAt, parseJson } from './json.js';
import type { LayerSpec, ModelSpec, Weight } from './spec.js';
import { readManifestWeights } from './tfjs.js';
import { parseTopology } from './topology.js';

export type { ModelSpec, LayerSpec, Weight, TensorRef, InputSpec } from './spec.js';

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reads a model file ('-' for standard input) into a `ModelSpec`; the format is told by content. */
export function loadModel(path: string): ModelSpec {
  const file = path === '-' ? '<stdin>' : path;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Nn2eqError(`${file}: no such file`, 'io');
    if (code === 'EISDIR') throw new Nn2eqError(`${file}: is a folder, expected a model file`, 'io', 'pass the model.json inside it');
    throw new Nn2eqError(`${file}: cannot read (${code ?? (e as Error).message})`, 'io');
  }
  if (bytes.subarray(0, 8).equals(HDF5_MAGIC) || (bytes[0] === 0x50 && bytes[1] === 0x4b)) {
    throw new Nn2eqError(`${file}: is a Keras HDF5 or .keras file, which this version does not read yet`, 'unsupported', 'convert it with tensorflowjs_converter to a TF.js model.json');
  }
  const dir = path === '-' ? process.cwd() : dirname(resolve(path));
  const model = loadJsonModel(bytes.toString('utf8'), dir, file);
  if (path !== '-') (model.sources as string[]).unshift(realpathSync(path));
  return model;
}

/** Loads a TF.js layers model.json given as text; shard paths resolve inside `dir`. */
export function loadJsonModel(text: string, dir: string, file: string): ModelSpec {
  const doc = objectAt(parseJson(text, file), file, 'the top level');
  if (doc.modelTopology === undefined) {
    const hint = isObject(doc) && (doc.class_name !== undefined || doc.config !== undefined)
      ? 'this looks like a Keras architecture JSON; convert the model to TF.js format (model.json with weightsManifest)'
      : 'pass the model.json written by TensorFlow.js (model.save) or by tensorflowjs_converter';
    throw new Nn2eqError(`${file}: no 'modelTopology' key; found keys ${Object.keys(doc).join(', ') || '(none)'}`, 'input', hint);
  }
  if (doc.weightsManifest === undefined) {
    throw new Nn2eqError(`${file}: no 'weightsManifest' key, so there are no weights to read`, 'input', 'save the model with its weights (model.save), not only its topology');
  }
  const topology = parseTopology(doc.modelTopology, file);
  const sources: string[] = [];
  const weights = readManifestWeights(doc.weightsManifest, dir, file, sources);
  const warnings: string[] = [];
  bindWeights(topology.layers, weights, warnings);
  return { file, ...topology, sources, warnings };
}

/**
 * Attaches each weight to its layer by name ('<layer>/<var>', ':0' suffix optional), choosing the
 * longest layer name that prefixes it, and warns about weights that are not finite.
 */
export function bindWeights(layers: LayerSpec[], weights: Weight[], warnings: string[]): void {
  const names = layers.map((l) => l.name).sort((a, b) => b.length - a.length);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const orphans: string[] = [];
  for (const w of weights) {
    const owner = names.find((n) => w.name.startsWith(`${n}/`));
    if (owner === undefined) {
      orphans.push(w.name);
      continue;
    }
    const variable = w.name.slice(w.name.lastIndexOf('/') + 1).replace(/:\d+$/, '');
    byName.get(owner)!.weights.set(variable, w);
    let bad = 0;
    for (let i = 0; i < w.values.length; i++) if (!Number.isFinite(w.values[i])) bad++;
    if (bad > 0) warnings.push(`weight '${w.name}' has ${bad} NaN or infinite value${bad === 1 ? '' : 's'}; the equations will carry them`);
  }
  if (orphans.length > 0) {
    warnings.push(`${orphans.length} weight${orphans.length === 1 ? '' : 's'} belong to no layer of the model and were ignored: ${orphans.slice(0, 5).join(', ')}${orphans.length > 5 ? ', …' : ''}`);
  }
}
