// Bundles the command line into dist/cli-bundle/ (npm run build runs it after tsc and build-web),
// the code bin/nn2eq.js runs: src/cli.ts and everything it reaches, split into ES-module chunks,
// so a start loads a few chunks instead of about 80 modules (issue 26: cold start ≤ 2× `node -e 0`).
// - Code reached only by `import()` (the tensor emitters, verify, serve, info, diff, ONNX, …) stays
//   in chunks loaded by that import, on the path that asks for it.
// - Packages stay packages, imported from node_modules where the code imports them (mathjs, katex,
//   h5wasm, mathjax, fflate, chalk, onnxruntime-web, TF.js), all by `import()` or createRequire at
//   the point of use. Only commander is bundled: it is on every start's path, seven CommonJS files.
// - Every chunk sits directly in dist/cli-bundle/: the package's paths are written in relative to
//   that folder (NN2EQ_WEB for serve's dist/web/) or as values (NN2EQ_VERSION), never read from a
//   path relative to the source file, which is somewhere else in the bundle.
// The library (dist/index.js, tsc's output) is not bundled. dist/cli.js stays, for the tests and
// scripts that call main() in their own process.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/cli-bundle');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const BUNDLED = new Set(['commander']);
const WEB = '../web/';

// Any other package (a bare specifier that is not node's own) is left to node to import at run time.
const packagesStayExternal = {
  name: 'packages-stay-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return BUNDLED.has(name) || args.path.startsWith('node:') ? undefined : { path: args.path, external: true };
    });
  },
};

rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { cli: join(root, 'src/cli.ts') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Not minified: an internal error (exit 70) prints a stack trace someone has to read.
  minify: false,
  sourcemap: false,
  chunkNames: '[name]-[hash]',
  // commander is CommonJS: its require('node:events') needs a require in an ES module.
  banner: { js: "import { createRequire as __nn2eqCreateRequire } from 'node:module';\nconst require = __nn2eqCreateRequire(import.meta.url);" },
  define: { NN2EQ_VERSION: JSON.stringify(version), NN2EQ_WEB: JSON.stringify(WEB) },
  metafile: true,
  plugins: [packagesStayExternal],
  logLevel: 'warning',
});

const outputs = result.metafile.outputs;
const rel = (f) => relative(out, resolve(root, f));
const fail = (why) => {
  console.error(`build-cli: ${why}`);
  process.exit(1);
};
for (const f of Object.keys(outputs)) if (rel(f).includes('/')) fail(`${rel(f)} is not directly in dist/cli-bundle/, where NN2EQ_WEB is relative to`);
if (!existsSync(join(out, WEB, 'index.html'))) fail(`no ${join(out, WEB, 'index.html')}: build the page first (scripts/build-web.mjs)`);

// What every start loads: the entry and the chunks it imports statically. Nothing but node's own
// modules may be imported from there; a package imported statically would load on every start.
const entry = Object.keys(outputs).find((f) => rel(f) === 'cli.js');
const start = new Set([entry]);
for (const f of start) {
  for (const i of outputs[f].imports) {
    if (i.kind !== 'import-statement') continue;
    if (outputs[i.path]) start.add(i.path);
    else if (!i.path.startsWith('node:')) fail(`${i.path} is imported statically by ${rel(f)}, so on every start: import it where it is used, with import()`);
  }
}
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
const total = Object.values(outputs).reduce((n, o) => n + o.bytes, 0);
const startBytes = [...start].reduce((n, f) => n + outputs[f].bytes, 0);
console.log(`dist/cli-bundle: ${kb(total)} in ${Object.keys(outputs).length} files; a start loads ${kb(startBytes)} in ${start.size}`);
