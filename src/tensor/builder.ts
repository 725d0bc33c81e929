import type { DType } from './dtype.js';
import { TOPS, type TOp } from './ops.js';
import { sizeOf, type Attrs, type Body, type Equation, type T, type TensorInfo } from './program.js';

/**
 * Builds a tensor program equation by equation. Shapes come from each op's shape rule, so an
 * extractor never computes an output shape itself; a rule's complaint goes to `fail`.
 */
export class ProgramBuilder {
  readonly tensors: TensorInfo[] = [];
  /** Equations of the program, then of each body being built (innermost last). */
  private readonly lists: Equation[][] = [[]];
  /** The layer number new tensors are named after (see LayerCall.number). */
  layer = 0;

  get equations(): readonly Equation[] {
    return this.lists[0];
  }

  /** A model input of `shape` (model input number `index`, 0-based). */
  input(shape: readonly number[], index: number, dtype?: DType): T {
    return this.add({ shape, kind: 'input', role: 'x', layer: 0, index, ...(dtype ? { dtype } : {}) });
  }

  /** Records the element type of a tensor (once: a tensor keeps the type it was made with). */
  setDtype(t: T, dtype: DType): void {
    const info = this.tensors[t.id];
    if (info.dtype === undefined) this.tensors[t.id] = { ...info, dtype };
  }

  /** A constant tensor (a weight or a folded parameter) of the current layer. */
  constant(role: string, shape: readonly number[], values: ArrayLike<number>): T {
    if (values.length !== sizeOf(shape)) throw new Error(`constant ${role}: ${values.length} values for shape [${shape.join(', ')}]`);
    return this.add({ shape, kind: 'const', role, layer: this.layer, values });
  }

  /** Appends `outs = op(args; attrs)`; `roles` name the outputs (one for all, or one each). */
  apply(op: TOp, args: readonly T[], attrs: Attrs, fail: (message: string) => never, roles: string | readonly string[] = 'h', body?: Body): T[] {
    const bodyShapes = body ? body.outputs.map((id) => this.tensors[id].shape) : [];
    const shapes = (TOPS[op].shape as (a: readonly (readonly number[])[], at: Attrs, b: readonly (readonly number[])[]) => number[][] | string)(
      args.map((a) => a.shape),
      attrs,
      bodyShapes,
    );
    if (typeof shapes === 'string') return fail(shapes);
    const outs = shapes.map((shape, i) => this.add({ shape, kind: 'value', role: typeof roles === 'string' ? roles : roles[i] ?? roles[0], layer: this.layer }));
    this.lists[this.lists.length - 1].push({ op, args: args.map((a) => a.id), outs: outs.map((o) => o.id), attrs, ...(body ? { body } : {}) });
    return outs;
  }

  /** Builds a body: `build` receives fresh tensors for its inputs and returns its outputs. */
  body(inputs: readonly { shape: readonly number[]; role: string }[], build: (xs: T[]) => T[]): Body {
    this.lists.push([]);
    const xs = inputs.map((i) => this.add({ shape: i.shape, kind: 'value', role: i.role, layer: this.layer }));
    const outs = build(xs);
    const equations = this.lists.pop()!;
    return { inputs: xs.map((x) => x.id), equations, outputs: outs.map((o) => o.id) };
  }

  private add(info: TensorInfo): T {
    this.tensors.push(info);
    return { id: this.tensors.length - 1, shape: info.shape };
  }
}
