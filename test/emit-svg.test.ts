import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { latexRows } from '../src/emit/latex/html.js';
import { wholeRows } from '../src/emit/latex/svg.js';
import { convertFile } from '../src/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, inCI, ROOT, tmpDir } from './helpers.js';

const CHROMIUM = process.env.NN2EQ_CHROMIUM || '/usr/bin/chromium';
const skip = spawnSync(CHROMIUM, ['--version']).error ? `${CHROMIUM} not found; apt-get install -y chromium` : null;
if (skip) console.warn(`\n*** SKIPPING the SVG picture check in Chromium: ${skip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** Screenshots go here (ignored by git), for a person to look at. */
const OUTPUT = join(ROOT, '.vitest-tmp', 'svg');

/** Well-formed XML, checked by a tag stack (the picture holds no comments, CDATA or doctype). */
function wellFormed(xml: string): string | null {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(amp|lt|gt|quot|apos|#\d+);)/g)) {
    if (m[0] === '<') return `a stray '<' at ${m.index}`;
    if (m[0].startsWith('&')) return `a stray '&' at ${m.index}`;
    const [, close, tag, , self] = m;
    if (self) continue;
    if (!close) stack.push(tag);
    else if (stack.pop() !== tag) return `</${tag}> closes the wrong element at ${m.index}`;
  }
  return stack.length ? `<${stack[stack.length - 1]}> is never closed` : null;
}

describe('--format svg', () => {
  it('the well-formedness check can fail', () => {
    expect(wellFormed('<svg><g></svg>')).not.toBeNull();
    expect(wellFormed('<svg a="1"><g/><text>a &amp; b</text></svg>')).toBeNull();
    expect(wellFormed('<svg><text>a < b</text></svg>')).not.toBeNull();
  });
  for (const name of fixtureNames()) {
    for (const form of ['scalar', 'tensor'] as const) {
      it(`${name} (${form} form): well-formed, one formula per LaTeX row, no MathJax error, offline`, async () => {
        const file = join(FIXTURES, name, 'model.json');
        let text: string;
        try {
          ({ text } = await convertFile(file, { format: 'svg', form, maxSize: 20e6, ...FIXTURE_OPTIONS[name] }));
        } catch (e) {
          // A model the LaTeX tensor form refuses (or a scalar form too large) is refused the same way here.
          await expect(convertFile(file, { format: 'latex', form, maxSize: 20e6, ...FIXTURE_OPTIONS[name] })).rejects.toThrow();
          return;
        }
        const { text: tex } = await convertFile(file, { format: 'latex', form, maxSize: 20e6, ...FIXTURE_OPTIONS[name] });
        expect(wellFormed(text)).toBeNull();
        expect(text).not.toMatch(/data-mjx-error|merror/);
        // One formula (<svg class="row">) per LaTeX row.
        expect((text.match(/<svg class="row" /g) ?? []).length).toBe(wholeRows(latexRows(tex.replace(/^(%.*\n)*/, ''))).length);
        expect(text.replace(/xmlns(:xlink)?="[^"]*"/g, '')).not.toMatch(/https?:|url\(|@import/);
        expect(text).toContain(`(${form} form)`);
      }, 60_000);
    }
  }
  it('is byte-identical across runs and does not depend on what was rendered before', async () => {
    const file = join(FIXTURES, 'rnn_lstm_sequences', 'model.json');
    const a = (await convertFile(file, { format: 'svg' })).text;
    await convertFile(join(FIXTURES, 'act_gelu', 'model.json'), { format: 'svg' });
    expect((await convertFile(file, { format: 'svg' })).text).toBe(a);
  });
  it('golden pictures (scalar and tensor form)', async () => {
    const file = join(FIXTURES, 'mathematica_3_2_2_2', 'model.json');
    await expect((await convertFile(file, { format: 'svg' })).text).toMatchFileSnapshot('golden/mathematica_3_2_2_2.svg');
    await expect((await convertFile(file, { format: 'svg', form: 'tensor' })).text).toMatchFileSnapshot('golden/tensor/mathematica_3_2_2_2.svg');
  });
  it('refuses a picture past 256 kB of LaTeX, suggesting what to do', async () => {
    await expect(convertFile(join(ROOT, 'test', 'models', 'tfjs-layers', 'mlp', 'model.json'), { format: 'svg', form: 'scalar' })).rejects.toThrow(/690.*the svg format renders up to .*; hint|svg format renders up to/);
  });

  const shot = async () => {
    const { text } = await convertFile(join(FIXTURES, 'rnn_lstm_sequences', 'model.json'), { format: 'svg', form: 'tensor' });
    mkdirSync(OUTPUT, { recursive: true });
    const file = join(OUTPUT, 'rnn_lstm_sequences.svg');
    writeFileSync(file, text);
    const png = join(OUTPUT, 'rnn_lstm_sequences.png');
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', `--user-data-dir=${tmpDir()}`];
    await new Promise<void>((resolve, reject) => execFile(CHROMIUM, [...flags, `--screenshot=${png}`, '--window-size=1200,900', '--hide-scrollbars', pathToFileURL(file).href], { timeout: 120_000 }, (err) => (err ? reject(err) : resolve())));
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    // A blank white page compresses to a few kB; glyphs make it far larger.
    expect(statSync(png).size).toBeGreaterThan(15_000);
  };
  if (!skip) it('Chromium draws it (a screenshot, not blank)', shot, 180_000);
  else if (inCI) it('Chromium draws it', () => expect.fail(skip));
  else it.skip('Chromium draws it [needs chromium]', shot);
});
