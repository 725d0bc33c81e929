import { Prec, type Fn, trigPrinters, TRIG_NAMES, TRIG } from '../../ir/ops.js';
import type { Name, Program } from '../../schedule.js';
import { hasParams, inputNames, outputNames, paramLayout, plainName, tableName, tableRows, usedFunctions } from '../common.js';
import { formatNumber } from '../number.js';
import { render, type Syntax } from '../render.js';
import type { EmitOptions, Emitter } from '../types.js';

export const SYMPY_NUMBERS = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'oo', nan: 'nan' };

const PY_KEYWORDS = ['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield'];
const SYMPY_NAMES = ['params', 'PARAMS', 'Abs', 'Eq', 'Float', 'Function', 'Heaviside', 'Max', 'Piecewise', 'Gt', 'Ge', 'Ne', 'Min', 'erf', 'exp', 'log', 'nan', 'oo', 'sqrt', 'symbols', 'tanh', 'inputs', 'bindings', 'outputs', 'closed_form', 'E', 'I', 'N', 'S', 'O', 'Q'];

/** The SymPy names comparisons and choices print with (imported where used). */
export const SYMPY_RELATIONAL = ['Piecewise', 'Gt', 'Ge', 'Ne'];

/** The functions SymPy provides; sigmoid and softplus are lowered to exp and log (SymPy has no such functions). */
export const SYMPY_SUPPORTS: ReadonlySet<Fn> = new Set<Fn>(['exp', 'log', 'tanh', 'erf', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG]);

/** SymPy's scalar syntax: op templates and known functions, shared by the scalar and tensor forms. */
export function sympySyntax(name: (n: Name) => string): Syntax {
  return {
    numbers: SYMPY_NUMBERS,
    scientificPrec: Prec.Atom,
    name,
    times: '*',
    mul: (a, b) => `${a}*${b}`,
    div: (a, b) => `${a}/${b}`,
    divParens: true,
    pow: (a, b) => `${a}**${b}`,
    lookup: (t, index, column) => `${tableName(t)}(${index.text}, ${column})`,
    functions: {
      exp: (a) => `exp(${a})`,
      log: (a) => `log(${a})`,
      tanh: (a) => `tanh(${a})`,
      sigmoid: (a) => `1/(1 + exp(-(${a})))`,
      erf: (a) => `erf(${a})`,
      softplus: (a) => `log(1 + exp(${a}))`,
      abs: (a) => `Abs(${a})`,
      sqrt: (a) => `sqrt(${a})`,
      step: (a) => `Heaviside(${a}, 0)`,
      floor: (a) => `floor(${a})`,
      trunc: (a) => `(sign(${a})*floor(Abs(${a})))`,
      ...trigPrinters(TRIG_NAMES),
      max: (a, b) => `Max(${a}, ${b})`,
      min: (a, b) => `Min(${a}, ${b})`,
    },
    compare: (op, a, b) => `${{ gt: 'Gt', ge: 'Ge', eq: 'Eq', ne: 'Ne' }[op]}(${a.text}, ${b.text})`,
    bool: (c) => `Piecewise((1, ${c}), (0, True))`,
    select: (c, a, b) => `Piecewise((${a.text}, ${c}), (${b.text}, True))`,
  };
}

/** Lines of at most about 100 characters that declare `names` as real SymPy symbols. */
function declare(names: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < names.length; ) {
    let j = i;
    let len = 0;
    while (j < names.length && (j === i || len + names[j].length < 80)) len += names[j++].length + 1;
    const group = names.slice(i, j);
    lines.push(`${group.join(', ')} = symbols('${group.join(' ')}', real=True)`);
    i = j;
  }
  return lines;
}

/**
 * Python source that builds the model as SymPy expressions: real symbols x1…xN, the intermediate
 * values as equations `Eq(h1_1, …)` in dependency order (`bindings`), the outputs as `Eq(y1, …)`
 * (`outputs`), and `closed_form()` to substitute them away.
 */
export const sympy: Emitter = {
  description: 'Python source building SymPy expressions (Eq per value)',
  extension: 'sympy.py',
  supports: SYMPY_SUPPORTS,
  reserved: new Set([...PY_KEYWORDS, ...SYMPY_NAMES]),
  symbolicWeights: true,
  emit(program: Program, opts: EmitOptions): string {
    const name = (n: Name) => plainName(n, opts, '_');
    // --weights symbolic: every weight a real symbol W1_0_1 (tensor name, then its 0-based index).
    const paramName = (t: { name: string }, idx: readonly number[]) => [t.name, ...idx].join('_');
    const syntax: Syntax = { ...sympySyntax(name), param: paramName };
    const r = render(program, syntax, opts);
    const ins = inputNames(program, name).flat();
    const outs = outputNames(program, name).flat();
    const hidden = r.bindings.map((b) => name(b.name));
    const used = usedFunctions(program);
    const tables = program.graph.tables;
    const imports = new Set(['Eq', 'symbols']);
    const importOf: Partial<Record<string, string>> = { exp: 'exp', log: 'log', tanh: 'tanh', erf: 'erf', abs: 'Abs', sqrt: 'sqrt', step: 'Heaviside', max: 'Max', min: 'Min' };
    for (const f of used) if (importOf[f]) imports.add(importOf[f]!);
    if (used.has('floor')) imports.add('floor');
    for (const f of TRIG) if (used.has(f)) imports.add(f);
    if (used.has('trunc')) for (const n of ['sign', 'floor', 'Abs']) imports.add(n);
    if (tables.length > 0) for (const n of ['Float', 'Function', 'nan']) imports.add(n);
    const all = [...r.bindings.map((b) => b.text), ...r.outputs].join('\n');
    if (/\boo\b/.test(all)) imports.add('oo');
    if (/\bnan\b/.test(all)) imports.add('nan');
    for (const n of SYMPY_RELATIONAL) if (all.includes(`${n}(`)) imports.add(n);
    const symbolic = hasParams(program);
    const paramSymbols: string[] = [];
    const paramValues: string[] = [];
    for (const t of program.graph.params) {
      for (let i = 0; i < t.values.length; i++) {
        const idx: number[] = [];
        for (let k = t.shape.length - 1, rest = i; k >= 0; k--) {
          idx.unshift(rest % t.shape[k]);
          rest = Math.floor(rest / t.shape[k]);
        }
        paramSymbols.push(paramName(t, idx));
        paramValues.push(formatNumber(t.values[i], SYMPY_NUMBERS, opts.precision));
      }
    }
    const lines: string[] = [];
    lines.push(`# Generated by nn2eq from model '${opts.modelName}' (scalar form${symbolic ? ', symbolic weights' : ''}). Do not edit.`);
    if (symbolic) {
      lines.push('# The weights are real symbols: params lists them, tensor by tensor, each row-major (W1_0_1 is W1[0][1]);');
      lines.push('# PARAMS maps each to its trained value (expr.xreplace(PARAMS) gives the numeric model):');
      lines.push(...paramLayout(program.graph.params).map((l) => `#${l}`));
    }
    lines.push(`# Inputs ${ins.length === 1 ? ins[0] : `${ins[0]}…${ins[ins.length - 1]}`}: the model's inputs flattened row-major, one after another:`);
    program.inputs.forEach((p, i) => lines.push(`#   ${ins[p.offset]}…${ins[p.offset + p.size - 1]} = input ${i + 1}, shape [${p.shape.join(', ')}]`));
    lines.push('# bindings: intermediate values in dependency order; outputs: one equation per scalar output.');
    for (const note of opts.notes ?? []) lines.push(`# ${note}`);
    lines.push(`from sympy import ${[...imports].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0)).join(', ')}`);
    tables.forEach((t, i) => {
      const n = tableName(i);
      lines.push('', `_${n}_rows = [`, ...tableRows(t, SYMPY_NUMBERS, opts.precision).map((row) => `    [${row.join(', ')}],`), ']');
      lines.push('', '', `class ${n}(Function):`);
      lines.push(`    """Lookup table ${i + 1}: ${t.rows} rows (by integer id, from 0) of ${t.cols} values; row trunc(id), or nan when there is no such row."""`);
      lines.push('', '    @classmethod', '    def eval(cls, id, col):', '        if id.is_Number and col.is_Integer:');
      lines.push('            if not id.is_finite:', '                return nan', '            r = int(id)');
      lines.push(`            return Float(_${n}_rows[r][int(col)]) if 0 <= r < len(_${n}_rows) else nan`);
      lines.push('');
    });
    lines.push('', ...declare(ins));
    if (symbolic) lines.push(...declare(paramSymbols));
    if (hidden.length > 0) lines.push(...declare(hidden));
    lines.push(...declare(outs));
    lines.push('', `inputs = [${ins.join(', ')}]`);
    if (symbolic) {
      lines.push(`params = [${paramSymbols.join(', ')}]`);
      lines.push('PARAMS = {', ...paramSymbols.map((p, i) => `    ${p}: ${paramValues[i]},`), '}');
    }
    if (r.bindings.length === 0) lines.push('bindings = []');
    else lines.push('bindings = [', ...r.bindings.map((b) => `    Eq(${name(b.name)}, ${b.text}),`), ']');
    lines.push('outputs = [', ...outs.map((y, i) => `    Eq(${y}, ${r.outputs[i]}),`), ']');
    lines.push('', '', 'def closed_form():');
    lines.push('    """The outputs as expressions of the inputs alone (they can grow exponentially with depth)."""');
    lines.push('    env = {}', '    for eq in bindings:', '        env[eq.lhs] = eq.rhs.xreplace(env)', '    return [eq.rhs.xreplace(env) for eq in outputs]', '');
    return lines.join('\n');
  },
};
