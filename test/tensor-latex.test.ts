import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/convert.js';
import type { EmitOptions } from '../src/emit/types.js';
import { latexTensor } from '../src/emit/latex/tensor.js';
import { loadModel } from '../src/load/index.js';
import { buildProgram } from '../src/extract/index.js';
import type { Equation, TensorProgram } from '../src/tensor/program.js';
import { ELEMENTWISE, type ElementwiseFn, type FnName } from '../src/tensor/functions.js';
import { Graph } from '../src/ir/graph.js';
import { evaluateOutputs } from '../src/ir/evaluate.js';
import type { MapAttrs } from '../src/tensor/ops.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import { FIXTURES, fixtureNames, inCI, ROOT, SHARED, tmpDir } from './helpers.js';

/** The shared Keras / TF.js models (one constant, so the lead can point it at test/models). */
const MODELS = process.env.NN2EQ_SHARED_MODELS ?? SHARED;

/** [label, model file, weights file] of the shared models checked here. */
const SHARED_MODELS: [string, string, string?][] = [
  ...['mlp', 'cnn', 'functional_merge', 'simple_rnn', 'gru'].map((n): [string, string] => [`tfjs-layers/${n}`, join(MODELS, 'tfjs-layers', n, 'model.json')]),
  ...['KERAS_3layer', 'KERAS_3layer_batch_norm', 'KERAS_lstm_model'].map((n): [string, string, string] => [`hls4ml/${n}`, join(MODELS, 'hls4ml', n, `${n}.json`), join(MODELS, 'hls4ml', n, `${n}_weights.h5`)]),
  ['nsfwjs/mobilenet_v2_quant_uint8', join(MODELS, 'nsfwjs', 'mobilenet_v2_quant_uint8', 'model.json')],
  ['tfjs/rn_bundle_model_dense1', join(MODELS, 'tfjs', 'rn_bundle_model_dense1', 'bundle_model_test.json')],
  ['tfjs-examples/abalone_node_mlp', join(MODELS, 'tfjs-examples', 'abalone_node_mlp', 'model.json')],
].filter(([, path]) => existsSync(path)) as [string, string, string?][];

const tensorLatex = async (path: string, extra: { standalone?: boolean; precision?: number; maxMatrix?: number; weights?: string } = {}) =>
  (await convertFile(path, { format: 'latex', form: 'tensor', ...extra })).text;

function renderKatex(tex: string): void {
  katex.renderToString(tex, { displayMode: true, throwOnError: true, maxExpand: Infinity });
}

const pdflatex = spawnSync('pdflatex', ['--version'], { encoding: 'utf8' }).status === 0;
const noTex = pdflatex ? null : 'pdflatex not found; apt-get install -y texlive-latex-base texlive-latex-recommended';
if (noTex && !inCI) console.warn(`tensor-latex: skipping the pdflatex checks: ${noTex}`);

/** Overfull boxes (too wide or too high) by more than 1 pt in a pdflatex log. */
export function overfull(log: string): string[] {
  return [...log.matchAll(/Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)[^\n]*/g)].filter((m) => Number(m[1]) > 1).map((m) => m[0]);
}

/** At most two pdflatex runs at once (the machine is shared). */
let running = 0;
const waiting: (() => void)[] = [];
async function compile(tex: string): Promise<{ ok: boolean; log: string }> {
  while (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    const dir = tmpDir();
    writeFileSync(join(dir, 'doc.tex'), tex);
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: dir, stdio: 'ignore' });
      child.on('close', resolve);
    });
    const log = existsSync(join(dir, 'doc.log')) ? readFileSync(join(dir, 'doc.log'), 'latin1') : '';
    return { ok: code === 0 && existsSync(join(dir, 'doc.pdf')), log };
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function texFailure(log: string): string {
  const at = log.indexOf('\n!');
  return at >= 0 ? log.slice(at, at + 600) : log.slice(-600);
}

const pdfTimes: number[] = [];

describe('LaTeX tensor form: fixtures', () => {
  for (const name of fixtureNames()) {
    const path = join(FIXTURES, name, 'model.json');
    it(`${name}: golden, KaTeX, pdflatex`, async () => {
      const text = await tensorLatex(path);
      await expect(text).toMatchFileSnapshot(join(ROOT, 'test', 'golden', 'tensor', `${name}.tex`));
      expect(() => renderKatex(text)).not.toThrow();
      if (noTex) {
        if (inCI) throw new Error(noTex);
        return;
      }
      const t0 = Date.now();
      const r = await compile(await tensorLatex(path, { standalone: true }));
      pdfTimes.push(Date.now() - t0);
      expect(r.ok, texFailure(r.log)).toBe(true);
      expect(overfull(r.log)).toEqual([]);
    }, 60_000);
  }
  it('reports the pdflatex time', () => {
    if (pdfTimes.length) console.log(`tensor-latex: ${pdfTimes.length} pdflatex runs, ${(pdfTimes.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s in total (at most 2 at once)`);
  });
});

describe('LaTeX tensor form: shared models', () => {
  if (SHARED_MODELS.length === 0) it.skip(`no shared models under ${MODELS}`, () => {});
  for (const [label, path, weights] of SHARED_MODELS) {
    it(`${label}: KaTeX, pdflatex`, async () => {
      const text = await tensorLatex(path, { weights });
      expect(() => renderKatex(text)).not.toThrow();
      if (noTex) {
        if (inCI) throw new Error(noTex);
        return;
      }
      const r = await compile(await tensorLatex(path, { weights, standalone: true }));
      expect(r.ok, texFailure(r.log)).toBe(true);
      expect(overfull(r.log)).toEqual([]);
    }, 180_000);
  }
});

/** The numbers of `\begin{bmatrix} … \end{bmatrix}` blocks labelled `label…`, read back in row order. */
function matricesOf(text: string): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  const re = /^(\S.*?) &= \\begin\{bmatrix\}\s*([\s\S]*?)\s*\\end\{bmatrix\}(\^\{\\top\})?/gm;
  for (const m of text.matchAll(re)) {
    const rows = m[2].split(/\s*\\\\\s*/).map((r) => r.split('&').map((c) => parseNumber(c.trim())));
    out.set(m[1], rows);
  }
  return out;
}

function parseNumber(s: string): number {
  const sci = /^(-?[\d.]+) \\cdot 10\^\{(-?\d+)\}$/.exec(s);
  if (sci) return Number(`${sci[1]}e${sci[2]}`);
  if (s === '\\infty') return Infinity;
  if (s === '-\\infty') return -Infinity;
  if (s === '\\mathrm{NaN}') return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`not a number: ${s}`);
  return v;
}

async function programOf(name: string): Promise<TensorProgram> {
  const model = await loadModel(join(FIXTURES, name, 'model.json'));
  return buildProgram(model, { anyLength: true });
}

const OPTS: EmitOptions = { inline: false, maxSize: Infinity, modelName: 'm' };

describe('LaTeX tensor form: what it prints is the model', () => {
  it('dense weights read back as the kernel transposed (W x), biases as stored', async () => {
    const p = await programOf('mathematica_3_2_2_2');
    const text = latexTensor.emit(p, OPTS);
    const mats = matricesOf(text);
    const consts = p.tensors.map((t, id) => ({ t, id })).filter(({ t }) => t.kind === 'const');
    expect(consts.length).toBe(6);
    for (const { t } of consts) {
      const label = t.role === 'W' ? `W^{(${t.layer})}` : `\\mathbf{b}^{(${t.layer})}`;
      const m = mats.get(label);
      expect(m, label).toBeDefined();
      const values = Array.from(t.values!);
      if (t.role === 'W') {
        const [rows, cols] = t.shape;
        expect(m!.length).toBe(cols);
        for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) expect(Math.fround(m![j][i])).toBe(values[i * cols + j]);
      } else {
        expect(m![0].map((v) => Math.fround(v))).toEqual(values);
      }
    }
  });

  it('recurrent gate weights, split column blocks and conv kernel slices read back exactly', async () => {
    for (const name of ['rnn_lstm_state', 'rnn_gru_reset_after', 'rnn_bidirectional_concat', 'conv2d_same_strided', 'conv2d_separable', 'shape_embedding', 'layer_batchnorm', 'layer_prelu_shared_axes']) {
      const p = await programOf(name);
      const printed = weightsOf(latexTensor.emit(p, OPTS));
      let checked = 0;
      const backward = new Set<number>();
      for (const e of p.equations) if (e.op === 'scan' && (e.attrs as { symbols: string[] }).symbols[0] === 'hb') for (const q of e.body!.equations) for (const a of q.args) if (p.tensors[a].kind === 'const') backward.add(a);
      for (const [id, t] of p.tensors.entries()) {
        if (t.kind !== 'const') continue;
        let label = texLabel(t.role, t.layer, t.shape.length);
        if (backward.has(id)) label = label.replace(/^(\\mathbf\{[a-z]\}|[A-Z])/, '\\overleftarrow{$1}');
        const got = printed.get(label);
        expect(got, `${name}: ${label} printed`).toBeDefined();
        // W x: the stored [in, out] kernel is printed as its transpose.
        const transposed = /^[WUP]/.test(t.role) && t.shape.length === 2;
        const [r, c] = t.shape;
        const values = Array.from(t.values!);
        for (let k = 0; k < values.length; k++) {
          const at = transposed ? (k % c) * r + Math.floor(k / c) : k;
          expect(Math.fround(got!.get(at) ?? NaN), `${name} ${label} element ${k}`).toBe(Math.fround(values[k]));
        }
        checked++;
      }
      expect(checked, name).toBeGreaterThan(0);
    }
  });

  it('--precision rounds the printed weights, --max-matrix declares large ones by shape', async () => {
    const path = join(FIXTURES, 'mathematica_3_2_2_2', 'model.json');
    const rounded = await tensorLatex(path, { precision: 3 });
    expect(rounded).toContain('0.469 & -0.429 & 0.751');
    const declared = await tensorLatex(path, { maxMatrix: 2 });
    expect(declared).toContain('W^{(1)} &\\in \\mathbb{R}^{2\\times 3}');
    expect(declared).toMatch(/W\^\{\(2\)\} &= \\begin\{bmatrix\}/);
  });

  it('structure: every layer has its equation with its own weights and operators', async () => {
    const cases: [string, RegExp[]][] = [
      ['mathematica_3_2_2_2', [/\\mathbf\{h\}\^\{\(1\)\} &= \\sigma\\left\(W\^\{\(1\)\} \\mathbf\{x\} \+ \\mathbf\{b\}\^\{\(1\)\}\\right\)/, /\\mathbf\{y\} &= W\^\{\(3\)\} \\mathbf\{h\}\^\{\(2\)\} \+ \\mathbf\{b\}\^\{\(3\)\}/, /\\sigma\(z\) = \\frac\{1\}\{1 \+ e\^\{-z\}\}/]],
      ['rnn_lstm_state', [/\\mathbf\{c\}_\{t\}\^\{\(1\)\} &= \\mathbf\{f\}_\{t\}\^\{\(1\)\} \\odot \\mathbf\{c\}_\{t-1\}\^\{\(1\)\} \+ \\mathbf\{i\}_\{t\}\^\{\(1\)\} \\odot \\mathbf\{g\}_\{t\}\^\{\(1\)\}/, /\\mathbf\{h\}_\{t\}\^\{\(1\)\} &= \\mathbf\{o\}_\{t\}\^\{\(1\)\} \\odot \\tanh/]],
      ['rnn_gru_backwards', [/\\mathbf\{h\}_\{t\}\^\{\(1\)\} &= \\mathbf\{z\}_\{t\}\^\{\(1\)\} \\odot \\mathbf\{h\}_\{t-1\}\^\{\(1\)\} \+ \\left\(1 - \\mathbf\{z\}_\{t\}\^\{\(1\)\}\\right\) \\odot \\tilde\{\\mathbf\{h\}\}_\{t\}\^\{\(1\)\}/]],
      ['conv2d_same_strided', [/K\^\{\(1\)\} \\ast \\mathbf\{X\} \+ \\mathbf\{b\}\^\{\(1\)\}/, /\\mathbf\{s\} = \(2, 2\)/]],
      ['rnn_timesteps_none', [/t = 1, \\ldots, T/, /\\mathbb\{R\}\^\{T\\times /]],
    ];
    for (const [name, patterns] of cases) {
      const text = await tensorLatex(join(FIXTURES, name, 'model.json'));
      for (const re of patterns) expect(text, name).toMatch(re);
    }
    // Every layer call with arithmetic has an equation, and each of its weights appears in it.
    for (const name of ['merge_all', 'keras_functional', 'conv2d_separable', 'pool_2d', 'rnn_bidirectional_sum']) {
      const p = await programOf(name);
      const text = latexTensor.emit(p, OPTS);
      const eqs = text.split(' \\\\\n').filter((l) => /&= /.test(l) && !/\\begin\{bmatrix\}\n/.test(l));
      for (const call of p.calls) {
        if (call.number === 0 || call.outputs.some((o) => p.outputs.some((port) => port.tensor.id === o.id))) continue;
        const sup = `^{(${call.number})}`;
        expect(eqs.some((l) => l.includes(sup)), `${name}: layer ${call.number} (${call.className})`).toBe(true);
      }
    }
  });

  it('structure on every fixture: each layer\'s weights and operators appear in the equations', async () => {
    const OP_MARK: Partial<Record<string, string>> = {
      conv: '\\ast', depthwise_conv: '\\circledast', pool: 'pool', global_pool: '\\operatorname{global', softmax: '\\operatorname{softmax', log_softmax: 'log\\,softmax',
      layer_norm: '\\operatorname{LN}', l2_normalize: '\\operatorname{unit}', scan: '\\text{for } t = 1', foreach: '\\text{for } t = 1', concat: '', gather: '\\left[',
    };
    for (const name of fixtureNames()) {
      const p = await programOf(name);
      const text = latexTensor.emit(p, OPTS);
      const equations = text.slice(0, text.indexOf('&\\text{where'));
      const backward = new Set<number>();
      const visit = (eqs: readonly Equation[], back: boolean, each: (e: Equation, back: boolean) => void) => {
        for (const e of eqs) {
          each(e, back);
          if (e.body) visit(e.body.equations, back || (e.op === 'scan' && (e.attrs as { symbols: string[] }).symbols[0] === 'hb'), each);
        }
      };
      visit(p.equations, false, (e, back) => {
        if (back) for (const a of e.args) if (p.tensors[a].kind === 'const') backward.add(a);
      });
      for (const call of p.calls) {
        visit(p.equations.slice(call.from, call.to), false, (e) => {
          for (const a of e.args) {
            const t = p.tensors[a];
            if (t.kind !== 'const') continue;
            let label = texLabel(t.role, t.layer, t.shape.length);
            if (backward.has(a)) label = label.replace(/^(\\mathbf\{[a-z]\}|[A-Z])/, '\\overleftarrow{$1}');
            expect(equations, `${name}: ${label} of layer ${call.number} (${call.className})`).toContain(label);
          }
          const mark = e.op === 'map' ? mapMark((e.attrs as unknown as MapAttrs).fn) : OP_MARK[e.op];
          if (mark) expect(equations, `${name}: ${e.op} of layer ${call.number} (${call.className})`).toContain(mark);
        });
      }
    }
  });

  it('vector arithmetic printed by hand (⊙, GRU update, averages) means exactly the element-wise template', () => {
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const arity: Partial<Record<FnName, number>> = { add: 3, mul: 3, sub: 2, average: 3, scale_shift: 3, mul_add_mul: 4, add_mul: 3, gru_update: 3 };
    for (const [fn, k] of Object.entries(arity) as [FnName, number][]) {
      const b = new ProgramBuilder();
      const xs = Array.from({ length: k }, (_, i) => b.input([1], i));
      b.layer = 1;
      const [y] = b.apply('map', xs, { fn, params: [] }, fail, 'h');
      const program: TensorProgram = {
        tensors: b.tensors,
        equations: b.equations,
        inputs: xs.map((t, i) => ({ name: `in${i}`, tensor: t })),
        outputs: [{ name: 'out', tensor: y }],
        calls: [{ layer: fn, className: 'Merge', node: 0, number: 1, at: 1, from: 0, to: 1, outputs: [y] }],
        layerCount: 1,
        modelName: fn,
        file: `${fn}.json`,
      };
      const rhs = /^\\mathbf\{y\} &= (.*) \\\\$/m.exec(latexTensor.emit(program, OPTS))![1];
      // The printed formula as JavaScript: x_i is x[i-1], ⊙ and juxtaposed fractions multiply.
      const js = rhs
        .replace(/\\mathbf\{x\}_\{(\d+)\}/g, (_, i: string) => `x[${Number(i) - 1}]`)
        .replace(/\\frac\{(\d+)\}\{(\d+)\}/g, '($1/$2)*')
        .replace(/\\odot/g, '*')
        .replace(/\\left\(/g, '(')
        .replace(/\\right\)/g, ')');
      expect(js, `${fn}: ${rhs}`).toMatch(/^[x\[\]\d\s+\-*/().]+$/);
      const printed = new Function('x', `return ${js};`) as (x: number[]) => number;
      const g = new Graph();
      const ins = Array.from({ length: k }, (_, i) => g.input(i));
      const out = (ELEMENTWISE[fn] as ElementwiseFn).scalar(g, ins, []);
      for (let trial = 0; trial < 5; trial++) {
        const x = Array.from({ length: k }, (_, i) => Math.sin(7 * trial + 3 * i + 1) * 2);
        const [[want]] = evaluateOutputs(g, [out], [x]);
        expect(printed(x), `${fn}: ${rhs}`).toBeCloseTo(want, 12);
      }
    }
  });

  it('a wide equation breaks over rows that fit the page, and an overfull line is caught', async () => {
    expect(overfull('Overfull \\hbox (12.5pt too wide) in paragraph at lines 5--9\nOverfull \\hbox (0.5pt too wide) detected')).toHaveLength(1);
    // 40 inputs added by one layer, then an activation around the sum.
    const b = new ProgramBuilder();
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const xs = Array.from({ length: 40 }, (_, i) => b.input([2], i));
    b.layer = 1;
    const [s] = b.apply('map', xs, { fn: 'add', params: [] }, fail, 'a');
    const [h] = b.apply('map', [s], { fn: 'relu', params: [] }, fail, 'h');
    const program: TensorProgram = {
      tensors: b.tensors,
      equations: b.equations,
      inputs: xs.map((t, i) => ({ name: `in${i}`, tensor: t })),
      outputs: [{ name: 'out', tensor: h }],
      calls: [{ layer: 'add', className: 'Add', node: 0, number: 1, at: 1, from: 0, to: 2, outputs: [h] }],
      layerCount: 1,
      modelName: 'wide',
      file: 'wide.json',
    };
    const text = latexTensor.emit(program, OPTS);
    expect(() => renderKatex(text)).not.toThrow();
    const rows = text.split('\n').filter((l) => l.startsWith('&\\quad + '));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(text).toContain('\\operatorname{ReLU}\\bigl(\\mathbf{x}_{1}');
    if (noTex) return;
    const r = await compile(latexTensor.emit(program, { ...OPTS, standalone: true }));
    expect(r.ok, texFailure(r.log)).toBe(true);
    expect(overfull(r.log)).toEqual([]);
  });
});

/** What an element-wise function looks like in an equation: its operator's name, ⊙ for products. */
function mapMark(fn: FnName): string {
  const op = (ELEMENTWISE[fn] as { operator?: string }).operator;
  if (op === 'σ') return '\\sigma';
  if (op) return op.split('_{')[0];
  return ({ mul: '\\odot', mul_add_mul: '\\odot', add_mul: '\\odot', gru_update: '\\odot', scale_shift: '\\odot', add: ' + ', sub: ' - ', average: '\\frac{1}' } as Partial<Record<FnName, string>>)[fn] ?? '';
}

/** The printed name of a weight from its role and layer (README's naming for the tensor form). */
function texLabel(role: string, layer: number, rank: number): string {
  const sup = `^{(${layer})}`;
  // Vectors are bold, matrices and kernels are not.
  const bold = (l: string) => (rank > 1 ? l : l.startsWith('\\') ? `\\boldsymbol{${l}}` : `\\mathbf{${l}}`);
  if (role === 'alpha' || role === 'gamma' || role === 'beta') return `${bold(`\\${role}`)}${sup}`;
  if (/^c[a-z]+$/.test(role)) return `${bold('b')}_{${role.slice(1) === 'hh' ? 'h' : role.slice(1)},\\mathrm{rec}}${sup}`;
  const gate = role.length > 1 ? `_{${role.slice(1)}}` : '';
  return `${bold(role[0])}${gate}${sup}`;
}

/**
 * Every printed weight read back: label → (flat row-major index of the printed array → value).
 * Blocks `{name}_{[i,j,:,a:b]}` are pieces of one array; a row vector ^{\top} is a vector.
 */
function weightsOf(text: string): Map<string, Map<number, number>> {
  const blocks = new Map<string, { lead: number[]; col0: number; rows: number[][] }[]>();
  const re = /^(\S.*?) &= (?:\\begin\{bmatrix\}\s*([\s\S]*?)\s*\\end\{bmatrix\}|(-?[\d.]+(?: \\cdot 10\^\{-?\d+\})?)(?= \\\\|$))/gm;
  for (const m of text.matchAll(re)) {
    const sliced = /^\{(.*)\}_\{\[(.*)\]\}$/.exec(m[1]);
    const base = sliced ? sliced[1] : m[1];
    const sub = sliced ? sliced[2].split(',') : [];
    let rows: number[][];
    try {
      rows = m[2] !== undefined ? m[2].split(/\s*\\\\\s*/).map((row) => row.split('&').map((c) => parseNumber(c.trim()))) : [[parseNumber(m[3])]];
    } catch {
      continue; // a stacked sequence [h_1 … h_T], not a weight
    }
    const range = sub.length ? sub[sub.length - 1] : '0';
    const col0 = range === ':' ? 0 : Number(range.split(':')[0]);
    const lead = sub.slice(0, -2).map(Number);
    if (!blocks.has(base)) blocks.set(base, []);
    blocks.get(base)!.push({ lead, col0, rows });
  }
  const out = new Map<string, Map<number, number>>();
  for (const [base, list] of blocks) {
    const nRows = list[0].rows.length;
    const nCols = Math.max(...list.map((b) => b.col0 + b.rows[0].length));
    const leadShape = list[0].lead.map((_, k) => Math.max(...list.map((b) => b.lead[k])) + 1);
    const values = new Map<number, number>();
    for (const b of list) {
      const slice = b.lead.reduce((acc, v, k) => acc * leadShape[k] + v, 0);
      b.rows.forEach((row, i) => row.forEach((v, j) => values.set((slice * nRows + i) * nCols + b.col0 + j, v)));
    }
    out.set(base, values);
  }
  return out;
}
