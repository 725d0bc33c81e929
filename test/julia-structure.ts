import { expect } from 'vitest';

// What can be checked of a Julia tensor-form text without julia (Debian packages none): shared by
// the numeric form's tests (tensor-julia) and --weights symbolic's (symbolic-tensor-wl-mathjs-julia).

const BUILTINS = new Set([
  'size', 'zeros', 'fill', 'reshape', 'permutedims', 'cat', 'repeat', 'reverse', 'vec', 'maximum', 'max', 'min', 'exp', 'log', 'tanh',
  'abs', 'sqrt', 'erf', 'sigmoid', 'softplus', 'ifelse', 'nothing', 'end', 'for', 'in', 'return', 'dims', 'inner', 't', 'predict',
]);

/**
 * Blocks open and close at the same indentation, every name predict reads is defined before (module
 * constants, helpers, earlier assignments), every weight text holds as many Julia Float64 literals as
 * its shape has elements, and indices start at 1. With --weights symbolic the weights are fields of
 * `const PARAMS = (…)`, and predict reads each as `params.<field>` of its first argument.
 */
export function checkStructure(text: string): void {
  const lines = text.split('\n');
  const code: string[] = [];
  const consts = new Map<string, { shape: number[]; count: number }>();
  const fields = new Set<string>();
  const defined = new Set<string>(BUILTINS);
  let inParams = false;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === 'const PARAMS = (') inParams = true;
    else if (inParams && lines[i] === ')') inParams = false;
    const w = (inParams ? /^ {4}(\w+) = _w\("""$/ : /^const (\w+) = _w\("""$/).exec(lines[i]);
    if (w) {
      let count = 0;
      for (i++; !lines[i].startsWith('"""'); i++) {
        for (const n of lines[i].split(' ')) {
          expect(n, `${w[1]}: a number Julia's parse(Float64, …) reads`).toMatch(/^-?(\d+(\.\d+)?(e-?\d+)?|Inf|NaN)$/);
          count++;
        }
      }
      const shape = (inParams ? /^""", \(([\d, ]*)\)\),$/ : /^""", \(([\d, ]*)\)\)$/).exec(lines[i]);
      expect(shape, lines[i]).not.toBeNull();
      expect(consts.has(w[1]), `${w[1]} is defined once`).toBe(false);
      consts.set(w[1], { shape: shape![1].split(',').filter((s) => s.trim()).map(Number), count });
      (inParams ? fields : defined).add(w[1]);
      continue;
    }
    if (!inParams && !lines[i].startsWith('#')) code.push(lines[i]);
  }
  expect(inParams, 'PARAMS is closed').toBe(false);
  for (const [name, c] of consts) expect(c.count, `${name} has one number per element`).toBe(c.shape.reduce((a, b) => a * b, 1));
  // Blocks: every opener is closed by an `end` at its indentation.
  const open: { indent: number; line: string }[] = [];
  for (const line of code) {
    const indent = line.length - line.trimStart().length;
    if (/^\s*(function|for|if|while|let|begin)\b/.test(line)) open.push({ indent, line });
    else if (/^\s*end\s*$/.test(line)) {
      const o = open.pop();
      expect(o, 'an end without an opener').toBeDefined();
      expect(indent, `the end of '${o!.line.trim()}'`).toBe(o!.indent);
    }
  }
  expect(open.map((o) => o.line)).toEqual([]);
  // Module-level definitions: helpers and element-wise functions.
  for (const line of code) {
    const f = /^(?:function )?(_\w+)\(.*\)( =|$)/.exec(line);
    if (f) defined.add(f[1]);
  }
  // predict reads only names defined before (in text order).
  const start = code.findIndex((l) => l.startsWith('function predict('));
  expect(start).toBeGreaterThanOrEqual(0);
  const args = /\(([^)]*)\)/.exec(code[start])![1].split(', ');
  if (fields.size > 0) expect(args[0], 'with PARAMS, predict takes params first').toBe('params');
  for (const p of args) defined.add(p);
  for (const line of code.slice(start + 1)) {
    const stripped = line.replace(/"[^"]*"/g, '""').replace(/\b(dims|inner)=/g, '');
    const assign = /^\s*([\w, ]+?) = (.*)$/.exec(stripped);
    const loop = /^\s*for (\w+) in (.*)$/.exec(stripped);
    const rhs = assign && !/\[/.test(assign[1]) ? assign[2] : loop ? loop[2] : stripped;
    for (const m of rhs.matchAll(/(?<![\w.:])([A-Za-z_]\w*)/g)) expect(defined.has(m[1]), `'${m[1]}' is defined before: ${line.trim()}`).toBe(true);
    for (const m of rhs.matchAll(/(?<![\w.])params\.(\w+)/g)) expect(fields.has(m[1]), `params.${m[1]} is a field of PARAMS`).toBe(true);
    if (assign && !/\[/.test(assign[1])) assign[1].split(', ').forEach((n) => defined.add(n.trim()));
    if (loop) defined.add(loop[1]);
  }
  // Indices and ranges from 1; no lowercase nan/inf spelled as names.
  expect(text).not.toMatch(/\[0[:,\]]|[[, ]0:\d/);
  expect(code.join('\n')).not.toMatch(/\b(nan|inf|Infinity|np)\b/);
}
