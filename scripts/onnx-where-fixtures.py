"""Comparisons, logic and Where on computed values, with NaN and ±inf in the inputs
(test/onnx-where.test.ts): small PyTorch modules exported with torch.onnx.export, each with
PyTorch's own predictions in reference.json, and a key-padding-mask encoder classifier whose
mask is computed from its token-id input (`ids == 0`), at opsets 13 and 17.

Non-finite numbers are written as the strings "NaN", "Infinity" and "-Infinity" (JSON has none).
sign_nan is written with onnx.helper: PyTorch's sign gives 0 for NaN where ONNX's Sign (its
reference, numpy.sign, and ONNX Runtime) gives NaN; its reference holds numpy.sign's values.

Run: /usr/bin/python3 scripts/onnx-where-fixtures.py
"""
import json
import math
import os
import shutil

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "onnx-where")
INF = math.inf
NAN = math.nan


def enc(v):
    """Nested lists with non-finite numbers as strings."""
    if isinstance(v, list):
        return [enc(x) for x in v]
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


class Compare(nn.Module):
    """The six comparisons of a and b, as 0/1 floats, stacked."""

    def forward(self, a, b):
        return torch.stack([a > b, a >= b, a < b, a <= b, a == b, a != b]).float()


class Logic(nn.Module):
    """Not/And/Or/Xor of computed comparisons, and a float cast to bool (NaN is true)."""

    def forward(self, a, b):
        p = a > 0
        q = b < a
        return torch.stack([~p, p & q, p | q, p ^ q, a.bool()]).float()


class WhereComputed(nn.Module):
    """torch.where with computed conditions and branches that hold ±inf where not chosen."""

    def forward(self, a, b):
        inf = torch.full_like(a, INF)
        return torch.stack([
            torch.where(a > b, a, b),
            torch.where(a > 0, a * 2, -inf),
            torch.where(b == a, inf, a - b),
            torch.where(a != a, torch.zeros_like(a), a),
        ])


class MaskedScores(nn.Module):
    """Scores masked by ids == 0, with -inf (masked_fill) and with -1e9 (Cast and Mul), then softmax."""

    def __init__(self):
        super().__init__()
        self.w = nn.Linear(4, 4)

    def forward(self, ids, x):
        scores = self.w(x)
        pad = ids == 0
        a = torch.softmax(scores.masked_fill(pad, float("-inf")), dim=-1)
        b = torch.softmax(scores + pad.float() * -1e9, dim=-1)
        return torch.cat([a, b], dim=-1)


D, HEADS, FF, L = 8, 2, 16, 5


class PaddedEncoder(nn.Module):
    """Token and position embeddings, one encoder layer with key_padding_mask = (ids == 0), the
    mean over the tokens that are not padding, a linear head."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(10, D)
        self.pos = nn.Embedding(L, D)
        self.layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.head = nn.Linear(D, 3)

    def forward(self, ids):
        pad = ids == 0
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        h = self.layer(self.tok(ids) + self.pos(positions), src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        return self.head((h * keep).sum(dim=1) / keep.sum(dim=1))


A = [NAN, INF, -INF, INF, 1.5, -2.0, 0.0, -0.0, 3.0, NAN, -INF, 2.5]
B = [1.0, INF, -INF, -INF, 1.5, NAN, -0.0, 0.0, INF, NAN, 7.0, -1.0]


def nets():
    """(name, module, cases (lists of tensors), opsets)."""
    ab = [[torch.tensor(A), torch.tensor(B)], [torch.tensor(B), torch.tensor(A)]]
    yield "compare", Compare(), ab, (13,)
    yield "logic", Logic(), ab, (13,)
    yield "where_computed", WhereComputed(), ab, (13,)
    gen = torch.Generator().manual_seed(27)
    ids = [torch.tensor([[3, 1, 0, 0]]), torch.tensor([[2, 5, 7, 0]]), torch.tensor([[4, 0, 0, 0]])]
    yield "masked_scores", MaskedScores(), [[i, torch.rand(1, 4, 4, generator=gen) * 2 - 1] for i in ids], (13,)
    ids = [torch.tensor([[3, 1, 4, 0, 0]]), torch.tensor([[9, 2, 6, 5, 3]]), torch.tensor([[7, 0, 0, 0, 0]])]
    yield "padded_encoder", PaddedEncoder(), [[i] for i in ids], (13, 17)


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(ROOT)
    for index, (name, net, cases, opsets) in enumerate(nets()):
        for opset in opsets:
            torch.manual_seed(2700 + index)
            for p in net.parameters():
                with torch.no_grad():
                    p.copy_(torch.rand(p.shape) - 0.5)
            net.eval()
            folder = os.path.join(ROOT, f"{name}_opset{opset}")
            os.makedirs(folder)
            path = os.path.join(folder, "model.onnx")
            input_names = [f"input{i + 1}" for i in range(len(cases[0]))]
            # The transformer layer takes a fused fast path (no ONNX export) in eval mode without gradients.
            with torch.set_grad_enabled(True):
                outputs = [net(*xs).detach() for xs in cases]
                torch.onnx.export(net, tuple(cases[0]), path, opset_version=opset, input_names=input_names, output_names=["output1"], do_constant_folding=True)
            onnx.checker.check_model(path)
            write(folder, f"PyTorch {torch.__version__} predictions of the module exported with torch.onnx.export(opset_version={opset})", cases, outputs)
            print(f"{name}_opset{opset}: {', '.join(sorted({n.op_type for n in onnx.load(path).graph.node}))}")
    # ONNX's Sign: NaN for NaN (PyTorch's sign gives 0 there, so this one is written by hand).
    x = helper.make_tensor_value_info("input1", TensorProto.FLOAT, [12])
    y = helper.make_tensor_value_info("output1", TensorProto.FLOAT, [12])
    g = helper.make_graph([helper.make_node("Sign", ["input1"], ["output1"], name="sign")], "sign_nan", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="nn2eq onnx-where-fixtures.py")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    folder = os.path.join(ROOT, "sign_nan_opset13")
    os.makedirs(folder)
    onnx.save(m, os.path.join(folder, "model.onnx"))
    cases = [[torch.tensor(A)], [torch.tensor(B)]]
    write(folder, "numpy.sign, ONNX's reference implementation of Sign", cases, [torch.from_numpy(np.sign(c[0].numpy())) for c in cases])
    print("sign_nan_opset13: Sign")


def write(folder, source, cases, outputs):
    reference = {
        "source": source,
        "input_shapes": [list(x.shape) for x in cases[0]],
        "input_dtypes": [str(x.dtype).replace("torch.", "") for x in cases[0]],
        "cases": [{"inputs": [enc(x.tolist()) for x in xs], "outputs": [enc(y.tolist())]} for xs, y in zip(cases, outputs)],
    }
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(reference, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
