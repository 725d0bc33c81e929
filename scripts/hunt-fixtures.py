#!/usr/bin/python3
"""The wrong-number hunt (issue 29): many small PyTorch modules, one op family each, exported with
torch.onnx.export at opsets 13 and 17, each with PyTorch's own predictions.

Run with Debian's python3 (python3-torch, python3-onnx), seeded, niced:
  nice /usr/bin/python3 scripts/hunt-fixtures.py [OUT] [name ...]
Writes OUT/<name>_opset<N>/{model.onnx,reference.json} (OUT defaults to /tmp/hunt/models, outside
git), in the reference.json layout of scripts/onnx-fixtures.py, and OUT/index.json (what was
written, and what PyTorch could not export). scripts/hunt-sweep.mjs converts and runs them.
Fixtures of the bugs this hunt found are copied from OUT into fixtures/onnx-hunt/ by hand.
"""
import json
import os
import shutil
import sys
import warnings

import onnx
import torch
import torch.nn.functional as F
from torch import nn

warnings.filterwarnings('ignore')
OPSETS = (13, 17)
# How many random graphs (Random below); NN2EQ_HUNT_RANDOM overrides.
RANDOM = int(os.environ.get('NN2EQ_HUNT_RANDOM', '150'))
DYNAMIC = os.environ.get('NN2EQ_HUNT_DYNAMIC') == '1'
CASES = 3


class Fn(nn.Module):
    """A module around a function of its inputs (and of its own submodules, passed as `m`)."""

    def __init__(self, fn, **mods):
        super().__init__()
        self.fn = fn
        for k, v in mods.items():
            setattr(self, k, v)

    def forward(self, *xs):
        return self.fn(self, *xs)


def f(fn):
    """A module of a pure function of its inputs."""
    return lambda: Fn(lambda m, *xs: fn(*xs))


def mod(make):
    return make


def randomize(m):
    """Running statistics and affine parameters that are not the identity."""
    with torch.no_grad():
        for sub in m.modules():
            if isinstance(sub, nn.modules.batchnorm._NormBase):
                if sub.running_mean is not None:
                    sub.running_mean.uniform_(-0.5, 0.5)
                    sub.running_var.uniform_(0.5, 1.5)
                if sub.weight is not None:
                    sub.weight.uniform_(0.5, 1.5)
                    sub.bias.uniform_(-0.5, 0.5)
            if isinstance(sub, (nn.GroupNorm, nn.LayerNorm)) and getattr(sub, 'weight', None) is not None:
                sub.weight.uniform_(0.5, 1.5)
                sub.bias.uniform_(-0.5, 0.5)
    return m


def nets():
    """(name, make, inputs) with inputs a list of (shape, kind); kind: float (-1..1), pos (0.2..2),
    int (int64 -9..9), nat (int64 0..9), int32, bool, ids<V>."""
    F1 = 'float'
    # ---- elementwise, float ------------------------------------------------------------------
    unary = {
        'abs': torch.abs, 'neg': torch.neg, 'exp': torch.exp, 'sin': torch.sin, 'cos': torch.cos, 'tan': torch.tan,
        'asin': lambda x: torch.asin(x * 0.9), 'acos': lambda x: torch.acos(x * 0.9), 'atan': torch.atan,
        'sinh': torch.sinh, 'cosh': torch.cosh, 'tanh': torch.tanh, 'asinh': torch.asinh,
        'acosh': lambda x: torch.acosh(x + 2), 'atanh': lambda x: torch.atanh(x * 0.9), 'erf': torch.erf,
        'sign': torch.sign, 'floor': lambda x: torch.floor(x * 3), 'ceil': lambda x: torch.ceil(x * 3),
        'round': lambda x: torch.round(x * 3), 'trunc': lambda x: torch.trunc(x * 3), 'frac': lambda x: torch.frac(x * 3),
        'sigmoid': torch.sigmoid, 'logsigmoid': F.logsigmoid, 'softplus_beta': lambda x: F.softplus(x * 3, beta=2, threshold=1),
        'silu': F.silu, 'mish': F.mish, 'gelu': F.gelu, 'gelu_tanh': lambda x: F.gelu(x, approximate='tanh'),
        'hardswish': F.hardswish, 'hardsigmoid': F.hardsigmoid, 'elu': lambda x: F.elu(x, 0.7), 'celu': lambda x: F.celu(x, 1.3),
        'selu': F.selu, 'leaky_relu': lambda x: F.leaky_relu(x, 0.2), 'relu6': lambda x: F.relu6(x * 8),
        'hardtanh': lambda x: F.hardtanh(x, -0.3, 0.7), 'threshold': lambda x: F.threshold(x, 0.1, 20.0),
        'softsign': F.softsign, 'tanhshrink': F.tanhshrink, 'hardshrink': lambda x: F.hardshrink(x, 0.3),
        'softshrink': lambda x: F.softshrink(x, 0.3), 'log1p': lambda x: torch.log1p(x * 0.9), 'expm1': torch.expm1,
        'square': torch.square, 'rrelu_eval': lambda x: F.rrelu(x, training=False),
        'clamp_min': lambda x: torch.clamp(x, min=-0.2), 'clamp_max': lambda x: torch.clamp(x, max=0.3),
        'clamp_both': lambda x: torch.clamp(x, -0.5, 0.5), 'clamp_min_method': lambda x: x.clamp_min(0.1),
        'pow2': lambda x: x ** 2, 'pow3': lambda x: x ** 3, 'pow_half_abs': lambda x: x.abs() ** 0.5,
        'pow_neg1': lambda x: (x.abs() + 0.5) ** -1, 'pow_base2': lambda x: torch.pow(2.0, x), 'pow_15': lambda x: x.abs() ** 1.5,
        'remainder_float': lambda x: torch.remainder(x * 3, 0.7), 'fmod_float': lambda x: torch.fmod(x * 3, 0.7),
        'floor_divide_float': lambda x: torch.floor_divide(x * 3, 0.7), 'div_floor_float': lambda x: torch.div(x * 3, 0.7, rounding_mode='floor'),
        'div_trunc_float': lambda x: torch.div(x * 3, 0.7, rounding_mode='trunc'), 'rsub': lambda x: 1 - x, 'rdiv': lambda x: 1 / (x.abs() + 0.5),
        'relu_inplace': lambda x: F.relu(x * 1.0, inplace=True), 'nan_to_num': lambda x: torch.nan_to_num(x),
        'logit': lambda x: torch.logit(x * 0.4 + 0.5), 'sgn_mul': lambda x: torch.sign(x) * x, 'glu': lambda x: F.glu(x, -1),
        'softmin': lambda x: F.softmin(x, -1), 'logsumexp_neg': lambda x: torch.logsumexp(x, -2),
    }
    for name, fn in unary.items():
        yield f'u_{name}', f(fn), [((2, 3, 4), F1)]
    pos_unary = {'log': torch.log, 'sqrt': torch.sqrt, 'rsqrt': torch.rsqrt, 'reciprocal': torch.reciprocal,
                 'log2': torch.log2, 'log10': torch.log10, 'pow_pos_x': lambda x: x ** x, 'xlogy': lambda x: torch.xlogy(x, x + 1)}
    for name, fn in pos_unary.items():
        yield f'p_{name}', f(fn), [((3, 5), 'pos')]

    binary = {
        'add_bcast_vec': (lambda x, y: x + y, (2, 3, 4), (4,)),
        'add_bcast_mid': (lambda x, y: x + y, (2, 1, 4), (3, 1)),
        'sub_bcast': (lambda x, y: x - y, (3, 1), (1, 5)),
        'mul_bcast': (lambda x, y: x * y, (1, 3, 1, 5), (2, 1, 4, 1)),
        'div_pos': (lambda x, y: x / (y.abs() + 0.5), (2, 5), (5,)),
        'maximum': (torch.maximum, (3, 4), (4,)),
        'minimum': (torch.minimum, (3, 4), (3, 1)),
        'max_binary': (torch.max, (2, 3), (2, 3)),
        'pow_tensor': (lambda x, y: (x.abs() + 0.1) ** y, (3, 4), (3, 4)),
        'where_gt': (lambda x, y: torch.where(x > y, x, y), (2, 3, 4), (4,)),
        'where_scalar': (lambda x, y: torch.where(x > 0, x, torch.zeros_like(x)) + y, (3, 4), (3, 4)),
        'where_bcast_cond': (lambda x, y: torch.where(y > 0, x, -x), (2, 3, 4), (3, 1)),
        'masked_fill': (lambda x, y: x.masked_fill(y < 0, 0.5), (2, 3, 4), (3, 4)),
        'masked_fill_neg_inf_softmax': (lambda x, y: torch.softmax(x.masked_fill(y < -0.5, float('-inf')), -1), (2, 4), (2, 4)),
        'addcmul': (lambda x, y: torch.addcmul(x, x, y, value=0.5), (3, 4), (4,)),
        'addcdiv': (lambda x, y: torch.addcdiv(x, x, y.abs() + 1, value=-2), (3, 4), (3, 4)),
        'lerp': (lambda x, y: torch.lerp(x, y, 0.3), (3, 4), (3, 4)),
        'atan2': (torch.atan2, (3, 4), (3, 4)),
        'hypot': (lambda x, y: torch.sqrt(x * x + y * y), (3, 4), (3, 4)),
        'remainder_tensor': (lambda x, y: torch.remainder(x * 5, y.abs() + 0.3), (3, 4), (3, 4)),
        'fmod_tensor': (lambda x, y: torch.fmod(x * 5, y.abs() + 0.3), (3, 4), (3, 4)),
        'eq_float_out': (lambda x, y: (x > y).float() * 2 + (x <= y).float(), (3, 4), (4,)),
        'gt_bool_out': (lambda x, y: x > y, (3, 4), (3, 4)),
        'ne_out': (lambda x, y: torch.ne(torch.round(x * 2), torch.round(y * 2)), (3, 4), (3, 4)),
        'clamp_tensor': (lambda x, y: torch.clamp(x, min=y), (3, 4), (4,)),
        'copysign': (lambda x, y: torch.copysign(x, y), (3, 4), (3, 4)),
        'cosine_similarity': (lambda x, y: F.cosine_similarity(x, y, dim=-1), (3, 5), (3, 5)),
        'pairwise_distance': (lambda x, y: F.pairwise_distance(x, y), (3, 5), (3, 5)),
        'cdist': (lambda x, y: torch.cdist(x, y), (1, 3, 4), (1, 5, 4)),
        'cross': (lambda x, y: torch.cross(x, y, dim=-1), (2, 3), (2, 3)),
        'outer': (torch.outer, (3,), (4,)),
        'dot': (torch.dot, (5,), (5,)),
        'inplace_add': (lambda x, y: x.clone().add_(y).mul_(2), (3, 4), (3, 4)),
        'inplace_masked_fill': (lambda x, y: x.clone().masked_fill_(y > 0, -1.0), (3, 4), (3, 4)),
        'inplace_clamp': (lambda x, y: (x + y).clamp_(min=0.0), (3, 4), (3, 4)),
        'setitem_row': (lambda x, y: _setitem(x, y), (3, 4), (4,)),
    }
    for name, (fn, a, b) in binary.items():
        yield f'b_{name}', f(fn), [(a, F1), (b, F1)]

    # ---- integer and boolean paths -----------------------------------------------------------
    ints = {
        'shr': lambda x: x >> 1, 'shl': lambda x: x << 2, 'floordiv3': lambda x: x // 3,
        'floor_divide': lambda x: torch.floor_divide(x, 4), 'div_trunc': lambda x: torch.div(x, 3, rounding_mode='trunc'),
        'div_floor': lambda x: torch.div(x, 3, rounding_mode='floor'), 'div_true': lambda x: x / 4,
        'remainder': lambda x: x % 4, 'remainder_neg': lambda x: torch.remainder(x, -3), 'fmod': lambda x: torch.fmod(x, 3),
        'mul_add': lambda x: x * 3 + 1, 'neg': lambda x: -x, 'abs': torch.abs, 'square': lambda x: x * x, 'pow2': lambda x: x ** 2,
        'clamp': lambda x: torch.clamp(x, -3, 4), 'clamp_min': lambda x: torch.clamp(x, min=0), 'relu_via_max': lambda x: torch.maximum(x, torch.zeros_like(x)),
        'to_float_half': lambda x: x.float() * 0.5, 'float_to_long': lambda x: (x.float() * 0.7).long(),
        'float_to_long_neg': lambda x: (x.float() * -0.35).long() + x, 'to_int32': lambda x: x.to(torch.int32) * 2,
        'sum': lambda x: x.sum(-1), 'sum_keep': lambda x: x.sum(0, keepdim=True), 'max': lambda x: x.amax(-1), 'min': lambda x: x.amin(0),
        'cumsum': lambda x: torch.cumsum(x, -1), 'eq_const': lambda x: x == 2, 'gt_to_long': lambda x: (x > 0).long(),
        'sign': torch.sign, 'where_int': lambda x: torch.where(x > 0, x, x * -2), 'mean_float': lambda x: x.float().mean(-1),
        'prod': lambda x: x.prod(-1), 'flip': lambda x: torch.flip(x, [-1]), 'matmul_int': lambda x: x @ x.transpose(0, 1),
        'even_mask': lambda x: (x % 2 == 0).float() * x.float(), 'bitwise_not_cmp': lambda x: ~(x > 0),
        'float_div_long': lambda x: (x.float() / 3).long(), 'round_half': lambda x: torch.round(x.float() / 2),
    }
    for name, fn in ints.items():
        yield f'i_{name}', f(fn), [((3, 4), 'int')]
    yield 'i_int32_add', f(lambda x: x + 7), [((3, 4), 'int32')]
    yield 'i_int32_div', f(lambda x: torch.div(x, 2, rounding_mode='trunc')), [((3, 4), 'int32')]
    yield 'i_add_int_float', f(lambda x, y: x + y), [((3, 4), 'int'), ((3, 4), F1)]
    yield 'i_mul_int_float', f(lambda x, y: x * y), [((3, 4), 'int'), ((4,), F1)]
    yield 'i_int_int_div', f(lambda x, y: torch.div(x, y, rounding_mode='floor')), [((3, 4), 'int'), ((3, 4), 'nat1')]
    yield 'i_int_int_mod', f(lambda x, y: x % y), [((3, 4), 'int'), ((3, 4), 'nat1')]
    yield 'i_int_int_mul', f(lambda x, y: x * y + x), [((3, 4), 'int'), ((3, 4), 'int')]
    yield 'i_int_int_max', f(torch.maximum), [((3, 4), 'int'), ((4,), 'int')]
    bools = {
        'and': lambda a, b: a & b, 'or': lambda a, b: a | b, 'xor': lambda a, b: a ^ b, 'not_a': lambda a, b: ~a & b,
        'to_float': lambda a, b: a.float() + 2 * b.float(), 'where': lambda a, b: torch.where(a, b, ~b),
        'sum': lambda a, b: (a & b).sum(-1), 'eq': lambda a, b: a == b, 'any': lambda a, b: (a | b).any(-1),
        'all': lambda a, b: (a & b).all(-1), 'to_long_add': lambda a, b: a.long() + b.long(),
    }
    for name, fn in bools.items():
        yield f'bool_{name}', f(fn), [((3, 4), 'bool'), ((3, 4), 'bool')]
    yield 'bool_masked_fill', f(lambda x, m: x.masked_fill(m, -3.0)), [((3, 4), F1), ((3, 4), 'bool')]
    yield 'bool_where_float', f(lambda x, m: torch.where(m, x, x * x)), [((2, 3, 4), F1), ((4,), 'bool')]
    yield 'bool_mul_float', f(lambda x, m: x * m), [((3, 4), F1), ((3, 4), 'bool')]

    # ---- reductions --------------------------------------------------------------------------
    reds = {
        'sum': lambda x, d, k: x.sum(d, keepdim=k), 'mean': lambda x, d, k: x.mean(d, keepdim=k),
        'amax': lambda x, d, k: x.amax(d, keepdim=k), 'amin': lambda x, d, k: x.amin(d, keepdim=k),
        'prod': lambda x, d, k: x.prod(d[0] if isinstance(d, tuple) else d, keepdim=k),
        'logsumexp': lambda x, d, k: torch.logsumexp(x, d, keepdim=k), 'norm2': lambda x, d, k: torch.norm(x, 2, d, keepdim=k),
        'norm1': lambda x, d, k: torch.norm(x, 1, d, keepdim=k), 'var': lambda x, d, k: x.var(d, keepdim=k),
        'var_biased': lambda x, d, k: x.var(d, unbiased=False, keepdim=k), 'std': lambda x, d, k: x.std(d, keepdim=k),
        'max_values': lambda x, d, k: x.max(d[0] if isinstance(d, tuple) else d, keepdim=k)[0],
        'sumsq': lambda x, d, k: (x * x).sum(d, keepdim=k), 'mean_center': lambda x, d, k: x - x.mean(d, keepdim=True) + x.var(d, keepdim=k).sum(),
        'std_mean': lambda x, d, k: torch.std_mean(x, d, keepdim=k)[0] + torch.std_mean(x, d, keepdim=k)[1],
        'l2_normalize': lambda x, d, k: F.normalize(x, p=2.0, dim=d[0] if isinstance(d, tuple) else d),
    }
    for name, fn in reds.items():
        for d, k, tag in ((-1, False, 'last'), (1, True, 'mid_keep'), ((0, 2), False, 'two'), (-2, True, 'neg2_keep')):
            if name in ('prod', 'max_values', 'l2_normalize') and tag == 'two':
                continue
            yield f'r_{name}_{tag}', (lambda fn=fn, d=d, k=k: Fn(lambda m, x: fn(x, d, k))), [((2, 3, 5), F1)]
    yield 'r_sum_all', f(lambda x: x.sum()), [((2, 3, 4), F1)]
    yield 'r_mean_all_plus', f(lambda x: x - x.mean()), [((2, 3, 4), F1)]
    yield 'r_var_then_bcast', f(lambda x: x.var(-1) * x[..., 0]), [((3, 4), F1)]
    yield 'r_softmax_0', f(lambda x: torch.softmax(x, 0)), [((3, 4), F1)]
    yield 'r_softmax_1_4d', f(lambda x: torch.softmax(x, 1)), [((1, 3, 2, 4), F1)]
    yield 'r_log_softmax_neg', f(lambda x: torch.log_softmax(x, -2)), [((2, 3, 4), F1)]
    yield 'r_softmax2d', mod(lambda: nn.Softmax2d()), [((1, 3, 2, 2), F1)]
    yield 'r_cumsum_neg', f(lambda x: torch.cumsum(x, -2)), [((2, 3, 4), F1)]
    yield 'r_cumsum_0', f(lambda x: torch.cumsum(x, 0)), [((3, 4), F1)]
    yield 'r_cumsum_rev', f(lambda x: torch.flip(torch.cumsum(torch.flip(x, [1]), 1), [1])), [((3, 4), F1)]
    yield 'r_argmax', f(lambda x: x.argmax(-1)), [((3, 4), F1)]
    yield 'r_argmin_keep', f(lambda x: x.argmin(0, keepdim=True)), [((3, 4), F1)]
    yield 'r_max_with_indices', f(lambda x: x.max(1)), [((3, 4), F1)]

    # ---- movement ----------------------------------------------------------------------------
    moves = {
        'flip_one': (lambda x: torch.flip(x, [1]), (2, 3, 4)), 'flip_two': (lambda x: torch.flip(x, [0, -1]), (2, 3, 4)),
        'roll_one': (lambda x: torch.roll(x, 2, -1), (2, 3, 5)), 'roll_neg': (lambda x: torch.roll(x, -1, 1), (2, 3, 5)),
        'roll_two': (lambda x: torch.roll(x, (1, -2), (0, 2)), (2, 3, 5)), 'roll_flat': (lambda x: torch.roll(x, 3), (2, 3, 5)),
        'transpose': (lambda x: x.transpose(0, 2), (2, 3, 4)), 'permute': (lambda x: x.permute(2, 0, 1) * 2, (2, 3, 4)),
        'mT': (lambda x: x.transpose(-1, -2) + 1, (2, 3, 4)), 'reshape': (lambda x: x.reshape(4, -1), (2, 3, 4)),
        'view_flat': (lambda x: x.view(-1) * 2, (2, 3, 4)), 'flatten_mid': (lambda x: torch.flatten(x, 1, 2), (2, 3, 4, 2)),
        'unflatten': (lambda x: x.unflatten(-1, (2, 3)), (2, 6)), 'squeeze_neg': (lambda x: x.squeeze(-2) + 1, (2, 3, 1, 4)),
        'unsqueeze_neg': (lambda x: x.unsqueeze(-1) * x.unsqueeze(-2), (2, 3)), 'expand': (lambda x: x.expand(2, 3, 4) + 0, (3, 1)),
        'expand_as_mul': (lambda x: x.expand(4, 2, 3) * torch.arange(4.).view(4, 1, 1), (2, 3)),
        'repeat': (lambda x: x.repeat(2, 1, 3), (2, 3)), 'tile': (lambda x: torch.tile(x, (2,)), (3, 2)),
        'repeat_interleave': (lambda x: torch.repeat_interleave(x, 2, dim=1), (2, 3)),
        'cat_neg': (lambda x: torch.cat([x, x * 2, -x], -1), (2, 3)), 'stack': (lambda x: torch.stack([x, x + 1], 1), (2, 3)),
        'split': (lambda x: torch.split(x, [2, 3], -1)[1] * 2, (2, 5)), 'chunk_outs': (lambda x: torch.chunk(x, 3, 1), (2, 6)),
        'narrow': (lambda x: x.narrow(1, 1, 2), (2, 4, 3)), 'slice_step': (lambda x: x[:, ::2], (3, 7)),
        'slice_step_neg_end': (lambda x: x[..., 1:-1:2], (2, 3, 8)), 'slice_tail': (lambda x: x[:, -3:], (2, 5)),
        'slice_step3_off': (lambda x: x[1:, 2::3], (3, 10)), 'select': (lambda x: x[:, 1] + x[:, -1], (2, 3, 4)),
        'index_list': (lambda x: x[:, [0, 2, 1, 2]], (2, 3)), 'index_select': (lambda x: torch.index_select(x, -1, torch.tensor([3, 0, 0])), (2, 4)),
        'index_neg': (lambda x: x[:, torch.tensor([-1, 0])], (2, 3)), 'gather_const': (lambda x: torch.gather(x, 1, torch.tensor([[0, 0], [1, 0]])), (2, 3)),
        'triu': (lambda x: torch.triu(x, 1), (4, 4)), 'tril': (lambda x: torch.tril(x, -1), (3, 5)), 'triu_batched': (lambda x: torch.triu(x), (2, 3, 3)),
        'pad_const_uneven': (lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), (1, 2, 3, 3)), 'pad_reflect': (lambda x: F.pad(x, (2, 1), mode='reflect'), (1, 2, 5)),
        'pad_replicate': (lambda x: F.pad(x, (0, 2, 1, 0), mode='replicate'), (1, 2, 3, 3)), 'pad_neg': (lambda x: F.pad(x, (-1, 2)), (2, 5)),
        'pad_circular': (lambda x: F.pad(x, (1, 2), mode='circular'), (1, 2, 4)),
        'pixel_shuffle': (lambda x: F.pixel_shuffle(x, 2), (1, 8, 2, 3)), 'pixel_unshuffle': (lambda x: F.pixel_unshuffle(x, 2), (1, 2, 4, 6)),
        'channel_shuffle': (lambda x: x.view(1, 2, 3, 2, 2).transpose(1, 2).reshape(1, 6, 2, 2), (1, 6, 2, 2)),
        'diag_embed_eye': (lambda x: x * torch.eye(4), (2, 4, 4)), 'arange_add': (lambda x: x + torch.arange(x.shape[-1]), (2, 5)),
        'zeros_like_add': (lambda x: torch.ones_like(x) * 3 - x, (2, 3)), 'T2d': (lambda x: x.T @ x, (3, 2)),
        'unfold': (lambda x: F.unfold(x, 2, stride=1), (1, 2, 3, 3)), 'tensor_unfold': (lambda x: x.unfold(1, 3, 2), (2, 7)),
        'movedim': (lambda x: torch.movedim(x, 0, -1), (2, 3, 4)), 'swap_reshape': (lambda x: x.reshape(3, 2, 4).transpose(0, 1).reshape(6, 4), (2, 3, 4)),
        'one_hot': (lambda x: F.one_hot(x, 5).float(), (4,)),
    }
    for name, (fn, shape) in moves.items():
        kind = 'nat4' if name == 'one_hot' else F1
        yield f'm_{name}', f(fn), [(shape, kind)]
    yield 'm_gather_ids', f(lambda x, i: torch.gather(x, 1, i)), [((2, 3), F1), ((2, 4), 'nat3')]
    yield 'm_index_ids', f(lambda x, i: x[i]), [((5, 3), F1), ((4,), 'nat5')]
    yield 'm_take_along', f(lambda x, i: torch.take_along_dim(x, i, 1)), [((2, 3), F1), ((2, 2), 'nat3')]

    # ---- matmul and friends ------------------------------------------------------------------
    mm = {
        'mm': (torch.mm, (3, 4), (4, 5)), 'bmm': (torch.bmm, (2, 3, 4), (2, 4, 5)), 'matmul_bcast': (torch.matmul, (2, 3, 4), (4, 5)),
        'matmul_bcast_left': (torch.matmul, (3, 4), (2, 4, 5)), 'matmul_vec_mat': (torch.matmul, (4,), (4, 5)),
        'matmul_mat_vec': (torch.matmul, (3, 4), (4,)), 'matmul_4d_bcast': (torch.matmul, (2, 1, 3, 4), (1, 3, 4, 2)),
        'einsum_ij_jk': (lambda a, b: torch.einsum('ij,jk->ik', a, b), (3, 4), (4, 5)),
        'einsum_bij_bjk': (lambda a, b: torch.einsum('bij,bjk->bik', a, b), (2, 3, 4), (2, 4, 5)),
        'einsum_outer': (lambda a, b: torch.einsum('i,j->ij', a, b), (3,), (4,)),
        'einsum_attn': (lambda a, b: torch.einsum('bhqd,bhkd->bhqk', a, b), (1, 2, 3, 4), (1, 2, 5, 4)),
        'einsum_sum_mul': (lambda a, b: torch.einsum('ij,ij->i', a, b), (3, 4), (3, 4)),
        'einsum_transpose_out': (lambda a, b: torch.einsum('ik,jk->ji', a, b), (3, 4), (5, 4)),
        'baddbmm': (lambda a, b: torch.baddbmm(a[:, :, :3], a, b, beta=0.5, alpha=-2), (2, 3, 4), (2, 4, 3)),
        'addmm': (lambda a, b: torch.addmm(torch.ones(3, 5), a, b, beta=-1, alpha=0.5), (3, 4), (4, 5)),
        'linear_fn': (lambda a, b: F.linear(a, b), (3, 4), (5, 4)),
    }
    for name, (fn, a, b) in mm.items():
        yield f'mm_{name}', f(fn), [(a, F1), (b, F1)]
    yield 'mm_einsum_trace', f(lambda a: torch.einsum('ii->i', a)), [((4, 4), F1)]
    yield 'mm_einsum_sum', f(lambda a: torch.einsum('ijk->k', a)), [((2, 3, 4), F1)]
    yield 'mm_linear_nobias', mod(lambda: nn.Linear(5, 3, bias=False)), [((2, 5), F1)]
    yield 'mm_linear_3d', mod(lambda: nn.Linear(4, 3)), [((2, 3, 4), F1)]
    yield 'mm_linear_1d', mod(lambda: nn.Linear(4, 3)), [((4,), F1)]
    yield 'mm_bilinear', mod(lambda: nn.Bilinear(3, 4, 2)), [((2, 3), F1), ((2, 4), F1)]
    yield 'mm_linear_odd_batch', mod(lambda: nn.Sequential(nn.Linear(7, 5), nn.ReLU(inplace=True), nn.Linear(5, 1))), [((5, 7), F1)]

    # ---- convolution -------------------------------------------------------------------------
    convs = {
        'c1d': lambda: nn.Conv1d(2, 3, 3), 'c1d_stride_pad': lambda: nn.Conv1d(2, 4, 4, stride=2, padding=1),
        'c1d_dil_groups': lambda: nn.Conv1d(4, 6, 3, dilation=2, groups=2, padding=2),
        'c1d_same_even': lambda: nn.Conv1d(2, 3, 4, padding='same'), 'c1d_reflect': lambda: nn.Conv1d(2, 3, 3, padding=1, padding_mode='reflect'),
        'c1d_circular': lambda: nn.Conv1d(2, 3, 3, padding=2, padding_mode='circular'), 'c1d_nobias': lambda: nn.Conv1d(2, 3, 1, bias=False),
        'c1d_depthwise': lambda: nn.Conv1d(2, 4, 3, groups=2),
    }
    for name, make in convs.items():
        yield f'cv_{name}', mod(make), [((1, 2, 9), F1)] if 'dil' not in name else [((1, 4, 9), F1)]
    convs2 = {
        'c2d': lambda: nn.Conv2d(3, 4, 3), 'c2d_rect': lambda: nn.Conv2d(3, 4, (2, 3), stride=(2, 1), padding=(1, 0)),
        'c2d_dil': lambda: nn.Conv2d(3, 2, 3, dilation=(2, 1), padding=(2, 1)), 'c2d_groups3': lambda: nn.Conv2d(3, 6, 3, groups=3, stride=2),
        'c2d_same_even': lambda: nn.Conv2d(3, 2, (4, 2), padding='same'), 'c2d_same_dil': lambda: nn.Conv2d(3, 2, 3, padding='same', dilation=2),
        'c2d_replicate': lambda: nn.Conv2d(3, 2, 3, padding=1, padding_mode='replicate'), 'c2d_reflect': lambda: nn.Conv2d(3, 2, 3, padding=(2, 1), padding_mode='reflect'),
        'c2d_stride3_odd': lambda: nn.Conv2d(3, 2, 2, stride=3), 'c2d_1x1': lambda: nn.Conv2d(3, 5, 1),
        'c2d_big_pad': lambda: nn.Conv2d(3, 2, 2, padding=3), 'c2d_depthwise_mult': lambda: nn.Conv2d(3, 6, 3, groups=3, padding=1),
    }
    for name, make in convs2.items():
        yield f'cv_{name}', mod(make), [((1, 3, 7, 6), F1)]
    yield 'cv_c2d_batch2', mod(lambda: nn.Conv2d(2, 3, 3, padding=1)), [((2, 2, 4, 5), F1)]
    yield 'cv_c2d_batch3_relu', mod(lambda: nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Conv2d(3, 1, 2))), [((3, 2, 5, 5), F1)]
    yield 'cv_c3d', mod(lambda: nn.Conv3d(2, 3, 2)), [((1, 2, 3, 4, 3), F1)]
    yield 'cv_c3d_stride_pad', mod(lambda: nn.Conv3d(2, 2, (3, 2, 2), stride=(1, 2, 1), padding=(1, 0, 1), groups=2)), [((1, 2, 3, 4, 3), F1)]
    tconvs = {
        'ct1d': (lambda: nn.ConvTranspose1d(2, 3, 3), (1, 2, 5)),
        'ct1d_stride_outpad': (lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1, output_padding=1), (1, 2, 5)),
        'ct1d_dil_groups': (lambda: nn.ConvTranspose1d(4, 2, 3, stride=2, dilation=2, groups=2), (1, 4, 4)),
        'ct2d': (lambda: nn.ConvTranspose2d(3, 2, 3), (1, 3, 3, 4)),
        'ct2d_stride_pad': (lambda: nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (1, 3, 3, 4)),
        'ct2d_outpad': (lambda: nn.ConvTranspose2d(3, 2, 3, stride=(2, 3), padding=(1, 0), output_padding=(1, 2)), (1, 3, 3, 4)),
        'ct2d_groups': (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2, padding=1, output_padding=1), (1, 4, 3, 3)),
        'ct2d_bigpad': (lambda: nn.ConvTranspose2d(3, 2, 2, stride=2, padding=2), (1, 3, 4, 4)),
        'ct2d_dil': (lambda: nn.ConvTranspose2d(2, 2, 3, dilation=2, padding=1), (1, 2, 3, 3)),
        'ct2d_nobias': (lambda: nn.ConvTranspose2d(2, 3, (2, 3), stride=(1, 2), bias=False), (1, 2, 3, 3)),
        'ct3d': (lambda: nn.ConvTranspose3d(2, 2, 2, stride=2), (1, 2, 2, 3, 2)),
        'ct3d_pad_outpad': (lambda: nn.ConvTranspose3d(2, 1, 3, stride=2, padding=(1, 2, 1), output_padding=(1, 0, 1)), (1, 2, 2, 3, 2)),
    }
    for name, (make, shape) in tconvs.items():
        yield f'cv_{name}', mod(make), [(shape, F1)]

    # ---- pooling -----------------------------------------------------------------------------
    pools = {
        'max1d': (lambda: nn.MaxPool1d(3, 2), (1, 2, 9)), 'max1d_ceil': (lambda: nn.MaxPool1d(2, 2, ceil_mode=True), (1, 2, 9)),
        'max1d_pad_dil': (lambda: nn.MaxPool1d(3, 2, padding=1, dilation=2), (1, 2, 9)),
        'max2d': (lambda: nn.MaxPool2d(2), (1, 3, 5, 7)), 'max2d_ceil': (lambda: nn.MaxPool2d(3, 2, ceil_mode=True), (1, 3, 6, 7)),
        'max2d_pad': (lambda: nn.MaxPool2d((3, 2), (2, 1), padding=(1, 1)), (1, 2, 5, 5)),
        'max2d_ceil_pad': (lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (1, 2, 6, 6)),
        'max3d': (lambda: nn.MaxPool3d(2, ceil_mode=True), (1, 2, 3, 5, 4)),
        'avg1d': (lambda: nn.AvgPool1d(3, 2), (1, 2, 9)), 'avg1d_pad_excl': (lambda: nn.AvgPool1d(3, 2, padding=1, count_include_pad=False), (1, 2, 8)),
        'avg1d_pad_incl': (lambda: nn.AvgPool1d(3, 2, padding=1, count_include_pad=True), (1, 2, 8)),
        'avg1d_ceil': (lambda: nn.AvgPool1d(2, 2, ceil_mode=True), (1, 2, 9)),
        'avg2d': (lambda: nn.AvgPool2d(2), (1, 3, 5, 7)), 'avg2d_ceil': (lambda: nn.AvgPool2d(3, 2, ceil_mode=True), (1, 2, 6, 7)),
        'avg2d_ceil_pad_incl': (lambda: nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=True), (1, 2, 6, 6)),
        'avg2d_ceil_pad_excl': (lambda: nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False), (1, 2, 6, 6)),
        'avg2d_pad_excl': (lambda: nn.AvgPool2d((2, 3), (1, 2), padding=(1, 1), count_include_pad=False), (1, 2, 4, 5)),
        'avg2d_divisor': (lambda: nn.AvgPool2d(2, divisor_override=3), (1, 2, 4, 4)),
        'avg3d': (lambda: nn.AvgPool3d(2, stride=1, padding=1), (1, 1, 3, 3, 3)),
        'lp2d': (lambda: nn.LPPool2d(2, 2), (1, 2, 4, 5)), 'lp1d': (lambda: nn.LPPool1d(3, 3, stride=2), (1, 2, 7)), 'lp1d_p2': (lambda: nn.LPPool1d(2, 3, stride=2), (1, 2, 7)),
        'adaptive_avg_div': (lambda: nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 4, 6)),
        'adaptive_avg_1': (lambda: nn.AdaptiveAvgPool2d(1), (1, 3, 5, 4)),
        'adaptive_avg_uneven': (lambda: nn.AdaptiveAvgPool2d((3, 2)), (1, 2, 5, 5)),
        'adaptive_max_div': (lambda: nn.AdaptiveMaxPool2d((2, 2)), (1, 2, 4, 6)),
        'adaptive_max_1d': (lambda: nn.AdaptiveMaxPool1d(1), (1, 3, 5)),
        'adaptive_avg_1d': (lambda: nn.AdaptiveAvgPool1d(3), (1, 2, 6)),
        'global_max': (lambda: Fn(lambda m, x: x.amax((-2, -1))), (2, 3, 4, 4)),
    }
    for name, (make, shape) in pools.items():
        yield f'pool_{name}', mod(make), [(shape, F1)]

    # ---- normalization -----------------------------------------------------------------------
    norms = {
        'bn1d_2d': (lambda: nn.BatchNorm1d(4), (3, 4)), 'bn1d_3d': (lambda: nn.BatchNorm1d(3), (2, 3, 5)),
        'bn2d': (lambda: nn.BatchNorm2d(3), (2, 3, 2, 3)), 'bn3d': (lambda: nn.BatchNorm3d(2), (1, 2, 2, 2, 3)),
        'bn2d_noaffine': (lambda: nn.BatchNorm2d(3, affine=False), (1, 3, 2, 3)),
        'in1d': (lambda: nn.InstanceNorm1d(3), (2, 3, 5)), 'in2d_affine': (lambda: nn.InstanceNorm2d(3, affine=True), (2, 3, 3, 4)),
        'in2d_running': (lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (1, 3, 3, 4)),
        'gn': (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 2)), 'gn_1group': (lambda: nn.GroupNorm(1, 3), (1, 3, 5)),
        'gn_per_channel': (lambda: nn.GroupNorm(4, 4, affine=False), (1, 4, 2, 3)),
        'ln_last': (lambda: nn.LayerNorm(5), (2, 3, 5)), 'ln_two': (lambda: nn.LayerNorm((3, 5)), (2, 3, 5)),
        'ln_noaffine': (lambda: nn.LayerNorm(4, elementwise_affine=False, eps=1e-3), (3, 4)),
        'lrn': (lambda: nn.LocalResponseNorm(3), (1, 5, 3, 3)),
        'conv_bn_relu': (lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU()), (1, 2, 4, 4)),
        'conv_bn_nobias': (lambda: nn.Sequential(nn.Conv2d(2, 3, 3, bias=False), nn.BatchNorm2d(3)), (2, 2, 4, 4)),
        'ct_bn': (lambda: nn.Sequential(nn.ConvTranspose2d(2, 3, 2, stride=2), nn.BatchNorm2d(3)), (1, 2, 2, 3)),
        'linear_bn': (lambda: nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Tanh()), (2, 4)),
        'bn_linear': (lambda: nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3)), (2, 4)),
        'bn_conv': (lambda: nn.Sequential(nn.BatchNorm2d(2), nn.Conv2d(2, 3, 3, padding=1)), (1, 2, 4, 4)),
        'bn_conv_pad_mode': (lambda: nn.Sequential(nn.BatchNorm2d(2), nn.Conv2d(2, 2, 3, padding=1, padding_mode='reflect')), (1, 2, 4, 4)),
    }
    for name, (make, shape) in norms.items():
        yield f'n_{name}', (lambda make=make: randomize(make())), [(shape, F1)]
    yield 'n_layer_norm_fn', f(lambda x: F.layer_norm(x, (4,), eps=1e-2)), [((2, 3, 4), F1)]
    yield 'n_group_norm_fn', f(lambda x: F.group_norm(x, 3, eps=1e-3)), [((2, 6, 3), F1)]
    yield 'n_normalize_p1', f(lambda x: F.normalize(x, p=1.0, dim=1)), [((2, 3, 4), F1)]

    # ---- interpolation -----------------------------------------------------------------------
    interps = {
        'nearest2': (lambda x: F.interpolate(x, scale_factor=2, mode='nearest'), (1, 2, 3, 3)),
        'nearest_size': (lambda x: F.interpolate(x, size=(5, 7), mode='nearest'), (1, 2, 3, 4)),
        'nearest_down': (lambda x: F.interpolate(x, size=(2, 3), mode='nearest'), (1, 2, 5, 7)),
        'nearest1d': (lambda x: F.interpolate(x, scale_factor=3, mode='nearest'), (1, 2, 4)),
        'linear1d': (lambda x: F.interpolate(x, size=7, mode='linear', align_corners=False), (1, 2, 4)),
        'linear1d_ac': (lambda x: F.interpolate(x, size=7, mode='linear', align_corners=True), (1, 2, 4)),
        'bilinear': (lambda x: F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False), (1, 2, 3, 3)),
        'bilinear_ac': (lambda x: F.interpolate(x, size=(5, 4), mode='bilinear', align_corners=True), (1, 2, 3, 3)),
        'bilinear_down': (lambda x: F.interpolate(x, size=(3, 2), mode='bilinear', align_corners=False), (1, 2, 5, 5)),
        'bicubic': (lambda x: F.interpolate(x, scale_factor=2, mode='bicubic', align_corners=False), (1, 1, 3, 4)),
        'bicubic_ac': (lambda x: F.interpolate(x, size=(4, 5), mode='bicubic', align_corners=True), (1, 1, 3, 3)),
        'trilinear': (lambda x: F.interpolate(x, scale_factor=2, mode='trilinear'), (1, 1, 2, 2, 3)),
        'nearest3d': (lambda x: F.interpolate(x, size=(3, 4, 2), mode='nearest'), (1, 1, 2, 2, 3)),
        'nearest_exact': (lambda x: F.interpolate(x, size=(5, 3), mode='nearest-exact'), (1, 1, 3, 4)),
        'upsample_module': (lambda x: nn.Upsample(scale_factor=(2, 1), mode='nearest')(x), (1, 2, 2, 3)),
        'bilinear_frac': (lambda x: F.interpolate(x, scale_factor=1.5, mode='bilinear', align_corners=False), (1, 1, 4, 4)),
    }
    for name, (fn, shape) in interps.items():
        yield f'up_{name}', f(fn), [(shape, F1)]

    # ---- recurrent ---------------------------------------------------------------------------
    rnns = {
        'rnn_tanh': lambda: nn.RNN(3, 4), 'rnn_relu': lambda: nn.RNN(3, 4, nonlinearity='relu'),
        'rnn_bf_bi': lambda: nn.RNN(3, 4, batch_first=True, bidirectional=True), 'rnn_2layers': lambda: nn.RNN(3, 4, num_layers=2),
        'lstm': lambda: nn.LSTM(3, 4), 'lstm_bf': lambda: nn.LSTM(3, 4, batch_first=True), 'lstm_bi': lambda: nn.LSTM(3, 4, bidirectional=True),
        'lstm_2layers_bi_bf': lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
        'lstm_nobias': lambda: nn.LSTM(3, 2, bias=False), 'lstm_proj': lambda: nn.LSTM(3, 4, proj_size=2),
        'gru': lambda: nn.GRU(3, 4), 'gru_bf': lambda: nn.GRU(3, 4, batch_first=True), 'gru_bi': lambda: nn.GRU(3, 4, bidirectional=True),
        'gru_2layers': lambda: nn.GRU(3, 4, num_layers=2), 'gru_3layers_bi_bf': lambda: nn.GRU(3, 2, num_layers=3, bidirectional=True, batch_first=True),
        'gru_nobias': lambda: nn.GRU(3, 2, bias=False),
    }
    for name, make in rnns.items():
        yield f'rec_{name}', (lambda make=make: Fn(lambda m, x: m.r(x)[0], r=make())), [((5, 2, 3), F1)]
        if name in ('lstm', 'gru_bi', 'rnn_bf_bi', 'lstm_2layers_bi_bf'):
            yield f'rec_{name}_state', (lambda make=make: Fn(lambda m, x: m.r(x)[1], r=make())), [((4, 1, 3), F1)]
    yield 'rec_lstm_init_state', (lambda: Fn(lambda m, x, h, c: m.r(x, (h, c))[0], r=nn.LSTM(3, 2))), [((4, 1, 3), F1), ((1, 1, 2), F1), ((1, 1, 2), F1)]
    yield 'rec_gru_odd_len_batch3', (lambda: Fn(lambda m, x: m.r(x)[0][:, -1], r=nn.GRU(2, 3, batch_first=True))), [((3, 7, 2), F1)]
    yield 'rec_lstmcell', (lambda: Fn(lambda m, x: m.c(x)[0], c=nn.LSTMCell(3, 4))), [((2, 3), F1)]
    yield 'rec_grucell', (lambda: Fn(lambda m, x: m.c(x), c=nn.GRUCell(3, 4))), [((2, 3), F1)]
    yield 'rec_rnncell', (lambda: Fn(lambda m, x: m.c(x), c=nn.RNNCell(3, 4))), [((2, 3), F1)]

    # ---- embedding and misc ------------------------------------------------------------------
    yield 'emb', mod(lambda: nn.Embedding(10, 4)), [((2, 3), 'ids10')]
    yield 'emb_padding_idx', mod(lambda: nn.Embedding(10, 3, padding_idx=0)), [((5,), 'ids10')]
    yield 'emb_linear', (lambda: Fn(lambda m, x: m.l(m.e(x)).sum(1), e=nn.Embedding(10, 4), l=nn.Linear(4, 2))), [((2, 5), 'ids10')]
    yield 'emb_bag_mean', mod(lambda: nn.EmbeddingBag(10, 3, mode='mean')), [((2, 4), 'ids10')]
    yield 'misc_flatten_linear', mod(lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 2))), [((2, 3, 4), F1)]
    yield 'misc_dropout_identity', mod(lambda: nn.Sequential(nn.Dropout(0.5), nn.Identity(), nn.AlphaDropout(0.2), nn.Linear(3, 2))), [((2, 3), F1)]
    yield 'misc_prelu_channels', mod(lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.PReLU(3))), [((1, 2, 3, 3), F1)]
    yield 'misc_prelu_single', mod(lambda: nn.PReLU()), [((2, 3, 4), F1)]
    yield 'misc_constant_buffer', (lambda: Fn(lambda m, x: x * m.w + m.w.sum(), w=nn.Parameter(torch.linspace(-1, 1, 4)))), [((3, 4), F1)]
    yield 'misc_softmax_attention', (lambda: Fn(lambda m, q: torch.softmax(q @ q.transpose(-1, -2) / 2.0, -1) @ q)), [((1, 4, 3), F1)]
    yield 'misc_mha', (lambda: Fn(lambda m, x: m.a(x, x, x, need_weights=False)[0], a=nn.MultiheadAttention(4, 2, batch_first=True))), [((1, 3, 4), F1)]
    yield 'misc_fold', f(lambda x: F.fold(x, (3, 3), 2)), [((1, 8, 4), F1)]
    yield 'misc_chain_residual', (lambda: Fn(lambda m, x: x + m.b(m.a(x)).relu(), a=nn.Linear(4, 4), b=nn.Linear(4, 4))), [((3, 4), F1)]
    yield 'misc_multi_out', f(lambda x: (x.sum(-1), x * 2, x.amax(0))), [((2, 3), F1)]
    yield 'misc_two_in_conv', (lambda: Fn(lambda m, x, y: m.c(x) + y, c=nn.Conv2d(2, 2, 3, padding=1))), [((1, 2, 3, 3), F1), ((1, 2, 3, 3), F1)]
    yield 'misc_hardtanh_chain', mod(lambda: nn.Sequential(nn.Linear(3, 4), nn.Hardtanh(-0.1, 0.2), nn.Linear(4, 2), nn.LogSoftmax(-1))), [((2, 3), F1)]
    yield 'misc_const_out', f(lambda x: x * 0 + torch.tensor([1.0, 2.0, 3.0])), [((2, 3), F1)]
    yield 'misc_sort_values', f(lambda x: torch.sort(x, -1)[0]), [((2, 5), F1)]
    yield 'misc_topk', f(lambda x: torch.topk(x, 2)[0]), [((2, 5), F1)]
    yield 'misc_cumprod', f(lambda x: torch.cumprod(x, -1)), [((2, 4), F1)]
    yield 'misc_std_batch1', f(lambda x: (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True)), [((1, 5), F1)]
    yield 'misc_scalar_out', f(lambda x: x.sum() * 2), [((3,), F1)]
    yield 'misc_0d_in', f(lambda x: x * 3 + 1), [((), F1)]
    import random
    rng = random.Random(29)
    shape_pool = [(3, 4), (2, 3, 4), (1, 5), (2, 1, 3), (4,), (1, 2, 3, 2), (5, 2), (3, 1)]
    for k in range(RANDOM):
        shapes = [rng.choice(shape_pool) for _ in range(rng.choice([1, 1, 2]))]
        yield f'rand_{k:03d}', (lambda k=k, shapes=shapes: Random(k, shapes)), [(s, F1) for s in shapes]
    for k in range(RANDOM):
        shapes = [rng.choice(shape_pool) for _ in range(rng.choice([1, 1, 2]))]
        yield f'randint_{k:03d}', (lambda k=k, shapes=shapes: RandomInt(k, shapes)), [(s, 'int20') for s in shapes]

    # ---- what changed lately: float fmod, training-mode BatchNormalization, and the shapes the
    # --wasm kernels of the JS tensor form take apart (channels not a multiple of 4 or 2, strides,
    # dilations, groups, uneven padding, batches, 1x1 convolutions, Gemm with transposes).
    # Appended last, so the seeds of every module above stay as they were.
    yield 'w_fmod_neg', f(lambda x, y: torch.fmod(-3 * x, y * 0.5 - 0.6)), [((2, 3, 4), F1), ((4,), 'pos')]
    yield 'w_fmod_chain', f(lambda x: torch.fmod(torch.fmod(x * 7, 1.3) * x - 0.2, 0.45) * 2 + 1), [((3, 5), F1)]
    yield 'w_fmod_sum', f(lambda x, y: torch.fmod(x + y, x - y + 3) - torch.fmod(x * y, 0.3)), [((3, 4), F1), ((3, 4), F1)]
    yield 'w_fmod_bcast', f(lambda x, y: torch.fmod(x * 4, y.abs() + 0.2)), [((2, 3, 4), F1), ((3, 1), F1)]
    yield 'bntrain_1d', mod(lambda: randomize(nn.BatchNorm1d(3))), [((4, 3, 5), F1)]
    yield 'bntrain_2d', mod(lambda: randomize(nn.BatchNorm2d(5))), [((2, 5, 3, 3), F1)]
    yield 'bntrain_conv_bn_relu', mod(lambda: randomize(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()))), [((2, 3, 5, 5), F1)]
    yield 'bntrain_linear_bn', mod(lambda: randomize(nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5)))), [((4, 6), F1)]
    wconvs = {
        'c2d_c5_k3': (lambda: nn.Conv2d(5, 7, 3), (1, 5, 6, 7)),
        'c2d_c3_stride2_pad1': (lambda: nn.Conv2d(3, 5, 3, stride=2, padding=1), (2, 3, 7, 9)),
        'c2d_c6_dil2': (lambda: nn.Conv2d(6, 3, 3, dilation=2, padding=1), (1, 6, 8, 7)),
        'c2d_groups2_c6': (lambda: nn.Conv2d(6, 10, 3, groups=2, padding=(0, 1)), (1, 6, 5, 6)),
        'c2d_dw_c5': (lambda: nn.Conv2d(5, 5, 3, groups=5, padding=1), (1, 5, 6, 6)),
        'c2d_dw_c4': (lambda: nn.Conv2d(4, 4, 3, groups=4, padding=1), (2, 4, 5, 7)),
        'c2d_dw_c8_stride2': (lambda: nn.Conv2d(8, 8, 3, groups=8, stride=2, padding=1), (1, 8, 7, 7)),
        'c2d_dw_c6_dil': (lambda: nn.Conv2d(6, 6, 3, groups=6, dilation=(2, 1), padding=(2, 1)), (1, 6, 7, 5)),
        'c2d_dw_mult2_c3': (lambda: nn.Conv2d(3, 6, 3, groups=3), (1, 3, 6, 6)),
        'c2d_1x1_c7': (lambda: nn.Conv2d(7, 9, 1), (2, 7, 3, 5)),
        'c2d_1x1_stride2': (lambda: nn.Conv2d(4, 6, 1, stride=2), (1, 4, 7, 7)),
        'c2d_1x1_nobias_c2': (lambda: nn.Conv2d(2, 3, 1, bias=False), (1, 2, 4, 4)),
        'c2d_rect_k_1x5': (lambda: nn.Conv2d(3, 4, (1, 5), padding=(0, 2)), (1, 3, 4, 9)),
        'c2d_rect_k_5x1_s': (lambda: nn.Conv2d(4, 5, (5, 1), stride=(2, 1)), (1, 4, 9, 3)),
        'c2d_big_c17': (lambda: nn.Conv2d(17, 13, 3, padding=1), (1, 17, 6, 6)),
        'c2d_wide_k7': (lambda: nn.Conv2d(2, 4, 7, padding=3), (1, 2, 9, 10)),
        'c2d_out1': (lambda: nn.Conv2d(3, 1, 3), (1, 3, 5, 5)),
        'c2d_stride3_dil2': (lambda: nn.Conv2d(3, 5, 3, stride=3, dilation=2, padding=2), (1, 3, 10, 11)),
        'c1d_c5_stride2': (lambda: nn.Conv1d(5, 6, 3, stride=2, padding=1), (2, 5, 11)),
        'c1d_dw_c6': (lambda: nn.Conv1d(6, 6, 5, groups=6, padding=2), (1, 6, 10)),
        'c1d_1x1': (lambda: nn.Conv1d(9, 3, 1), (1, 9, 5)),
        'c3d_c3': (lambda: nn.Conv3d(3, 5, 2, padding=1), (1, 3, 3, 4, 3)),
        'ct2d_c5': (lambda: nn.ConvTranspose2d(5, 3, 3, stride=2, padding=1), (1, 5, 3, 4)),
        'seq_dw_pw': (lambda: nn.Sequential(nn.Conv2d(6, 6, 3, groups=6, padding=1), nn.ReLU(), nn.Conv2d(6, 7, 1), nn.ReLU6()), (2, 6, 5, 5)),
        'seq_conv_pool_fc': (lambda: nn.Sequential(nn.Conv2d(3, 5, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5 * 2 * 2, 3)), (2, 3, 6, 6)),
    }
    for name, (make, shape) in wconvs.items():
        yield f'w_{name}', mod(make), [(shape, F1)]
    # Uneven pads (TF's SAME): F.pad before the convolution, which the exporter may fold into Conv's pads.
    yield 'w_c2d_pad_uneven', mod(lambda: Fn(lambda m, x: m.c(F.pad(x, (0, 1, 2, 0))), c=nn.Conv2d(3, 5, 3))), [((1, 3, 6, 6), F1)]
    yield 'w_c2d_dw_pad_uneven', mod(lambda: Fn(lambda m, x: m.c(F.pad(x, (1, 0, 0, 1))), c=nn.Conv2d(5, 5, 3, groups=5, stride=2))), [((1, 5, 7, 7), F1)]
    gemms = {
        'gemm_ta': (lambda x, w: x.t() @ w, (5, 3), (5, 7)),
        'gemm_tb': (lambda x, w: x @ w.t() + 1.5, (3, 5), (7, 5)),
        'gemm_tab': (lambda x, w: x.t() @ w.t(), (5, 3), (6, 5)),
        'addmm_beta_alpha': (lambda x, w: torch.addmm(x[:, :1], x, w, beta=-0.5, alpha=2.0), (3, 5), (5, 6)),
        'matmul_batched_odd': (lambda x, w: x @ w, (3, 5, 7), (7, 3)),
        'matmul_batched_both': (lambda x, w: x @ w, (2, 3, 5), (2, 5, 5)),
        'matmul_vec': (lambda x, w: x @ w, (7,), (7, 3)),
        'bmm_t': (lambda x, w: torch.bmm(x, w.transpose(1, 2)), (2, 3, 5), (2, 4, 5)),
    }
    for name, (fn, a, b) in gemms.items():
        yield f'w_{name}', f(fn), [(a, F1), (b, F1)]
    yield 'w_linear_odd', mod(lambda: nn.Sequential(nn.Linear(9, 7), nn.Tanh(), nn.Linear(7, 5))), [((3, 9), F1)]
    yield 'w_linear_rank3', mod(lambda: nn.Linear(5, 3)), [((2, 3, 5), F1)]


class Random(nn.Module):
    """A random graph of float ops (seeded): values branch, merge, broadcast, reshape and are
    read again later, so the tensor forms' buffer reuse, inlining and batch-axis handling meet
    shapes no hand-written case has. The last value and one or two earlier ones are outputs."""

    def __init__(self, seed, shapes):
        super().__init__()
        import random
        rng = random.Random(seed)
        self.steps = []
        self.lins = nn.ModuleList()
        vals = [torch.rand(s) * 2 - 1 for s in shapes]
        n = rng.randint(4, 10)
        for _ in range(n):
            for _attempt in range(20):
                step = self._pick(rng, vals)
                if step is None:
                    continue
                try:
                    with torch.no_grad():
                        v = self._run(step, vals)
                except Exception:  # noqa: BLE001 - an op that does not fit these shapes is drawn again
                    continue
                if v.numel() == 0 or v.dim() == 0 or v.numel() > 400 or not torch.isfinite(v).all() or v.abs().max() > 1e4:
                    continue
                self.steps.append(step)
                vals.append(v)
                break
        k = len(shapes)
        extra = rng.sample(range(k, len(vals) - 1), min(rng.randint(0, 2), max(0, len(vals) - 1 - k)))
        self.outs = sorted(extra) + [len(vals) - 1]

    def _pick(self, rng, vals):
        i = rng.randrange(len(vals))
        x = vals[i]
        r = x.dim()
        ax = rng.randrange(r) - (r if rng.random() < 0.5 else 0)
        kind = rng.choice(['unary'] * 4 + ['binary'] * 4 + ['reduce', 'softmax', 'transpose', 'reshape', 'slice', 'concat', 'linear',
                                                            'matmul', 'where', 'cumsum', 'flip', 'pad', 'norm', 'unsqueeze', 'expand', 'roll'])
        if kind == 'unary':
            return ('unary', i, rng.choice(['relu', 'tanh', 'sigmoid', 'exptanh', 'abs', 'neg', 'affine', 'square', 'sqrtabs', 'softplus',
                                             'gelu', 'leaky', 'clampmin', 'clampmax', 'hardswish', 'sin', 'elu', 'recip', 'selu', 'hsig']),
                    rng.uniform(-2, 2), rng.uniform(-1, 1))
        if kind == 'binary':
            same = [j for j, v in enumerate(vals) if _bcast(v.shape, x.shape) is not None]
            j = rng.choice(same)
            return ('binary', i, j, rng.choice(['add', 'sub', 'mul', 'max', 'min', 'div', 'pow2sum', 'rsub']))
        if kind == 'reduce':
            return ('reduce', i, ax, rng.random() < 0.5, rng.choice(['sum', 'mean', 'amax', 'amin', 'lse', 'var', 'norm']))
        if kind == 'softmax':
            return ('softmax', i, ax, rng.random() < 0.3)
        if kind == 'transpose':
            if r < 2:
                return None
            return ('transpose', i, tuple(rng.sample(range(r), r)))
        if kind == 'reshape':
            if r >= 2 and rng.random() < 0.5:
                a = rng.randrange(r - 1)
                return ('flatten', i, a)
            d = x.shape[-1]
            fs = [f for f in range(2, d) if d % f == 0]
            return ('split_last', i, rng.choice(fs)) if fs else ('flatten_all', i)
        if kind == 'slice':
            n = x.shape[ax]
            if n < 2:
                return None
            a = rng.randrange(n - 1)
            b = rng.randrange(a + 1, n + 1)
            return ('slice', i, ax, a - (n if rng.random() < 0.3 else 0), b, rng.choice([1, 1, 2, 3]))
        if kind == 'concat':
            same = [j for j, v in enumerate(vals) if v.dim() == r and all(v.shape[k] == x.shape[k] for k in range(r) if k != ax % r)]
            return ('concat', i, rng.choice(same), ax)
        if kind == 'linear':
            lin = nn.Linear(x.shape[-1], rng.randint(1, 5), bias=rng.random() < 0.7)
            self.lins.append(lin)
            return ('linear', i, len(self.lins) - 1)
        if kind == 'matmul':
            if r < 2:
                return None
            same = [j for j, v in enumerate(vals) if v.dim() >= 2 and v.shape[-2] == x.shape[-1] and _bcast(v.shape[:-2], x.shape[:-2]) is not None]
            if not same:
                return None
            return ('matmul', i, rng.choice(same))
        if kind == 'where':
            same = [j for j, v in enumerate(vals) if _bcast(v.shape, x.shape) is not None]
            return ('where', i, rng.choice(same), rng.uniform(-0.5, 0.5))
        if kind == 'cumsum':
            return ('cumsum', i, ax)
        if kind == 'flip':
            return ('flip', i, ax)
        if kind == 'roll':
            return ('roll', i, ax, rng.randint(-3, 3))
        if kind == 'pad':
            if r < 1:
                return None
            return ('pad', i, tuple(rng.randint(0, 2) for _ in range(2 * min(r, 2))), rng.uniform(-1, 1))
        if kind == 'norm':
            return ('layernorm', i)
        if kind == 'unsqueeze':
            return ('unsqueeze', i, rng.randrange(-r - 1, r + 1))
        if kind == 'expand':
            return ('expand', i, rng.randint(2, 3))
        return None

    def _run(self, step, vals):
        op = step[0]
        x = vals[step[1]]
        if op == 'unary':
            _, _, fn, c, d = step
            return {'relu': F.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid, 'exptanh': lambda v: torch.exp(torch.tanh(v)),
                    'abs': torch.abs, 'neg': torch.neg, 'affine': lambda v: v * c + d, 'square': lambda v: v * v,
                    'sqrtabs': lambda v: torch.sqrt(v.abs() + 0.1), 'softplus': F.softplus, 'gelu': F.gelu, 'leaky': lambda v: F.leaky_relu(v, 0.1),
                    'clampmin': lambda v: torch.clamp(v, min=d), 'clampmax': lambda v: torch.clamp(v, max=d), 'hardswish': F.hardswish,
                    'sin': torch.sin, 'elu': F.elu, 'recip': lambda v: 1 / (v.abs() + 0.5), 'selu': F.selu, 'hsig': F.hardsigmoid}[fn](x)
        if op == 'binary':
            y = vals[step[2]]
            return {'add': lambda: x + y, 'sub': lambda: x - y, 'mul': lambda: x * y, 'max': lambda: torch.maximum(x, y),
                    'min': lambda: torch.minimum(x, y), 'div': lambda: x / (y.abs() + 0.5), 'pow2sum': lambda: (x + y) ** 2,
                    'rsub': lambda: 2.0 - x * y}[step[3]]()
        if op == 'reduce':
            _, _, ax, keep, fn = step
            return {'sum': lambda: x.sum(ax, keepdim=keep), 'mean': lambda: x.mean(ax, keepdim=keep), 'amax': lambda: x.amax(ax, keepdim=keep),
                    'amin': lambda: x.amin(ax, keepdim=keep), 'lse': lambda: torch.logsumexp(x, ax, keepdim=keep),
                    'var': lambda: ((x - x.mean(ax, keepdim=True)) ** 2).mean(ax, keepdim=keep), 'norm': lambda: torch.norm(x, 2, ax, keepdim=keep)}[fn]()
        if op == 'softmax':
            return torch.log_softmax(x, step[2]) if step[3] else torch.softmax(x, step[2])
        if op == 'transpose':
            return x.permute(*step[2])
        if op == 'flatten':
            return torch.flatten(x, step[2], step[2] + 1)
        if op == 'split_last':
            return x.reshape(*x.shape[:-1], step[2], -1)
        if op == 'flatten_all':
            return x.reshape(-1)
        if op == 'slice':
            _, _, ax, a, b, st = step
            idx = [slice(None)] * x.dim()
            idx[ax] = slice(a, b, st)
            return x[tuple(idx)]
        if op == 'concat':
            return torch.cat([x, vals[step[2]]], step[3])
        if op == 'linear':
            return self.lins[step[2]](x)
        if op == 'matmul':
            return x @ vals[step[2]]
        if op == 'where':
            y = vals[step[2]]
            return torch.where(x > step[3], x, y)
        if op == 'cumsum':
            return torch.cumsum(x, step[2])
        if op == 'flip':
            return torch.flip(x, [step[2]])
        if op == 'roll':
            return torch.roll(x, step[3], step[2])
        if op == 'pad':
            return F.pad(x, step[2], value=step[3])
        if op == 'layernorm':
            return F.layer_norm(x, x.shape[-1:], torch.ones(x.shape[-1:]), torch.zeros(x.shape[-1:]))
        if op == 'unsqueeze':
            return x.unsqueeze(step[2])
        if op == 'expand':
            return x.unsqueeze(0).expand(step[2], *x.shape)
        raise ValueError(op)

    def forward(self, *xs):
        vals = list(xs)
        for step in self.steps:
            vals.append(self._run(step, vals))
        outs = [vals[k] for k in self.outs]
        return tuple(outs) if len(outs) > 1 else outs[0]


class RandomInt(nn.Module):
    """A random graph of int64 ops (seeded), with comparisons, Where, casts to float and back,
    and an embedding row picked by a computed index: ONNX's integer definitions (Div truncates,
    Mod takes the divisor's sign, Cast to int truncates) against PyTorch's own predictions."""

    def __init__(self, seed, shapes):
        super().__init__()
        import random
        rng = random.Random(seed)
        self.emb = nn.Embedding(7, 3)
        self.steps = []
        vals = [torch.randint(-20, 21, s) for s in shapes]
        for _ in range(rng.randint(3, 9)):
            for _attempt in range(20):
                step = self._pick(rng, vals)
                try:
                    with torch.no_grad():
                        v = self._run(step, vals)
                except Exception:  # noqa: BLE001
                    continue
                if v.numel() == 0 or v.dim() == 0 or v.numel() > 300 or v.is_floating_point() or v.abs().max() > 10**6:
                    continue
                self.steps.append(step)
                vals.append(v)
                break
        k = len(shapes)
        extra = rng.sample(range(k, len(vals) - 1), min(rng.randint(0, 2), max(0, len(vals) - 1 - k)))
        self.outs = sorted(extra) + [len(vals) - 1]
        self.float_out = rng.random() < 0.3

    def _pick(self, rng, vals):
        i = rng.randrange(len(vals))
        x = vals[i]
        r = x.dim()
        ax = rng.randrange(r) - (r if rng.random() < 0.5 else 0)
        same = [j for j, v in enumerate(vals) if _bcast(v.shape, x.shape) is not None]
        kind = rng.choice(['binary'] * 4 + ['const'] * 4 + ['cmpwhere', 'reduce', 'flip', 'slice', 'transpose', 'cat', 'castround', 'emb', 'neg', 'abs'])
        if kind == 'binary':
            return ('binary', i, rng.choice(same), rng.choice(['add', 'sub', 'max', 'min', 'mul']))
        if kind == 'const':
            return ('const', i, rng.choice(['add', 'mul', 'trunc_div', 'mod', 'rsub', 'floor_div_pos']), rng.choice([-7, -3, -2, 2, 3, 5, 7]))
        if kind == 'cmpwhere':
            return ('cmpwhere', i, rng.choice(same), rng.choice(['gt', 'ge', 'eq', 'ne', 'lt']), rng.random() < 0.5)
        if kind == 'reduce':
            return ('reduce', i, ax, rng.random() < 0.5, rng.choice(['sum', 'amax', 'amin']))
        if kind == 'flip':
            return ('flip', i, ax)
        if kind == 'slice':
            n = x.shape[ax]
            return ('slice', i, ax, rng.randrange(max(1, n - 1)), rng.choice([1, 2]))
        if kind == 'transpose':
            return ('transpose', i, tuple(rng.sample(range(r), r)))
        if kind == 'cat':
            return ('cat', i, rng.choice([j for j, v in enumerate(vals) if v.dim() == r and all(v.shape[k] == x.shape[k] for k in range(r) if k != ax % r)]), ax)
        if kind == 'castround':
            return ('castround', i, rng.choice([0.5, -0.35, 0.7, 1.5]))
        if kind == 'emb':
            return ('emb', i)
        return (kind, i)

    def _run(self, step, vals):
        op = step[0]
        x = vals[step[1]]
        if op == 'binary':
            y = vals[step[2]]
            return {'add': lambda: x + y, 'sub': lambda: x - y, 'max': lambda: torch.maximum(x, y), 'min': lambda: torch.minimum(x, y),
                    'mul': lambda: x * y}[step[3]]()
        if op == 'const':
            _, _, fn, c = step
            return {'add': lambda: x + c, 'mul': lambda: x * c, 'trunc_div': lambda: torch.div(x, c, rounding_mode='trunc'),
                    'mod': lambda: torch.remainder(x, c), 'rsub': lambda: c - x, 'floor_div_pos': lambda: torch.div(x, abs(c), rounding_mode='floor')}[fn]()
        if op == 'cmpwhere':
            y = vals[step[2]]
            cond = {'gt': x > y, 'ge': x >= y, 'eq': x == y, 'ne': x != y, 'lt': x < y}[step[3]]
            return torch.where(cond, x, y) if step[4] else cond.long() * 3 - x
        if op == 'reduce':
            _, _, ax, keep, fn = step
            return {'sum': lambda: x.sum(ax, keepdim=keep), 'amax': lambda: x.amax(ax, keepdim=keep), 'amin': lambda: x.amin(ax, keepdim=keep)}[fn]()
        if op == 'flip':
            return torch.flip(x, [step[2]])
        if op == 'slice':
            idx = [slice(None)] * x.dim()
            idx[step[2]] = slice(step[3], None, step[4])
            return x[tuple(idx)]
        if op == 'transpose':
            return x.permute(*step[2])
        if op == 'cat':
            return torch.cat([x, vals[step[2]]], step[3])
        if op == 'castround':
            return (x.float() * step[2]).long()
        if op == 'emb':
            return (self.emb(torch.remainder(x, 7)) * 10).long().sum(-1)
        if op == 'neg':
            return -x
        if op == 'abs':
            return x.abs()
        raise ValueError(op)

    def forward(self, *xs):
        vals = list(xs)
        for step in self.steps:
            vals.append(self._run(step, vals))
        outs = [vals[k].float() * 0.5 if self.float_out else vals[k] for k in self.outs]
        return tuple(outs) if len(outs) > 1 else outs[0]


def _bcast(a, b):
    try:
        return torch.broadcast_shapes(a, b)
    except RuntimeError:
        return None


def _setitem(x, y):
    x = x.clone()
    x[1] = y
    return x


def make_input(shape, kind, gen):
    if kind == 'float':
        return torch.rand(shape, generator=gen) * 2 - 1
    if kind == 'pos':
        return torch.rand(shape, generator=gen) * 1.8 + 0.2
    if kind == 'int':
        return torch.randint(-9, 10, shape, generator=gen)
    if kind == 'int32':
        return torch.randint(-9, 10, shape, generator=gen).to(torch.int32)
    if kind == 'nat1':
        return torch.randint(1, 6, shape, generator=gen)
    if kind == 'int20':
        return torch.randint(-20, 21, shape, generator=gen)
    if kind == 'bool':
        return torch.rand(shape, generator=gen) > 0.5
    for prefix in ('ids', 'nat'):
        if kind.startswith(prefix):
            return torch.randint(0, int(kind[len(prefix):]), shape, generator=gen)
    raise ValueError(kind)


DTYPES = {torch.float32: 'float32', torch.int64: 'int64', torch.int32: 'int32', torch.bool: 'bool', torch.float64: 'float64'}


def main():
    args = sys.argv[1:]
    out = args.pop(0) if args and '/' in args[0] else '/tmp/hunt/models'
    only = set(args)
    os.makedirs(out, exist_ok=True)
    index = {'written': [], 'export_failed': {}}
    for seed, (name, make, inputs) in enumerate(nets()):
        if only and name not in only:
            continue
        for opset in (17,) if DYNAMIC else OPSETS:
            full = f'{name}_opset{opset}' + ('_dyn' if DYNAMIC else '')
            torch.manual_seed(1000 + seed)
            try:
                # bntrain_*: BatchNormalization in training mode (batch statistics), exported so.
                train = name.startswith('bntrain_')
                net = make().train() if train else make().eval()
                gen = torch.Generator().manual_seed(2000 + seed)
                cases = [[make_input(s, k, gen) for s, k in inputs] for _ in range(CASES)]
                with torch.no_grad():
                    outputs = []
                    for xs in cases:
                        o = net(*[x.clone() for x in xs])
                        outputs.append([y.detach() for y in o] if isinstance(o, (tuple, list)) else [o.detach()])
                folder = os.path.join(out, full)
                shutil.rmtree(folder, ignore_errors=True)
                os.makedirs(folder)
                path = os.path.join(folder, 'model.onnx')
                input_names = [f'input{i + 1}' for i in range(len(inputs))]
                output_names = [f'output{i + 1}' for i in range(len(outputs[0]))]
                # NN2EQ_HUNT_DYNAMIC=1: the leading axis of every input and output is symbolic, as a
                # user exporting for any batch size writes (dynamic_axes); nn2eq takes it for the batch.
                dynamic = None
                if DYNAMIC:
                    if any(x.dim() == 0 for x in cases[0]) or len({x.shape[0] for x in cases[0]}) > 1:
                        raise ValueError('the inputs have no common leading axis to take for the batch')
                    dynamic = {n: {0: 'batch'} for n in input_names}
                    dynamic.update({n: {0: 'batch'} for n, y in zip(output_names, outputs[0]) if y.dim() > 0})
                with torch.no_grad():
                    torch.onnx.export(net, tuple(x.clone() for x in cases[0]), path, opset_version=opset, input_names=input_names,
                                      output_names=output_names, do_constant_folding=not train, dynamic_axes=dynamic,
                                      training=torch.onnx.TrainingMode.TRAINING if train else torch.onnx.TrainingMode.EVAL)
                model = onnx.load(path)
                onnx.checker.check_model(path)
                if not all(torch.isfinite(y.double()).all() for ys in outputs for y in ys):
                    raise ValueError('PyTorch predicts a value that is not finite')
            except Exception as e:  # noqa: BLE001 - an export PyTorch cannot do is recorded, not fatal
                shutil.rmtree(os.path.join(out, full), ignore_errors=True)
                index['export_failed'][full] = f'{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ""}'
                print(f'{full}: export failed: {index["export_failed"][full]}', flush=True)
                continue
            weights = {t.name for t in model.graph.initializer}
            # The exporter drops an input the module does not read: the cases keep the graph's inputs.
            kept = [input_names.index(v.name) for v in model.graph.input if v.name not in weights]
            cases = [[xs[k] for k in kept] for xs in cases]
            reference = {
                'source': f'PyTorch {torch.__version__} predictions of the module exported with torch.onnx.export(opset_version={opset})',
                'input_names': [v.name for v in model.graph.input if v.name not in weights],
                'output_names': [v.name for v in model.graph.output],
                'input_shapes': [list(x.shape) for x in cases[0]],
                'output_shapes': [list(y.shape) for y in outputs[0]],
                'input_dtypes': [DTYPES[x.dtype] for x in cases[0]],
                'output_dtypes': [DTYPES[y.dtype] for y in outputs[0]],
                'dynamic_batch': bool(DYNAMIC),
                'cases': [{'inputs': [x.tolist() for x in xs], 'outputs': [y.tolist() for y in ys]} for xs, ys in zip(cases, outputs)],
            }
            with open(os.path.join(folder, 'reference.json'), 'w') as fh:
                json.dump(reference, fh, separators=(',', ':'))
                fh.write('\n')
            index['written'].append(full)
            ops = sorted({n.op_type for n in model.graph.node})
            print(f'{full}: {", ".join(ops)}', flush=True)
    with open(os.path.join(out, 'index.json'), 'w') as fh:
        json.dump(index, fh, indent=1)
    print(f'{len(index["written"])} models written, {len(index["export_failed"])} exports failed', flush=True)


if __name__ == '__main__':
    main()
