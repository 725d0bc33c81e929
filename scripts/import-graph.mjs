#!/usr/bin/env node
// The import graph of src/: which room imports which, checked against the floors of the pipeline
// (README, "How it works"). Prints every upward import, every import circle and every import from
// one language folder of emit/ into another; exit 1 if any.
//   node scripts/import-graph.mjs [SRC_DIR] [--json]   (SRC_DIR defaults to the repository's src/)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The rooms from the bottom up: a file may import its own room and the rooms below it, never one above. */
export const FLOORS = ['errors', 'load', 'ir', 'tensor', 'extract', 'transform', 'schedule', 'emit', 'verify', 'commands', 'cli', 'index'];

/** A file's room: its first folder, or for a top-level file its own name (convert.ts is the convert command). */
export function roomOf(file) {
  const first = file.split('/')[0].replace(/\.ts$/, '');
  return first === 'convert' ? 'commands' : first;
}

/** Every relative import of every .ts file under `src` (static, `export … from`, and `import()`). */
export function importGraph(src) {
  const files = [];
  const stack = [src];
  while (stack.length) {
    const d = stack.pop();
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) stack.push(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  }
  files.sort();
  const edges = new Map();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const out = [];
    const add = (spec, dynamic) => out.push({ to: relative(src, resolve(dirname(f), spec)).replace(/\.js$/, '.ts'), dynamic });
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm)) add(m[1], false);
    for (const m of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) add(m[1], true);
    edges.set(relative(src, f), out);
  }
  return edges;
}

/** Imports that climb: from a room to a room above it. */
export function upwardImports(edges) {
  const bad = [];
  for (const [from, outs] of edges) {
    for (const { to } of outs) {
      const a = FLOORS.indexOf(roomOf(from));
      const b = FLOORS.indexOf(roomOf(to));
      if (a < 0 || b < 0) bad.push(`${from} -> ${to}: a room not in the floor plan`);
      else if (b > a) bad.push(`${from} (${roomOf(from)}) -> ${to} (${roomOf(to)})`);
    }
  }
  return bad;
}

/** Language folders of emit/ whose printers build on another's: SymPy's tensor form is a dialect of NumPy's. */
export const DIALECTS = { sympy: ['numpy'] };

/**
 * Imports that cross between emit's language folders (emit/<language>/), or reach one from emit's
 * shared files: a language reads its own folder and the shared helpers, and only the registry
 * (emit/index.ts) knows every language.
 */
export function languageCrossings(edges) {
  const bad = [];
  const language = (f) => {
    const p = f.split('/');
    return p[0] === 'emit' && p.length > 2 ? p[1] : undefined;
  };
  for (const [from, outs] of edges) {
    if (!from.startsWith('emit/') || from === 'emit/index.ts') continue;
    for (const { to } of outs) {
      if (to === 'emit/index.ts') bad.push(`${from} -> ${to}: only rooms above emit read the registry`);
      const a = language(from);
      const b = language(to);
      if (b === undefined || a === b || (DIALECTS[a] ?? []).includes(b)) continue;
      bad.push(a === undefined ? `${from} -> ${to}: a shared file of emit/ reads a language` : `${from} -> ${to}: one language reads another`);
    }
  }
  return bad;
}

/** The import circles (strongly connected components of more than one file, static imports, types included). */
export function circles(edges) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const found = [];
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    // Tarjan's algorithm with an explicit stack of (node, next edge) frames.
    const frames = [[root, 0]];
    index.set(root, next); low.set(root, next); next++; stack.push(root); onStack.add(root);
    while (frames.length) {
      const frame = frames[frames.length - 1];
      const [v, i] = frame;
      const outs = (edges.get(v) ?? []).filter((e) => !e.dynamic && edges.has(e.to));
      if (i < outs.length) {
        frame[1]++;
        const w = outs[i].to;
        if (!index.has(w)) {
          index.set(w, next); low.set(w, next); next++; stack.push(w); onStack.add(w);
          frames.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
        continue;
      }
      frames.pop();
      if (frames.length) { const u = frames[frames.length - 1][0]; low.set(u, Math.min(low.get(u), low.get(v))); }
      if (low.get(v) === index.get(v)) {
        const c = [];
        let w;
        do { w = stack.pop(); onStack.delete(w); c.push(w); } while (w !== v);
        if (c.length > 1) found.push(c.sort());
      }
    }
  }
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const src = dir ? resolve(dir) : resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const edges = importGraph(src);
  const up = upwardImports(edges);
  const cs = circles(edges);
  const crossings = languageCrossings(edges);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ files: [...edges.keys()], upward: up, circles: cs, crossings }, null, 2));
  else {
    console.log(`${edges.size} files, ${[...edges.values()].reduce((n, o) => n + o.length, 0)} relative imports`);
    for (const u of up) console.log(`upward: ${u}`);
    for (const c of cs) console.log(`circle of ${c.length}: ${c.join(' ')}`);
    for (const x of crossings) console.log(`crossing: ${x}`);
    if (!up.length && !cs.length && !crossings.length) console.log('no upward import, no circle, no language reading another');
  }
  process.exitCode = up.length || cs.length || crossings.length ? 1 : 0;
}
