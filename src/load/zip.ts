import { Nn2eqError } from '../errors.js';

/** Total uncompressed bytes a .keras archive may declare; past it the archive is refused unread. */
export const MAX_ZIP_BYTES = 2 ** 31 - 1;

/**
 * Reads a zip archive's entries. Before anything is inflated, every entry name is checked to stay
 * inside the archive root and the declared uncompressed sizes are summed against `limit`; fflate
 * then inflates each entry into a buffer of its declared size, so a lying header cannot grow it.
 */
export async function readZip(bytes: Uint8Array, file: string, limit = MAX_ZIP_BYTES): Promise<Map<string, Uint8Array>> {
  const { unzipSync } = await import('fflate');
  let total = 0;
  const bad: string[] = [];
  let out: Record<string, Uint8Array>;
  try {
    out = unzipSync(bytes, {
      filter(entry) {
        const name = entry.name;
        if (name.startsWith('/') || name.includes('\\') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..')) bad.push(name);
        total += entry.originalSize;
        return bad.length === 0 && total <= limit && !name.endsWith('/');
      },
    });
  } catch (e) {
    throw new Nn2eqError(`${file}: not a readable zip archive (${String((e as Error).message ?? e).split('\n')[0]})`, 'input', 'the .keras file may be truncated or damaged; save the model again');
  }
  if (bad.length > 0) throw new Nn2eqError(`${file}: the archive has entries outside its root (${bad.slice(0, 3).join(', ')})`, 'input', 'nn2eq refuses such archives; save the model again with Keras');
  if (total > limit) {
    throw new Nn2eqError(`${file}: the archive declares ${total} uncompressed bytes, more than the limit of ${limit}`, 'too-large', 'this is not a Keras model archive, or one far larger than nn2eq can print');
  }
  return new Map(Object.entries(out));
}
