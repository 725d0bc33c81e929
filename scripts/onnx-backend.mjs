// Runs ONNX's conformance tests (test/onnx-backend/node/) through nn2eq's NumPy, JS and C tensor
// forms and prints the totals per format (scripts/onnx-backend-lib.mjs says how). Build first.
//
//   node scripts/onnx-backend.mjs                 totals, then every wrong or crashing case
//   node scripts/onnx-backend.mjs --table         also writes the coverage table into README.md
//   node scripts/onnx-backend.mjs --record        also writes test/onnx-backend/passing.json
//   node scripts/onnx-backend.mjs --only REGEX    only the cases whose name matches
//   node scripts/onnx-backend.mjs --list STATUS   the cases of that status (passed, refused, wrong, crash), per format
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseNames, coverageTable, FORMATS, passingNames, prepareCases, RECORD, ROOT, runCases, totals } from './onnx-backend-lib.mjs';

const args = process.argv.slice(2);
const arg = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = arg('--only');
const names = caseNames().filter((n) => !only || new RegExp(only).test(n));
const python = process.env.NN2EQ_PYTHON || '/usr/bin/python3';
const runPython = (code, stdin) =>
  new Promise((resolvePromise) => {
    const child = execFile(python, ['-c', code], { encoding: 'utf8', maxBuffer: 1 << 28 }, (err, stdout, stderr) => resolvePromise({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    child.stdin.end(stdin);
  });
const cc = spawnSync(process.env.NN2EQ_CC || 'gcc', ['--version']).status === 0 ? process.env.NN2EQ_CC || 'gcc' : null;

const t0 = Date.now();
const cases = await prepareCases(names);
const t1 = Date.now();
const results = await runCases(cases, { runPython, cc, onTiming: (t) => console.log(`run: ${Object.entries(t).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}`) });
const t2 = Date.now();
const t = totals(results);
console.log(`${results.length} cases (converted in ${((t1 - t0) / 1000).toFixed(1)} s, run in ${((t2 - t1) / 1000).toFixed(1)} s)`);
for (const f of FORMATS) console.log(`${f.padEnd(6)} passed ${t[f].passed}, refused ${t[f].refused}, wrong ${t[f].wrong}, crash ${t[f].crash}${t[f].skipped ? `, skipped ${t[f].skipped}` : ''}`);
const list = arg('--list');
for (const r of results) {
  for (const f of FORMATS) {
    const s = r[f].status;
    if (s === 'wrong' || s === 'crash' || s === list) console.log(`${s.padEnd(7)} ${f.padEnd(5)} ${r.name} [${r.op}]${r[f].detail ? `: ${r[f].detail}` : ''}`);
  }
}
if (args.includes('--table')) {
  const readme = join(ROOT, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- onnx-backend-table:begin -->';
  const end = '<!-- onnx-backend-table:end -->';
  if (!text.includes(begin) || !text.includes(end)) throw new Error(`README.md has no ${begin} … ${end} markers`);
  const table = `${begin}\n${coverageTable(results)}\n${end}`;
  writeFileSync(readme, text.slice(0, text.indexOf(begin)) + table + text.slice(text.indexOf(end) + end.length));
  console.log('README.md: coverage table written');
}
if (args.includes('--record')) {
  if (only) throw new Error('--record needs the whole set (drop --only)');
  writeFileSync(RECORD, JSON.stringify(passingNames(results), null, 1) + '\n');
  console.log(`${RECORD}: passing cases recorded`);
}
