/**
 * The few Node built-ins the --verify modules (src/verify/) read, for the page: readFileSync over
 * the files the page mounted (files.browser.ts), path joining with POSIX rules, and Buffer.concat /
 * Buffer.from as plain Uint8Array operations. scripts/build-web.mjs points only src/verify/ at it;
 * a Node built-in reached from anywhere else still fails the build.
 */
import { dirname, readFile, resolve } from '../src/load/files.browser.js';

export function readFileSync(path: string): Uint8Array;
export function readFileSync(path: string, encoding: 'utf8'): string;
export function readFileSync(path: string, encoding?: 'utf8'): Uint8Array | string {
  const bytes = readFile(path);
  return encoding ? new TextDecoder().decode(bytes) : bytes;
}

export { dirname };

export function join(...parts: string[]): string {
  const joined = resolve(...parts);
  return parts[0]?.startsWith('/') ? joined : joined.slice(1);
}

export const Buffer = {
  concat(list: readonly Uint8Array[]): Uint8Array {
    const out = new Uint8Array(list.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of list) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  },
  from(text: string): Uint8Array {
    return new TextEncoder().encode(text);
  },
};
