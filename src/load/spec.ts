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

/**
 * How the tensors of one layer call were passed, beside `inbound[k]` (which lists them all, in
 * order): `keywords[i]` is the keyword argument inbound ref i was given as (query, value,
 * attention_mask, y…), or null for the positional arguments, which come first. `options` holds
 * the call's other arguments as saved (use_causal_mask, a TF op's constant operand, a slice).
 * `constant` is a first argument that was a constant rather than a tensor (Keras 2's
 * _CONSTANT_VALUE, as in `1 - x`).
 */
export interface CallSpec {
  readonly keywords: readonly (string | null)[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly constant?: unknown;
}

/** One layer of the model graph. `inbound[k]` lists the inputs of the layer's k-th call. */
export interface LayerSpec {
  readonly name: string;
  readonly className: string;
  readonly config: Config;
  readonly inbound: TensorRef[][];
  /** How each call passed its inputs, parallel to `inbound` (absent: all positional, no options). */
  readonly calls?: readonly CallSpec[];
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
