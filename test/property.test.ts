import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMITTERS, type Format } from '../src/emit/index.js';
import type { Port } from '../src/extract/index.js';
import { evaluate } from '../src/ir/evaluate.js';
import { Graph, type NodeId } from '../src/ir/graph.js';
import type { Fn } from '../src/ir/ops.js';
import { schedule } from '../src/schedule.js';
import { lower } from '../src/transform/lower.js';
import { python, runJs, runNumpy, runWolfram } from './helpers.js';
import { withPython } from './check.js';

/**
 * Random scalar IR graphs, printed by every code emitter in both forms (let form and --inline),
 * evaluated in each text's own runtime and compared with the IR's float64 evaluator. Finds
 * printing bugs no fixture happens to make: precedence, signs, parentheses around powers.
 */

const N_IN = 3;
/** Constants are float32 values, so the exact printing reads back the same number. */
const CONSTS = [0.5, -0.5, 2, -2, 3, 0.25, -1, 1.5, 1e-3, -7.25, 10].map(Math.fround);
const FNS: Fn[] = ['tanh', 'sigmoid', 'abs', 'erf', 'softplus', 'exp', 'step'];

type Step =
  | { op: 'scale' | 'shift'; a: number; c: number }
  | { op: 'add' | 'sub' | 'mul' | 'max' | 'min'; a: number; b: number }
  | { op: 'neg'; a: number }
  | { op: 'pow'; a: number; e: number }
  | { op: 'fn'; a: number; f: Fn }
  | { op: 'affine'; a: number; b: number; c: number; d: number; bias: number }
  | { op: 'div'; a: number; b: number };

const idx = fc.nat();
const k = fc.constantFrom(...CONSTS);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constantFrom('scale' as const, 'shift' as const), a: idx, c: k }),
  fc.record({ op: fc.constantFrom('add' as const, 'sub' as const, 'mul' as const, 'max' as const, 'min' as const), a: idx, b: idx }),
  fc.record({ op: fc.constant('neg' as const), a: idx }),
  fc.record({ op: fc.constant('pow' as const), a: idx, e: fc.constantFrom(2, 3, -1, 0.5, -2) }),
  fc.record({ op: fc.constant('fn' as const), a: idx, f: fc.constantFrom(...FNS) }),
  fc.record({ op: fc.constant('affine' as const), a: idx, b: idx, c: k, d: k, bias: k }),
  fc.record({ op: fc.constant('div' as const), a: idx, b: idx }),
);
/** A program: steps over earlier values (indices taken modulo what exists), and which values are outputs. */
const programArb = fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 12 }), outs: fc.array(idx, { minLength: 1, maxLength: 3 }) });

function build(p: { steps: Step[]; outs: number[] }): { graph: Graph; outputIds: NodeId[] } {
  const g = new Graph();
  const v: NodeId[] = Array.from({ length: N_IN }, (_, i) => g.input(i));
  const at = (i: number) => v[i % v.length];
  for (const s of p.steps) {
    switch (s.op) {
      case 'scale': v.push(g.scale(at(s.a), s.c)); break;
      case 'shift': v.push(g.shift(at(s.a), s.c)); break;
      case 'add': v.push(g.add(at(s.a), at(s.b))); break;
      case 'sub': v.push(g.sub(at(s.a), at(s.b))); break;
      case 'mul': v.push(g.mul(at(s.a), at(s.b))); break;
      case 'max': v.push(g.max(at(s.a), at(s.b))); break;
      case 'min': v.push(g.min(at(s.a), at(s.b))); break;
      case 'neg': v.push(g.neg(at(s.a))); break;
      // Powers of a positive base only (|x| + 1): fractional and negative exponents stay real and finite.
      case 'pow': v.push(g.pow(s.e === 2 || s.e === 3 ? at(s.a) : g.shift(g.fn('abs', at(s.a)), 1), s.e)); break;
      case 'fn': v.push(g.fn(s.f, s.f === 'exp' ? g.fn('tanh', at(s.a)) : at(s.a))); break;
      case 'affine': v.push(g.affine([at(s.a), at(s.b)], [s.c, s.d], s.bias)); break;
      // A divisor of 1 + x² never vanishes.
      case 'div': v.push(g.div(at(s.a), g.shift(g.mul(at(s.b), at(s.b)), 1))); break;
    }
  }
  // Outputs are among the computed values, so the text has something to print.
  const computed = v.slice(N_IN);
  return { graph: g, outputIds: p.outs.map((o) => computed[o % computed.length]) };
}

function render(format: Format, graph: Graph, outputIds: NodeId[], inline: boolean): string {
  const emitter = EMITTERS[format];
  const inputs: Port[] = [{ name: 'input', shape: [N_IN], offset: 0, size: N_IN }];
  const outputs: Port[] = [{ name: 'output', shape: [outputIds.length], offset: 0, size: outputIds.length }];
  const lowered = lower(graph, outputIds, emitter.supports);
  const program = schedule(lowered.graph, inputs, outputs, lowered.outputs, inline);
  return emitter.emit(program, { inline, maxSize: 1e8, modelName: 'property' });
}

const POINTS = [
  [0.3, -0.7, 0.9],
  [-1.2, 0.4, 2.5],
  [0, 0.5, -0.5],
].map((p) => p.map(Math.fround));

function expectClose(got: number[][], graph: Graph, outputIds: NodeId[], what: string): void {
  POINTS.forEach((p, i) => {
    const v = evaluate(graph, p);
    outputIds.forEach((id, j) => {
      const want = v[id];
      const g = got[i][j];
      if (Number.isNaN(want) && Number.isNaN(g)) return;
      if (!Number.isFinite(want) || !Number.isFinite(g)) {
        expect(g, `${what}: point ${i} output ${j}`).toBe(want);
        return;
      }
      expect(Math.abs(g - want), `${what}: point ${i} output ${j}: got ${g}, want ${want}`).toBeLessThanOrEqual(1e-9 + 1e-7 * Math.abs(want));
    });
  });
}

describe('random IR printed in every format evaluates to the IR', () => {
  it('the (0.5*x1)**2 case: a power of a scaled value', async () => {
    const g = new Graph();
    const sq = g.pow(g.scale(g.input(0), 0.5), 2);
    for (const inline of [false, true]) {
      const text = render('js', g, [sq], inline);
      expectClose(await runJs(text, POINTS.map((p) => [p])), g, [sq], `js inline=${inline}\n${text}`);
    }
  });

  it('js, in node (200 graphs, both forms)', async () => {
    await fc.assert(
      fc.asyncProperty(programArb, async (p) => {
        const { graph, outputIds } = build(p);
        for (const inline of [false, true]) {
          const text = render('js', graph, outputIds, inline);
          expectClose(await runJs(text, POINTS.map((pt) => [pt])), graph, outputIds, `js inline=${inline}\n${text}`);
        }
      }),
      { numRuns: 200, seed: 14 },
    );
  }, 120_000);

  for (const format of ['numpy', 'mathematica'] as const) {
    withPython(`${format}, in ${format === 'numpy' ? 'python3' : "SymPy's parser"} (25 graphs, both forms)`, async () => {
      await fc.assert(
        fc.asyncProperty(programArb, async (p) => {
          const { graph, outputIds } = build(p);
          for (const inline of [false, true]) {
            const text = render(format, graph, outputIds, inline);
            const got = format === 'numpy' ? await runNumpy(text, POINTS.map((pt) => [pt])) : await runWolfram(text, POINTS.map((pt) => [pt]));
            expectClose(got, graph, outputIds, `${format} inline=${inline}\n${text}`);
          }
        }),
        { numRuns: 25, seed: 14 },
      );
    }, 300_000);
  }
  void python;
});
