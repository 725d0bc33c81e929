"""Quantized ONNX models whose scales and zero points are computed (graph inputs, or values computed
from the inputs), for test/onnx-qdq-computed.test.ts: the paths of src/extract/onnx/quantize.ts that
ONNX's conformance cases (test/onnx-backend/node) do not take.

- q_axis_batch: QuantizeLinear → DequantizeLinear with per-axis scale and zero point given as inputs,
  and a symbolic batch axis on x (the NumPy form runs the cases as one batch).
- q_scale_from_ops: symmetric int8 quantization with s = ReduceMax(|x|) / 127 computed in the graph
  (a float32 value the program computes in float64: nn2eq rounds it to float32).
- blocked_computed / blocked_const: blocked quantization (opset 21, block_size 2 along axis 1 of a
  length-5 axis: the last block is cut short), scales and zero points as inputs, then as initializers.
- qlinear_matmul_mixed: QLinearMatMul with the input scale, its zero point and the output scale as
  inputs, the weight and its scale constant.
- qlinear_conv_computed: QLinearConv with a per-output-channel weight scale given as an input, a bias.
- dynamic_quantize: DynamicQuantizeLinear, on mixed, all-positive, all-negative and all-zero inputs.
- dq_float16: DequantizeLinear with float16 scales (output float16), one constant, one an input.
- q_float16: QuantizeLinear of float16 values by float16 scales (the division in float16, as ONNX's
  reference and its text from opset 21 define it), one given as an input, one constant. ONNX Runtime
  divides in float32 and rounds x / s = fl16(0.0137 * -20.5) / 0.0137 to -21 where float16 gives the
  tie -20.5, so -20: one step apart.
- const_values: QuantizeLinear of a constant x (float32 values that print as digits reading back as
  other doubles, ties of x / s among them) and DequantizeLinear of constant float8e4m3fn weights, each
  with a scale given as an input.

fixtures/onnx-qdq-computed/<name>/model.onnx, cases.json (input values) and reference.json: per case
the outputs of ONNX's reference semantics ported to numpy here ("reference"), and ONNX Runtime's
(onnxruntime-web, run through node: "ort", with its version).
Run: /usr/bin/python3 scripts/onnx-qdq-computed-fixtures.py   (needs node and onnxruntime-web)
"""
import json
import os
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "fixtures", "onnx-qdq-computed")
rng = np.random.default_rng(2931)
F32 = np.float32
F16 = np.float16
ONNX_TYPE = {np.dtype("float32"): TensorProto.FLOAT, np.dtype("float16"): TensorProto.FLOAT16, np.dtype("uint8"): TensorProto.UINT8,
             np.dtype("int8"): TensorProto.INT8, np.dtype("int32"): TensorProto.INT32}
ORT_TYPE = {np.dtype("float32"): "float32", np.dtype("float16"): "float16", np.dtype("uint8"): "uint8", np.dtype("int8"): "int8", np.dtype("int32"): "int32"}


# --- ONNX's reference semantics, in numpy (onnx/reference/ops/op_quantize_linear.py and siblings) -

def expand(p, shape, axis, block=0):
    """A scale or zero point laid out on `shape`: one value, one per index of `axis`, or one per block."""
    p = np.asarray(p)
    if p.size == 1:
        return p.reshape(())
    if block:
        return np.repeat(p, block, axis=axis).take(range(shape[axis]), axis=axis)
    dims = [1] * len(shape)
    dims[axis] = p.size
    return p.reshape(dims)


def quantize(x, s, z, axis=1, block=0):
    info = np.iinfo(np.asarray(z).dtype)
    v = np.rint((x.astype(F32) / expand(s, x.shape, axis, block).astype(F32)).astype(F32))
    return np.clip(v + expand(z, x.shape, axis, block).astype(np.int32), info.min, info.max).astype(np.asarray(z).dtype)


def dequantize(q, s, z, axis=1, block=0, out=F32):
    d = q.astype(F32) - expand(z, q.shape, axis, block).astype(F32)
    return (d * expand(s, q.shape, axis, block).astype(F32)).astype(F32).astype(out)


def requantize(acc, m, zy):
    info = np.iinfo(np.asarray(zy).dtype)
    return np.clip(np.rint(acc.astype(np.float64) * np.asarray(m).astype(np.float64) + np.asarray(zy).astype(np.float64)), info.min, info.max).astype(np.asarray(zy).dtype)


def conv_int(x, w, b, pads):
    """Integer convolution (NCHW, stride 1), exact in int64."""
    x = np.pad(x, [(0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])])
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    out = np.zeros([n, m, h - kh + 1, wd - kw + 1], np.int64)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.tensordot(x[:, :, i:i + kh, j:j + kw], w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b.reshape(1, -1, 1, 1)


def dynamic(x):
    hi, lo = F32(max(0, x.max())), F32(min(0, x.min()))
    s = F32(1) if hi == lo else F32(F32(hi - lo) / F32(255))
    z = np.rint(np.clip(F32(F32(0) - F32(lo / s)), 0, 255))
    return np.clip(np.rint((x / s).astype(F32)) + z, 0, 255).astype(np.uint8), np.array(s, F32), np.array(z, np.uint8)


# --- writing --------------------------------------------------------------------------------------

def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, ONNX_TYPE[np.dtype(dtype)], shape)


def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def save(name, nodes, inputs, outputs, inits, cases, refs, opset=13):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="nn2eq onnx-qdq-computed-fixtures.py")
    m.ir_version = 8
    # onnx 1.12 knows opsets up to 17: the opset-21 model (block_size) is not checked by it.
    if opset <= 17:
        onnx.checker.check_model(m, full_check=True)
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump({"cases": [[np.asarray(v).astype(np.float64).tolist() for v in c] for c in cases]}, f)
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"note": "outputs of ONNX's reference semantics (ported to numpy, float ops in float32), flattened, per case",
                   "reference": [[np.asarray(o).astype(np.float64).ravel().tolist() for o in r] for r in refs]}, f)
    # What ONNX Runtime is fed: each input's name, type and full shape (the batch axis of length 1).
    return d, [[i.name, ORT_TYPE[np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[i.type.tensor_type.elem_type])],
                [dim.dim_value or 1 for dim in i.type.tensor_type.shape.dim]] for i in inputs]


def ties(shape, s, z, lo, hi):
    """Random float32 values over the quantized range, every third placed so that x / s is k + 1/2 in float32."""
    s = np.broadcast_to(s, shape).astype(F32)
    z = np.broadcast_to(z, shape).astype(np.int64)
    x = (rng.uniform(lo - 4, hi + 4, shape) - z) * s
    x = x.astype(F32)
    flat, sf, zf = x.reshape(-1), s.reshape(-1), z.reshape(-1)
    for i in range(0, flat.size, 3):
        k = rng.integers(lo - zf[i] - 3, hi - zf[i] + 3)
        t = F32(sf[i] * F32(k + 0.5))
        if F32(t / sf[i]) == F32(k + 0.5):
            flat[i] = t
    return x


def q_axis_batch():
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant", axis=1),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant", axis=1)]
    cases, refs = [], []
    for _ in range(3):
        s = rng.uniform(0.01, 0.2, [3]).astype(F32)
        z = rng.integers(60, 200, [3]).astype(np.uint8)
        # The batch axis is the model's; each case is one sample of it.
        x = ties([1, 3, 2], s.reshape(3, 1), z.reshape(3, 1), 0, 255)
        q = quantize(x, s, z)
        cases.append([x[0], s, z])
        refs.append([q[0], dequantize(q, s, z)[0]])
    return save("q_axis_batch", nodes, [vi("x", F32, ["N", 3, 2]), vi("s", F32, [3]), vi("z", np.uint8, [3])],
                [vi("q", np.uint8, ["N", 3, 2]), vi("y", F32, ["N", 3, 2])], [], cases, refs)


def q_scale_from_ops():
    nodes = [helper.make_node("Abs", ["x"], ["a"], name="abs"),
             helper.make_node("ReduceMax", ["a"], ["m"], name="max", keepdims=0),
             helper.make_node("Div", ["m", "levels"], ["s"], name="scale"),
             helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant")]
    cases, refs = [], []
    for k in range(4):
        x = rng.normal(0, 1 + k, [2, 5]).astype(F32)
        s = F32(np.abs(x).max() / F32(127))
        # A few ties of x / s.
        x[0, 0], x[1, 3] = F32(s * F32(2.5)), F32(s * F32(-40.5))
        s = F32(np.abs(x).max() / F32(127))
        q = quantize(x, s, np.int8(0))
        cases.append([x])
        refs.append([q, dequantize(q, s, np.int8(0))])
    # s itself is no output: a float32 Div, which nn2eq computes in float64 (not rounded to float32).
    return save("q_scale_from_ops", nodes, [vi("x", F32, [2, 5])], [vi("q", np.int8, [2, 5]), vi("y", F32, [2, 5])],
                [init("levels", np.array(127, F32)), init("z", np.array(0, np.int8))], cases, refs)


def blocked(name, computed):
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant", axis=1, block_size=2),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant", axis=1, block_size=2)]
    s = rng.uniform(0.02, 0.3, [2, 3]).astype(F32)
    z = rng.integers(-20, 20, [2, 3]).astype(np.int8)
    cases, refs = [], []
    for _ in range(3):
        if computed:
            s = rng.uniform(0.02, 0.3, [2, 3]).astype(F32)
            z = rng.integers(-20, 20, [2, 3]).astype(np.int8)
        x = ties([2, 5], expand(s, [2, 5], 1, 2), expand(z, [2, 5], 1, 2), -128, 127)
        q = quantize(x, s, z, 1, 2)
        cases.append([x, s, z] if computed else [x])
        refs.append([q, dequantize(q, s, z, 1, 2)])
    inputs = [vi("x", F32, [2, 5])] + ([vi("s", F32, [2, 3]), vi("z", np.int8, [2, 3])] if computed else [])
    inits = [] if computed else [init("s", s), init("z", z)]
    return save(name, nodes, inputs, [vi("q", np.int8, [2, 5]), vi("y", F32, [2, 5])], inits, cases, refs, opset=21)


def qlinear_matmul_mixed():
    b = rng.integers(0, 256, [4, 3]).astype(np.uint8)
    sb, zb, zy = np.array(0.0123, F32), np.array(131, np.uint8), np.array(100, np.uint8)
    nodes = [helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"], name="qmm")]
    cases, refs = [], []
    for _ in range(4):
        a = rng.integers(0, 256, [2, 4]).astype(np.uint8)
        sa, za, sy = np.array(rng.uniform(0.005, 0.05), F32), np.array(rng.integers(100, 150), np.uint8), np.array(rng.uniform(0.02, 0.2), F32)
        m = F32(F32(sa * sb) / sy)
        cases.append([a, sa, za, sy])
        refs.append([requantize(np.matmul(a.astype(np.int64) - za, b.astype(np.int64) - zb), m, zy)])
    return save("qlinear_matmul_mixed", nodes, [vi("a", np.uint8, [2, 4]), vi("sa", F32, []), vi("za", np.uint8, []), vi("sy", F32, [])],
                [vi("y", np.uint8, [2, 3])], [init("b", b), init("sb", sb), init("zb", zb), init("zy", zy)], cases, refs)


def qlinear_conv_computed():
    w = rng.integers(-100, 100, [3, 2, 2, 2]).astype(np.int8)
    bias = np.array([40, -300, 7], np.int32)
    zw, zy = np.array(0, np.int8), np.array(100, np.uint8)
    pads = [1, 0, 0, 1]
    nodes = [helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "bias"], ["y"], name="qconv", pads=pads)]
    cases, refs = [], []
    for _ in range(3):
        x = rng.integers(0, 256, [1, 2, 4, 4]).astype(np.uint8)
        sx, zx = np.array(rng.uniform(0.01, 0.05), F32), np.array(rng.integers(100, 150), np.uint8)
        sw, sy = rng.uniform(0.001, 0.01, [3]).astype(F32), np.array(rng.uniform(0.05, 0.3), F32)
        m = (F32(sx) * sw / F32(sy)).astype(F32).reshape(1, 3, 1, 1)
        cases.append([x, sx, zx, sw, sy])
        refs.append([requantize(conv_int(x.astype(np.int64) - zx, w.astype(np.int64), bias, pads), m, zy)])
    return save("qlinear_conv_computed", nodes,
                [vi("x", np.uint8, [1, 2, 4, 4]), vi("sx", F32, []), vi("zx", np.uint8, []), vi("sw", F32, [3]), vi("sy", F32, [])],
                [vi("y", np.uint8, [1, 3, 4, 4])], [init("w", w), init("zw", zw), init("zy", zy), init("bias", bias)], cases, refs)


def dynamic_quantize():
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"], name="dq")]
    xs = [rng.normal(0, 2, [2, 3]), rng.uniform(0.5, 3, [2, 3]), -rng.uniform(0.5, 3, [2, 3]), np.zeros([2, 3]),
          np.array([[-1, 0, 1], [2, 0.5, -0.25]])]
    cases, refs = [], []
    for x in xs:
        x = x.astype(F32)
        cases.append([x])
        refs.append(list(dynamic(x)))
    return save("dynamic_quantize", nodes, [vi("x", F32, [2, 3])], [vi("y", np.uint8, [2, 3]), vi("s", F32, []), vi("z", np.uint8, [])], [], cases, refs, opset=13)


def dq_float16():
    nodes = [helper.make_node("DequantizeLinear", ["q", "sc", "zc"], ["y1"], name="dq_const"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y2"], name="dq_input", axis=1)]
    sc, zc = np.array(0.0123, F16), np.array(-3, np.int8)
    cases, refs = [], []
    for _ in range(3):
        q = rng.integers(-128, 128, [2, 3]).astype(np.int8)
        s = rng.uniform(0.001, 2, [3]).astype(F16)
        z = rng.integers(-10, 10, [3]).astype(np.int8)
        cases.append([q, s, z])
        refs.append([dequantize(q, sc, zc, out=F16), dequantize(q, s, z, out=F16)])
    return save("dq_float16", nodes, [vi("q", np.int8, [2, 3]), vi("s", F16, [3]), vi("z", np.int8, [3])],
                [vi("y1", F16, [2, 3]), vi("y2", F16, [2, 3])], [init("sc", sc), init("zc", zc)], cases, refs, opset=19)


def float8_e4m3fn(v):
    """The float8e4m3fn byte of a value that the type holds exactly."""
    if v == 0:
        return 0
    sign = 0x80 if v < 0 else 0
    a = abs(v)
    e = int(np.floor(np.log2(a)))
    if e < -6:
        return sign | int(round(a / 2.0 ** -9))
    return sign | ((e + 7) << 3) | int(round((a / 2.0 ** e - 1) * 8))


def q_float16():
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q1"], name="quant16", axis=1),
             helper.make_node("QuantizeLinear", ["x", "sc", "zc"], ["q2"], name="quant_const")]
    sc, zc = np.array(0.0137, F16), np.array(-5, np.int8)
    cases, refs = [], []
    for _ in range(3):
        s = rng.uniform(0.01, 0.05, [3]).astype(F16)
        z = rng.integers(100, 150, [3]).astype(np.uint8)
        x = rng.uniform(-3, 3, [2, 3]).astype(F16)
        # Ties of x / s in float16.
        x[0, 0] = F16(s[0] * F16(7.5))
        x[1, 2] = F16(s[2] * F16(-12.5))
        x[1, 0] = F16(sc * F16(-20.5))
        q1 = np.clip(np.rint(x / s) + z.astype(np.int32), 0, 255).astype(np.uint8)
        q2 = np.clip(np.rint(x / sc) + np.int32(zc), -128, 127).astype(np.int8)
        cases.append([x, s, z])
        refs.append([q1, q2])
    return save("q_float16", nodes, [vi("x", F16, [2, 3]), vi("s", F16, [3]), vi("z", np.uint8, [3])],
                [vi("q1", np.uint8, [2, 3]), vi("q2", np.int8, [2, 3])], [init("sc", sc), init("zc", zc)], cases, refs, opset=19)


def const_values():
    # The last three: x / s lands one float32 step from a tie k + 1/2 for one of the scales below, so
    # that x read back from its shortest float32 digits (another double) rounds to the other side.
    x = np.array([2 ** -20, 0.1, 1 / 3, 2.5 * 0.3, -7.5 * 0.3, 1e-3, 12.345, -0.7, -20.686847686767578, 38.5744514465332, 10.831608772277832], F32)
    x[3], x[4] = F32(F32(0.3) * F32(2.5)), F32(F32(0.3) * F32(-7.5))
    w = np.array([2 ** -9, -2 ** -6 * 1.125, 0.5, 448, -104, 3.5], F32)
    wt = onnx.TensorProto()
    wt.name, wt.data_type, wt.raw_data = "w", 17, bytes(float8_e4m3fn(v) for v in w)
    wt.dims.extend([6])
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant"),
             helper.make_node("DequantizeLinear", ["w", "sw"], ["y"], name="dequant")]
    cases, refs = [], []
    for s in [0.3, 0.01, 0.43551260232925415, 0.7077880501747131, 0.6988134980201721]:
        s, sw = np.array(s, F32), np.array(rng.uniform(0.5, 3), F32)
        cases.append([s, sw])
        refs.append([quantize(x, s, np.int8(0)), (w * sw).astype(F32)])
    return save("const_values", nodes, [vi("s", F32, []), vi("sw", F32, [])], [vi("q", np.int8, [11]), vi("y", F32, [6])],
                [init("x", x), init("z", np.array(0, np.int8)), wt], cases, refs, opset=19)


ORT = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const TYPED = { uint8: Uint8Array, int8: Int8Array, int32: Int32Array, float32: Float32Array, float16: Uint16Array };
// float16 inputs go to ONNX Runtime as their bits.
const bits16 = (v) => { const f = new Float32Array([v]); const u = new Uint32Array(f.buffer)[0]; const s = (u >>> 16) & 0x8000, e = ((u >>> 23) & 0xff) - 112, m = u & 0x7fffff;
  return e <= 0 ? s | ((m | 0x800000) >>> (14 - e)) : s | (e << 10) | (m >>> 13); };
const half = (h) => { const s = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff; return s * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15)); };
const jobs = JSON.parse(process.argv[1]);
for (const [dir, inputs] of jobs) {
  const session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')), { executionProviders: ['wasm'] });
  const { cases } = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));
  const outs = [];
  for (const c of cases) {
    const feeds = {};
    inputs.forEach(([name, dtype, dims], i) => {
      const v = [c[i]].flat(Infinity);
      feeds[name] = new ort.Tensor(dtype, dtype === 'float16' ? Uint16Array.from(v.map(bits16)) : TYPED[dtype].from(v), dims);
    });
    const r = await session.run(feeds);
    outs.push(session.outputNames.map((n) => Array.from(r[n].data, (v) => (r[n].type === 'float16' && r[n].data instanceof Uint16Array ? half(v) : Number(v)))));
  }
  await session.release();
  const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
  ref.ort = outs;
  ref.ort_version = ort.env.versions.web;
  writeFileSync(join(dir, 'reference.json'), JSON.stringify(ref));
}
"""

if __name__ == "__main__":
    jobs = [q_axis_batch(), q_scale_from_ops(), blocked("blocked_computed", True), blocked("blocked_const", False),
            qlinear_matmul_mixed(), qlinear_conv_computed(), dynamic_quantize(), dq_float16(), const_values(), q_float16()]
    subprocess.run(["node", "--input-type=module", "-e", ORT, json.dumps(jobs)], check=True, cwd=os.path.join(HERE, ".."))
    for d, _ in jobs:
        ref = json.load(open(os.path.join(d, "reference.json")))
        same = ref["reference"] == ref["ort"]
        print(os.path.basename(d), "ONNX Runtime", ref["ort_version"], "equals the reference" if same else "DIFFERS from the reference")
