import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { main } from '../src/cli.js';
import { convertFile } from '../src/index.js';
import { FLOAT32_TOLERANCE } from '../src/verify/index.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, readReference, runNumpy, SHARED } from './helpers.js';

// --dtype float32 in the NumPy tensor form (issue 26): np.float32 weights and arithmetic. Each text
// runs in Debian's python3 on the inputs of a reference.json whose outputs the writing framework
// computed (TF.js for the Keras fixtures, PyTorch for the ONNX one), at the float32 tolerance
// --verify uses; the float64 text runs beside it at the float64 one.

/** An MLP, a strided 'same' convolution, a depthwise convolution, a 10-step LSTM (Keras) and an ONNX convolution (PyTorch's). */
const MODELS: Record<string, string> = {
  mlp: join(FIXTURES, 'keras_sequential', 'model.json'),
  conv: join(FIXTURES, 'conv2d_same_strided', 'model.json'),
  depthwise: join(FIXTURES, 'conv2d_depthwise', 'model.json'),
  lstm: join(FIXTURES, 'rnn_lstm_10_steps', 'model.json'),
  onnx_conv: join(SHARED, 'onnx', 'test_Conv2d_padding', 'model.onnx'),
};
const [ATOL, RTOL] = FLOAT32_TOLERANCE;

async function text(name: string, dtype: 'float32' | 'float64'): Promise<string> {
  const { text: t, form } = await convertFile(MODELS[name], { format: 'numpy', form: 'tensor', dtype });
  expect(form).toBe('tensor');
  return t;
}

describe('--dtype float32: the NumPy tensor form against the framework\'s predictions', () => {
  for (const name of Object.keys(MODELS)) {
    withPython(name, async () => {
      const ref = readReference(join(MODELS[name], '..'));
      const inputs = ref.cases.map((c) => c.inputs);
      const want = ref.cases.map((c) => flat(c.outputs));
      const t32 = await text(name, 'float32');
      // Every type the file names is float32: weights, the input check, the scan's states.
      expect(t32).not.toMatch(/float64/);
      expect(t32).toMatch(/np\.fromstring\(text, dtype=np\.float32/);
      const got32 = await runNumpy(t32, inputs);
      got32.forEach((g, i) => expect(mismatch(g, want[i], ATOL, RTOL), `float32 case ${i}`).toBeNull());
      const got64 = await runNumpy(await text(name, 'float64'), inputs);
      got64.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `float64 case ${i}`).toBeNull());
      // The float32 text really computes in float32: it differs from the float64 one somewhere.
      expect(got32.flat().some((v, i) => v !== got64.flat()[i])).toBe(true);
    });
  }
});

describe('--dtype float32 --verify in NumPy', () => {
  withPython('states the float32 tolerance and how far the outputs move from the float64 text', async () => {
    let err = '';
    const code = await main([MODELS.depthwise, '-f', 'numpy', '--dtype', 'float32', '--verify'], { stdout: () => undefined, stderr: (t) => void (err += t), stdinIsTTY: true });
    expect(err).toMatch(/verify: PASS/);
    expect(err).toMatch(/float32 text: tolerance atol 1\.00e-4 \+ rtol 0\.001 \(the float32 default; --tolerance sets another\); its outputs move by up to \S+ \(relative \S+\) from the float64 text's/);
    expect(code).toBe(0);
  });
});
