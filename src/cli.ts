import { closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { addOnnxOptions, onnxConvertOptions } from './cli/onnx.js';
import { AUTO_SCALAR_LIMIT, convertFile, DEFAULT_MAX_SIZE, DEFAULT_MAX_SIZE_INLINE, FORMS, type Form } from './convert.js';
import { EMITTERS, FORMATS, type Format } from './emit/index.js';
import { DTYPES, type Dtype } from './emit/types.js';
import { Nn2eqError } from './errors.js';
import { addListOptions, handleLists, isSubcommand, runSubcommand } from './commands/index.js';
import { addTransformOptions, checkFormat, formatChoices, transformOptions, transformUsesRange } from './cli/transform.js';
import { chooseFormat, commanderError, ignoredOptions, parseFormat } from './cli/options.js';
import { terminalProgress } from './cli/progress.js';

/** Exit codes: 0 success, 1 a check failed (--verify), 2 bad input or usage, 70 an internal error. */
export const EXIT = { ok: 0, failed: 1, input: 2, internal: 70 } as const;

/** Where the CLI writes; tests pass their own. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  stdinIsTTY: boolean;
}

/**
 * `text` in pieces of about 16M characters (never splitting a surrogate pair): writing a tensor
 * form of hundreds of MB at once made a UTF-8 copy of all of it beside the text.
 */
function pieces(text: string, each: (piece: string) => void): void {
  const size = 1 << 24;
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + size);
    if (end < text.length && /[\ud800-\udbff]/.test(text[end - 1])) end--;
    each(text.slice(at, end));
    at = end;
  }
}

const defaultIo: Io = {
  stdout: (t) => pieces(t, (piece) => process.stdout.write(piece)),
  stderr: (t) => process.stderr.write(t),
  stdinIsTTY: Boolean(process.stdin.isTTY),
};

function parseIntIn(lo: number, hi: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(`expected a whole number from ${lo} to ${hi}`);
    return n;
  };
}

function parseBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 500000, 800kB or 20MB');
  const mult = { b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9 }[(m[2] ?? 'b').toLowerCase()]!;
  return Math.round(Number(m[1]) * mult);
}

function parseRange(v: string): [number, number] {
  const m = /^\s*(-?[\d.eE+-]+)\s*:\s*(-?[\d.eE+-]+)\s*$/.exec(v);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new InvalidArgumentError('expected LO:HI with LO < HI, e.g. -1:1');
  return [lo, hi];
}

function parseTolerance(v: string): [number, number] {
  const parts = v.split(':').map((x) => Number(x.trim()));
  if (parts.length > 2 || parts.some((x) => !Number.isFinite(x) || x < 0)) throw new InvalidArgumentError('expected ATOL or ATOL:RTOL, non-negative numbers, e.g. 1e-5:1e-4');
  return [parts[0], parts[1] ?? parts[0]];
}

function parseNames(v: string): string[] {
  return v.split(',').map((s) => s.trim());
}

function program(io: Io): Command {
  const formats = FORMATS.map((f) => `  ${f.padEnd(12)} ${EMITTERS[f].description}`).join('\n');
  return addListOptions(addTransformOptions(
    addOnnxOptions(new Command('nn2eq'))
    .description('Print the exact mathematics a trained neural network computes.')
    .argument('[model]', "TF.js model.json, Keras .h5 / .keras, or Keras architecture JSON with --weights ('-' or no argument with a pipe: standard input)")
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: from the -o extension, else latex)`, parseFormat)
    .addOption(new Option('--form <form>', `scalar: one expression per scalar; tensor: one line of array math per layer; auto: scalar when its let form is under ${AUTO_SCALAR_LIMIT / 1000} kB (and the time axis is fixed), else tensor`).choices(FORMS).default('auto'))
    .addOption(new Option('--dtype <type>', 'tensor form of -f c, -f js and -f numpy: float64 (double / Float64Array / np.float64 arrays and math) or float32 (float arrays and expf, tanhf, …; Float32Array buffers; np.float32 arrays): the model\'s own precision in half the memory').choices(DTYPES).default('float64'))
    .option('--wasm', '-f js tensor form: run convolutions and matrix products in WebAssembly SIMD kernels written into the module (f32x4 with --dtype float32, else f64x2; the plain loops where WebAssembly SIMD is missing); each sum in the value type, bias first; --verify reports how far that moves the outputs from the plain loops\'')
    .option('--no-fold', 'keep one formula per layer: do not fold BatchNormalization, Normalization and Rescaling into the neighbouring Dense/Conv, nor merge linear Dense layers')
    .option('--max-matrix <n>', 'latex tensor form: print matrices up to n×n in full, declare larger ones by shape (default 16)', parseIntIn(0, 1000))
    .option('-w, --weights <file|symbolic>', "weights .h5 for a Keras architecture JSON (model.to_json()); 'symbolic' prints the parametric form: every weight a symbol (LaTeX), or read from predict(params, …) with the trained values exported as PARAMS (code); may be given twice", collectWeights, [] as string[])
    .option('-o, --output <file>', 'write to FILE (atomically) instead of standard output')
    .option('--inline', 'closed form: one expression per output, no named intermediate values')
    .option('--precision <digits>', 'round numbers to this many significant digits (default: exact)', parseIntIn(1, 17))
    .option('--inputs <names>', 'comma-separated names for the scalar inputs x1…xN (the tensor form names the elements of its input arrays)', parseNames)
    .option('--outputs <names>', 'comma-separated names for the scalar outputs y1…yM (the tensor form names the elements of its output arrays)', parseNames)
    .option('--max-size <bytes>', `refuse output larger than this, in every form and format (default ${DEFAULT_MAX_SIZE_INLINE / 1e6} MB with --inline, ${DEFAULT_MAX_SIZE / 1e6} MB otherwise)`, parseBytes)
    .option('--timesteps <T>', 'unroll recurrent layers over T steps where the model leaves the time axis undefined (None)', parseIntIn(1, 100000))
    .option('--verify', 'check the output against TensorFlow.js predictions of the same model; exit 1 when it disagrees')
    .option('--range <lo:hi>', 'box of the random --verify points, per input (default -1:1)', parseRange)
    .option('--inputs-file <file>', '--verify also on these points: JSON or CSV, one sample a row')
    .option('--tolerance <atol[:rtol]>', '--verify tolerance: |got - want| <= atol + rtol*|want| (default 1e-5:1e-4)', parseTolerance)
    .addOption(new Option('--report <kind>', '--verify report on stderr').choices(['text', 'json']).default('text'))
    .option('--standalone', 'latex: print a complete document, not display-math content')
    .option('--terms-per-line <N>', 'latex: break sums after N terms (default 4; earlier when a line would pass an A4 page)', parseIntIn(1, 1000))
    .version(VERSION, '-V, --version')
    .addHelpText(
      'after',
      `\nFormats:\n${formats}\n\nExamples:\n  nn2eq model.json                        LaTeX equations on stdout\n  nn2eq model.json -f numpy -o model.py   vectorised NumPy predict()\n  nn2eq model.h5 -f js                    a Keras file (.h5, .keras)\n  nn2eq arch.json --weights w.h5          Keras architecture JSON + weights\n  nn2eq model.json -f js --precision 4    ES module, numbers rounded to 4 digits\n  cat model.json | nn2eq - -f mathematica  read the model from a pipe\n  nn2eq model.h5 -f numpy --verify       write, then check against TensorFlow.js\n\nExit codes: 0 success, 1 --verify found a disagreement, 2 bad input or usage, 70 internal error.`,
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: commanderError })
    .exitOverride(),
  ));
}

/** --weights may be given twice: a weights file and the word 'symbolic'. */
function collectWeights(v: string, previous: string[]): string[] {
  return [...previous, v];
}

function splitWeights(values: readonly string[]): { file?: string; symbolic: boolean } {
  const files = values.filter((v) => v !== 'symbolic');
  if (files.length > 1) throw new Nn2eqError(`--weights names ${files.length} files (${files.join(', ')})`, 'usage', "give one weights file, and --weights symbolic for the parametric form (a file named 'symbolic' is ./symbolic)");
  return { file: files[0], symbolic: files.length < values.length };
}

/**
 * The version lives in package.json only. The CLI bundle (dist/cli-bundle/, scripts/build-cli.mjs)
 * has it written in at build time, as NN2EQ_VERSION: its chunks sit at another depth below the
 * package, and a file read at every start is time the bundle exists to save.
 */
declare const NN2EQ_VERSION: string | undefined;
const VERSION = typeof NN2EQ_VERSION === 'string' ? NN2EQ_VERSION : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Runs the command line; returns the exit code. Never exits the process itself. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  if (isSubcommand(argv)) {
    try {
      return (await runSubcommand(argv, io, { int: parseIntIn(1, 100000), nonNegative: parseNonNegative, range: parseRange, port: parseIntIn(0, 65535) })) === 'ok' ? EXIT.ok : EXIT.failed;
    } catch (e) {
      if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? EXIT.ok : EXIT.input;
      return failed(io, e);
    }
  }
  const cmd = program(io);
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.input;
    }
    throw e;
  }
  const opts = cmd.opts<{
    format?: Format;
    form: Form;
    dtype: Dtype;
    wasm?: boolean;
    fold: boolean;
    maxMatrix?: number;
    output?: string;
    weights: string[];
    inline?: boolean;
    precision?: number;
    inputs?: string[];
    outputs?: string[];
    maxSize?: number;
    standalone?: boolean;
    termsPerLine?: number;
    timesteps?: number;
    verify?: boolean;
    range?: [number, number];
    inputsFile?: string;
    tolerance?: [number, number];
    report: 'text' | 'json';
    listLayers?: boolean;
    listFormats?: boolean;
  }>();
  if (handleLists(opts, io)) return EXIT.ok;
  let model = cmd.args[0];
  if (model === undefined) {
    if (io.stdinIsTTY) {
      io.stderr(`nn2eq: no model file given; try 'nn2eq model.json' or 'nn2eq --help'\n`);
      return EXIT.input;
    }
    model = '-';
  }
  const { format, warning: formatWarning } = chooseFormat(opts.format, opts.output);
  try {
    if (formatWarning) await warn(io, formatWarning);
    const transforms = transformOptions(opts);
    checkFormat(format, FORMATS, transforms);
    const { file: weightsFile, symbolic } = splitWeights(opts.weights);
    const progress = io === defaultIo ? terminalProgress() : undefined;
    const converted = await convertFile(model, {
      progress: progress?.report,
      weights: weightsFile,
      symbolicWeights: symbolic,
      format,
      form: opts.form,
      dtype: opts.dtype,
      wasm: opts.wasm,
      fold: opts.fold,
      maxMatrix: opts.maxMatrix,
      precision: opts.precision,
      inline: opts.inline,
      maxSize: opts.maxSize,
      inputNames: opts.inputs,
      outputNames: opts.outputs,
      standalone: opts.standalone,
      termsPerLine: opts.termsPerLine,
      timesteps: opts.timesteps,
      transforms,
      ...onnxConvertOptions(cmd.opts()),
    }).finally(() => progress?.end());
    const { text, warnings, model: spec, extracted, program: tensors, form } = converted;
    for (const w of warnings) await warn(io, `${spec.file}: ${w}`);
    for (const w of ignoredOptions(cmd, opts, format, spec)) await warn(io, w);
    if (opts.output) writeAtomically(opts.output, text, spec.sources);
    else io.stdout(text);
    if (!opts.verify) {
      for (const flag of ['range', 'inputsFile', 'tolerance'] as const) {
        if (opts[flag] !== undefined && !(flag === 'range' && transformUsesRange(transforms))) await warn(io, `--${flag === 'inputsFile' ? 'inputs-file' : flag} has no effect without --verify`);
      }
      return EXIT.ok;
    }
    const { verify, reportText, reportJson } = await import('./verify/index.js');
    const report = await verify(spec, text, {
      format,
      range: opts.range,
      inputsFile: opts.inputsFile,
      atol: opts.tolerance?.[0],
      rtol: opts.tolerance?.[1],
      precision: opts.precision,
      extracted,
      program: tensors,
      form,
      dtype: opts.dtype,
      wasm: opts.wasm,
    });
    io.stderr(opts.report === 'json' ? `${reportJson(report)}\n` : reportText(report));
    return report.ok ? EXIT.ok : EXIT.failed;
  } catch (e) {
    return failed(io, e);
  }
}

/** Prints an error; bad input (Nn2eqError) is exit 2, anything else an internal error. */
async function failed(io: Io, e: unknown): Promise<number> {
  if (e instanceof Nn2eqError) {
    await fail(io, e.message + (e.hint ? `; hint: ${e.hint}` : ''));
    return EXIT.input;
  }
  await fail(io, `internal error: ${(e as Error)?.stack ?? String(e)}`);
  return EXIT.internal;
}

function parseNonNegative(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number, e.g. 1e-6');
  return n;
}

async function fail(io: Io, message: string): Promise<void> {
  const { chalkStderr } = await import('chalk');
  io.stderr(`${chalkStderr.red('nn2eq:')} ${message}\n`);
}

async function warn(io: Io, message: string): Promise<void> {
  const { chalkStderr } = await import('chalk');
  io.stderr(`${chalkStderr.yellow('nn2eq: warning:')} ${message}\n`);
}

/** Writes `text` to `file` through a temporary file and a rename, refusing to overwrite any model file. */
function writeAtomically(file: string, text: string, sources: readonly string[]): void {
  const target = resolve(file);
  let real = target;
  try {
    real = realpathSync(target);
  } catch {
    /* a new file */
  }
  if (sources.includes(real)) {
    throw new Nn2eqError(`-o ${file} would overwrite a file of the model itself`, 'usage', 'write the output somewhere else');
  }
  const tmp = join(dirname(real), `.${basename(real)}.nn2eq-${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (e) {
    throw new Nn2eqError(`cannot write ${file} (${(e as NodeJS.ErrnoException).code})`, 'io');
  }
  try {
    pieces(text, (piece) => writeSync(fd, piece));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, real);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Nn2eqError(`cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'io');
  }
}
