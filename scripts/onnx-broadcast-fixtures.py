#!/usr/bin/python3
"""Builds the ONNX broadcast fixtures: small graphs written with onnx.helper whose element-wise ops
broadcast as numpy does ([3,1]+[1,4], [2,1,4]*[3,1], cdist, a cross product, meshgrid, Expand),
reductions without keepdims followed by a broadcast, and a ConvTranspose padded by more than
kernel - 1. Each reference.json holds ONNX Runtime's predictions (onnxruntime-web, run by
scripts/ort-reference.mjs), checked here against PyTorch's functions on the same inputs.

Run with Debian's python3 (python3-onnx, python3-torch) after `npm install`:
    /usr/bin/python3 scripts/onnx-broadcast-fixtures.py
Writes fixtures/onnx/<name>/{model.onnx,reference.json}. The results are committed, so tests need
neither torch nor this script.
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', 'fixtures', 'onnx')
OPSET = 17
CASES = 3
rng = np.random.default_rng(29)


def f32(shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def const(name, value):
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def model(name, nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
        list(inits),
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='nn2eq scripts/onnx-broadcast-fixtures.py')
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


FIXTURES = []


def fixture(fn):
    FIXTURES.append(fn)
    return fn


@fixture
def broadcast_outer():
    """[3,1] + [1,4] and [3,1] * [1,4]: each argument broadcast along a different axis."""
    m = model('broadcast_outer', [
        node('Add', ['a', 'b'], ['s']),
        node('Tanh', ['s'], ['t']),
        node('Mul', ['a', 'b'], ['p']),
        node('Sub', ['t', 'p'], ['y']),
    ], [('a', [3, 1]), ('b', [1, 4])], [('y', [3, 4])])
    return m, lambda a, b: torch.tanh(a + b) - a * b


@fixture
def broadcast_middle():
    """[2,1,4] * [3,1] → [2,3,4]; then [2,3,4] + a constant [3,1] and a constant [2,1,1]."""
    c = f32([3, 1])
    d = f32([2, 1, 1])
    m = model('broadcast_middle', [
        node('Mul', ['x', 'y'], ['p']),
        node('Add', ['p', 'c'], ['q']),
        node('Mul', ['q', 'd'], ['r']),
        node('Sigmoid', ['r'], ['out']),
    ], [('x', [2, 1, 4]), ('y', [3, 1])], [('out', [2, 3, 4])], [const('c', c), const('d', d)])
    return m, lambda x, y: torch.sigmoid((x * y + torch.from_numpy(c)) * torch.from_numpy(d))


@fixture
def broadcast_cdist():
    """torch.cdist's pattern: ‖x[:, None, :] − y[None, :, :]‖ over the last axis, [4,3] and [5,3] → [4,5]."""
    m = model('broadcast_cdist', [
        node('Unsqueeze', ['x', 'ax1'], ['xu']),
        node('Unsqueeze', ['y', 'ax0'], ['yu']),
        node('Sub', ['xu', 'yu'], ['d']),
        node('Mul', ['d', 'd'], ['d2']),
        node('ReduceSum', ['d2', 'axm1'], ['s'], keepdims=0),
        node('Sqrt', ['s'], ['out']),
    ], [('x', [4, 3]), ('y', [5, 3])], [('out', [4, 5])], [ints('ax1', [1]), ints('ax0', [0]), ints('axm1', [-1])])
    return m, lambda x, y: torch.cdist(x, y)


@fixture
def broadcast_cross():
    """A cross product of a [4,1,3] and b [5,3] → [4,5,3], by components sliced off the last axis."""
    nodes = []
    inits = []
    for k in range(3):
        inits += [ints(f'st{k}', [k]), ints(f'en{k}', [k + 1])]
        nodes += [node('Slice', ['a', f'st{k}', f'en{k}', 'axm1'], [f'a{k}']), node('Slice', ['b', f'st{k}', f'en{k}', 'axm1'], [f'b{k}'])]
    for k in range(3):
        i, j = (k + 1) % 3, (k + 2) % 3
        nodes += [node('Mul', [f'a{i}', f'b{j}'], [f'p{k}']), node('Mul', [f'a{j}', f'b{i}'], [f'q{k}']), node('Sub', [f'p{k}', f'q{k}'], [f'c{k}'])]
    nodes.append(node('Concat', ['c0', 'c1', 'c2'], ['out'], axis=-1))
    m = model('broadcast_cross', nodes, [('a', [4, 1, 3]), ('b', [5, 3])], [('out', [4, 5, 3])], inits + [ints('axm1', [-1])])
    return m, lambda a, b: torch.cross(*torch.broadcast_tensors(a, b), dim=-1)


@fixture
def broadcast_meshgrid():
    """torch.meshgrid(x, y, indexing='ij') by Unsqueeze and Expand, and the product of the two grids."""
    m = model('broadcast_meshgrid', [
        node('Unsqueeze', ['x', 'ax1'], ['xc']),
        node('Unsqueeze', ['y', 'ax0'], ['yr']),
        node('Expand', ['xc', 'shape'], ['gx']),
        node('Expand', ['yr', 'shape'], ['gy']),
        node('Mul', ['gx', 'gy'], ['gxy']),
    ], [('x', [3]), ('y', [4])], [('gx', [3, 4]), ('gy', [3, 4]), ('gxy', [3, 4])], [ints('ax1', [1]), ints('ax0', [0]), ints('shape', [3, 4])])

    def ref(x, y):
        gx, gy = torch.meshgrid(x, y, indexing='ij')
        return gx, gy, gx * gy
    return m, ref


@fixture
def broadcast_expand():
    """Expand [3,1] → [2,3,4] (new leading axis and a widened one), then + a computed [4]."""
    m = model('broadcast_expand', [
        node('Expand', ['x', 'shape'], ['e']),
        node('Tanh', ['y'], ['ty']),
        node('Add', ['e', 'ty'], ['out']),
    ], [('x', [3, 1]), ('y', [4])], [('out', [2, 3, 4])], [ints('shape', [2, 3, 4])])
    return m, lambda x, y: x.expand(2, 3, 4) + torch.tanh(y)


@fixture
def reduce_no_keepdims_broadcast():
    """Standardizing by a mean and variance over every axis (keepdims 0, so rank 0), then broadcast back."""
    m = model('reduce_no_keepdims_broadcast', [
        node('ReduceMean', ['x'], ['m'], keepdims=0),
        node('Sub', ['x', 'm'], ['d']),
        node('Mul', ['d', 'd'], ['d2']),
        node('ReduceMean', ['d2'], ['v'], keepdims=0),
        node('Add', ['v', 'eps'], ['ve']),
        node('Sqrt', ['ve'], ['sd']),
        node('Div', ['d', 'sd'], ['out']),
    ], [('x', [2, 3, 4])], [('out', [2, 3, 4])], [const('eps', 1e-5)])

    def ref(x):
        d = x - x.mean()
        return d / torch.sqrt((d * d).mean() + 1e-5)
    return m, ref


@fixture
def reduce_axes_then_broadcast():
    """A mean over axis 0 without keepdims ([4]) plus a constant [3,4]; a max over axis 1 ([3]) unsqueezed and subtracted."""
    c = f32([3, 4])
    m = model('reduce_axes_then_broadcast', [
        node('ReduceMean', ['x'], ['m'], axes=[0], keepdims=0),
        node('Add', ['m', 'c'], ['y1']),
        node('ReduceMax', ['x'], ['r'], axes=[1], keepdims=0),
        node('Unsqueeze', ['r', 'ax1'], ['ru']),
        node('Sub', ['x', 'ru'], ['y2']),
        node('Mul', ['y1', 'y2'], ['out']),
    ], [('x', [3, 4])], [('out', [3, 4])], [const('c', c), ints('ax1', [1])])

    def ref(x):
        y1 = x.mean(0) + torch.from_numpy(c)
        y2 = x - x.max(1).values[:, None]
        return y1 * y2
    return m, ref


@fixture
def convtranspose_3d_large_pads():
    """ConvTranspose 3-D with pads larger than kernel - 1 (uneven, 2 before and 1 or 3 after), strides 2."""
    w = f32([2, 3, 2, 2, 2])
    b = f32([3])
    pads = [2, 2, 1, 1, 2, 3]
    m = model('convtranspose_3d_large_pads', [
        node('ConvTranspose', ['x', 'W', 'B'], ['out'], strides=[2, 2, 2], pads=pads, output_padding=[1, 0, 1]),
    ], [('x', [1, 2, 4, 3, 4])], [('out', [1, 3, 6, 2, 5])], [const('W', w), const('B', b)])

    def ref(x):
        y = torch.nn.functional.conv_transpose3d(x, torch.from_numpy(w), torch.from_numpy(b), stride=2, output_padding=(1, 0, 1))
        # Pads crop the full output: begin pads off the front of each axis, end pads off its back.
        return y[:, :, 2:y.shape[2] - 1, 2:y.shape[3] - 2, 1:y.shape[4] - 3]
    return m, ref


@fixture
def convtranspose_2d_large_pads():
    """ConvTranspose 2-D, kernel 2, pads 3 on every side (kernel − 1 is 1), dilation 2."""
    w = f32([2, 2, 2, 2])
    m = model('convtranspose_2d_large_pads', [
        node('ConvTranspose', ['x', 'W'], ['out'], strides=[3, 2], pads=[3, 3, 3, 3], dilations=[2, 2]),
    ], [('x', [2, 2, 5, 6])], [('out', [2, 2, 9, 7])], [const('W', w)])

    def ref(x):
        y = torch.nn.functional.conv_transpose2d(x, torch.from_numpy(w), stride=(3, 2), dilation=2)
        return y[:, :, 3:y.shape[2] - 3, 3:y.shape[3] - 3]
    return m, ref


def main():
    jobs = []
    for make in FIXTURES:
        name = make.__name__
        m, ref = make()
        folder = os.path.join(ROOT, name)
        os.makedirs(folder, exist_ok=True)
        onnx.save(m, os.path.join(folder, 'model.onnx'))
        shapes = [[d.dim_value for d in i.type.tensor_type.shape.dim] for i in m.graph.input]
        cases = [[f32(s) for s in shapes] for _ in range(CASES)]
        jobs.append((name, folder, m, ref, shapes, cases))
    # ONNX Runtime (onnxruntime-web) runs every case; its outputs are the reference.
    request = [{'model': os.path.join(j[1], 'model.onnx'), 'inputs': [{'name': i.name, 'dims': s} for i, s in zip(j[2].graph.input, j[4])], 'cases': [[c.flatten().tolist() for c in case] for case in j[5]]} for j in jobs]
    run = subprocess.run(['node', os.path.join(HERE, 'ort-reference.mjs')], input=json.dumps(request), stdout=subprocess.PIPE, text=True, check=True)
    answers = json.loads(run.stdout)
    for (name, folder, m, ref, shapes, cases), answer in zip(jobs, answers):
        out_cases = []
        for case, outs in zip(cases, answer['cases']):
            want = ref(*[torch.from_numpy(c) for c in case])
            want = want if isinstance(want, tuple) else (want,)
            got = [np.array(o['values'], dtype=np.float64).reshape(o['dims']) for o in outs]
            for w, g in zip(want, got):
                if w.shape != g.shape or not np.allclose(w.numpy(), g, atol=1e-5, rtol=1e-4):
                    sys.exit(f'{name}: ONNX Runtime and PyTorch disagree (shapes {list(w.shape)} and {list(g.shape)})')
            out_cases.append({'inputs': [c.tolist() for c in case], 'outputs': [g.tolist() for g in got]})
        reference = {
            'source': f'onnxruntime-web {answer["version"]} predictions (checked against PyTorch {torch.__version__} on the same inputs)',
            'input_names': [i.name for i in m.graph.input],
            'output_names': [o.name for o in m.graph.output],
            'input_shapes': shapes,
            'output_shapes': [o['dims'] for o in answer['cases'][0]],
            'input_dtypes': ['float32'] * len(shapes),
            'output_dtypes': ['float32'] * len(m.graph.output),
            'cases': out_cases,
        }
        with open(os.path.join(folder, 'reference.json'), 'w') as f:
            json.dump(reference, f, separators=(',', ':'))
        print(f'{name}: {len(out_cases)} cases, outputs {reference["output_shapes"]}')


if __name__ == '__main__':
    main()
