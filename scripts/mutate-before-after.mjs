// The mutation score of a Stryker JSON report (reports/mutation/<selection>.json) with and without
// some of its test files: what the new tests added, from one run.
//
//   node scripts/mutate-before-after.mjs reports/mutation/loss+js-only.json test/onnx-loss-built.test.ts
//
// List the new test files LAST in the run (the scope's test list, or --tests): vitest.mutate.config.ts
// runs the files in that order and Stryker stops a mutant at its first failing test, so a mutant a
// new test killed (killedBy) passed every older test that covers it. Without the new files such a
// mutant survives (or has no coverage, if only new tests reach it). A Timeout counts as killed
// before when an older test covers it. Prints per file: killed/counted before and after.
import { readFileSync } from 'node:fs';

const [report, ...fresh] = process.argv.slice(2);
if (!report) {
  console.error('usage: node scripts/mutate-before-after.mjs <report.json> <new test file>…');
  process.exit(2);
}
const doc = JSON.parse(readFileSync(report, 'utf8'));
const isNew = new Set();
for (const [file, { tests }] of Object.entries(doc.testFiles ?? {})) {
  if (fresh.some((f) => file.endsWith(f.replace(/^\.\//, '')))) for (const t of tests) isNew.add(t.id);
}
const COUNTED = ['Killed', 'Timeout', 'Survived', 'NoCoverage'];
for (const [file, { mutants }] of Object.entries(doc.files)) {
  let counted = 0;
  let after = 0;
  let before = 0;
  const gained = [];
  for (const m of mutants) {
    if (!COUNTED.includes(m.status)) continue;
    counted++;
    const killed = m.status === 'Killed' || m.status === 'Timeout';
    if (!killed) continue;
    after++;
    const old = m.status === 'Killed' ? (m.killedBy ?? []).some((id) => !isNew.has(id)) : (m.coveredBy ?? []).some((id) => !isNew.has(id));
    if (old) before++;
    else gained.push(`${m.location.start.line}:${m.location.start.column} ${m.mutatorName}`);
  }
  const pct = (k) => (counted ? ((100 * k) / counted).toFixed(1) : '-');
  console.log(`${file}: before ${before}/${counted} (${pct(before)}%), after ${after}/${counted} (${pct(after)}%); killed only by ${fresh.join(', ')}: ${gained.length}`);
}
