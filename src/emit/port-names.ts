import type { TensorProgram } from '../tensor/program.js';
import type { EmitOptions } from './types.js';

/**
 * --inputs / --outputs in the tensor form: the names of every element of each input and output,
 * per port, in row-major order (the scalar form's x1…xN and y1…yM, split at the ports).
 */
export interface PortNames {
  readonly inputs?: readonly (readonly string[])[];
  readonly outputs?: readonly (readonly string[])[];
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function split(names: readonly string[] | undefined, shapes: readonly (readonly number[])[]): string[][] | undefined {
  if (!names) return undefined;
  let at = 0;
  return shapes.map((s) => names.slice(at, (at += size(s))));
}

/** The user's names split per port (convert checked that they count every element). */
export function portNames(p: TensorProgram, opts: Pick<EmitOptions, 'inputNames' | 'outputNames'>): PortNames {
  return {
    inputs: split(opts.inputNames, p.inputs.map((port) => port.tensor.shape)),
    outputs: split(opts.outputNames, p.outputs.map((port) => port.tensor.shape)),
  };
}

/** The multi-index (from 0) of element `k` of a tensor of `shape`, row-major. */
export function unflatten(k: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = k % shape[a];
    k = Math.floor(k / shape[a]);
  }
  return idx;
}

/**
 * Comment lines for a code format's header naming each element of the inputs and outputs:
 * `input1[..., 0] cylinders, input1[..., 1] displacement, …`, wrapped to `width` characters.
 * `element(side, port, index, flat)` spells one element in the language (its own index base).
 * `outputsAre` says what the output spellings refer to. Empty when neither --inputs nor --outputs was given.
 */
export function namedElementLines(
  p: TensorProgram,
  opts: Pick<EmitOptions, 'inputNames' | 'outputNames'>,
  prefix: string,
  element: (side: 'input' | 'output', port: number, index: readonly number[], flat: number) => string,
  outputsAre = '',
  width = 100,
): string[] {
  const names = portNames(p, opts);
  const lines: string[] = [];
  const side = (which: 'input' | 'output', perPort: readonly (readonly string[])[] | undefined, shapes: readonly (readonly number[])[]) => {
    if (!perPort) return;
    lines.push(`${prefix}--${which}s names each element of the ${which}s${which === 'output' && outputsAre ? ` (${outputsAre})` : ''}:`);
    perPort.forEach((list, port) => {
      let line = `${prefix}  `;
      list.forEach((n, k) => {
        const piece = `${element(which, port, unflatten(k, shapes[port]), k)} ${n}${k < list.length - 1 ? ',' : ''}`;
        if (line.trim().length > prefix.trim().length && line.length + piece.length + 1 > width) {
          lines.push(line);
          line = `${prefix}  ${piece}`;
        } else line += (line.endsWith('  ') ? '' : ' ') + piece;
      });
      lines.push(line);
    });
  };
  side('input', names.inputs, p.inputs.map((port) => port.tensor.shape));
  side('output', names.outputs, p.outputs.map((port) => port.tensor.shape));
  return lines;
}
