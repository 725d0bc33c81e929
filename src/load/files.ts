import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The loaders' one door to files, by path ('-' is standard input). The page's bundle swaps this
 * module for files.browser.ts, which serves the dropped files from memory (see scripts/build-web.mjs).
 */
export function readFile(path: string): Uint8Array {
  return readFileSync(path === '-' ? 0 : path);
}

/** The canonical path of an existing file; throws (code ENOENT) when there is none. */
export function realPath(path: string): string {
  return realpathSync(path);
}

/** Size in bytes and whether `path` is a regular file. */
export function statFile(path: string): { size: number; isFile: boolean } {
  const s = statSync(path);
  return { size: s.size, isFile: s.isFile() };
}

/** The folder relative paths resolve against (standard input's models resolve here). */
export function currentDir(): string {
  return process.cwd();
}

export { dirname, isAbsolute, relative, resolve, sep };
