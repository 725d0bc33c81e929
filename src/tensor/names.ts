import type { Equation, TensorId, TensorProgram } from './program.js';

// Identifiers for a program's tensors: the lowering (scalarize) and every tensor-form printer name them alike.

/** A printable identifier for every tensor of a program, unique, in the plain-identifier style. */
export function tensorNames(p: TensorProgram): string[] {
  const names = new Array<string>(p.tensors.length);
  const taken = new Set<string>();
  const unique = (base: string): string => {
    let n = base;
    for (let k = 2; taken.has(n); k++) n = `${base}_${k}`;
    taken.add(n);
    return n;
  };
  p.inputs.forEach((port, i) => (names[port.tensor.id] = unique(`input${i + 1}`)));
  for (const call of p.calls) call.outputs.forEach((t) => names[t.id] ?? (names[t.id] = unique(`h${call.number || 'p'}`)));
  let temps = 0;
  const used = new Set(constantsUsed(p));
  p.tensors.forEach((t, id) => {
    if (names[id] !== undefined || (t.kind === 'const' && !used.has(id))) return;
    const role = t.role.replace(/[^A-Za-z0-9]/g, '') || 't';
    if (t.role === '_' || t.role === 'v') names[id] = unique(`t${++temps}`);
    else names[id] = unique(`${role}${t.layer}`);
  });
  return names;
}

/** The constant tensors a program reads, in first-use order. */
export function constantsUsed(p: TensorProgram): TensorId[] {
  const seen = new Set<TensorId>();
  const out: TensorId[] = [];
  const visit = (eqs: readonly Equation[]) => {
    for (const eq of eqs) {
      for (const a of eq.args) {
        if (p.tensors[a].kind === 'const' && !seen.has(a)) {
          seen.add(a);
          out.push(a);
        }
      }
      if (eq.body) visit(eq.body.equations);
    }
  };
  visit(p.equations);
  return out;
}
