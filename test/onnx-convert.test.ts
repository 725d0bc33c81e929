import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { Nn2eqError } from '../src/errors.js';
import { evaluateOutputs } from '../src/ir/evaluate.js';
import { withPython } from './check.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { ROOT, flat, mismatch, readReference, runJs, runNumpy, runWolfram } from './helpers.js';

// ONNX models converted through the tensor program, in both forms, evaluated in their runtimes
// against the framework's own predictions: PyTorch's for the fixtures, the ONNX backend tests'
// reference outputs for the shared models.

const FIXTURES = join(ROOT, 'fixtures', 'onnx');
/** The shared ONNX backend-test models (one path, so it can be repointed). */
const SHARED = join(ROOT, 'test', 'models', 'onnx');

const fixtures = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'model.onnx'))).sort();
const shared = readdirSync(SHARED).filter((n) => existsSync(join(SHARED, n, 'model.onnx'))).sort();

/**
 * Shared models nn2eq refuses, each with the reason its message must give. Node tests that pass
 * structural parameters (axes, pads, target shapes, scales) or layer weights as run-time inputs
 * describe a different formula for every value of those inputs.
 */
export const REFUSED: Readonly<Record<string, RegExp>> = {
  test_constant_pad: /pads \(input 'pads'\) is not constant: it depends on the model's inputs/,
  test_edge_pad: /pads \(input 'pads'\) is not constant: it depends on the model's inputs/,
  test_wrap_pad: /pads \(input 'pads'\) is not constant: it depends on the model's inputs/,
  test_expand_dim_changed: /shape \(input 'new_shape'\) is not constant: it depends on the model's inputs/,
  test_reduce_max_do_not_keepdims_random: /axes \(input 'axes'\) is not constant: it depends on the model's inputs/,
  test_reduce_mean_default_axes_keepdims_example: /axes \(input 'axes'\) is not constant: it depends on the model's inputs/,
  test_reduce_mean_keepdims_example: /axes \(input 'axes'\) is not constant: it depends on the model's inputs/,
  test_reduce_sum_default_axes_keepdims_random: /axes \(input 'axes'\) is not constant: it depends on the model's inputs/,
  test_reduce_sum_keepdims_random: /axes \(input 'axes'\) is not constant: it depends on the model's inputs/,
  test_reshape_negative_dim: /target shape \(input 'shape'\) is not constant: it depends on the model's inputs/,
  test_reshape_reduced_dims: /target shape \(input 'shape'\) is not constant: it depends on the model's inputs/,
  test_reshape_reordered_all_dims: /target shape \(input 'shape'\) is not constant: it depends on the model's inputs/,
  test_resize_downsample_scales_nearest: /scales \(input 'scales'\) is not constant: it depends on the model's inputs/,
  test_resize_upsample_scales_nearest_axes_2_3: /scales \(input 'scales'\) is not constant: it depends on the model's inputs/,
  test_resize_upsample_scales_linear_align_corners: /scales \(input 'scales'\) is not constant: it depends on the model's inputs/,
  test_resize_upsample_sizes_nearest: /sizes \(input 'sizes'\) is not constant: it depends on the model's inputs/,
  test_resize_upsample_sizes_nearest_floor_align_corners: /sizes \(input 'sizes'\) is not constant: it depends on the model's inputs/,
  test_slice_default_axes: /starts \(input 'starts'\) is not constant: it depends on the model's inputs/,
  test_slice_negative_axes: /starts \(input 'starts'\) is not constant: it depends on the model's inputs/,
  test_squeeze: /axes \(input 'axes'\) is not constant: it depends on the model's inputs/,
  test_tile_precomputed: /repeats \(input 'y'\) is not constant: it depends on the model's inputs/,
  test_unsqueeze_axis_0: /axes \(input 'axes'\) is not constant: it depends on the model's inputs/,
  test_unsqueeze_two_axes: /axes \(input 'axes'\) is not constant: it depends on the model's inputs/,
  test_upsample_nearest: /scales \(input 'scales'\) is not constant: it depends on the model's inputs/,
};

/**
 * Tensor form only: a scalar form too large to print in a test (220000 inputs, 4 million max terms;
 * Swin's scalar form took 15 s and its Wolfram text 35 s through SymPy, per opset). Swin runs in
 * every tensor form in test/onnx-attention.test.ts.
 */
const TENSOR_ONLY = new Set(['test_MaxPool1d_stride_padding_dilation', 'swin_opset13', 'swin_opset17']);

/**
 * A model without inputs: the NumPy scalar emitter takes the batch shape from the inputs
 * (NameError 'batch'), and run_numpy.py batches cases by their inputs; IR and JS are checked.
 */
const NUMPY_NO_INPUTS = new Set(['test_constant']);

/** Fixtures refused on purpose: ops whose output depends on the data (NonZero), an unknown domain, a symbolic dimension. */
const REFUSED_FIXTURES: Readonly<Record<string, RegExp>> = {
  unsupported: /2 nodes or inputs nn2eq cannot convert: 'nonzero' \(NonZero\), 'custom' \(com\.example\.Custom\)/,
  symbolic: /symbolic dimension in \[batch, n, 4\]/,
};

/**
 * The attention fixtures' opset-13/14 exports: their scalar Wolfram text is not run through SymPy's
 * parser (half of this file's time; suite time). The opset-17 twin's is, the scalar Wolfram printer
 * is op-agnostic (the IR's scalar operations, run here on every other fixture), and their own
 * Wolfram tensor form runs in onnx-attention.test.ts.
 */
const ATTENTION_TWIN = /^(mha|mha_masked|mha_cross|encoder_post_relu|encoder_pre_gelu|decoder_post_relu|decoder_pre_gelu|gpt_block|einsum_attention|encoder_classifier|vit)_opset1[34]$/;

/** Reference values are float32 (or float64) written exactly; integer inputs stay integers. */
function check(got: number[][], cases: { outputs: unknown[] }[], atol: number, rtol: number): void {
  got.forEach((g, i) => expect(mismatch(g, flat(cases[i].outputs), atol, rtol), `case ${i}`).toBeNull());
}

function suite(title: string, base: string, names: string[], refused: Readonly<Record<string, RegExp>>, atol: number, rtol: number): void {
  describe(title, () => {
    for (const name of names) {
      const file = join(base, name, 'model.onnx');
      const why = refused[name];
      if (why) {
        it(`${name}: refused with a reason`, async () => {
          const err = await convertFile(file, { format: 'js', form: 'scalar' }).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(Nn2eqError);
          expect((err as Error).message).toMatch(why);
          expect((err as Error).message).toContain(name === 'x' ? '' : 'model.onnx');
        });
        continue;
      }
      if (!TENSOR_ONLY.has(name)) it(`${name}: scalar form (IR and JS) matches the reference`, async () => {
        const ref = readReference(join(base, name));
        const { extracted, text } = await convertFile(file, { format: 'js', form: 'scalar', maxSize: 1e9 });
        const ir = evaluateOutputs(extracted!.graph, extracted!.outputIds, ref.cases.map((c) => flat(c.inputs)));
        check(ir, ref.cases, atol, rtol);
        check(await runJs(text, ref.cases.map((c) => c.inputs)), ref.cases, atol, rtol);
      }, 120_000);
      withPython(`${name}: NumPy scalar and tensor forms match the reference`, async () => {
        const ref = readReference(join(base, name));
        const inputs = ref.cases.map((c) => c.inputs);
        const forms = (['scalar', 'tensor'] as const).filter((f) => !NUMPY_NO_INPUTS.has(name) && !(f === 'scalar' && TENSOR_ONLY.has(name)));
        for (const form of forms) {
          const { text } = await convertFile(file, { format: 'numpy', form, maxSize: 1e9 });
          check(await runNumpy(text, inputs), ref.cases, atol, rtol);
        }
      });
      if (base === FIXTURES && !TENSOR_ONLY.has(name)) {
        const wolfram = !ATTENTION_TWIN.test(name);
        withPython(`${name}: ${wolfram ? 'Wolfram text (through SymPy) matches, ' : ''}LaTeX renders`, async () => {
          const ref = readReference(join(base, name));
          if (wolfram) {
            const { text } = await convertFile(file, { format: 'mathematica', form: 'scalar' });
            check(await runWolfram(text, ref.cases.map((c) => c.inputs)), ref.cases, atol, rtol);
          }
          const tex = await convertFile(file, { format: 'latex', form: 'scalar' });
          expect(await checkLatex(tex.text)).toEqual({ valid: true });
        });
      }
    }
  });
}

suite('ONNX fixtures (PyTorch predictions)', FIXTURES, fixtures, REFUSED_FIXTURES, 1e-5, 1e-4);
suite('shared ONNX models (ONNX backend-test references)', SHARED, shared, REFUSED, 1e-7, 1e-3);

describe('ONNX conversion contract', () => {
  it('covers the shared set: every model converts and matches, or is refused with its reason', () => {
    expect(shared.length).toBe(198);
    const ok = shared.filter((n) => !REFUSED[n]).length;
    expect(ok + Object.keys(REFUSED).filter((n) => shared.includes(n)).length).toBe(198);
  });
  it('a fixed leading 1 is kept in the input shape', async () => {
    const { program } = await convertFile(join(FIXTURES, 'mlp_relu_opset17', 'model.onnx'), { format: 'numpy', form: 'tensor' });
    expect(program.inputs[0].tensor.shape).toEqual([1, 4]);
    expect(program.outputs[0].tensor.shape).toEqual([1, 3]);
  });
  it('a symbolic leading dimension is the batch: dropped from inputs and outputs', async () => {
    const { program } = await convertFile(join(FIXTURES, 'dynamic_batch_opset17', 'model.onnx'), { format: 'numpy', form: 'tensor' });
    expect(program.inputs[0].tensor.shape).toEqual([3, 5, 5]);
    expect(program.outputs[0].tensor.shape).toEqual([2]);
  });
  it('--input-shape must name an input', async () => {
    await expect(convertFile(join(FIXTURES, 'mlp_relu_opset17', 'model.onnx'), { format: 'js', inputShapes: new Map([['nope', [1, 4]]]) })).rejects.toThrow(/not an input of the model/);
  });
});
