import nodeFs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nn2eqError } from '../errors.js';

/** An open HDF5 file: its root group (h5wasm's object), the gist of the library's complaints, and how to close it. */
export interface OpenHdf5 {
  readonly root: unknown;
  why(e?: unknown): string;
  close(): void;
}

/**
 * Opens HDF5 bytes with h5wasm's node build (the page's bundle swaps this module for
 * h5open.browser.ts). h5wasm is imported here only, and only when an HDF5 file is met.
 */
export async function openHdf5(bytes: Uint8Array, file: string): Promise<OpenHdf5> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  // The node build of h5wasm opens host paths, so the bytes go to a private temporary file.
  const dir = mkdtempSync(join(tmpdir(), 'nn2eq-'));
  const path = join(dir, 'model.h5');
  let f: InstanceType<typeof h5wasm.File> | undefined;
  // The HDF5 C library prints its error stack on stderr; keep it, and say its gist in one line.
  const diag: string[] = [];
  // With NODERAWFS, C's stderr is fs.writeSync(2, …) on node's own fs module object.
  const fsMod = nodeFs as unknown as { writeSync: (fd: number, ...rest: unknown[]) => number };
  const writeSync = fsMod.writeSync;
  fsMod.writeSync = (fd: number, ...rest: unknown[]) => {
    if (fd !== 2) return writeSync(fd, ...rest);
    const [buf, off = 0, len] = rest as [Uint8Array | string, number?, number?];
    const text = typeof buf === 'string' ? buf : Buffer.from(buf.buffer, buf.byteOffset + off, len ?? buf.byteLength - off).toString('utf8');
    diag.push(text);
    return typeof buf === 'string' ? Buffer.byteLength(buf) : (len ?? buf.byteLength - off);
  };
  const why = (e?: unknown) => {
    const lines = diag.join('').split('\n').map((l) => l.trim());
    const deepest = lines.filter((l) => /^#\d+:/.test(l)).pop()?.replace(/^#\d+:.* in \w+\(\): /, '');
    return deepest ?? (e === undefined ? 'unknown reason' : oneLine(e));
  };
  const close = () => {
    try {
      f?.close();
    } finally {
      fsMod.writeSync = writeSync;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    writeFileSync(path, bytes);
    await probeStructure(path, file);
    try {
      f = new h5wasm.File(path, 'r');
    } catch (e) {
      f = undefined;
      throw new Nn2eqError(`${file}: not a readable HDF5 file (${why(e)})`, 'input', 'the file may be truncated or damaged; save the model again');
    }
    if (!(Number(f.file_id) >= 0)) {
      f = undefined;
      throw new Nn2eqError(`${file}: not a readable HDF5 file (${why()})`, 'input', 'the file may be truncated or damaged; save the model again');
    }
    return { root: f, why, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** How long the HDF5 library may take to walk a file's groups before the file is called damaged. */
export const HDF5_WALK_MS = 4_000;

// Walks groups and attributes in a worker thread. Some damaged files send the HDF5 C library into
// an endless loop (found by npm run fuzz); code in this thread could not be stopped, a worker can.
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
// The HDF5 library's error stack (C stderr, fs.writeSync on fd 2) is the main thread's to report.
const fs = require('node:fs');
const writeSync = fs.writeSync;
fs.writeSync = (fd, buf, off = 0, len) => fd !== 2 ? writeSync(fd, buf, off, len) : typeof buf === 'string' ? Buffer.byteLength(buf) : (len ?? buf.byteLength - off);
(async () => {
  const h5wasm = (await import(workerData.url)).default;
  await h5wasm.ready;
  const f = new h5wasm.File(workerData.path, 'r');
  const stack = [f];
  for (let n = 0; stack.length > 0 && n < 200000; n++) {
    const g = stack.pop();
    for (const a of Object.keys(g.attrs)) { try { void g.attrs[a].value; } catch {} }
    for (const k of g.keys()) {
      const c = g.get(k);
      if (c && typeof c.keys === 'function') stack.push(c);
      else if (c) void c.shape;
    }
  }
  f.close();
})().then(() => parentPort.postMessage('done'), () => parentPort.postMessage('done'));
`;

async function probeStructure(path: string, file: string): Promise<void> {
  // Only where this module runs as plain ESM (the CLI, the library); elsewhere the read goes unguarded.
  const resolveUrl = (import.meta as { resolve?: (s: string) => string }).resolve;
  if (typeof resolveUrl !== 'function') return;
  let url: string;
  try {
    url = resolveUrl('h5wasm/node');
  } catch {
    return;
  }
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(PROBE, { eval: true, workerData: { url, path }, stderr: true, stdout: true });
  const finished = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), HDF5_WALK_MS);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    worker.once('message', done);
    worker.once('error', done);
    worker.once('exit', done);
  });
  await worker.terminate();
  if (!finished) {
    throw new Nn2eqError(`${file}: the HDF5 library did not finish reading the file's groups in ${HDF5_WALK_MS / 1000} s; the file is damaged`, 'input', 'save the model again');
  }
}


function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200);
}
