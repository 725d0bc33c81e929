import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { inCI, ROOT } from './helpers.js';

// The browser page's tests (web*.test.ts): nn2eq serve, one headless Debian chromium per file
// driven by playwright-core (which downloads nothing), and the CLI run in-process to compare with.
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumSkip = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found; apt-get install -y chromium`;
if (chromiumSkip) console.warn(`\n*** SKIPPING browser page tests: ${chromiumSkip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** The CLI's stdout and stderr for `nn2eq <args>`, run in `cwd` (so messages name files as the page does). */
export async function cli(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const { main } = await import(join(ROOT, 'dist/cli.js'));
  let stdout = '';
  let stderr = '';
  const here = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(args, { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), stdinIsTTY: true });
    return { stdout, stderr, code };
  } finally {
    process.chdir(here);
  }
}

export interface PageSession {
  readonly origin: string;
  /** The address nn2eq serve printed (with ?model= for the models given to it). */
  readonly url: string;
  readonly page: import('playwright-core').Page;
  /** Console errors and uncaught exceptions of the page, and requests that left its origin. */
  readonly consoleErrors: string[];
  readonly foreign: string[];
  /** Counts requests to `origin` (another local server of the test) as the page's own. */
  allow(origin: string): void;
  /** Waits for the page's current request to finish (body[data-state=done]). */
  done(timeout?: number): Promise<void>;
  /** Marks the page busy-to-be, runs `act`, waits until the request it started is done. */
  run(act: () => Promise<unknown>, timeout?: number): Promise<void>;
  close(): Promise<void>;
}

/** nn2eq serve on any free port (with `models` given to it) and one chromium tab on it. */
export async function openPage(models: string[] = []): Promise<PageSession> {
  if (chromiumSkip) throw new Error(chromiumSkip);
  const server: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/nn2eq.js'), 'serve', '--port', '0', ...models], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [origin, url] = await new Promise<[string, string]>((ok, fail) => {
    server.stdout!.on('data', (d) => {
      const m = /serving ((http:\/\/127\.0\.0\.1:\d+)\S*)/.exec(String(d));
      if (m) ok([m[2], m[1]]);
    });
    server.once('exit', (code) => fail(new Error(`nn2eq serve exited with ${code}`)));
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'nn2eq-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const consoleErrors: string[] = [];
  const foreign: string[] = [];
  const own = [`${origin}/`];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  browser.on('request', (r) => {
    if (!own.some((o) => r.url().startsWith(o)) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  const done = (timeout = 30_000) => page.waitForSelector('body[data-state=done]', { state: 'attached', timeout }).then(() => undefined);
  return {
    origin,
    url,
    page,
    consoleErrors,
    foreign,
    done,
    allow: (o) => void own.push(`${o}/`),
    async run(act, timeout) {
      await page.evaluate(() => (document.body.dataset.state = 'starting'));
      await act();
      await done(timeout);
    },
    async close() {
      await browser.close();
      server.kill();
    },
  };
}

/**
 * The share of a PNG's pixels (8-bit RGB or RGBA, as chromium writes them) that differ from its
 * most common colour, the background: 0 for a blank picture.
 */
export function inkShare(png: Buffer): number {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      [width, height] = [body.readUInt32BE(0), body.readUInt32BE(4)];
      const [depth, colour, interlace] = [body[8], body[9], body[12]];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) throw new Error(`PNG of depth ${depth}, colour type ${colour}, interlace ${interlace}: expected 8-bit RGB(A), not interlaced`);
      channels = colour === 2 ? 3 : 4;
    } else if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      if (predictor === undefined) throw new Error(`PNG row filter ${filter}`);
      px[y * stride + x] = (row[x] + predictor) & 255;
    }
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < px.length; i += channels) {
    const key = px.readUIntBE(i, 3);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return 1 - Math.max(...counts.values()) / (width * height);
}
