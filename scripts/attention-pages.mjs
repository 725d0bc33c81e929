// How many A4 pages each transformer layer's LaTeX takes (issue 27: "a whole encoder layer must fit
// an A4 page"): for every encoder, decoder and GPT fixture, the tensor form's rows and where block
// (the weights' values that follow are cut, as test/attention-layer-page.test.ts does), compiled
// by pdflatex. Run after `npm run build`: node scripts/attention-pages.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertFile } from '../dist/index.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const dirs = ['onnx-attention-grid', 'onnx'].flatMap((d) =>
  readdirSync(join(FIXTURES, d))
    .filter((n) => d !== 'onnx' || /^(encoder|decoder|gpt_block)/.test(n))
    .sort()
    .map((n) => join(d, n)),
);
for (const dir of dirs) {
  const { text } = await convertFile(join(FIXTURES, dir, 'model.onnx'), { format: 'latex', form: 'tensor', standalone: true });
  const lines = text.split('\n');
  const where = lines.findIndex((l) => l.startsWith('&\\text{where '));
  let end = where;
  while (lines[end + 1].startsWith('&')) end++;
  const rows = lines.slice(0, where).filter((l) => / &= /.test(l)).length;
  const tmp = mkdtempSync(join(tmpdir(), 'nn2eq-pages-'));
  writeFileSync(join(tmp, 'doc.tex'), [...lines.slice(0, end + 1), '\\end{align*}', '\\end{document}'].join('\n'));
  try {
    execFileSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: tmp, stdio: 'ignore' });
  } catch {
    // The log says what failed.
  }
  const log = readFileSync(join(tmp, 'doc.log'), 'latin1');
  const pages = /Output written on doc\.pdf \((\d+) pages?,/.exec(log)?.[1] ?? 'none (see the log)';
  const overfull = Math.max(0, ...[...log.matchAll(/Overfull \\hbox \(([\d.]+)pt too wide\)/g)].map((m) => Number(m[1])));
  console.log(`${dir.padEnd(46)} rows ${String(rows).padStart(3)}  where lines ${String(end - where + 1).padStart(2)}  pages ${pages}  overfull ${overfull} pt  (${tmp})`);
}
