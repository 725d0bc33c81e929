// The number formatter (src/emit/number.ts, through dist/) against the slow, obvious reference on
// millions of values, and against another build of itself byte for byte. Figures, not a test: the
// suite's test/number.test.ts checks 320,000 values; this checks what a change to the formatter must
// keep (run it before and after, and compare the digests, or pass the old build with --against).
//
//   node scripts/number-brute.mjs                        4,000,000 random float32 bit patterns, 1,000,000
//                                                        weight-like float32s, 500,000 float64s, rows
//   node scripts/number-brute.mjs --count 10000000       more random bit patterns
//   node scripts/number-brute.mjs --against /tmp/old/number.js   also compare with that build, value by value
//   node scripts/number-brute.mjs --pow10                every non-whole float32 in [1e-4, 2^23) (about
//                                                        310 million): powerOfTen(a) is its power of ten,
//                                                        the fact the fast path relies on
//
// The reference: toExponential with p = 1, 2, … digits until the text reads back (as the same float32
// under Math.fround for a float32 value, else as the same float64; a whole number up to 2^53 exactly),
// laid out plain for exponents -5…15. Prints the counts, the first differences and a SHA-256 of every
// text the formatter printed (the same seed gives the same values, so equal digests mean byte-identical
// output). Exit 1 on any difference.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const ROOT = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const COUNT = Number(opt('--count') ?? 4_000_000);
const { formatNumber, formatNumbers, numberParts, powerOfTen } = await import(pathToFileURL(`${ROOT}dist/emit/number.js`).href);
const against = opt('--against') ? await import(pathToFileURL(opt('--against')).href) : undefined;

const plain = { scientific: (m, e) => `${m}e${e}`, infinity: 'Infinity', nan: 'NaN' };

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
const fromBits = (b) => {
  bits[0] = b;
  return asFloat[0];
};

if (args.includes('--pow10')) {
  // Every float32 from the first above 1e-4 to 2^23 (all float32s from 2^23 up are whole).
  asFloat[0] = 1e-4;
  let b = asFloat[0] >= 1e-4 ? bits[0] : bits[0] + 1;
  bits[0] = 0x4b000000; // 2^23
  const end = bits[0];
  let checked = 0;
  let wrong = 0;
  for (; b < end; b++) {
    const a = fromBits(b);
    if (Number.isInteger(a)) continue;
    checked++;
    const e = powerOfTen(a);
    // a·10^(8-e) is exact (see number.ts): it has 9 integer digits exactly when e is a's power of ten.
    if (!(a * 10 ** (8 - e) >= 1e8 && a * 10 ** (8 - e) < 1e9)) {
      if (wrong++ < 5) console.log(`powerOfTen off: ${a} (bits 0x${b.toString(16)}): ${e}`);
    }
  }
  console.log(`pow10: ${checked} non-whole float32s in [1e-4, 2^23), ${wrong} with powerOfTen(a) not their power of ten`);
  process.exitCode = wrong ? 1 : 0;
} else {
  /** A seeded generator (mulberry32). */
  const random = (seed) => {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
  };

  const reference = (v) => {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v < 0 ? '-Infinity' : 'Infinity';
    const a = Math.abs(v);
    const f32 = Math.fround(a) === a && !(Number.isInteger(a) && a <= 2 ** 53);
    let text = '0e+0';
    if (a !== 0) {
      for (let p = 1; p <= 17; p++) {
        text = a.toExponential(p - 1);
        if (f32 ? Math.fround(Number(text)) === a : Number(text) === a) break;
      }
    }
    const [mantissa, exp] = text.split('e');
    const e = Number(exp);
    const sign = v < 0 ? '-' : '';
    if (e < -5 || e > 15) return `${sign}${mantissa}e${e}`;
    const digits = mantissa.replace('.', '');
    if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
    if (e >= digits.length - 1) return sign + digits + '0'.repeat(e - digits.length + 1);
    return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  };

  const r = random(0x5eed);
  const hash = createHash('sha256');
  const counts = { values: 0, reference: 0, parts: 0, against: 0, rows: 0 };
  const shown = [];
  const check = (v) => {
    const got = formatNumber(v, plain);
    hash.update(got);
    hash.update(',');
    counts.values++;
    if (got !== reference(v)) {
      counts.reference++;
      if (shown.length < 5) shown.push(`${v}: ${got} vs reference ${reference(v)}`);
    }
    if (Number.isFinite(v)) {
      const p = numberParts(v);
      const back = Number(`${p.negative ? '-' : ''}${p.mantissa}e${p.exponent}`);
      const f32 = Math.fround(v) === v && !(Number.isInteger(v) && Math.abs(v) <= 2 ** 53);
      if ((f32 ? Math.fround(back) : back) !== v && !(v === 0 && back === 0)) {
        counts.parts++;
        if (shown.length < 5) shown.push(`${v}: numberParts ${JSON.stringify(p)}`);
      }
    }
    if (against) {
      const old = against.formatNumber(v, plain);
      if (old !== got || JSON.stringify(against.numberParts(v)) !== JSON.stringify(numberParts(v))) {
        counts.against++;
        if (shown.length < 5) shown.push(`${v}: ${got} vs the other build's ${old}`);
      }
    }
    return v;
  };

  const t0 = Date.now();
  const row = [];
  const flush = () => {
    const joined = formatNumbers(row, 0, row.length, plain, undefined, ', ');
    hash.update(joined);
    counts.rows++;
    if (joined !== row.map((v) => formatNumber(v, plain)).join(', ')) {
      counts.reference++;
      if (shown.length < 5) shown.push(`a row of ${row.length} from ${row[0]}: formatNumbers differs from formatNumber joined`);
    }
    if (against && against.formatNumbers(row, 0, row.length, plain, undefined, ', ') !== joined) counts.against++;
    row.length = 0;
  };
  const add = (v) => {
    row.push(check(v));
    if (row.length === 1000) flush();
  };
  for (let i = 0; i < COUNT; i++) add(fromBits(Math.floor(r() * 2 ** 32)));
  for (let i = 0; i < 1_000_000; i++) add(Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 14 - 8)));
  for (let i = 0; i < 500_000; i++) add((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20));
  // Every float32 within 50 steps of each power of ten from 1e-46 to 1e39, and every whole float32 up to 2^17.
  for (let e = -46; e <= 39; e++) {
    asFloat[0] = 10 ** e;
    const b = bits[0];
    for (let d = -50; d <= 50; d++) if (b + d >= 0 && b + d < 0x7f800000) add(fromBits(b + d));
  }
  for (let i = 0; i <= 2 ** 17; i++) add(i);
  flush();
  console.log(`${counts.values} values (${COUNT} random float32 bit patterns) in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${counts.rows} rows through formatNumbers`);
  console.log(`differences: ${counts.reference} from the reference, ${counts.parts} numberParts not reading back${against ? `, ${counts.against} from ${opt('--against')}` : ''}`);
  for (const s of shown) console.log(`  ${s}`);
  console.log(`sha256 of every text printed: ${hash.digest('hex')}`);
  process.exitCode = counts.reference || counts.parts || counts.against ? 1 : 0;
}
