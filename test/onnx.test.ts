import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { Nn2eqError } from '../src/errors.js';
import { loadOnnx, looksLikeOnnx } from '../src/load/index.js';
import { attrFloat, decodeOnnx, floatValues, intValues, type OnnxGraph, type OnnxModel } from '../src/load/onnx/index.js';
import { Reader } from '../src/load/onnx/protobuf.js';
import { FIXTURES, inCI, ROOT, tmpDir } from './helpers.js';

const SHARED_ONNX = join(ROOT, 'test', 'models', 'onnx');
const ONNX_FIXTURES = join(FIXTURES, 'onnx');

interface OnnxReference {
  input_names: string[];
  output_names: string[];
  input_shapes: number[][];
  input_dtypes: string[];
}

/** Every model folder with a reference: the 198 shared backend-test models and the PyTorch fixtures (not the hand-made CLI models). */
const folders = [SHARED_ONNX, ONNX_FIXTURES].flatMap((root) =>
  readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'model.onnx')) && existsSync(join(root, d, 'reference.json')))
    .sort()
    .map((d) => join(root, d)),
);

const reference = (dir: string) => JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as OnnxReference;
const name = (dir: string) => dir.slice(ROOT.length + 1);

/** What a decode of damaged bytes did: decoded, or threw a one-line Nn2eqError (anything else fails). */
function decodeDamaged(bytes: Uint8Array, dir: string): 'ok' | 'error' {
  try {
    decodeOnnx(bytes, 'damaged.onnx', dir);
    return 'ok';
  } catch (e) {
    if (!(e instanceof Nn2eqError)) throw new Error(`not an Nn2eqError: ${(e as Error).stack}`);
    expect(e.message).not.toContain('\n');
    expect(e.message.startsWith('damaged.onnx: ')).toBe(true);
    return 'error';
  }
}

/** Byte offsets where the top-level fields of a ModelProto end, with the field number before. */
function topLevelEnds(bytes: Uint8Array): { end: number; field: number }[] {
  const r = new Reader(bytes, '', '');
  const out: { end: number; field: number }[] = [];
  while (!r.done()) {
    const [field, wire] = r.tag();
    r.skip(wire);
    out.push({ end: r.pos, field });
  }
  return out;
}

/** A tiny protobuf writer for hand-made models: each helper returns one encoded field. */
const pb = {
  varint(n: number): number[] {
    const out: number[] = [];
    for (; n > 127; n = Math.floor(n / 128)) out.push((n & 127) | 128);
    out.push(n);
    return out;
  },
  int(field: number, n: number): Buffer {
    return Buffer.from([...pb.varint(field << 3), ...pb.varint(n)]);
  },
  float(field: number, f: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeFloatLE(f);
    return Buffer.concat([Buffer.from(pb.varint((field << 3) | 5)), b]);
  },
  bytes(field: number, payload: Buffer | string): Buffer {
    const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
    return Buffer.concat([Buffer.from([...pb.varint((field << 3) | 2), ...pb.varint(p.length)]), p]);
  },
  msg(field: number, ...parts: Buffer[]): Buffer {
    return pb.bytes(field, Buffer.concat(parts));
  },
};

/** NodeProto (as field `field` of its parent): inputs, outputs, op type, domain, attributes. */
function node(field: number, op: string, inputs: string[], outputs: string[], attrs: Buffer[] = [], domain = ''): Buffer {
  return pb.msg(field, ...inputs.map((i) => pb.bytes(1, i)), ...outputs.map((o) => pb.bytes(2, o)), pb.bytes(4, op), ...attrs, ...(domain ? [pb.bytes(7, domain)] : []));
}
const floatAttr = (name: string, f: number, field = 5) => pb.msg(field, pb.bytes(1, name), pb.float(2, f), pb.int(20, 1));
const refAttr = (name: string, ref: string) => pb.msg(5, pb.bytes(1, name), pb.bytes(21, ref), pb.int(20, 1));
const tensorValue = (name: string) => pb.msg(11, pb.bytes(1, name), pb.msg(2, pb.msg(1, pb.int(1, 1), pb.msg(2, pb.msg(1, pb.int(1, 3))))));
const opset = (domain: string, version: number, field = 8) => pb.msg(field, ...(domain ? [pb.bytes(1, domain)] : []), pb.int(2, version));

/** ModelProto with a main graph of `nodes` (x → outputs) and the given functions. */
function handMade(nodes: Buffer[], outputs: string[], functions: Buffer[]): Buffer {
  const graph = pb.msg(7, ...nodes, pb.bytes(2, 'g'), tensorValue('x'), ...outputs.map((o) => pb.msg(12, pb.bytes(1, o))));
  return Buffer.concat([pb.int(1, 8), graph, opset('', 17), opset('local', 1), ...functions]);
}

function countNodes(g: OnnxGraph): number {
  return g.nodes.length;
}

describe('ONNX decoder', () => {
  it('finds 198 shared models and the PyTorch fixtures', async () => {
    expect(folders.filter((d) => d.startsWith(SHARED_ONNX)).length).toBe(198);
    expect(folders.filter((d) => d.startsWith(ONNX_FIXTURES)).length).toBeGreaterThanOrEqual(36);
  });

  it('decodes every model, with the inputs and outputs its reference names', async () => {
    const bad: string[] = [];
    for (const dir of folders) {
      const ref = reference(dir);
      let m: OnnxModel;
      try {
        m = await loadOnnx(join(dir, 'model.onnx'));
      } catch (e) {
        bad.push(`${name(dir)}: ${(e as Error).message}`);
        continue;
      }
      const inputs = m.graph.inputs;
      if (JSON.stringify(inputs.map((v) => v.name)) !== JSON.stringify(ref.input_names)) bad.push(`${name(dir)}: inputs ${inputs.map((v) => v.name)} != ${ref.input_names}`);
      if (JSON.stringify(m.graph.outputs.map((v) => v.name)) !== JSON.stringify(ref.output_names)) bad.push(`${name(dir)}: outputs differ`);
      inputs.forEach((v, i) => {
        // A symbolic batch (dynamic_batch fixture) is not part of a reference case's shape.
        const declared = v.dims !== null && typeof v.dims[0] === 'string' ? v.dims.slice(1) : v.dims;
        if (declared !== null && JSON.stringify(declared) !== JSON.stringify(ref.input_shapes[i])) bad.push(`${name(dir)}: input ${v.name} dims ${JSON.stringify(v.dims)} != ${JSON.stringify(ref.input_shapes[i])}`);
        const dtype = ref.input_dtypes[i] === 'bool' ? 'bool' : ref.input_dtypes[i];
        if (v.elemType !== dtype) bad.push(`${name(dir)}: input ${v.name} ${v.elemType} != ${dtype}`);
      });
      if (countNodes(m.graph) === 0 && !dir.endsWith('test_identity')) {
        if (m.graph.outputs.some((o) => !m.graph.initializers.has(o.name) && !inputs.some((i) => i.name === o.name))) bad.push(`${name(dir)}: no nodes`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('tells ONNX by its bytes, and nothing else', async () => {
    for (const dir of folders) expect(looksLikeOnnx(readFileSync(join(dir, 'model.onnx'))), name(dir)).toBe(true);
    const others = [
      join(FIXTURES, 'act_elu', 'model.json'),
      join(FIXTURES, 'act_elu', 'weights.bin'),
      join(FIXTURES, 'keras1_lstm', 'keras1.h5'),
      join(ONNX_FIXTURES, 'external_data_opset17', 'weights.bin'),
      join(SHARED_ONNX, 'LICENSE.onnx'),
      join(SHARED_ONNX, 'test_add', 'reference.json'),
    ];
    for (const f of others) expect(looksLikeOnnx(readFileSync(f)), f).toBe(false);
    expect(looksLikeOnnx(new Uint8Array())).toBe(false);
    expect(looksLikeOnnx(Uint8Array.from([0x08, 0x07]))).toBe(false);
  });

  it('reads typed attributes and constant tensors', async () => {
    const gemm = (await loadOnnx(join(SHARED_ONNX, 'test_gemm_alpha', 'model.onnx'))).graph.nodes[0];
    expect(gemm.opType).toBe('Gemm');
    expect(attrFloat(gemm, 'alpha', 1)).toBe(Math.fround(0.5));
    const c = (await loadOnnx(join(SHARED_ONNX, 'test_operator_repeat', 'model.onnx'))).graph.nodes[0];
    const t = c.attributes.get('value');
    expect(t?.type).toBe('tensor');
    if (t?.type === 'tensor') {
      expect(t.value.dtype).toBe('int64');
      expect(intValues(t.value)).toEqual([1, 2, 3, 4]);
    }
    expect(() => attrFloat(c, 'value', 0)).toThrow(/attribute 'value' of type tensor, expected float/);
  });

  it('inlines model-local functions, resolving each call\'s attributes', async () => {
    const m = await loadOnnx(join(ONNX_FIXTURES, 'functions_opset17', 'model.onnx'));
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['Gemm', 'LeakyRelu', 'Gemm', 'LeakyRelu']);
    // The LeakyBlock alphas the fixture script sets (0.1 and 0.3), as float32 attributes.
    expect(m.graph.nodes.filter((n) => n.opType === 'LeakyRelu').map((n) => attrFloat(n, 'alpha', 0))).toEqual([Math.fround(0.1), Math.fround(0.3)]);
    expect(m.graph.nodes.every((n) => n.domain === 'ai.onnx' && n.opset === 17)).toBe(true);
    const [a, b] = [m.graph.nodes[1], m.graph.nodes[2]];
    expect(b.inputs[0]).toBe(a.outputs[0]);
    expect(m.graph.nodes[3].outputs).toEqual([m.graph.outputs[0].name]);
  });

  it('inlines nested functions with default attributes and outputs a call leaves unnamed', () => {
    const fn = (name: string, inputs: string[], outputs: string[], attrs: string[], defaults: Buffer[], body: Buffer[]) =>
      pb.msg(25, pb.bytes(1, name), ...inputs.map((i) => pb.bytes(4, i)), ...outputs.map((o) => pb.bytes(5, o)), ...attrs.map((a) => pb.bytes(6, a)), ...body, opset('', 17, 9), pb.bytes(10, 'local'), ...defaults);
    const scale = fn('Scale', ['X'], ['Y', 'Extra'], ['alpha'], [floatAttr('beta', 2, 11)], [
      node(7, 'LeakyRelu', ['X'], ['T'], [refAttr('alpha', 'alpha')]),
      node(7, 'Elu', ['T'], ['Y'], [refAttr('alpha', 'beta')]),
      node(7, 'Identity', ['T'], ['Extra']),
    ]);
    const outer = fn('Outer', ['X'], ['Z'], ['a'], [], [
      node(7, 'Scale', ['X'], ['U'], [refAttr('alpha', 'a')], 'local'),
      node(7, 'Relu', ['U'], ['Z']),
    ]);
    const bytes = handMade([node(1, 'Outer', ['x'], ['y'], [floatAttr('a', 0.25)], 'local'), node(1, 'Scale', ['y'], ['w', 'e'], [floatAttr('alpha', 0.5), floatAttr('beta', 3)], 'local')], ['w', 'e'], [scale, outer]);
    expect(looksLikeOnnx(bytes)).toBe(true);
    const m = decodeOnnx(bytes, 'hand.onnx', ROOT);
    const summary = m.graph.nodes.map((n) => `${n.opType}(${n.inputs.join(',')})->${n.outputs.join(',')}${n.attributes.has('alpha') ? ` alpha=${attrFloat(n, 'alpha', 0)}` : ''}`);
    expect(summary).toEqual([
      'LeakyRelu(x)->Outer_0/Scale_1/T alpha=0.25',
      'Elu(Outer_0/Scale_1/T)->Outer_0/U alpha=2',
      'Identity(Outer_0/Scale_1/T)->Outer_0/Scale_1/Extra',
      'Relu(Outer_0/U)->y',
      'LeakyRelu(y)->Scale_2/T alpha=0.5',
      'Elu(Scale_2/T)->w alpha=3',
      'Identity(Scale_2/T)->e',
    ]);
    const loop = fn('Again', ['X'], ['Y'], [], [], [node(7, 'Again', ['X'], ['Y'], [], 'local')]);
    expect(() => decodeOnnx(handMade([node(1, 'Again', ['x'], ['y'], [], 'local')], ['y'], [loop]), 'loop.onnx', ROOT)).toThrow(/function 'Again' is nested more than 64 calls deep/);
    let deep = node(1, 'Relu', ['x'], ['y']);
    for (let i = 0; i < 100; i++) deep = node(1, 'If', ['x'], ['y'], [pb.msg(5, pb.bytes(1, 'then_branch'), pb.msg(6, deep), pb.int(20, 5))]);
    expect(() => decodeOnnx(handMade([deep], ['y'], []), 'deep.onnx', ROOT)).toThrow(/subgraphs nested more than 64 deep/);
    expect(() => decodeOnnx(handMade([node(1, 'Relu', ['x'], ['y'], [refAttr('alpha', 'a')])], ['y'], []), 'ref.onnx', ROOT)).toThrow(/refers to attribute 'a' of a calling function, but is not inside a function/);
  });

  it('reads typed tensor fields, and warns about weights that are not finite', () => {
    const weight = pb.msg(5, pb.int(1, 3), pb.int(2, 1), pb.float(4, NaN), pb.float(4, 1.5), pb.float(4, -Infinity), pb.bytes(8, 'w'));
    const ids = pb.msg(5, pb.int(1, 2), pb.int(2, 7), pb.msg(7, Buffer.from([...pb.varint(5), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), pb.bytes(8, 'ids'));
    const m = decodeOnnx(handMade([node(1, 'Add', ['x', 'w'], ['y']), weight, ids], ['y'], []), 'nan.onnx', ROOT);
    expect(Array.from(floatValues(m.graph.initializers.get('w')!))).toEqual([NaN, 1.5, -Infinity]);
    expect(Array.from(m.graph.initializers.get('ids')!.values as BigInt64Array)).toEqual([5n, -1n]);
    expect(m.warnings).toEqual(['1 weight holds NaN or infinite values: w']);
  });

  it('decodes control-flow subgraphs that read values of the enclosing graph', async () => {
    const m = await loadOnnx(join(ONNX_FIXTURES, 'control_flow_opset17', 'model.onnx'));
    const node = m.graph.nodes.find((n) => n.opType === 'If')!;
    const [then, otherwise] = ['then_branch', 'else_branch'].map((k) => {
      const a = node.attributes.get(k);
      if (a?.type !== 'graph') throw new Error(`${k} is not a graph`);
      return a.value;
    });
    expect(then.nodes.map((n) => n.opType)).toContain('Relu');
    expect(otherwise.nodes.map((n) => n.opType)).toContain('Tanh');
    // The else branch slices the model input, defined outside it.
    expect(otherwise.nodes.some((n) => n.inputs.includes('input1'))).toBe(true);
    const bytes = readFileSync(join(ONNX_FIXTURES, 'control_flow_opset17', 'model.onnx'));
    const b = Buffer.from(bytes);
    // The reference inside the else branch (after the If's name) to a name nothing defines.
    b.write('inpuT1', b.indexOf('input1', b.indexOf('else_branch')), 'latin1');
    expect(decodeDamaged(b, ONNX_FIXTURES)).toBe('error');
  });

  it('reads external data inside the model folder, and refuses locations outside it', async () => {
    const src = join(ONNX_FIXTURES, 'external_data_opset17');
    const m = await loadOnnx(join(src, 'model.onnx'));
    expect(m.sources.map((s) => s.slice(src.length + 1))).toEqual(['model.onnx', 'weights.bin']);
    expect([...m.externalData.keys()]).toEqual(['weights.bin']);
    const bytes = readFileSync(join(src, 'model.onnx'));
    const at = bytes.indexOf('weights.bin');
    expect(at).toBeGreaterThan(0);
    const patched = (location: string) => {
      expect(location.length).toBe('weights.bin'.length);
      const dir = tmpDir();
      const b = Buffer.from(bytes);
      for (let i = bytes.indexOf('weights.bin'); i >= 0; i = b.indexOf('weights.bin', i + 1)) b.write(location, i, 'latin1');
      writeFileSync(join(dir, 'model.onnx'), b);
      copyFileSync(join(src, 'weights.bin'), join(dir, 'weights.bin'));
      return dir;
    };
    await expect(loadOnnx(join(patched('/etc/passwd'), 'model.onnx'))).rejects.toThrow(/names external data '\/etc\/passwd', which lies outside the model's folder/);
    const up = patched('../eights.b');
    writeFileSync(join(up, '..', 'eights.b'), readFileSync(join(src, 'weights.bin')));
    await expect(loadOnnx(join(up, 'model.onnx'))).rejects.toThrow(/names external data '\.\.\/eights\.b', which lies outside/);
    const link = patched('link_to.bin');
    symlinkSync(join(up, '..', 'eights.b'), join(link, 'link_to.bin'));
    await expect(loadOnnx(join(link, 'model.onnx'))).rejects.toThrow(/names external data 'link_to\.bin', which lies outside/);
    await expect(loadOnnx(join(patched('missing.bin'), 'model.onnx'))).rejects.toThrow(/is stored in 'missing\.bin', which was not found/);
    const short = patched('weights.bin');
    writeFileSync(join(short, 'weights.bin'), readFileSync(join(src, 'weights.bin')).subarray(0, 1000));
    await expect(loadOnnx(join(short, 'model.onnx'))).rejects.toThrow(/needs \d+ bytes from 'weights\.bin' at offset \d+.*but the file holds 1000 bytes/);
  });

  it('refuses every truncation inside the graph with a one-line error', async () => {
    const picks = ['test_Conv2d_groups', 'test_lstm_with_initial_bias', 'test_layer_normalization_4d_axis1_expanded', 'test_PixelShuffle'].map((d) => join(SHARED_ONNX, d));
    picks.push(join(ONNX_FIXTURES, 'functions_opset17'), join(ONNX_FIXTURES, 'lstm_opset17'));
    let cuts = 0;
    for (const dir of picks) {
      const bytes = readFileSync(join(dir, 'model.onnx'));
      const ends = topLevelEnds(bytes);
      const graphEnd = ends.find((e) => e.field === 7)!.end;
      // After the graph only whole trailing fields can be dropped cleanly (e.g. the functions).
      const clean = new Set(ends.filter((e) => e.end >= graphEnd).map((e) => e.end));
      const step = Math.max(1, Math.floor(bytes.length / 400));
      for (let n = 0; n < bytes.length; n += n < 64 ? 1 : step) {
        const outcome = decodeDamaged(bytes.subarray(0, n), dir);
        if (!clean.has(n)) expect(outcome, `${name(dir)} cut at ${n}`).toBe('error');
        cuts++;
      }
    }
    expect(cuts).toBeGreaterThan(1000);
  });

  it('turns any flipped bit into a decoded model or a one-line error, never a crash', async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const counts = { ok: 0, error: 0 };
    for (const dir of folders.filter((_, i) => i % 7 === 0)) {
      const bytes = readFileSync(join(dir, 'model.onnx'));
      for (let k = 0; k < 40; k++) {
        const b = Buffer.from(bytes);
        const at = rand(b.length);
        b[at] ^= 1 << rand(8);
        counts[decodeDamaged(b, dir)]++;
      }
    }
    console.log(`bit flips: ${counts.ok} decoded, ${counts.error} refused with a one-line error`);
    expect(counts.error).toBeGreaterThan(0);
  });

  it('converts an ONNX model (exit 0), and exits 2 with one line for a damaged ONNX file', async () => {
    const run = async (args: string[]) => {
      let err = '';
      const code = await main(args, { stdout: () => {}, stderr: (t) => (err += t), stdinIsTTY: true });
      return { code, err };
    };
    const ok = await run([join(SHARED_ONNX, 'test_add', 'model.onnx')]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const f = join(tmpDir(), 'cut.onnx');
    writeFileSync(f, readFileSync(join(SHARED_ONNX, 'test_add', 'model.onnx')).subarray(0, 60));
    const cut = await run([f]);
    expect(cut.code).toBe(2);
    expect(cut.err).toMatch(/cut\.onnx: not a valid ONNX file: .* runs past the end/);
    expect(cut.err.trim().split('\n')).toHaveLength(1);
  });
});

/** onnx.numpy_helper's view of every model, as JSON (the ONNX project's own decoder). */
const PY_DUMP = `
import json, math, sys, onnx
from onnx import numpy_helper
def val(v):
    if isinstance(v, float) and not math.isfinite(v): return repr(v)
    return v
def tensor(t):
    a = numpy_helper.to_array(t)
    vals = [val(x) for x in a.astype('float64' if a.dtype.kind in 'fb' else a.dtype).ravel().tolist()] if a.dtype.kind != 'O' else [x.decode() for x in a.ravel().tolist()]
    return {'name': t.name, 'dims': list(t.dims), 'values': vals}
out = {}
for path in sys.argv[1:]:
    m = onnx.load(path)
    g = m.graph
    nodes = []
    for n in g.node:
        attrs = {}
        for a in n.attribute:
            v = onnx.helper.get_attribute_value(a)
            if isinstance(v, onnx.TensorProto): v = tensor(v)
            elif isinstance(v, bytes): v = v.decode()
            elif isinstance(v, float): v = val(v)
            elif isinstance(v, list): v = [x.decode() if isinstance(x, bytes) else val(x) for x in v if not isinstance(x, (onnx.TensorProto, onnx.GraphProto))]
            elif isinstance(v, onnx.GraphProto): v = None
            attrs[a.name] = v
        nodes.append({'op': n.op_type, 'inputs': list(n.input), 'outputs': list(n.output), 'attrs': attrs})
    out[path] = {'ir': m.ir_version, 'opsets': {(o.domain or 'ai.onnx'): o.version for o in m.opset_import},
                 'init': [tensor(t) for t in g.initializer], 'nodes': nodes, 'functions': len(m.functions)}
json.dump(out, sys.stdout)
`;

const pyOnnx = (() => {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'Debian python3 with onnx not found (apt-get install -y python3-onnx)';
})();

describe('ONNX decoder against the onnx Python package', () => {
  if (pyOnnx !== null) {
    if (inCI) it('has python3-onnx', () => expect.fail(pyOnnx));
    else it.skip(`skipped: ${pyOnnx}`, () => {});
    return;
  }
  it('decodes the same initializers, nodes and attributes as onnx.numpy_helper', async () => {
    const files = folders.map((d) => join(d, 'model.onnx'));
    const r = spawnSync('/usr/bin/python3', ['-c', PY_DUMP, ...files], { encoding: 'utf8', maxBuffer: 1 << 30 });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout) as Record<string, { ir: number; opsets: Record<string, number>; init: { name: string; dims: number[]; values: unknown[] }[]; nodes: { op: string; inputs: string[]; outputs: string[]; attrs: Record<string, unknown> }[]; functions: number }>;
    const num = (v: unknown) => (typeof v === 'string' ? v : Number.isNaN(v) ? 'nan' : v);
    const bad: string[] = [];
    let tensors = 0;
    for (const f of files) {
      const m = await loadOnnx(f);
      const w = want[f];
      if (m.irVersion !== w.ir) bad.push(`${f}: ir ${m.irVersion} != ${w.ir}`);
      if (JSON.stringify(Object.fromEntries(m.opsets)) !== JSON.stringify(w.opsets)) bad.push(`${f}: opsets differ`);
      for (const t of w.init) {
        const got = m.graph.initializers.get(t.name);
        tensors++;
        if (got === undefined) { bad.push(`${f}: no initializer ${t.name}`); continue; }
        if (JSON.stringify(got.dims) !== JSON.stringify(t.dims)) bad.push(`${f}: ${t.name} dims`);
        const values = got.dtype === 'string' ? (got.values as string[]) : Array.from(floatValues(got));
        if (JSON.stringify(values.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) !== JSON.stringify(t.values.map((v) => (v === 'inf' ? 'Infinity' : v === '-inf' ? '-Infinity' : num(v)))))
          bad.push(`${f}: ${t.name} values differ`);
      }
      if (w.functions > 0) continue;
      if (m.graph.nodes.length !== w.nodes.length) { bad.push(`${f}: ${m.graph.nodes.length} nodes != ${w.nodes.length}`); continue; }
      w.nodes.forEach((n, i) => {
        const g = m.graph.nodes[i];
        if (g.opType !== n.op || JSON.stringify(g.inputs) !== JSON.stringify(n.inputs) || JSON.stringify(g.outputs) !== JSON.stringify(n.outputs)) bad.push(`${f}: node ${i} differs`);
        for (const [k, v] of Object.entries(n.attrs)) {
          const a = g.attributes.get(k);
          if (a === undefined) { bad.push(`${f}: node ${i} lacks ${k}`); continue; }
          if (v === null) continue;
          // Non-finite values as Python's repr writes them (a masked_fill's -inf constant).
          const pyRepr = (x: number) => (Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x);
          const mine = a.type === 'tensor' ? { name: a.value.name, dims: a.value.dims, values: Array.from(floatValues(a.value), pyRepr) } : 'value' in a ? a.value : null;
          if (JSON.stringify(mine) !== JSON.stringify(v)) bad.push(`${f}: node ${i} attribute ${k}: ${JSON.stringify(mine)?.slice(0, 80)} != ${JSON.stringify(v).slice(0, 80)}`);
        }
      });
    }
    console.log(`onnx.numpy_helper agrees on ${files.length} models, ${tensors} initializers`);
    expect(bad).toEqual([]);
  }, 120_000);
});
