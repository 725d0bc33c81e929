import { Nn2eqError } from '../../errors.js';

/** Protobuf wire types used by ONNX (groups, 3 and 4, are refused as corrupt). */
export const Wire = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;
/** One of the wire types in `Wire`. */
export type Wire = (typeof Wire)[keyof typeof Wire];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A bounds-checked reader over one protobuf message (a window of the file's bytes). Every read
 * past the window, malformed varint or invalid UTF-8 becomes a one-line `Nn2eqError` naming
 * the file, where in the message it happened and the byte offset.
 */
export class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    readonly file: string,
    readonly where: string,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** A one-line decoding error at the current position. */
  fail(what: string): Nn2eqError {
    return new Nn2eqError(`${this.file}: not a valid ONNX file: ${what} in ${this.where} at byte ${this.pos}`, 'input', 'the file is truncated or corrupt; export the model again (torch.onnx.export, onnx.save)');
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a tag; returns [field number, wire type]. */
  tag(): [number, number] {
    const t = this.uint32();
    const field = t >>> 3;
    const wire = t & 7;
    if (field === 0 || (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5)) throw this.fail(`field ${field} with wire type ${wire}`);
    return [field, wire];
  }

  /** Low and high 32 bits of a varint of up to 10 bytes. */
  private varint64(): [number, number] {
    let lo = 0;
    let hi = 0;
    const buf = this.buf;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.fail('a number runs past the end of its message');
      const b = buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw this.fail('a number longer than 10 bytes');
  }

  /** uint32 / enum / field tag (the low 32 bits, as protobuf truncates). */
  uint32(): number {
    const buf = this.buf;
    if (this.pos < this.end && buf[this.pos] < 0x80) return buf[this.pos++];
    return this.varint64()[0];
  }

  /** int32 (sign-extended negatives take 10 bytes on the wire). */
  int32(): number {
    return this.varint64()[0] | 0;
  }

  /**
   * int64 as a number: exact when |v| <= 2^53; larger magnitudes (the INT64_MAX / INT64_MIN
   * sentinels ONNX uses for "to the end") round to the nearest double.
   */
  int64(): number {
    const buf = this.buf;
    if (this.pos < this.end && buf[this.pos] < 0x80) return buf[this.pos++];
    const [lo, hi] = this.varint64();
    return hi >= 0x80000000 ? (hi - 0x100000000) * 0x100000000 + lo : hi * 0x100000000 + lo;
  }

  /** int64 exactly, as a bigint. */
  int64Big(): bigint {
    const [lo, hi] = this.varint64();
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** uint64 exactly, as a bigint. */
  uint64Big(): bigint {
    const [lo, hi] = this.varint64();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  fixed32Float(): number {
    if (this.pos + 4 > this.end) throw this.fail('a float runs past the end of its message');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  fixed64Double(): number {
    if (this.pos + 8 > this.end) throw this.fail('a double runs past the end of its message');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field: returns its [start, end) byte range and moves past it. */
  span(): [number, number] {
    const [len, hi] = this.pos < this.end && this.buf[this.pos] < 0x80 ? [this.buf[this.pos++], 0] : this.varint64();
    if (hi !== 0 || len > this.end - this.pos) throw this.fail(`a field of ${hi !== 0 ? 'more than 4 GiB' : `${len} bytes`} runs past the end of its message (${this.end - this.pos} bytes left)`);
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }

  string(): string {
    const [s, e] = this.span();
    try {
      return utf8.decode(this.buf.subarray(s, e));
    } catch {
      this.pos = s;
      throw this.fail('a string that is not UTF-8');
    }
  }

  /** A reader over an embedded message. */
  message(where: string): Reader {
    const [s, e] = this.span();
    return new Reader(this.buf, this.file, where, s, e);
  }

  /** Skips a field of the given wire type (fields this decoder does not need). */
  skip(wire: number): void {
    switch (wire) {
      case Wire.Varint:
        this.varint64();
        return;
      case Wire.Fixed64:
        if (this.pos + 8 > this.end) throw this.fail('a 64-bit field runs past the end of its message');
        this.pos += 8;
        return;
      case Wire.Bytes:
        this.span();
        return;
      case Wire.Fixed32:
        if (this.pos + 4 > this.end) throw this.fail('a 32-bit field runs past the end of its message');
        this.pos += 4;
        return;
      default:
        throw this.fail(`wire type ${wire}`);
    }
  }

  /** Appends a repeated scalar field, packed (wire type 2) or not, via `read`. */
  repeated(wire: number, scalarWire: Wire, read: (r: Reader) => void): void {
    if (wire === Wire.Bytes && scalarWire !== Wire.Bytes) {
      const [s, e] = this.span();
      const inner = new Reader(this.buf, this.file, this.where, s, e);
      while (!inner.done()) read(inner);
      return;
    }
    if (wire !== scalarWire) throw this.fail(`a list field with wire type ${wire}`);
    read(this);
  }

  /** Fails unless the wire type is the expected one. */
  expect(wire: number, want: Wire, field: string): void {
    if (wire !== want) throw this.fail(`field '${field}' with wire type ${wire} (expected ${want})`);
  }
}
