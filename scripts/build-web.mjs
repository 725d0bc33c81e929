// Bundles the browser page into dist/web/ (npm run build runs it after tsc).
// The library's node-only modules (files.ts, h5open.ts, require.ts, verify/runtimes.ts, verify/extra-runtimes.ts) are swapped for
// their .browser.ts siblings, so the page's import graph holds no fs, path, os or child_process.
// The --verify modules (src/verify/, imported by the worker only when verify is asked) read the
// model's files with readFileSync and join bytes with Buffer: there, and only there, node:fs,
// node:path and Buffer are web/node-shim.ts, over the files the page holds in memory.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/web');
const SWAPPED = /^\.\.?\/(.*\/)?(files|h5open|require|runtimes|extra-runtimes)\.js$/;
const SHIM = join(root, 'web/node-shim.ts');
const VERIFY = join(root, 'src/verify') + '/';

const browserSiblings = {
  name: 'browser-siblings',
  setup(b) {
    b.onResolve({ filter: SWAPPED }, (args) => {
      const ts = resolve(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
      return existsSync(ts) ? { path: ts } : undefined;
    });
    b.onResolve({ filter: /^node:(fs|path)$/ }, (args) => (args.importer.startsWith(VERIFY) ? { path: SHIM } : undefined));
    b.onLoad({ filter: /[\\/]src[\\/]verify[\\/][^\\/]+\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      return { contents: /\bBuffer\.(concat|from)\(/.test(text) ? `import { Buffer } from ${JSON.stringify(SHIM)};\n${text}` : text, loader: 'ts' };
    });
    // onnxruntime-web's CPU (WebAssembly) build: the default one carries WebGPU and a wasm twice the size.
    b.onResolve({ filter: /^onnxruntime-web$/ }, (args) => b.resolve('onnxruntime-web/wasm', { kind: args.kind, resolveDir: args.resolveDir }));
    // Anything node-only that nn2eq's own code still reaches is an error, not a silent polyfill.
    // (A package's own node branches are its package.json "browser" map's to disable, as TF.js's are.)
    b.onResolve({ filter: /^(node:|fs$|path$|os$|child_process$|worker_threads$|module$)/ }, (args) =>
      args.importer.includes('/node_modules/') ? undefined : { errors: [{ text: `${args.path} reached the browser bundle from ${args.importer}` }] },
    );
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
// ONNX Runtime's WebAssembly, fetched from the page's own folder when verify runs on an ONNX model.
mkdirSync(join(out, 'ort'));
cpSync(join(root, 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'), join(out, 'ort/ort-wasm-simd-threaded.wasm'));

const size = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? size(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
const outputs = Object.entries(result.metafile.outputs).map(([f, o]) => [f.replace(/^.*dist\/web\//, ''), o.bytes]);
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
console.log(`dist/web: ${kb(size(out))} in all; ${outputs.filter(([f]) => f.endsWith('.js')).map(([f, b]) => `${f} ${kb(b)}`).join(', ')}`);
