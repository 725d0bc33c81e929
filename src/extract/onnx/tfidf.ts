import { attribute, attrInt, attrInts, attrString } from '../../load/onnx/attributes.js';
import { isInteger } from '../../tensor/dtype.js';
import type { T } from '../../tensor/program.js';
import { tensor, type OnnxContext, type OnnxExtractor } from './context.js';

/**
 * The n-grams of TfIdfVectorizer's pool that it counts, as ONNX's reference builds its trie
 * (op_tfidf_vectorizer.py): pool_int64s holds the n-grams of size 1, 2, … from ngram_counts[0],
 * ngram_counts[1], …; each is numbered from 1 in pool order (sizes outside min…max_gram_length
 * are numbered but not kept), and n-gram number i counts into output column ngram_indexes[i − 1].
 * A repeated n-gram keeps its last number, as the trie's node does.
 */
function poolGrams(ctx: OnnxContext, min: number, max: number): Map<string, { gram: number[]; column: number }> {
  const pool = attrInts(ctx.node, 'pool_int64s', []);
  const counts = attrInts(ctx.node, 'ngram_counts', []);
  const indexes = attrInts(ctx.node, 'ngram_indexes', []);
  const grams = new Map<string, { gram: number[]; column: number }>();
  let id = 1;
  counts.forEach((start, i) => {
    const size = i + 1;
    const end = i + 1 < counts.length ? counts[i + 1] : pool.length;
    const n = Math.floor(Math.max(0, end - start) / size);
    for (let k = 0; k < n; k++, id++) {
      if (size < min || size > max) continue;
      const gram = pool.slice(start + k * size, start + (k + 1) * size);
      const column = indexes[id - 1];
      if (column === undefined) return ctx.fail(`numbers ${id} n-grams, but ngram_indexes has ${indexes.length} entries`);
      grams.set(gram.join(','), { gram, column });
    }
  });
  return grams;
}

/**
 * TfIdfVectorizer of integers (an input [C] or [B, C]; strings stay refused): per row, how often
 * each pool n-gram occurs, as ONNX's reference counts (op_tfidf_vectorizer.py): for each skip
 * distance d = 1 … max_skip_count + 1, the items x[s], x[s + d], …, x[s + (k−1)·d] of every start s
 * form an n-gram of size k, for k from min_gram_length (2 when d > 1: unigrams count once) to
 * max_gram_length. Static shapes: for each size k and distance d, the k shifted slices of x are
 * compared with the pool's k-grams of that size (a broadcast equal), their product marks a match
 * at each start, and one dense sum adds the marks into their columns. Mode TF gives the counts,
 * IDF the weight (1 without weights) where the count is positive, TFIDF the count times the weight.
 */
const tfIdfVectorizer: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0, 'x');
  const dtype = ctx.dtype(0);
  if (!isInteger(dtype)) return ctx.fail(`vectorizes ${dtype} values; nn2eq counts n-grams of integers (strings take no part in a formula)`);
  if (x.shape.length < 1 || x.shape.length > 2) return ctx.fail(`expects an input [C] or [B, C], found [${x.shape.join(', ')}]`);
  const min = attrInt(ctx.node, 'min_gram_length', 1);
  const max = attrInt(ctx.node, 'max_gram_length', 1);
  const skips = attrInt(ctx.node, 'max_skip_count', 0);
  const mode = attrString(ctx.node, 'mode', 'TF');
  if (mode !== 'TF' && mode !== 'IDF' && mode !== 'TFIDF') return ctx.fail(`mode is '${mode}', expected TF, IDF or TFIDF`);
  const indexes = attrInts(ctx.node, 'ngram_indexes', []);
  const width = indexes.length === 0 ? 0 : Math.max(...indexes) + 1;
  const lead = x.shape.slice(0, -1);
  const c = x.shape[x.shape.length - 1];
  const grams = [...poolGrams(ctx, min, max).values()];
  const pairs: T[] = [];
  // Item t of every k-gram, one constant for all distances.
  const items = new Map<string, T>();
  const item = (of: { gram: number[] }[], k: number, t: number): T => {
    const key = `${k}:${t}`;
    if (!items.has(key)) items.set(key, ctx.const('grams', [of.length], of.map((g) => g.gram[t])));
    return items.get(key)!;
  };
  for (let d = 1; d <= skips + 1; d++) {
    for (let k = Math.max(min, d > 1 ? 2 : 1); k <= max; k++) {
      const of = grams.filter((g) => g.gram.length === k);
      const starts = c - (k - 1) * d;
      if (of.length === 0 || starts <= 0) continue;
      // Item t of the n-gram at each start: [..., starts, 1], compared with item t of every k-gram: [..., starts, G].
      const hits = Array.from({ length: k }, (_, t) => {
        const slice = ctx.op('slice', [x], { begin: x.shape.map((_, i) => (i === lead.length ? t * d : 0)), end: x.shape.map((n, i) => (i === lead.length ? t * d + starts : n)) }, '_')[0];
        return ctx.map('equal', [ctx.reshape(slice, [...lead, starts, 1], '_'), item(of, k, t)], [], '_');
      });
      const match = hits.slice(1).reduce((a, b) => ctx.map('and', [a, b], [], '_'), hits[0]);
      // Each (start, n-gram) mark adds one to the n-gram's column.
      const columns = new Float64Array(starts * of.length * width);
      for (let s = 0; s < starts; s++) of.forEach((g, j) => (columns[(s * of.length + j) * width + g.column] = 1));
      pairs.push(ctx.reshape(match, [...lead, starts * of.length], '_'), ctx.const('columns', [starts * of.length, width], columns));
    }
  }
  const counts = pairs.length > 0 ? ctx.op('dense', pairs, { pairs: pairs.length / 2, bias: false }, mode === 'TF' ? 'h' : '_')[0] : ctx.const('zeros', [...lead, width], new Float64Array((lead[0] ?? 1) * width));
  if (mode === 'TF') return [tensor(counts, 'float32')];
  const weights = attribute(ctx.node, 'weights', 'floats', [] as number[]);
  const w = ctx.const('weights', [width], weights.length > 0 ? weights.slice(0, width) : new Float64Array(width).fill(1));
  const y = mode === 'IDF' ? ctx.map('mul', [ctx.map('greater_than', [counts], [0], '_'), w]) : ctx.map('mul', [counts, w]);
  return [tensor(y, 'float32')];
};

/** ONNX op type → extractor for TfIdfVectorizer. */
export const tfidfOps: Record<string, OnnxExtractor> = {
  TfIdfVectorizer: tfIdfVectorizer,
};
