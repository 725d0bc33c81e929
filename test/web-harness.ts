import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  readonly page: import('playwright-core').Page;
  /** Console errors and uncaught exceptions of the page, and requests that left its origin. */
  readonly consoleErrors: string[];
  readonly foreign: string[];
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
  const origin = await new Promise<string>((ok, fail) => {
    server.stdout!.on('data', (d) => {
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(String(d));
      if (m) ok(m[1]);
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
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  browser.on('request', (r) => {
    if (!r.url().startsWith(`${origin}/`) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  const done = (timeout = 30_000) => page.waitForSelector('body[data-state=done]', { state: 'attached', timeout }).then(() => undefined);
  return {
    origin,
    page,
    consoleErrors,
    foreign,
    done,
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
