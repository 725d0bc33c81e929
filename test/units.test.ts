import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, formatNumber, Graph, lower } from '../src/index.js';
import { convertModel } from '../src/convert.js';
import type { ModelSpec } from '../src/load/spec.js';

const plain = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'Infinity', nan: 'NaN' };

describe('number formatting', () => {
  it.each([
    [Math.fround(0.1), '0.1'],
    [Math.fround(-0.1), '-0.1'],
    [0.1, '0.1'],
    [Math.fround(1 / 3), '0.33333334'],
    [1 / 3, '0.3333333333333333'],
    [2, '2'],
    [0, '0'],
    [Math.fround(1.5e-7), '1.5e-7'],
    [Math.fround(123456.7), '123456.7'],
    [1e21, '1e21'],
    [2 ** 31, '2147483648'],
    [-(2 ** 30), '-1073741824'],
    [0.00001, '0.00001'],
    [NaN, 'NaN'],
    [-Infinity, '-Infinity'],
  ])('%s prints as %s', (v, text) => expect(formatNumber(v, plain)).toBe(text));

  it('--precision rounds to significant digits', () => {
    expect(formatNumber(Math.fround(0.123456), plain, 3)).toBe('0.123');
    expect(formatNumber(1234.5, plain, 2)).toBe('1200');
  });

  it('every float32 reads back exactly, and no shorter text would', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const text = formatNumber(v, plain);
        expect(Math.fround(Number(text)) === Math.fround(v)).toBe(true);
        // Whole numbers print exactly: they may be integer tensors' values (2^31 is not 2147483600).
        if (Number.isInteger(v) && Math.abs(v) <= 2 ** 53) {
          expect(Number(text) === v).toBe(true);
          return;
        }
        const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
        if (digits.length > 1) {
          const shorter = Math.abs(v).toPrecision(digits.length - 1);
          expect(Math.fround(Number(shorter))).not.toBe(Math.abs(v));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('IR', () => {
  it('stores equal sub-expressions once', () => {
    const g = new Graph();
    const a = g.affine([g.input(0), g.input(1)], [0.5, -2], 1);
    const b = g.affine([g.input(0), g.input(1)], [0.5, -2], 1);
    expect(a).toBe(b);
    expect(g.fn('tanh', a)).toBe(g.fn('tanh', b));
    expect(g.max(g.constant(0), a)).toBe(g.max(a, g.constant(0)));
    expect(g.affine([g.input(0), g.input(1)], [0.5, -2.0000001], 1)).not.toBe(a);
  });

  it('folds constants', () => {
    const g = new Graph();
    expect(g.constValue(g.fn('exp', g.constant(0)))).toBe(1);
    expect(g.constValue(g.affine([g.constant(2), g.constant(3)], [1, 2], 1))).toBe(9);
  });

  it('lowering keeps the values (property test on random inputs)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: 2, maxLength: 2 }), ([x, y]) => {
        const g = new Graph();
        const s = g.affine([g.input(0), g.input(1)], [0.7, -1.3], 0.2);
        const out = [g.fn('sigmoid', s), g.fn('softplus', g.mul(s, g.fn('tanh', g.input(0)))), g.fn('tanh', g.fn('sigmoid', g.input(1)))];
        const low = lower(g, out, new Set(['exp', 'log', 'tanh']));
        expect(low.graph.nodes.some((n) => n.op === 'sigmoid' || n.op === 'softplus')).toBe(false);
        const before = evaluate(g, [x, y]);
        const after = evaluate(low.graph, [x, y]);
        out.forEach((o, i) => {
          const a = before[o];
          const b = after[low.outputs[i]];
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 + 1e-9 * Math.abs(a));
        });
      }),
    );
  });
});

describe('depth', () => {
  it('a 3000-layer model converts in every format without overflowing the stack', () => {
    const n = 3000;
    const layers: ModelSpec['layers'] = [{ name: 'in', className: 'InputLayer', config: { batch_input_shape: [null, 2] }, inbound: [], weights: new Map() }];
    for (let i = 0; i < n; i++) {
      const inDim = 2;
      layers.push({
        name: `d${i}`,
        className: 'Dense',
        config: { units: 2, activation: 'tanh' },
        inbound: [[{ layer: layers[layers.length - 1].name, node: 0, tensor: 0 }]],
        weights: new Map([
          ['kernel', { name: 'k', shape: [inDim, 2], values: Float32Array.from([0.5, -0.25, 0.125, 0.75]) }],
          ['bias', { name: 'b', shape: [2], values: Float32Array.from([0.1, -0.1]) }],
        ]),
      });
    }
    const model: ModelSpec = {
      file: 'deep', name: 'deep', kerasMajor: 2, layers, sources: [], warnings: [],
      inputs: [{ ref: { layer: 'in', node: 0, tensor: 0 }, shape: [2] }],
      outputs: [{ layer: `d${n - 1}`, node: 0, tensor: 0 }],
    };
    for (const format of ['latex', 'numpy', 'js', 'mathematica'] as const) {
      const text = convertModel(model, { format });
      expect(text.length).toBeLessThan(2_000_000);
    }
  });
});
