import { numpyFixtureSuite } from './onnx-numpy-fixtures.js';

// The last static-shape ops of issue 29's conformance run in settings its cases do not reach
// (fixtures/onnx-static-rest, made by its make_models.py with numpy's outputs as the oracle): If on
// a computed condition whose untaken branch holds NaN and ±∞ (they must not leak into the choice),
// MelWeightMatrix with computed band edges (float32, float64, and past the Nyquist frequency, NaN),
// Cast of computed floats and int32 values to int4, uint4, int2 and uint2, and 32-bit integer
// products (Mul, CumProd) that pass 2^53 before ONNX's wrap, and the optimizer steps Adam, Momentum
// (nesterov) and Adagrad at T = 0 and T > 0, a Loop of constant trip count, and a TreeEnsemble
// whose inputs equal its float32 splits (and hold NaN).
// The tensor forms of NumPy (one python3 process), Wolfram (nn2eq's interpreter, one process), SymPy (first point, one
// process), JS and mathjs (first point) in-process, C one program each; the formats nothing here
// runs (LaTeX, Julia) must print, and KaTeX render the LaTeX.
numpyFixtureSuite({
  folder: 'onnx-static-rest',
  title: 'If on a computed condition, MelWeightMatrix of computed edges, packed casts, wrapped products, optimizer steps',
  count: 8,
  /** mathjs loads in seconds and evaluates slowly: the choice and the wrapped products only. */
  mathjs: new Set(['if_computed_nan', 'int_products_wrap']),
});
