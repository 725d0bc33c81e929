import type { Graph, ParamTensor, Table } from '../ir/graph.js';
import type { Fn } from '../ir/ops.js';
import { formatNumber, type NumberStyle } from './number.js';
import type { Name, Program } from '../schedule.js';
import type { EmitOptions } from './types.js';
import { Nn2eqError } from '../errors.js';

/**
 * The printer of C's fmod (the remainder of floats with the dividend's sign, ONNX Mod fmod=1) in a
 * format without an exact one: its Mod is floored, and floored remainders or a − b·trunc(a/b)
 * round where fmod is exact, so it refuses in one line.
 */
export function noExactFmod(format: string): () => never {
  return () => {
    throw new Nn2eqError(`${format} has no exact remainder of floats with the dividend's sign (C's fmod, ONNX Mod with fmod=1): its Mod is floored, and a − b·trunc(a/b) rounds`, 'unsupported', 'use -f numpy, js, c or julia');
  };
}

/** Plain identifier names (x1, h2_3, t4, y1) with user renames applied; `sep` joins layer and unit. */
export function plainName(n: Name, opts: EmitOptions, sep: string): string {
  switch (n.kind) {
    case 'input':
      return opts.inputNames?.[n.index] ?? `x${n.index + 1}`;
    case 'output':
      return opts.outputNames?.[n.index] ?? `y${n.index + 1}`;
    case 'hidden':
      // A recurrent state at step t: h2t5_3 (layer 2, step 5, unit 3); c… for LSTM cells, hb/cb backward.
      return n.state ? `${n.state.symbol}${n.layer}t${n.state.step}${sep}${n.index}` : `h${n.layer}${sep}${n.index}`;
    case 'temp':
      return `t${n.index}`;
  }
}

/** Nests `items` (row-major) into a list literal of `shape`: [[a, b], [c, d]]. */
export function nest(items: readonly string[], shape: readonly number[], open = '[', close = ']'): string {
  if (shape.length === 0) return items[0];
  let level: string[] = [...items];
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d];
    const next: string[] = [];
    for (let i = 0; i < level.length; i += n) next.push(`${open}${level.slice(i, i + n).join(', ')}${close}`);
    level = next;
  }
  return level.length === 1 ? level[0] : `${open}${level.join(', ')}${close}`;
}

/** The functions that the live part of the program uses. */
export function usedFunctions(program: Program): Set<Fn> {
  const used = new Set<Fn>();
  const { graph, live } = program;
  for (let id = 0; id < graph.size; id++) if (live[id]) used.add(graph.nodes[id].op as Fn);
  return used;
}

/** The output names y1…yM for every scalar output, per model output. */
export function outputNames(program: Program, name: (n: Name) => string): string[][] {
  return program.outputs.map((p) => Array.from({ length: p.size }, (_, i) => name({ kind: 'output', index: p.offset + i })));
}

/** The input names per model input. */
export function inputNames(program: Program, name: (n: Name) => string): string[][] {
  return program.inputs.map((p) => Array.from({ length: p.size }, (_, i) => name({ kind: 'input', index: p.offset + i })));
}

/** "[3]" or "[2, 5]" */
export function shapeText(shape: readonly number[], open = '[', close = ']'): string {
  return `${open}${shape.join(', ')}${shape.length === 1 && open === '(' ? ',' : ''}${close}`;
}

/** A lookup table's rows as printed numbers, through the one number formatter. */
export function tableRows(t: Table, numbers: NumberStyle, precision?: number): string[][] {
  return Array.from({ length: t.rows }, (_, r) => Array.from({ length: t.cols }, (_, c) => formatNumber(t.values[r * t.cols + c], numbers, precision)));
}

/** The printed name of table `i` (0-based) in plain-identifier targets. */
export function tableName(i: number): string {
  return `emb${i + 1}`;
}

/** The 0-based index per axis of element `flat` of a row-major tensor of `shape`. */
export function unravel(shape: readonly number[], flat: number): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = flat % shape[k];
    flat = Math.floor(flat / shape[k]);
  }
  return idx;
}

/** The trained values of a parameter tensor as one nested literal (a bare number for a scalar). */
export function paramLiteral(t: ParamTensor, numbers: NumberStyle, precision: number | undefined, open = '[', close = ']'): string {
  const items = Array.from(t.values, (v) => formatNumber(v, numbers, precision));
  return nest(items, t.shape, open, close);
}

/** The header lines that document --weights symbolic's parameter layout: each tensor's name, shape and meaning. */
export function paramLayout(params: readonly ParamTensor[]): string[] {
  return params.map((t) => `  ${t.name}: shape ${shapeText(t.shape)}, ${t.role} of layer ${t.layer}`);
}

/** The parameter tensors a program's live part reads, in graph.params order (all of them when every one is used). */
export function hasParams(program: { graph: Graph }): boolean {
  return program.graph.params.length > 0;
}
