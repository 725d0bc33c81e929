import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { loadModel } from '../src/index.js';
import { samplePoints } from '../src/transform/taylor.js';
import { oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { FIXTURES, readReference } from './helpers.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

const model = (name: string) => join(FIXTURES, name, 'model.json');

describe('transform options on the command line', () => {
  it('--format json --taylor prints nn2poly\'s shape, and it evaluates to TF.js within the stated bound', async () => {
    const r = await run([model('mathematica_3_2_2_2'), '-f', 'json', '--taylor', '3', '--range', '-0.4:0.4']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { labels: number[][]; values: number[][]; at: number[]; notes: string[] };
    expect(doc.labels.slice(0, 5)).toEqual([[0], [1], [2], [3], [1, 1]]);
    expect(doc.labels).toHaveLength(20);
    expect(doc.values[0]).toHaveLength(2);
    const bound = Number(/\|error\| <= ([\d.e+-]+)/.exec(doc.notes.join(' '))![1]);
    // nn2poly's evaluation: each label multiplies the variables it lists (0 is the intercept).
    const xs = samplePoints([[-0.4, 0.4], [-0.4, 0.4], [-0.4, 0.4]], 40);
    const tf = await oracleModel(await loadModel(model('mathematica_3_2_2_2')));
    const [want] = await oraclePredict(tf, readReference(join(FIXTURES, 'mathematica_3_2_2_2')).input_shapes, xs.map((x) => Float64Array.from(x)));
    xs.forEach((x, i) => {
      for (let k = 0; k < 2; k++) {
        const y = doc.labels.reduce((s, l, j) => s + doc.values[j][k] * l.reduce((m, v) => (v === 0 ? m : m * x[v - 1]), 1), 0);
        expect(Math.abs(y - want[i][k])).toBeLessThanOrEqual(bound + 1e-6);
      }
    });
  });
  it('--format json without --taylor or --fit prints the IR program (the json emitter), not a polynomial', async () => {
    const r = await run([model('mathematica_3_2_2_2'), '-f', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ format: 'nn2eq-ir', version: 1 });
  });
  it('--verify with --jacobian is refused (exit 2)', async () => {
    const r = await run([model('mathematica_3_2_2_2'), '--jacobian', '--verify']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--verify compares with the model's predictions/);
  });
  it('--jacobian with --taylor is refused', async () => {
    const r = await run([model('mathematica_3_2_2_2'), '--jacobian', '--taylor', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/choose one/);
  });
  it('--taylor on a ReLU model: exit 2 with the --input-range hint', async () => {
    const r = await run([model('act_relu'), '--taylor', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/hint: use --input-range/);
  });
  it('--input-range with the wrong number of ranges', async () => {
    const r = await run([model('mathematica_3_2_2_2'), '--input-range', '0:1,0:1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--input-range gives 2 ranges, but the model has 3 scalar inputs/);
  });
  it('--range is used by --taylor without --verify (no "no effect" warning)', async () => {
    const r = await run([model('medium_1_3_2_1'), '-f', 'numpy', '--taylor', '2', '--range', '-0.1:0.1']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^# Taylor polynomial of order 2/m);
  });
  it('--expand with --verify still verifies (exact transform)', async () => {
    const r = await run([model('medium_1_3_2_1'), '-f', 'js', '--expand', '--verify']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Math\.exp\(2 \*/);
  }, 60_000);
});
