import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, EMITTERS, FORMATS, type ConvertOptions } from '../src/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames } from './helpers.js';

/** Fixtures that hold another fixture's weights in another layout: their output must be that fixture's. */
const SAME_OUTPUT_AS: Record<string, string> = { two_shards: 'quant_base' };

// Golden files guard formatting byte for byte; numeric.test.ts guards the values.
describe('golden output', () => {
  for (const name of fixtureNames().filter((n) => !(n in SAME_OUTPUT_AS))) {
    // svg pictures are tens of kB of glyph paths each: emit-svg.test.ts keeps two goldens and checks every fixture's rendering.
    for (const format of FORMATS.filter((f) => f !== 'svg')) {
      it(`${name} as ${format}`, async () => {
        const { text } = await convertFile(join(FIXTURES, name, 'model.json'), { format, ...FIXTURE_OPTIONS[name] });
        await expect(text).toMatchFileSnapshot(`golden/${name}.${EMITTERS[format].extension}`);
      });
    }
  }

  const variants: [string, string, Omit<ConvertOptions, 'format'>][] = [
    ['mathematica_3_2_2_2', 'inline', { inline: true }],
    ['medium_1_3_2_1', 'inline', { inline: true }],
    ['mathematica_3_2_2_2', 'precision3', { precision: 3 }],
    ['functional_chain', 'named', { inputNames: ['a', 'b', 'c', 'd'], outputNames: ['p', 'q', 'r'] }],
  ];
  for (const [name, tag, opts] of variants) {
    for (const format of FORMATS.filter((f) => f !== 'svg')) {
      it(`${name} ${tag} as ${format}`, async () => {
        const { text } = await convertFile(join(FIXTURES, name, 'model.json'), { format, ...opts });
        await expect(text).toMatchFileSnapshot(`golden/${name}.${tag}.${EMITTERS[format].extension}`);
      });
    }
  }

  it('latex --standalone', async () => {
    const { text } = await convertFile(join(FIXTURES, 'mathematica_3_2_2_2', 'model.json'), { format: 'latex', standalone: true });
    await expect(text).toMatchFileSnapshot('golden/mathematica_3_2_2_2.standalone.tex');
  });

  for (const [name, twin] of Object.entries(SAME_OUTPUT_AS)) {
    it(`${name} prints exactly what ${twin} prints, in every format`, async () => {
      for (const format of FORMATS) {
        const a = (await convertFile(join(FIXTURES, name, 'model.json'), { format })).text;
        expect(a).toBe((await convertFile(join(FIXTURES, twin, 'model.json'), { format })).text);
      }
    });
  }

  it('is byte-identical across runs', async () => {
    for (const format of FORMATS) {
      const a = (await convertFile(join(FIXTURES, 'deep40', 'model.json'), { format })).text;
      const b = (await convertFile(join(FIXTURES, 'deep40', 'model.json'), { format })).text;
      expect(a).toBe(b);
    }
  });
});
