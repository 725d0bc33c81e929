import { Command, Option } from 'commander';
import { EMITTERS, FORMATS } from '../emit/index.js';
import { EXTRACTORS } from '../extract/index.js';

/** Where a subcommand writes (the CLI's Io). */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** How a subcommand ended; the CLI maps this to its exit code. */
export type Outcome = 'ok' | 'different';

/** Subcommands besides the default `nn2eq MODEL`. */
export const SUBCOMMANDS = ['info', 'diff', 'serve'] as const;

/** True when argv names a subcommand (a model file of that exact name is still reachable as ./info). */
export function isSubcommand(argv: readonly string[]): boolean {
  return (SUBCOMMANDS as readonly string[]).includes(argv[0]);
}

/** Adds --list-layers and --list-formats to the main command. */
export function addListOptions(cmd: Command): Command {
  return cmd.option('--list-layers', 'print the supported layers and exit').option('--list-formats', 'print the output formats and exit');
}

/** Prints what --list-layers / --list-formats ask for; returns false when neither was given. */
export function handleLists(opts: { listLayers?: boolean; listFormats?: boolean }, io: CommandIo): boolean {
  if (opts.listFormats) io.stdout(FORMATS.map((f) => `${f.padEnd(12)} .${EMITTERS[f].extension.padEnd(10)} ${EMITTERS[f].description}`).join('\n') + '\n');
  if (opts.listLayers) io.stdout(Object.keys(EXTRACTORS).sort().join('\n') + '\n');
  return Boolean(opts.listLayers || opts.listFormats);
}

/** Builds the subcommand's commander Command (parsing only; `run` does the work). */
function build(name: (typeof SUBCOMMANDS)[number], io: CommandIo, parsers: Parsers): Command {
  const base = new Command(`nn2eq ${name}`).configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride();
  const report = new Option('--report <kind>', 'text for people, json for machines').choices(['text', 'json']).default('text');
  if (name === 'serve') {
    return base
      .description('Serve the nn2eq page on 127.0.0.1 and print its address; given model files, the page opens with them loaded (they and the shards they name are served read-only).')
      .argument('[models...]', 'model files to open in the page (model.json, .h5, .keras, .onnx; an architecture JSON with its weights .h5)')
      .option('--port <N>', 'port to listen on (0: any free port)', parsers.port, 8765);
  }
  if (name === 'info') {
    return base
      .description('Describe a model: file format and writer, inputs and outputs, layers, parameters, and the size of each output format.')
      .argument('<model>', 'model file (as for nn2eq MODEL)')
      .option('-w, --weights <file>', 'weights .h5 for a Keras architecture JSON')
      .option('--timesteps <T>', 'length of an undefined (None) time axis', parsers.int)
      .addOption(report);
  }
  return base
    .description('Compare two models: per layer how many weights changed and by how much, and how far each output moved. Exit 0 when equal within --tolerance, 1 when different, 2 on error.')
    .argument('<old>', 'the old model file')
    .argument('<new>', 'the new model file')
    .option('--tolerance <t>', 'weights and outputs differing by at most this are equal (default 0: exact)', parsers.nonNegative)
    .option('--range <lo:hi>', 'box of the points sampled to compare outputs (default -1:1)', parsers.range)
    .addOption(new Option('-f, --format <format>', 'also print a unified diff of the two models in this format').choices(FORMATS))
    .option('--timesteps <T>', 'length of an undefined (None) time axis', parsers.int)
    .addOption(report);
}

/** Option parsers the CLI shares with its subcommands. */
export interface Parsers {
  int(v: string): number;
  nonNegative(v: string): number;
  range(v: string): [number, number];
  port(v: string): number;
}

/**
 * Runs `nn2eq info …` or `nn2eq diff …`. Throws Nn2eqError for bad input and CommanderError for
 * bad usage (the CLI maps both); returns the outcome otherwise.
 */
export async function runSubcommand(argv: readonly string[], io: CommandIo, parsers: Parsers): Promise<Outcome> {
  const name = argv[0] as (typeof SUBCOMMANDS)[number];
  const cmd = build(name, io, parsers);
  cmd.parse(argv.slice(1), { from: 'user' });
  const opts = cmd.opts();
  if (name === 'info') {
    const { info, infoText } = await import('./info.js');
    const r = await info(cmd.args[0], { weights: opts.weights, timesteps: opts.timesteps });
    io.stdout(opts.report === 'json' ? `${JSON.stringify(r, null, 2)}\n` : infoText(r));
    return 'ok';
  }
  if (name === 'serve') {
    const { serve } = await import('./serve.js');
    const s = await serve(cmd.args, { port: opts.port });
    io.stdout(`nn2eq: serving ${s.url}\n(Ctrl-C stops)\n`);
    await new Promise<void>((done) => s.server.once('close', done));
    return 'ok';
  }
  const { diffFiles, diffText } = await import('./diff.js');
  const r = await diffFiles(cmd.args[0], cmd.args[1], { tolerance: opts.tolerance, range: opts.range, format: opts.format, timesteps: opts.timesteps });
  io.stdout(opts.report === 'json' ? `${JSON.stringify(r, null, 2)}\n` : diffText(r));
  return r.equal ? 'ok' : 'different';
}
