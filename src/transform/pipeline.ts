import { Nn2eqError } from '../errors.js';
import type { Extracted, Port } from '../extract/index.js';
import type { Graph, NodeId } from '../ir/graph.js';
import { jacobian } from './jacobian.js';

/** The scalar-arena transforms a conversion may apply (see README, Transforms). */
export interface TransformOptions {
  /** Print the Jacobian of the outputs with respect to the inputs instead of the outputs. */
  readonly jacobian?: boolean;
  /** Taylor polynomial of this order around `at` (default 0), error stated over `range`. */
  readonly taylor?: number;
  readonly at?: readonly number[];
  /** Largest number of polynomial terms --taylor / --fit may build. */
  readonly maxTerms?: number;
  /** Least-squares polynomial of this degree on a Chebyshev grid over `range`. */
  readonly fit?: number;
  /** The box the inputs stay in: one range for all, or one per input. */
  readonly inputRange?: readonly (readonly [number, number])[];
  /** Drop affine coefficients below this magnitude. */
  readonly prune?: number;
  /** Write activations in elementary functions. */
  readonly expand?: boolean;
  /** The box of --taylor, --fit and --prune's error measurements (--range; default -1:1). */
  readonly range?: readonly [number, number];
}

/** A transformed model: what schedule() and the emitters take, plus the header notes saying what was done. */
export interface Transformed {
  readonly graph: Graph;
  readonly inputs: Port[];
  readonly outputs: Port[];
  readonly outputIds: NodeId[];
  readonly notes: string[];
}

/** True when `opts` asks for anything. */
export function anyTransform(opts: TransformOptions | undefined): opts is TransformOptions {
  return opts !== undefined && Object.values(opts).some((v) => v !== undefined && v !== false);
}

/** Applies the requested transforms to an extracted model, in a fixed order, and says what each did. */
export function applyScalarTransforms(ex: Extracted, opts: TransformOptions): Transformed {
  let graph = ex.graph;
  let outputIds = ex.outputIds;
  let outputs = ex.outputs;
  const notes: string[] = [];
  const n = ex.inputs.reduce((s, p) => s + p.size, 0);
  const m = ex.outputs.reduce((s, p) => s + p.size, 0);
  if (opts.jacobian) {
    if (n === 0) throw new Nn2eqError('--jacobian: the model has no scalar inputs', 'usage');
    const j = jacobian(graph, outputIds, n);
    graph = j.graph;
    outputIds = j.outputs;
    outputs = [{ name: 'jacobian', shape: [m, n], offset: 0, size: m * n }];
    notes.push(`Jacobian: J[i][j] = d y_i / d x_j over the ${m} flattened output${m === 1 ? '' : 's'} and ${n} flattened input${n === 1 ? '' : 's'} (reverse mode; at kinks TF.js's convention, e.g. relu'(0) = 0).`);
  }
  return { graph, inputs: ex.inputs, outputs, outputIds, notes };
}

/** The transforms print the scalar form: --form auto means scalar, --form tensor is refused. */
export function scalarOnly(form: string | undefined): 'scalar' {
  if (form === 'tensor') throw new Nn2eqError('--jacobian, --taylor, --fit, --input-range, --prune and --expand work on the scalar form', 'usage', 'drop --form tensor (or use --form scalar)');
  return 'scalar';
}
