import { Nn2eqError } from '../errors.js';
import { openHdf5 } from './h5open.js';
import type { Weight } from './spec.js';

/**
 * A read-only view of an HDF5 file, read completely on open so nothing stays attached to the
 * wasm heap: groups with their attributes and datasets decoded to float32. h5wasm is imported
 * here only, and only when an HDF5 file is met.
 */
export interface H5Group {
  readonly attrs: ReadonlyMap<string, H5Attr>;
  readonly children: ReadonlyMap<string, H5Group | H5Dataset>;
}
export interface H5Dataset {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}
export type H5Attr = string | readonly string[] | number | readonly number[];

export function isGroup(n: H5Group | H5Dataset | undefined): n is H5Group {
  return n !== undefined && 'children' in n;
}

/** Bounds of the group walk: Keras files nest a few levels and hold a group per layer. */
const MAX_DEPTH = 64;
const MAX_GROUPS = 200_000;

/** Largest dataset accepted (elements); larger ones are refused before they are read. */
const MAX_ELEMENTS = 1 << 28;

/** Reads HDF5 bytes. `file` names the file in messages. */
export async function readHdf5(bytes: Uint8Array, file: string): Promise<H5Group> {
  const h = await openHdf5(bytes, file);
  try {
    return readGroup(h.root, file, '');
  } catch (e) {
    if (e instanceof Nn2eqError) throw e;
    throw new Nn2eqError(`${file}: the HDF5 file cannot be read (${h.why(e)})`, 'input', 'the file may be truncated or damaged; save the model again');
  } finally {
    h.close();
  }
}

// h5wasm's own types are loose; these are the few members used.
interface RawAttr { value: unknown }
interface RawNode {
  attrs: Record<string, RawAttr>;
  keys?: () => string[];
  get?: (k: string) => RawNode | null;
  shape?: number[] | null;
  value?: unknown;
  type?: string;
}

function readGroup(root: unknown, file: string, path: string): H5Group {
  // Iterative: a file's nesting depth is not ours to trust.
  const top: H5Group = { attrs: new Map(), children: new Map() };
  const stack: { raw: RawNode; out: H5Group; path: string; depth: number }[] = [{ raw: root as RawNode, out: top, path, depth: 0 }];
  let visited = 0;
  while (stack.length > 0) {
    const { raw, out, path: p, depth } = stack.pop()!;
    // A damaged file can link a group into itself: bound the walk instead of following it forever.
    if (depth > MAX_DEPTH || ++visited > MAX_GROUPS) {
      throw new Nn2eqError(`${file}: the HDF5 groups nest deeper than ${MAX_DEPTH} or number more than ${MAX_GROUPS} (at ${p || '/'}); a damaged file can link a group into itself`, 'input', 'the file may be damaged; save the model again');
    }
    readAttrs(raw, out.attrs as Map<string, H5Attr>);
    for (const k of raw.keys!()) {
      const child = raw.get!(k);
      if (child === null) continue; // a dangling link
      const childPath = `${p}/${k}`;
      if (typeof child.keys === 'function') {
        const g: H5Group = { attrs: new Map(), children: new Map() };
        (out.children as Map<string, H5Group | H5Dataset>).set(k, g);
        stack.push({ raw: child, out: g, path: childPath, depth: depth + 1 });
      } else if (child.shape !== undefined) {
        (out.children as Map<string, H5Group | H5Dataset>).set(k, readDataset(child, file, childPath));
      }
    }
  }
  return top;
}

function readAttrs(raw: RawNode, into: Map<string, H5Attr>): void {
  for (const name of Object.keys(raw.attrs)) {
    let v: unknown;
    try {
      v = raw.attrs[name].value;
    } catch {
      continue; // an attribute type h5wasm cannot decode is not one nn2eq reads
    }
    if (typeof v === 'string' || typeof v === 'number') into.set(name, v);
    else if (typeof v === 'bigint') into.set(name, Number(v));
    else if (Array.isArray(v)) into.set(name, v.map((x) => (typeof x === 'string' ? x : String(x))));
    else if (ArrayBuffer.isView(v)) into.set(name, Array.from(v as unknown as ArrayLike<number | bigint>, Number));
    else if (v instanceof Uint8Array) into.set(name, new TextDecoder().decode(v));
  }
}

function readDataset(d: RawNode, file: string, path: string): H5Dataset {
  const shape = d.shape ?? [];
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_ELEMENTS) throw new Nn2eqError(`${file}: dataset ${path} has ${count} elements, more than nn2eq reads (${MAX_ELEMENTS})`, 'too-large');
  const v = d.value;
  let values: Float32Array;
  if (v instanceof Float32Array) values = v;
  else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') values = Float32Array.of(Number(v));
  else if (ArrayBuffer.isView(v)) values = Float32Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  else if (Array.isArray(v)) {
    const flat = v.flat(Infinity) as unknown[];
    const odd = flat.find((x) => typeof x !== 'number' && typeof x !== 'bigint' && typeof x !== 'boolean');
    if (odd !== undefined) throw new Nn2eqError(`${file}: dataset ${path} is not numeric (it holds ${typeof odd === 'string' ? 'strings' : typeof odd})`, 'input', 'the weights file is damaged or not written by Keras');
    values = Float32Array.from(flat, (x) => Number(x));
  }
  else throw new Nn2eqError(`${file}: dataset ${path} is not numeric`, 'input');
  if (values.length !== count) throw new Nn2eqError(`${file}: dataset ${path} holds ${values.length} values for shape [${shape.join(', ')}]`, 'input');
  return { shape, values };
}

/** Attribute `name` as a list of strings ([] when absent or empty). */
export function stringList(g: H5Group, name: string): string[] {
  const v = g.attrs.get(name);
  if (v === undefined || typeof v === 'number') return [];
  // h5py writes an empty list as an empty array; other writers leave one empty string.
  if (typeof v === 'string') return v === '' ? [] : [v];
  return v.map(String).filter((s) => s !== '');
}

/** Attribute `name` as a string, or undefined. */
export function stringAttr(g: H5Group, name: string): string | undefined {
  const v = g.attrs.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** The node at a '/'-separated path below `g`. */
export function at(g: H5Group, path: string): H5Group | H5Dataset | undefined {
  let cur: H5Group | H5Dataset | undefined = g;
  for (const part of path.split('/').filter((s) => s !== '')) {
    if (!isGroup(cur)) return undefined;
    cur = cur.children.get(part);
  }
  return cur;
}

/** A dataset as a named weight. */
export function toWeight(name: string, d: H5Dataset): Weight {
  return { name, shape: d.shape, values: d.values };
}
