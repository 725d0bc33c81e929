import { comparedNodes, estimateSize } from '../render.js';
import { humanBytes } from '../../ir/graph.js';
import { TRIG } from '../../ir/ops.js';
import { Nn2eqError } from '../../errors.js';
import type { NodeId } from '../../ir/graph.js';
import type { Program } from '../../schedule.js';
import { inputNames, outputNames, plainName } from '../common.js';
import { portNames } from '../port-names.js';
import { formatNumber, JSON_NUMBERS } from '../number.js';
import type { EmitOptions, Emitter } from '../types.js';
import type { Body, Equation, TensorProgram } from '../../tensor/program.js';
import { comparedConstants, tensorNames } from '../tensor-common.js';

/** Version of schema/nn2eq-ir.schema.json that the output follows; raised on any incompatible change. */
export const JSON_IR_VERSION = 1;

// JSON has no NaN or infinities: those are written as the strings "NaN", "Infinity", "-Infinity".

/**
 * The scalar IR program as JSON (schema/nn2eq-ir.schema.json): the live nodes in dependency order,
 * the named bindings of the let form, and the node of every scalar output. One node per line.
 */
export const json: Emitter = {
  description: 'the scalar IR program as JSON (schema/nn2eq-ir.schema.json, versioned)',
  extension: 'json',
  supports: new Set(['exp', 'log', 'tanh', 'sigmoid', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]),
  reserved: new Set(),
  symbolicWeights: true,
  tensor: { emit: tensorJson },
  emit(program: Program, opts: EmitOptions): string {
    const estimate = estimateSize(program);
    if (estimate > opts.maxSize) {
      throw new Nn2eqError(`the JSON would be about ${humanBytes(estimate)}, over --max-size ${humanBytes(opts.maxSize)}`, 'too-large', 'raise --max-size if you really want this much text');
    }
    const num = (v: number, exact = false) => formatNumber(v, JSON_NUMBERS, opts.precision, exact);
    const str = (s: string) => JSON.stringify(s);
    const { graph, live } = program;
    // A number a comparison reads is written as exactly its float64 value (see comparedNodes).
    const compared = comparedNodes(program);
    const index = new Int32Array(graph.size).fill(-1);
    const nodes: string[] = [];
    for (let id = 0; id < graph.size; id++) {
      if (!live[id]) continue;
      const n = graph.nodes[id];
      const args = `[${n.args.map((a) => index[a]).join(', ')}]`;
      let text: string;
      switch (n.op) {
        case 'input':
          text = `{"op": "input", "index": ${n.value}}`;
          break;
        case 'const':
          text = `{"op": "const", "value": ${num(n.value, compared[id] === 1)}}`;
          break;
        case 'param':
          text = `{"op": "param", "tensor": ${n.table}, "index": ${n.value}}`;
          break;
        case 'affine':
          text = `{"op": "affine", "args": ${args}, "coefs": [${Array.from(n.coefs!, (c) => num(c)).join(', ')}], "bias": ${num(n.value, compared[id] === 1)}}`;
          break;
        case 'lookup':
          text = `{"op": "lookup", "args": ${args}, "table": ${n.table}, "column": ${n.value}}`;
          break;
        default:
          text = `{"op": "${n.op}", "args": ${args}}`;
      }
      index[id] = nodes.length;
      nodes.push(text);
    }
    const name = (id: NodeId) => {
      const n = program.names.get(id)!;
      const label = n.kind === 'hidden' ? `, "layer": ${n.layer}, "unit": ${n.index}${n.state ? `, "state": ${str(n.state.symbol)}, "step": ${n.state.step}` : ''}` : '';
      return `{"node": ${index[id]}, "name": ${str(plainName(n, opts, '_'))}${label}}`;
    };
    const plain = (n: Parameters<typeof plainName>[0]) => plainName(n, opts, '_');
    const ins = inputNames(program, plain);
    const outs = outputNames(program, plain);
    const port = (p: Program['inputs'][number], symbols: string[]) => `{"shape": [${p.shape.join(', ')}], "offset": ${p.offset}, "size": ${p.size}, "symbols": [${symbols.map(str).join(', ')}]}`;
    const list = (items: string[], indent = '    ') => (items.length === 0 ? '[]' : `[\n${items.map((s) => indent + s).join(',\n')}\n  ]`);
    const params = graph.params.map((t) => `{"name": ${str(t.name)}, "role": ${str(t.role)}, "layer": ${t.layer}, "shape": [${t.shape.join(', ')}], "values": [${Array.from(t.values, (v) => num(v)).join(', ')}]}`);
    const tables = graph.tables.map((t) => `{"rows": ${t.rows}, "cols": ${t.cols}, "values": [${Array.from(t.values, (v) => num(v)).join(', ')}]}`);
    return [
      '{',
      `  "format": "nn2eq-ir",`,
      `  "version": ${JSON_IR_VERSION},`,
      `  "form": "scalar",`,
      ...(opts.notes?.length ? [`  "notes": [${opts.notes.map(str).join(', ')}],`] : []),
      `  "inputs": ${list(program.inputs.map((p, i) => port(p, ins[i])))},`,
      `  "outputs": ${list(program.outputs.map((p, i) => port(p, outs[i])))},`,
      `  "tables": ${list(tables)},`,
      ...(params.length ? [`  "params": ${list(params)},`] : []),
      `  "nodes": ${list(nodes)},`,
      `  "bindings": ${list(program.bindings.map(name))},`,
      `  "results": [${program.outputIds.map((o) => index[o]).join(', ')}]`,
      '}',
      '',
    ].join('\n');
  },
};

/** Plain attribute data as JSON, non-finite numbers as the strings the schema allows. */
function attrsJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? (Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity') : x));
}

/**
 * The tensor program as JSON (schema/nn2eq-ir.schema.json, #/$defs/tensorProgram): every tensor
 * with its name, kind, shape and (for constants) values, then one equation per line.
 */
function tensorJson(p: TensorProgram, opts: EmitOptions): string {
  const estimate = p.tensors.reduce((n, t) => n + (t.values ? t.values.length * 12 : 0), 0);
  if (estimate > opts.maxSize) {
    throw new Nn2eqError(`the JSON would be about ${humanBytes(estimate)}, over --max-size ${humanBytes(opts.maxSize)}`, 'too-large', 'raise --max-size if you really want this much text');
  }
  const num = (v: number, exact = false) => formatNumber(v, JSON_NUMBERS, opts.precision, exact);
  const str = (s: string) => JSON.stringify(s);
  const names = tensorNames(p);
  const compared = comparedConstants(p);
  const tensors = p.tensors.map((t, id) => {
    const values = t.values && !opts.symbolicWeights ? `, "values": [${Array.from(t.values, (v) => num(v, compared.has(id))).join(', ')}]` : '';
    return `{"name": ${str(names[id] ?? `t_${id}`)}, "kind": "${t.kind}", "shape": [${t.shape.join(', ')}], "role": ${str(t.role)}, "layer": ${t.layer}${values}}`;
  });
  const equation = (eq: Equation): string => {
    const body = eq.body ? `, "body": ${bodyJson(eq.body)}` : '';
    return `{"op": "${eq.op}", "args": [${eq.args.join(', ')}], "outs": [${eq.outs.join(', ')}], "attrs": ${attrsJson(eq.attrs)}${body}}`;
  };
  const bodyJson = (b: Body): string => `{"inputs": [${b.inputs.join(', ')}], "equations": [${b.equations.map(equation).join(', ')}], "outputs": [${b.outputs.join(', ')}]}`;
  const list = (items: string[]) => (items.length === 0 ? '[]' : `[\n${items.map((s) => `    ${s}`).join(',\n')}\n  ]`);
  // --inputs / --outputs: each element's name, row-major, as the scalar form's ports list their symbols.
  const named = portNames(p, opts);
  const port = (q: TensorProgram['inputs'][number], symbols?: readonly string[]) => `{"name": ${str(q.name)}, "tensor": ${q.tensor.id}${symbols ? `, "symbols": [${symbols.map(str).join(', ')}]` : ''}}`;
  return [
    '{',
    `  "format": "nn2eq-ir",`,
    `  "version": ${JSON_IR_VERSION},`,
    `  "form": "tensor",`,
    ...(opts.notes?.length ? [`  "notes": [${opts.notes.map(str).join(', ')}],`] : []),
    `  "tensors": ${list(tensors)},`,
    `  "inputs": ${list(p.inputs.map((q, i) => port(q, named.inputs?.[i])))},`,
    `  "outputs": ${list(p.outputs.map((q, i) => port(q, named.outputs?.[i])))},`,
    `  "equations": ${list(p.equations.map(equation))},`,
    `  "layers": ${list(p.calls.map((c) => `{"layer": ${str(c.layer)}, "class": ${str(c.className)}, "from": ${c.from}, "to": ${c.to}, "outputs": [${c.outputs.map((t) => t.id).join(', ')}]}`))}`,
    '}',
    '',
  ].join('\n');
}
