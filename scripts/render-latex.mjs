#!/usr/bin/env node
// Renders nn2eq's LaTeX with KaTeX in headless Chromium: a PNG of the equations at A4 text width,
// and the rendered width, to compare with the page.
//
//   node scripts/render-latex.mjs <model> <out.png> [nn2eq options as JSON, e.g. '{"precision":3}']
//
// Needs Debian's chromium (/usr/bin/chromium) and a built dist/ (npm run build).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import katex from 'katex';

/** A4 `article` text width at 10 pt (345 pt) in CSS pixels. */
export const PAGE_WIDTH_PX = (345 * 96) / 72;

export const CHROMIUM = process.env.NN2EQ_CHROMIUM ?? '/usr/bin/chromium';

const require = createRequire(import.meta.url);
const cssUrl = pathToFileURL(require.resolve('katex/dist/katex.min.css')).href;

/** A page with `tex` rendered by KaTeX at 10 pt in a column of the A4 text width. */
export function pageHtml(tex) {
  const html = katex.renderToString(tex, { displayMode: true, throwOnError: true, maxExpand: Infinity });
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${cssUrl}">
<style>
body { margin: 0; padding: 12px; background: #fff; font-size: 13.333px; }
.page { width: ${PAGE_WIDTH_PX}px; }
.katex-display { margin: 0; text-align: left; }
.katex { font-size: 1em; }
</style></head><body><div class="page">${html}</div>
<script>
document.fonts.ready.then(() => {
  const bases = [...document.querySelectorAll('.katex-html > .base')];
  const width = Math.max(0, ...bases.map((b) => b.getBoundingClientRect().width));
  document.body.dataset.width = String(width);
  document.body.dataset.height = String(Math.ceil(document.querySelector('.page').getBoundingClientRect().bottom + 12));
});
</script></body></html>`;
}

function chromium(args) {
  const profile = mkdtempSync(join(tmpdir(), 'nn2eq-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars', '--virtual-time-budget=5000'];
  return new Promise((resolvePromise, reject) => {
    execFile(CHROMIUM, [...flags, ...args], { maxBuffer: 1 << 28, timeout: 120_000 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed: ${stderr || err.message}`));
      else resolvePromise(stdout);
    });
  });
}

/**
 * Renders `tex` (an aligned block) and writes a PNG of it to `png`; returns the rendered width and
 * height of the equations in CSS pixels (the page is PAGE_WIDTH_PX wide). `browser` (optional): a
 * running Chromium with dumpDom(url) and screenshot(url, png, width, height), for many renders
 * (the tests keep one per file); without it each step starts chromium.
 */
export async function renderLatex(tex, png, browser) {
  const dir = mkdtempSync(join(tmpdir(), 'nn2eq-render-'));
  try {
    const page = join(dir, 'page.html');
    writeFileSync(page, pageHtml(tex));
    const dom = browser ? await browser.dumpDom(pathToFileURL(page).href) : await chromium(['--dump-dom', pathToFileURL(page).href]);
    const width = Number(/data-width="([\d.]+)"/.exec(dom)?.[1] ?? NaN);
    const height = Number(/data-height="(\d+)"/.exec(dom)?.[1] ?? NaN);
    if (!Number.isFinite(width) || !Number.isFinite(height)) throw new Error('render-latex: the page did not report its size');
    const w = Math.ceil(Math.max(width, PAGE_WIDTH_PX)) + 24;
    if (browser) await browser.screenshot(pathToFileURL(page).href, resolve(png), w, Math.min(height, 16000));
    else await chromium([`--screenshot=${resolve(png)}`, `--window-size=${w},${Math.min(height, 16000)}`, pathToFileURL(page).href]);
    return { width, height };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [model, png, json] = process.argv.slice(2);
  if (!model || !png) {
    console.error('usage: node scripts/render-latex.mjs <model> <out.png> [options JSON]');
    process.exitCode = 2;
  } else {
    const root = dirname(dirname(fileURLToPath(import.meta.url)));
    const { convertFile } = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
    const { text } = await convertFile(model, { format: 'latex', ...(json ? JSON.parse(json) : {}) });
    const { width, height } = await renderLatex(text, png);
    console.log(`${png}: ${Math.round(width)} × ${height} px (page ${Math.round(PAGE_WIDTH_PX)} px wide)`);
  }
}
