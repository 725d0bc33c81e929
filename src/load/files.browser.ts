/**
 * The page's stand-in for files.ts: the dropped (or fetched) files, held in memory under '/',
 * with POSIX path rules. Nothing here touches a host file system.
 */
const mounted = new Map<string, Uint8Array>();

/** Replaces the files the loaders see: name (a path relative to '/') → bytes. */
export function mountFiles(files: Iterable<readonly [string, Uint8Array]>): void {
  mounted.clear();
  for (const [name, bytes] of files) mounted.set(resolve('/', name), bytes);
}

function missing(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file, '${path}'`), { code: 'ENOENT' });
}

export function readFile(path: string): Uint8Array {
  const bytes = path === '-' ? undefined : mounted.get(resolve(path));
  if (bytes === undefined) throw missing(path);
  return bytes;
}

export function realPath(path: string): string {
  const p = resolve(path);
  if (p === '/' || [...mounted.keys()].some((k) => k.startsWith(`${p}/`))) return p;
  if (!mounted.has(p)) throw missing(path);
  return p;
}

export function statFile(path: string): { size: number; isFile: boolean } {
  const p = realPath(path);
  const bytes = mounted.get(p);
  return { size: bytes?.length ?? 0, isFile: bytes !== undefined };
}

export function currentDir(): string {
  return '/';
}

export const sep = '/';

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

export function resolve(...parts: string[]): string {
  let path = '';
  for (const p of parts) path = isAbsolute(p) ? p : `${path}/${p}`;
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

export function dirname(p: string): string {
  const r = resolve(p);
  const i = r.lastIndexOf('/');
  return i <= 0 ? '/' : r.slice(0, i);
}

export function relative(from: string, to: string): string {
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}
