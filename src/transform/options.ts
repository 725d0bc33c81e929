
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
  /** --gradient params: the gradient of every output with respect to every weight. */
  readonly gradient?: 'params';
  /** The box of --taylor, --fit and --prune's error measurements (--range; default -1:1). */
  readonly range?: readonly [number, number];
}

/** True when `opts` asks for anything. */
export function anyTransform(opts: TransformOptions | undefined): opts is TransformOptions {
  // --range, --at and --max-terms only qualify the others.
  return opts !== undefined && Boolean(opts.jacobian || opts.gradient || opts.expand || opts.taylor !== undefined || opts.fit !== undefined || opts.inputRange || opts.prune !== undefined);
}

/** `--format json` with --taylor or --fit prints the polynomial in nn2poly's shape (taylor-json.ts), whatever other json format exists. */
export function wantsPolynomialJson(format: string, opts: TransformOptions | undefined): boolean {
  return format === 'json' && opts !== undefined && (opts.taylor !== undefined || opts.fit !== undefined);
}

