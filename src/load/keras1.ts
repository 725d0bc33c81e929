import { Nn2eqError } from '../errors.js';
import type { Config, Weight } from './spec.js';

/**
 * Keras 1 spellings, turned into Keras 2 ones: class names, config keys and the per-gate weights
 * of recurrent layers. Only the loader calls this; later code never sees a Keras 1 name.
 */

const CLASS_RENAMES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  AtrousConvolution1D: 'Conv1D',
  AtrousConvolution2D: 'Conv2D',
  SeparableConvolution2D: 'SeparableConv2D',
};

const MERGE_MODES: Record<string, string> = { sum: 'Add', mul: 'Multiply', ave: 'Average', max: 'Maximum', concat: 'Concatenate', dot: 'Dot', cos: 'Dot' };

/** The Keras 2 class name and config of a Keras 1 layer. */
export function keras1Layer(className: string, c: Config, file: string, name: string): { className: string; config: Config } {
  const out: Config = { ...c };
  const move = (from: string, to: string, f: (v: unknown) => unknown = (v) => v) => {
    if (from in out) {
      if (!(to in out)) out[to] = f(out[from]);
      delete out[from];
    }
  };
  let cls = CLASS_RENAMES[className] ?? className;
  // Theano-ordered kernels are stored (out, in, rows, cols) and flipped; nn2eq does not convert them.
  if (/Conv/.test(cls) && out.dim_ordering === 'th') {
    throw new Nn2eqError(`${file}: layer '${name}' is a Keras 1 ${className} with dim_ordering 'th', whose kernels nn2eq does not convert`, 'unsupported', "load the model in Keras 2 and save it again (Keras converts Theano kernels on load)");
  }
  const recurrent = ['SimpleRNN', 'LSTM', 'GRU'].includes(cls);
  if (cls === 'Dense' || recurrent) move('output_dim', 'units');
  move('inner_activation', 'recurrent_activation');
  move('bias', 'use_bias');
  move('p', 'rate');
  move('nb_filter', 'filters');
  move('border_mode', 'padding');
  move('dim_ordering', 'data_format', (v) => (v === 'th' ? 'channels_first' : 'channels_last'));
  if (cls === 'Conv2D' || cls === 'SeparableConv2D') {
    if ('nb_row' in out) out.kernel_size = [out.nb_row, out.nb_col];
    delete out.nb_row;
    delete out.nb_col;
    move('subsample', 'strides');
    move('atrous_rate', 'dilation_rate');
  }
  if (cls === 'Conv1D') {
    move('filter_length', 'kernel_size', (v) => [v]);
    move('subsample_length', 'strides', (v) => [v]);
    move('atrous_rate', 'dilation_rate', (v) => [v]);
  }
  if (cls === 'MaxPooling1D' || cls === 'AveragePooling1D') {
    move('pool_length', 'pool_size', (v) => [v]);
    move('stride', 'strides', (v) => (v === null ? null : [v]));
  }
  if (cls === 'BatchNormalization' && out.mode !== undefined && out.mode !== 0) {
    throw new Nn2eqError(`${file}: layer '${name}' is a Keras 1 BatchNormalization in mode ${String(out.mode)}, which normalizes with batch statistics`, 'unsupported', 'only mode 0 (stored moving statistics) has a fixed formula');
  }
  if (cls === 'Merge') {
    const mode = String(out.mode);
    const target = MERGE_MODES[mode];
    if (!target) throw new Nn2eqError(`${file}: layer '${name}' is a Keras 1 Merge with mode '${mode}'`, 'unsupported', `supported modes: ${Object.keys(MERGE_MODES).join(', ')}`);
    cls = target;
    if (mode === 'concat') out.axis = out.concat_axis ?? -1;
    if (mode === 'dot' || mode === 'cos') {
      out.axes = out.dot_axes ?? -1;
      out.normalize = mode === 'cos';
    }
  }
  return { className: cls, config: out };
}

/**
 * Keras 2 variable names for the weights of a Keras 1 layer, stored as '<layer>_<var>':
 * W/U/b become kernel/recurrent_kernel/bias, and per-gate recurrent weights are concatenated in
 * Keras 2 gate order (LSTM i, f, c, o; GRU z, r, h).
 */
export function keras1Weights(className: string, layer: string, stored: Weight[], file: string): Map<string, Weight> {
  const byVar = new Map<string, Weight>();
  for (const w of stored) {
    const base = w.name.replace(/:\d+$/, '').split('/').pop()!;
    byVar.set(base.startsWith(`${layer}_`) ? base.slice(layer.length + 1) : base, w);
  }
  const out = new Map<string, Weight>();
  const gates = className === 'LSTM' ? ['i', 'f', 'c', 'o'] : className === 'GRU' ? ['z', 'r', 'h'] : null;
  if (gates && byVar.has(`W_${gates[0]}`)) {
    for (const [k, v] of [['W', 'kernel'], ['U', 'recurrent_kernel'], ['b', 'bias']] as const) {
      const parts = gates.map((g) => {
        const w = byVar.get(`${k}_${g}`);
        if (!w) throw new Nn2eqError(`${file}: layer '${layer}' has Keras 1 per-gate weights but lacks ${k}_${g}; it has ${[...byVar.keys()].join(', ')}`, 'input');
        return w;
      });
      out.set(v, concatLastAxis(`${layer}/${v}`, parts));
    }
    return out;
  }
  const names: Record<string, string> = {
    W: className === 'Embedding' ? 'embeddings' : 'kernel',
    U: 'recurrent_kernel',
    b: 'bias',
    running_mean: 'moving_mean',
    // Keras 1 kept the moving variance under the name running_std.
    running_std: 'moving_variance',
    alphas: 'alpha',
  };
  for (const [k, w] of byVar) out.set(names[k] ?? k, w);
  return out;
}

function concatLastAxis(name: string, parts: Weight[]): Weight {
  const rows = parts[0].shape.length === 1 ? 1 : parts[0].shape[0];
  const widths = parts.map((p) => p.shape[p.shape.length - 1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const values = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let col = 0;
    parts.forEach((p, i) => {
      values.set(p.values.subarray(r * widths[i], (r + 1) * widths[i]), r * total + col);
      col += widths[i];
    });
  }
  return { name, shape: parts[0].shape.length === 1 ? [total] : [rows, total], values };
}
