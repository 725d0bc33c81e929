/** A named weight array as stored in the model file, decoded to float32. */
export interface Weight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** One tensor produced by a layer: its layer's name, call (node) index and output index. */
export interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly tensor: number;
}

/** A layer's configuration after dialect normalization (snake_case keys, canonical activation names). */
export type Config = Record<string, unknown>;

/** One layer of the model graph. `inbound[k]` lists the inputs of the layer's k-th call. */
export interface LayerSpec {
  readonly name: string;
  readonly className: string;
  readonly config: Config;
  readonly inbound: TensorRef[][];
  /** Weights keyed by variable name: kernel, bias, gamma, … */
  readonly weights: Map<string, Weight>;
}

/** A declared model input: where it comes from and its shape without the batch dimension. */
export interface InputSpec {
  readonly ref: TensorRef;
  readonly shape: readonly (number | null)[];
}

/**
 * Everything the extractor needs, independent of the file format and the Keras dialect that
 * wrote it. Produced by `load/`, and nowhere else.
 */
export interface ModelSpec {
  /** The file the model came from, for messages. */
  readonly file: string;
  /** What kind of file it was: a TF.js model.json, or a Keras file (HDF5, .keras zip, architecture JSON). */
  readonly format?: 'tfjs' | 'keras';
  readonly name: string;
  /** Major Keras version whose semantics apply (TF.js files follow Keras 2). */
  readonly kerasMajor: number;
  readonly layers: LayerSpec[];
  readonly inputs: InputSpec[];
  readonly outputs: TensorRef[];
  /** Every file the model was read from (resolved), so output never overwrites one. */
  readonly sources: readonly string[];
  /** Things the user should know that do not stop the conversion (NaN weights, …). */
  readonly warnings: string[];
}
