import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Nn2eqError } from '../errors.js';
import { variableName } from '../load/keras.js';
import type { LayerSpec, ModelSpec } from '../load/spec.js';

/**
 * TensorFlow.js as the reference: the same model, predicted by TF.js. A TF.js model.json is read
 * by TF.js's own loader from the files; any other model (Keras files) is handed over in memory
 * from nn2eq's loader as a Keras 2 functional topology, with the weights set layer by layer.
 * @tensorflow/tfjs is imported here only, so only --verify pays for it.
 */

// The TF.js API surface used here, kept loose: tfjs's own types are large and not needed.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Tf = any;
export type TfModel = any;

let tfPromise: Promise<Tf> | undefined;

/** Imports TF.js once, silencing the greeting it prints on first use in Node. */
export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const { log, warn, info } = console;
    console.log = console.warn = console.info = () => {};
    try {
      const tf = await import('@tensorflow/tfjs').catch((e: unknown) => {
        throw missingOracle(e, '@tensorflow/tfjs', '--verify compares with TensorFlow.js (@tensorflow/tfjs), which is not installed');
      });
      await tf.setBackend('cpu');
      await tf.ready();
      tf.tensor([0]).dispose();
      return tf;
    } finally {
      Object.assign(console, { log, warn, info });
    }
  })();
  return tfPromise;
}

/**
 * The oracles are optional peer dependencies (a converter installs without their 400 MB): a
 * missing one is a one-line error naming the package to install; any other failure passes through.
 */
export function missingOracle(e: unknown, pkg: string, what: string): unknown {
  const err = e as { code?: string; message?: string };
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(`'${pkg}'`)) return e;
  return new Nn2eqError(what, 'unsupported', `npm install ${pkg} (next to nn2eq: in the same project, or with -g for a global nn2eq)`);
}

/**
 * Layers TF.js runs but computes unlike Keras (found while testing nn2eq against Keras's own
 * predictions): with these, TF.js is no reference, and --verify says so instead of failing.
 */
function knownGap(l: LayerSpec, rank: number | undefined): string | null {
  const c = l.config;
  if (l.className === 'Conv1D' && c.data_format === 'channels_first') return 'TF.js transposes the input of a channels_first Conv1D but not its output';
  if (l.className === 'BatchNormalization') {
    // The last axis is -1, or the rank itself (Keras counts the batch as axis 0).
    const axis = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
    if (axis.some((a) => a !== -1 && a !== rank)) return 'TF.js broadcasts the statistics of a BatchNormalization over a non-last axis wrongly at inference';
  }
  return null;
}

/**
 * The TF.js model of `model`; a one-line error when TF.js cannot build one of its layers or is
 * known to compute one unlike Keras. `ranks` gives each layer's output rank (without the batch).
 */
export async function oracleModel(model: ModelSpec, ranks: ReadonlyMap<string, number> = new Map()): Promise<TfModel> {
  for (const l of model.layers) {
    const gap = knownGap(l, ranks.get(l.name));
    if (gap) throw new Nn2eqError(`${model.file}: layer '${l.name}' (${l.className}): ${gap}, so --verify has no trustworthy reference`, 'unsupported', 'the equations were written; they follow Keras, not TF.js');
  }
  const tf = await loadTf();
  registerKerasOnly(tf);
  const source = model.sources[0];
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    if (source && model.format === 'tfjs') {
      try {
        return await loadTfjsModel(tf, source);
      } catch {
        // TF.js's reader rejects some Keras spellings (e.g. activation 'silu'); the loaded model
        // has them normalized.
      }
    }
    return await fromSpec(tf, model);
  } catch (e) {
    if (e instanceof Nn2eqError) throw e;
    throw new Nn2eqError(`${model.file}: TensorFlow.js cannot run this model, so --verify has no reference (${String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200)})`, 'unsupported', 'the equations were written; check them against Keras yourself');
  } finally {
    Object.assign(console, { log, warn });
  }
}

/** A TF.js layers model.json read by TF.js's own loader, shards from the files beside it. */
export async function loadTfjsModel(tf: Tf, path: string): Promise<TfModel> {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  const dir = dirname(path);
  const weightSpecs: unknown[] = [];
  const buffers: Buffer[] = [];
  for (const group of doc.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadLayersModel({ load: async () => ({ modelTopology: doc.modelTopology, weightSpecs, weightData }) });
}

/** Keras 2 functional JSON of the loaded model, built by TF.js, then given the loaded weights. */
async function fromSpec(tf: Tf, model: ModelSpec): Promise<TfModel> {
  const layers = model.layers.map((l) => ({
    name: l.name,
    class_name: l.className,
    config: tfjsConfig(l),
    // The positional tensors only, as before keyword tensors (MultiHeadAttention's value, a mask) were kept: TF.js takes those by position.
    inbound_nodes: l.inbound.map((node, k) => node.filter((_, i) => !l.calls?.[k]?.keywords[i]).map((r) => [r.layer, r.node, r.tensor, {}])),
  }));
  const topology = {
    class_name: 'Model',
    config: {
      name: model.name,
      layers,
      input_layers: model.inputs.map((i) => [i.ref.layer, i.ref.node, i.ref.tensor]),
      output_layers: model.outputs.map((o) => [o.layer, o.node, o.tensor]),
    },
    keras_version: '2.13.1',
    backend: 'tensorflow',
  };
  const m = await tf.models.modelFromJSON({ modelTopology: topology });
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  for (const tl of m.layers) {
    const spec = byName.get(tl.name);
    if (!spec || tl.weights.length === 0) continue;
    const values = tl.weights.map((w: { originalName?: string; name: string; shape: number[] }) => {
      const key = variableName(spec, w.originalName ?? w.name);
      const ours = spec.weights.get(key);
      if (!ours) throw new Nn2eqError(`${model.file}: TF.js's layer '${tl.name}' wants weight '${key}', which the model does not have`, 'unsupported');
      return tf.tensor(ours.values, w.shape, (w as { dtype?: string }).dtype);
    });
    tl.setWeights(values);
  }
  return m;
}

/** A config TF.js accepts: no Keras 3 module tag, dtype-policy objects, initializers, regularizers or constraints (the weights are set). */
function tfjsConfig(l: LayerSpec): Record<string, unknown> {
  const c: Record<string, unknown> = { ...l.config, name: l.name };
  delete c.module;
  if (typeof c.dtype === 'object') delete c.dtype;
  for (const k of Object.keys(c)) if (/_(initializer|regularizer|constraint)$/.test(k)) delete c[k];
  for (const key of ['layer', 'backward_layer']) {
    const inner = c[key] as { class_name: string; config: Record<string, unknown> } | undefined;
    if (inner && typeof inner === 'object') c[key] = { class_name: inner.class_name, config: tfjsConfig({ ...l, className: inner.class_name, config: inner.config, name: String(inner.config.name ?? key) }) };
  }
  return c;
}

/** Predictions of `m` for `points` (each the flat scalar inputs), one flat array per model output. */
export async function oraclePredict(m: TfModel, shapes: readonly (readonly number[])[], points: readonly Float64Array[], outputs?: TfModel): Promise<number[][][]> {
  const tf = await loadTf();
  const model = outputs ?? m;
  return tf.tidy(() => {
    let offset = 0;
    const xs = shapes.map((shape) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(points.length * size);
      points.forEach((p, i) => data.set(p.subarray(offset, offset + size), i * size));
      offset += size;
      return tf.tensor(data, [points.length, ...shape]);
    });
    let ys = model.predict(xs.length === 1 ? xs[0] : xs);
    if (!Array.isArray(ys)) ys = [ys];
    // One [point][value] array per output.
    return ys.map((y: TfModel) => {
      const data = y.dataSync() as Float32Array;
      const per = data.length / points.length;
      return points.map((_, i) => Array.from(data.subarray(i * per, (i + 1) * per)));
    });
  });
}

let registered = false;

/**
 * Keras layers TF.js lacks or restricts, written here with TF.js ops from Keras's own
 * definitions, so that models using them still have a reference.
 */
function registerKerasOnly(tf: Tf): void {
  if (registered) return;
  registered = true;
  class Normalization extends tf.layers.Layer {
    static className = 'Normalization';
    axis: number[] | null;
    invert: boolean;
    mean: TfModel;
    variance: TfModel;
    constructor(config: { axis?: number | number[] | null; invert?: boolean }) {
      super(config);
      this.axis = config.axis === null ? null : Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
      this.invert = config.invert === true;
    }
    build(inputShape: number[]) {
      const rank = inputShape.length;
      const kept = (this.axis ?? []).map((a) => (a < 0 ? rank + a : a));
      const shape = kept.map((a) => inputShape[a]);
      this.mean = this.addWeight('mean', shape, 'float32', tf.initializers.zeros());
      this.variance = this.addWeight('variance', shape, 'float32', tf.initializers.ones());
      this.addWeight('count', [], 'int32', tf.initializers.zeros());
      this.built = true;
    }
    call(inputs: TfModel) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const rank = x.shape.length;
        const kept = (this.axis ?? []).map((a) => (a < 0 ? rank + a : a));
        const shape = x.shape.map((d: number, i: number) => (kept.includes(i) ? d : 1));
        const mean = this.mean.read().reshape(shape);
        const sd = tf.maximum(tf.sqrt(this.variance.read().reshape(shape)), 1e-7);
        return this.invert ? tf.add(tf.mul(x, sd), mean) : tf.div(tf.sub(x, mean), sd);
      });
    }
    computeOutputShape(s: number[]) {
      return s;
    }
    getConfig() {
      return { ...super.getConfig(), axis: this.axis, invert: this.invert };
    }
  }
  tf.serialization.registerClass(Normalization);

  // TF.js's ELU takes alpha = 1 only, and its ReLU has max_value only: Keras's full definitions.
  class ELU extends tf.layers.Layer {
    static className = 'ELU';
    alpha: number;
    constructor(config: { alpha?: number }) {
      super(config);
      this.alpha = config.alpha ?? 1;
    }
    call(inputs: TfModel) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.where(tf.greater(x, 0), x, tf.mul(this.alpha, tf.sub(tf.exp(x), 1)));
      });
    }
    computeOutputShape(s: number[]) {
      return s;
    }
    getConfig() {
      return { ...super.getConfig(), alpha: this.alpha };
    }
  }
  class ReLU extends tf.layers.Layer {
    static className = 'ReLU';
    maxValue: number | null;
    negativeSlope: number;
    threshold: number;
    constructor(config: { maxValue?: number | null; negativeSlope?: number; threshold?: number }) {
      super(config);
      this.maxValue = config.maxValue ?? null;
      this.negativeSlope = config.negativeSlope ?? 0;
      this.threshold = config.threshold ?? 0;
    }
    call(inputs: TfModel) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        // keras.backend.relu: x·[x > t] (or relu(x)), clipped to [0, max_value], minus slope·relu(t − x).
        let pos = this.threshold === 0 ? tf.relu(x) : tf.mul(x, tf.cast(tf.greater(x, this.threshold), 'float32'));
        if (this.maxValue !== null) pos = tf.clipByValue(pos, 0, this.maxValue);
        return this.negativeSlope === 0 ? pos : tf.sub(pos, tf.mul(this.negativeSlope, tf.relu(tf.sub(this.threshold, x))));
      });
    }
    computeOutputShape(s: number[]) {
      return s;
    }
    getConfig() {
      return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
    }
  }
  tf.serialization.registerClass(ELU);
  tf.serialization.registerClass(ReLU);

  // Keras layers TF.js does not have at all, each a few TF.js ops.
  const simple = (className: string, call: (layer: TfModel, x: TfModel) => TfModel, shape: (layer: TfModel, s: TfModel) => TfModel = (_l, s) => s) => {
    const cls = class extends tf.layers.Layer {
      static className = className;
      cfg: Record<string, unknown>;
      constructor(config: Record<string, unknown>) {
        super(config);
        this.cfg = config;
      }
      call(inputs: TfModel) {
        return tf.tidy(() => call(this, inputs));
      }
      computeOutputShape(s: TfModel) {
        return shape(this, s);
      }
      getConfig() {
        return { ...super.getConfig(), ...this.cfg };
      }
    };
    tf.serialization.registerClass(cls);
  };
  const one = (x: TfModel) => (Array.isArray(x) ? x[0] : x);
  const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);
  simple('Subtract', (_l, [a, b]: TfModel[]) => tf.sub(a, b), (_l, s) => s[0]);
  simple('UnitNormalization', (l, x) => {
    const v = one(x);
    const axis = (Array.isArray(l.cfg.axis) ? l.cfg.axis : [l.cfg.axis ?? -1]) as number[];
    return tf.div(v, tf.sqrt(tf.maximum(tf.sum(tf.square(v), axis, true), 1e-12)));
  });
  simple(
    'ZeroPadding1D',
    (l, x) => tf.pad(one(x), [[0, 0], pair(l.cfg.padding ?? 1), [0, 0]]),
    (l, s) => [s[0], s[1] === null ? null : s[1] + pair(l.cfg.padding ?? 1)[0] + pair(l.cfg.padding ?? 1)[1], s[2]],
  );
  simple(
    'Cropping1D',
    (l, x) => {
      const v = one(x);
      const [a, b] = pair(l.cfg.cropping ?? 1);
      return v.slice([0, a, 0], [-1, v.shape[1] - a - b, -1]);
    },
    (l, s) => [s[0], s[1] - pair(l.cfg.cropping ?? 1)[0] - pair(l.cfg.cropping ?? 1)[1], s[2]],
  );
  simple(
    'UpSampling1D',
    (l, x) => {
      const v = one(x);
      const n = Number(l.cfg.size ?? 2);
      return tf.tile(v.expandDims(2), [1, 1, n, 1]).reshape([v.shape[0], v.shape[1] * n, v.shape[2]]);
    },
    (l, s) => [s[0], s[1] * Number(l.cfg.size ?? 2), s[2]],
  );
}
