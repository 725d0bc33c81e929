import { Nn2eqError } from './errors.js';
import { DEFAULT_SIZE_BUDGET } from './ir/graph.js';
import { EMITTERS, type Format } from './emit/index.js';
import { extract, type Extracted, type Extractor } from './extract/index.js';
import { loadModel, type LoadOptions, type ModelSpec } from './load/index.js';
import { schedule } from './schedule.js';
import { lower } from './transform/lower.js';

/** Default --max-size: closed form is refused past 1 MB; the let form, which grows linearly, past 256 MB. */
export const DEFAULT_MAX_SIZE_INLINE = 1_000_000;
export const DEFAULT_MAX_SIZE = DEFAULT_SIZE_BUDGET;

const EXPANDING = /Conv|Pooling|RNN|LSTM|GRU|Bidirectional|TimeDistributed|UpSampling|RepeatVector|ZeroPadding/;

/** Options of a conversion, as the CLI passes them. */
export interface ConvertOptions {
  readonly format: Format;
  readonly precision?: number;
  readonly inline?: boolean;
  readonly maxSize?: number;
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
  readonly standalone?: boolean;
  /** Length of an undefined (None) time axis of the inputs. */
  readonly timesteps?: number;
  /** Called as the work advances (what, done, total); the CLI shows it on a terminal. */
  readonly progress?: (what: string, done: number, total: number) => void;
  /** Extra or replacement layer rules (tests inject deliberate mistakes through this). */
  readonly extractors?: Readonly<Record<string, Extractor>>;
}

/** Turns a loaded model into text in the chosen format. */
export function convertModel(model: ModelSpec, opts: ConvertOptions): string {
  return convertWithIR(model, opts).text;
}

/** The text and the IR it was printed from (--verify evaluates that IR rather than extracting again). */
export function convertWithIR(model: ModelSpec, opts: ConvertOptions): { text: string; extracted: Extracted } {
  const emitter = EMITTERS[opts.format];
  if (!emitter) throw new Nn2eqError(`unknown format '${String(opts.format)}'`, 'usage', `formats: ${Object.keys(EMITTERS).join(', ')}`);
  const inline = opts.inline ?? false;
  const maxSize = opts.maxSize ?? (inline ? DEFAULT_MAX_SIZE_INLINE : DEFAULT_MAX_SIZE);
  // The let form is the smallest text: building stops once even that would pass --max-size (with
  // --inline, once it passes the let form's limit; the closed form is judged after scheduling).
  const sizeBudget = inline ? Math.max(maxSize, DEFAULT_MAX_SIZE) : maxSize;
  // Layers whose output size is not bounded by their weights (windows, time steps, repeats) can
  // make a graph far larger than the file: measure with a dry graph first, which stores nothing,
  // so such a model is refused in seconds instead of after filling memory. The dry graph shares
  // no sub-expressions and so over-counts; it refuses only past 1.5 times the budget.
  if (model.layers.some((l) => EXPANDING.test(l.className))) {
    extract(model, { extractors: opts.extractors, timesteps: opts.timesteps, sizeBudget: 1.5 * sizeBudget, dry: true, maxSizeShown: maxSize });
  }
  const ex = extract(model, { extractors: opts.extractors, timesteps: opts.timesteps, sizeBudget, progress: opts.progress });
  const scalarsIn = ex.inputs.reduce((n, p) => n + p.size, 0);
  const scalarsOut = ex.outputs.reduce((n, p) => n + p.size, 0);
  checkNames(opts, scalarsIn, scalarsOut, emitter.reserved);
  const lowered = lower(ex.graph, ex.outputIds, emitter.supports);
  const program = schedule(lowered.graph, ex.inputs, ex.outputs, lowered.outputs, inline);
  const text = emitter.emit(program, {
    precision: opts.precision,
    inline,
    maxSize,
    inputNames: opts.inputNames,
    outputNames: opts.outputNames,
    standalone: opts.standalone,
    modelName: model.name,
  });
  return { text, extracted: ex };
}

/** Loads `path` ('-' for stdin) and converts it; returns the text and the loader's warnings. */
export async function convertFile(path: string, opts: ConvertOptions & LoadOptions): Promise<{ text: string; warnings: string[]; model: ModelSpec; extracted: Extracted }> {
  const model = await loadModel(path, { weights: opts.weights });
  return { ...convertWithIR(model, opts), warnings: model.warnings, model };
}

/** Formats whose identifiers may contain '_' (Wolfram reads it as a pattern; LaTeX as a subscript). */
const UNDERSCORE_OK: ReadonlySet<string> = new Set(['numpy', 'js']);

/** Checks --inputs / --outputs: one name per scalar, plain identifiers of the format, no name twice. */
function checkNames(opts: ConvertOptions, scalarsIn: number, scalarsOut: number, reserved: ReadonlySet<string>): void {
  checkList(opts.inputNames, scalarsIn, '--inputs', 'input', opts.format, reserved);
  checkList(opts.outputNames, scalarsOut, '--outputs', 'output', opts.format, reserved);
  if (!opts.inputNames && !opts.outputNames) return;
  // Sets, not indexOf: a model may have millions of scalar inputs.
  const ins = new Set(opts.inputNames ?? Array.from({ length: scalarsIn }, (_, i) => `x${i + 1}`));
  const clash = (opts.outputNames ?? Array.from({ length: scalarsOut }, (_, i) => `y${i + 1}`)).find((n) => ins.has(n));
  if (clash !== undefined) throw new Nn2eqError(`the name '${clash}' is given to an input and an output`, 'usage', 'choose distinct --inputs and --outputs names');
}

function checkList(names: readonly string[] | undefined, count: number, flag: string, what: string, format: string, reserved: ReadonlySet<string>): void {
  if (!names) return;
  if (names.length !== count) {
    throw new Nn2eqError(`${flag} gives ${names.length} name${names.length === 1 ? '' : 's'}, but the model has ${count} scalar ${what}${count === 1 ? '' : 's'}`, 'usage', `give exactly ${count} comma-separated names`);
  }
  const seen = new Set<string>();
  const underscore = UNDERSCORE_OK.has(format);
  for (const n of names) {
    if (seen.has(n)) throw new Nn2eqError(`${flag} gives the name '${n}' twice`, 'usage', `give each ${what} its own name`);
    seen.add(n);
    if (!underscore && /^[A-Za-z][A-Za-z0-9_]*$/.test(n) && n.includes('_')) {
      throw new Nn2eqError(`${flag}: '${n}' contains '_', which ${format} does not allow in a name`, 'usage', `write it without '_' (e.g. '${n.replace(/_+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}'), or use -f numpy or -f js`);
    }
    const plain = underscore ? /^[A-Za-z_][A-Za-z0-9_]*$/ : /^[A-Za-z][A-Za-z0-9]*$/;
    if (!plain.test(n)) throw new Nn2eqError(`${flag}: '${n}' is not a plain name (a letter, then letters${underscore ? ', digits or _' : ' or digits'})`, 'usage');
    if (/^(h|t|c|hb|cb|emb)\d/.test(n)) throw new Nn2eqError(`${flag}: '${n}' looks like a name nn2eq gives to intermediate values (h…, c…, t…)`, 'usage', 'choose another name');
    if (reserved.has(n)) throw new Nn2eqError(`${flag}: '${n}' is a reserved word of this format`, 'usage', 'choose another name');
  }
}
