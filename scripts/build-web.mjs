// Bundles the browser page into dist/web/ (npm run build runs it after tsc).
// The library's node-only modules (files.ts, h5open.ts, require.ts) are swapped for their
// .browser.ts siblings, so the page's import graph holds no fs, path, os or child_process.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/web');
const SWAPPED = /^\.\.?\/.*\/?(files|h5open|require)\.js$/;

const browserSiblings = {
  name: 'browser-siblings',
  setup(b) {
    b.onResolve({ filter: SWAPPED }, (args) => {
      const ts = resolve(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
      return existsSync(ts) ? { path: ts } : undefined;
    });
    // Anything node-only that is still reached is an error, not a silent polyfill.
    b.onResolve({ filter: /^(node:|fs$|path$|os$|child_process$|worker_threads$|module$)/ }, (args) => ({
      errors: [{ text: `${args.path} reached the browser bundle from ${args.importer}` }],
    }));
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { page: join(root, 'web/page.ts'), worker: join(root, 'web/worker.ts') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: process.env.NN2EQ_WEB_DEBUG !== '1',
  sourcemap: false,
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  plugins: [browserSiblings],
  logLevel: 'warning',
});
cpSync(join(root, 'web/index.html'), join(out, 'index.html'));
cpSync(join(root, 'web/page.css'), join(out, 'page.css'));
const katex = join(root, 'node_modules/katex/dist');
mkdirSync(join(out, 'katex/fonts'), { recursive: true });
cpSync(join(katex, 'katex.min.css'), join(out, 'katex/katex.min.css'));
for (const f of readdirSync(join(katex, 'fonts')).filter((f) => f.endsWith('.woff2'))) cpSync(join(katex, 'fonts', f), join(out, 'katex/fonts', f));

const size = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? size(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
const outputs = Object.entries(result.metafile.outputs).map(([f, o]) => [f.replace(/^.*dist\/web\//, ''), o.bytes]);
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
console.log(`dist/web: ${kb(size(out))} in all; ${outputs.filter(([f]) => f.endsWith('.js')).map(([f, b]) => `${f} ${kb(b)}`).join(', ')}`);
