import { attrFloat, attrString } from '../../load/onnx/attributes.js';
import { isFloat } from '../../tensor/dtype.js';
import type { T } from '../../tensor/program.js';
import { tensor, type OnnxContext, type OnnxExtractor, type Val } from './context.js';

/**
 * The optimizer steps of ai.onnx.preview.training (Adagrad, Momentum, Adam), element-wise formulas
 * of the learning rate R, the update count T and each tensor's X, G and state, as
 * onnx/reference/ops/aionnx_preview_training/op_*.py compute them. Where T = 0 changes the rule
 * (Momentum's first step, Adam's bias correction), the formula chooses (where), so the rule not
 * taken (Adam's 0/0 at T = 0) never reaches the result.
 */
function step(ctx: OnnxContext, states: number, update: (s: Ops, r: T, t: T, x: T, g: T, state: T[]) => T[]): Val[] {
  const n = (ctx.node.inputs.length - 2) / (2 + states);
  if (!Number.isInteger(n) || n < 1) return ctx.fail(`has ${ctx.node.inputs.length} inputs, expected R, T and ${2 + states} tensors per updated tensor`);
  for (let i = 2; i < ctx.node.inputs.length; i++) if (!isFloat(ctx.dtype(i))) return ctx.fail(`updates ${ctx.dtype(i)} values; ONNX defines ${ctx.node.opType} for floating-point tensors`);
  for (const i of [0, 1]) if (ctx.shape(i).reduce((a, d) => a * d, 1) !== 1) return ctx.fail(`its ${i === 0 ? 'learning rate R' : 'update count T'} has shape [${ctx.shape(i).join(', ')}], expected one value`);
  const ops = opsOf(ctx);
  const r = ctx.reshape(ctx.tensor(0), []);
  const t = ctx.reshape(ctx.tensor(1), []);
  const outs: Val[][] = Array.from({ length: 1 + states }, () => []);
  for (let k = 0; k < n; k++) {
    const at = (j: number) => ctx.tensor(2 + j * n + k);
    const ys = update(ops, r, t, at(0), at(1), Array.from({ length: states }, (_, j) => at(2 + j)));
    ys.forEach((y, j) => outs[j].push(tensor(y, ctx.dtype(2 + k))));
  }
  return outs.flat();
}

interface Ops {
  c(v: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  lin(a: T, scale: number, offset?: number): T;
  sqrt(a: T): T;
  pow(a: T, b: T): T;
  /** a where T > 0, else b. */
  ifStarted(t: T, a: T, b: T): T;
}

function opsOf(ctx: OnnxContext): Ops {
  const m = (fn: Parameters<OnnxContext['map']>[0], args: T[], params: number[] = []) => ctx.map(fn, args, params, '_');
  return {
    c: (v) => ctx.const('c', [], [v]),
    add: (a, b) => m('add', [a, b]),
    sub: (a, b) => m('sub', [a, b]),
    mul: (a, b) => m('mul', [a, b]),
    div: (a, b) => m('div', [a, b]),
    lin: (a, scale, offset = 0) => m('affine', [a], [scale, offset]),
    sqrt: (a) => m('sqrt', [a]),
    pow: (a, b) => m('power', [a, b]),
    ifStarted: (t, a, b) => m('where', [m('greater_than', [t], [0]), a, b]),
  };
}

const adagrad: OnnxExtractor = (ctx) => {
  const decay = attrFloat(ctx.node, 'decay_factor', 0);
  const eps = attrFloat(ctx.node, 'epsilon', 0);
  const norm = attrFloat(ctx.node, 'norm_coefficient', 0);
  return step(ctx, 1, (o, r, t, x, g, [h]) => {
    const rate = o.div(r, o.lin(t, decay, 1));
    const greg = o.add(o.lin(x, norm), g);
    const hNew = o.add(h, o.mul(greg, greg));
    return [o.sub(x, o.div(o.mul(rate, greg), o.lin(o.sqrt(hNew), 1, eps))), hNew];
  });
};

const momentum: OnnxExtractor = (ctx) => {
  const alpha = attrFloat(ctx.node, 'alpha', NaN);
  const beta = attrFloat(ctx.node, 'beta', NaN);
  const norm = attrFloat(ctx.node, 'norm_coefficient', NaN);
  const mode = attrString(ctx.node, 'mode', '');
  if ([alpha, beta, norm].some(Number.isNaN)) return ctx.fail('needs its attributes alpha, beta and norm_coefficient');
  if (mode !== 'standard' && mode !== 'nesterov') return ctx.fail(`mode is '${mode}', expected 'standard' or 'nesterov'`);
  return step(ctx, 1, (o, r, t, x, g, [v]) => {
    const greg = o.add(o.lin(x, norm), g);
    // The gradient's coefficient is 1 at the first update (T = 0).
    const vNew = o.add(o.lin(v, alpha), o.mul(o.ifStarted(t, o.c(beta), o.c(1)), greg));
    const delta = mode === 'standard' ? vNew : o.add(greg, o.lin(vNew, alpha));
    return [o.sub(x, o.mul(r, delta)), vNew];
  });
};

const adam: OnnxExtractor = (ctx) => {
  const alpha = attrFloat(ctx.node, 'alpha', 0.9);
  const beta = attrFloat(ctx.node, 'beta', 0.999);
  const eps = attrFloat(ctx.node, 'epsilon', 0);
  const norm = attrFloat(ctx.node, 'norm_coefficient', 0);
  const post = attrFloat(ctx.node, 'norm_coefficient_post', 0);
  return step(ctx, 2, (o, r, t, x, g, [v, h]) => {
    const greg = o.add(o.lin(x, norm), g);
    const vNew = o.add(o.lin(v, alpha), o.lin(greg, 1 - alpha));
    const hNew = o.add(o.lin(h, beta), o.lin(o.mul(greg, greg), 1 - beta));
    // Bias correction from the second update on: R·√(1 − βᵀ)/(1 − αᵀ), which is 0/0 at T = 0.
    const corrected = o.div(o.mul(r, o.sqrt(o.lin(o.pow(o.c(beta), t), -1, 1))), o.lin(o.pow(o.c(alpha), t), -1, 1));
    const rate = o.ifStarted(t, corrected, r);
    const xNew = o.sub(x, o.mul(rate, o.div(vNew, o.lin(o.sqrt(hNew), 1, eps))));
    return [o.lin(xNew, 1 - post), vNew, hNew];
  });
};

/** Extractors of the ai.onnx.preview.training domain, keyed by domain and op type. */
export const trainingOps: Record<string, OnnxExtractor> = {
  'ai.onnx.preview.training.Adagrad': adagrad,
  'ai.onnx.preview.training.Momentum': momentum,
  'ai.onnx.preview.training.Adam': adam,
};
