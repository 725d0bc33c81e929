"""Two more quantized ONNX models, for test/onnx-qdq-more.test.ts (the paths of
src/extract/onnx/quantize.ts that fixtures/onnx-qdq leaves to no test, found by `npm run mutate -- quantize`):

- qlinear_conv_no_bias: QLinearConv without its optional bias (input 8 absent), uneven pads.
- matmul_integer_add: MatMulInteger (uint8 inputs) whose int32 output goes on to an int32 Add, with
  sums far past the uint8 range: the product's type must be int32, not its inputs' uint8.

fixtures/onnx-qdq-more/<name>/model.onnx, cases.json (input values) and reference.json: per case the
outputs of ONNX's reference semantics as scripts/onnx-qdq-fixtures.py ports them to numpy ("reference"),
and ONNX Runtime's (onnxruntime-web, run here through node: "ort", with its version).
Run: /usr/bin/python3 scripts/onnx-qdq-more-fixtures.py   (after npm run build; needs node)
"""
import importlib.util
import json
import os
import subprocess

import numpy as np
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("qdq", os.path.join(HERE, "onnx-qdq-fixtures.py"))
qdq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(qdq)
qdq.ROOT = os.path.join(HERE, "..", "fixtures", "onnx-qdq-more")
F32 = np.float32
rng = np.random.default_rng(2930)


def qlinear_conv_no_bias():
    sx, zx = np.array(0.023, F32), np.array(120, np.uint8)
    w = rng.integers(-127, 128, [3, 2, 3, 3]).astype(np.int8)
    sw, zw = np.array([0.0061, 0.0037, 0.0049], F32), np.zeros(3, np.int8)
    sy, zy = np.array(0.041, F32), np.array(90, np.uint8)
    pads = [0, 1, 1, 0]
    nodes = [helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy"], ["y"], name="qconv", pads=pads)]
    cases = [[rng.integers(0, 256, [1, 2, 5, 5]).astype(np.uint8)] for _ in range(3)]
    refs = [[qdq.requantize(qdq.conv_int(x.astype(np.int64) - 120, w.astype(np.int64), pads=pads), sx, sw, sy, zy, 1)] for (x,) in cases]
    qdq.save("qlinear_conv_no_bias", nodes, [qdq.vi("x", np.uint8, [1, 2, 5, 5])], [qdq.vi("y", np.uint8, [1, 3, 4, 4])],
             [qdq.init("sx", sx), qdq.init("zx", zx), qdq.init("w", w), qdq.init("sw", sw), qdq.init("zw", zw), qdq.init("sy", sy), qdq.init("zy", zy)],
             cases, refs)


def matmul_integer_add():
    b = rng.integers(0, 256, [4, 3]).astype(np.uint8)
    za, zb = np.array(3, np.uint8), np.array(250, np.uint8)
    c = np.array([100000, -7, 2 ** 30], np.int32)
    nodes = [helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["p"], name="mmi"), helper.make_node("Add", ["p", "c"], ["y"], name="add")]
    cases = [[rng.integers(0, 256, [2, 4]).astype(np.uint8)] for _ in range(3)]
    # int32 sums: |acc| ≤ 4·255·250, and + 2^30 stays below 2^31 (no wrap either way).
    refs = [[(np.matmul(a.astype(np.int64) - 3, b.astype(np.int64) - 250) + c).astype(np.int32)] for (a,) in cases]
    qdq.save("matmul_integer_add", nodes, [qdq.vi("a", np.uint8, [2, 4])], [qdq.vi("y", np.int32, [2, 3])],
             [qdq.init("b", b), qdq.init("za", za), qdq.init("zb", zb), qdq.init("c", c)], cases, refs)


ORT = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const TYPED = { uint8: Uint8Array, int8: Int8Array, int32: Int32Array, float32: Float32Array };
for (const dir of JSON.parse(process.argv[1])) {
  const session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')), { executionProviders: ['wasm'] });
  const { cases } = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));
  const inputs = JSON.parse(process.argv[2])[dir];
  const outs = [];
  for (const c of cases) {
    const feeds = {};
    inputs.forEach(([name, dtype, dims], i) => (feeds[name] = new ort.Tensor(dtype, TYPED[dtype].from(c[i].flat(Infinity)), dims)));
    const r = await session.run(feeds);
    outs.push(session.outputNames.map((n) => Array.from(r[n].data, Number)));
  }
  await session.release();
  const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
  ref.ort = outs;
  ref.ort_version = ort.env.versions.web;
  writeFileSync(join(dir, 'reference.json'), JSON.stringify(ref));
}
"""

if __name__ == "__main__":
    qlinear_conv_no_bias()
    matmul_integer_add()
    dirs = {os.path.join(qdq.ROOT, "qlinear_conv_no_bias"): [["x", "uint8", [1, 2, 5, 5]]],
            os.path.join(qdq.ROOT, "matmul_integer_add"): [["a", "uint8", [2, 4]]]}
    subprocess.run(["node", "--input-type=module", "-e", ORT, json.dumps(list(dirs)), json.dumps(dirs)], check=True, cwd=os.path.join(HERE, ".."))
    for d in dirs:
        ref = json.load(open(os.path.join(d, "reference.json")))
        same = ref["reference"] == ref["ort"]
        print(os.path.basename(d), "ONNX Runtime", ref["ort_version"], "equals the reference" if same else "DIFFERS from the reference")
