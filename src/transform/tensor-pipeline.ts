import { Nn2eqError } from '../errors.js';
import { scalarize } from '../tensor/scalarize.js';
import { sizeOf, type TensorProgram } from '../tensor/program.js';
import { expandProgram } from './expand.js';
import { gradientProgram, jacobianProgram } from './jacobian-tensor.js';
import type { TransformOptions } from './options.js';
import { restrictProgram } from './input-range.js';
import { boxText, expandNote, gradientNote, jacobianNote, largestChange, perInput, polynomialStep, pruneNote } from './steps.js';
import { polynomialProgram } from './poly.js';
import { pruneProgram } from './prune.js';

/** Measurements on the scalar IR (prune's change, Taylor models) stop past this many bytes of let form. */
const MEASURE_BUDGET = 64_000_000;

/**
 * The transforms on the tensor program (--form tensor), in the scalar pipeline's order: --prune
 * (kernel weights set to 0; the change measured on the scalar IR when it fits), then --taylor /
 * --fit (computed on the scalar IR, printed as monomials times a coefficient matrix) or --jacobian
 * (forward mode on the program), then --expand (map equations marked to print exp and log).
 * --input-range rewrites Dense → ReLU → Dense; --gradient params runs reverse mode on the program.
 */
export function applyTensorTransforms(program: TensorProgram, opts: TransformOptions, stableSoftmax: boolean): { program: TensorProgram; notes: string[] } {

  const chosen = [opts.jacobian && '--jacobian', opts.gradient && '--gradient', opts.taylor !== undefined && '--taylor', opts.fit !== undefined && '--fit'].filter(Boolean);
  if (chosen.length > 1) throw new Nn2eqError(`${chosen.join(' and ')} each replace the outputs; choose one`, 'usage');
  let p = program;
  const notes: string[] = [];
  const anyLength = p.inputs.some((i) => i.tensor.shape.includes(-1));
  const n = anyLength ? 0 : p.inputs.reduce((s, i) => s + sizeOf(i.tensor.shape), 0);
  const box = () => perInput(opts.range ? [opts.range] : [[-1, 1]], n, '--range');
  /** The scalar IR of a program for measuring, or the reason it is not built. */
  const scalars = (q: TensorProgram) => {
    if (anyLength) return 'the inputs have a time axis of any length';
    try {
      return scalarize(q, { sizeBudget: MEASURE_BUDGET, stableSoftmax });
    } catch (e) {
      if (e instanceof Nn2eqError && e.kind === 'too-large') return `its scalar IR would pass ${MEASURE_BUDGET / 1e6} MB`;
      throw e;
    }
  };
  if (opts.inputRange) {
    if (anyLength) throw new Nn2eqError('--input-range: an input has a time axis of any length, so the box has no fixed size', 'usage', 'give the length with --timesteps T');
    const inBox = perInput(opts.inputRange, n, '--input-range');
    let ex;
    try {
      ex = scalarize(p, { sizeBudget: MEASURE_BUDGET, stableSoftmax, keepValues: true });
    } catch (e) {
      if (e instanceof Nn2eqError && e.kind === 'too-large') throw new Nn2eqError(`--input-range bounds every unit on the scalar IR, which would pass ${MEASURE_BUDGET / 1e6} MB for this model`, 'too-large', 'drop --input-range');
      throw e;
    }
    const r = restrictProgram(p, inBox, ex);
    p = r.program;
    const { units, inactive, linear, untouched } = r.report;
    notes.push(
      `--input-range ${boxText(inBox)}: of ${units} ReLU-family units (max, min, step, abs), ${inactive} never active there were removed, ${linear} always active became linear and were folded into the next Dense, ${units - inactive - linear - untouched} still switch${untouched ? `, and ${untouched} are outside the Dense -> ReLU/ReLU6/LeakyReLU -> Dense pattern the tensor form rewrites (--form scalar rewrites them too)` : ''}; exact on the box.`,
    );
  }
  if (opts.prune !== undefined) {
    const r = pruneProgram(p, opts.prune);
    const before = scalars(p);
    const after = typeof before === 'string' ? before : scalars(r.program);
    const change = typeof before === 'string' || typeof after === 'string' ? `the change was not measured: ${typeof before === 'string' ? before : after}` : largestChange(before.graph, before.outputIds, after.graph, after.outputIds, box());
    notes.push(pruneNote(opts.prune, r.dropped, r.kept, 'Dense and convolution weights (set to 0)', change, anyLength ? [] : box()));
    p = r.program;
  }
  if (opts.taylor !== undefined || opts.fit !== undefined) {
    const ex = scalars(p);
    if (typeof ex === 'string') throw new Nn2eqError(`--${opts.taylor !== undefined ? 'taylor' : 'fit'} evaluates the model on scalars, but ${ex}`, 'too-large', 'use a smaller model or fix the time axis with --timesteps');
    const poly = polynomialStep(ex.graph, ex.outputIds, n, opts, box())!;
    p = polynomialProgram(poly.polynomial.space, poly.polynomial.polys, poly.polynomial.at, p);
    notes.push(...poly.notes, 'Tensor form: y = C^T phi(u) + c, where u is the flattened inputs (minus x0) and phi(u) the monomials of degree 1 and up in graded order.');
  }
  if (opts.gradient) {
    if (opts.inputRange || opts.prune !== undefined) throw new Nn2eqError('--gradient params differentiates the model as trained; --input-range and --prune change it', 'usage', 'drop --input-range / --prune');
    const g = gradientProgram(p);
    p = g.program;
    notes.push(gradientNote(g.m, g.count, g.order, `the array gradient of shape [${g.m}, ${g.count}]`, 'reverse mode on the tensor program'));
  }
  if (opts.jacobian) {
    const j = jacobianProgram(p);
    p = j.program;
    notes.push(jacobianNote(j.m, j.n, `the array jacobian of shape [${j.m}, ${j.n}]`, 'forward mode on the tensor program'));
  }
  if (opts.expand) {
    const e = expandProgram(p);
    p = e.program;
    notes.push(expandNote(e.rewritten, ' (map equations)'));
  }
  return { program: p, notes };
}
