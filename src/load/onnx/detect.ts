import { Reader, Wire } from './protobuf.js';

/** ModelProto fields and the wire type each must have (for `looksLikeOnnx`). */
const MODEL_FIELDS: Record<number, number> = { 1: Wire.Varint, 2: Wire.Bytes, 3: Wire.Bytes, 4: Wire.Bytes, 5: Wire.Varint, 6: Wire.Bytes, 7: Wire.Bytes, 8: Wire.Bytes, 14: Wire.Bytes, 20: Wire.Bytes, 25: Wire.Bytes, 26: Wire.Bytes };

/**
 * Whether the bytes are a serialized ONNX ModelProto: the top-level fields parse to the exact
 * end, each field number is one ModelProto has with its wire type, and there is an ir_version
 * (field 1) and a graph (field 7). Serializers write ir_version first, so the first byte is 0x08;
 * the check does not rely on it. Looks only at the top level, so it is cheap for any size.
 */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || (bytes[0] & 7) > 5) return false;
  const r = new Reader(bytes, '', '');
  let ir = false;
  let graph = false;
  try {
    while (!r.done()) {
      const [field, wire] = r.tag();
      if (MODEL_FIELDS[field] !== wire) return false;
      if (field === 1) {
        const v = r.int64();
        ir = v >= 1 && v < 1000;
      } else if (field === 7) {
        const g = r.message('graph');
        // The graph's first field must parse too: a node, name, initializer or input.
        if (!g.done()) {
          const [f2, w2] = g.tag();
          if (w2 !== Wire.Bytes || f2 > 16) return false;
          g.skip(w2);
        }
        graph = true;
      } else r.skip(wire);
    }
  } catch {
    return false;
  }
  return ir && graph;
}
