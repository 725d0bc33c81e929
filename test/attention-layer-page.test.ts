import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOnnxProgram } from '../src/extract/onnx/index.js';
import { convertFile, evaluate, scalarize } from '../src/index.js';
import { loadOnnx } from '../src/load/index.js';
import { fuseProgram } from '../src/transform/fuse.js';
import type { MapAttrs } from '../src/tensor/ops.js';
import type { TensorProgram } from '../src/tensor/program.js';
import { compileStandalone, FIXTURES, flat, inCI, mismatch, readReference } from './helpers.js';

// Issue 27: "a whole encoder layer must fit an A4 page". PyTorch's TransformerEncoderLayer and
// TransformerDecoderLayer in all four norm_first × activation corners (fixtures/onnx-attention-grid
// and fixtures/onnx, written by `npm run fixtures:onnx` with PyTorch's predictions) and the GPT-2
// style block: at opset 13 the exporter spells LayerNorm out as ReduceMean, Sub, Pow, ReduceMean,
// Add, Sqrt, Div, Mul, Add, and at both opsets GELU as Div, Erf, Add, Mul, Mul (the GPT block's tanh
// form as Pow, Mul, Add, Mul, Tanh, Add, Mul, Mul). fuseProgram (src/transform/fuse.ts) names them
// layer_norm, gelu and gelu_new again for the formats a reader reads, so the LaTeX prints one row per
// LayerNorm and GELU at either opset, and the moves around an attention's projections print inside
// the rows that read them. The rewritten programs are checked against PyTorch's predictions (an
// independent oracle); each layer's LaTeX, its rows and where block, is compiled by pdflatex: one A4
// page for every encoder layer and the GPT block, two for a decoder layer (its two attentions and
// three LayerNorms).

const ROOT = join(FIXTURES, 'onnx-attention-grid');
const ONNX = join(FIXTURES, 'onnx');
/** Every encoder and decoder layer and the GPT block, at opsets 13 and 17: their folder by name. */
const dirs = new Map([
  ...readdirSync(ROOT).map((n) => [n, join(ROOT, n)] as const),
  ...readdirSync(ONNX)
    .filter((n) => /^(encoder_(pre|post)|decoder|gpt_block)_/.test(n))
    .map((n) => [n, join(ONNX, n)] as const),
]);
const names = [...dirs.keys()].sort();
/** The GELU each fixture has: erf (PyTorch's default) or the tanh form (the GPT block's), else none. */
const geluOf = (name: string) => (name.startsWith('gpt') ? 'gelu_new' : name.includes('gelu') ? 'gelu' : null);
const pdflatex = spawnSync('pdflatex', ['--version']).status === 0;

const fnsOf = (p: TensorProgram) => p.equations.map((eq) => (eq.op === 'map' ? (eq.attrs as unknown as MapAttrs).fn : eq.op));

describe('unfused LayerNorm and GELU are recognized', () => {
  it('has the 18 fixtures', () => expect(names.length).toBe(18));
  for (const name of names) {
    it(`${name}: the recognized program has one layer_norm per LayerNorm and a gelu per GELU, and matches PyTorch`, async () => {
      const dir = dirs.get(name)!;
      const built = buildOnnxProgram(await loadOnnx(join(dir, 'model.onnx')));
      const { program, notes } = fuseProgram(built);
      const fns = fnsOf(program);
      const decoder = name.startsWith('decoder');
      const opset13 = name.endsWith('opset13');
      expect(fns.filter((f) => f === 'layer_norm').length).toBe(decoder ? 3 : 2);
      const gelu = geluOf(name);
      for (const f of ['gelu', 'gelu_new']) expect(fns.filter((g) => g === f).length, f).toBe(f === gelu ? 1 : 0);
      // Nothing of the spelled-out forms is left: no mean (global_pool), no square root, no erf or tanh.
      for (const f of ['global_pool', 'sqrt', 'erf', 'tanh', 'pow']) expect(fns, f).not.toContain(f);
      if (opset13 || gelu) expect(notes.join('')).toMatch(/^recognized/);
      // Against PyTorch's own predictions, on the scalar IR of the rewritten program.
      const ref = readReference(dir);
      const s = scalarize(program);
      for (const [i, c] of ref.cases.entries()) {
        const values = evaluate(s.graph, flat(c.inputs));
        expect(mismatch(s.outputIds.map((id) => values[id]), flat(c.outputs), 1e-5, 1e-4), `case ${i}`).toBeNull();
      }
    });
  }
  it('a LayerNorm whose normalized value is read elsewhere is left as it is', async () => {
    const built = buildOnnxProgram(await loadOnnx(join(ROOT, 'encoder_pre_relu_opset13', 'model.onnx')));
    // Make the centred value x − μ of the first LayerNorm an output of the model as well.
    const sub = built.equations.find((eq) => eq.op === 'map' && (eq.attrs as unknown as MapAttrs).fn === 'sub')!;
    const extra = { ...built, outputs: [...built.outputs, { name: 'centred', tensor: { id: sub.outs[0], shape: built.tensors[sub.outs[0]].shape } }] };
    const fns = fnsOf(fuseProgram(extra).program);
    expect(fns.filter((f) => f === 'layer_norm').length).toBe(1);
  });
});

describe('what each format prints', () => {
  it('--no-fold keeps the exported ops in the LaTeX; code formats compute them as exported', async () => {
    const file = join(ROOT, 'encoder_post_gelu_opset13', 'model.onnx');
    const kept = (await convertFile(file, { format: 'latex', form: 'tensor', fold: false })).text;
    expect(kept).toContain('\\operatorname{sqrt}');
    expect(kept).toContain('\\operatorname{erf}');
    expect(kept).not.toContain('\\operatorname{LN}');
    const fused = (await convertFile(file, { format: 'latex', form: 'tensor' })).text;
    expect(fused).toMatch(/^% recognized \(the same formula; --no-fold keeps the exported ops\): layer normalizations at '\/layer\/norm1\/Add_1', '\/layer\/norm2\/Add_1'; GELU at '\/layer\/Mul_1'$/m);
    const numpy = (await convertFile(file, { format: 'numpy', form: 'tensor' })).text;
    expect(numpy).not.toContain('recognized');
  });
});

describe('a whole layer on A4', () => {
  (pdflatex || inCI ? it : it.skip)(
    'the rows and where block of each layer compile with pdflatex without an overfull line: an encoder layer and the GPT block take one page at opsets 13 and 17, a decoder layer two',
    async () => {
      const pages: Record<string, number> = {};
      // Every encoder layer and GPT block; the decoder layers of one folder (the others print alike).
      const printed = names.filter((n) => !n.startsWith('decoder') || dirs.get(n)!.startsWith(ROOT));
      for (const name of printed) {
        const { text } = await convertFile(join(dirs.get(name)!, 'model.onnx'), { format: 'latex', form: 'tensor', standalone: true });
        expect(text, name).toContain('\\operatorname{LN}');
        expect(text, name).not.toContain('\\operatorname{sqrt}');
        if (geluOf(name)) expect(text, name).toContain(geluOf(name) === 'gelu' ? '\\operatorname{GELU}' : '\\operatorname{GELU}_{\\tanh}');
        // The weights' values follow the where block on later pages; the layer itself is cut there.
        const lines = text.split('\n');
        const where = lines.findIndex((l) => l.startsWith('&\\text{where '));
        expect(where, name).toBeGreaterThan(0);
        let end = where;
        while (lines[end + 1].startsWith('&')) end++;
        const r = await compileStandalone([...lines.slice(0, end + 1), '\\end{align*}', '\\end{document}'].join('\n'));
        expect(r.error, `${name} ${r.dir}`).toBeNull();
        expect(r.overfull, `${name} ${r.dir}`).toBeLessThanOrEqual(1);
        pages[name] = Number(/Output written on doc\.pdf \((\d+) pages?,/.exec(readFileSync(join(r.dir, 'doc.log'), 'latin1'))?.[1]);
      }
      expect(pages).toEqual(Object.fromEntries(printed.map((n) => [n, n.startsWith('decoder') ? 2 : 1])));
    },
    120_000,
  );
});
