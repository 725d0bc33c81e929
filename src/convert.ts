import { Nn2eqError } from './errors.js';
import { DEFAULT_SIZE_BUDGET } from './ir/graph.js';
import { codeProgram, EMITTERS, loadTensorEmitters, type Format } from './emit/index.js';
import type { Dtype, Emitter } from './emit/types.js';
import { humanBytes } from './ir/graph.js';
import { buildProgram, type Extracted, type Extractor } from './extract/index.js';
import { scalarize } from './tensor/scalarize.js';
import { TOPS, type TOpInfo } from './tensor/ops.js';
import { foldProgram } from './transform/fold.js';
import { fuseProgram } from './transform/fuse.js';
import type { TensorProgram } from './tensor/program.js';
import { loadAnyModel, type LoadOptions, type ModelSpec } from './load/index.js';
import { schedule } from './schedule.js';
import { lower } from './transform/lower.js';
import { anyTransform, wantsPolynomialJson, type TransformOptions } from './transform/options.js';

/** Default --max-size: closed form is refused past 1 MB; the let form, which grows linearly, past 256 MB. */
export const DEFAULT_MAX_SIZE_INLINE = 1_000_000;
export const DEFAULT_MAX_SIZE = DEFAULT_SIZE_BUDGET;

// (ONNX op types too: MaxPool, Resize, Expand, Tile, Pad.)
const EXPANDING = /Conv|Pool|RNN|LSTM|GRU|Bidirectional|TimeDistributed|UpSampling|RepeatVector|Padding|Resize|Upsample|Expand|Tile|^Pad$/;

/** Options of a conversion, as the CLI passes them. */
export interface ConvertOptions {
  readonly format: Format;
  readonly precision?: number;
  readonly inline?: boolean;
  readonly maxSize?: number;
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
  readonly standalone?: boolean;
  /** LaTeX: at most this many terms of a sum per line. */
  readonly termsPerLine?: number;
  /** Length of an undefined (None) time axis of the inputs. */
  readonly timesteps?: number;
  /** scalar, tensor or auto (the library's default is scalar; the CLI's is auto). */
  readonly form?: Form;
  /** Fold normalization into neighbouring Dense/Conv layers and merge linear Dense layers (default true). */
  readonly fold?: boolean;
  /** LaTeX tensor form: largest matrix printed in full. */
  readonly maxMatrix?: number;
  /** ONNX: shapes fixing the symbolic dimensions of inputs (--input-shape). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** ONNX: graph inputs fixed to constant values (--bind name=v1,v2,…), row-major; they fold at conversion. */
  readonly bind?: ReadonlyMap<string, readonly number[]>;
  /** Called as the work advances (what, done, total); the CLI shows it on a terminal. */
  readonly progress?: (what: string, done: number, total: number) => void;
  /** Extra or replacement layer rules (tests inject deliberate mistakes through this). */
  readonly extractors?: Readonly<Record<string, Extractor>>;
  /** --jacobian, --taylor, --input-range, … (src/transform/pipeline.ts). */
  readonly transforms?: TransformOptions;
  /** --weights symbolic: print the parametric form, every weight a symbol (LaTeX) or read from predict's params (code). */
  readonly symbolicWeights?: boolean;
  /** --dtype: the tensor form's number type (float64 unless float32 is asked for; C and JS only). */
  readonly dtype?: Dtype;
  /** --wasm: the JS tensor form's convolutions and matrix products in WebAssembly SIMD kernels embedded in the module. */
  readonly wasm?: boolean;
}

/** Turns a loaded model into text in the chosen format. */
export function convertModel(model: ModelSpec, opts: ConvertOptions): string {
  return convertWithIR(model, opts).text;
}

/** Which form to print: one expression per scalar, one line of array math per layer, or the first that fits. */
export type Form = 'scalar' | 'tensor' | 'auto';
export const FORMS: readonly Form[] = ['auto', 'scalar', 'tensor'];

/** --form auto prints the scalar form when its let form stays under this many bytes, else the tensor form. */
export const AUTO_SCALAR_LIMIT = 32_000;

/** What a conversion produced: the text, its form, the tensor program, and the scalar IR when that form was printed. */
export interface Converted {
  readonly text: string;
  readonly form: 'scalar' | 'tensor';
  readonly program: TensorProgram;
  readonly extracted?: Extracted;
}

/**
 * The text and the IR it was printed from (--verify evaluates that IR rather than extracting again).
 * The conversion, stage by stage, each called once from here with the value the last one made:
 * the options checked (the plan), the tensor program built (unless the caller built it, as
 * convertFile does for ONNX and TF graphs), the tensor transforms both forms share, the form
 * chosen, and that form printed: scalarize → scalar transforms → lower → schedule → emit, or the
 * tensor form's transforms → emit.
 */
export function convertWithIR(model: ModelSpec, opts: ConvertOptions, built?: TensorProgram): Converted {
  const r = convertUntilTensor(model, opts, built);
  return 'printTensor' in r ? r.printTensor() : r;
}

/** convertWithIR up to the choice of form: the scalar form printed, or the tensor form still to print (convertFile loads its printer first). */
function convertUntilTensor(model: ModelSpec, opts: ConvertOptions, built?: TensorProgram): Converted | { readonly printTensor: () => Converted } {
  const plan = planConversion(opts);
  // The tensor form loops over any sequence length; the scalar form needs a fixed one.
  const unfolded = built ?? buildProgram(model, { extractors: opts.extractors, timesteps: opts.timesteps, progress: opts.progress, anyLength: plan.form !== 'scalar' && Boolean(plan.emitter?.tensor) && opts.timesteps === undefined });
  const { program, notes } = sharedTensorTransforms(unfolded, opts, plan);
  return scalarIfChosen(model, program, opts, plan, notes) ?? { printTensor: () => tensorForm(model, program, opts, plan, notes) };
}

/** A conversion's options, checked once before anything is built: the emitter, the form asked for, the size limit. */
interface Plan {
  readonly emitter: Emitter;
  /** --form, or what --dtype float32, --weights symbolic and nn2poly's JSON settle it to; auto is decided by scalarIfChosen. */
  readonly form: Form;
  readonly inline: boolean;
  readonly maxSize: number;
  readonly symbolic: boolean;
  readonly float32: boolean;
  /** Any of --jacobian, --taylor, --fit, … (src/transform/options.ts). */
  readonly transformed: boolean;
}

function planConversion(opts: ConvertOptions): Plan {
  const emitter = EMITTERS[opts.format];
  if (!emitter && !wantsPolynomialJson(opts.format, opts.transforms)) throw new Nn2eqError(`unknown format '${String(opts.format)}'`, 'usage', `formats: ${Object.keys(EMITTERS).join(', ')}`);
  const symbolic = opts.symbolicWeights ?? false;
  if (symbolic) checkSymbolic(opts);
  // nn2poly's JSON is the scalar polynomial's table; symbolic weights print the scalar form where a tensor emitter takes no params.
  const transformed = anyTransform(opts.transforms);
  const float32 = opts.dtype === 'float32';
  if (float32) checkFloat32(opts);
  if (opts.wasm) checkWasm(opts);
  const form = float32 || opts.wasm ? 'tensor' : transformed && wantsPolynomialJson(opts.format, opts.transforms) && opts.form !== 'tensor' ? 'scalar' : symbolic ? symbolicForm(opts) : (opts.form ?? 'scalar');
  const inline = opts.inline ?? false;
  const maxSize = opts.maxSize ?? (inline ? DEFAULT_MAX_SIZE_INLINE : DEFAULT_MAX_SIZE);
  return { emitter, form, inline, maxSize, symbolic, float32, transformed };
}

/** The tensor transforms both forms share: normalization folded into its neighbours, linear layers merged. */
function sharedTensorTransforms(unfolded: TensorProgram, opts: ConvertOptions, plan: Plan): { program: TensorProgram; notes: string[] } {
  // Symbolic weights and --gradient params keep every weight of the model as it was trained: nothing is folded.
  // The formats for a reader also name the layer normalizations and GELUs an exporter spelled out
  // op by op (before the fold, which would take GELU's factor ½ into the next Dense).
  const fused = opts.fold !== false && plan.emitter?.textbook && !opts.transforms?.gradient ? fuseProgram(unfolded) : { program: unfolded, notes: [] };
  const { program, notes } = opts.fold === false || plan.symbolic || opts.transforms?.gradient ? { program: fused.program, notes: [] } : foldProgram(fused.program);
  notes.unshift(...(unfolded.notes ?? []), ...fused.notes);
  return { program, notes };
}

/** True when an input has a time axis of any length (only the tensor form loops over one). */
const hasOpenAxis = (program: TensorProgram) => program.inputs.some((p) => p.tensor.shape.includes(-1));

/** The first op of the program that has only a tensor form (bitcast: a float's bits), if any. */
const tensorOnlyOp = (program: TensorProgram) => program.equations.find((eq) => (TOPS[eq.op] as TOpInfo).tensorOnly)?.op;

/** The form chosen: the scalar form, printed, when it is asked for or --form auto finds it small; null for the tensor form. */
function scalarIfChosen(model: ModelSpec, program: TensorProgram, opts: ConvertOptions, plan: Plan, notes: readonly string[]): Converted | null {
  const { emitter, form, inline, maxSize } = plan;
  const anyLength = hasOpenAxis(program) || tensorOnlyOp(program) !== undefined;
  let scalar: Converted | null = null;
  // auto: the scalar form when it is small, or always for a format that has no tensor form yet.
  if (form === 'scalar' || (form === 'auto' && !emitter.tensor) || (form === 'auto' && !anyLength && !inline)) {
    try {
      scalar = withinMaxSize(scalarForm(model, program, opts, plan, notes, form === 'auto' && emitter.tensor ? AUTO_SCALAR_LIMIT : undefined), maxSize);
    } catch (e) {
      if (!(form === 'auto' && e instanceof Nn2eqError && e.kind === 'too-large')) throw e;
    }
  } else if (form === 'auto' && inline) {
    scalar = scalarForm(model, program, opts, plan, notes);
  }
  return scalar && withinMaxSize(scalar, maxSize);
}

/** The tensor form: the transforms asked for (--jacobian, …) on the tensor program, then the format's tensor printer. */
function tensorForm(model: ModelSpec, folded: TensorProgram, opts: ConvertOptions, plan: Plan, notes: string[]): Converted {
  try {
    return tensorForm1(model, folded, opts, plan, notes);
  } catch (e) {
    // The formats' refusals of an axis of any length name Keras's --timesteps T; a graph model's length is fixed by its own flag.
    if (folded.fixLength && e instanceof Nn2eqError && e.hint?.includes('--timesteps')) throw new Nn2eqError(e.message, e.kind, folded.fixLength);
    throw e;
  }
}

function tensorForm1(model: ModelSpec, folded: TensorProgram, opts: ConvertOptions, plan: Plan, notes: string[]): Converted {
  const { emitter, form, inline, maxSize, symbolic, float32 } = plan;
  const tensor = emitter.tensor;
  if (!tensor) throw new Nn2eqError(`the ${opts.format} format has no tensor form yet`, 'unsupported', 'use --form scalar');
  if (inline) throw new Nn2eqError('--inline is a scalar-form option; the tensor form has no closed form', 'usage', 'use --form scalar with --inline');
  if (form === 'auto') notes.push(autoNote(hasOpenAxis(folded), Math.min(maxSize, AUTO_SCALAR_LIMIT), folded.fixLength, tensorOnlyOp(folded)));
  let program = folded;
  if (plan.transformed) {
    const t = transforms().applyTensorTransforms(program, opts.transforms!, !emitter.textbook);
    program = t.program;
    notes.push(...t.notes);
  }
  if (opts.inputNames || opts.outputNames) checkTensorNames(program, opts, emitter.reserved);
  const emitOptions = {
    precision: opts.precision,
    inline,
    maxSize,
    inputNames: opts.inputNames,
    outputNames: opts.outputNames,
    standalone: opts.standalone,
    modelName: model.name,
    model,
    maxMatrix: opts.maxMatrix,
    ...(symbolic ? { symbolicWeights: true } : {}),
    ...(float32 ? { dtype: 'float32' as const } : {}),
    ...(opts.wasm ? { wasm: true } : {}),
  };
  // Code runs channels-last throughout (a channels-first model's transposes cancel) and prints a
  // one-channel-per-group convolution as depthwise; the formats for a reader (LaTeX, HTML, SVG)
  // keep the model's own layout. The program handed back is the one before, so --verify's IR
  // evaluation checks these rewrites too.
  const printed = emitter.textbook || symbolic ? program : codeProgram(program);
  return withinMaxSize({ text: tensor.emit(printed, { ...emitOptions, ...(notes.length ? { notes } : {}), ...(program.namedPorts ? { namedPorts: true } : {}) }), form: 'tensor', program }, maxSize);
}

/** Node's Buffer, counting UTF-8 bytes natively (absent in the browser build). */
const NODE_BUFFER = (globalThis as { Buffer?: { byteLength(s: string, encoding: 'utf8'): number } }).Buffer;

/** Bytes of `s` in UTF-8, without encoding it (a tensor form can be hundreds of MB). */
function utf8Length(s: string): number {
  // A loop over 230 MB of text took a second; Buffer.byteLength counts it natively.
  if (NODE_BUFFER) return NODE_BUFFER.byteLength(s, 'utf8');
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++, n += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
    else if (c >= 0x800) n += 2;
    else if (c >= 0x80) n += 1;
  }
  return n;
}

/**
 * --max-size holds for every form and format: the scalar emitters refuse by their estimate before
 * printing, the tensor form (whose text grows with the weights) by the text it printed.
 */
function withinMaxSize(c: Converted, maxSize: number): Converted {
  const bytes = utf8Length(c.text);
  if (bytes <= maxSize) return c;
  throw new Nn2eqError(
    `the ${c.form} form's output is ${humanBytes(bytes)}, over --max-size ${humanBytes(maxSize)}`,
    'too-large',
    c.form === 'tensor' ? 'raise --max-size if you really want this much text' : 'print the tensor form instead (--form tensor), or raise --max-size',
  );
}

/** The scalar form: scalarize → scalar transforms → lower → schedule → emit; `autoLimit` caps its size (auto mode tries it first and falls back to the tensor form). */
function scalarForm(model: ModelSpec, program: TensorProgram, opts: ConvertOptions, plan: Plan, foldNotes: readonly string[], autoLimit?: number): Converted {
  const { emitter, inline, maxSize } = plan;
  // The let form is the smallest text: building stops once even that would pass --max-size (with
  // --inline, once it passes the let form's limit; the closed form is judged after scheduling).
  const sizeBudget = autoLimit ?? (inline ? Math.max(maxSize, DEFAULT_MAX_SIZE) : maxSize);
  // Layers whose output size is not bounded by their weights (windows, time steps, repeats) can
  // make a graph far larger than the file: measure with a dry graph first, which stores nothing,
  // so such a model is refused in seconds instead of after filling memory. The dry graph shares
  // no sub-expressions and so over-counts; it refuses only past 1.5 times the budget.
  if (model.layers.some((l) => EXPANDING.test(l.className))) {
    scalarize(program, { sizeBudget: 1.5 * sizeBudget, dry: true, maxSizeShown: autoLimit ?? maxSize, stableSoftmax: !emitter.textbook });
  }
  const symbolicWeights = Boolean(opts.symbolicWeights || opts.transforms?.gradient);
  const extracted = scalarize(program, { sizeBudget, maxSizeShown: autoLimit ?? maxSize, stableSoftmax: !emitter.textbook, symbolicWeights });
  const ex = anyTransform(opts.transforms) ? transforms().applyScalarTransforms(extracted, opts.transforms, opts.symbolicWeights) : { ...extracted, notes: undefined, polynomial: undefined };
  if (ex.polynomial && wantsPolynomialJson(opts.format, opts.transforms)) return { text: transforms().polynomialJson(ex.polynomial), form: 'scalar', program, extracted };
  const scalarsIn = ex.inputs.reduce((n, p) => n + p.size, 0);
  const scalarsOut = ex.outputs.reduce((n, p) => n + p.size, 0);
  checkNames(opts, scalarsIn, scalarsOut, emitter.reserved);
  const lowered = lower(ex.graph, ex.outputIds, emitter.supports, emitter.textbook);
  const scheduled = schedule(lowered.graph, ex.inputs, ex.outputs, lowered.outputs, inline);
  const text = emitter.emit(scheduled, {
    precision: opts.precision,
    inline,
    maxSize,
    inputNames: opts.inputNames,
    outputNames: opts.outputNames,
    standalone: opts.standalone,
    termsPerLine: opts.termsPerLine,
    modelName: model.name,
    model,
    notes: foldNotes.length || ex.notes ? [...foldNotes, ...(ex.notes ?? [])] : undefined,
    ...(program.namedPorts ? { namedPorts: true } : {}),
  });
  return { text, form: 'scalar', program, extracted };
}

/** --dtype float32: a format whose tensor form prints float arrays, in the tensor form. */
function checkFloat32(opts: ConvertOptions): void {
  const ok = Object.entries(EMITTERS).filter(([, e]) => e.tensor?.float32).map(([f]) => f);
  if (!EMITTERS[opts.format]?.tensor?.float32) throw new Nn2eqError(`--dtype float32: the ${opts.format} format has no float32 form`, 'usage', `use -f ${ok.join(' or -f ')}, or drop --dtype`);
  if (opts.form === 'scalar') throw new Nn2eqError('--dtype float32 is a tensor-form option; the scalar form computes in float64', 'usage', 'use --form tensor (or auto) with --dtype float32');
}

/** --wasm: a format whose tensor form embeds WebAssembly kernels, in the tensor form, with the weights' numbers. */
function checkWasm(opts: ConvertOptions): void {
  const ok = Object.entries(EMITTERS).filter(([, e]) => e.tensor?.wasm).map(([f]) => f);
  if (!EMITTERS[opts.format]?.tensor?.wasm) throw new Nn2eqError(`--wasm: the ${opts.format} format has no WebAssembly kernels`, 'usage', `use -f ${ok.join(' or -f ')}, or drop --wasm`);
  if (opts.form === 'scalar') throw new Nn2eqError('--wasm is a tensor-form option; the scalar form has no convolutions or matrix products to run in kernels', 'usage', 'use --form tensor (or auto) with --wasm');
  if (opts.symbolicWeights) throw new Nn2eqError('--wasm packs the weights once for its kernels; --weights symbolic reads them from predict\'s params at every call', 'usage', 'drop --wasm or --weights symbolic');
}

/** --weights symbolic: the formats that print parameters, and no transform but --gradient. */
function checkSymbolic(opts: ConvertOptions): void {
  const emitter = EMITTERS[opts.format];
  if (!emitter?.symbolicWeights) {
    const ok = Object.entries(EMITTERS).filter(([, e]) => e.symbolicWeights).map(([f]) => f);
    throw new Nn2eqError(`--weights symbolic: the ${opts.format} format has no symbolic-weights form yet`, 'unsupported', `use one of: ${ok.join(', ')}`);
  }
  const t = opts.transforms;
  if (t && (t.jacobian || t.expand || t.taylor !== undefined || t.fit !== undefined || t.inputRange || t.prune !== undefined)) {
    throw new Nn2eqError('--weights symbolic keeps every weight a symbol; --jacobian, --taylor, --fit, --input-range, --prune and --expand need the numbers', 'usage', 'drop --weights symbolic, or use it with --gradient params only');
  }
}

/** Symbolic weights in a code format whose tensor form does not take params yet print the scalar form. */
function symbolicForm(opts: ConvertOptions): Form {
  if (EMITTERS[opts.format].tensor?.symbolicWeights) return opts.form ?? 'scalar';
  if (opts.form === 'tensor') {
    const ok = Object.entries(EMITTERS).filter(([, e]) => e.tensor?.symbolicWeights).map(([f]) => f);
    throw new Nn2eqError(`--weights symbolic: the ${opts.format} format has no symbolic tensor form yet`, 'usage', `drop --form tensor, or use one of: ${ok.join(', ')}`);
  }
  return 'scalar';
}

/** The scalar transforms (Taylor models, Jacobians, …), imported only when a conversion asks for one. */
let transformModule: typeof import('./transform/pipeline.js') | undefined;

/** Imports the scalar transforms; convertFile does this itself, library callers of convertWithIR with transforms call it first. */
export async function loadTransforms(): Promise<void> {
  transformModule ??= await import('./transform/pipeline.js');
}

function transforms(): typeof import('./transform/pipeline.js') {
  if (!transformModule) throw new Nn2eqError('the transforms are not loaded', 'usage', 'await loadTransforms() before convertWithIR with transforms (convertFile does it)');
  return transformModule;
}

/**
 * Loads `path` ('-' for stdin) and converts it; returns the text and the loader's warnings. The
 * stages: the modules the conversion needs, the file loaded, a graph model's tensor program built
 * (a Keras model's is built by convertWithIR, which knows whether a time axis may stay open), then
 * convertWithIR's stages.
 */
export async function convertFile(path: string, opts: ConvertOptions & LoadOptions): Promise<Converted & { warnings: string[]; model: ModelSpec }> {
  if (anyTransform(opts.transforms)) await loadTransforms();
  const loaded = await loadAnyModel(path, { weights: opts.weights });
  const { model, program } = await graphProgram(loaded, path, opts);
  const r = convertUntilTensor(model, opts, program);
  if (!('printTensor' in r)) return { ...r, warnings: model.warnings, model };
  // The tensor printers are most of emit/'s code: imported only when the tensor form is printed (a cold start on a small model prints the scalar form).
  await loadTensorEmitters(opts.format);
  return { ...r.printTensor(), warnings: model.warnings, model };
}

/** ONNX graphs and TF.js graph models map onto the tensor program directly; a Keras model's layers are built in convertWithIR. */
async function graphProgram(loaded: Awaited<ReturnType<typeof loadAnyModel>>, path: string, opts: ConvertOptions): Promise<{ model: ModelSpec; program?: TensorProgram }> {
  if ('onnx' in loaded) {
    const { buildOnnxProgram, onnxModelSpec } = await import('./extract/onnx/index.js');
    // As for a Keras time axis: the tensor form leaves a sequence axis open (symbolic dimensions past the batch).
    const program = buildOnnxProgram(loaded.onnx, { inputShapes: opts.inputShapes, bind: opts.bind, anyLength: tensorMayLoop(opts) });
    return { model: onnxModelSpec(loaded.onnx, program, opts.bind), program };
  }
  if (opts.bind && opts.bind.size > 0) throw new Nn2eqError(`--bind fixes inputs of an ONNX graph; ${path} is not an ONNX model`, 'usage', 'drop --bind');
  if ('tfgraph' in loaded) {
    const { buildTfProgram, tfModelSpec } = await import('./extract/tf/index.js');
    const program = buildTfProgram(loaded.tfgraph, { inputShapes: opts.inputShapes });
    return { model: tfModelSpec(loaded.tfgraph, program), program };
  }
  return { model: loaded.spec };
}

/** Whether the conversion may print the tensor form, which loops over an axis of any length (the options' own errors come later, from planConversion). */
function tensorMayLoop(opts: ConvertOptions): boolean {
  try {
    const plan = planConversion(opts);
    return plan.form !== 'scalar' && Boolean(plan.emitter?.tensor);
  } catch {
    return false;
  }
}

/** Formats whose identifiers may contain '_' (Wolfram reads it as a pattern; LaTeX as a subscript). */
const UNDERSCORE_OK: ReadonlySet<string> = new Set(['numpy', 'js']);

/** The header note of --form auto when it printed the tensor form: which form, and why. */
function autoNote(anyLength: boolean, limit: number, fixLength?: string, tensorOnly?: string): string {
  if (tensorOnly && !anyLength) return `--form auto chose the tensor form: its ${tensorOnly} op has no scalar form`;
  if (anyLength && fixLength) return `--form auto chose the tensor form: an input has a sequence axis of any length (for the scalar form, ${fixLength.replace(/^give the length with /, '')})`;
  return anyLength
    ? '--form auto chose the tensor form: an input has a time axis of any length (--timesteps T, or --form scalar, for the scalar form)'
    : `--form auto chose the tensor form: the scalar form passes ${humanBytes(limit)} (--form scalar prints it)`;
}

/** --inputs / --outputs in the tensor form: one name per element of the inputs (outputs), which needs their shapes fixed. */
function checkTensorNames(program: TensorProgram, opts: ConvertOptions, reserved: ReadonlySet<string>): void {
  for (const [flag, ports, names] of [['--inputs', program.inputs, opts.inputNames], ['--outputs', program.outputs, opts.outputNames]] as const) {
    const open = ports.findIndex((p) => p.tensor.shape.includes(-1));
    if (open >= 0 && names) throw new Nn2eqError(`${flag} names each element of the ${flag.slice(2)}, but ${flag.slice(2, -1)} ${open + 1} has a time axis of any length`, 'usage', 'fix the length with --timesteps T');
  }
  const count = (ports: TensorProgram['inputs']) => ports.reduce((n, p) => n + p.tensor.shape.reduce((a, b) => a * b, 1), 0);
  checkNames(opts, count(program.inputs), count(program.outputs), reserved);
}

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
