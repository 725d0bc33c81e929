import { Nn2eqError } from '../errors.js';
import type { OpenHdf5 } from './h5open.js';

let serial = 0;

/**
 * The page's stand-in for h5open.ts: h5wasm's browser build, the bytes written to its in-memory
 * file system. (A file that sends the HDF5 library into a loop stalls only the page's worker,
 * which the page stops.)
 */
export async function openHdf5(bytes: Uint8Array, file: string): Promise<OpenHdf5> {
  const h5wasm = await import('h5wasm');
  const module = await h5wasm.ready;
  const path = `/nn2eq-${++serial}.h5`;
  // The HDF5 C library prints its error stack through console.error; keep it for the one-line message.
  const diag: string[] = [];
  const { error, warn } = console;
  console.error = console.warn = (...args: unknown[]) => void diag.push(args.map(String).join(' '));
  const why = (e?: unknown) => {
    const lines = diag.join('\n').split('\n').map((l) => l.trim());
    const deepest = lines.filter((l) => /^#\d+:/.test(l)).pop()?.replace(/^#\d+:.* in \w+\(\): /, '');
    return deepest ?? (e === undefined ? 'unknown reason' : String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200));
  };
  let f: InstanceType<typeof h5wasm.File> | undefined;
  const close = () => {
    try {
      f?.close();
    } finally {
      console.error = error;
      console.warn = warn;
      try {
        module.FS.unlink(path);
      } catch {
        /* never written */
      }
    }
  };
  try {
    module.FS.writeFile(path, bytes);
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
