import { c } from './c.js';
import { html } from './html.js';
import { js } from './js.js';
import { json } from './json.js';
import { julia } from './julia.js';
import { latex } from './latex.js';
import { mathematica } from './mathematica.js';
import { mathjs } from './mathjs.js';
import { numpy } from './numpy.js';
import { svg } from './svg.js';
import { sympy } from './sympy.js';
import { cTensor } from './tensor/c.js';
import { emitJsTensor } from './tensor/js.js';
import { juliaTensor } from './tensor/julia.js';
import { latexTensor } from './tensor/latex.js';
import { mathematicaTensor } from './tensor/mathematica.js';
import { mathjsTensor } from './tensor/mathjs.js';
import { numpyTensor } from './tensor/numpy.js';
import { sympyTensor } from './tensor/sympy.js';
import type { Emitter } from './types.js';

export type { Emitter, EmitOptions } from './types.js';

/** The one registry of output formats; it also feeds the CLI's --format choices. */
// Each tensor form is attached here, not in its scalar emitter's file: the tensor emitters import
// their language's scalar syntax from that file, and an import back would be a cycle.
export const EMITTERS = {
  latex: { ...latex, tensor: { ...latexTensor, symbolicWeights: true } },
  numpy: { ...numpy, tensor: numpyTensor },
  js: { ...js, tensor: { emit: emitJsTensor, symbolicWeights: true, float32: true } },
  mathematica: { ...mathematica, tensor: mathematicaTensor },
  c: { ...c, tensor: cTensor },
  sympy: { ...sympy, tensor: sympyTensor },
  mathjs: { ...mathjs, tensor: mathjsTensor },
  julia: { ...julia, tensor: juliaTensor },
  json,
  html,
  svg,
} satisfies Record<string, Emitter>;

/** A key of the emitter registry. */
export type Format = keyof typeof EMITTERS;

export const FORMATS = Object.keys(EMITTERS) as Format[];
