import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { ONNX_OPS } from '../src/extract/onnx/index.js';
import type { OnnxExtractor } from '../src/extract/onnx/context.js';
import { ROOT, tmpDir } from './helpers.js';

// The command line on ONNX models: --verify against ONNX Runtime, unsupported ops listed at once,
// symbolic dimensions fixed with --input-shape. Models: fixtures/onnx (make_cli_fixtures.py for
// the hand-made ones).

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

const model = (name: string) => join(ROOT, 'fixtures', 'onnx', name, 'model.onnx');

describe('nn2eq on ONNX models', () => {
  it('--verify checks the JS text against ONNX Runtime and passes', async () => {
    const r = await run([model('cnn_opset17'), '-f', 'js', '--form', 'scalar', '--verify', '-o', join(tmpDir(), 'cnn.mjs')]);
    expect(r.err).toMatch(/verify: PASS — js against ONNX Runtime on \d+ points/);
    expect(r.code).toBe(0);
  }, 120_000);

  it('--verify a recurrent model in the tensor form', async () => {
    const r = await run([model('gru_opset17'), '-f', 'numpy', '--form', 'tensor', '--verify', '--report', 'json']);
    const report = JSON.parse(r.err.trim().split('\n').pop()!) as { ok: boolean; reference: string; routes: { status: string }[] };
    expect(report.reference).toBe('ONNX Runtime');
    expect(report.routes[0].status).toBe('ok');
    expect(r.code).toBe(0);
  }, 120_000);

  it('lists every unsupported node at once, with names and op types, exit 2', async () => {
    const r = await run([model('unsupported')]);
    expect(r.code).toBe(2);
    // Det was the third until it converted (issue 29); NonZero's output shape depends on its values.
    expect(r.err).toContain("2 nodes or inputs nn2eq cannot convert: 'nonzero' (NonZero), 'custom' (com.example.Custom)");
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('a symbolic dimension past the batch is refused in the scalar form until --input-shape fixes it; the tensor form leaves it open', async () => {
    const open = await run([model('symbolic')]);
    expect(open.code).toBe(0);
    expect(open.out).toContain('--form auto chose the tensor form: an input has a sequence axis of any length (for the scalar form, --input-shape X:1xNx4)');
    const refused = await run([model('symbolic'), '--form', 'scalar']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("input 'X' has symbolic dimension in [batch, n, 4] (fix it with --input-shape X:1xNx4)");
    const fixed = await run([model('symbolic'), '--input-shape', 'X:1x2x4', '-f', 'numpy', '--form', 'tensor', '--verify']);
    expect(fixed.out).toContain('input1 of shape (..., 1, 2, 4)');
    expect(fixed.err).toMatch(/verify: PASS/);
    expect(fixed.code).toBe(0);
  }, 120_000);

  it('--input-shape must be name:AxB… and match the declared shape', async () => {
    expect((await run([model('symbolic'), '--input-shape', 'X:1x2'])).code).toBe(2);
    expect((await run([model('symbolic'), '--input-shape', 'X:0x2x4'])).code).toBe(2);
    const r = await run([model('symbolic'), '--input-shape', 'X:1x2x5']);
    expect(r.err).toContain('does not match the declared shape [batch, n, 4]');
    expect(r.code).toBe(2);
  });

  it('an If whose condition depends on the input, and whose branches differ in shape, is refused with the reason', async () => {
    const r = await run([join(ROOT, 'fixtures', 'onnx-static-rest', 'refused', 'if_branches_differ.onnx')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("node 'If_3' (If): the condition depends on the inputs, and output 1 of its branches differs (float32[2, 3] and float32[1, 1])");
  });

  it('--verify names the first node whose values differ from ONNX Runtime (a deliberately wrong Tanh)', async () => {
    const ops = ONNX_OPS as Record<string, OnnxExtractor>;
    const tanh = ops.Tanh;
    ops.Tanh = (ctx) => [{ kind: 'tensor', t: ctx.map('sigmoid', [ctx.tensor(0)]) }];
    try {
      const r = await run([model('cnn_opset11'), '-f', 'js', '--form', 'scalar', '--verify', '-o', join(tmpDir(), 'wrong.mjs')]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/verify: FAIL/);
      expect(r.err).toMatch(/first diverging layer: '\/Tanh' \(Tanh\)/);
    } finally {
      ops.Tanh = tanh;
    }
  }, 120_000);
});
