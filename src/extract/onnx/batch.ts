import { Nn2eqError } from '../../errors.js';
import { evaluateOutputs } from '../../ir/evaluate.js';
import type { OnnxModel } from '../../load/onnx/types.js';
import { isFloat, type DType } from '../../tensor/dtype.js';
import type { TensorProgram } from '../../tensor/program.js';
import { scalarize } from '../../tensor/scalarize.js';

/** Past this much let-form text a model is too big to probe twice (the check is skipped). */
const PROBE_BUDGET = 2_000_000;

/** Deterministic sample values (xorshift32): floats in [-1, 1), integers −9…9 (an index out of range gives NaN on both sides), bool 0/1. */
function samples(seed: number, n: number, dtype: DType): number[] {
  let s = Math.imul(seed, 2654435761) >>> 0 || 1;
  const out: number[] = [];
  // The first draws of a small seed are small: skip them.
  for (let i = -8; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const u = s / 2 ** 32;
    if (i >= 0) out.push(dtype === 'bool' ? (u < 0.5 ? 0 : 1) : isFloat(dtype) ? 2 * u - 1 : Math.floor(19 * u) - 9);
  }
  return out;
}

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-9 * (1 + Math.abs(b));

/**
 * nn2eq takes a symbolic leading dimension of an input for the batch and prints the formula of one
 * sample (the program built with that axis of length 1). That is the model only when it treats the
 * samples independently: a ReduceSum, Softmax or recurrence over that axis (an LSTM exported with
 * dynamic_axes on its time axis), or a Reshape across it, mixes them, and the per-sample formula
 * gives other numbers for every batch of more than one. Checked by computing: `build` makes the
 * program with that axis of length 3, and a batch of three samples must give each sample's own
 * outputs. Three, not two: an exporter's trace writes its batch into Slice bounds, and
 * torch.roll(x, 1, 0) traced at a batch of 3 is Concat(x[2:], x[:2]), the identity on a batch of two.
 * Refused in one line otherwise, and when the graph cannot take a batch of three; skipped when
 * the model is too big to evaluate twice.
 */
export function checkBatchIndependent(model: OnnxModel, one: TensorProgram, batched: readonly { name: string; full: readonly number[] }[], build: (shapes: ReadonlyMap<string, readonly number[]>) => TensorProgram): void {
  const input = batched[0];
  const fixed = ['N', ...input.full.slice(1)].join('x');
  const refuse = (what: string): never => {
    throw new Nn2eqError(
      `${model.file}: the model mixes the samples along the symbolic leading axis of input '${input.name}', which nn2eq takes for the batch: ${what}, so no per-sample formula computes it`,
      'unsupported',
      `give that axis a fixed length N with --input-shape ${input.name}:${fixed} (for a recurrent model exported with its time axis first, N is the sequence length)`,
    );
  };
  const B = 3;
  let many: TensorProgram;
  try {
    many = build(new Map(batched.map((b) => [b.name, [B, ...b.full.slice(1)]])));
  } catch (e) {
    // A graph that cannot take three samples (inputs whose leading axes differ in length, a shape
    // fixed at one sample) does not compute each sample on its own either.
    return refuse(`it cannot compute a batch of three (${e instanceof Error ? e.message.replace(/^.*?: /, '').split('; hint')[0] : String(e)})`);
  }
  let p1;
  let p2;
  try {
    p1 = scalarize(one, { sizeBudget: PROBE_BUDGET });
    p2 = scalarize(many, { sizeBudget: PROBE_BUDGET });
  } catch {
    return;
  }
  const dtypeOf = (name: string): DType => (model.graph.inputs.find((i) => i.name === name)?.elemType ?? 'float32') as DType;
  const isBatched = new Set(batched.map((b) => b.name));
  // Three probes of B samples: one draw, the same draw negated (bool: complemented), another draw. One draw can
  // hide a mix: a Max of a sample and its neighbour's flipped value picks each sample's own value
  // when both samples are positive.
  const rows1: number[][] = [];
  const rows2: number[][] = [];
  for (let t = 0; t < 3; t++) {
    const each: number[][] = Array.from({ length: B }, () => []);
    const all: number[] = [];
    one.inputs.forEach((port, k) => {
      const n = p1.inputs[k].size;
      const dtype = dtypeOf(port.name);
      const draw = (seed: number) => {
        const x = samples(seed + (t === 2 ? 1000 : 0), n, dtype);
        return t === 1 ? x.map((v) => (dtype === 'bool' ? 1 - v : -v)) : x;
      };
      const xs = isBatched.has(port.name) ? each.map((_, s) => draw(B * k + 11 + s)) : [draw(B * k + 11)];
      each.forEach((row, s) => row.push(...xs[Math.min(s, xs.length - 1)]));
      for (const x of xs) all.push(...x);
    });
    rows1.push(...each);
    rows2.push(all);
  }
  const y1 = evaluateOutputs(p1.graph, p1.outputIds, rows1);
  const y2 = evaluateOutputs(p2.graph, p2.outputIds, rows2);
  for (let k = 0; k < p1.outputs.length; k++) {
    const o1 = p1.outputs[k];
    const o2 = p2.outputs[k];
    const ok = y2.every((yall, t) => {
      const want = Array.from({ length: B }, (_, s) => y1[B * t + s].slice(o1.offset, o1.offset + o1.size));
      const got = yall.slice(o2.offset, o2.offset + o2.size);
      return o2.size === B * o1.size
        ? want.every((w, s) => w.every((v, i) => same(got[s * o1.size + i], v)))
        : o2.size === o1.size && want.every((w) => w.every((v, i) => same(got[i], v)));
    });
    if (!ok) refuse(`output '${o1.name}' of a batch of three is not each sample's own output`);
  }
}
