import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Nn2eqError } from '../errors.js';

/**
 * The page's folder in the built package (npm run build writes it to dist/web/), relative to this
 * module: '../web/' from dist/commands/; the CLI bundle, whose chunks sit elsewhere, has its own
 * relative path written in at build time as NN2EQ_WEB (scripts/build-cli.mjs checks it is there).
 */
declare const NN2EQ_WEB: string | undefined;
export const WEB_ROOT = fileURLToPath(new URL(typeof NN2EQ_WEB === 'string' ? NN2EQ_WEB : '../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** What `serve` listens on and offers. */
export interface Serving {
  readonly server: Server;
  /** The page's address, with ?model= for the model files given. */
  readonly url: string;
  /** URL path → real file, for the model files and the files they name. */
  readonly files: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

/**
 * Serves the page (dist/web) on 127.0.0.1, and read-only the model files given plus the files
 * they name (a model.json's shards); nothing else outside the page's folder.
 */
export async function serve(models: readonly string[], opts: { port?: number; root?: string } = {}): Promise<Serving> {
  const root = realpathSync(opts.root ?? WEB_ROOT);
  if (!existsSync(join(root, 'index.html'))) throw new Nn2eqError(`the page is not built (no ${join(root, 'index.html')})`, 'io', 'run npm run build');
  const files = new Map<string, string>();
  const query: string[] = [];
  models.forEach((m, k) => {
    const real = modelFile(m);
    const base = `/models/${k}/`;
    files.set(base + encodeURIComponent(basename(real)), real);
    query.push(`model=${encodeURIComponent(`models/${k}/${basename(real)}`)}`);
    for (const named of namedFiles(real)) files.set(base + named.split('/').map(encodeURIComponent).join('/'), join(dirname(real), named));
  });
  const server = createServer((req, res) => {
    const send = (code: number, text: string) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : `${text}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'read-only: GET and HEAD only');
    const path = (req.url ?? '/').split(/[?#]/)[0];
    const file = files.get(path) ?? pageFile(root, path);
    if (file === undefined) return send(404, 'not found');
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return send(404, 'not found');
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': bytes.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  });
  const port = opts.port ?? 8765;
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE' ? new Nn2eqError(`port ${port} on 127.0.0.1 is in use`, 'io', 'choose another with --port N (0: any free port)') : new Nn2eqError(`cannot listen on 127.0.0.1:${port} (${e.code ?? e.message})`, 'io')));
    server.listen(port, '127.0.0.1', ok);
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://127.0.0.1:${actual}/${query.length ? `?${query.join('&')}` : ''}`,
    files,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/** A file of the page's folder for a URL path, or undefined when the path leaves it or names no file. */
function pageFile(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\') || path.split('/').some((s) => s === '..')) return undefined;
  const target = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    return undefined;
  }
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) return undefined;
  return statSync(real).isFile() ? real : undefined;
}

function modelFile(m: string): string {
  try {
    const real = realpathSync(m);
    if (statSync(real).isFile()) return real;
  } catch {
    throw new Nn2eqError(`${m}: no such file`, 'io');
  }
  throw new Nn2eqError(`${m}: is a folder, expected a model file`, 'io', 'pass the model file inside it (model.json, .h5 or .keras)');
}

/** The shards a model.json's weightsManifest names, those that stay inside its folder (the loader's rule). */
function namedFiles(real: string): string[] {
  if (extname(real).toLowerCase() !== '.json') return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(real, 'utf8'));
  } catch {
    return [];
  }
  const manifest = (doc as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) return [];
  const dir = dirname(real);
  const out: string[] = [];
  for (const g of manifest) {
    for (const p of (g as { paths?: unknown }).paths instanceof Array ? (g as { paths: unknown[] }).paths : []) {
      if (typeof p !== 'string' || isAbsolute(p) || p.includes('\0')) continue;
      const rel = relative(dir, resolve(dir, p));
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) continue;
      try {
        const realShard = realpathSync(join(dir, rel));
        const r2 = relative(realpathSync(dir), realShard);
        if (r2.startsWith('..') || isAbsolute(r2) || !statSync(realShard).isFile()) continue;
      } catch {
        continue; // a missing shard: the page names it, in the loader's words
      }
      out.push(rel.split(sep).join('/'));
    }
  }
  return out;
}
