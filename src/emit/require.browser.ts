import katex from 'katex';
import { Nn2eqError } from '../errors.js';

/** The page's stand-in for require.ts: KaTeX is bundled; MathJax (the svg format) is not. */
export function requirePackage(name: string): any {
  if (name === 'katex') return katex;
  throw new Nn2eqError(`the page does not bundle ${name.split('/')[0]}, which this format needs`, 'unsupported', 'run the nn2eq command line for this format');
}
