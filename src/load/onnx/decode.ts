import { Nn2eqError } from '../../errors.js';
import { Reader, Wire } from './protobuf.js';
import { decodeTensor, DTYPES, dtypeName, type TensorContext } from './tensor.js';
import type { OnnxAttribute, OnnxDim, OnnxDtype, OnnxTensor } from './types.js';

/** An attribute value as decoded; subgraphs are still raw (functions are inlined later). */
export type RawAttrValue =
  | Exclude<OnnxAttribute, { type: 'graph' } | { type: 'graphs' }>
  | { readonly type: 'graph'; readonly value: RawGraph }
  | { readonly type: 'graphs'; readonly value: RawGraph[] };

/** An AttributeProto; `ref` is set inside function bodies for attributes taken from the call. */
export interface RawAttr {
  name: string;
  ref: string;
  value: RawAttrValue;
}

/** A NodeProto as decoded. */
export interface RawNode {
  name: string;
  opType: string;
  domain: string;
  overload: string;
  inputs: string[];
  outputs: string[];
  attributes: RawAttr[];
}

/** A TypeProto, reduced to what nn2eq needs: tensor element type and shape, or the kind it is. */
export interface RawType {
  kind: 'tensor' | 'sparse tensor' | 'sequence' | 'map' | 'optional' | 'none';
  elemType: number;
  dims: OnnxDim[] | null;
}

/** A ValueInfoProto. */
export interface RawValueInfo {
  name: string;
  type: RawType;
}

/** A GraphProto as decoded. */
export interface RawGraph {
  name: string;
  nodes: RawNode[];
  initializers: OnnxTensor[];
  inputs: RawValueInfo[];
  outputs: RawValueInfo[];
  valueInfo: RawValueInfo[];
}

/** A FunctionProto (a model-local function). */
export interface RawFunction {
  name: string;
  domain: string;
  overload: string;
  inputs: string[];
  outputs: string[];
  attributes: string[];
  defaults: Map<string, RawAttrValue>;
  nodes: RawNode[];
  opsets: Map<string, number>;
}

/** A ModelProto as decoded. */
export interface RawModel {
  irVersion: number;
  opsets: Map<string, number>;
  producerName: string;
  producerVersion: string;
  graph: RawGraph | null;
  functions: RawFunction[];
}

/** The default domain is written '' or 'ai.onnx'; nn2eq calls it 'ai.onnx'. */
export function normalizeDomain(d: string): string {
  return d === '' ? 'ai.onnx' : d;
}

/** Decodes a whole ModelProto. */
export function decodeModel(bytes: Uint8Array, ctx: TensorContext): RawModel {
  const r = new Reader(bytes, ctx.file, 'the model');
  const m: RawModel = { irVersion: 0, opsets: new Map(), producerName: '', producerVersion: '', graph: null, functions: [] };
  while (!r.done()) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Varint, 'ir_version'); m.irVersion = r.int64(); break;
      case 2: r.expect(wire, Wire.Bytes, 'producer_name'); m.producerName = r.string(); break;
      case 3: r.expect(wire, Wire.Bytes, 'producer_version'); m.producerVersion = r.string(); break;
      case 7: r.expect(wire, Wire.Bytes, 'graph'); m.graph = decodeGraph(r.message('graph'), ctx); break;
      case 8: {
        r.expect(wire, Wire.Bytes, 'opset_import');
        const [domain, version] = decodeOpset(r.message(`opset_import[${m.opsets.size}]`));
        m.opsets.set(domain, version);
        break;
      }
      case 25: r.expect(wire, Wire.Bytes, 'functions'); m.functions.push(decodeFunction(r.message(`functions[${m.functions.length}]`), ctx)); break;
      default: r.skip(wire);
    }
  }
  return m;
}

function decodeOpset(r: Reader): [string, number] {
  let domain = '';
  let version = 0;
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1) { r.expect(wire, Wire.Bytes, 'domain'); domain = r.string(); }
    else if (field === 2) { r.expect(wire, Wire.Varint, 'version'); version = r.int64(); }
    else r.skip(wire);
  }
  return [normalizeDomain(domain), version];
}

/** Subgraphs nested deeper than this are refused (a crafted file could exhaust the stack). */
const MAX_NESTING = 64;
let nesting = 0;

/** Decodes a GraphProto (the main graph or a subgraph attribute). */
export function decodeGraph(r: Reader, ctx: TensorContext): RawGraph {
  if (nesting >= MAX_NESTING) throw r.fail(`subgraphs nested more than ${MAX_NESTING} deep`);
  nesting++;
  try {
    return decodeGraphFields(r, ctx);
  } finally {
    nesting--;
  }
}

function decodeGraphFields(r: Reader, ctx: TensorContext): RawGraph {
  const g: RawGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
  const where = r.where;
  while (!r.done()) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, 'node'); g.nodes.push(decodeNode(r.message(`${where}.node[${g.nodes.length}]`), ctx)); break;
      case 2: r.expect(wire, Wire.Bytes, 'name'); g.name = r.string(); break;
      case 5: r.expect(wire, Wire.Bytes, 'initializer'); g.initializers.push(decodeTensor(r.message(`${where}.initializer[${g.initializers.length}]`), ctx)); break;
      case 11: r.expect(wire, Wire.Bytes, 'input'); g.inputs.push(decodeValueInfo(r.message(`${where}.input[${g.inputs.length}]`))); break;
      case 12: r.expect(wire, Wire.Bytes, 'output'); g.outputs.push(decodeValueInfo(r.message(`${where}.output[${g.outputs.length}]`))); break;
      case 13: r.expect(wire, Wire.Bytes, 'value_info'); g.valueInfo.push(decodeValueInfo(r.message(`${where}.value_info[${g.valueInfo.length}]`))); break;
      case 15: r.expect(wire, Wire.Bytes, 'sparse_initializer'); g.initializers.push(decodeSparse(r.message(`${where}.sparse_initializer`), ctx)); break;
      default: r.skip(wire);
    }
  }
  return g;
}

function decodeNode(r: Reader, ctx: TensorContext): RawNode {
  const n: RawNode = { name: '', opType: '', domain: '', overload: '', inputs: [], outputs: [], attributes: [] };
  const where = r.where;
  while (!r.done()) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, 'input'); n.inputs.push(r.string()); break;
      case 2: r.expect(wire, Wire.Bytes, 'output'); n.outputs.push(r.string()); break;
      case 3: r.expect(wire, Wire.Bytes, 'name'); n.name = r.string(); break;
      case 4: r.expect(wire, Wire.Bytes, 'op_type'); n.opType = r.string(); break;
      case 5: r.expect(wire, Wire.Bytes, 'attribute'); n.attributes.push(decodeAttribute(r.message(`${where}.attribute[${n.attributes.length}]`), ctx)); break;
      case 7: r.expect(wire, Wire.Bytes, 'domain'); n.domain = r.string(); break;
      case 8: r.expect(wire, Wire.Bytes, 'overload'); n.overload = r.string(); break;
      default: r.skip(wire);
    }
  }
  if (n.opType === '') throw r.fail('a node without op_type');
  return n;
}

/** AttributeProto.AttributeType numbers → the kind of value held. */
const ATTR_TYPES: Record<number, string> = {
  1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings', 9: 'tensors', 10: 'graphs',
  11: 'sparse_tensor', 12: 'sparse_tensors', 13: 'type_proto', 14: 'type_protos',
};

/** Which field holds each kind (for files that leave `type` unset, IR version < 3). */
const ATTR_FIELDS: Record<number, string> = {
  2: 'float', 3: 'int', 4: 'string', 5: 'tensor', 6: 'graph', 7: 'floats', 8: 'ints', 9: 'strings', 10: 'tensors', 11: 'graphs',
  22: 'sparse_tensor', 23: 'sparse_tensors', 14: 'type_proto', 15: 'type_protos',
};

function decodeAttribute(r: Reader, ctx: TensorContext): RawAttr {
  let name = '';
  let ref = '';
  let type = 0;
  let f = 0;
  let i = 0;
  let s = '';
  let t: OnnxTensor | null = null;
  let g: RawGraph | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  const tensors: OnnxTensor[] = [];
  const graphs: RawGraph[] = [];
  const seen = new Set<string>();
  const where = r.where;
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (ATTR_FIELDS[field] !== undefined) seen.add(ATTR_FIELDS[field]);
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, 'name'); name = r.string(); break;
      case 21: r.expect(wire, Wire.Bytes, 'ref_attr_name'); ref = r.string(); break;
      case 20: r.expect(wire, Wire.Varint, 'type'); type = r.int32(); break;
      case 2: r.expect(wire, Wire.Fixed32, 'f'); f = r.fixed32Float(); break;
      case 3: r.expect(wire, Wire.Varint, 'i'); i = r.int64(); break;
      case 4: r.expect(wire, Wire.Bytes, 's'); s = r.string(); break;
      case 5: r.expect(wire, Wire.Bytes, 't'); t = decodeTensor(r.message(`${where}.t`), ctx); break;
      case 6: r.expect(wire, Wire.Bytes, 'g'); g = decodeGraph(r.message(`${where}.g`), ctx); break;
      case 7: r.repeated(wire, Wire.Fixed32, (x) => floats.push(x.fixed32Float())); break;
      case 8: r.repeated(wire, Wire.Varint, (x) => ints.push(x.int64())); break;
      case 9: r.expect(wire, Wire.Bytes, 'strings'); strings.push(r.string()); break;
      case 10: r.expect(wire, Wire.Bytes, 'tensors'); tensors.push(decodeTensor(r.message(`${where}.tensors[${tensors.length}]`), ctx)); break;
      case 11: r.expect(wire, Wire.Bytes, 'graphs'); graphs.push(decodeGraph(r.message(`${where}.graphs[${graphs.length}]`), ctx)); break;
      default: r.skip(wire);
    }
  }
  let kind = ATTR_TYPES[type];
  if (type === 0) {
    // Files before IR version 3 leave `type` unset: the one field present says it. A reference
    // attribute of a function body may hold no value at all.
    if (seen.size > 1) throw new Nn2eqError(`${ctx.file}: attribute '${name}' in ${where} sets no type and holds ${[...seen].join(' and ')}`, 'input', 'the file is corrupt; export the model again');
    kind = [...seen][0] ?? (ref ? 'ref' : 'ints');
  }
  if (kind === undefined) throw r.fail(`attribute '${name}' of type ${type}`);
  const value: RawAttrValue = ((): RawAttrValue => {
    switch (kind) {
      case 'float': return { type: 'float', value: f };
      case 'int': return { type: 'int', value: i };
      case 'string': return { type: 'string', value: s };
      case 'tensor':
        if (t === null && !ref) throw r.fail(`tensor attribute '${name}' without a tensor`);
        return { type: 'tensor', value: t ?? { name: '', dtype: 'float32', dims: [], values: new Float32Array(1) } };
      case 'graph':
        if (g === null && !ref) throw r.fail(`graph attribute '${name}' without a graph`);
        return { type: 'graph', value: g ?? { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] } };
      case 'floats': return { type: 'floats', value: floats };
      case 'ints': return { type: 'ints', value: ints };
      case 'strings': return { type: 'strings', value: strings };
      case 'tensors': return { type: 'tensors', value: tensors };
      case 'graphs': return { type: 'graphs', value: graphs };
      default: return { type: 'other', kind };
    }
  })();
  if (name === '') throw r.fail('an attribute without a name');
  return { name, ref, value };
}

function decodeValueInfo(r: Reader): RawValueInfo {
  let name = '';
  let type: RawType = { kind: 'none', elemType: 0, dims: null };
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1) { r.expect(wire, Wire.Bytes, 'name'); name = r.string(); }
    else if (field === 2) { r.expect(wire, Wire.Bytes, 'type'); type = decodeType(r.message(`${r.where}.type`)); }
    else r.skip(wire);
  }
  return { name, type };
}

function decodeType(r: Reader): RawType {
  const t: RawType = { kind: 'none', elemType: 0, dims: null };
  const kinds: Record<number, RawType['kind']> = { 1: 'tensor', 4: 'sequence', 5: 'map', 9: 'optional', 8: 'sparse tensor' };
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (kinds[field] === undefined) { r.skip(wire); continue; }
    r.expect(wire, Wire.Bytes, kinds[field]);
    t.kind = kinds[field];
    const inner = r.message(`${r.where}.${kinds[field]}`);
    if (field !== 1 && field !== 8) { inner.pos = inner.end; continue; }
    while (!inner.done()) {
      const [f2, w2] = inner.tag();
      if (f2 === 1) { inner.expect(w2, Wire.Varint, 'elem_type'); t.elemType = inner.int32(); }
      else if (f2 === 2) { inner.expect(w2, Wire.Bytes, 'shape'); t.dims = decodeShape(inner.message(`${inner.where}.shape`)); }
      else inner.skip(w2);
    }
  }
  return t;
}

function decodeShape(r: Reader): OnnxDim[] {
  const dims: OnnxDim[] = [];
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field !== 1) { r.skip(wire); continue; }
    r.expect(wire, Wire.Bytes, 'dim');
    const d = r.message(`${r.where}.dim[${dims.length}]`);
    let dim: OnnxDim = null;
    while (!d.done()) {
      const [f2, w2] = d.tag();
      if (f2 === 1) { d.expect(w2, Wire.Varint, 'dim_value'); dim = d.int64(); }
      else if (f2 === 2) { d.expect(w2, Wire.Bytes, 'dim_param'); dim = d.string(); }
      else d.skip(w2);
    }
    dims.push(dim);
  }
  return dims;
}

function decodeFunction(r: Reader, ctx: TensorContext): RawFunction {
  const fn: RawFunction = { name: '', domain: '', overload: '', inputs: [], outputs: [], attributes: [], defaults: new Map(), nodes: [], opsets: new Map() };
  const where = r.where;
  while (!r.done()) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, 'name'); fn.name = r.string(); break;
      case 4: r.expect(wire, Wire.Bytes, 'input'); fn.inputs.push(r.string()); break;
      case 5: r.expect(wire, Wire.Bytes, 'output'); fn.outputs.push(r.string()); break;
      case 6: r.expect(wire, Wire.Bytes, 'attribute'); fn.attributes.push(r.string()); break;
      case 7: r.expect(wire, Wire.Bytes, 'node'); fn.nodes.push(decodeNode(r.message(`${where}.node[${fn.nodes.length}]`), ctx)); break;
      case 9: {
        r.expect(wire, Wire.Bytes, 'opset_import');
        const [domain, version] = decodeOpset(r.message(`${where}.opset_import`));
        fn.opsets.set(domain, version);
        break;
      }
      case 10: r.expect(wire, Wire.Bytes, 'domain'); fn.domain = r.string(); break;
      case 11: {
        r.expect(wire, Wire.Bytes, 'attribute_proto');
        const a = decodeAttribute(r.message(`${where}.attribute_proto`), ctx);
        fn.defaults.set(a.name, a.value);
        break;
      }
      case 13: r.expect(wire, Wire.Bytes, 'overload'); fn.overload = r.string(); break;
      default: r.skip(wire);
    }
  }
  return fn;
}

/** A SparseTensorProto initializer, made dense (zeros where no value is given). */
function decodeSparse(r: Reader, ctx: TensorContext): OnnxTensor {
  let values: OnnxTensor | null = null;
  let indices: OnnxTensor | null = null;
  const dims: number[] = [];
  const where = r.where;
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1) { r.expect(wire, Wire.Bytes, 'values'); values = decodeTensor(r.message(`${where}.values`), ctx); }
    else if (field === 2) { r.expect(wire, Wire.Bytes, 'indices'); indices = decodeTensor(r.message(`${where}.indices`), ctx); }
    else if (field === 3) r.repeated(wire, Wire.Varint, (x) => dims.push(x.int64()));
    else r.skip(wire);
  }
  if (values === null || indices === null || values.dtype === 'string' || indices.dtype !== 'int64') throw r.fail('a sparse initializer without float values and int64 indices');
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count < 0 || count > 1 << 28) throw r.fail(`a sparse initializer of shape [${dims.join(', ')}]`);
  const vals = values.values as Float32Array;
  const dense = new (vals.constructor as Float32ArrayConstructor)(count);
  const nnz = vals.length;
  const idx = indices.values as BigInt64Array;
  const rank = indices.dims.length === 2 ? indices.dims[1] : 1;
  for (let k = 0; k < nnz; k++) {
    let flat = 0;
    if (rank === 1 && indices.dims.length === 1) flat = Number(idx[k]);
    else for (let a = 0; a < rank; a++) flat = flat * dims[a] + Number(idx[k * rank + a]);
    if (!(flat >= 0 && flat < count)) throw r.fail(`a sparse initializer index ${flat} outside its ${count} values`);
    dense[flat] = vals[k];
  }
  return { name: values.name, dtype: values.dtype, dims, values: dense };
}

/** The dtype of a declared element type, or an error naming the value. */
export function elemDtype(elemType: number, file: string, what: string): OnnxDtype {
  const d = DTYPES[elemType];
  if (d === undefined) throw new Nn2eqError(`${file}: ${what} has element type ${dtypeName(elemType)}, which nn2eq does not read`, 'unsupported');
  return d;
}

