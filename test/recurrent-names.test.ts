/**
 * Every row of a recurrent model's scalar LaTeX has a name that says what it is (issue 23, item 3):
 * a gate's input projection is a^{(k)}_{g,t=s,j}, the parts of a split one \hat{x} / \hat{h}, GRU's
 * r ⊙ h_{t−1} is (r ⊙ h); no anonymous t_k remains, and no name is defined twice.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/convert.js';
import { FIXTURE_OPTIONS, FIXTURES, SHARED, fixtureNames } from './helpers.js';

const onnx = (name: string) => {
  const dir = join(SHARED, 'onnx', name);
  return join(dir, readdirSync(dir).find((f) => f.endsWith('.onnx'))!);
};

const MODELS: [string, string, object][] = [
  ...fixtureNames().map((n): [string, string, object] => [n, join(FIXTURES, n, 'model.json'), FIXTURE_OPTIONS[n] ?? {}]),
  ...['test_gru_batchwise', 'test_gru_seq_length', 'test_lstm_batchwise', 'test_lstm_with_initial_bias', 'test_rnn_seq_length', 'test_simple_rnn_defaults'].map((n): [string, string, object] => [`onnx/${n}`, onnx(n), {}]),
  ['frugally-deep GRU reset_after', join(SHARED, 'frugally-deep', 'gru_reset_after_units1_stateless', 'temp_stateless.h5'), {}],
];

describe('recurrent models: every scalar LaTeX row is named', () => {
  let recurrent = 0;
  for (const [name, path, opts] of MODELS) {
    it(name, async () => {
      const { text, program } = await convertFile(path, { format: 'latex', form: 'scalar', ...opts });
      if (!program.equations.some((e) => e.op === 'scan')) return;
      recurrent++;
      expect(text).not.toMatch(/t_\{\d+\}/);
      const lhs = text.split('\n').map((l) => /^([^&]+) &= /.exec(l)?.[1]).filter((l): l is string => l !== undefined);
      expect(new Set(lhs).size).toBe(lhs.length);
      // Each family of derived names is defined in the where block.
      for (const [used, defined] of [
        [/^a\^\{\(\d+\)\}_\{([a-z]|\\tilde\{h\}),t=/, /\\quad a\^\{\(k\)\}_\{[a-z\\{}]+,t=s,j\} \\text\{ is the weighted sum inside \} /],
        [/^\\hat\{x\}/, /\\quad \\hat\{x\}\^\{\(k\)\}_\{[^}]+\}?,t=s,j\} \\text\{ is the inputs' weighted sum inside \} /],
        [/^\\hat\{h\}/, /\\quad \\hat\{h\}\^\{\(k\)\}_\{[^}]+\}?,t=s,j\} \\text\{ is the state's weighted sum inside \} /],
        [/^\\left\(r \\odot h\\right\)/, /\\quad \\left\(r \\odot h\\right\)\^\{\(k\)\}_\{t=s,j\} \\text\{ is \} r\^/],
      ] as const) {
        if (lhs.some((l) => used.test(l))) expect(text).toMatch(defined);
      }
    });
  }

  it('the issue: keras1_lstm (hard-sigmoid gates) starts with the input gate\'s projection', async () => {
    const { text } = await convertFile(join(FIXTURES, 'keras1_lstm', 'model.json'), { format: 'latex', form: 'scalar' });
    expect(text.split('\n')[1]).toMatch(/^a\^\{\(1\)\}_\{i,t=1,1\} &= -?0\.\d+ x_\{1\} [-+] /);
    expect(text).toContain('i^{(1)}_{t=1,1} &= \\min\\left(1, \\max\\left(0, 0.2 a^{(1)}_{i,t=1,1} + 0.5\\right)\\right)');
  });

  it('covers the recurrent fixtures', () => expect(recurrent).toBeGreaterThanOrEqual(20));
});
