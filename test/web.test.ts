import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, inCI, ROOT } from './helpers.js';
import { chromiumSkip, cli, inkShare, openPage, type PageSession } from './web-harness.js';

// The page in Debian's chromium (headless, driven by playwright-core, which downloads nothing):
// files uploaded through the file input must give the CLI's exact text in every tab.
const OUT = join(ROOT, '.test-output', 'web');

/** Models uploaded through the file input: the model file first, then the files it names. */
const MODELS: { name: string; files: string[] }[] = [
  { name: 'tfjs act_elu', files: ['act_elu/model.json', 'act_elu/weights.bin'] },
  { name: 'keras h5 keras_functional', files: ['keras_functional/model.h5'] },
  { name: '.keras keras_sequential', files: ['keras_sequential/model.keras'] },
  { name: 'keras json + weights.h5', files: ['keras_sequential/arch.json', 'keras_sequential/weights.h5'] },
  { name: 'onnx mlp_relu', files: ['onnx/mlp_relu_opset17/model.onnx'] },
  { name: 'onnx cnn (tensor form)', files: ['onnx/cnn_opset17/model.onnx'] },
];

const run = chromiumSkip ? (inCI ? describe : describe.skip) : describe;

run('the page in chromium', () => {
  let s: PageSession;
  let origin = '';
  let page: import('playwright-core').Page;

  beforeAll(async () => {
    s = await openPage([join(FIXTURES, 'act_elu/model.json')]);
    ({ origin, page } = s);
    mkdirSync(OUT, { recursive: true });
  }, 30_000);

  afterAll(async () => {
    await s?.close();
  });

  async function upload(paths: string[]): Promise<void> {
    await s.run(() => page.setInputFiles('#files', paths));
  }

  it('opens a model given to nn2eq serve, with no request leaving the origin', async () => {
    await page.goto(`${origin}/?model=models%2F0%2Fmodel.json`);
    await page.waitForSelector('body[data-state=done]', { state: 'attached', timeout: 30_000 });
    expect(await page.textContent('#tab-latex')).toBe('latex');
    const want = await cli(join(FIXTURES, 'act_elu'), ['model.json', '-f', 'latex']);
    await page.click('#tab-latex');
    expect(await page.textContent('#code')).toBe(want.stdout);
  });

  for (const m of MODELS) {
    it(`${m.name}: every tab is the CLI's text, the equations render`, async () => {
      const paths = m.files.map((f) => join(FIXTURES, f));
      await upload(paths);
      expect(await page.isHidden('#error'), (await page.textContent('#error')) ?? '').toBe(true);
      const tabs = await page.$$eval('[role=tab]', (ts) => ts.map((t) => (t as HTMLElement).dataset.format!));
      expect(tabs.length).toBeGreaterThanOrEqual(11);
      const cwd = dirname(paths[0]);
      const args = [basename(paths[0]), ...(m.files.length === 2 && m.files[0].endsWith('arch.json') ? ['--weights', basename(paths[1])] : [])];
      for (const format of tabs) {
        await page.click(`#tab-${format}`);
        const got = (await page.textContent('#code')) ?? '';
        const want = await cli(cwd, [...args, '-f', format]);
        expect(got, `${m.name} -f ${format}`).toBe(want.stdout);
      }
      await page.waitForSelector('#equations[data-complete]', { state: 'attached' });
      const katexErrors = await page.$$eval('#equations .katex-error', (e) => e.length);
      expect(katexErrors).toBe(0);
      expect(await page.$$eval('#equations .katex', (e) => e.length)).toBeGreaterThan(0);
      // Every rendered equation fits the viewport (the box scrolls, the page does not).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(OUT, `${m.name.replace(/[^A-Za-z0-9]+/g, '_')}.png`) });
      // The equations' first rows on the screen are not blank.
      await page.locator('#equations').scrollIntoViewIfNeeded();
      const box = (await page.locator('#equations').boundingBox())!;
      const shot = await page.screenshot({ clip: { ...box, y: Math.max(box.y, 0), height: Math.min(box.height, 900 - Math.max(box.y, 0)) } });
      expect(inkShare(shot), `${m.name}: the equations' picture is blank`).toBeGreaterThan(0.01);
    }, 40_000);
  }

  it('keyboard alone loads a model and switches tabs', async () => {
    await page.goto(`${origin}/`);
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'files'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.id ?? '');
    }
    expect(focused).toBe('files');
    // Space opens the file input's chooser; a key press that lands before Chromium reports the
    // chooser (seen once with two test files running) is pressed again, up to three times.
    let chooser: import('playwright-core').FileChooser | null = null;
    for (let i = 0; i < 3 && !chooser; i++) {
      [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 8_000 }).catch(() => null), page.keyboard.press('Space')]);
    }
    if (!chooser) throw new Error('Space on the focused file input opened no file chooser (three tries)');
    await chooser.setFiles([join(FIXTURES, 'act_elu/model.json'), join(FIXTURES, 'act_elu/weights.bin')]);
    await page.waitForSelector('body[data-state=done]', { state: 'attached', timeout: 30_000 });
    for (let i = 0; i < 30 && !focused.startsWith('tab-'); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.id ?? '');
    }
    expect(focused).toBe('tab-latex');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-numpy');
    expect(await page.getAttribute('#tab-numpy', 'aria-selected')).toBe('true');
    expect(await page.textContent('#code')).toMatch(/^import numpy as np|numpy/m);
  }, 40_000);

  it('bad inputs show the CLI one-line message, and a good model converts afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2eq-web-bad-'));
    const png = join(dir, 'picture.png');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f00000000049454e44ae426082', 'hex'));
    mkdirSync(join(dir, 'trunc'));
    copyFileSync(join(FIXTURES, 'act_elu/model.json'), join(dir, 'trunc/model.json'));
    writeFileSync(join(dir, 'trunc/weights.bin'), readFileSync(join(FIXTURES, 'act_elu/weights.bin')).subarray(0, 20));
    const cases = [
      { files: [png], cwd: dir, args: ['picture.png'] },
      { files: [join(dir, 'trunc/model.json'), join(dir, 'trunc/weights.bin')], cwd: join(dir, 'trunc'), args: ['model.json'] },
      { files: [join(FIXTURES, 'onnx/unsupported/model.onnx')], cwd: join(FIXTURES, 'onnx/unsupported'), args: ['model.onnx'] },
    ];
    for (const c of cases) {
      await upload(c.files);
      const want = (await cli(c.cwd, c.args)).stderr.trim();
      expect(want).toMatch(/^nn2eq: /);
      expect(want.split('\n')).toHaveLength(1);
      expect(await page.textContent('#error')).toBe(want);
      await page.screenshot({ path: join(OUT, `error_${basename(c.files[0])}.png`) });
    }
    await upload([join(FIXTURES, 'act_elu/model.json'), join(FIXTURES, 'act_elu/weights.bin')]);
    expect(await page.isHidden('#error')).toBe(true);
    expect(await page.$$eval('#equations .katex', (e) => e.length)).toBeGreaterThan(0);
  }, 40_000);

  it('no console error and no request left the origin', () => {
    expect(s.consoleErrors).toEqual([]);
    expect(s.foreign).toEqual([]);
  });
});

/** A raw GET (no URL normalisation by the client), for the path traversal checks. */
function get(port: number, path: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('nn2eq serve serves the page and the given models only', () => {
  it('refuses .., %2e%2e and absolute paths; serves the model and its shards read-only', async () => {
    const { serve } = await import(join(ROOT, 'dist/commands/serve.js'));
    const s = await serve([join(FIXTURES, 'act_elu/model.json')], { port: 0 });
    try {
      const port = s.server.address().port as number;
      expect(await get(port, '/')).toBe(200);
      expect(await get(port, '/page.js')).toBe(200);
      expect(await get(port, '/models/0/model.json')).toBe(200);
      expect(await get(port, '/models/0/weights.bin')).toBe(200);
      for (const bad of ['/../package.json', '/%2e%2e/package.json', '/%2E%2E%2Fpackage.json', '/..%2f..%2fpackage.json', '/models/0/../../../package.json', '/models/0/reference.json', `/${join(ROOT, 'package.json')}`, `//${join(ROOT, 'package.json')}`, '/%00', '/..\\package.json']) {
        expect(await get(port, bad), bad).toBe(404);
      }
      const put = await new Promise<number>((ok) => request({ host: '127.0.0.1', port, path: '/models/0/model.json', method: 'PUT' }, (r) => ok(r.statusCode ?? 0)).end());
      expect(put).toBe(405);
    } finally {
      await s.close();
    }
  });
});
