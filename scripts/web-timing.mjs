// Time to first equation in the page: `node scripts/web-timing.mjs MODEL_FILE…` serves the built
// page with nn2eq serve, opens it in Debian's chromium (headless, playwright-core) and prints the
// page's own measure (conversion start → LaTeX rendered) and the time until every tab is filled.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// --screenshot FILE keeps a picture of the page (the README's is made so).
const args = process.argv.slice(2);
const shotAt = args.indexOf('--screenshot');
const shot = shotAt >= 0 ? args.splice(shotAt, 2)[1] : undefined;
const srv = spawn(process.execPath, ['bin/nn2eq.js', 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
process.on('exit', () => srv.kill());
const url = await new Promise((ok) => srv.stdout.on('data', (d) => { const m = /serving (\S+)/.exec(String(d)); if (m) ok(m[1]); }));
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'nn2eq-chromium-')), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1000, height: 720 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = browser.pages()[0] ?? (await browser.newPage());
// Bytes the page fetched (bodies), until the first equation and in all.
let fetched = 0;
browser.on('requestfinished', async (r) => {
  const sizes = await r.sizes().catch(() => undefined);
  if (sizes) fetched += sizes.responseBodySize;
});
const t0 = Date.now();
await page.goto(url);
await page.waitForFunction(() => document.body.dataset.firstEquationMs !== undefined || document.body.dataset.state === 'done', null, { timeout: 600_000 });
const firstWall = Date.now() - t0;
const fetchedFirst = fetched;
const first = await page.evaluate(() => document.body.dataset.firstEquationMs);
await page.waitForSelector('body[data-state=done]', { state: 'attached', timeout: 600_000 });
const all = Date.now() - t0;
const error = await page.evaluate(() => (document.getElementById('error').hidden ? '' : document.getElementById('error').textContent));
const tabs = await page.$$eval('[role=tab]', (ts) => ts.map((t) => t.textContent + (t.classList.contains('failed') ? ' (failed)' : '')).join(', '));
const kB = (b) => `${Math.round(b / 1000)} kB`;
console.log(`${args.join(' ')}: first equation ${first} ms after the conversion started (${firstWall} ms after page load began, ${kB(fetchedFirst)} fetched); every tab filled after ${all} ms (${kB(fetched)} fetched)${error ? `; error: ${error}` : ''}\ntabs: ${tabs}`);
if (shot) await page.screenshot({ path: shot });
await browser.close();
srv.kill();
process.exit(0);
