#!/usr/bin/env node
// Op census of the ONNX files in the repository (or of the folders given): every op type with
// its node count, how many models use it and the opset versions it appears under, then the
// opsets and IR versions of the models. Reads with nn2eq's own decoder: run `npm run build` first.
//   node scripts/onnx-census.mjs [folder ...] [--json]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadOnnx } from '../dist/load/index.js';

const ROOT = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const json = args.includes('--json');
const roots = args.filter((a) => a !== '--json');
if (roots.length === 0) roots.push(join(ROOT, 'test/models/onnx'), join(ROOT, 'fixtures/onnx'));

function* onnxFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* onnxFiles(p);
    else if (name.endsWith('.onnx') && !name.startsWith('LICENSE')) yield p;
  }
}

/** Every node of a graph and of its subgraphs. */
function* allNodes(graph) {
  for (const n of graph.nodes) {
    yield n;
    for (const a of n.attributes.values()) {
      if (a.type === 'graph') yield* allNodes(a.value);
      if (a.type === 'graphs') for (const g of a.value) yield* allNodes(g);
    }
  }
}

const ops = new Map();
const opsets = new Map();
const irs = new Map();
let models = 0;
const failures = [];
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const file of onnxFiles(root)) {
    let model;
    try {
      model = await loadOnnx(file);
    } catch (e) {
      failures.push(`${relative(ROOT, file)}: ${e.message}`);
      continue;
    }
    models++;
    irs.set(model.irVersion, (irs.get(model.irVersion) ?? 0) + 1);
    for (const [d, v] of model.opsets) opsets.set(`${d} ${v}`, (opsets.get(`${d} ${v}`) ?? 0) + 1);
    const seen = new Set();
    for (const n of allNodes(model.graph)) {
      const key = n.domain === 'ai.onnx' ? n.opType : `${n.domain}.${n.opType}`;
      const e = ops.get(key) ?? { nodes: 0, models: 0, opsets: new Set() };
      e.nodes++;
      e.opsets.add(n.opset);
      if (!seen.has(key)) e.models++;
      seen.add(key);
      ops.set(key, e);
    }
  }
}

const sortedOps = [...ops].sort(([a], [b]) => a.localeCompare(b));
if (json) {
  console.log(JSON.stringify({
    models,
    ops: Object.fromEntries(sortedOps.map(([k, e]) => [k, { nodes: e.nodes, models: e.models, opsets: [...e.opsets].sort((a, b) => a - b) }])),
    opsets: Object.fromEntries(opsets),
    irVersions: Object.fromEntries(irs),
    failures,
  }, null, 1));
} else {
  console.log(`${models} models, ${ops.size} op types${failures.length ? `, ${failures.length} files not decoded` : ''}\n`);
  console.log('| op | nodes | models | opsets |\n|---|---|---|---|');
  for (const [k, e] of sortedOps) console.log(`| ${k} | ${e.nodes} | ${e.models} | ${[...e.opsets].sort((a, b) => a - b).join(', ')} |`);
  const byVersion = (a, b) => a[0].localeCompare(b[0], undefined, { numeric: true });
  console.log(`\nopset imports (models): ${[...opsets].sort(byVersion).map(([k, n]) => `${k} (${n})`).join(', ')}`);
  console.log(`IR versions (models): ${[...irs].sort((a, b) => a[0] - b[0]).map(([k, n]) => `${k} (${n})`).join(', ')}`);
  for (const f of failures) console.log(`not decoded: ${f}`);
}
