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
import { numpyTensor } from './tensor/numpy.js';
import type { Emitter } from './types.js';

export type { Emitter, EmitOptions } from './types.js';

/** The one registry of output formats; it also feeds the CLI's --format choices. */
export const EMITTERS = { latex, numpy: { ...numpy, tensor: numpyTensor }, js, mathematica, c: { ...c, tensor: cTensor }, sympy, mathjs, julia, json, html, svg } satisfies Record<string, Emitter>;

/** A key of the emitter registry. */
export type Format = keyof typeof EMITTERS;

export const FORMATS = Object.keys(EMITTERS) as Format[];
