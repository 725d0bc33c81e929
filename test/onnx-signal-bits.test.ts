import { numpyFixtureSuite } from './onnx-numpy-fixtures.js';

// Issue 29's bitwise, signal and linear-algebra ops (BitwiseAnd/Or/Xor/Not, BitCast, DFT, STFT,
// MelWeightMatrix, Det, Einsum, EyeLike, Pad with a computed value) in settings ONNX's conformance
// cases do not reach (fixtures/onnx-signal-bits, made by its make_models.py with numpy's outputs as
// the oracle): the tensor forms of NumPy (one python3 process), Wolfram (nn2eq's interpreter, one
// process), SymPy (first point, one process), JS and mathjs (first point, two fixtures) in-process,
// C one program each; the formats nothing here runs (LaTeX, Julia) must print, and KaTeX render the LaTeX.
numpyFixtureSuite({
  folder: 'onnx-signal-bits',
  title: 'bitwise, signal and linear-algebra ops',
  count: 13,
  /** mathjs loads in seconds and evaluates slowly (seconds for BitCast's template): the new bit and det templates only. */
  mathjs: new Set(['bitwise_int8_bcast', 'det_3x3_4x4']),
});
