import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, SHARED } from './helpers.js';

/** The same input gives the same bytes whatever the locale and time zone of the process. */
const ENVS: Record<string, string>[] = [
  { LANG: 'C', LC_ALL: 'C', TZ: 'UTC' },
  { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', TZ: 'Europe/Berlin' },
  { LANG: 'ar_EG.UTF-8', LC_ALL: 'ar_EG.UTF-8', TZ: 'Pacific/Kiritimati' },
  { LANG: 'hi_IN.UTF-8', LC_ALL: 'hi_IN.UTF-8', TZ: 'America/St_Johns' },
];

function cli(args: string[], env: Record<string, string>): string {
  const p = spawnSync(process.execPath, [join(ROOT, 'bin', 'nn2eq.js'), ...args], { encoding: 'buffer', env: { ...process.env, ...env, FORCE_COLOR: '0' } });
  expect(p.status, p.stderr.toString()).toBe(0);
  return p.stdout.toString('base64');
}

describe('output bytes do not depend on LANG or TZ', () => {
  const models: [string, string[]][] = [
    ['fixtures/mathematica_3_2_2_2', [join(FIXTURES, 'mathematica_3_2_2_2', 'model.json')]],
    ['fixtures/rnn_gru_reset_after', [join(FIXTURES, 'rnn_gru_reset_after', 'model.json')]],
    ['test/models/community .keras', [join(SHARED, 'community', 'auto_mpg_normalization_dnn_keras3', 'dnn_model.keras')]],
  ];
  for (const [name, args] of models) {
    for (const format of ['latex', 'numpy', 'js', 'mathematica']) {
      it(`${name} as ${format}`, () => {
        const outs = ENVS.map((env) => cli([...args, '-f', format, '--precision', '6'], env));
        for (const o of outs.slice(1)) expect(o).toBe(outs[0]);
        // Run twice in one environment as well.
        expect(cli([...args, '-f', format, '--precision', '6'], ENVS[1])).toBe(outs[0]);
      }, 60_000);
    }
  }
});
