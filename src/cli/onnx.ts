import { InvalidArgumentError, type Command } from 'commander';

/**
 * ONNX options of the command line: `--input-shape name:1x3x224x224` (repeatable) fixes the
 * symbolic dimensions of a graph input.
 */
export function addOnnxOptions(cmd: Command): Command {
  return cmd
    .option('--input-shape <name:AxBx…>', 'ONNX: fix the symbolic dimensions of an input, e.g. input:1x3x224x224 (repeatable)', collectShape, new Map<string, number[]>())
    .option('--bind <name=v1,v2,…>', 'ONNX: fix an input to constant values (row-major), e.g. shape=1,12 for an input that only sets a shape, axes or indices; it folds and predict no longer takes it (repeatable)', collectBind, new Map<string, number[]>());
}

/** The --input-shape and --bind values as convertFile's inputShapes and bind (each left out when not given). */
export function onnxConvertOptions(opts: { inputShape?: Map<string, number[]>; bind?: Map<string, number[]> }): { inputShapes?: ReadonlyMap<string, readonly number[]>; bind?: ReadonlyMap<string, readonly number[]> } {
  return {
    ...(opts.inputShape && opts.inputShape.size > 0 ? { inputShapes: opts.inputShape } : {}),
    ...(opts.bind && opts.bind.size > 0 ? { bind: opts.bind } : {}),
  };
}

/** Parses one --bind name=v1,v2,… (numbers; inf and nan are not values a shape or index takes). */
function collectBind(value: string, previous: Map<string, number[]>): Map<string, number[]> {
  const at = value.indexOf('=');
  const name = value.slice(0, at).trim();
  const items = value.slice(at + 1).split(',').map((v) => v.trim());
  const bad = items.find((v) => !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v));
  if (at <= 0 || bad !== undefined) {
    throw new InvalidArgumentError(`'${value}' is not name=v1,v2,… with numbers${bad !== undefined && at > 0 ? ` ('${bad}' is not a number)` : ''} (e.g. shape=1,12)`);
  }
  if (previous.has(name)) throw new InvalidArgumentError(`input '${name}' is bound twice`);
  return new Map([...previous, [name, items.map(Number)]]);
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
