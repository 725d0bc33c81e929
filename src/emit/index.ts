import { c } from './c/scalar.js';
import { html, htmlTensor } from './latex/html.js';
import { js } from './js/scalar.js';
import { json } from './json/json.js';
import { julia } from './julia/scalar.js';
import { latex } from './latex/scalar.js';
import { mathematica } from './mathematica/scalar.js';
import { mathjs } from './mathjs/scalar.js';
import { numpy } from './numpy/scalar.js';
import { svg, svgTensor } from './latex/svg.js';
import { sympy } from './sympy/scalar.js';
import type { Emitter, TensorEmitter } from './types.js';
import type { TensorProgram } from '../tensor/program.js';

export type { Emitter, EmitOptions } from './types.js';

/** A tensor emitter whose module is imported by loadTensorEmitters, the first time a conversion needs it. */
interface LazyTensorEmitter extends TensorEmitter {
  load(): Promise<void>;
}

/**
 * The tensor printers are most of emit/'s code and a conversion uses one of them, so each is
 * imported on demand: convertFile, verify and the library's entry (src/index.ts) await
 * loadTensorEmitters before printing. The flags are stated here, where convert reads them before
 * anything is loaded; a flag the module sets and the registry lacks is an error when it loads.
 */
function lazyTensor(format: string, flags: Omit<TensorEmitter, 'emit'>, load: () => Promise<TensorEmitter>): LazyTensorEmitter {
  let loaded: TensorEmitter | undefined;
  return {
    ...flags,
    emit(program, opts) {
      if (!loaded) throw new Error(`the ${format} tensor emitter is not loaded yet: await loadTensorEmitters() first`);
      return loaded.emit(program, opts);
    },
    async load() {
      if (loaded) return;
      const e = await load();
      for (const k of ['symbolicWeights', 'float32'] as const) {
        if (e[k] && !flags[k]) throw new Error(`emit/index.ts: the ${format} tensor emitter sets ${k} in its module; state it in the registry too`);
      }
      loaded = e;
    },
  };
}

/** LaTeX's tensor printer, which the latex, html and svg tensor forms print through. */
const latexTensorModule = () => import('./latex/tensor.js');

/**
 * The one registry of output formats; it also feeds the CLI's --format choices. A language is a
 * folder (emit/<language>/: syntax.ts, scalar.ts, tensor.ts) and one line here, which pairs its
 * scalar printer with its tensor printer, imported on demand.
 */
export const EMITTERS = {
  latex: { ...latex, tensor: lazyTensor('latex', { symbolicWeights: true }, () => latexTensorModule().then((m) => ({ ...m.latexTensor, symbolicWeights: true }))) },
  numpy: { ...numpy, tensor: lazyTensor('numpy', { symbolicWeights: true, float32: true }, () => import('./numpy/tensor.js').then((m) => m.numpyTensor)) },
  js: { ...js, tensor: lazyTensor('js', { symbolicWeights: true, float32: true, wasm: true }, () => import('./js/tensor.js').then((m) => ({ emit: m.emitJsTensor }))) },
  mathematica: { ...mathematica, tensor: lazyTensor('mathematica', { symbolicWeights: true }, () => import('./mathematica/tensor.js').then((m) => m.mathematicaTensor)) },
  c: { ...c, tensor: lazyTensor('c', { symbolicWeights: true, float32: true }, () => import('./c/tensor.js').then((m) => m.cTensor)) },
  sympy: { ...sympy, tensor: lazyTensor('sympy', { symbolicWeights: true }, () => import('./sympy/tensor.js').then((m) => m.sympyTensor)) },
  mathjs: { ...mathjs, tensor: lazyTensor('mathjs', { symbolicWeights: true }, () => import('./mathjs/tensor.js').then((m) => m.mathjsTensor)) },
  julia: { ...julia, tensor: lazyTensor('julia', { symbolicWeights: true }, () => import('./julia/tensor.js').then((m) => m.juliaTensor)) },
  json,
  // HTML and SVG print the tensor form through LaTeX's tensor printer.
  html: { ...html, tensor: lazyTensor('html', { symbolicWeights: true }, () => latexTensorModule().then((m) => htmlTensor(m.latexTensor))) },
  svg: { ...svg, tensor: lazyTensor('svg', { symbolicWeights: true }, () => latexTensorModule().then((m) => svgTensor(m.latexTensor))) },
} satisfies Record<string, Emitter>;

/** A key of the emitter registry. */
export type Format = keyof typeof EMITTERS;

export const FORMATS = Object.keys(EMITTERS) as Format[];

/** Imports the tensor printer of `format`, or of every format: before any tensor form is printed (the registry loads them on demand), with the rewrites of the code formats' tensor forms. */
export async function loadTensorEmitters(format?: string): Promise<void> {
  const all: Record<string, Emitter> = EMITTERS;
  const wanted = format === undefined ? FORMATS : [format];
  await Promise.all([
    ...wanted.map((f) => (all[f]?.tensor as Partial<LazyTensorEmitter> | undefined)?.load?.()),
    ...(wanted.some((f) => all[f]?.tensor && !all[f].textbook) ? [loadCodeRewrites()] : []),
  ]);
}

/** The layout pass and the depthwise rewrite, which only the code formats' tensor forms use: imported with their printers. */
let codeRewrites: ((p: TensorProgram) => TensorProgram) | undefined;

async function loadCodeRewrites(): Promise<void> {
  if (codeRewrites) return;
  const [{ layoutProgram }, { depthwiseProgram }] = await Promise.all([import('../transform/layout.js'), import('../transform/depthwise.js')]);
  codeRewrites = (p) => layoutProgram(depthwiseProgram(p));
}

/**
 * A program as the code formats print it: channels-last throughout (a channels-first model's
 * transposes cancel), a one-channel-per-group convolution as depthwise_conv. Loaded by
 * loadTensorEmitters with any code format's tensor printer.
 */
export function codeProgram(p: TensorProgram): TensorProgram {
  if (!codeRewrites) throw new Error('the code formats\' rewrites are not loaded yet: await loadTensorEmitters() first');
  return codeRewrites(p);
}
