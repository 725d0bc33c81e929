import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { FIXTURES, SHARED } from './helpers.js';

async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { stdout: () => {}, stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, err };
}

// --verify on the tensor form: the text itself against TF.js; the scalar IR too when it is small.
describe('--verify --form tensor', () => {
  for (const format of ['js', 'numpy']) {
    it(`conv2d_same_strided as ${format}: the text and the IR agree with TF.js`, async () => {
      const r = await run([join(FIXTURES, 'conv2d_same_strided', 'model.json'), '-f', format, '--form', 'tensor', '--verify', '--report', 'json']);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.err.trim().split('\n').pop()!);
      expect(report.routes.map((x: { status: string }) => x.status)).toEqual(['ok', 'ok']);
    }, 60_000);
  }
  it('MobileNetV2 in JS: the IR is too large and skipped, the text is run against TF.js (3 points)', async () => {
    const { convertFile } = await import('../src/index.js');
    const { verify } = await import('../src/verify/index.js');
    const c = await convertFile(join(SHARED, 'nsfwjs', 'mobilenet_v2_quant_uint8', 'model.json'), { format: 'js', form: 'tensor' });
    const report = await verify(c.model, c.text, { format: 'js', program: c.program, form: c.form, samples: 3 });
    expect(report.routes.map((x) => x.status)).toEqual(['skipped', 'ok']);
    expect(report.ok).toBe(true);
  }, 180_000);
  it('a wrong text fails', async () => {
    // The same model, verified against the text of another: the reference must disagree.
    const { convertFile } = await import('../src/index.js');
    const { verify } = await import('../src/verify/index.js');
    const other = await convertFile(join(FIXTURES, 'act_tanh', 'model.json'), { format: 'js', form: 'tensor' });
    const model = await convertFile(join(FIXTURES, 'act_sigmoid', 'model.json'), { format: 'js', form: 'tensor' });
    const report = await verify(model.model, other.text, { format: 'js', program: model.program, form: 'tensor' });
    expect(report.ok).toBe(false);
  }, 60_000);
});
