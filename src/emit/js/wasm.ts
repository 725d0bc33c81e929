import type { Dtype } from '../types.js';

/**
 * The WebAssembly SIMD kernels of the JS tensor form's --wasm, written here as bytes (a small
 * assembler for the few instructions they need: locals, loops, i32 arithmetic, scalar and v128
 * loads and stores, splat, add, mul, min, max), so the generated module needs no toolchain at run
 * time. float32 values compute in f32x4 lanes, float64 values in f64x2 lanes, a lane per output
 * column or channel: each output is summed in the value type, its bias first, then its taps in
 * order (the plain loops add the bias last, and with --dtype float32 sum in float64).
 *
 * The module imports its memory (m.memory), which the generated code sizes once for every value,
 * scratch area and packed weight it will hold, so no view of it is ever detached by a growth. It
 * exports (all pointers are byte offsets into that memory):
 *
 * - gemm(y, x, rows, k, n, w, lo, hi, add): y[rows, n] = clamp(x[rows, k] * W + b (+ y when add)),
 *   W and b packed by the caller in panels of NR = 2 * lanes columns: for each panel, b's NR values
 *   then k rows of NR values, zeros past n. Four rows at a time in 2 x 4 vector sums (a register block).
 * - im2col(col, x, inH, inW, C, kH, kW, sH, sW, dH, dW, pH, pW, outH, outW): the windows of a 2-D
 *   channels-last input as the rows of col[outH * outW, kH * kW * C], zeros where a tap is padding.
 * - depthwise(y, x, w, inH, inW, C, kH, kW, sH, sW, dH, dW, pH, pW, outH, outW, lo, hi): a 2-D
 *   depthwise convolution, one filter per channel, C a multiple of the lanes; w holds b[C] then
 *   D[kH, kW, C]. Each output pixel is the bias, then its taps inside the input in order.
 *
 * Bytes [0, SCRATCH) of the memory are the kernels' own scratch (a partial panel's sums).
 *
 * The module stays under 4 KB (about 2.7 KB): browsers refuse to compile a larger one synchronously
 * on the main thread, and the generated module instantiates its kernels as it loads.
 */

/** Bytes at the start of the memory the kernels keep for themselves. */
export const WASM_SCRATCH = 64;

/** The lanes of one v128 in the value type, and its size in bytes. */
export function wasmLanes(dtype: Dtype): { lanes: number; bytes: number; panel: number } {
  const bytes = dtype === 'float32' ? 4 : 8;
  return { lanes: 16 / bytes, bytes, panel: 2 * (16 / bytes) };
}

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const name = (s: string) => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** One function's body being written: its locals and its instructions, with the opcodes as methods. */
class Body {
  readonly code: number[] = [];
  private readonly locals: number[] = [];

  constructor(
    private readonly params: number,
    private readonly t: number,
  ) {}

  /** A new local of `type`; returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params + this.locals.length - 1;
  }

  op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  get(l: number): this {
    return this.op(0x20, ...uleb(l));
  }

  set(l: number): this {
    return this.op(0x21, ...uleb(l));
  }

  i32(n: number): this {
    return this.op(0x41, ...sleb(n));
  }

  add(): this {
    return this.op(0x6a);
  }

  mul(): this {
    return this.op(0x6c);
  }

  /** local l += step (an i32 constant). */
  inc(l: number, step: number): this {
    return this.get(l).i32(step).add().set(l);
  }

  /** local l += local m. */
  incBy(l: number, m: number): this {
    return this.get(l).get(m).add().set(l);
  }

  /** A SIMD instruction (prefix 0xfd, then its number as unsigned LEB128), with a memory argument when given. */
  simd(code: number, memarg?: [number, number]): this {
    return this.op(0xfd, ...uleb(code), ...(memarg ? [...uleb(memarg[0]), ...uleb(memarg[1])] : []));
  }

  /** v128.load at the address on the stack plus `offset`. */
  vload(offset = 0): this {
    return this.simd(0x00, [0, offset]);
  }

  /** v128.store at (address, value) on the stack plus `offset`. */
  vstore(offset = 0): this {
    return this.simd(0x0b, [0, offset]);
  }

  /** One value of the value type at the address on the stack, in every lane. */
  vsplatLoad(): this {
    return this.t === F32 ? this.simd(0x09, [2, 0]) : this.simd(0x0a, [3, 0]);
  }

  vsplat(): this {
    return this.simd(this.t === F32 ? 0x13 : 0x14);
  }

  vadd(): this {
    return this.simd(this.t === F32 ? 0xe4 : 0xf0);
  }

  vmul(): this {
    return this.simd(this.t === F32 ? 0xe6 : 0xf2);
  }

  vmin(): this {
    return this.simd(this.t === F32 ? 0xe8 : 0xf4);
  }

  vmax(): this {
    return this.simd(this.t === F32 ? 0xe9 : 0xf5);
  }

  /** A scalar of the value type: load, store, add, min, max. */
  sload(offset = 0): this {
    return this.t === F32 ? this.op(0x2a, 2, ...uleb(offset)) : this.op(0x2b, 3, ...uleb(offset));
  }

  sstore(offset = 0): this {
    return this.t === F32 ? this.op(0x38, 2, ...uleb(offset)) : this.op(0x39, 3, ...uleb(offset));
  }

  sadd(): this {
    return this.op(this.t === F32 ? 0x92 : 0xa0);
  }

  smin(): this {
    return this.op(this.t === F32 ? 0x96 : 0xa4);
  }

  smax(): this {
    return this.op(this.t === F32 ? 0x97 : 0xa5);
  }

  /** for (; i < limit; i += step) body — `limit` pushes an i32; the loop's own blocks are closed here. `unsigned` compares as addresses (past 2 GiB too). */
  loopLt(i: number, limit: () => void, step: number | (() => void), body: () => void, unsigned = false): this {
    this.op(0x02, 0x40, 0x03, 0x40);
    this.get(i);
    limit();
    this.op(unsigned ? 0x4f : 0x4e, 0x0d, 1); // i32.ge_u or i32.ge_s; br_if to the block's end
    body();
    if (typeof step === 'number') this.inc(i, step);
    else step();
    return this.op(0x0c, 0, 0x0b, 0x0b); // br to the loop; end loop; end block
  }

  /** if (condition on the stack) { then } */
  when(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    then();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    return this.op(0x0b);
  }

  /** The body's bytes: its locals (one entry each) and code. */
  bytes(): number[] {
    const locals = vec(this.locals.map((t) => [1, t]));
    const all = [...locals, ...this.code, 0x0b];
    return [...uleb(all.length), ...all];
  }
}

interface Fn {
  readonly name: string;
  readonly params: number[];
  readonly body: Body;
}

/** The kernels' module for values of `dtype`, as bytes. */
export function wasmKernels(dtype: Dtype): Uint8Array {
  const t = dtype === 'float32' ? F32 : F64;
  const { bytes: E, panel: NR } = wasmLanes(dtype);
  const fns: Fn[] = [gemm(t, E, NR), im2col(t, E), depthwise(t, E)];
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0]);
  const module = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('m'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => f.body.bytes()))),
  ];
  return Uint8Array.from(module);
}

/** gemm(y, x, rows, k, n, w, lo, hi, add): see the file comment. */
function gemm(t: number, E: number, NR: number): Fn {
  const params = [I32, I32, I32, I32, I32, I32, t, t, I32];
  const [y, x, rows, k, n, w, lo, hi, add] = params.map((_, i) => i);
  const f = new Body(params.length, t);
  const j0 = f.local(I32), wp0 = f.local(I32), cols = f.local(I32), i = f.local(I32), kb = f.local(I32), nb = f.local(I32);
  const xp = f.local(I32), wp = f.local(I32), q = f.local(I32), yp = f.local(I32), c = f.local(I32), panelBytes = f.local(I32);
  const kbr = [0, kb, f.local(I32), f.local(I32)];
  const lov = f.local(V128), hiv = f.local(V128), b0 = f.local(V128), b1 = f.local(V128), a = f.local(V128);
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  f.get(k).i32(E).mul().set(kb);
  f.get(kb).i32(2).mul().set(kbr[2]);
  f.get(kb).i32(3).mul().set(kbr[3]);
  f.get(n).i32(E).mul().set(nb);
  f.get(k).i32(1).add().i32(NR * E).mul().set(panelBytes);
  f.get(lo).vsplat().set(lov);
  f.get(hi).vsplat().set(hiv);
  f.get(w).set(wp0);
  /** Stores the sums of one row (two vectors) at yp: whole, or the first `cols` values through the scratch area. */
  const store = (s0: number, s1: number) => {
    f.get(cols).i32(NR).op(0x46); // i32.eq
    f.when(
      () => {
        for (const [h, s] of [[0, s0], [1, s1]]) {
          f.get(add).when(() => f.get(s).get(yp).vload(h * 16).vadd().set(s));
          f.get(yp).get(hiv).get(lov).get(s).vmax().vmin().vstore(h * 16);
        }
      },
      () => {
        f.i32(0).get(s0).vstore(0);
        f.i32(0).get(s1).vstore(16);
        f.i32(0).set(c);
        f.loopLt(c, () => f.get(cols), 1, () => {
          // v = scratch[c] (+ y[c]); y[c] = min(hi, max(lo, v))
          f.get(yp).get(c).i32(E).mul().add(); // address of y[c]
          f.get(hi).get(lo);
          f.get(c).i32(E).mul().sload(0);
          f.get(add).op(0x04, t); // if (result t): v + y[c] else v
          f.get(yp).get(c).i32(E).mul().add().sload(0);
          f.op(0x05);
          f.op(t === F32 ? 0x43 : 0x44, ...(t === F32 ? [0, 0, 0, 0] : [0, 0, 0, 0, 0, 0, 0, 0])); // 0
          f.op(0x0b);
          f.sadd();
          f.smax().smin().sstore(0);
        });
      },
    );
  };
  f.i32(0).set(j0);
  f.loopLt(j0, () => f.get(n), NR, () => {
    f.get(n).get(j0).op(0x6b).set(cols); // n - j0
    f.get(cols).i32(NR).op(0x4a).when(() => f.i32(NR).set(cols)); // gt_s
    f.i32(0).set(i);
    // Four rows at a time.
    f.loopLt(i, () => f.get(rows).i32(3).op(0x6b), 4, () => {
      for (let r = 0; r < 4; r++) {
        f.get(wp0).vload(0).set(acc[2 * r]);
        f.get(wp0).vload(16).set(acc[2 * r + 1]);
      }
      f.get(x).get(i).get(kb).mul().add().set(xp);
      f.get(wp0).i32(NR * E).add().set(wp);
      f.i32(0).set(q);
      f.loopLt(q, () => f.get(k), 1, () => {
        f.get(wp).vload(0).set(b0);
        f.get(wp).vload(16).set(b1);
        for (let r = 0; r < 4; r++) {
          f.get(xp);
          if (r > 0) f.get(kbr[r]).add();
          f.vsplatLoad().set(a);
          f.get(acc[2 * r]).get(a).get(b0).vmul().vadd().set(acc[2 * r]);
          f.get(acc[2 * r + 1]).get(a).get(b1).vmul().vadd().set(acc[2 * r + 1]);
        }
        f.inc(xp, E).inc(wp, NR * E);
      });
      for (let r = 0; r < 4; r++) {
        f.get(y).get(i).i32(r).add().get(nb).mul().add().get(j0).i32(E).mul().add().set(yp);
        store(acc[2 * r], acc[2 * r + 1]);
      }
    });
    // The rows past a multiple of four, one at a time.
    f.loopLt(i, () => f.get(rows), 1, () => {
      f.get(wp0).vload(0).set(acc[0]);
      f.get(wp0).vload(16).set(acc[1]);
      f.get(x).get(i).get(kb).mul().add().set(xp);
      f.get(wp0).i32(NR * E).add().set(wp);
      f.i32(0).set(q);
      f.loopLt(q, () => f.get(k), 1, () => {
        f.get(xp).vsplatLoad().set(a);
        f.get(acc[0]).get(a).get(wp).vload(0).vmul().vadd().set(acc[0]);
        f.get(acc[1]).get(a).get(wp).vload(16).vmul().vadd().set(acc[1]);
        f.inc(xp, E).inc(wp, NR * E);
      });
      f.get(y).get(i).get(nb).mul().add().get(j0).i32(E).mul().add().set(yp);
      store(acc[0], acc[1]);
    });
    f.incBy(wp0, panelBytes);
  });
  return { name: 'gemm', params, body: f };
}

/** Copies `bytes` (a multiple of E) from src to dst, 16 at a time then E at a time; zeros instead when src is -1. dst and src are
 * addresses, compared unsigned: a memory may pass 2 GiB. */
function copyLoop(f: Body, E: number, dst: number, src: number, bytes: number, end: number): void {
  f.get(dst).get(bytes).add().set(end);
  f.loopLt(dst, () => f.get(end).i32(15).op(0x6b), () => {
    f.inc(dst, 16);
    f.get(src).i32(-1).op(0x47).when(() => f.inc(src, 16)); // src != -1
  }, () => {
    f.get(dst);
    f.get(src).i32(-1).op(0x46); // src == -1
    f.op(0x04, V128);
    f.simd(0x0c).op(...new Array(16).fill(0)); // v128.const 0
    f.op(0x05);
    f.get(src).vload(0);
    f.op(0x0b);
    f.vstore(0);
  }, true);
  f.loopLt(dst, () => f.get(end), () => {
    f.inc(dst, E);
    f.get(src).i32(-1).op(0x47).when(() => f.inc(src, E));
  }, () => {
    f.get(dst);
    f.get(src).i32(-1).op(0x46);
    f.op(0x04, E === 4 ? F32 : F64);
    f.op(E === 4 ? 0x43 : 0x44, ...new Array(E).fill(0));
    f.op(0x05);
    f.get(src).sload(0);
    f.op(0x0b);
    f.sstore(0);
  }, true);
}

/** im2col(col, x, inH, inW, C, kH, kW, sH, sW, dH, dW, pH, pW, outH, outW): see the file comment. */
function im2col(t: number, E: number): Fn {
  const params = new Array(15).fill(I32);
  const [col, x, inH, inW, C, kH, kW, sH, sW, dH, dW, pH, pW, outH, outW] = params.map((_, i) => i);
  const f = new Body(params.length, t);
  const oh = f.local(I32), ow = f.local(I32), kh = f.local(I32), kw = f.local(I32), ih = f.local(I32), iw = f.local(I32);
  const dst = f.local(I32), src = f.local(I32), cb = f.local(I32), end = f.local(I32), iw0 = f.local(I32), bytes = f.local(I32);
  f.get(C).i32(E).mul().set(cb);
  f.get(col).set(dst);
  f.i32(0).set(oh);
  f.loopLt(oh, () => f.get(outH), 1, () => {
    f.i32(0).set(ow);
    f.loopLt(ow, () => f.get(outW), 1, () => {
      f.i32(0).set(kh);
      f.loopLt(kh, () => f.get(kH), 1, () => {
        f.get(oh).get(sH).mul().get(pH).op(0x6b).get(kh).get(dH).mul().add().set(ih);
        f.get(ow).get(sW).mul().get(pW).op(0x6b).set(iw0);
        // The whole kernel row inside the input with no dilation: kW * C contiguous values.
        f.get(ih).get(inH).op(0x49); // ih <u inH
        f.get(dW).i32(1).op(0x46).op(0x71);
        f.get(iw0).i32(0).op(0x4e).op(0x71);
        f.get(iw0).get(kW).add().get(inW).op(0x4c).op(0x71); // iw0 + kW <= inW
        f.when(
          () => {
            f.get(x).get(ih).get(inW).mul().get(iw0).add().get(cb).mul().add().set(src);
            f.get(cb).get(kW).mul().set(bytes);
            copyLoop(f, E, dst, src, bytes, end);
          },
          () => {
            f.i32(0).set(kw);
            f.loopLt(kw, () => f.get(kW), 1, () => {
              f.get(iw0).get(kw).get(dW).mul().add().set(iw);
              f.get(ih).get(inH).op(0x49).get(iw).get(inW).op(0x49).op(0x71);
              f.when(
                () => f.get(x).get(ih).get(inW).mul().get(iw).add().get(cb).mul().add().set(src),
                () => f.i32(-1).set(src),
              );
              copyLoop(f, E, dst, src, cb, end);
            });
          },
        );
      });
    });
  });
  return { name: 'im2col', params, body: f };
}

/** depthwise(y, x, w, inH, inW, C, kH, kW, sH, sW, dH, dW, pH, pW, outH, outW, lo, hi): see the file comment. */
function depthwise(t: number, E: number): Fn {
  const params = [...new Array(16).fill(I32), t, t];
  const [y, x, w, inH, inW, C, kH, kW, sH, sW, dH, dW, pH, pW, outH, outW, lo, hi] = params.map((_, i) => i);
  const f = new Body(params.length, t);
  const oh = f.local(I32), ow = f.local(I32), kh = f.local(I32), kw = f.local(I32), ih = f.local(I32), iw = f.local(I32);
  const cb = f.local(I32), yp = f.local(I32), c = f.local(I32), xp = f.local(I32), wp = f.local(I32);
  const lov = f.local(V128), hiv = f.local(V128);
  f.get(C).i32(E).mul().set(cb);
  f.get(lo).vsplat().set(lov);
  f.get(hi).vsplat().set(hiv);
  f.get(y).set(yp);
  f.i32(0).set(oh);
  f.loopLt(oh, () => f.get(outH), 1, () => {
    f.i32(0).set(ow);
    f.loopLt(ow, () => f.get(outW), 1, () => {
      // y[pixel] = b
      f.i32(0).set(c);
      f.loopLt(c, () => f.get(cb), 16, () => f.get(yp).get(c).add().get(w).get(c).add().vload(0).vstore(0));
      f.i32(0).set(kh);
      f.loopLt(kh, () => f.get(kH), 1, () => {
        f.get(oh).get(sH).mul().get(pH).op(0x6b).get(kh).get(dH).mul().add().set(ih);
        f.get(ih).get(inH).op(0x49).when(() => {
          f.i32(0).set(kw);
          f.loopLt(kw, () => f.get(kW), 1, () => {
            f.get(ow).get(sW).mul().get(pW).op(0x6b).get(kw).get(dW).mul().add().set(iw);
            f.get(iw).get(inW).op(0x49).when(() => {
              // y[pixel, c] += x[ih, iw, c] * D[kh, kw, c] for every c
              f.get(x).get(ih).get(inW).mul().get(iw).add().get(cb).mul().add().set(xp);
              f.get(w).get(cb).add().get(kh).get(kW).mul().get(kw).add().get(cb).mul().add().set(wp);
              f.i32(0).set(c);
              f.loopLt(c, () => f.get(cb), 16, () => {
                f.get(yp).get(c).add();
                f.get(yp).get(c).add().vload(0);
                f.get(xp).get(c).add().vload(0);
                f.get(wp).get(c).add().vload(0);
                f.vmul().vadd().vstore(0);
              });
            });
          });
        });
      });
      f.i32(0).set(c);
      f.loopLt(c, () => f.get(cb), 16, () => {
        f.get(yp).get(c).add();
        f.get(hiv).get(lov).get(yp).get(c).add().vload(0).vmax().vmin();
        f.vstore(0);
      });
      f.incBy(yp, cb);
    });
  });
  return { name: 'depthwise', params, body: f };
}

/** Bytes as base64 (the generated module decodes them with atob). */
export function base64(bytes: Uint8Array): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i], b = bytes[i + 1] ?? 0, c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    s += A[n >> 18] + A[(n >> 12) & 63] + (i + 1 < bytes.length ? A[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? A[n & 63] : '=');
  }
  return s;
}
