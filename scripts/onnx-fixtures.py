#!/usr/bin/python3
"""Builds the ONNX fixtures: small PyTorch nets with seeded weights, exported with
torch.onnx.export at two opsets, each with PyTorch's own predictions in reference.json.

Run with Debian's python3 (python3-torch, python3-onnx): `npm run fixtures:onnx`.
Writes fixtures/onnx/<name>_opset<N>/{model.onnx,reference.json} (a few in another folder of fixtures/, named by their 'root'). The results are committed,
so tests need neither torch nor this script. `--jacobians [name…]` adds PyTorch's Jacobian
(jacobian.json) to the attention fixtures listed in JACOBIANS, without rewriting anything else.
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from torch import nn

OPSETS = (11, 17)
CASES = 3
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'onnx')

ACTIVATIONS = {
    'relu': nn.ReLU,
    'leaky_relu': lambda: nn.LeakyReLU(0.1),
    'elu': lambda: nn.ELU(0.7),
    'selu': nn.SELU,
    'sigmoid': nn.Sigmoid,
    'tanh': nn.Tanh,
    'softplus': nn.Softplus,
    'softsign': nn.Softsign,
    'gelu': nn.GELU,
    'hardsigmoid': nn.Hardsigmoid,
}


def randomize_batchnorm(bn):
    """Running statistics and affine parameters that are not the identity."""
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 1.5)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)


class Mlp(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), act(), nn.Linear(8, 3))

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    """Padding, strides, dilation and groups in one net."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)
        self.c = nn.Conv2d(6, 6, (2, 3), stride=(1, 2), groups=6)
        self.fc = nn.Linear(6 * 4 * 2, 5)

    def forward(self, x):
        x = torch.relu(self.a(x))
        x = torch.relu(self.b(x))
        x = torch.tanh(self.c(x))
        return self.fc(torch.flatten(x, 1))


class BatchNorm(nn.Module):
    """BatchNorm before a conv and after a Linear, where the exporter keeps it as an op."""

    def __init__(self):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(3)
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4 * 3 * 3, 5)
        self.bn1 = nn.BatchNorm1d(5)
        randomize_batchnorm(self.bn0)
        randomize_batchnorm(self.bn1)

    def forward(self, x):
        x = torch.relu(self.conv(self.bn0(x)))
        return self.bn1(self.fc(torch.flatten(x, 1)))


class Recurrent(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(input_size=3, hidden_size=4, batch_first=True, bidirectional=True)

    def forward(self, x):
        y, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        return y, h


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(4, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.relu(x + self.b(torch.relu(self.a(x))))


class TransformerMlp(nn.Module):
    """The MLP half of a transformer block: x + W2 gelu(W1 LayerNorm(x))."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(8)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)
        self.up = nn.Linear(8, 16)
        self.down = nn.Linear(16, 8)

    def forward(self, x):
        return x + self.down(nn.functional.gelu(self.up(self.norm(x))))


class LeakyBlock(nn.Module):
    """Exported as a model-local function: its alpha becomes an attribute of each call."""

    def __init__(self, i, o, alpha):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.alpha = alpha

    def forward(self, x):
        return nn.functional.leaky_relu(self.fc(x), self.alpha)


class Functions(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = LeakyBlock(4, 6, 0.1)
        self.b = LeakyBlock(6, 3, 0.3)

    def forward(self, x):
        return self.b(self.a(x))


class Gate(nn.Module):
    """Scripted data-dependent control flow: an If node whose branches read outer values."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        y = self.fc(x)
        if bool(x.sum() > 0):
            z = torch.relu(y) * 2.0
        else:
            z = torch.tanh(y) - x[:, :3]
        return z


class Embedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.fc = nn.Linear(4, 2)

    def forward(self, ids):
        return self.fc(self.emb(ids))


class Broadcast(nn.Module):
    """Element-wise ops whose operands NumPy/ONNX broadcast from the trailing axis (a bias over the last
    axis, a (4, 1) column, a per-channel (3, 1, 1) scale, a second input of shape (1, 1, 4, 1), rank-0
    constants in the tanh GELU's expansion): the Wolfram tensor form must thread them explicitly,
    since Wolfram's listable arithmetic threads from the leading axis."""

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.rand(5) * 2 - 1)
        self.column = nn.Parameter(torch.rand(4, 1) + 0.5)
        self.channel = nn.Parameter(torch.rand(3, 1, 1) * 2 - 1)
        self.prelu = nn.PReLU(3)
        with torch.no_grad():
            self.prelu.weight.uniform_(0.05, 0.5)
        self.gelu = nn.GELU(approximate='tanh')

    def forward(self, x, y):
        a = x + self.bias
        b = x * self.column - self.channel
        c = torch.maximum(x, y) + torch.minimum(y, self.bias)
        d = self.prelu(x) / (1 + self.column * self.column)
        e = self.gelu(x) + 1.0
        return a, b, c, d, e


# Attention and transformers (issue 27): small sizes (d_model 16, 2 heads, a few tokens), opsets 13 and 17.
ATTN_OPSETS = (13, 17)
D, HEADS, FF = 16, 2, 32


def causal_mask(n):
    """-inf above the diagonal: the additive mask nn.Transformer.generate_square_subsequent_mask makes."""
    return torch.triu(torch.full((n, n), float('-inf')), diagonal=1)


class SelfAttention(nn.Module):
    """nn.MultiheadAttention on x (query = key = value): its output and the head-averaged weights.
    With masks: a key padding mask (the last key of every sequence ignored) and a boolean attention mask."""

    def __init__(self, masks):
        super().__init__()
        self.mha = nn.MultiheadAttention(D, HEADS, batch_first=True)
        with torch.no_grad():
            self.mha.in_proj_bias.uniform_(-0.5, 0.5)
        self.masks = masks
        self.register_buffer('padding', torch.tensor([[False, False, False, False, True]]))
        self.register_buffer('attn', torch.tensor([[j > i + 2 for j in range(5)] for i in range(5)]))

    def forward(self, x):
        if self.masks:
            return self.mha(x, x, x, key_padding_mask=self.padding, attn_mask=self.attn)
        return self.mha(x, x, x)


class CrossAttention(nn.Module):
    """nn.MultiheadAttention with queries from one sequence and keys / values (other widths) from another."""

    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(D, HEADS, batch_first=True, kdim=8, vdim=12)

    def forward(self, q, kv, v):
        return self.mha(q, kv, v, need_weights=False)[0]


class EncoderLayer(nn.Module):
    def __init__(self, norm_first, activation):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first)

    def forward(self, x):
        return self.layer(x)


class DecoderLayer(nn.Module):
    """A decoder layer with the causal mask on the target."""

    def __init__(self, norm_first, activation):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first)
        self.register_buffer('mask', causal_mask(4))

    def forward(self, tgt, memory):
        return self.layer(tgt, memory, tgt_mask=self.mask)


class GptBlock(nn.Module):
    """A GPT-2 block as nanoGPT writes it: one packed projection split into q, k, v, heads by view and
    transpose, q·kᵀ/√d, masked_fill(mask == 0, -inf) with a causal buffer, softmax, ·v, the tanh GELU written out."""

    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(D)
        self.c_attn = nn.Linear(D, 3 * D)
        self.c_proj = nn.Linear(D, D)
        self.ln_2 = nn.LayerNorm(D)
        self.c_fc = nn.Linear(D, 4 * D)
        self.c_out = nn.Linear(4 * D, D)
        self.register_buffer('bias', torch.tril(torch.ones(8, 8)).view(1, 1, 8, 8))

    def attn(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(D, dim=2)
        k = k.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        q = q.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        v = v.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
        att = nn.functional.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

    def mlp(self, x):
        h = self.c_fc(x)
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
        return self.c_out(h)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class EinsumAttention(nn.Module):
    """Single-head attention written with einsum, a causal mask from torch.tril on the scores and
    a hand-written LayerNorm (mean, variance by pow, sqrt): the unfused ops of many research exports."""

    def __init__(self):
        super().__init__()
        self.q = nn.Linear(D, D)
        self.k = nn.Linear(D, D)
        self.v = nn.Linear(D, D)
        self.g = nn.Parameter(torch.rand(D) + 0.5)
        self.b = nn.Parameter(torch.rand(D) - 0.5)

    def forward(self, x):
        s = torch.einsum('bqd,bkd->bqk', self.q(x), self.k(x)) / math.sqrt(D)
        s = torch.tril(s) + torch.triu(torch.full_like(s, -1e9), diagonal=1)
        # Softmax over the keys, taken on axis 1 of the transposed scores.
        p = torch.softmax(s.transpose(1, 2), dim=1)
        y = torch.einsum('bkq,bkd->bqd', p, self.v(x))
        mu = y.mean(-1, keepdim=True)
        var = (y - mu).pow(2).mean(-1, keepdim=True)
        return (y - mu) / torch.sqrt(var + 1e-5) * self.g + self.b


class EncoderClassifier(nn.Module):
    """Token and position embeddings (positions by cumsum over the sequence), two encoder layers,
    mean over tokens, a linear head."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(20, D)
        self.pos = nn.Embedding(8, D)
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(D, 3)

    def forward(self, ids):
        positions = torch.cumsum(torch.ones_like(ids), dim=1) - 1
        h = self.tok(ids) + self.pos(positions)
        return self.head(self.encoder(h).mean(dim=1))


class SeqFirstEncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer in PyTorch's default layout, [T, N, D] (batch_first=False)."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=False)

    def forward(self, x):
        return self.layer(x)


class CausalEncoderLayer(nn.Module):
    """An encoder layer with the causal mask built from the input's own length (a [T, T] mask)."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)

    def forward(self, x):
        n = x.size(1)
        mask = torch.triu(torch.full((n, n), float('-inf')), diagonal=1)
        return self.layer(x, src_mask=mask)


class TinyAttention(nn.Module):
    """Issue 27's tiny case for the scalar form: 4 tokens of width 8, 2 heads, a causal mask."""

    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(8, 2, batch_first=True)
        with torch.no_grad():
            self.mha.in_proj_bias.uniform_(-0.5, 0.5)
        self.register_buffer('mask', causal_mask(4))

    def forward(self, x):
        return self.mha(x, x, x, attn_mask=self.mask, need_weights=False)[0]


def small_vit():
    """torchvision initializes the classifier head to zeros, which makes every output 0 whatever the
    image: the head gets random weights so that the outputs depend on the attention."""
    from torchvision.models.vision_transformer import VisionTransformer
    vit = VisionTransformer(image_size=8, patch_size=4, num_layers=1, num_heads=HEADS, hidden_dim=D, mlp_dim=FF, num_classes=3)
    with torch.no_grad():
        vit.heads.head.weight.uniform_(-0.5, 0.5)
        vit.heads.head.bias.uniform_(-0.5, 0.5)
    return vit


def small_swin():
    """Swin's shifted windows: roll, a window partition, the shift mask (ScatterND on constants),
    relative position bias by Gather, and patch merging (Slice with step 2)."""
    from torchvision.models.swin_transformer import SwinTransformer
    return SwinTransformer(patch_size=[1, 1], embed_dim=8, depths=[2, 1], num_heads=[2, 2], window_size=[4, 4],
                           mlp_ratio=2.0, num_classes=3)


def nets():
    """(name, constructor, input shapes, input kind, options) for every fixture. Options:
    opsets (default OPSETS), functions (module classes exported as model-local functions),
    external (weights saved as external data in weights.bin)."""
    for act, make in ACTIVATIONS.items():
        yield f'mlp_{act}', (lambda make=make: Mlp(make)), [(1, 4)], 'float', {}
    yield 'cnn', Cnn, [(1, 3, 9, 9)], 'float', {}
    yield 'batchnorm', BatchNorm, [(1, 3, 5, 5)], 'float', {}
    yield 'lstm', lambda: Recurrent(nn.LSTM), [(1, 5, 3)], 'float', {}
    yield 'gru', lambda: Recurrent(nn.GRU), [(1, 5, 3)], 'float', {}
    yield 'residual', Residual, [(1, 4, 6, 6)], 'float', {}
    yield 'transformer_mlp', TransformerMlp, [(1, 5, 8)], 'float', {}
    yield 'embedding', Embedding, [(1, 6)], 'ids', {}
    # export_modules_as_functions needs opset 15 or later.
    yield 'functions', Functions, [(1, 4)], 'float', {'opsets': (17,), 'functions': {LeakyBlock}}
    yield 'external_data', Cnn, [(1, 3, 9, 9)], 'float', {'opsets': (17,), 'external': True}
    yield 'control_flow', lambda: torch.jit.script(Gate()), [(1, 4)], 'float', {}


    attn = {'opsets': ATTN_OPSETS, 'grad': True}
    yield 'mha', lambda: SelfAttention(False), [(1, 5, D)], 'float', attn
    yield 'mha_masked', lambda: SelfAttention(True), [(1, 5, D)], 'float', attn
    yield 'mha_cross', CrossAttention, [(1, 3, D), (1, 5, 8), (1, 5, 12)], 'float', attn
    yield 'encoder_post_relu', lambda: EncoderLayer(False, 'relu'), [(1, 5, D)], 'float', attn
    yield 'encoder_pre_gelu', lambda: EncoderLayer(True, 'gelu'), [(1, 5, D)], 'float', attn
    yield 'decoder_post_relu', lambda: DecoderLayer(False, 'relu'), [(1, 4, D), (1, 5, D)], 'float', attn
    yield 'decoder_pre_gelu', lambda: DecoderLayer(True, 'gelu'), [(1, 4, D), (1, 5, D)], 'float', attn
    yield 'gpt_block', GptBlock, [(1, 6, D)], 'float', attn
    # torch.tril exports as Trilu, which needs opset 14.
    yield 'einsum_attention', EinsumAttention, [(1, 5, D)], 'float', {'opsets': (14, 17), 'grad': True}
    yield 'encoder_classifier', EncoderClassifier, [(1, 6)], 'ids20', attn
    yield 'vit', small_vit, [(1, 3, 8, 8)], 'float', attn
    yield 'swin', small_swin, [(1, 3, 8, 8)], 'float', attn
    # GELU's tanh approximation is one op from opset 20; before that the exporter writes it out.
    # Seed 20: it was written (fixtures/onnx/broadcast_*) when it came right after control_flow, as
    # the attention nets were; a fixed seed keeps both sets reproducible.
    yield 'broadcast', Broadcast, [(1, 3, 4, 5), (1, 1, 4, 1)], 'float', {'seed': 20}
    # Added last: every net above keeps its index, hence its seed.
    yield 'mha_tiny', TinyAttention, [(1, 4, 8)], 'float', {'opsets': (17,), 'grad': True}
    # The other two corners of issue 27's norm_first x activation grid (post-norm GELU, pre-norm ReLU),
    # in their own folder fixtures/onnx-attention-grid (test/onnx-attention-grid.test.ts).
    grid = {'opsets': ATTN_OPSETS, 'grad': True, 'root': 'onnx-attention-grid'}
    yield 'encoder_post_gelu', lambda: EncoderLayer(False, 'gelu'), [(1, 5, D)], 'float', grid
    yield 'encoder_pre_relu', lambda: EncoderLayer(True, 'relu'), [(1, 5, D)], 'float', grid
    yield 'decoder_post_gelu', lambda: DecoderLayer(False, 'gelu'), [(1, 4, D), (1, 5, D)], 'float', grid
    yield 'decoder_pre_relu', lambda: DecoderLayer(True, 'relu'), [(1, 4, D), (1, 5, D)], 'float', grid
    # Exported with a dynamic sequence axis (dynamic_axes, named T), in fixtures/onnx-any-length
    # (test/onnx-any-length.test.ts): 'seq' is (the axis, the lengths of the cases); the shapes give the
    # first case's. The causal layer's mask is [T, T]: nn2eq asks for the length fixed.
    seq = {'opsets': ATTN_OPSETS, 'grad': True, 'root': 'onnx-any-length'}
    yield 'encoder_any_length', lambda: EncoderLayer(False, 'relu'), [(1, 3, D)], 'float', {**seq, 'seq': (1, (3, 6, 1))}
    yield 'encoder_gelu_any_length', lambda: EncoderLayer(True, 'gelu'), [(1, 3, D)], 'float', {**seq, 'seq': (1, (3, 6, 1))}
    yield 'encoder_seq_first_any_length', SeqFirstEncoderLayer, [(3, 1, D)], 'float', {**seq, 'seq': (0, (3, 6, 1))}
    yield 'encoder_causal_any_length', CausalEncoderLayer, [(1, 3, D)], 'float', {**seq, 'opsets': (17,), 'seq': (1, (3, 6))}
    # Refused at any length too: the head-averaged attention weights [1, T, T] (a reduction over two
    # axes of length T) and nanoGPT's causal buffer sliced by T; both convert with --input-shape.
    yield 'mha_weights_any_length', lambda: SelfAttention(False), [(1, 3, D)], 'float', {**seq, 'opsets': (17,), 'seq': (1, (3, 6))}
    yield 'gpt_block_any_length', GptBlock, [(1, 3, D)], 'float', {**seq, 'opsets': (17,), 'seq': (1, (3, 6))}


def dtype_name(t):
    return {torch.float32: 'float32', torch.int64: 'int64'}[t.dtype]


# Attention fixtures that also get PyTorch's Jacobian (jacobian.json): (name, opsets).
JACOBIANS = (('swin', (13, 17)), ('vit', (13, 17)), ('gpt_block', (17,)), ('mha_masked', (17,)))


def write_jacobians(only):
    """jacobian.json beside reference.json: d outputs / d inputs at the reference's first case, by
    torch.autograd in float64 on the module rebuilt with the fixture's seed (checked to reproduce
    the reference's outputs first), rows the flattened outputs in order, columns the flattened inputs."""
    wanted = dict(JACOBIANS)
    for index, (name, make, shapes, kind, options) in enumerate(nets()):
        if name not in wanted or (only and name not in only):
            continue
        seed = options.get('seed', index)
        for opset in wanted[name]:
            folder = os.path.join(ROOT, '..', options['root'], f'{name}_opset{opset}') if 'root' in options else os.path.join(ROOT, f'{name}_opset{opset}')
            with open(os.path.join(folder, 'reference.json')) as f:
                reference = json.load(f)
            torch.manual_seed(1000 + seed)
            net = make().eval()
            xs = [torch.tensor(v, dtype=torch.float32) for v in reference['cases'][0]['inputs']]
            with torch.set_grad_enabled(bool(options.get('grad'))):
                ys = net(*xs)
                ys = list(ys) if isinstance(ys, tuple) else [ys]
                for y, want in zip(ys, reference['cases'][0]['outputs']):
                    if not torch.equal(y.detach(), torch.tensor(want, dtype=torch.float32)):
                        raise SystemExit(f'{name}_opset{opset}: the rebuilt module does not reproduce reference.json')
                net = net.double()

                def flat_outputs(*args):
                    out = net(*args)
                    return torch.cat([y.reshape(-1) for y in (out if isinstance(out, tuple) else (out,))])

                parts = torch.autograd.functional.jacobian(flat_outputs, tuple(x.double() for x in xs))
            jac = torch.cat([j.reshape(j.shape[0], -1) for j in parts], dim=1)
            with open(os.path.join(folder, 'jacobian.json'), 'w') as f:
                json.dump({'source': f'torch.autograd.functional.jacobian (PyTorch {torch.__version__}) in float64 of the module, at case 0 of reference.json; '
                                     'rows: outputs flattened in order; columns: inputs flattened in order; values rounded to float32',
                           'shape': list(jac.shape), 'jacobian': [[float(np.float32(v)) for v in row] for row in jac.tolist()]}, f, separators=(',', ':'))
                f.write('\n')
            print(f'{name}_opset{opset}: jacobian {list(jac.shape)}')


def main():
    if sys.argv[1:2] == ['--jacobians']:
        write_jacobians(set(sys.argv[2:]))
        return
    only = set(sys.argv[1:])
    os.makedirs(ROOT, exist_ok=True)
    for index, (name, make, shapes, kind, options) in enumerate(nets()):
        if only and name not in only:
            continue
        seed = options.get('seed', index)
        for opset in options.get('opsets', OPSETS):
            torch.manual_seed(1000 + seed)
            net = make().eval()
            gen = torch.Generator().manual_seed(2000 + seed)
            cases = []
            seq_axis, lengths = options.get('seq', (None, None))
            for k in range(len(lengths) if lengths else CASES):
                if lengths:
                    cases.append([torch.rand(tuple(lengths[k] if a == seq_axis else d for a, d in enumerate(s)), generator=gen) * 2 - 1 for s in shapes])
                    continue
                if kind.startswith('ids'):
                    vocab = int(kind[3:] or 10)
                    cases.append([torch.randint(0, vocab, s, generator=gen) for s in shapes])
                else:
                    cases.append([torch.rand(s, generator=gen) * 2 - 1 for s in shapes])
            folder = os.path.join(ROOT, '..', options['root'], f'{name}_opset{opset}') if 'root' in options else os.path.join(ROOT, f'{name}_opset{opset}')
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            path = os.path.join(folder, 'model.onnx')
            input_names = [f'input{i + 1}' for i in range(len(shapes))]
            # nn.MultiheadAttention and the transformer layers take a fused fast path (no ONNX
            # export) in eval mode without gradients: these fixtures run and export with them on.
            with torch.set_grad_enabled(bool(options.get('grad'))):
                outputs = [tuple(y.detach() for y in o) if isinstance(o, tuple) else o.detach() for o in (net(*xs) for xs in cases)]
                outputs = [list(o) if isinstance(o, tuple) else [o] for o in outputs]
                output_names = [f'output{i + 1}' for i in range(len(outputs[0]))]
                dynamic = {n: {seq_axis: 'T'} for n in input_names + output_names} if lengths else None
                torch.onnx.export(net, tuple(cases[0]), path, opset_version=opset, input_names=input_names,
                                  output_names=output_names, do_constant_folding=True, dynamic_axes=dynamic,
                                  export_modules_as_functions=options.get('functions', False))
            model = onnx.load(path)
            if options.get('external'):
                onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                                location='weights.bin', size_threshold=0)
            onnx.checker.check_model(path)
            # The names the file really has (the exporter may not apply output_names to a function's result).
            weights = {t.name for t in model.graph.initializer}
            input_names = [v.name for v in model.graph.input if v.name not in weights]
            output_names = [v.name for v in model.graph.output]
            reference = {
                'source': f'PyTorch {torch.__version__} predictions of the module exported with torch.onnx.export(opset_version={opset}'
                          + (f", dynamic_axes: axis {seq_axis} named T), at sequence lengths {', '.join(map(str, lengths))}" if lengths else ')'),
                'input_names': input_names,
                'output_names': output_names,
                'input_shapes': [list(x.shape) for x in cases[0]],
                'output_shapes': [list(y.shape) for y in outputs[0]],
                'input_dtypes': [dtype_name(x) for x in cases[0]],
                'output_dtypes': [dtype_name(y) for y in outputs[0]],
                # float32 values as Python floats: the exact value, in its shortest repr.
                'cases': [{'inputs': [x.tolist() for x in xs], 'outputs': [y.tolist() for y in ys]} for xs, ys in zip(cases, outputs)],
            }
            with open(os.path.join(folder, 'reference.json'), 'w') as f:
                json.dump(reference, f, separators=(',', ':'))
                f.write('\n')
            ops = sorted({n.op_type for n in model.graph.node})
            print(f'{name}_opset{opset}: {", ".join(ops)}')


if __name__ == '__main__':
    main()
