import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateJsonIr, programFromJson } from '../src/verify/extra-runtimes.js';
import { convertFile, evaluate } from '../src/index.js';
import { scalarize } from '../src/tensor/scalarize.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference, ROOT } from './helpers.js';

type Schema = { [k: string]: any };

/**
 * A validator for the part of JSON Schema 2020-12 that schema/nn2eq-ir.schema.json uses: type,
 * const, enum, properties, required, additionalProperties: false, items, minItems, maxItems,
 * minimum, oneOf, $ref into $defs. An unknown keyword fails, so the schema cannot outgrow it.
 */
function validate(root: Schema, value: unknown, schema: Schema = root, path = '$'): string[] {
  const known = new Set(['$schema', '$id', 'title', 'description', '$defs', 'type', 'const', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'minimum', 'oneOf', '$ref']);
  for (const k of Object.keys(schema)) if (!known.has(k)) return [`${path}: schema keyword '${k}' is not supported by this validator`];
  if (schema.$ref) return validate(root, value, schema.$ref.split('/').slice(1).reduce((s: Schema, k: string) => s[k], root), path);
  const errors: string[] = [];
  const types: Record<string, (v: unknown) => boolean> = {
    object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    array: Array.isArray,
    string: (v) => typeof v === 'string',
    number: (v) => typeof v === 'number' && Number.isFinite(v),
    integer: (v) => Number.isInteger(v),
  };
  if (schema.type && !types[schema.type](value)) return [`${path}: expected ${schema.type}`];
  if ('const' in schema && value !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: expected one of ${schema.enum.join(', ')}`);
  if (schema.minimum !== undefined && (value as number) < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
  if (schema.oneOf) {
    const passing = schema.oneOf.filter((s: Schema) => validate(root, value, s, path).length === 0).length;
    if (passing !== 1) errors.push(`${path}: matches ${passing} of the oneOf alternatives, expected exactly 1`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(root, v, schema.items, `${path}[${i}]`)));
  } else if (types.object(value)) {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) errors.push(`${path}: missing '${r}'`);
    for (const [k, v] of Object.entries(o)) {
      if (schema.properties?.[k]) errors.push(...validate(root, v, schema.properties[k], `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected '${k}'`);
    }
  }
  return errors;
}

const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'nn2eq-ir.schema.json'), 'utf8')) as Schema;

describe('--format json', () => {
  it('the validator rejects what the schema forbids', () => {
    const ok = { format: 'nn2eq-ir', version: 1, form: 'scalar', inputs: [], outputs: [], tables: [], nodes: [{ op: 'input', index: 0 }, { op: 'const', value: 'NaN' }], bindings: [], results: [0] };
    expect(validate(schema, ok)).toEqual([]);
    expect(validate(schema, { ...ok, version: 2 })).not.toEqual([]);
    expect(validate(schema, { ...ok, nodes: [{ op: 'mul', args: [0] }] })).not.toEqual([]);
    expect(validate(schema, { ...ok, nodes: [{ op: 'const', value: 'nan' }] })).not.toEqual([]);
    expect(validate(schema, { ...ok, extra: 1 })).not.toEqual([]);
  });

  // Comparisons (gt, ge, eq) and select; their values are checked in onnx-where.test.ts.
  for (const name of ['compare_opset13', 'where_computed_opset13']) {
    it(`onnx-where/${name}: comparisons and select are valid against the schema`, async () => {
      const { text } = await convertFile(join(FIXTURES, 'onnx-where', name, 'model.onnx'), { format: 'json' });
      const doc = JSON.parse(text);
      expect(validate(schema, doc)).toEqual([]);
      const ops = new Set((doc.nodes as { op: string }[]).map((n) => n.op));
      expect(['gt', 'ge', 'eq'].every((op) => ops.has(op)) || ops.has('select')).toBe(true);
    });
  }

  for (const name of fixtureNames()) {
    it(`${name}: valid against the schema; evaluated from the JSON alone it matches TF.js`, async () => {
      const dir = join(FIXTURES, name);
      const { text } = await convertFile(join(dir, 'model.json'), { format: 'json', ...FIXTURE_OPTIONS[name] });
      const doc = JSON.parse(text);
      expect(validate(schema, doc)).toEqual([]);
      doc.nodes.forEach((n: { args?: number[] }, i: number) => n.args?.forEach((a) => expect(a).toBeLessThan(i)));
      const ref = readReference(dir);
      const got = evaluateJsonIr(doc, ref.cases.map((c) => flat(c.inputs)));
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs)), `case ${i}`).toBeNull());
    });
  }

  // --weights symbolic: param nodes and the params table; evaluated at the trained values, the document is the model.
  for (const name of ['mathematica_3_2_2_2', 'conv2d_same_strided', 'rnn_lstm_sequences', 'layer_layernorm']) {
    it(`${name} --weights symbolic: valid, holds param nodes, and at PARAMS matches TF.js`, async () => {
      const dir = join(FIXTURES, name);
      const { text } = await convertFile(join(dir, 'model.json'), { format: 'json', symbolicWeights: true, ...FIXTURE_OPTIONS[name] });
      const doc = JSON.parse(text);
      expect(validate(schema, doc)).toEqual([]);
      expect(doc.params.length).toBeGreaterThan(0);
      expect(doc.nodes.some((n: { op: string }) => n.op === 'param')).toBe(true);
      const ref = readReference(dir);
      const got = evaluateJsonIr(doc, ref.cases.map((c) => flat(c.inputs)));
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs)), `case ${i}`).toBeNull());
    });
  }

  // The tensor form: valid, and read back into a tensor program it computes the model (lowered
  // and evaluated by nn2eq's IR, against TF.js's predictions), so the JSON holds the whole model.
  for (const name of fixtureNames()) {
    it(`${name} (tensor form): valid, and read back it computes the model`, async () => {
      const dir = join(FIXTURES, name);
      let text: string;
      try {
        ({ text } = await convertFile(join(dir, 'model.json'), { format: 'json', form: 'tensor', ...FIXTURE_OPTIONS[name] }));
      } catch (e) {
        // Only what every tensor emitter refuses (input-dependent control flow) may be refused here.
        await expect(convertFile(join(dir, 'model.json'), { format: 'numpy', form: 'tensor', ...FIXTURE_OPTIONS[name] })).rejects.toThrow();
        return;
      }
      const doc = JSON.parse(text);
      expect(validate(schema, doc)).toEqual([]);
      const program = programFromJson(doc, name);
      // A time axis of any length has no scalar lowering; those fixtures are checked at a fixed length (FIXTURE_OPTIONS).
      expect(program.inputs.some((p) => p.tensor.shape.includes(-1))).toBe(false);
      const ex = scalarize(program, { stableSoftmax: true });
      const ref = readReference(dir);
      const got = ref.cases.map((c) => {
        const v = evaluate(ex.graph, flat(c.inputs));
        return ex.outputIds.map((o) => v[o]);
      });
      got.forEach((g, i) => expect(mismatch(g, flat(ref.cases[i].outputs)), `case ${i}`).toBeNull());
    });
  }

  it('is byte-identical across runs', async () => {
    const file = join(FIXTURES, 'rnn_lstm_sequences', 'model.json');
    expect((await convertFile(file, { format: 'json' })).text).toBe((await convertFile(file, { format: 'json' })).text);
  });
});

