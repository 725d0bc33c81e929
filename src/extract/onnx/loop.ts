import { attribute } from '../../load/onnx/attributes.js';
import { konst, type OnnxContext, type Val } from './context.js';
import { stack, type RunBody } from './scan.js';

/** The most iterations an unrolled Loop may take (each copies the body into the formula). */
const MAX_STEPS = 4096;

/**
 * Loop (onnx/reference/ops/op_loop.py) whose trip count and conditions are known when the formula
 * is written, unrolled: the body runs once per iteration on the iteration number, the condition
 * and the loop-carried values; the final carried values are outputs, and each scan output's
 * per-iteration values are stacked along a new first axis. A trip count or condition that depends
 * on the inputs would make the number of iterations (and the scan outputs' length) depend on them:
 * refused.
 */
export function runLoop(ctx: OnnxContext, runBody: RunBody): Val[] {
  const body = attribute(ctx.node, 'body', 'graph', undefined) ?? ctx.fail('the body attribute is missing');
  const n = ctx.node.inputs.length - 2;
  if (n < 0 || body.inputs.length !== n + 2 || body.outputs.length < n + 1) return ctx.fail(`the body takes ${body.inputs.length} inputs and gives ${body.outputs.length} outputs, which do not fit ${Math.max(n, 0)} loop-carried values`);
  const trips = ctx.has(0) ? ctx.constant(0, 'trip count M').values[0] : Infinity;
  const known = (v: Val, what: string): boolean => {
    if (v.kind !== 'const') return ctx.fail(`${what} depends on the inputs, so the number of iterations does too`, 'fix it when converting (--bind), or export the loop unrolled');
    return v.values[0] !== 0;
  };
  let go = ctx.has(1) ? known(ctx.val(1), 'its condition (input cond)') : true;
  let carried = Array.from({ length: n }, (_, i) => ctx.val(2 + i));
  const k = body.outputs.length - 1 - n;
  const scans: Val[][] = Array.from({ length: k }, () => []);
  let i = 0;
  for (; i < trips && go; i++) {
    if (i >= MAX_STEPS) return ctx.fail(`runs more than ${MAX_STEPS} iterations, each a copy of its body in the formula`);
    const bound = new Map<string, Val>([
      [body.inputs[0].name, konst([], [i], 'int64')],
      [body.inputs[1].name, konst([], [1], 'bool')],
    ]);
    carried.forEach((v, j) => bound.set(body.inputs[2 + j].name, v));
    const res = runBody(body, bound);
    go = known(res[0], "the body's condition");
    carried = res.slice(1, 1 + n);
    res.slice(1 + n).forEach((v, j) => scans[j].push(v));
  }
  if (k > 0 && i === 0) return ctx.fail('runs no iteration, so its scan outputs are empty and have no shape to take from an iteration');
  return [...carried, ...scans.map((vs) => stack(ctx, vs, 0))];
}
