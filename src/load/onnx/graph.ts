import { Nn2eqError } from '../../errors.js';
import { elemDtype, normalizeDomain, type RawAttrValue, type RawFunction, type RawGraph, type RawNode, type RawValueInfo } from './decode.js';
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './types.js';

/** Nesting depth of function calls beyond which the functions are taken to call each other. */
const MAX_DEPTH = 64;

/** What a function body (or the main graph) sees: its opsets, value renames and call attributes. */
interface Scope {
  opsets: ReadonlyMap<string, number>;
  /** Value renames (formal → actual, internal → prefixed); null in the main graph. */
  rename: Map<string, string> | null;
  /** The calling node's attributes, for `ref_attr_name`; null outside functions. */
  attrs: Map<string, RawAttrValue> | null;
  /** Prefix for names of inlined nodes. */
  prefix: string;
  depth: number;
}

/** Builds graphs: inlines model-local functions, resolves attribute references, checks and sorts. */
export class GraphBuilder {
  private readonly functions = new Map<string, RawFunction>();
  private calls = 0;

  constructor(
    private readonly file: string,
    private readonly opsets: ReadonlyMap<string, number>,
    functions: RawFunction[],
  ) {
    for (const f of functions) this.functions.set(functionKey(normalizeDomain(f.domain), f.name, f.overload), f);
  }

  /** The main graph (`outer` empty) or a subgraph seeing the names `outer` defines. */
  build(raw: RawGraph, outer: ReadonlySet<string>, main: boolean, scope?: Scope): OnnxGraph {
    const where = main ? 'the graph' : `subgraph '${raw.name}'`;
    const initializers = new Map<string, OnnxTensor>();
    for (const t of raw.initializers) {
      if (t.name === '') throw new Nn2eqError(`${this.file}: an initializer of ${where} has no name`, 'input', 'the file is corrupt; export the model again');
      initializers.set(t.name, t);
    }
    const nodes: OnnxNode[] = [];
    const top: Scope = scope ?? { opsets: this.opsets, rename: null, attrs: null, prefix: '', depth: 0 };
    this.expand(raw.nodes, top, nodes, outer, raw);
    const inputs = raw.inputs.filter((v) => !initializers.has(v.name)).map((v) => this.valueInfo(v, `${where} input '${v.name}'`, main));
    // An output may leave its type to inference (ONNX Runtime accepts that); an input may not.
    const outputs = raw.outputs.map((v) => (v.type.kind === 'none' && v.name !== '' ? { name: v.name, elemType: null, dims: null } : this.valueInfo(v, `${where} output '${v.name}'`, main)));
    const valueInfo = new Map<string, OnnxValueInfo>();
    for (const v of raw.valueInfo) {
      if (v.type.kind === 'tensor' && v.name !== '') {
        try {
          valueInfo.set(v.name, this.valueInfo(v, `value '${v.name}'`, false));
        } catch {
          // An intermediate of a type nn2eq does not read is reported where a node uses it.
        }
      }
    }
    const graph: OnnxGraph = { name: raw.name, inputs, outputs, initializers, nodes: this.sorted(nodes, raw, initializers, outer, where, main), valueInfo };
    if (main && outputs.length === 0) throw new Nn2eqError(`${this.file}: the graph declares no outputs`, 'input', 'the file is truncated or corrupt; export the model again');
    return graph;
  }

  private valueInfo(v: RawValueInfo, what: string, strict: boolean): OnnxValueInfo {
    if (v.name === '') throw new Nn2eqError(`${this.file}: ${what.replace(" ''", '')} has no name`, 'input', 'the file is corrupt; export the model again');
    if (v.type.kind !== 'tensor') {
      if (strict) throw new Nn2eqError(`${this.file}: ${what} is ${v.type.kind === 'none' ? 'a value without a declared type' : v.type.kind === 'optional' ? 'an optional' : `a ${v.type.kind}`}, expected a tensor`, 'unsupported', 'nn2eq converts graphs whose inputs and outputs are tensors');
      return { name: v.name, elemType: 'float32', dims: null };
    }
    return { name: v.name, elemType: elemDtype(v.type.elemType, this.file, what), dims: v.type.dims };
  }

  /** Appends `raw` nodes to `out`, replacing each call of a model-local function by its body. */
  private expand(raw: RawNode[], scope: Scope, out: OnnxNode[], outer: ReadonlySet<string>, graph: RawGraph): void {
    const name = (n: string): string => (n === '' || scope.rename === null ? n : (scope.rename.get(n) ?? `${scope.prefix}${n}`));
    for (const n of raw) {
      const domain = normalizeDomain(n.domain);
      const attrs = new Map<string, RawAttrValue>();
      for (const a of n.attributes) {
        if (a.ref !== '') {
          if (scope.attrs === null) throw new Nn2eqError(`${this.file}: node '${n.name || n.opType}' refers to attribute '${a.ref}' of a calling function, but is not inside a function`, 'input', 'the file is corrupt; export the model again');
          const v = scope.attrs.get(a.ref);
          if (v !== undefined) attrs.set(a.name, v);
        } else attrs.set(a.name, a.value);
      }
      const fn = this.functions.get(functionKey(domain, n.opType, n.overload));
      if (fn !== undefined) {
        if (scope.depth >= MAX_DEPTH) throw new Nn2eqError(`${this.file}: function '${fn.name}' is nested more than ${MAX_DEPTH} calls deep; the model's functions call each other recursively`, 'input');
        const callName = n.name || `${fn.name}_${this.calls}`;
        this.calls++;
        const rename = new Map<string, string>();
        fn.inputs.forEach((f, i) => rename.set(f, name(n.inputs[i] ?? '')));
        const prefix = `${scope.prefix}${callName}/`;
        // An output the call leaves unnamed may still feed the body's own nodes: keep it, inside.
        fn.outputs.forEach((f, i) => rename.set(f, (n.outputs[i] ?? '') === '' ? `${prefix}${f}` : name(n.outputs[i])));
        const callAttrs = new Map(fn.defaults);
        for (const [k, v] of attrs) callAttrs.set(k, v);
        const opsets = new Map(this.opsets);
        for (const [d, v] of fn.opsets) opsets.set(d, v);
        this.expand(fn.nodes, { opsets, rename, attrs: callAttrs, prefix, depth: scope.depth + 1 }, out, outer, graph);
        continue;
      }
      const inputs = n.inputs.map(name);
      const outputs = n.outputs.map(name);
      const nodeName = n.name === '' ? `${n.opType}_${out.length}` : `${scope.prefix}${n.name}`;
      const attributes = new Map<string, OnnxAttribute>();
      for (const [k, v] of attrs) attributes.set(k, this.attribute(v, scope, outer, graph, out, outputs));
      out.push({ name: nodeName, opType: n.opType, domain, opset: scope.opsets.get(domain) ?? 0, inputs, outputs, attributes });
    }
  }

  /** Finishes an attribute: subgraphs are built, seeing every name of the enclosing graph. */
  private attribute(v: RawAttrValue, scope: Scope, outer: ReadonlySet<string>, graph: RawGraph, done: OnnxNode[], outputs: string[]): OnnxAttribute {
    if (v.type !== 'graph' && v.type !== 'graphs') return v;
    const visible = new Set(outer);
    for (const i of graph.inputs) visible.add(i.name);
    for (const t of graph.initializers) visible.add(t.name);
    for (const n of graph.nodes) for (const o of n.outputs) visible.add(o);
    for (const n of done) for (const o of n.outputs) visible.add(o);
    for (const o of outputs) visible.delete(o);
    const sub = (g: RawGraph) => this.build(renameFree(g, scope), visible, false, { ...scope, rename: null, depth: scope.depth });
    return v.type === 'graph' ? { type: 'graph', value: sub(v.value) } : { type: 'graphs', value: v.value.map(sub) };
  }

  /** Checks that every value is defined once and used after (or without) a definition; sorts topologically. */
  private sorted(nodes: OnnxNode[], raw: RawGraph, initializers: ReadonlyMap<string, OnnxTensor>, outer: ReadonlySet<string>, where: string, main: boolean): OnnxNode[] {
    const producer = new Map<string, number>();
    const given = new Set<string>([...raw.inputs.map((v) => v.name), ...initializers.keys()]);
    nodes.forEach((n, i) => {
      for (const o of n.outputs) {
        if (o === '') continue;
        if (producer.has(o) || given.has(o)) throw new Nn2eqError(`${this.file}: value '${o}' of ${where} is written by more than one node (again by '${n.name}', ${n.opType})`, 'input', 'the file is corrupt; export the model again');
        producer.set(o, i);
      }
    });
    const missing: string[] = [];
    const deps = nodes.map((n) => {
      const d: number[] = [];
      for (const i of n.inputs) {
        if (i === '' || given.has(i)) continue;
        const p = producer.get(i);
        if (p !== undefined) d.push(p);
        else if (!outer.has(i)) missing.push(`'${i}' (input of '${n.name}', ${n.opType})`);
      }
      return d;
    });
    for (const o of raw.outputs) if (!given.has(o.name) && !producer.has(o.name) && !outer.has(o.name)) missing.push(`'${o.name}' (an output of ${where})`);
    if (missing.length > 0) {
      throw new Nn2eqError(`${this.file}: ${where} uses ${missing.length} value${missing.length === 1 ? '' : 's'} that nothing defines: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`, 'input', main ? 'the file is truncated or corrupt; export the model again' : undefined);
    }
    if (deps.every((d, i) => d.every((p) => p < i))) return nodes;
    // Nodes out of order: Kahn's algorithm, earliest node first, so sorted files keep their order.
    const users: number[][] = nodes.map(() => []);
    const pending = deps.map((d, i) => {
      for (const p of d) users[p].push(i);
      return d.length;
    });
    const ready = pending.flatMap((c, i) => (c === 0 ? [i] : []));
    const order: OnnxNode[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => b - a);
      const i = ready.pop()!;
      order.push(nodes[i]);
      for (const u of users[i]) if (--pending[u] === 0) ready.push(u);
    }
    if (order.length !== nodes.length) {
      const stuck = nodes.filter((_, i) => pending[i] > 0).slice(0, 3).map((n) => `'${n.name}' (${n.opType})`);
      throw new Nn2eqError(`${this.file}: ${where} has a cycle through ${stuck.join(', ')}`, 'input', 'the file is corrupt; export the model again');
    }
    return order;
  }
}

function functionKey(domain: string, name: string, overload: string): string {
  return `${domain}\u0000${name}\u0000${overload}`;
}

/** Applies a function body's renames to the names a subgraph takes from it (not defined inside). */
function renameFree(g: RawGraph, scope: Scope): RawGraph {
  if (scope.rename === null) return g;
  const local = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name)]);
  for (const n of g.nodes) for (const o of n.outputs) local.add(o);
  const f = (x: string) => (x === '' || local.has(x) ? x : (scope.rename!.get(x) ?? `${scope.prefix}${x}`));
  return {
    ...g,
    nodes: g.nodes.map((n) => ({ ...n, inputs: n.inputs.map(f) })),
    outputs: g.outputs.map((o) => ({ ...o, name: f(o.name) })),
  };
}
