import type { Fn } from '../ir/ops.js';
import type { Program } from '../schedule.js';

/** Options every emitter takes. */
export interface EmitOptions {
  /** Significant digits; undefined prints every number exactly (shortest round-trip). */
  readonly precision?: number;
  readonly inline: boolean;
  readonly maxSize: number;
  /** Replacement names for x1…xN and y1…yM. */
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
  /** LaTeX only: a complete document instead of display-math content. */
  readonly standalone?: boolean;
  /** LaTeX only: at most this many terms of a sum per line (--terms-per-line). */
  readonly termsPerLine?: number;
  readonly modelName: string;
}

/** One output language. */
export interface Emitter {
  readonly description: string;
  readonly extension: string;
  /** Functions the target provides (natively or in its prelude); others are lowered in the IR first. */
  readonly supports: ReadonlySet<Fn>;
  /** Words the target reserves, which user-chosen names may not take. */
  readonly reserved: ReadonlySet<string>;
  emit(program: Program, opts: EmitOptions): string;
}
