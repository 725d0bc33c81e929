import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, inCI, ROOT, SHARED } from './helpers.js';
import { chromiumSkip, cli, openPage, type PageSession } from './web-harness.js';

// The page's transforms, verify, diff and size refusal in Debian's chromium: each shows what the
// CLI prints for the same options, byte for byte.
const OUT = join(ROOT, '.test-output', 'web');
const run = chromiumSkip ? (inCI ? describe : describe.skip) : describe;

/** The page's controls for CLI options: text inputs and selects by value, checkboxes by true/false. */
type Controls = Record<string, string | boolean>;
const RESET: Controls = { form: 'auto', precision: '', taylor: '', at: '', range: '', prune: '', 'max-size': '', fold: true, jacobian: false, expand: false };

run('the page: transforms, verify, diff, size refusal', () => {
  let s: PageSession;

  beforeAll(async () => {
    s = await openPage();
    await s.page.goto(`${s.origin}/`);
    mkdirSync(OUT, { recursive: true });
  }, 30_000);

  afterAll(async () => {
    await s?.close();
  });

  async function set(controls: Controls): Promise<void> {
    for (const [id, v] of Object.entries({ ...RESET, ...controls })) {
      if (typeof v === 'boolean') await s.page.setChecked(`#${id}`, v);
      else if (id === 'form') await s.page.selectOption('#form', v);
      else await s.page.fill(`#${id}`, v);
    }
  }

  async function upload(paths: string[], timeout?: number): Promise<void> {
    await s.run(() => s.page.setInputFiles('#files', paths), timeout);
  }

  const text = async (sel: string) => (await s.page.textContent(sel)) ?? '';
  const notes = () => s.page.$$eval('#notes li', (li) => li.map((l) => l.textContent));
  /** The `% ` header lines of the CLI's LaTeX. */
  const headerNotes = (tex: string) => tex.split('\n').filter((l, i, all) => l.startsWith('% ') && all.slice(0, i).every((p) => p.startsWith('% '))).map((l) => l.slice(2));

  const medium = [join(FIXTURES, 'medium_1_3_2_1/model.json'), join(FIXTURES, 'medium_1_3_2_1/weights.bin')];

  const TRANSFORMS: { name: string; controls: Controls; args: string[]; files: string[]; formats?: string[] }[] = [
    { name: 'Taylor order 2 with its bound on -0.5:0.5', controls: { taylor: '2', range: '-0.5:0.5' }, args: ['--taylor', '2', '--range', '-0.5:0.5'], files: medium },
    { name: 'Taylor order 1 at 0.2', controls: { taylor: '1', at: '0.2' }, args: ['--taylor', '1', '--at', '0.2'], files: medium, formats: ['latex', 'json'] },
    { name: 'Jacobian', controls: { jacobian: true }, args: ['--jacobian'], files: medium, formats: ['latex', 'js', 'numpy'] },
    { name: 'prune 0.3', controls: { prune: '0.3' }, args: ['--prune', '0.3'], files: medium, formats: ['latex', 'js'] },
    { name: 'fold (the default)', controls: {}, args: [], files: [join(FIXTURES, 'layer_batchnorm/model.json'), join(FIXTURES, 'layer_batchnorm/weights.bin')], formats: ['latex', 'js'] },
    { name: 'no fold', controls: { fold: false }, args: ['--no-fold'], files: [join(FIXTURES, 'layer_batchnorm/model.json'), join(FIXTURES, 'layer_batchnorm/weights.bin')], formats: ['latex', 'js'] },
  ];

  for (const t of TRANSFORMS) {
    it(`${t.name}: the tabs are the CLI's text, the header notes show above the equations`, async () => {
      await set(t.controls);
      await upload(t.files);
      expect(await s.page.isHidden('#error'), await text('#error')).toBe(true);
      const cwd = dirname(t.files[0]);
      const formats = t.formats ?? (await s.page.$$eval('[role=tab]', (ts) => ts.map((x) => (x as HTMLElement).dataset.format!)));
      for (const format of formats) {
        await s.page.click(`#tab-${format}`);
        const want = await cli(cwd, [basename(t.files[0]), ...t.args, '-f', format]);
        expect(await text('#code'), `${t.name} -f ${format}`).toBe(want.stdout);
      }
      const latex = (await cli(cwd, [basename(t.files[0]), ...t.args, '-f', 'latex'])).stdout;
      const want = headerNotes(latex);
      if (t.args.length > 0 && t.args[0] !== '--no-fold') expect(want.length, 'the transform writes a header note').toBeGreaterThan(0);
      expect(await notes()).toEqual(want);
      expect(await s.page.isVisible('#notes')).toBe(want.length > 0);
      expect(await s.page.$$eval('#equations .katex-error', (e) => e.length)).toBe(0);
    }, 40_000);
  }

  const VERIFY: { name: string; files: string[]; args?: string[] }[] = [
    { name: 'TF.js model.json (TF.js)', files: [join(FIXTURES, 'act_elu/model.json'), join(FIXTURES, 'act_elu/weights.bin')] },
    { name: 'Keras .h5 (TF.js)', files: [join(FIXTURES, 'keras_functional/model.h5')] },
    { name: 'Keras 3 .keras (TF.js)', files: [join(FIXTURES, 'keras_sequential/model.keras')] },
    { name: 'ONNX (onnxruntime-web wasm)', files: [join(FIXTURES, 'onnx/mlp_relu_opset17/model.onnx')] },
    { name: 'ONNX conv net (onnxruntime-web wasm)', files: [join(FIXTURES, 'onnx/cnn_opset17/model.onnx')] },
    { name: 'Keras architecture JSON + weights .h5 (TF.js)', files: [join(FIXTURES, 'keras_sequential/arch.json'), join(FIXTURES, 'keras_sequential/weights.h5')], args: ['--weights', 'weights.h5'] },
  ];

  for (const v of VERIFY) {
    it(`verify, ${v.name}: PASS and the CLI's --verify report`, async () => {
      await set({});
      await upload(v.files);
      await s.run(() => s.page.click('#verify'), 60_000);
      const want = await cli(dirname(v.files[0]), [basename(v.files[0]), ...(v.args ?? []), '-f', 'js', '--verify']);
      expect(want.code).toBe(0);
      expect(await text('#verify-report')).toBe(want.stderr);
      expect(await text('#verdict')).toBe('PASS');
      await s.page.locator('#verify-report').screenshot({ path: join(OUT, `verify_${basename(v.files[0]).replace(/\W+/g, '_')}.png`) });
    }, 60_000);
  }

  it("verify with Taylor gets the CLI's refusal", async () => {
    await set({ taylor: '2' });
    await upload(medium);
    await s.run(() => s.page.click('#verify'));
    const want = await cli(dirname(medium[0]), ['model.json', '-f', 'js', '--taylor', '2', '--verify']);
    expect(want.code).toBe(2);
    expect(await text('#verify-report')).toBe(want.stderr.trim());
    expect(await text('#verdict')).toBe('not run');
  });

  it("diff of two versions: nn2eq diff's report with -f latex, changed lines and weights marked", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2eq-web-diff-'));
    for (const side of ['old', 'new']) {
      mkdirSync(join(dir, side));
      copyFileSync(join(FIXTURES, 'act_elu/model.json'), join(dir, side, 'model.json'));
      copyFileSync(join(FIXTURES, 'act_elu/weights.bin'), join(dir, side, 'weights.bin'));
    }
    // The new version: one kernel weight moved.
    const w = new Float32Array(new Uint8Array(readFileSync(join(dir, 'new/weights.bin'))).buffer);
    w[2] += 0.25;
    writeFileSync(join(dir, 'new/weights.bin'), new Uint8Array(w.buffer));
    await s.page.setInputFiles('#old-files', [join(dir, 'old/model.json'), join(dir, 'old/weights.bin')]);
    await s.page.setInputFiles('#new-files', [join(dir, 'new/model.json'), join(dir, 'new/weights.bin')]);
    await s.page.selectOption('#diff-format', 'latex');
    await s.run(() => s.page.click('#diff'));
    const want = await cli(dir, ['diff', 'old/model.json', 'new/model.json', '-f', 'latex']);
    expect(want.code).toBe(1);
    expect(await text('#diff-report')).toBe(want.stdout);
    expect(await s.page.$$eval('#diff-report .add', (e) => e.length)).toBeGreaterThan(0);
    expect(await s.page.$$eval('#diff-report .del', (e) => e.length)).toBeGreaterThan(0);
    expect(await s.page.$$eval('#diff-report .changed', (e) => e.map((x) => x.textContent))).toEqual(want.stdout.split('\n').filter((l) => /^ {2}layer |: \d+ of \d+ changed/.test(l)).map((l) => `${l}\n`));
    await s.page.locator('#compare').screenshot({ path: join(OUT, 'diff.png') });
  }, 40_000);

  it("a scalar form too big for the page gets the CLI's message for the page's --max-size; the page stays responsive", async () => {
    const dir = join(SHARED, 'nsfwjs/mobilenet_v2_quant_uint8');
    await set({ form: 'scalar' });
    await s.page.evaluate(() => (document.body.dataset.state = 'starting'));
    await s.page.setInputFiles('#files', [join(dir, 'model.json'), join(dir, 'group1-shard1of1')]);
    const [want] = await Promise.all([cli(dir, ['model.json', '--form', 'scalar', '--max-size', '64MB']), s.page.waitForSelector('#error:not([hidden])', { timeout: 30_000 })]);
    expect(want.stderr.trim().split('\n')).toHaveLength(1);
    expect(await text('#error')).toBe(want.stderr.trim());
    // While the worker still tries the other formats, the page answers and a small model converts.
    expect(await s.page.evaluate(() => document.body.dataset.state)).toBe('busy');
    await set({});
    await upload(medium);
    expect(await s.page.isHidden('#error')).toBe(true);
    expect(await s.page.$$eval('#equations .katex', (e) => e.length)).toBeGreaterThan(0);
  }, 40_000);

  it("a model.json without its shard: the CLI's sentence naming the missing file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2eq-web-shard-'));
    copyFileSync(join(FIXTURES, 'act_elu/model.json'), join(dir, 'model.json'));
    await set({});
    await upload([join(dir, 'model.json')]);
    const want = await cli(dir, ['model.json']);
    expect(want.stderr).toMatch(/weights\.bin/);
    // The page's files live in a folder of their own, '/': the CLI's sentence with that folder.
    expect(await text('#error')).toBe(want.stderr.trim().replace(`${dir}/`, '/'));
  });

  it('no console error and no request left the origin', () => {
    expect(s.consoleErrors).toEqual([]);
    expect(s.foreign).toEqual([]);
  });
});
