import { extname } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { FORMATS, type Format } from '../emit/index.js';
import type { ModelSpec } from '../load/index.js';

/** Parses -f case-insensitively (`-f LaTeX`), naming the formats when it is none of them. */
export function parseFormat(v: string): Format {
  const f = v.trim().toLowerCase();
  if (!(FORMATS as readonly string[]).includes(f)) throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
  return f as Format;
}

/** The format an -o file's extension means. */
const BY_EXTENSION: Record<string, Format> = { '.py': 'numpy', '.js': 'js', '.mjs': 'js', '.wl': 'mathematica', '.m': 'mathematica', '.tex': 'latex', '.c': 'c', '.jl': 'julia', '.html': 'html', '.svg': 'svg' };

/**
 * The output format: -f when given, else the one -o's extension means, else latex. Returns a
 * warning when an explicit -f contradicts the extension.
 */
export function chooseFormat(explicit: Format | undefined, output: string | undefined): { format: Format; warning?: string } {
  const implied = output ? BY_EXTENSION[extname(output).toLowerCase()] : undefined;
  if (explicit === undefined) return { format: implied ?? 'latex' };
  if (implied !== undefined && implied !== explicit) {
    return { format: explicit, warning: `-o ${output} looks like ${implied} output, but -f ${explicit} was given; writing ${explicit}` };
  }
  return { format: explicit };
}

/** Commander's own messages ("error: option … is invalid") in nn2eq's form: `nn2eq: …`. */
export function commanderError(text: string, write: (t: string) => void): void {
  write(`nn2eq: ${text.replace(/^error:\s*/, '')}`);
}

/** Warnings for options given where they do nothing. */
export function ignoredOptions(cmd: Command, opts: { verify?: boolean; standalone?: boolean; timesteps?: number }, format: Format, model: ModelSpec): string[] {
  const out: string[] = [];
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  if (!opts.verify && given('report')) out.push('--report has no effect without --verify');
  if (opts.standalone && format !== 'latex') out.push(`--standalone has no effect with -f ${format} (it makes a complete LaTeX document)`);
  if (opts.timesteps !== undefined && !model.inputs.some((i) => i.shape.some((d) => d === null))) {
    out.push('--timesteps has no effect: every input of this model has a fixed length');
  }
  return out;
}
