import { readFileSync } from 'node:fs';
import { Nn2eqError } from '../errors.js';
import { Reader } from '../load/onnx/protobuf.js';
import { halfToFloat } from '../load/tfjs.js';
import type { OnnxDtype } from '../load/onnx/types.js';
import { missingOracle } from './oracle.js';

/** One named input for ONNX Runtime, in its declared element type and full shape. */
export interface OrtInput {
  readonly name: string;
  readonly dtype: OnnxDtype;
  readonly dims: readonly number[];
  /** Row-major values; integers for integer dtypes, 0/1 for bool. */
  readonly values: ArrayLike<number>;
}

/** One output of ONNX Runtime, widened to float64 for comparison. */
export interface OrtOutput {
  readonly name: string;
  /** ONNX Runtime's name of the element type ('float32', 'int64', 'bool', …). */
  readonly dtype: string;
  readonly dims: number[];
  readonly values: Float64Array;
}

/** An ONNX Runtime session over one model; `run` may be called for many cases. */
export interface OnnxRuntime {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model; returns every graph output, in the graph's order. */
  run(inputs: readonly OrtInput[]): Promise<OrtOutput[]>;
  release(): Promise<void>;
}

type Ort = typeof import('onnxruntime-web');
let ortPromise: Promise<Ort> | null = null;

/** onnxruntime-web (WebAssembly, no native build), imported on first use only. */
function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-web').catch((e: unknown) => {
    throw missingOracle(e, 'onnxruntime-web', '--verify on an ONNX model compares with ONNX Runtime (onnxruntime-web), which is not installed');
  }).then((ort) => {
    // One thread: no worker threads to outlive a run, and the wasm start-up stays small.
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    return ort;
  });
  return ortPromise;
}

/** Typed-array constructors for ONNX Runtime tensors of each input dtype. */
const FEED: Partial<Record<OnnxDtype, (v: ArrayLike<number>) => Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array | BigUint64Array>> = {
  float32: (v) => Float32Array.from(v),
  float64: (v) => Float64Array.from(v),
  int8: (v) => Int8Array.from(v),
  int16: (v) => Int16Array.from(v),
  int32: (v) => Int32Array.from(v),
  int64: (v) => BigInt64Array.from(v as ArrayLike<number>, (x) => BigInt(x)),
  uint8: (v) => Uint8Array.from(v),
  uint16: (v) => Uint16Array.from(v),
  uint32: (v) => Uint32Array.from(v),
  uint64: (v) => BigUint64Array.from(v as ArrayLike<number>, (x) => BigInt(x)),
  bool: (v) => Uint8Array.from(v, (x) => (x ? 1 : 0)),
};

/** The first line of an ONNX Runtime error, for a one-line message. */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'unknown error';
}

/** Options of `openOnnxRuntime`. */
export interface OnnxRuntimeOptions {
  /** External-data files by the `location` the model names them with (`OnnxModel.externalData`). */
  readonly externalData?: ReadonlyMap<string, string>;
  /** The model's name in messages. */
  readonly file?: string;
  /**
   * Intermediate values of the main graph to return as well (node output names), e.g. to find
   * the first node where a formula and ONNX Runtime disagree. Values inside model-local
   * functions are not reachable: ONNX Runtime inlines them under its own names.
   */
  readonly extraOutputs?: readonly string[];
}

/**
 * Opens an ONNX Runtime (onnxruntime-web, CPU/WebAssembly) session on model bytes.
 */
export async function openOnnxRuntime(bytes: Uint8Array, options: OnnxRuntimeOptions = {}): Promise<OnnxRuntime> {
  const { externalData = new Map<string, string>(), file = 'the model', extraOutputs = [] } = options;
  const ort = await loadOrt();
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session = await ort.InferenceSession.create(extraOutputs.length > 0 ? withGraphOutputs(bytes, extraOutputs) : bytes, {
      executionProviders: ['wasm'],
      logSeverityLevel: 3,
      externalData: [...externalData].map(([path, real]) => ({ path, data: new Uint8Array(readFileSync(real)) })),
    });
  } catch (e) {
    throw new Nn2eqError(`${file}: ONNX Runtime cannot load the model: ${firstLine(e)}`, 'unsupported', 'the reference runtime (onnxruntime-web) does not run this model, so it cannot be checked');
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(inputs: readonly OrtInput[]) {
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      for (const x of inputs) {
        const make = FEED[x.dtype];
        if (make === undefined) throw new Nn2eqError(`${file}: input '${x.name}' has element type ${x.dtype}, which the ONNX Runtime check does not feed`, 'unsupported');
        const count = x.dims.reduce((a, b) => a * b, 1);
        if (count !== x.values.length) throw new Nn2eqError(`${file}: input '${x.name}' of shape [${x.dims.join(', ')}] was given ${x.values.length} values, expected ${count}`, 'usage');
        feeds[x.name] = new ort.Tensor(x.dtype as 'float32', make(x.values) as Float32Array, x.dims);
      }
      let result: Awaited<ReturnType<typeof session.run>>;
      try {
        result = await session.run(feeds);
      } catch (e) {
        throw new Nn2eqError(`${file}: ONNX Runtime failed to run the model: ${firstLine(e)}`, 'unsupported', 'the reference runtime (onnxruntime-web) does not run this model, so it cannot be checked');
      }
      return session.outputNames.map((name) => {
        const t = result[name];
        const data = t.data as ArrayLike<number | bigint>;
        const values = new Float64Array(data.length);
        // onnxruntime-web hands float16 values over as their 16 bits (a Uint16Array).
        const half = t.type === 'float16' && data instanceof Uint16Array;
        for (let i = 0; i < data.length; i++) values[i] = half ? halfToFloat(data[i] as number) : Number(data[i]);
        return { name, dtype: t.type, dims: [...t.dims], values };
      });
    },
    release: () => session.release(),
  };
}

/** Runs a model once in ONNX Runtime on named inputs; returns every graph output. */
export async function onnxRuntimePredict(bytes: Uint8Array, inputs: readonly OrtInput[], options: OnnxRuntimeOptions = {}): Promise<OrtOutput[]> {
  const rt = await openOnnxRuntime(bytes, options);
  try {
    return await rt.run(inputs);
  } finally {
    await rt.release();
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n & 127) | 128);
  out.push(n);
  return out;
}

/** A length-delimited protobuf field. */
function lengthField(field: number, payload: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.from(varint((field << 3) | 2)), Uint8Array.from(varint(payload.length)), payload]);
}

/**
 * The model bytes with more graph outputs: a ValueInfoProto holding only a name is appended to
 * the GraphProto (field 12) for each value; ONNX Runtime infers their types.
 */
export function withGraphOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const r = new Reader(bytes, 'the model', 'the model');
  const parts: Uint8Array[] = [];
  while (!r.done()) {
    const start = r.pos;
    const [field, wire] = r.tag();
    if (field === 7 && wire === 2) {
      const [s, e] = r.span();
      const extra = names.map((n) => lengthField(12, lengthField(1, Buffer.from(n, 'utf8'))));
      parts.push(lengthField(7, Buffer.concat([bytes.subarray(s, e), ...extra])));
    } else {
      r.skip(wire);
      parts.push(bytes.subarray(start, r.pos));
    }
  }
  return Buffer.concat(parts);
}
