/** Element types of ONNX tensors this reader decodes (TensorProto.DataType names, lower case). */
export type OnnxDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'int4'
  | 'uint4'
  | 'int2'
  | 'uint2'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'float4e2m1'
  | 'float8e8m0'
  | 'string';

/**
 * The values of a tensor, by dtype: float32 → Float32Array, float16/bfloat16 → Float32Array
 * (widened exactly), float64 → Float64Array, int8/16/32 and uint8/16/32 → the typed array of
 * that width, int64 → BigInt64Array, uint64 → BigUint64Array, bool → Uint8Array (0/1),
 * int4/uint4/int2/uint2 → Int8Array (unpacked), the float8 types (float8e8m0: 2^(k − 127)) and float4e2m1 → Float32Array
 * (decoded exactly), string → string[].
 */
export type OnnxValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/** A constant tensor: an initializer, a Constant node's value or a tensor attribute. */
export interface OnnxTensor {
  readonly name: string;
  readonly dtype: OnnxDtype;
  /** Full shape; [] for a scalar. */
  readonly dims: number[];
  /** Row-major values, `dims` product long. */
  readonly values: OnnxValues;
}

/**
 * A dimension of a declared shape: a number (dim_value), a symbol (dim_param, e.g. 'batch'),
 * or null when the file names neither.
 */
export type OnnxDim = number | string | null;

/** A declared graph input, output or intermediate value (ValueInfoProto of a tensor type). */
export interface OnnxValueInfo {
  readonly name: string;
  /** Declared element type; null only for a graph output the file declares no type for (allowed, inferred). */
  readonly elemType: OnnxDtype | null;
  /** Declared shape; null when the file declares no shape at all (unknown rank). */
  readonly dims: OnnxDim[] | null;
}

/** A node attribute, tagged by its AttributeProto type. INT/INTS hold numbers (see `Reader.int64`). */
export type OnnxAttribute =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: OnnxTensor }
  | { readonly type: 'graph'; readonly value: OnnxGraph }
  | { readonly type: 'floats'; readonly value: number[] }
  | { readonly type: 'ints'; readonly value: number[] }
  | { readonly type: 'strings'; readonly value: string[] }
  | { readonly type: 'tensors'; readonly value: OnnxTensor[] }
  | { readonly type: 'graphs'; readonly value: OnnxGraph[] }
  /** SPARSE_TENSOR(S), TYPE_PROTO(S): kept by kind only, no op this project maps uses them. */
  | { readonly type: 'other'; readonly kind: string };

/** An operator application (NodeProto), after model-local functions are inlined. */
export interface OnnxNode {
  /** The node's name, or `<opType>_<index>` when the file leaves it empty. */
  readonly name: string;
  readonly opType: string;
  /** Operator domain; the default domain ('' in the file) is 'ai.onnx'. */
  readonly domain: string;
  /** The opset version of `domain` this node follows (the model's, or its function's when inlined). */
  readonly opset: number;
  /** Input value names in order; '' marks an omitted optional input. */
  readonly inputs: string[];
  /** Output value names in order; '' marks an unused optional output. */
  readonly outputs: string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

/** A graph (GraphProto): the model's main graph or a control-flow subgraph. */
export interface OnnxGraph {
  readonly name: string;
  /** Graph inputs without an initializer: the model's input variables, in order (always typed). */
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
  /** Constant tensors by name (initializers; graph inputs that have one are weights, not inputs). */
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  /** Nodes in topological order. */
  readonly nodes: OnnxNode[];
  /** Declared types of intermediate values (value_info), by name. */
  readonly valueInfo: ReadonlyMap<string, OnnxValueInfo>;
}

/** A decoded ONNX model (ModelProto). */
export interface OnnxModel {
  /** The path as given, for messages ('<stdin>' for standard input). */
  readonly file: string;
  readonly irVersion: number;
  /** Imported opset versions by domain; the default domain is 'ai.onnx'. */
  readonly opsets: ReadonlyMap<string, number>;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graph: OnnxGraph;
  /** Real paths of the model file and of its external-data files (for -o's overwrite check). */
  readonly sources: string[];
  /** External-data files by the `location` the model names them with (for ONNX Runtime). */
  readonly externalData: ReadonlyMap<string, string>;
  readonly warnings: string[];
}
