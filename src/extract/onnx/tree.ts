import { attrInt, attrInts, attrTensor, floatValues, intValues } from '../../load/onnx/attributes.js';
import type { T } from '../../tensor/program.js';
import { tensor, type OnnxContext, type OnnxExtractor } from './context.js';

/** TreeEnsemble's node modes, in the order of its nodes_modes values. */
const MODES = ['leq', 'lt', 'gte', 'gt', 'eq', 'neq', 'member'] as const;

/**
 * TreeEnsemble (ai.onnx.ml, opset 5; onnx/reference/ops/aionnxml/op_tree_ensemble.py) of a
 * [N, F] input: each tree is a nest of choices (where) on comparisons of one feature with its
 * split (≤, <, ≥, >, =, ≠, or membership in a set; NaN goes to the false side unless
 * nodes_missing_value_tracks_true), its leaves constant vectors over the targets (the leaf's
 * weight at its target); the trees' vectors summed (SUM) or averaged (AVERAGE). Built from the
 * leaves up with an explicit stack, never recursion. post_transform, which ONNX's reference does
 * not apply, and the MIN / MAX aggregates are refused. A split is compared exactly (see against).
 */
const treeEnsemble: OnnxExtractor = (ctx) => {
  const shape = ctx.shape(0);
  if (shape.length !== 2) return ctx.fail(`its input has shape [${shape.join(', ')}], expected [N, features]`);
  const node = ctx.node;
  // nodes_modes is a tensor (uint8) in opset 5; the other integer lists are ints.
  const ints = (name: string): number[] => {
    if (node.attributes.get(name)?.type === 'tensor') return intValues(attrTensor(node, name, undefined)!);
    return attrInts(node, name, undefined) ?? ctx.fail(`needs its attribute ${name}`);
  };
  const floats = (name: string) => {
    const t = attrTensor(node, name, undefined);
    return t ? Array.from(floatValues(t)) : undefined;
  };
  const splits = floats('nodes_splits') ?? ctx.fail('needs its attribute nodes_splits');
  const [features, modes, trueIds, falseIds, trueLeaf, falseLeaf, targets, roots] = ['nodes_featureids', 'nodes_modes', 'nodes_truenodeids', 'nodes_falsenodeids', 'nodes_trueleafs', 'nodes_falseleafs', 'leaf_targetids', 'tree_roots'].map(ints);
  const weights = floats('leaf_weights') ?? ctx.fail('needs its attribute leaf_weights');
  const tracks = node.attributes.has('nodes_missing_value_tracks_true') ? ints('nodes_missing_value_tracks_true') : undefined;
  const members = floats('membership_values') ?? [];
  const nTargets = attrInt(node, 'n_targets', NaN);
  const aggregate = attrInt(node, 'aggregate_function', 1);
  if (attrInt(node, 'post_transform', 0) !== 0) return ctx.fail('has a post_transform, which ONNX\'s reference leaves unapplied; nn2eq converts TreeEnsemble without one');
  if (aggregate !== 0 && aggregate !== 1) return ctx.fail(`aggregates its trees by ${aggregate === 2 ? 'MIN' : aggregate === 3 ? 'MAX' : aggregate}; nn2eq converts SUM and AVERAGE`);
  if (!(Number.isInteger(nTargets) && nTargets > 0)) return ctx.fail('needs its attribute n_targets');
  const n = splits.length;
  if ([features, modes, trueIds, falseIds, trueLeaf, falseLeaf].some((a) => a.length !== n) || targets.length !== weights.length) return ctx.fail('its node (or leaf) attributes differ in length');
  // The set of each membership node: members in node order, each set ended by a NaN.
  const sets = new Map<number, number[]>();
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (MODES[modes[i]] !== 'member') continue;
    const set: number[] = [];
    while (at < members.length && !Number.isNaN(members[at])) set.push(members[at++]);
    if (at++ >= members.length) return ctx.fail('its membership_values hold fewer sets than it has membership nodes');
    sets.set(i, set);
  }
  const x = ctx.tensor(0);
  const columns = new Map<number, T>();
  const column = (f: number) => {
    if (!(f >= 0 && f < shape[1])) return ctx.fail(`a node reads feature ${f}, outside 0…${shape[1] - 1}`);
    if (!columns.has(f)) columns.set(f, ctx.op('slice', [x], { begin: [0, f], end: [shape[0], f + 1] }, '_')[0]);
    return columns.get(f)!;
  };
  const map = (fn: Parameters<OnnxContext['map']>[0], args: T[], params: number[] = []) => ctx.map(fn, args, params, '_');
  // A split printed as the shortest decimal of its float32 value would read back as another double
  // (3.14f is 3.1400001049…), and an input equal to the split would fall on the wrong side. So x is
  // compared as x·2^k (or x / 2^k) with the whole number m = s·2^k (s / 2^k): scaling by a power of
  // two is exact, keeps the order, and every number printed is a whole number.
  const scaled = new Map<string, T>();
  const against = (f: number, s: number): [T, number] => {
    const c = column(f);
    if (!Number.isFinite(s) || s === 0 || (Number.isInteger(s) && Math.abs(s) < 2 ** 53)) return [c, s];
    let m = s;
    let k = 0;
    while (!Number.isInteger(m)) [m, k] = [m * 2, k + 1];
    while (Math.abs(m) >= 2 ** 53) [m, k] = [m / 2, k - 1];
    const key = `${f} ${k}`;
    if (!scaled.has(key)) {
      let x = c;
      for (let left = Math.abs(k); left > 0; left -= 60) {
        const p = 2 ** Math.min(left, 60);
        x = k > 0 ? map('affine', [x], [p, 0]) : map('div', [x, ctx.const('c', [], [p])]);
      }
      scaled.set(key, x);
    }
    return [scaled.get(key)!, m];
  };
  const cmp = (fn: 'at_most' | 'less_than' | 'at_least' | 'greater_than' | 'equal_to', f: number, s: number) => {
    const [x, m] = against(f, s);
    return map(fn, [x], [m]);
  };
  const test = (i: number): T => {
    const f = features[i];
    const c = column(f);
    const s = splits[i];
    const mode = MODES[modes[i]] ?? ctx.fail(`node ${i} has mode ${modes[i]}, expected 0…6`);
    const hit = mode === 'member'
      ? (sets.get(i)!.length === 0 ? map('less_than', [c], [-Infinity]) : sets.get(i)!.map((v) => cmp('equal_to', f, v)).reduce((a, b) => map('or', [a, b])))
      : mode === 'leq' ? cmp('at_most', f, s) : mode === 'lt' ? cmp('less_than', f, s) : mode === 'gte' ? cmp('at_least', f, s)
      : mode === 'gt' ? cmp('greater_than', f, s) : mode === 'eq' ? cmp('equal_to', f, s) : map('not', [cmp('equal_to', f, s)]);
    return tracks?.[i] ? map('or', [hit, map('not', [map('equal', [c, c])])]) : hit;
  };
  const leaf = (k: number): T => {
    if (!(k >= 0 && k < weights.length) || !(targets[k] >= 0 && targets[k] < nTargets)) return ctx.fail(`leaf ${k} is missing or has target ${targets[k]}, outside 0…${nTargets - 1}`);
    const v = new Float64Array(nTargets);
    v[targets[k]] = weights[k];
    return ctx.const('leaf', [nTargets], v);
  };
  const trees = roots.map((root) => {
    if (trueLeaf[root] && falseLeaf[root] && trueIds[root] === falseIds[root]) return leaf(root);
    // Post-order over the tree with an explicit stack; a node's value is ready once both children's are.
    const done = new Map<number, T>();
    const child = (i: number, side: 'true' | 'false') => (side === 'true' ? (trueLeaf[i] ? leaf(trueIds[i]) : done.get(trueIds[i])) : falseLeaf[i] ? leaf(falseIds[i]) : done.get(falseIds[i]));
    const stack = [root];
    let steps = 0;
    while (stack.length > 0) {
      if (++steps > 4 * n + 4) return ctx.fail('its nodes do not form trees (a node is reached twice or in a cycle)');
      const i = stack[stack.length - 1];
      if (!(i >= 0 && i < n)) return ctx.fail(`a tree reaches node ${i}, outside 0…${n - 1}`);
      const pending = [[trueLeaf[i], trueIds[i]], [falseLeaf[i], falseIds[i]]].filter(([isLeaf, j]) => !isLeaf && !done.has(j)).map(([, j]) => j);
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      if (!done.has(i)) done.set(i, map('where', [test(i), child(i, 'true')!, child(i, 'false')!]));
    }
    return done.get(root)!;
  });
  const sum = trees.length === 1 ? trees[0] : map('add', trees);
  const y = aggregate === 0 ? ctx.map('affine', [sum], [1 / trees.length, 0], 'h') : ctx.map('affine', [sum], [1, 0], 'h');
  if (y.shape.length !== 2) return ctx.fail('every tree is a single leaf: the output does not depend on the input');
  return [tensor(y, ctx.dtype(0))];
};

/** ONNX op type → extractor for the tree ensembles (ai.onnx.ml, keyed by domain). */
export const treeOps: Record<string, OnnxExtractor> = { 'ai.onnx.ml.TreeEnsemble': treeEnsemble };
