// Rewrites the README's gallery blocks from the CLI's real output (run `npm run build` first).
// Each example is a marker line, `<!-- readme-test: ARGS -->` or `<!-- readme-test lines=N: ARGS -->`
// (the first N lines only), followed at once by a fenced code block; test/readme.test.ts checks the
// same blocks byte for byte. Run: node scripts/readme-examples.mjs, then review `git diff README.md`.
import { readFileSync, writeFileSync } from 'node:fs';
import { main } from '../dist/cli.js';

const ROOT = new URL('../', import.meta.url).pathname;
const README = `${ROOT}README.md`;
const EXAMPLE = /^<!-- readme-test(?: lines=(\d+))?: (.+?) -->\n(```[^\n]*\n)([\s\S]*?)^```$/gm;

process.chdir(ROOT);
const text = readFileSync(README, 'utf8');
const parts = [];
let last = 0;
for (const m of text.matchAll(EXAMPLE)) {
  let out = '';
  let err = '';
  const code = await main(m[2].split(/\s+/), { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  if (code !== 0 || err) throw new Error(`nn2eq ${m[2]}: exit ${code}\n${err}`);
  if (m[1]) out = out.split('\n').slice(0, Number(m[1])).join('\n') + '\n';
  const start = m.index + m[0].length - m[4].length - 3;
  parts.push(text.slice(last, start), out);
  last = start + m[4].length;
  console.log(`${m[1] ? `first ${m[1]} lines of ` : ''}nn2eq ${m[2]}`);
}
parts.push(text.slice(last));
writeFileSync(README, parts.join(''));
