import { createServer, type Server } from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, inCI, ROOT, SHARED } from './helpers.js';
import { chromiumSkip, cli, inkShare, openPage, type PageSession } from './web-harness.js';

// The page's remaining promises in Debian's chromium (one browser for the file): MobileNetV2
// converts (worker, progress bar, time to first equation), the README's ?model= links open from a
// plain static host, nn2eq serve opens a Keras JSON with its weights, the form/precision/names/
// max-matrix controls, the info summary, download and copy, and a drop of files.
const OUT = join(ROOT, '.test-output', 'web');
const run = chromiumSkip ? (inCI ? describe : describe.skip) : describe;

const KERAS_JSON = join(FIXTURES, 'keras_sequential/arch.json');
const KERAS_WEIGHTS = join(FIXTURES, 'keras_sequential/weights.h5');
const SMALL = join(FIXTURES, 'mathematica_3_2_2_2');

/** A plain static host over the repository (not nn2eq serve), as `python3 -m http.server` would be. */
function staticHost(): Promise<{ server: Server; origin: string }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.woff2': 'font/woff2' };
  const server = createServer((req, res) => {
    const path = resolve(ROOT, `.${decodeURIComponent((req.url ?? '/').split('?')[0])}`);
    let file = '';
    try {
      file = realpathSync(path);
      if (relative(ROOT, file).startsWith('..') || !statSync(file).isFile()) throw new Error('outside');
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'max-age=600' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

/** An 8-bit RGB PNG of one colour, as a blank screenshot would be. */
function blankPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, body: Buffer) => {
    const tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const out = Buffer.alloc(tb.length + 8);
    out.writeUInt32BE(body.length, 0);
    tb.copy(out, 4);
    out.writeUInt32BE(crc(tb), tb.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height, 0xff);
  for (let y = 0; y < height; y++) raw[y * (width * 3 + 1)] = 0;
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('inkShare, the not-blank measure of the page tests', () => {
  it('is 0 for a blank picture and over 1% for the README screenshot of the page', () => {
    expect(inkShare(blankPng(40, 30))).toBe(0);
    expect(inkShare(readFileSync(join(ROOT, 'docs/web-page.png')))).toBeGreaterThan(0.01);
  });
});

run('the page: MobileNetV2, README links, serve with weights, controls, info, download, drop', () => {
  let s: PageSession;
  let page: import('playwright-core').Page;
  const text = async (sel: string) => (await page.textContent(sel)) ?? '';

  beforeAll(async () => {
    s = await openPage([KERAS_JSON, KERAS_WEIGHTS]);
    page = s.page;
    mkdirSync(OUT, { recursive: true });
  }, 30_000);

  afterAll(async () => {
    await s?.close();
  });

  /** The page's equations rendered without a KaTeX error, fitting the viewport, the picture not blank. */
  async function rendered(name: string): Promise<void> {
    await page.waitForSelector('#equations[data-complete]', { state: 'attached', timeout: 30_000 });
    expect(await page.$$eval('#equations .katex-error', (e) => e.length)).toBe(0);
    expect(await page.$$eval('#equations .katex', (e) => e.length)).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    // The first rows (a picture of the whole of a big model's equations takes seconds).
    await page.locator('#equations').scrollIntoViewIfNeeded();
    const box = (await page.locator('#equations').boundingBox())!;
    const shot = await page.screenshot({ path: join(OUT, `${name}.png`), clip: { ...box, height: Math.min(box.height, 900 - Math.max(box.y, 0)), y: Math.max(box.y, 0) } });
    expect(inkShare(shot), `${name}: the equations' picture is blank`).toBeGreaterThan(0.01);
  }

  it('nn2eq serve arch.json weights.h5: the page opens with the Keras JSON and its weights loaded', async () => {
    expect(s.url).toMatch(/\?model=models%2F0%2Farch\.json&model=models%2F1%2Fweights\.h5$/);
    await page.goto(s.url);
    await page.waitForSelector('#tab-latex');
    expect(await page.isHidden('#error'), await text('#error')).toBe(true);
    await page.click('#tab-latex');
    const want = await cli(dirname(KERAS_JSON), ['arch.json', '--weights', 'weights.h5', '-f', 'latex']);
    expect(await text('#code')).toBe(want.stdout);
    await rendered('serve_keras_json_weights');
  });

  it('MobileNetV2 (test/models/nsfwjs) converts in the page: progress bar, worker, first equation = the CLI LaTeX, Stop', async () => {
    const dir = join(SHARED, 'nsfwjs/mobilenet_v2_quant_uint8');
    await page.evaluate(() => delete document.body.dataset.firstEquationMs);
    const t0 = Date.now();
    await page.setInputFiles('#files', [join(dir, 'model.json'), join(dir, 'group1-shard1of1')]);
    await page.waitForSelector('#progress', { state: 'visible', timeout: 10_000 });
    await page.waitForFunction(() => document.body.dataset.firstEquationMs !== undefined, null, { timeout: 60_000 });
    const wall = Date.now() - t0;
    const first = Number(await page.evaluate(() => document.body.dataset.firstEquationMs));
    console.log(`MobileNetV2 in the page: first equation ${first} ms after the conversion started, ${wall} ms after the upload`);
    // The worker goes on with the other formats (about 90 s in all): the bar moves, the page answers.
    await page.waitForFunction(() => (document.getElementById('progress') as HTMLProgressElement).value >= 1 / 12, null, { timeout: 30_000 });
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('busy');
    expect(await page.isVisible('#progress')).toBe(true);
    const t1 = Date.now();
    await page.click('#tab-latex');
    expect(Date.now() - t1, 'a click while the worker converts').toBeLessThan(5_000);
    // Stop ends the worker (the other formats take about 90 s more); the LaTeX stays.
    await page.click('#stop');
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    expect(await page.isHidden('#progress')).toBe(true);
    expect(await text('#status')).toMatch(/^Stopped the conversion; converted: latex[,.]/);
    await page.click('#verify');
    expect(await text('#verify-report')).toBe('nn2eq: Stop ended the worker that held the conversion verify runs on; hint: press Convert, then Verify');
    const want = await cli(dir, ['model.json', '-f', 'latex']);
    expect(want.stdout.length).toBeGreaterThan(10_000);
    expect(await text('#code')).toBe(want.stdout);
    expect(await page.isHidden('#error'), await text('#error')).toBe(true);
    await rendered('mobilenet_v2');
    // Every row group rendered (the page renders them in slices).
    const { latexRows, wholeRows } = await import(join(ROOT, 'dist/emit/latex/html.js'));
    const rows = wholeRows(latexRows(want.stdout)).length;
    expect(rows).toBeGreaterThan(100);
    expect(await page.$$eval('#equations .equation', (e) => e.length)).toBe(rows);
  }, 90_000);

  /** Sets the page's option controls (empty: the CLI's default). */
  async function controls(c: { form?: string; precision?: string; inputs?: string; outputs?: string; maxMatrix?: string }): Promise<void> {
    await page.selectOption('#form', c.form ?? 'auto');
    await page.fill('#precision', c.precision ?? '');
    await page.fill('#inputs', c.inputs ?? '');
    await page.fill('#outputs', c.outputs ?? '');
    await page.fill('#max-matrix', c.maxMatrix ?? '');
  }

  const CONTROLS = [
    { name: 'tensor form, precision 4, names, max-matrix 2', c: { form: 'tensor', precision: '4', inputs: 'a,b,c', outputs: 'p,q', maxMatrix: '2' }, args: ['--form', 'tensor', '--precision', '4', '--inputs', 'a,b,c', '--outputs', 'p,q', '--max-matrix', '2'] },
    { name: 'scalar form, precision 3, names', c: { form: 'scalar', precision: '3', inputs: 'u,v,w', outputs: 'r,s' }, args: ['--form', 'scalar', '--precision', '3', '--inputs', 'u,v,w', '--outputs', 'r,s'] },
  ];

  for (const k of CONTROLS) {
    it(`controls: ${k.name} give the CLI's text for those options`, async () => {
      await controls(k.c);
      await page.setInputFiles('#files', [join(SMALL, 'model.json'), join(SMALL, 'weights.bin')]);
      await page.waitForSelector('#tab-c');
      expect(await page.isHidden('#error'), await text('#error')).toBe(true);
      for (const format of ['latex', 'js', 'numpy', 'c']) {
        await page.click(`#tab-${format}`);
        const want = await cli(SMALL, ['model.json', ...k.args, '-f', format]);
        expect(await text('#code'), `${k.name} -f ${format}`).toBe(want.stdout);
      }
      await rendered(`controls_${k.c.form}`);
    });
  }

  it("the info summary is nn2eq info's text; download and copy give the tab's text under the format's file name", async () => {
    await controls({});
    await s.run(() => page.setInputFiles('#files', [join(SMALL, 'model.json'), join(SMALL, 'weights.bin')]));
    const info = await cli(SMALL, ['info', 'model.json']);
    expect(info.stdout).toMatch(/total parameters: 20/);
    expect(await text('#info')).toBe(info.stdout);
    const { EMITTERS } = await import(join(ROOT, 'dist/emit/index.js'));
    for (const format of ['js', 'c', 'latex']) {
      const file = `model.${EMITTERS[format].extension}`;
      await page.click(`#tab-${format}`);
      const want = (await cli(SMALL, ['model.json', '-f', format])).stdout;
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      expect(download.suggestedFilename()).toBe(file);
      expect(readFileSync((await download.path())!, 'utf8'), `download of ${format}`).toBe(want);
    }
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.origin });
    await page.click('#tab-numpy');
    await page.click('#copy');
    await page.waitForFunction(() => /copied/.test(document.getElementById('panel-note')!.textContent ?? ''));
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe((await cli(SMALL, ['model.json', '-f', 'numpy'])).stdout);
  });

  /** A drag's DataTransfer in the page holding these files. */
  function dragged(paths: string[]) {
    const files = paths.map((p) => ({ name: basename(p), b64: readFileSync(p).toString('base64') }));
    return page.evaluateHandle((fs) => {
      const dt = new DataTransfer();
      for (const f of fs) dt.items.add(new File([Uint8Array.from(atob(f.b64), (ch) => ch.charCodeAt(0))], f.name));
      return dt;
    }, files);
  }

  it('files dropped on the page convert as picked ones do', async () => {
    await controls({});
    const dataTransfer = await dragged([join(SMALL, 'model.json'), join(SMALL, 'weights.bin')]);
    await s.run(() => page.dispatchEvent('#drop', 'drop', { dataTransfer }));
    expect(await page.isHidden('#error'), await text('#error')).toBe(true);
    await page.click('#tab-latex');
    expect(await text('#code')).toBe((await cli(SMALL, ['model.json', '-f', 'latex'])).stdout);
    await rendered('dropped');
  });

  it("two versions dropped on the compare pickers: nn2eq diff's report, the main model untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2eq-web-drop-diff-'));
    for (const side of ['old', 'new']) {
      mkdirSync(join(dir, side));
      for (const f of ['model.json', 'weights.bin']) copyFileSync(join(SMALL, f), join(dir, side, f));
    }
    // The new version: one weight moved.
    const w = new Float32Array(new Uint8Array(readFileSync(join(dir, 'new/weights.bin'))).buffer);
    w[1] -= 0.5;
    writeFileSync(join(dir, 'new/weights.bin'), new Uint8Array(w.buffer));
    const latex = await text('#code');
    for (const side of ['old', 'new']) {
      const dataTransfer = await dragged([join(dir, side, 'model.json'), join(dir, side, 'weights.bin')]);
      await page.dispatchEvent(`#${side}-files`, 'drop', { dataTransfer });
      expect(await page.$eval(`#${side}-files`, (i) => Array.from((i as HTMLInputElement).files!, (f) => f.name))).toEqual(['model.json', 'weights.bin']);
    }
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    expect(await text('#code')).toBe(latex);
    await page.selectOption('#diff-format', '');
    await s.run(() => page.click('#diff'));
    const want = await cli(dir, ['diff', 'old/model.json', 'new/model.json']);
    expect(want.code).toBe(1);
    expect(await text('#diff-report')).toBe(want.stdout);
    expect(await page.$$eval('#diff-report .changed', (e) => e.length)).toBeGreaterThan(0);
  });

  it("a Keras architecture JSON without its weights .h5: the CLI's sentence asking for them", async () => {
    await s.run(() => page.setInputFiles('#files', [KERAS_JSON]));
    const want = await cli(dirname(KERAS_JSON), ['arch.json']);
    expect(want.code).toBe(2);
    expect(want.stderr).toMatch(/weights/);
    expect(await text('#error')).toBe(want.stderr.trim());
    expect(await page.isHidden('#result')).toBe(true);
  });

  it('?model= on another origin is refused without a request; a missing one gets its HTTP status', async () => {
    await page.goto(`${s.origin}/?model=${encodeURIComponent('http://example.invalid/model.json')}`);
    await page.waitForSelector('#error:not([hidden])');
    expect(await text('#error')).toBe('nn2eq: http://example.invalid/model.json is on another origin; the page opens only models served beside it');
    const before = s.consoleErrors.length;
    await page.goto(`${s.origin}/?model=models%2F9%2Fmodel.json`);
    await page.waitForSelector('#error:not([hidden])');
    expect(await text('#error')).toBe('nn2eq: /models/9/model.json: HTTP 404');
    expect(s.foreign).toEqual([]);
    // Chromium logs the 404 itself; that one line is expected here.
    await expect.poll(() => s.consoleErrors.length).toBeGreaterThan(before);
    expect(s.consoleErrors.splice(before)).toEqual(['Failed to load resource: the server responded with a status of 404 (Not Found)']);
  });

  it("the README's ?model= links open on a plain static host, with the CLI's LaTeX", async () => {
    const links = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/\]\((dist\/web\/index\.html\?model=([^)&]+))\)/g)];
    expect(links.length).toBeGreaterThanOrEqual(4);
    const host = await staticHost();
    s.allow(host.origin);
    try {
      for (const [, link, model] of links) {
        const file = resolve(ROOT, 'dist/web', decodeURIComponent(model));
        await page.goto(`${host.origin}/${link}`);
        await page.waitForSelector('#tab-latex');
        expect(await page.isHidden('#error'), `${link}: ${await text('#error')}`).toBe(true);
        await page.click('#tab-latex');
        const want = await cli(dirname(file), [basename(file), '-f', 'latex']);
        expect(await text('#code'), link).toBe(want.stdout);
        await rendered(`readme_${basename(dirname(file))}`);
      }
    } finally {
      await new Promise((ok) => host.server.close(ok));
    }
  }, 60_000);

  it('no console error and no request left the origin', () => {
    expect(s.consoleErrors).toEqual([]);
    expect(s.foreign).toEqual([]);
  });
});
