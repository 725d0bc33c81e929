import { createRequire } from 'node:module';

/**
 * Loads a package synchronously (emit is synchronous) for the formats that render math: KaTeX
 * for html, MathJax for svg. The page's bundle swaps this module for require.browser.ts.
 */
export const requirePackage: (name: string) => any = createRequire(import.meta.url);
