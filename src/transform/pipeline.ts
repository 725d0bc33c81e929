import { Nn2eqError } from '../errors.js';
import type { Extracted, Port } from '../extract/index.js';
import type { Graph, NodeId } from '../ir/graph.js';
import type { Interval } from './interval.js';
import { jacobian, paramGradient } from '../ir/jacobian.js';
import { rebuild } from '../ir/rebuild.js';
import type { PolynomialResult } from './taylor-json.js';
import type { TransformOptions } from './options.js';

export { anyTransform, wantsPolynomialJson, type TransformOptions } from './options.js';
export { polynomialJson } from './taylor-json.js';
export { applyTensorTransforms } from './tensor-pipeline.js';
import { expand } from './expand.js';
import { restrictToBox } from './input-range.js';
import { prune } from './prune.js';
import { boxText, expandNote, gradientNote, jacobianNote, largestChange, perInput, polynomialStep, pruneNote } from './steps.js';

/** A transformed model: what schedule() and the emitters take, plus the header notes saying what was done. */
export interface Transformed {
  readonly graph: Graph;
  readonly inputs: Port[];
  readonly outputs: Port[];
  readonly outputIds: NodeId[];
  readonly notes: string[];
  /** The polynomial of --taylor / --fit, for `--format json` (nn2poly's shape, see taylor-json.ts). */
  readonly polynomial?: PolynomialResult;
}

/**
 * Applies the requested transforms to an extracted model, in a fixed order — --input-range
 * (exact on the box), --prune, then one of --taylor / --fit / --jacobian, then --expand — and
 * says what each did in header notes.
 */
export function applyScalarTransforms(ex: Extracted, opts: TransformOptions, symbolicWeights = false): Transformed {
  let graph = ex.graph;
  let outputIds = ex.outputIds;
  let outputs = ex.outputs;
  const notes: string[] = [];
  const n = ex.inputs.reduce((s, p) => s + p.size, 0);
  const m = ex.outputs.reduce((s, p) => s + p.size, 0);
  const chosen = [opts.jacobian && '--jacobian', opts.gradient && '--gradient', opts.taylor !== undefined && '--taylor', opts.fit !== undefined && '--fit'].filter(Boolean);
  if (chosen.length > 1) throw new Nn2eqError(`${chosen.join(' and ')} each replace the outputs; choose one`, 'usage');
  let polynomial: Omit<PolynomialResult, 'notes'> | undefined;
  const box = perInput(opts.range ? [opts.range] : [[-1, 1]], n, '--range');
  if (opts.gradient) {
    if (opts.inputRange || opts.prune !== undefined) throw new Nn2eqError('--gradient params differentiates the model as trained; --input-range and --prune change it', 'usage', 'drop --input-range / --prune');
    // The graph was built with the weights as parameter leaves (scalarize's symbolicWeights).
    const r = paramGradient(graph, outputIds);
    if (r.count === 0) throw new Nn2eqError('--gradient params: the model has no weights', 'usage');
    graph = r.graph;
    outputIds = r.outputs;
    if (!symbolicWeights) {
      // Numeric weights: every parameter leaf becomes its trained value again (constants fold).
      const numeric = rebuild(graph, outputIds, (g, node) => (node.op === 'param' ? g.constant(graph.params[node.table!].values[node.value]) : undefined));
      numeric.graph.params.length = 0;
      graph = numeric.graph;
      outputIds = numeric.outputs;
    }
    outputs = [{ name: 'gradient', shape: [m, r.count], offset: 0, size: m * r.count }];
    notes.push(gradientNote(m, r.count, ex.graph.params.map((t) => `${t.name} [${t.shape.join(', ')}]`), `printed row by row as y1 ... y${m * r.count}`, 'reverse mode'));
    return finish();
  }
  if (opts.inputRange) {
    const inBox = perInput(opts.inputRange, n, '--input-range');
    const r = restrictToBox(graph, outputIds, inBox);
    graph = r.graph;
    outputIds = r.outputs;
    const { units, inactive, linear } = r.report;
    notes.push(`--input-range ${boxText(inBox)}: of ${units} ReLU-family units (max, min, step, abs), ${inactive} never active there were removed, ${linear} always active became linear and were folded into the next affine, ${units - inactive - linear} still switch; exact on the box.`);
  }
  if (opts.prune !== undefined) {
    const before = { graph, outputIds };
    const r = prune(graph, outputIds, opts.prune);
    graph = r.graph;
    outputIds = r.outputs;
    notes.push(pruneNote(opts.prune, r.dropped, r.kept, 'affine coefficients', largestChange(before.graph, before.outputIds, graph, outputIds, box), box));
  }
  const poly = polynomialStep(graph, outputIds, n, opts, box);
  if (poly) {
    polynomial = poly.polynomial;
    const built = poly.polynomial.space.toGraph(poly.polynomial.polys, poly.polynomial.at);
    graph = built.graph;
    outputIds = built.outputs;
    notes.push(...poly.notes);
  }
  if (opts.jacobian) {
    if (n === 0) throw new Nn2eqError('--jacobian: the model has no scalar inputs', 'usage');
    const j = jacobian(graph, outputIds, n);
    graph = j.graph;
    outputIds = j.outputs;
    outputs = [{ name: 'jacobian', shape: [m, n], offset: 0, size: m * n }];
    notes.push(jacobianNote(m, n, 'printed row by row as y1 ... y' + m * n, 'reverse mode'));
  }
  return finish();

  /** --expand, last: it rewrites whatever the other transforms produced. */
  function finish(): Transformed {
    if (opts.expand) {
      const e = expand(graph, outputIds);
      graph = e.graph;
      outputIds = e.outputs;
      notes.push(expandNote(e.rewritten, ''));
    }
    return { graph, inputs: ex.inputs, outputs, outputIds, notes, polynomial: polynomial && { ...polynomial, notes } };
  }
}
