import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { latexRows, wholeRows } from '../src/emit/latex/html.js';
import { convertFile } from '../src/index.js';
import { Browser, chromiumSkip } from './browser.js';
import { FIXTURES, inCI, ROOT } from './helpers.js';

const skip = chromiumSkip;
if (skip) console.warn(`\n*** SKIPPING the HTML page check in Chromium: ${skip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** Screenshots go here (ignored by git), one per fixture, for a person to look at. */
const OUTPUT = join(ROOT, '.vitest-tmp', 'html');

/** One Chromium for the file, started by the first test that needs it. */
let browser: Browser | undefined;
const chromium = () => (browser ??= Browser.launch());
afterAll(() => browser?.close());

describe('--format html', () => {
  for (const name of ['mathematica_3_2_2_2', 'shape_embedding', 'rnn_lstm_sequences', 'act_gelu']) {
    const test = async () => {
      const { text } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'html' });
      // Offline: nothing to fetch (the MathML namespace is a name, not a request).
      expect(text.replace(/xmlns="[^"]*"/g, '')).not.toMatch(/\b(src|href)=|url\(|@import|https?:/);
      const { text: tex } = await convertFile(join(FIXTURES, name, 'model.json'), { format: 'latex' });
      mkdirSync(OUTPUT, { recursive: true });
      const file = join(OUTPUT, `${name}.html`);
      writeFileSync(file, text);
      const dom = await chromium().dumpDom(pathToFileURL(file).href);
      expect(dom).not.toMatch(/katex-error|<merror/);
      expect((dom.match(/<math[\s>]/g) ?? []).length).toBe(latexRows(tex).length);
      expect(dom).toMatch(/Calling contract/);
      expect(dom).toMatch(/<td>input 1<\/td>/);
      const png = join(OUTPUT, `${name}.png`);
      await chromium().screenshot(pathToFileURL(file).href, png, 1280, 1400);
      expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
      expect(statSync(png).size).toBeGreaterThan(5000);
    };
    if (!skip) it(name, test, 180_000);
    else if (inCI) it(name, () => expect.fail(skip));
    else it.skip(`${name} [needs chromium]`, test);
  }
  // The tensor form: one MathML block per row of the LaTeX tensor form (a matrix stays one row).
  for (const name of ['rnn_lstm_sequences', 'conv2d_same_strided', 'act_elu']) {
    const test = async () => {
      const model = join(FIXTURES, name, 'model.json');
      const { text } = await convertFile(model, { format: 'html', form: 'tensor' });
      expect(text.replace(/xmlns="[^"]*"/g, '')).not.toMatch(/\b(src|href)=|url\(|@import|https?:/);
      const { text: tex } = await convertFile(model, { format: 'latex', form: 'tensor' });
      mkdirSync(OUTPUT, { recursive: true });
      const file = join(OUTPUT, `${name}.tensor.html`);
      writeFileSync(file, text);
      const dom = await chromium().dumpDom(pathToFileURL(file).href);
      expect(dom).not.toMatch(/katex-error|<merror/);
      expect((dom.match(/<math[\s>]/g) ?? []).length).toBe(wholeRows(latexRows(tex)).length);
      expect(dom).toMatch(/<td>input1 \(/);
    };
    if (!skip) it(`${name} (tensor form)`, test, 180_000);
    else if (inCI) it(`${name} (tensor form)`, () => expect.fail(skip));
    else it.skip(`${name} (tensor form) [needs chromium]`, test);
  }
});
