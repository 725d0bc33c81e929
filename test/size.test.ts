import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertModel, FORMATS, loadModel, Nn2eqError } from '../src/index.js';
import { FIXTURES, SHARED } from './helpers.js';

describe('output size', () => {
  it('an LSTM over 100 steps prints about 10 times what it prints over 10 steps, in every format', async () => {
    const model = await loadModel(join(FIXTURES, 'rnn_lstm_10_steps', 'model.json'));
    const over = (steps: number) => ({ ...model, inputs: model.inputs.map((i) => ({ ...i, shape: [steps, ...i.shape.slice(1)] })) });
    // svg draws the LaTeX rows and is capped at 1 MB of LaTeX; the text formats are what grows here.
    for (const format of FORMATS.filter((f) => f !== 'svg')) {
      const ten = convertModel(over(10), { format }).length;
      const hundred = convertModel(over(100), { format }).length;
      const ratio = hundred / ten;
      expect(ratio, `${format}: ${ten} → ${hundred} bytes`).toBeGreaterThan(8);
      // Linear growth; step numbers gain a digit past 9 and 99, hence a little over 10.
      expect(ratio, `${format}: ${ten} → ${hundred} bytes`).toBeLessThan(12);
    }
  }, 60_000);

  const mobilenet = join(SHARED, 'nsfwjs', 'mobilenet_v2_quant_uint8', 'model.json');
  it('a MobileNetV2 is refused before it is built, naming the layer where it passes --max-size', async () => {
    const model = await loadModel(mobilenet);
    let err: unknown;
    try {
      convertModel(model, { format: 'js' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Nn2eqError);
    expect((err as Nn2eqError).kind).toBe('too-large');
    expect((err as Nn2eqError).message).toMatch(/pass --max-size 256\.0 MB while building layer '\w+' \(Conv2D, \d+ of 162\)/);
  }, 60_000);
});
