import { InvalidArgumentError, type Command } from 'commander';

/**
 * ONNX options of the command line: `--input-shape name:1x3x224x224` (repeatable) fixes the
 * symbolic dimensions of a graph input.
 */
export function addOnnxOptions(cmd: Command): Command {
  return cmd.option('--input-shape <name:AxBx…>', 'ONNX: fix the symbolic dimensions of an input, e.g. input:1x3x224x224 (repeatable)', collectShape, new Map<string, number[]>());
}

/** The --input-shape values as convertFile's inputShapes (undefined when none was given). */
export function onnxConvertOptions(opts: { inputShape?: Map<string, number[]> }): { inputShapes?: ReadonlyMap<string, readonly number[]> } {
  return opts.inputShape && opts.inputShape.size > 0 ? { inputShapes: opts.inputShape } : {};
}

function collectShape(value: string, previous: Map<string, number[]>): Map<string, number[]> {
  const at = value.lastIndexOf(':');
  const name = value.slice(0, at);
  const dims = value.slice(at + 1).split(/[x×,]/);
  if (at <= 0 || dims.some((d) => !/^[1-9][0-9]*$/.test(d))) {
    throw new InvalidArgumentError(`'${value}' is not name:AxBx… with positive whole dimensions (e.g. input:1x3x224x224)`);
  }
  if (previous.has(name)) throw new InvalidArgumentError(`input '${name}' is given twice`);
  return new Map([...previous, [name, dims.map(Number)]]);
}
