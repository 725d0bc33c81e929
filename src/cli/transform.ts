import { InvalidArgumentError, Option, type Command } from 'commander';
import { Nn2eqError } from '../errors.js';
import type { TransformOptions } from '../transform/options.js';

function order(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 12) throw new InvalidArgumentError('expected a whole number from 0 to 12');
  return n;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function numbers(v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError('expected comma-separated numbers, e.g. 0,0.5,-1');
  return xs;
}

/** One LO:HI for all inputs, or one per input, comma-separated. */
export function parseRanges(v: string): [number, number][] {
  return v.split(',').map((part) => {
    const m = /^\s*([^:]+):([^:]+)\s*$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2]) : NaN;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo <= hi)) throw new InvalidArgumentError('expected LO:HI (LO <= HI), or one per input separated by commas, e.g. -1:1 or 0:1,-2:2');
    return [lo, hi];
  });
}

/** Adds the transform options (--jacobian, --taylor, --fit, --input-range, --prune, --expand) to the program. */
export function addTransformOptions(cmd: Command): Command {
  return cmd
    .option('--jacobian', 'print the Jacobian J[i][j] = dy_i/dx_j instead of the outputs (reverse mode on the shared graph)')
    .addOption(new Option('--gradient <wrt>', 'print the gradient G[i][k] = dy_i/dtheta_k with respect to every weight instead of the outputs (with --weights symbolic: in the weights as symbols)').choices(['params']))
    .option('--taylor <N>', 'print the Taylor polynomial of order N around --at, with its error over --range', order)
    .option('--at <x0>', '--taylor: expansion point, one number for all inputs or comma-separated (default 0)', numbers)
    .option('--max-terms <n>', '--taylor/--fit: refuse a polynomial with more terms than this (default 100000)', count)
    .option('--fit <N>', 'print the least-squares polynomial of degree N on a Chebyshev grid over --range', order)
    .option('--input-range <lo:hi>', 'inputs stay in this box (one range, or one per input): drop ReLU units never active there, make always-active ones linear', parseRanges)
    .option('--prune <eps>', 'drop affine coefficients with |w| < EPS; report the largest output change on --range', positive)
    .option('--expand', 'write activations in elementary functions (tanh as (e^{2z}-1)/(e^{2z}+1), …)');
}

/** The transform options of parsed CLI options (`range` is --range, shared with --verify). */
export function transformOptions(o: Record<string, unknown>): TransformOptions {
  if (o.verify && (o.jacobian || o.gradient || o.taylor !== undefined || o.fit !== undefined)) {
    throw new Nn2eqError('--verify compares with the model\'s predictions, which --jacobian, --gradient, --taylor and --fit replace', 'usage', 'drop --verify; these transforms state their own error in the output header');
  }
  return {
    jacobian: o.jacobian as boolean | undefined,
    gradient: o.gradient as 'params' | undefined,
    taylor: o.taylor as number | undefined,
    at: o.at as number[] | undefined,
    maxTerms: o.maxTerms as number | undefined,
    fit: o.fit as number | undefined,
    inputRange: o.inputRange as [number, number][] | undefined,
    prune: o.prune as number | undefined,
    expand: o.expand as boolean | undefined,
    range: o.range as [number, number] | undefined,
  };
}

/** True when --range is read by a transform (so it has an effect without --verify). */
export function transformUsesRange(t: TransformOptions): boolean {
  return t.taylor !== undefined || t.fit !== undefined || t.prune !== undefined;
}

/** The --format choices: the registered formats, plus `json` (the polynomial of --taylor / --fit) if no json format is registered. */
export function formatChoices(formats: readonly string[]): string[] {
  return formats.includes('json') ? [...formats] : [...formats, 'json'];
}

/** `--format json` is only the polynomial's format unless a json emitter is registered. */
export function checkFormat(format: string, formats: readonly string[], t: TransformOptions): void {
  if (format === 'json' && !formats.includes('json') && t.taylor === undefined && t.fit === undefined) {
    throw new Nn2eqError('--format json prints the polynomial of --taylor or --fit', 'usage', 'add --taylor N or --fit N, or choose another format');
  }
}
