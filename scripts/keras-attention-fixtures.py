"""Keras attention-era layers with their expected outputs computed by PyTorch on the same weights.

No TensorFlow is installable here, so each fixture's truth comes from an independent runtime:
PyTorch's own modules where one computes the layer (nn.MultiheadAttention, nn.GroupNorm,
F.conv_transpose1d/2d), else the layer's math written in torch from the Keras source. The
Keras-side files (config in the Keras 2 or Keras 3 dialect, weights under Keras's names) are
written by scripts/keras-attention-fixtures.mjs from the JSON this prints; run that script, not
this one. Seeded: the same numbers every run.

Usage: /usr/bin/python3 scripts/keras-attention-fixtures.py OUT.json
"""
import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261207)


def w(*shape, scale=0.5):
    return rng.uniform(-scale, scale, size=shape).astype(np.float32)


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def keras2_input(name, shape):
    return {"class_name": "InputLayer", "config": {"batch_input_shape": [None, *shape], "dtype": "float32", "sparse": False, "ragged": False, "name": name}, "name": name, "inbound_nodes": []}


def keras3_tensor(name, shape):
    return {"class_name": "__keras_tensor__", "config": {"shape": [None, *shape], "dtype": "float32", "keras_history": [name, 0, 0]}}


def keras3_input(name, shape):
    return {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, *shape], "dtype": "float32", "sparse": False, "name": name}, "registered_name": None, "name": name, "inbound_nodes": []}


def keras3_layer(cls, config, args, kwargs=None):
    return {"module": "keras.layers", "class_name": cls, "config": {**config, "trainable": True, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}}, "registered_name": None, "name": config["name"], "inbound_nodes": [{"args": args, "kwargs": kwargs or {}}]}


def functional(dialect, name, layers, inputs, outputs):
    if dialect == "keras3":
        one = lambda refs: refs[0] if len(refs) == 1 else refs
        return {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": name, "trainable": True, "layers": layers, "input_layers": one([[n, 0, 0] for n in inputs]), "output_layers": one([[n, 0, 0] for n in outputs])}, "registered_name": "Functional"}
    return {"class_name": "Functional", "config": {"name": name, "layers": layers, "input_layers": [[n, 0, 0] for n in inputs], "output_layers": [[n, 0, 0] for n in outputs]}, "keras_version": "2.13.1", "backend": "tensorflow"}


fixtures = []


def fixture(name, fmt, config, weights, input_shapes, run, cases=3, mask_inputs=()):
    """weights: [(layer name, class, [(keras2 variable path, keras3 sub-group, array)])]."""
    xs = []
    for c in range(cases):
        case = []
        for i, s in enumerate(input_shapes):
            if i in mask_inputs:
                m = (rng.uniform(size=s) > 0.35).astype(np.float32)
                m[..., 0] = 1  # every query sees at least one key: Keras's −10⁹ and PyTorch's −∞ then agree
                case.append(m)
            else:
                case.append(rng.uniform(-1, 1, size=s).astype(np.float32))
        xs.append(case)
    outs = []
    for case in xs:
        ys = run(*[t(x)[None] for x in case])
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        outs.append([y[0].detach().numpy().tolist() for y in ys])
    fixtures.append({
        "name": name,
        "format": fmt,
        "config": config,
        "layers": [{"name": ln, "className": cls, "weights": [{"name": f"{ln}/{p}", "sub": sub, "shape": list(a.shape), "values": a.reshape(-1).tolist()} for p, sub, a in ws]} for ln, cls, ws in weights],
        "reference": {
            "input_shapes": [list(s) for s in input_shapes],
            "output_shapes": [list(np.asarray(o).shape) for o in outs[0]],
            "cases": [{"inputs": [x.tolist() for x in case], "outputs": o} for case, o in zip(xs, outs)],
            "oracle": "PyTorch " + torch.__version__,
        },
    })


def mha_config(name, heads, key_dim, value_dim=None, output_shape=None, keras3=False):
    c = {"name": name, "num_heads": heads, "key_dim": key_dim, "value_dim": value_dim or key_dim, "dropout": 0.0, "use_bias": True, "output_shape": output_shape, "attention_axes": [1] if not keras3 else None,
         "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}}, "bias_initializer": {"class_name": "Zeros", "config": {}}}
    if not keras3:
        c["trainable"] = True
        c["dtype"] = "float32"
    return c


def mha_weights(d_q, d_kv, heads, dk, dv, out):
    return {"query": (w(d_q, heads, dk), w(heads, dk)), "key": (w(d_kv, heads, dk), w(heads, dk)), "value": (w(d_kv, heads, dv), w(heads, dv)), "attention_output": (w(heads, dv, out), w(out))}


def mha_variables(ws, keras3):
    subs = {"query": "query_dense", "key": "key_dense", "value": "value_dense", "attention_output": "output_dense"}
    out = []
    for k in ["query", "key", "value", "attention_output"]:
        kernel, bias = ws[k]
        sub = ("_" if keras3 == "private" else "") + subs[k]
        out += [(f"{k}/kernel", sub, kernel), (f"{k}/bias", sub, bias)]
    return out


def torch_mha(ws, heads, embed, kdim, vdim):
    """nn.MultiheadAttention holding the Keras weights: Keras's kernel [d, heads, k] is the transpose of PyTorch's [heads·k, d]."""
    m = torch.nn.MultiheadAttention(embed, heads, batch_first=True, kdim=kdim, vdim=vdim)
    with torch.no_grad():
        wq, bq = ws["query"]
        wk, bk = ws["key"]
        wv, bv = ws["value"]
        wo, bo = ws["attention_output"]
        if m._qkv_same_embed_dim:
            m.in_proj_weight.copy_(torch.cat([t(a.reshape(a.shape[0], -1)).T for a in (wq, wk, wv)]))
        else:
            m.q_proj_weight.copy_(t(wq.reshape(wq.shape[0], -1)).T)
            m.k_proj_weight.copy_(t(wk.reshape(wk.shape[0], -1)).T)
            m.v_proj_weight.copy_(t(wv.reshape(wv.shape[0], -1)).T)
        m.in_proj_bias.copy_(torch.cat([t(b.reshape(-1)) for b in (bq, bk, bv)]))
        m.out_proj.weight.copy_(t(wo.reshape(-1, wo.shape[-1])).T)
        m.out_proj.bias.copy_(t(bo))
    m.eval()
    return m


# 1. Self-attention, Keras 2 (model.save('m.h5')): mha(x, x), the value as a keyword in the saved call.
T, D, H, DK = 5, 8, 2, 4
ws = mha_weights(D, D, H, DK, DK, D)
m1 = torch_mha(ws, H, D, D, D)
cfg = functional("keras2", "mha_self", [
    keras2_input("x", [T, D]),
    {"class_name": "MultiHeadAttention", "config": {**mha_config("mha", H, DK), "query_shape": [None, T, D], "key_shape": [None, T, D], "value_shape": [None, T, D]}, "name": "mha",
     "inbound_nodes": [[["x", 0, 0, {"value": ["x", 0, 0]}]]]},
], ["x"], ["mha"])
fixture("mha_self", "keras2-h5", cfg, [("mha", "MultiHeadAttention", mha_variables(ws, False))], [[T, D]], lambda x: m1(x, x, x, need_weights=False)[0])

# 2. Cross-attention with an attention_mask input, Keras 3 (.keras): mha(q, v, attention_mask=m).
TQ, TV, D = 4, 5, 6
ws = mha_weights(D, D, 2, 3, 3, D)
m2 = torch_mha(ws, 2, D, D, D)
cfg = functional("keras3", "mha_cross_mask", [
    keras3_input("q", [TQ, D]), keras3_input("v", [TV, D]), keras3_input("m", [TQ, TV]),
    keras3_layer("MultiHeadAttention", mha_config("mha", 2, 3, keras3=True), [keras3_tensor("q", [TQ, D]), keras3_tensor("v", [TV, D])], {"attention_mask": keras3_tensor("m", [TQ, TV])}),
], ["q", "v", "m"], ["mha"])


def run2(q, v, m):
    # PyTorch's boolean attn_mask is True where attention is not allowed; one mask per head.
    blocked = (m < 0.5).repeat_interleave(2, dim=0)
    return m2(q, v, v, attn_mask=blocked, need_weights=False)[0]


fixture("mha_cross_mask", "keras3", cfg, [("mha", "MultiHeadAttention", mha_variables(ws, "public"))], [[TQ, D], [TV, D], [TQ, TV]], run2, mask_inputs=(2,))

# 3. Causal self-attention with value_dim ≠ key_dim and an output_shape, Keras 2 (to_json + save_weights), returning the scores too.
T, D, H, DK, DV, OUT = 4, 6, 3, 2, 3, 5
ws = mha_weights(D, D, H, DK, DV, OUT)
cfg = functional("keras2", "mha_causal", [
    keras2_input("x", [T, D]),
    {"class_name": "MultiHeadAttention", "config": mha_config("mha", H, DK, DV, OUT), "name": "mha",
     "inbound_nodes": [[["x", 0, 0, {"value": ["x", 0, 0], "use_causal_mask": True, "return_attention_scores": True}]]]},
], ["x"], ["mha"])
cfg["config"]["output_layers"] = [["mha", 0, 0], ["mha", 0, 1]]


def run3(x):
    # The layer's math from keras/layers/attention/multi_head_attention.py, in torch.
    proj = lambda a, k: torch.einsum("btd,dnh->btnh", a, t(ws[k][0])) + t(ws[k][1])
    q = proj(x, "query") / math.sqrt(DK)
    k = proj(x, "key")
    v = proj(x, "value")
    s = torch.einsum("bsnh,btnh->bnts", k, q)
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    a = F.softmax(s.masked_fill(~causal, float("-inf")), dim=-1)
    o = torch.einsum("bnts,bsnh->btnh", a, v)
    return [torch.einsum("btnh,nho->bto", o, t(ws["attention_output"][0])) + t(ws["attention_output"][1]), a]


fixture("mha_causal", "keras2-json", cfg, [("mha", "MultiHeadAttention", mha_variables(ws, False))], [[T, D]], run3)

# 4. Attention (Luong, dot, use_scale, causal), Keras 2 (.h5): [q, v].
TQ, TV, D = 4, 4, 3
scale = np.array(0.7, dtype=np.float32)
cfg = functional("keras2", "attention_dot", [
    keras2_input("q", [TQ, D]), keras2_input("v", [TV, D]),
    {"class_name": "Attention", "config": {"name": "att", "trainable": True, "dtype": "float32", "use_scale": True, "score_mode": "dot", "dropout": 0.0}, "name": "att",
     "inbound_nodes": [[["q", 0, 0, {"use_causal_mask": True}], ["v", 0, 0, {"use_causal_mask": True}]]]},
], ["q", "v"], ["att"])


def run4(q, v):
    s = float(scale) * q @ v.transpose(-1, -2)
    causal = torch.tril(torch.ones(TQ, TV, dtype=torch.bool))
    return F.softmax(s.masked_fill(~causal, float("-inf")), dim=-1) @ v


fixture("attention_dot", "keras2-h5", cfg, [("att", "Attention", [("scale", "", scale)])], [[TQ, D], [TV, D]], run4)

# 5. Attention (concat scores, use_scale) on [q, v, k], Keras 3 (.keras).
TQ, TV, D = 3, 5, 4
scale5 = np.array(0.8, dtype=np.float32)
csw = np.array(1.3, dtype=np.float32)
cfg = functional("keras3", "attention_concat", [
    keras3_input("q", [TQ, D]), keras3_input("v", [TV, D]), keras3_input("k", [TV, D]),
    keras3_layer("Attention", {"name": "att", "use_scale": True, "score_mode": "concat", "dropout": 0.0}, [[keras3_tensor("q", [TQ, D]), keras3_tensor("v", [TV, D]), keras3_tensor("k", [TV, D])]]),
], ["q", "v", "k"], ["att"])


def run5(q, v, k):
    s = float(csw) * torch.tanh(float(scale5) * (q[:, :, None, :] + k[:, None, :, :])).sum(-1)
    return F.softmax(s, dim=-1) @ v


fixture("attention_concat", "keras3", cfg, [("att", "Attention", [("scale", "", scale5), ("concat_score_weight", "", csw)])], [[TQ, D], [TV, D], [TV, D]], run5)

# 6. AdditiveAttention (use_scale) on [q, v], Keras 2 (.h5).
TQ, TV, D = 3, 4, 5
sc6 = w(D)
cfg = functional("keras2", "additive_attention", [
    keras2_input("q", [TQ, D]), keras2_input("v", [TV, D]),
    {"class_name": "AdditiveAttention", "config": {"name": "add_att", "trainable": True, "dtype": "float32", "use_scale": True, "dropout": 0.0}, "name": "add_att",
     "inbound_nodes": [[["q", 0, 0, {}], ["v", 0, 0, {}]]]},
], ["q", "v"], ["add_att"])


def run6(q, v):
    s = (t(sc6) * torch.tanh(q[:, :, None, :] + v[:, None, :, :])).sum(-1)
    return F.softmax(s, dim=-1) @ v


fixture("additive_attention", "keras2-h5", cfg, [("add_att", "AdditiveAttention", [("scale", "", sc6)])], [[TQ, D], [TV, D]], run6)


def conv_transpose_torch(x_cl, kernel, bias, strides, dilation, out_len, before):
    """F.conv_transposeNd of the full length, cropped to Keras's output from TF's padding before (zeros past the end)."""
    r = len(strides)
    x = x_cl.permute(0, r + 1, *range(1, r + 1))
    # Keras's kernel [k…, F, C] is PyTorch's [C, F, k…].
    k = t(kernel).permute(r + 1, r, *range(r))
    f = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][r - 1]
    y = f(x, k, None, stride=tuple(strides), dilation=tuple(dilation))
    for i in range(r):
        n = y.shape[2 + i]
        need = before[i] + out_len[i]
        if need > n:
            pad = [0, 0] * r
            pad[2 * (r - 1 - i) + 1] = need - n
            y = F.pad(y, pad)
        y = y.narrow(2 + i, before[i], out_len[i])
    y = y + t(bias).reshape(1, -1, *([1] * r))
    return y.permute(0, *range(2, r + 2), 1)


# 7. Conv1DTranspose, 'same', stride 2, ReLU, Keras 3 (.keras).
L, C, FI, K, S = 5, 3, 4, 3, 2
k7, b7 = w(K, FI, C), w(FI)
cfg = functional("keras3", "conv1d_transpose", [
    keras3_input("x", [L, C]),
    keras3_layer("Conv1DTranspose", {"name": "deconv", "filters": FI, "kernel_size": [K], "strides": [S], "padding": "same", "output_padding": None, "data_format": "channels_last", "dilation_rate": [1], "activation": "relu", "use_bias": True}, [keras3_tensor("x", [L, C])]),
], ["x"], ["deconv"])
# 'same': length n·s; TF pads max((n−1)·s + k − n·s, 0) = 1 in all, ⌊1/2⌋ = 0 before.
fixture("conv1d_transpose", "keras3", cfg, [("deconv", "Conv1DTranspose", [("kernel", "", k7), ("bias", "", b7)])], [[L, C]],
        lambda x: F.relu(conv_transpose_torch(x, k7, b7, [S], [1], [L * S], [0])))

# 8. Conv2DTranspose, 'valid', strides (2, 1), Keras 2 (.h5). TF.js also runs this one (--verify).
HH, WW, C, FI = 3, 4, 2, 3
k8, b8 = w(3, 2, FI, C), w(FI)
cfg = functional("keras2", "conv2d_transpose", [
    keras2_input("x", [HH, WW, C]),
    {"class_name": "Conv2DTranspose", "config": {"name": "deconv", "trainable": True, "dtype": "float32", "filters": FI, "kernel_size": [3, 2], "strides": [2, 1], "padding": "valid", "output_padding": None, "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "linear", "use_bias": True}, "name": "deconv",
     "inbound_nodes": [[["x", 0, 0, {}]]]},
], ["x"], ["deconv"])
# valid: n·s + max(k − s, 0) = 3·2 + 1 = 7 rows, 4 + 1 = 5 columns, nothing cropped.
fixture("conv2d_transpose", "keras2-h5", cfg, [("deconv", "Conv2DTranspose", [("kernel", "", k8), ("bias", "", b8)])], [[HH, WW, C]],
        lambda x: conv_transpose_torch(x, k8, b8, [2, 1], [1, 1], [7, 5], [0, 0]))

# 8b. Conv2DTranspose, 'same', stride 2, output_padding 1, channels_first, tanh, Keras 3 (.keras).
C, HH, WW, FI = 2, 3, 3, 2
k8b, b8b = w(3, 3, FI, C), w(FI)
cfg = functional("keras3", "conv2d_transpose_outpad", [
    keras3_input("x", [C, HH, WW]),
    keras3_layer("Conv2DTranspose", {"name": "deconv", "filters": FI, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "output_padding": [1, 1], "data_format": "channels_first", "dilation_rate": [1, 1], "activation": "tanh", "use_bias": True}, [keras3_tensor("x", [C, HH, WW])]),
], ["x"], ["deconv"])
# same + output_padding: (n−1)·s + k − 2·⌊k/2⌋ + 1 = 6; TF pads max(4 + 3 − 6, 0) = 1 in all, 0 before.
fixture("conv2d_transpose_outpad", "keras3", cfg, [("deconv", "Conv2DTranspose", [("kernel", "", k8b), ("bias", "", b8b)])], [[C, HH, WW]],
        lambda x: torch.tanh(conv_transpose_torch(x.permute(0, 2, 3, 1), k8b, b8b, [2, 2], [1, 1], [6, 6], [0, 0])).permute(0, 3, 1, 2))

# 9. GroupNormalization over [length, channels], 3 groups, Keras 2 (.h5): nn.GroupNorm.
L, C, G = 4, 6, 3
g9, be9 = w(C) + 1, w(C)
gn = torch.nn.GroupNorm(G, C, eps=1e-3)
with torch.no_grad():
    gn.weight.copy_(t(g9))
    gn.bias.copy_(t(be9))
cfg = functional("keras2", "group_norm", [
    keras2_input("x", [L, C]),
    {"class_name": "GroupNormalization", "config": {"name": "gn", "trainable": True, "dtype": "float32", "groups": G, "axis": -1, "epsilon": 0.001, "center": True, "scale": True}, "name": "gn", "inbound_nodes": [[["x", 0, 0, {}]]]},
], ["x"], ["gn"])
fixture("group_norm", "keras2-h5", cfg, [("gn", "GroupNormalization", [("gamma", "", g9), ("beta", "", be9)])], [[L, C]], lambda x: gn(x.transpose(1, 2)).transpose(1, 2))

# 10. GroupNormalization over [h, w, channels], 2 groups, Keras 3 (.keras).
C, G = 4, 2
g10, be10 = w(C) + 1, w(C)
gn2 = torch.nn.GroupNorm(G, C, eps=1e-3)
with torch.no_grad():
    gn2.weight.copy_(t(g10))
    gn2.bias.copy_(t(be10))
cfg = functional("keras3", "group_norm_2d", [
    keras3_input("x", [3, 3, C]),
    keras3_layer("GroupNormalization", {"name": "gn", "groups": G, "axis": -1, "epsilon": 0.001, "center": True, "scale": True}, [keras3_tensor("x", [3, 3, C])]),
], ["x"], ["gn"])
fixture("group_norm_2d", "keras3", cfg, [("gn", "GroupNormalization", [("gamma", "", g10), ("beta", "", be10)])], [[3, 3, C]], lambda x: gn2(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))

# 11. Attention written with TF ops in a tf.keras functional model (TFOpLambda, SlicingOpLambda), Keras 2 (.h5).
T, D, DK = 4, 6, 4
wq, bq, wk, bk, wv, bv = w(D, DK), w(DK), w(D, DK), w(DK), w(D, DK), w(DK)


def dense2(name, units, src):
    return {"class_name": "Dense", "config": {"name": name, "trainable": True, "dtype": "float32", "units": units, "activation": "linear", "use_bias": True}, "name": name, "inbound_nodes": [[[src, 0, 0, {}]]]}


def op(cls, fn, name, node):
    return {"class_name": cls, "config": {"name": name, "trainable": True, "dtype": "float32", "function": fn}, "name": name, "inbound_nodes": [node]}


cfg = functional("keras2", "tfop_attention", [
    keras2_input("x", [T, D]), keras2_input("m", [T, T]),
    dense2("q", DK, "x"), dense2("k", DK, "x"), dense2("v", DK, "x"),
    op("TFOpLambda", "linalg.matmul", "tf.linalg.matmul", ["q", 0, 0, {"b": ["k", 0, 0], "transpose_b": True, "name": None}]),
    op("TFOpLambda", "math.multiply", "tf.math.multiply", ["tf.linalg.matmul", 0, 0, {"y": 0.5, "name": None}]),
    op("TFOpLambda", "__operators__.add", "tf.__operators__.add", ["tf.math.multiply", 0, 0, {"y": ["m", 0, 0], "name": None}]),
    op("TFOpLambda", "nn.softmax", "tf.nn.softmax", ["tf.__operators__.add", 0, 0, {"axis": -1, "name": None}]),
    op("TFOpLambda", "linalg.matmul", "tf.linalg.matmul_1", ["tf.nn.softmax", 0, 0, {"b": ["v", 0, 0], "name": None}]),
    op("TFOpLambda", "transpose", "tf.transpose", ["tf.linalg.matmul_1", 0, 0, {"perm": [0, 2, 1], "name": None}]),
    op("TFOpLambda", "reshape", "tf.reshape", ["tf.transpose", 0, 0, {"shape": [-1, T * DK], "name": None}]),
    op("SlicingOpLambda", "__operators__.getitem", "tf.__operators__.getitem", ["tf.reshape", 0, 0, {"slice_spec": {"class_name": "__tuple__", "items": [{"start": None, "stop": None, "step": None}, {"start": 2, "stop": -2, "step": None}]}}]),
    op("TFOpLambda", "math.subtract", "tf.math.subtract", ["_CONSTANT_VALUE", -1, 1.0, {"y": ["tf.__operators__.getitem", 0, 0], "name": None}]),
    op("TFOpLambda", "math.truediv", "tf.math.truediv", ["tf.math.subtract", 0, 0, {"y": 4.0, "name": None}]),
], ["x", "m"], ["tf.math.truediv"])


def run11(x, m):
    q = x @ t(wq) + t(bq)
    k = x @ t(wk) + t(bk)
    v = x @ t(wv) + t(bv)
    a = F.softmax((q @ k.transpose(1, 2)) * 0.5 + m, dim=-1)
    r = (a @ v).transpose(1, 2).reshape(-1, T * DK)[:, 2:-2]
    return (1.0 - r) / 4.0


fixture("tfop_attention", "keras2-h5", cfg, [("q", "Dense", [("kernel", "", wq), ("bias", "", bq)]), ("k", "Dense", [("kernel", "", wk), ("bias", "", bk)]), ("v", "Dense", [("kernel", "", wv), ("bias", "", bv)])], [[T, D], [T, T]], run11)

# 12. Conv3DTranspose, 'same', strides (1, 2, 1), Keras 2 (.h5).
k8c, b8c = w(2, 2, 2, 2, 2), w(2)
cfg = functional("keras2", "conv3d_transpose", [
    keras2_input("x", [2, 3, 2, 2]),
    {"class_name": "Conv3DTranspose", "config": {"name": "deconv", "trainable": True, "dtype": "float32", "filters": 2, "kernel_size": [2, 2, 2], "strides": [1, 2, 1], "padding": "same", "output_padding": None, "data_format": "channels_last", "dilation_rate": [1, 1, 1], "activation": "linear", "use_bias": True}, "name": "deconv",
     "inbound_nodes": [[["x", 0, 0, {}]]]},
], ["x"], ["deconv"])
# same: n·s per axis (2, 6, 2); TF pads max(k − s, 0) = 1, 0, 1 in all, none of it before.
fixture("conv3d_transpose", "keras2-h5", cfg, [("deconv", "Conv3DTranspose", [("kernel", "", k8c), ("bias", "", b8c)])], [[2, 3, 2, 2]],
        lambda x: conv_transpose_torch(x, k8c, b8c, [1, 2, 1], [1, 1, 1], [2, 6, 2], [0, 0, 0]))

# 13. Self-attention over a sequence of any length (batch_input_shape [None, None, D]), Keras 2
# (to_json + save_weights), in its own folder (fixtures/keras-any-length): one case at each of
# three lengths, PyTorch's nn.MultiheadAttention on the Keras weights.
D, H, DK = 6, 2, 3
ws = mha_weights(D, D, H, DK, DK, D)
m13 = torch_mha(ws, H, D, D, D)
cfg = functional("keras2", "mha_any_length", [
    keras2_input("x", [None, D]),
    {"class_name": "MultiHeadAttention", "config": mha_config("mha", H, DK), "name": "mha",
     "inbound_nodes": [[["x", 0, 0, {"value": ["x", 0, 0]}]]]},
], ["x"], ["mha"])
run13 = lambda x: m13(x, x, x, need_weights=False)[0]
fixture("mha_any_length", "keras2-json", cfg, [("mha", "MultiHeadAttention", mha_variables(ws, False))], [[2, D]], run13, cases=1)
for n in (5, 7):
    x = rng.uniform(-1, 1, size=(n, D)).astype(np.float32)
    fixtures[-1]["reference"]["cases"].append({"inputs": [x.tolist()], "outputs": [run13(t(x)[None])[0].detach().numpy().tolist()]})
fixtures[-1]["reference"]["input_shapes"] = [[None, D]]
fixtures[-1]["reference"]["output_shapes"] = [[None, D]]
fixtures[-1]["folder"] = "keras-any-length"

# 14. MultiHeadAttention over two axes at once (attention_axes (1, 2): an image [3, 4] of 6
# features, the softmax over all 12 key positions together), returning its scores, Keras 3 (.keras);
# and over the inner axis of [3, 4, 6] queries and [3, 5, 6] values (attention_axes [-3], the
# axis 2 of the projection [batch, 3, 4, heads, key_dim]; axis 1 a batch axis), Keras 2 (JSON +
# weights). Their own folder, fixtures/keras-attention-axes. The truth is Keras's einsum equations
# (keras/layers/attention/multi_head_attention.py, _build_attention_equation) run in torch.
def keras_projection(x, kernel, bias):
    return torch.einsum("...d,dnk->...nk", x, t(kernel)) + t(bias)


H14, W14, D, NH, DK, DV = 3, 4, 6, 2, 3, 2
ws = mha_weights(D, D, NH, DK, DV, D)
cfg = functional("keras3", "mha_axes_2d", [
    keras3_input("x", [H14, W14, D]),
    keras3_layer("MultiHeadAttention", {**mha_config("mha", NH, DK, DV, keras3=True), "attention_axes": [1, 2]}, [keras3_tensor("x", [H14, W14, D]), keras3_tensor("x", [H14, W14, D])], {"return_attention_scores": True}),
], ["x"], ["mha"])
cfg["config"]["output_layers"] = [["mha", 0, 0], ["mha", 0, 1]]


def run14(x):
    q = keras_projection(x, *ws["query"]) / math.sqrt(DK)
    k = keras_projection(x, *ws["key"])
    v = keras_projection(x, *ws["value"])
    s = torch.einsum("bxynk,bhwnk->bnhwxy", k, q)
    a = F.softmax(s.reshape(*s.shape[:4], -1), dim=-1).reshape(s.shape)
    o = torch.einsum("bnhwxy,bxynk->bhwnk", a, v)
    return [torch.einsum("bhwnk,nko->bhwo", o, t(ws["attention_output"][0])) + t(ws["attention_output"][1]), a]


fixture("mha_axes_2d", "keras3", cfg, [("mha", "MultiHeadAttention", mha_variables(ws, "public"))], [[H14, W14, D]], run14, cases=2)
fixtures[-1]["folder"] = "keras-attention-axes"

TQ, TV = 4, 5
ws = mha_weights(D, D, NH, DK, DK, D)
cfg = functional("keras2", "mha_axes_inner", [
    keras2_input("q", [3, TQ, D]), keras2_input("v", [3, TV, D]),
    {"class_name": "MultiHeadAttention", "config": {**mha_config("mha", NH, DK), "attention_axes": [-3]}, "name": "mha",
     "inbound_nodes": [[["q", 0, 0, {"value": ["v", 0, 0], "return_attention_scores": True}]]]},
], ["q", "v"], ["mha"])
cfg["config"]["output_layers"] = [["mha", 0, 0], ["mha", 0, 1]]


def run15(qx, vx):
    q = keras_projection(qx, *ws["query"]) / math.sqrt(DK)
    k = keras_projection(vx, *ws["key"])
    v = keras_projection(vx, *ws["value"])
    a = F.softmax(torch.einsum("bhxnk,bhwnk->bhnwx", k, q), dim=-1)
    o = torch.einsum("bhnwx,bhxnk->bhwnk", a, v)
    return [torch.einsum("bhwnk,nko->bhwo", o, t(ws["attention_output"][0])) + t(ws["attention_output"][1]), a]


fixture("mha_axes_inner", "keras2-json", cfg, [("mha", "MultiHeadAttention", mha_variables(ws, False))], [[3, TQ, D], [3, TV, D]], run15, cases=2)
fixtures[-1]["folder"] = "keras-attention-axes"

# 15. AdditiveAttention (use_scale) on a query and a value of any lengths, Keras 2 (JSON + weights),
# in fixtures/keras-any-length: one case at each of three (query, value) lengths.
D = 5
sc15 = w(D)
cfg = functional("keras2", "additive_any_length", [
    keras2_input("q", [None, D]), keras2_input("v", [None, D]),
    {"class_name": "AdditiveAttention", "config": {"name": "add_att", "trainable": True, "dtype": "float32", "use_scale": True, "dropout": 0.0}, "name": "add_att",
     "inbound_nodes": [[["q", 0, 0, {}], ["v", 0, 0, {}]]]},
], ["q", "v"], ["add_att"])


def run15b(q, v):
    s = (t(sc15) * torch.tanh(q[:, :, None, :] + v[:, None, :, :])).sum(-1)
    return F.softmax(s, dim=-1) @ v


fixture("additive_any_length", "keras2-json", cfg, [("add_att", "AdditiveAttention", [("scale", "", sc15)])], [[2, D], [3, D]], run15b, cases=1)
for nq, nv in ((4, 4), (5, 2)):
    q, v = (rng.uniform(-1, 1, size=(n, D)).astype(np.float32) for n in (nq, nv))
    fixtures[-1]["reference"]["cases"].append({"inputs": [q.tolist(), v.tolist()], "outputs": [run15b(t(q)[None], t(v)[None])[0].detach().numpy().tolist()]})
fixtures[-1]["reference"]["input_shapes"] = [[None, D], [None, D]]
fixtures[-1]["reference"]["output_shapes"] = [[None, D]]
fixtures[-1]["folder"] = "keras-any-length"

json.dump({"fixtures": fixtures}, open(sys.argv[1], "w"))
