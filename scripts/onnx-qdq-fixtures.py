"""Quantized ONNX models for test/onnx-qdq.test.ts.

fixtures/onnx-qdq/<name>/model.onnx, cases.json (input values) and reference.json: per case the
outputs ONNX's reference implementation gives (onnx/reference/ops/op_quantize_linear.py,
op_dequantize_linear.py, op_qlinear_conv.py, op_qlinear_matmul.py, op_matmul_integer.py,
op_conv_integer.py, ported to numpy below: the installed onnx 1.12 has no ReferenceEvaluator),
with the float ops between them in float32 as the reference runs them (numpy, and torch's conv);
and, for the torch_* models, PyTorch's own predictions (fake-quantized QAT models, float32).
ONNX Runtime (onnxruntime-web) is the second oracle, run by the test.

Hand-built (python3-onnx helper): QDQ per tensor and per axis (uint8, int8, int16), a QDQ
Conv chain as ONNX Runtime's static quantizer writes it, QLinearConv, QLinearMatMul,
MatMulInteger, ConvInteger. Inputs include ties: x with x / s exactly k + 1/2 in float32.
Run: /usr/bin/python3 scripts/onnx-qdq-fixtures.py
"""
import json
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "onnx-qdq")
rng = np.random.default_rng(2929)
F32 = np.float32
NP_TO_ONNX = {np.dtype("float32"): TensorProto.FLOAT, np.dtype("uint8"): TensorProto.UINT8, np.dtype("int8"): TensorProto.INT8,
              np.dtype("int16"): TensorProto.INT16, np.dtype("int32"): TensorProto.INT32}


# --- ONNX's reference semantics, in numpy -------------------------------------------------------

def bcast(p, rank, axis):
    p = np.asarray(p)
    if p.ndim == 0 or p.size == 1:
        return p.reshape(())
    shape = [1] * rank
    shape[axis] = p.size
    return p.reshape(shape)


def ref_quantize(x, s, z, axis=1, dtype=None):
    z = np.zeros((), np.uint8) if z is None else np.asarray(z)
    info = np.iinfo(z.dtype)
    s = bcast(s, x.ndim, axis)
    y = np.rint(x.astype(F32) / s.astype(F32))  # float32 division, as the reference and ONNX Runtime
    y = y + bcast(z, x.ndim, axis).astype(np.int32)
    return np.clip(y, info.min, info.max).astype(z.dtype)


def ref_dequantize(x, s, z, axis=1):
    z = np.zeros((), x.dtype) if z is None else np.asarray(z)
    return ((x.astype(F32) - bcast(z, x.ndim, axis).astype(F32)) * bcast(s, x.ndim, axis).astype(F32)).astype(F32)


def conv_f32(x, w, b=None, pads=(0, 0, 0, 0), strides=(1, 1), group=1, dtype=torch.float32):
    xt = torch.from_numpy(np.array(x)).to(dtype)
    xt = torch.nn.functional.pad(xt, (pads[1], pads[3], pads[0], pads[2]))
    wt = torch.from_numpy(np.array(w)).to(dtype)
    bt = None if b is None else torch.from_numpy(np.array(b)).to(dtype)
    return torch.nn.functional.conv2d(xt, wt, bt, stride=tuple(strides), groups=group).numpy()


def conv_int(x, w, b=None, **kw):
    # Integer sums well below 2^53: float64 holds them exactly.
    y = conv_f32(x.astype(np.float64), w.astype(np.float64), None if b is None else b.astype(np.float64), dtype=torch.float64, **kw)
    return np.rint(y).astype(np.int64)


def requantize(acc, sx, sw, sy, zy, axis):
    m = (F32(1) * np.asarray(sx, F32) * np.asarray(sw, F32) / np.asarray(sy, F32)).astype(F32)
    r = acc.astype(np.float64) * bcast(m, acc.ndim, axis).astype(np.float64)
    r = r + bcast(zy, acc.ndim, axis).astype(np.float64)
    info = np.iinfo(np.asarray(zy).dtype)
    # The reference QLinearMatMul does not clip (it casts); the operator's definition saturates.
    return np.rint(np.clip(r, info.min, info.max)).astype(np.asarray(zy).dtype)


# --- writing ------------------------------------------------------------------------------------

def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def vi(name, a_or_dtype, shape):
    return helper.make_tensor_value_info(name, NP_TO_ONNX[np.dtype(a_or_dtype)], shape)


def save(name, nodes, inputs, outputs, inits, cases, refs, opset=13, torch_preds=None, notes=""):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="nn2eq onnx-qdq-fixtures.py")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    write(name, m, cases, refs, torch_preds, notes)


def write(name, model, cases, refs, torch_preds=None, notes=""):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump({"cases": [[np.asarray(v).tolist() for v in c] for c in cases]}, f)
    ref = {"note": notes or "outputs of ONNX's reference implementation (ported to numpy, float ops in float32), flattened, per case",
           "reference": [[np.asarray(o).astype(np.float64).ravel().tolist() for o in r] for r in refs]}
    if torch_preds is not None:
        ref["torch"] = [[np.asarray(o).astype(np.float64).ravel().tolist() for o in r] for r in torch_preds]
        ref["torch_version"] = torch.__version__
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(ref, f)


def with_ties(shape, s, zero, lo, hi, axis=None):
    """Random float32 values, a third of them placed so that x / s is exactly k + 1/2 in float32."""
    x = rng.uniform((lo - zero) * np.max(s) * 1.1, (hi - zero) * np.max(s) * 1.1, shape).astype(F32)
    flat = x.reshape(-1)
    ss = np.broadcast_to(bcast(s, len(shape), axis if axis is not None else 0), shape).reshape(-1).astype(F32)
    for i in range(0, flat.size, 3):
        k = rng.integers(lo - zero - 3, hi - zero + 3)
        t = F32(ss[i] * F32(k + 0.5))
        if F32(t / ss[i]) == F32(k + 0.5):
            flat[i] = t
    return x


def qdq_models():
    # Per tensor, uint8: q = QuantizeLinear(x), y = DequantizeLinear(q); both are outputs.
    s, z = np.array(0.0173, F32), np.array(131, np.uint8)
    cases = [[with_ties([1, 16], s, 131, 0, 255)] for _ in range(3)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant")]
    refs = []
    for (x,) in cases:
        q = ref_quantize(x, s, z)
        refs.append([q, ref_dequantize(q, s, z)])
    save("qdq_per_tensor_uint8", nodes, [vi("x", F32, [1, 16])], [vi("q", np.uint8, [1, 16]), vi("y", F32, [1, 16])],
         [init("s", s), init("z", z)], cases, refs)

    # Per tensor, int8, no zero point given for DequantizeLinear's second use (zero point 0).
    s, z = np.array(0.05, F32), np.array(-3, np.int8)
    cases = [[with_ties([2, 3, 4], s, -3, -128, 127)] for _ in range(3)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant")]
    refs = [[ref_quantize(x, s, z), ref_dequantize(ref_quantize(x, s, z), s, z)] for (x,) in cases]
    save("qdq_per_tensor_int8", nodes, [vi("x", F32, [2, 3, 4])], [vi("q", np.int8, [2, 3, 4]), vi("y", F32, [2, 3, 4])],
         [init("s", s), init("z", z)], cases, refs)

    # Per axis (axis 1 of [1, 3, 2, 4]), int8 scales and zero points per channel.
    s, z = np.array([0.011, 0.3, 0.0625], F32), np.array([0, -7, 12], np.int8)
    cases = []
    for _ in range(3):
        x = rng.uniform(-9, 9, [1, 3, 2, 4]).astype(F32)
        for c in range(3):
            for j in range(0, 8, 2):
                k = rng.integers(-140, 140)
                t = F32(s[c] * F32(k + 0.5))
                if F32(t / s[c]) == F32(k + 0.5):
                    x[0, c].reshape(-1)[j] = t
        cases.append([x])
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant", axis=1),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant", axis=1)]
    refs = [[ref_quantize(x, s, z, 1), ref_dequantize(ref_quantize(x, s, z, 1), s, z, 1)] for (x,) in cases]
    save("qdq_per_axis_int8", nodes, [vi("x", F32, [1, 3, 2, 4])], [vi("q", np.int8, [1, 3, 2, 4]), vi("y", F32, [1, 3, 2, 4])],
         [init("s", s), init("z", z)], cases, refs)

    # uint8 per axis on the last axis (negative axis), opset 13.
    s, z = np.array([0.02, 0.007, 0.5, 0.125, 0.0039], F32), np.array([128, 0, 255, 3, 77], np.uint8)
    cases = [[rng.uniform(-3, 3, [4, 5]).astype(F32)] for _ in range(3)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant", axis=-1),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant", axis=-1)]
    refs = [[ref_quantize(x, s, z, 1), ref_dequantize(ref_quantize(x, s, z, 1), s, z, 1)] for (x,) in cases]
    save("qdq_per_axis_uint8_last", nodes, [vi("x", F32, [4, 5])], [vi("q", np.uint8, [4, 5]), vi("y", F32, [4, 5])],
         [init("s", s), init("z", z)], cases, refs)

    # The QDQ Conv chain ONNX Runtime's static quantizer writes: activations uint8 per tensor, the
    # weight int8 per output channel (axis 0), the bias int32 with scale sx·sw; then Relu, QDQ again.
    sx, zx = np.array(0.02, F32), np.array(120, np.uint8)
    w = rng.integers(-127, 128, [4, 2, 3, 3]).astype(np.int8)
    sw = np.array([0.004, 0.0061, 0.0032, 0.005], F32)
    zw = np.zeros(4, np.int8)
    bq = rng.integers(-2000, 2000, [4]).astype(np.int32)
    sb = (sx * sw).astype(F32)
    sy, zy = np.array(0.015, F32), np.array(0, np.uint8)
    nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"], name="quant_x"),
             helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"], name="dequant_x"),
             helper.make_node("DequantizeLinear", ["w", "sw", "zw"], ["wd"], name="dequant_w", axis=0),
             helper.make_node("DequantizeLinear", ["b", "sb"], ["bd"], name="dequant_b", axis=0),
             helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], name="conv", pads=[1, 0, 0, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("QuantizeLinear", ["r", "sy", "zy"], ["yq"], name="quant_y"),
             helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"], name="dequant_y")]
    cases = [[rng.uniform(-2.3, 2.6, [1, 2, 5, 6]).astype(F32)] for _ in range(3)]
    refs = []
    for (x,) in cases:
        xd = ref_dequantize(ref_quantize(x, sx, zx), sx, zx)
        wd = ref_dequantize(w, sw, zw, 0)
        bd = ref_dequantize(bq, sb, None, 0)
        r = np.maximum(conv_f32(xd, wd, bd, pads=(1, 0, 0, 1)), 0).astype(F32)
        refs.append([ref_dequantize(ref_quantize(r, sy, zy), sy, zy)])
    save("qdq_conv_chain", nodes, [vi("x", F32, [1, 2, 5, 6])], [vi("y", F32, [1, 4, 4, 5])],
         [init("sx", sx), init("zx", zx), init("w", w), init("sw", sw), init("zw", zw), init("b", bq), init("sb", sb), init("sy", sy), init("zy", zy)],
         cases, refs)


def integer_models():
    # QLinearMatMul: a uint8 [2, 3, 5] computed, b uint8 [5, 4] constant, per-tensor scales.
    sa, za = np.array(0.031, F32), np.array(113, np.uint8)
    b = rng.integers(0, 256, [5, 4]).astype(np.uint8)
    sb, zb = np.array(0.0077, F32), np.array(130, np.uint8)
    sy, zy = np.array(0.021, F32), np.array(125, np.uint8)
    nodes = [helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"], name="qmatmul")]
    cases = [[rng.integers(0, 256, [2, 3, 5]).astype(np.uint8)] for _ in range(3)]
    refs = [[requantize(np.matmul(a.astype(np.int64) - 113, b.astype(np.int64) - 130), sa, sb, sy, zy, -1)] for (a,) in cases]
    save("qlinear_matmul_uint8", nodes, [vi("a", np.uint8, [2, 3, 5])], [vi("y", np.uint8, [2, 3, 4])],
         [init("sa", sa), init("za", za), init("b", b), init("sb", sb), init("zb", zb), init("sy", sy), init("zy", zy)], cases, refs)

    # QLinearMatMul int8 with a per-column weight scale (opset 21 allows 1-D scales; ORT reads them at 13 too).
    sa, za = np.array(0.05, F32), np.array(-2, np.int8)
    b = rng.integers(-128, 128, [6, 3]).astype(np.int8)
    sb, zb = np.array([0.011, 0.0043, 0.02], F32), np.zeros(3, np.int8)
    sy, zy = np.array(0.09, F32), np.array(4, np.int8)
    nodes = [helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"], name="qmatmul")]
    cases = [[rng.integers(-128, 128, [4, 6]).astype(np.int8)] for _ in range(3)]
    refs = [[requantize(np.matmul(a.astype(np.int64) + 2, b.astype(np.int64)), sa, sb, sy, np.full(3, 4, np.int8), -1)] for (a,) in cases]
    save("qlinear_matmul_int8", nodes, [vi("a", np.int8, [4, 6])], [vi("y", np.int8, [4, 3])],
         [init("sa", sa), init("za", za), init("b", b), init("sb", sb), init("zb", zb), init("sy", sy), init("zy", zy)], cases, refs)

    # Requantization near ties: the multiplier fl32(0.5 · 0.2 / 1) is 0.1 in float32 (0.1 + 1.49e-9),
    # and acc = 5·(2k + 1), so acc · m is k + 1/2 + (10k + 5)·1.49e-9: above the tie in float64 (the
    # reference rounds up), exactly k + 1/2 once rounded to float32 (a float32 requantization rounds to even).
    sa, za = np.array(0.5, F32), np.array(0, np.uint8)
    b = np.array([[5]], np.uint8)
    sb, zb = np.array(0.2, F32), np.array(0, np.uint8)
    sy, zy = np.array(1.0, F32), np.array(0, np.uint8)
    nodes = [helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"], name="qmatmul")]
    cases = [[np.arange(1, 33, 2, dtype=np.uint8).reshape(16, 1)], [np.arange(33, 65, 2, dtype=np.uint8).reshape(16, 1)]]
    refs = [[requantize(np.matmul(a.astype(np.int64), b.astype(np.int64)), sa, sb, sy, zy, -1)] for (a,) in cases]
    save("qlinear_matmul_near_ties", nodes, [vi("a", np.uint8, [16, 1])], [vi("y", np.uint8, [16, 1])],
         [init("sa", sa), init("za", za), init("b", b), init("sb", sb), init("zb", zb), init("sy", sy), init("zy", zy)], cases, refs)

    # QLinearConv: uint8 x, int8 weight per output channel, int32 bias, pads and stride.
    sx, zx = np.array(0.019, F32), np.array(128, np.uint8)
    w = rng.integers(-127, 128, [3, 2, 3, 3]).astype(np.int8)
    sw, zw = np.array([0.0042, 0.0055, 0.0031], F32), np.zeros(3, np.int8)
    sy, zy = np.array(0.033, F32), np.array(100, np.uint8)
    bias = rng.integers(-3000, 3000, [3]).astype(np.int32)
    nodes = [helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "bias"], ["y"], name="qconv",
                              pads=[1, 1, 0, 1], strides=[1, 2])]
    cases = [[rng.integers(0, 256, [1, 2, 6, 7]).astype(np.uint8)] for _ in range(3)]
    refs = []
    for (x,) in cases:
        acc = conv_int(x.astype(np.int64) - 128, w.astype(np.int64), bias, pads=(1, 1, 0, 1), strides=(1, 2))
        refs.append([requantize(acc, sx, sw, sy, zy, 1)])
    save("qlinear_conv_per_channel", nodes, [vi("x", np.uint8, [1, 2, 6, 7])], [vi("y", np.uint8, [1, 3, 5, 4])],
         [init("sx", sx), init("zx", zx), init("w", w), init("sw", sw), init("zw", zw), init("sy", sy), init("zy", zy), init("bias", bias)],
         cases, refs, opset=13)

    # MatMulInteger: uint8 A computed with a zero point, int8 B constant with per-column zero points.
    b = rng.integers(-128, 128, [5, 3]).astype(np.int8)
    za, zb = np.array(17, np.uint8), np.array([1, -4, 0], np.int8)
    nodes = [helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"], name="mmi")]
    cases = [[rng.integers(0, 256, [2, 5]).astype(np.uint8)] for _ in range(3)]
    refs = [[np.matmul(a.astype(np.int64) - 17, b.astype(np.int64) - zb.astype(np.int64)).astype(np.int32)] for (a,) in cases]
    save("matmul_integer", nodes, [vi("a", np.uint8, [2, 5])], [vi("y", np.int32, [2, 3])],
         [init("b", b), init("za", za), init("zb", zb)], cases, refs)

    # ConvInteger: uint8 x and weight, zero points, padding.
    w = rng.integers(0, 256, [2, 1, 2, 2]).astype(np.uint8)
    zx, zw = np.array(9, np.uint8), np.array(200, np.uint8)
    nodes = [helper.make_node("ConvInteger", ["x", "w", "zx", "zw"], ["y"], name="convint", pads=[0, 1, 1, 0])]
    cases = [[rng.integers(0, 256, [1, 1, 4, 4]).astype(np.uint8)] for _ in range(3)]
    refs = [[conv_int(x.astype(np.int64) - 9, w.astype(np.int64) - 200, pads=(0, 1, 1, 0)).astype(np.int32)] for (x,) in cases]
    save("conv_integer", nodes, [vi("x", np.uint8, [1, 1, 4, 4])], [vi("y", np.int32, [1, 2, 4, 4])],
         [init("w", w), init("zx", zx), init("zw", zw)], cases, refs)


def refused_models():
    """Models nn2eq refuses in one line (no reference: nothing is computed)."""
    def one(name, nodes, inputs, outputs, inits):
        g = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="nn2eq onnx-qdq-fixtures.py")
        m.ir_version = 8
        onnx.checker.check_model(m, full_check=True)
        d = os.path.join(ROOT, "refused", name)
        os.makedirs(d, exist_ok=True)
        onnx.save(m, os.path.join(d, "model.onnx"))

    # (A scale given as a model input is computed now: scripts/onnx-qdq-computed-fixtures.py.)
    # A zero scale divides by zero.
    one("scale_zero", [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant")],
        [vi("x", F32, [1, 4])], [vi("q", np.int8, [1, 4])], [init("s", np.array(0, F32)), init("z", np.array(0, np.int8))])
    # Per-axis scales whose count does not match the axis.
    one("scale_axis_length", [helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant", axis=1)],
        [vi("q", np.int8, [1, 4])], [vi("y", F32, [1, 4])], [init("s", np.array([0.1, 0.2, 0.3], F32)), init("z", np.zeros(3, np.int8))])


# --- PyTorch fake quantization ------------------------------------------------------------------

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv = torch.nn.Conv2d(2, 3, 3, padding=1)
        self.relu = torch.nn.ReLU()
        self.fc = torch.nn.Linear(3 * 4 * 4, 5)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu(self.conv(x))
        x = self.fc(torch.flatten(x, 1))
        return self.dequant(x)


def torch_models():
    for name, per_channel in (("torch_fakequant_per_tensor", False), ("torch_fakequant_per_channel", True)):
        torch.manual_seed(29 if per_channel else 13)
        net = Net().train()
        act = torch.ao.quantization.FakeQuantize.with_args(observer=torch.ao.quantization.MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=torch.quint8, qscheme=torch.per_tensor_affine)
        if per_channel:
            wq = torch.ao.quantization.FakeQuantize.with_args(observer=torch.ao.quantization.MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=0)
        else:
            wq = torch.ao.quantization.FakeQuantize.with_args(observer=torch.ao.quantization.MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
        net.qconfig = torch.ao.quantization.QConfig(activation=act, weight=wq)
        torch.ao.quantization.prepare_qat(net, inplace=True)
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        for _ in range(20):
            x = torch.randn(8, 2, 4, 4)
            loss = net(x).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.apply(torch.ao.quantization.disable_observer)
        net.eval()
        d = os.path.join(ROOT, name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "model.onnx")
        torch.onnx.export(net, torch.randn(1, 2, 4, 4), path, opset_version=13, input_names=["x"], output_names=["y"])
        model = onnx.load(path)
        cases, preds = [], []
        for _ in range(3):
            x = torch.randn(1, 2, 4, 4)
            with torch.no_grad():
                preds.append([net(x).numpy()])
            cases.append([x.numpy()])
        refs = [[run_reference(model, {"x": c[0]})[0]] for c in cases]
        write(name, model, cases, refs, preds, "reference: ONNX's reference semantics ported to numpy (float ops in float32); torch: PyTorch's fake-quantized predictions")


def run_reference(model, feeds):
    """A small evaluator of the exported graph with the reference semantics above (only the ops torch writes here)."""
    env = dict(feeds)
    for t in model.graph.initializer:
        env[t.name] = numpy_helper.to_array(t)
    for n in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        i = [env[k] if k else None for k in n.input]
        if n.op_type == "Constant":
            out = numpy_helper.to_array(a["value"])
        elif n.op_type == "QuantizeLinear":
            out = ref_quantize(i[0], i[1], i[2] if len(i) > 2 else None, a.get("axis", 1))
        elif n.op_type == "DequantizeLinear":
            out = ref_dequantize(i[0], i[1], i[2] if len(i) > 2 else None, a.get("axis", 1))
        elif n.op_type == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            out = conv_f32(i[0], i[1], i[2] if len(i) > 2 else None, pads=p, strides=a.get("strides", [1, 1]), group=a.get("group", 1))
        elif n.op_type == "Relu":
            out = np.maximum(i[0], 0).astype(i[0].dtype)
        elif n.op_type == "Flatten":
            ax = a.get("axis", 1)
            out = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
        elif n.op_type == "Reshape":
            out = i[0].reshape(i[1])
        elif n.op_type == "Gemm":
            y = i[0].astype(F32) @ (i[1].T if a.get("transB", 0) else i[1]).astype(F32)
            out = (y + i[2]).astype(F32) if len(i) > 2 else y
        elif n.op_type == "MatMul":
            out = (i[0] @ i[1]).astype(F32)
        elif n.op_type == "Add":
            out = (i[0] + i[1]).astype(np.result_type(i[0], i[1]))
        elif n.op_type == "Identity":
            out = i[0]
        else:
            raise SystemExit(f"run_reference: {n.op_type} not ported")
        env[n.output[0]] = out
    return [env[o.name] for o in model.graph.output]


if __name__ == "__main__":
    qdq_models()
    integer_models()
    refused_models()
    torch_models()
    print("wrote", sorted(os.listdir(ROOT)))
