import { Nn2eqError } from '../errors.js';

/** Helpers that check the JSON shape of a model file at the loader boundary, with a path in every message. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Parses `text` as JSON or throws a one-line error naming `file`. */
export function parseJson(text: string, file: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new Nn2eqError(`${file}: not valid JSON (${why})`, 'input', 'pass a model.json written by TensorFlow.js or Keras');
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short phrase for a JSON value found where something else was expected. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

export function wrongShape(file: string, where: string, expected: string, found: unknown): Nn2eqError {
  return new Nn2eqError(`${file}: ${where} should be ${expected}, found ${describe(found)}`);
}

export function objectAt(v: unknown, file: string, where: string): JsonObject {
  if (!isObject(v)) throw wrongShape(file, where, 'an object', v);
  return v;
}

export function arrayAt(v: unknown, file: string, where: string): Json[] {
  if (!Array.isArray(v)) throw wrongShape(file, where, 'a list', v);
  return v;
}

export function stringAt(v: unknown, file: string, where: string): string {
  if (typeof v !== 'string') throw wrongShape(file, where, 'a string', v);
  return v;
}

/** A shape list: non-negative integers, or null for a free dimension. */
export function shapeAt(v: unknown, file: string, where: string): (number | null)[] {
  const a = arrayAt(v, file, where);
  return a.map((d) => {
    if (d === null) return null;
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw wrongShape(file, where, 'a list of non-negative integers', v);
    return d;
  });
}
