"""Small hand-made ONNX models for typed arithmetic (test/onnx-typed.test.ts), written with onnx.helper.

fixtures/onnx-typed/fold_*: constant subgraphs that nn2eq folds at conversion time (integer Div,
Mod, Cast, Floor/Ceil/Round, Range, Pow, BitShift, int32 overflow, the transformer's
Gather(Shape(x), -1) → Add → Div by 3). Each adds its folded constant, cast to double, to a
double input x, so the printed formula carries the folded numbers and ONNX Runtime computes the
same subgraph with its own kernels.

Each folder holds model.onnx and cases.json (input values only: the expected outputs come from
onnxruntime-web when the test runs).
Run: /usr/bin/python3 scripts/onnx-typed-fixtures.py
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "onnx-typed")
rng = np.random.default_rng(29)


def save(name, nodes, inputs, outputs, initializers=(), opset=17, cases=None):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="nn2eq onnx-typed-fixtures.py")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    if cases is None:
        cases = []
        for _ in range(2):
            case = []
            for vi in inputs:
                shape = [dim.dim_value for dim in vi.type.tensor_type.shape.dim]
                case.append(np.round(rng.uniform(-2, 2, shape), 3).tolist())
            cases.append(case)
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump({"cases": cases}, f)


def const(name, array):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(array), name + "_value"), name=name)


def folded(name, nodes, result, n, opset=17):
    """y = x + Cast(result, double), x a double vector of the result's length n."""
    x = helper.make_tensor_value_info("x", TensorProto.DOUBLE, [n])
    y = helper.make_tensor_value_info("y", TensorProto.DOUBLE, [n])
    nodes = nodes + [
        helper.make_node("Cast", [result], ["folded_f64"], to=TensorProto.DOUBLE, name="to_double"),
        helper.make_node("Add", ["x", "folded_f64"], ["y"], name="add_x"),
    ]
    save(name, nodes, [x], [y], opset=opset)


i64 = lambda v: np.array(v, dtype=np.int64)
i32 = lambda v: np.array(v, dtype=np.int32)

# Integer Div truncates toward zero (int64 and int32).
folded("fold_div_int64", [const("a", i64([7, -7, 7, -7, 98, 1, -1])), const("b", i64([2, 2, -2, -2, 3, 3, 3])),
                          helper.make_node("Div", ["a", "b"], ["q"], name="div")], "q", 7)
folded("fold_div_int32", [const("a", i32([7, -7, 7, -7, 2147483647])), const("b", i32([2, 2, -2, -2, 10])),
                          helper.make_node("Div", ["a", "b"], ["q"], name="div")], "q", 5)

# Mod: fmod=0 takes the divisor's sign, fmod=1 the dividend's; float Mod needs fmod=1.
for t, mk in (("int64", i64), ("int32", i32)):
    for fm in (0, 1):
        folded(f"fold_mod_{t}_fmod{fm}", [const("a", mk([7, -7, 7, -7, 6, 0])), const("b", mk([3, 3, -3, -3, 3, -5])),
                                          helper.make_node("Mod", ["a", "b"], ["r"], fmod=fm, name="mod")], "r", 6)
folded("fold_mod_float_fmod1", [const("a", np.array([5.5, -5.5, 5.5, -5.5, 0.3], np.float32)), const("b", np.array([2, 2, -2, -2, 0.1], np.float32)),
                                helper.make_node("Mod", ["a", "b"], ["r"], fmod=1, name="mod")], "r", 5)

# Cast: float → int truncates toward zero; int → narrower int wraps; → bool is x ≠ 0; → float16/bfloat16 round.
folded("fold_cast_float_int32", [const("a", np.array([2.7, -2.7, 0.5, -0.5, 1e9, -3.0], np.float32)),
                                 helper.make_node("Cast", ["a"], ["c"], to=TensorProto.INT32, name="cast")], "c", 6)
folded("fold_cast_float_int64", [const("a", np.array([2.99, -2.99, 3e9, -1e12], np.float64)),
                                 helper.make_node("Cast", ["a"], ["c"], to=TensorProto.INT64, name="cast")], "c", 4)
folded("fold_cast_int64_int8", [const("a", i64([200, -200, 127, 128, -129, 1000])),
                                helper.make_node("Cast", ["a"], ["c"], to=TensorProto.INT8, name="cast")], "c", 6)
folded("fold_cast_int32_uint8", [const("a", i32([-1, 256, 300, 255])),
                                 helper.make_node("Cast", ["a"], ["c"], to=TensorProto.UINT8, name="cast")], "c", 4)
folded("fold_cast_int64_int32", [const("a", i64([2**31, 2**32 + 5, -(2**31) - 1])),
                                 helper.make_node("Cast", ["a"], ["c"], to=TensorProto.INT32, name="cast")], "c", 3)
folded("fold_cast_bool", [const("a", np.array([0.0, 0.5, -2.0, -0.0], np.float32)),
                          helper.make_node("Cast", ["a"], ["c"], to=TensorProto.BOOL, name="cast")], "c", 4)
folded("fold_cast_float16", [const("a", np.array([0.1, 1 / 3, 65519.0, 2049.0, 2051.0, 1e-7], np.float32)),
                             helper.make_node("Cast", ["a"], ["c"], to=TensorProto.FLOAT16, name="cast")], "c", 6)
folded("fold_cast_double_float", [const("a", np.array([0.1, 1 / 3, 16777217.0], np.float64)),
                                  helper.make_node("Cast", ["a"], ["c"], to=TensorProto.FLOAT, name="cast")], "c", 3)

# Floor, Ceil, Round (half to even) on float constants.
vals = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.7, -2.7], np.float32)
for op in ("Floor", "Ceil", "Round"):
    folded(f"fold_{op.lower()}", [const("a", vals), helper.make_node(op, ["a"], ["r"], name=op.lower())], "r", 8)

# Range: integer steps, a negative step, an empty range, and a float32 range accumulated in float32.
folded("fold_range_int64", [const("s", i64(1)), const("l", i64(11)), const("d", i64(3)),
                            helper.make_node("Range", ["s", "l", "d"], ["r"], name="range")], "r", 4)
folded("fold_range_int32_negative", [const("s", i32(10)), const("l", i32(1)), const("d", i32(-3)),
                                     helper.make_node("Range", ["s", "l", "d"], ["r"], name="range")], "r", 3)
folded("fold_range_float", [const("s", np.array(0, np.float32)), const("l", np.array(1, np.float32)), const("d", np.array(0.1, np.float32)),
                            helper.make_node("Range", ["s", "l", "d"], ["r"], name="range")], "r", 10)

# Pow on integers: ONNX Runtime casts std::pow's double back (2^-1 is 0).
folded("fold_pow_int64", [const("a", i64([2, 2, 3, -2, 10, -1])), const("b", i64([3, -1, 0, 3, 15, -3])),
                          helper.make_node("Pow", ["a", "b"], ["p"], name="pow")], "p", 6)
folded("fold_pow_int32", [const("a", i32([2, 7, -3])), const("b", i32([30, 2, 3])),
                          helper.make_node("Pow", ["a", "b"], ["p"], name="pow")], "p", 3)

# int32 arithmetic wraps in two's complement.
folded("fold_int32_overflow", [const("a", i32([2147483647, 65536, -2147483647, -2147483648])), const("b", i32([1, 65536, -2, 1])),
                               helper.make_node("Add", ["a", "b"], ["s"], name="add"), helper.make_node("Mul", ["a", "b"], ["m"], name="mul"),
                               helper.make_node("Sub", ["s", "m"], ["r"], name="sub")], "r", 4)
folded("fold_neg_abs_int32", [const("a", i32([-2147483648, 5, -5])), helper.make_node("Neg", ["a"], ["n"], name="neg"),
                              helper.make_node("Abs", ["n"], ["r"], name="abs")], "r", 3)

# BitShift on unsigned integers.
folded("fold_bitshift_uint8", [const("a", np.array([200, 16, 1], np.uint8)), const("b", np.array([1, 2, 7], np.uint8)),
                               helper.make_node("BitShift", ["a", "b"], ["l"], direction="LEFT", name="shl"),
                               helper.make_node("BitShift", ["a", "b"], ["r"], direction="RIGHT", name="shr"),
                               helper.make_node("Add", ["l", "r"], ["s"], name="add")], "s", 3)

# Float32 constants fold in float32: 0.1 + 0.2 and 1/3 as ONNX Runtime's float kernels give them.
folded("fold_float32_arith", [const("a", np.array([0.1, 1.0, 16777216.0], np.float32)), const("b", np.array([0.2, 3.0, 1.0], np.float32)),
                              helper.make_node("Add", ["a", "b"], ["s"], name="add"), helper.make_node("Div", ["a", "b"], ["q"], name="div"),
                              helper.make_node("Sub", ["s", "q"], ["r"], name="sub")], "r", 3)

# PyTorch's nn.TransformerEncoder export splits the packed in-projection by
# Gather(Shape(x), -1) → Add 2 → Div 3 on int64 (ceil division of 96 by 3, 32), then slices by it.
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 96])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32])
nodes = [
    helper.make_node("Shape", ["x"], ["shape"], name="shape"),
    const("minus1", i64(-1)),
    helper.make_node("Gather", ["shape", "minus1"], ["last"], axis=0, name="gather"),
    const("two", i64(2)),
    helper.make_node("Add", ["last", "two"], ["plus2"], name="add"),
    const("three", i64(3)),
    helper.make_node("Div", ["plus2", "three"], ["third"], name="div"),
    const("zero", i64([0])),
    const("axis", i64([1])),
    helper.make_node("Unsqueeze", ["third", "zero"], ["end"], name="unsqueeze"),
    helper.make_node("Slice", ["x", "zero", "end", "axis"], ["q"], name="slice_q"),
    helper.make_node("Mul", ["third", "two"], ["end2"], name="mul"),
    helper.make_node("Unsqueeze", ["end2", "zero"], ["end2u"], name="unsqueeze2"),
    helper.make_node("Slice", ["x", "end", "end2u", "axis"], ["k"], name="slice_k"),
    helper.make_node("Sub", ["q", "k"], ["y"], name="sub"),
]
save("fold_transformer_split", nodes, [x], [y])
print("wrote", ROOT)


def refused(name, nodes, result, n):
    """A folded subgraph nn2eq must refuse (ONNX leaves the result undefined): no cases."""
    x = helper.make_tensor_value_info("x", TensorProto.DOUBLE, [n])
    y = helper.make_tensor_value_info("y", TensorProto.DOUBLE, [n])
    nodes = nodes + [
        helper.make_node("Cast", [result], ["folded_f64"], to=TensorProto.DOUBLE, name="to_double"),
        helper.make_node("Add", ["x", "folded_f64"], ["y"], name="add_x"),
    ]
    g = helper.make_graph(nodes, name, [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="nn2eq onnx-typed-fixtures.py")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    d = os.path.join(ROOT, "refused", name)
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))


refused("div_int_by_zero", [const("a", i64([7, 1])), const("b", i64([2, 0])), helper.make_node("Div", ["a", "b"], ["q"], name="div")], "q", 2)
refused("cast_out_of_range", [const("a", np.array([1.0, 3e9], np.float32)), helper.make_node("Cast", ["a"], ["c"], to=TensorProto.INT32, name="cast")], "c", 2)
refused("cast_nan_to_int", [const("a", np.array([np.nan], np.float32)), helper.make_node("Cast", ["a"], ["c"], to=TensorProto.INT64, name="cast")], "c", 1)
refused("mod_float_fmod0", [const("a", np.array([5.5], np.float32)), const("b", np.array([2], np.float32)), helper.make_node("Mod", ["a", "b"], ["r"], fmod=0, name="mod")], "r", 1)
refused("int64_beyond_2p53", [const("a", i64([2**53])), const("b", i64([2**53])), helper.make_node("Add", ["a", "b"], ["s"], name="add")], "s", 1)
print("wrote", os.path.join(ROOT, "refused"))
