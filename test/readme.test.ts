/**
 * Keeps the README honest: every gallery block is the CLI's real output, the formats tables list
 * exactly the registered formats, every option in the options table is one `--help` knows, the
 * exit codes are the CLI's, and every layer `--list-layers` prints is in the layers table.
 *
 * A gallery example is a marker line `<!-- readme-test: ARGS -->` (or `<!-- readme-test lines=N:
 * ARGS -->` when the README shows only the first N lines) followed at once by a fenced code block.
 * `node scripts/readme-examples.mjs` rewrites the blocks from the built CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../src/cli.js';
import { EMITTERS, FORMATS } from '../src/emit/index.js';
import type { Emitter } from '../src/emit/types.js';
import { ROOT } from './helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
  return { code, out, err };
}

interface Example {
  args: string;
  lines?: number;
  block: string;
}

/** The gallery examples: a marker line, then at once a fenced block (its text up to the closing fence). */
function examples(): Example[] {
  const re = /^<!-- readme-test(?: lines=(\d+))?: (.+?) -->\n```[^\n]*\n([\s\S]*?)^```$/gm;
  return [...README.matchAll(re)].map((m) => ({ args: m[2], lines: m[1] === undefined ? undefined : Number(m[1]), block: m[3] }));
}

interface Table {
  header: string[];
  rows: string[][];
}

/** Splits a Markdown table line into its cells; `\|` is a pipe inside a cell. */
const cells = (line: string) => line.replace(/\\\|/g, '\u0000').slice(1, -1).split('|').map((c) => c.replace(/\u0000/g, '|').trim());

/** Every Markdown table of the README: a header line, a line of dashes, then rows. */
function tables(): Table[] {
  const lines = README.split('\n');
  const found: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].startsWith('|') || !/^\|[-| ]+\|$/.test(lines[i + 1])) continue;
    const rows: string[][] = [];
    for (let j = i + 2; j < lines.length && lines[j].startsWith('|'); j++) rows.push(cells(lines[j]));
    found.push({ header: cells(lines[i]), rows });
  }
  return found;
}

/** The rows of every table whose header's first cell is `first`. */
const tableRows = (first: string) => tables().filter((t) => t.header[0] === first).flatMap((t) => t.rows);

/** `name` in backquotes, the way the tables write a format. */
const code = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell;

/** A path argument relative to the repository resolves against it, so the test runs from any folder. */
const resolveArg = (a: string) => (!a.startsWith('-') && existsSync(join(ROOT, a)) ? join(ROOT, a) : a);

describe('README gallery: every block is the CLI output byte for byte', () => {
  const all = examples();

  it('every marker is followed at once by a code block', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.length).toBe(README.match(/<!-- readme-test/g)!.length);
  });

  for (const ex of all) {
    it(`nn2eq ${ex.args}${ex.lines ? ` (first ${ex.lines} lines)` : ''}`, async () => {
      const r = await run(ex.args.split(/\s+/).map(resolveArg));
      expect(r.err).toBe('');
      expect(r.code).toBe(EXIT.ok);
      if (ex.lines === undefined) {
        expect(ex.block).toBe(r.out);
      } else {
        const shown = r.out.split('\n').slice(0, ex.lines).join('\n') + '\n';
        expect(r.out.length, 'a truncated block should leave something out').toBeGreaterThan(shown.length);
        expect(ex.block).toBe(shown);
      }
    });
  }
});

describe('README tables agree with the tool', () => {
  it('the formats tables list every registered format once, and no other', () => {
    const listed = tableRows('format').map((row) => code(row[0]));
    expect([...listed].sort()).toEqual([...FORMATS].sort());
  });

  it('the table with a tensor-form column lists exactly the formats that have a tensor form', () => {
    const both = tables().filter((t) => t.header[0] === 'format' && t.header.includes('tensor form'));
    expect(both.length).toBe(1);
    const withTensor = FORMATS.filter((f) => (EMITTERS as Record<string, Emitter>)[f].tensor !== undefined);
    expect(both[0].rows.map((row) => code(row[0])).sort()).toEqual([...withTensor].sort());
  });

  it('every option in the options table is an option of --help', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(EXIT.ok);
    const rows = tableRows('option');
    expect(rows.length).toBeGreaterThan(10);
    const options = rows.flatMap((row) => row[0].match(/(?<![\w-])--?[a-zA-Z][\w-]*/g) ?? []);
    expect(options.length).toBeGreaterThan(rows.length);
    for (const opt of options) expect(help.out, `${opt} is not in nn2eq --help`).toMatch(new RegExp(`(^|[\\s,])${opt}([\\s,]|$)`, 'm'));
  });

  it('the exit codes table lists the CLI exit codes', () => {
    const codes = tableRows('exit code').map((row) => Number(row[0]));
    expect(codes.sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });

  it('every layer --list-layers prints is named in the layers table', async () => {
    const r = await run(['--list-layers']);
    expect(r.code).toBe(EXIT.ok);
    const table = tableRows('family').map((row) => row[1]).join(' ');
    const names = new Set(table.match(/[A-Za-z0-9]+/g));
    const missing = r.out.trim().split('\n').filter((name) => !names.has(name));
    expect(missing).toEqual([]);
  });
});
