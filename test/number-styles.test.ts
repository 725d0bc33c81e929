import { describe, expect, it } from 'vitest';
import { formatNumber, formatNumbers, JSON_NUMBERS } from '../src/emit/number.js';

// JSON_NUMBERS, the number style of the JSON format and of the mathjs files' PARAMS line: every
// number printed in it is JSON that JSON.parse reads back as the same number (float32 values as the
// same float32), and JSON's missing Infinity and NaN are the strings "Infinity", "-Infinity" and "NaN".
describe('JSON_NUMBERS', () => {
  it('prints numbers JSON.parse reads back, in plain and scientific layout', () => {
    const values = [0, -0, 1, -2.5, 1e21, -1.5e-30, 2 ** 31, 1 / 3, Math.fround(0.1), Math.fround(-7.25e-6), 3.4028234663852886e38, 123456789012345680000];
    const wrong = values.filter((v) => {
      const back = JSON.parse(formatNumber(v, JSON_NUMBERS)) as number;
      return Math.fround(v) === v ? Math.fround(back) !== v : back !== v;
    });
    expect(wrong).toEqual([]);
    expect(formatNumber(1e-30, JSON_NUMBERS)).toBe('1e-30');
  });
  it('prints Infinity, -Infinity and NaN as JSON strings, the minus inside the string (the mathjs PARAMS line printed -"Infinity", which is not JSON)', () => {
    expect(JSON.parse(`[${formatNumbers([Infinity, -Infinity, NaN, 0.5], 0, 4, JSON_NUMBERS, undefined, ', ')}]`)).toEqual(['Infinity', '-Infinity', 'NaN', 0.5]);
    expect(formatNumber(-Infinity, JSON_NUMBERS)).toBe('"-Infinity"');
  });
});
