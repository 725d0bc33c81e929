import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Browser, chromiumSkip } from './browser.js';
import { convertFile } from '../src/index.js';
import { FIXTURES, inCI, ROOT, SHARED } from './helpers.js';
// @ts-expect-error plain JS script shared with the README picture
import { PAGE_WIDTH_PX, renderLatex } from '../scripts/render-latex.mjs';

/** Screenshots are kept here (gitignored) as test artifacts. */
const OUT = join(ROOT, '.test-output', 'latex');

/** Where the shared real models are (the lead repoints this at test/models once they are copied). */
const SHARED_MODELS = SHARED;

const skip = chromiumSkip;

/** One Chromium for the file, started by the first render. */
let browser: Browser | undefined;
const chromium = () => (browser ??= Browser.launch());
afterAll(() => browser?.close());

const PAGES: [name: string, path: string][] = [
  ['mathematica_3_2_2_2', join(FIXTURES, 'mathematica_3_2_2_2', 'model.json')],
  ['rnn_gru_backwards', join(FIXTURES, 'rnn_gru_backwards', 'model.json')],
  ['shape_embedding', join(FIXTURES, 'shape_embedding', 'model.json')],
  ['pool_global', join(FIXTURES, 'pool_global', 'model.json')],
  ['dl4j_ReLU_2', join(SHARED_MODELS, 'dl4j', 'activations_ReLU_2_parametric', 'ReLU_2_model.h5')],
];

// KaTeX's rendering of the LaTeX, in Chromium, at 10 pt: no equation wider than A4's text width.
describe.skipIf(skip !== null && !inCI)('latex rendered by KaTeX in headless Chromium fits the page', () => {
  mkdirSync(OUT, { recursive: true });
  for (const [name, path] of PAGES) {
    it.skipIf(!existsSync(path))(name, async () => {
      if (skip) throw new Error(skip);
      const { text } = await convertFile(path, { format: 'latex' });
      const { width } = await renderLatex(text, join(OUT, `${name}.png`), chromium());
      expect(existsSync(join(OUT, `${name}.png`))).toBe(true);
      expect(width).toBeGreaterThan(0);
      expect(width, `${name} is ${Math.round(width)} px wide`).toBeLessThanOrEqual(PAGE_WIDTH_PX);
    }, 240_000);
  }

  it('catches a row wider than the page', async () => {
    if (skip) throw new Error(skip);
    const row = Array.from({ length: 30 }, (_, i) => `0.12345678 x_{${i + 1}}`).join(' + ');
    const { width } = await renderLatex(`\\begin{aligned}\ny_{1} &= ${row}\n\\end{aligned}`, join(OUT, 'too-wide.png'), chromium());
    expect(width).toBeGreaterThan(PAGE_WIDTH_PX);
  }, 240_000);
});

if (skip && !inCI) describe.skip(`latex render: ${skip}`, () => it('skipped', () => {}));
