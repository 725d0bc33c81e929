import katex from 'katex';
import { Nn2eqError } from '../../errors.js';

/**
 * The page's stand-in for require.ts: KaTeX is bundled; MathJax (the svg format) is a separate
 * chunk that `preloadPackages` imports before the svg format is emitted (emit is synchronous).
 */
const loaded = new Map<string, unknown>([['katex', katex]]);

export function requirePackage(name: string): any {
  if (loaded.has(name)) return loaded.get(name);
  throw new Nn2eqError(`the page has not loaded ${name.split('/')[0]}, which this format needs`, 'unsupported', 'run the nn2eq command line for this format');
}

/** Imports what `format` needs before it is emitted: MathJax's modules for svg. */
export async function preloadPackages(format: string): Promise<void> {
  if (format !== 'svg' || loaded.has('mathjax-full/js/mathjax.js')) return;
  const mods = await Promise.all([
    import('mathjax-full/js/mathjax.js'),
    import('mathjax-full/js/input/tex.js'),
    import('mathjax-full/js/output/svg.js'),
    import('mathjax-full/js/adaptors/liteAdaptor.js'),
    import('mathjax-full/js/handlers/html.js'),
    import('mathjax-full/js/input/tex/AllPackages.js'),
  ]);
  ['mathjax.js', 'input/tex.js', 'output/svg.js', 'adaptors/liteAdaptor.js', 'handlers/html.js', 'input/tex/AllPackages.js'].forEach((p, i) => loaded.set(`mathjax-full/js/${p}`, (mods[i] as { default?: unknown }).default ?? mods[i]));
}
