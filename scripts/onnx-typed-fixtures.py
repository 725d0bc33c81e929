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
                values = np.round(rng.uniform(-2, 2, shape), 3)
                # A float input holds float32 values exactly, so ONNX Runtime sees the same numbers.
                if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
                    values = values.astype(np.float32).astype(np.float64)
                case.append(values.tolist())
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

# Computed integer and bool values (typed_*): the graph inputs carry integer and bool types.
def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


I64, I32, I8, U8, F, B = TensorProto.INT64, TensorProto.INT32, TensorProto.INT8, TensorProto.UINT8, TensorProto.FLOAT, TensorProto.BOOL
ints = [-9, -8, -7, -3, -2, -1, 0, 1, 2, 3, 7, 8, 9, 100]

# x >> 1 as PyTorch exports it on int64 (Div by 2), and x // 3 in C's sense.
save("typed_div_int64", [const("two", i64(2)), helper.make_node("Div", ["x", "two"], ["y"], name="div_2")],
     [vi("x", I64, [14])], [vi("y", I64, [14])], cases=[[ints], [[-1001, 1001, 5, -5, 4, -4, 2**40 + 1, -(2**40) - 1, 6, -6, 10, -10, 11, -11]]])
# Div, Mod (fmod 0 and 1) of two computed int32 values.
a = [7, -7, 7, -7, 6, 0, 100, -100, 1, -1]
b = [3, 3, -3, -3, 3, -5, 7, 7, -7, 2]
save("typed_div_mod_int32", [helper.make_node("Div", ["a", "b"], ["q"], name="div"), helper.make_node("Mod", ["a", "b"], ["m0"], fmod=0, name="mod"),
                             helper.make_node("Mod", ["a", "b"], ["m1"], fmod=1, name="fmod")],
     [vi("a", I32, [10]), vi("b", I32, [10])], [vi("q", I32, [10]), vi("m0", I32, [10]), vi("m1", I32, [10])], cases=[[a, b], [b, [x if x != 0 else 1 for x in a]]])
# int32 overflow wraps: x + 2147483000, x·65536, and 0 − x.
save("typed_int32_wrap", [const("big", i32(2147483000)), helper.make_node("Add", ["x", "big"], ["s"], name="add"),
                          const("k", i32(65536)), helper.make_node("Mul", ["x", "k"], ["p"], name="mul"),
                          helper.make_node("Neg", ["x"], ["n"], name="neg"), helper.make_node("Abs", ["x"], ["ab"], name="abs")],
     [vi("x", I32, [6])], [vi("s", I32, [6]), vi("p", I32, [6]), vi("n", I32, [6]), vi("ab", I32, [6])],
     cases=[[[0, 647, 648, 1000, -5, 32768]], [[-2147483648, 2147483647, 65535, -65536, 1, -1]]])
# uint8 arithmetic wraps modulo 256.
save("typed_uint8_wrap", [helper.make_node("Sub", ["a", "b"], ["d"], name="sub"), helper.make_node("Add", ["a", "b"], ["s"], name="add")],
     [vi("a", U8, [4]), vi("b", U8, [4])], [vi("d", U8, [4]), vi("s", U8, [4])], cases=[[[3, 200, 0, 255], [5, 100, 1, 255]]])
# Casts of computed values: float → int32 truncates, int32 → int8 wraps, → bool is x ≠ 0, bool → float.
save("typed_cast", [helper.make_node("Cast", ["x"], ["xi"], to=I32, name="to_int32"), helper.make_node("Cast", ["xi"], ["x8"], to=I8, name="to_int8"),
                    helper.make_node("Cast", ["x"], ["xb"], to=B, name="to_bool"), helper.make_node("Cast", ["xb"], ["xbf"], to=F, name="bool_to_float"),
                    helper.make_node("Cast", ["x8"], ["x8f"], to=F, name="int8_to_float")],
     [vi("x", F, [8])], [vi("xi", I32, [8]), vi("x8f", F, [8]), vi("xbf", F, [8])],
     cases=[[[2.7, -2.7, 0.5, -0.5, 200.9, -200.9, 0.0, 1000.0]], [[127.5, 128.5, -128.5, -129.5, 255.0, 256.0, 65537.0, -1e-3]]])
# Comparisons and logic on computed values, as 0/1.
save("typed_compare", [helper.make_node("Less", ["x", "y"], ["lt"], name="less"), helper.make_node("Greater", ["x", "y"], ["gt"], name="greater"),
                       helper.make_node("LessOrEqual", ["x", "y"], ["le"], name="less_equal"), helper.make_node("GreaterOrEqual", ["x", "y"], ["ge"], name="greater_equal"),
                       helper.make_node("Equal", ["x", "y"], ["eq"], name="equal"), helper.make_node("Not", ["eq"], ["ne"], name="not"),
                       helper.make_node("And", ["lt", "ne"], ["and"], name="and"), helper.make_node("Or", ["gt", "eq"], ["or"], name="or"),
                       helper.make_node("Xor", ["le", "ge"], ["xor"], name="xor")],
     [vi("x", F, [6]), vi("y", F, [6])], [vi(n, B, [6]) for n in ("lt", "gt", "le", "ge", "eq", "ne", "and", "or", "xor")],
     cases=[[[1, 2, 3, -1, 0.5, 0], [2, 2, 1, -1, 0.25, -0.0]], [[-3, 4, 4, 0.1, 7, 8], [-3, 4.5, 3.5, 0.1, 7, 8]]])
save("typed_equal_int64", [helper.make_node("Equal", ["a", "b"], ["eq"], name="equal"), helper.make_node("Cast", ["eq"], ["y"], to=I64, name="to_int64"),
                           helper.make_node("Mul", ["y", "a"], ["z"], name="mask")],
     [vi("a", I64, [5]), vi("b", I64, [5])], [vi("z", I64, [5])], cases=[[[1, 2, 3, 4, 5], [1, 0, 3, 0, 5]]])
# Floor, Ceil, Sign of computed floats.
save("typed_floor_ceil_sign", [helper.make_node("Floor", ["x"], ["f"], name="floor"), helper.make_node("Ceil", ["x"], ["c"], name="ceil"),
                               helper.make_node("Sign", ["x"], ["s"], name="sign")],
     [vi("x", F, [8])], [vi("f", F, [8]), vi("c", F, [8]), vi("s", F, [8])], cases=[[[-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.7, -2.7]]])
# Reductions of integers: a key-padding mask's length (Σ over int64), an int32 sum, max and min. (An
# int32 sum past 2^31 is left out: onnxruntime-web gives 2147483647 for 2147483647 + 1 + 5, not ONNX's
# wrap; nn2eq prints the wrap.)
save("typed_reduce_int", [const("axes", i64([1])), helper.make_node("ReduceSum", ["m", "axes"], ["len"], keepdims=0, name="sum"),
                          helper.make_node("ReduceSum", ["b", "axes"], ["s32"], keepdims=0, name="sum32"),
                          helper.make_node("ReduceMax", ["b"], ["mx"], axes=[1], keepdims=0, name="max"),
                          helper.make_node("ReduceMin", ["b"], ["mn"], axes=[1], keepdims=0, name="min")],
     [vi("m", I64, [2, 5]), vi("b", I32, [2, 3])], [vi("len", I64, [2]), vi("s32", I32, [2]), vi("mx", I32, [2]), vi("mn", I32, [2])],
     cases=[[[[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], [[1000000, 1, 5], [-7, 3, -2000000000]]]])

# Refused: ops nn2eq would compute as float on integers, Round half to even, float16 computed.
def refused_model(name, nodes, inputs, outputs):
    g = helper.make_graph(nodes, name, inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="nn2eq onnx-typed-fixtures.py")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    d = os.path.join(ROOT, "refused", name)
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))


refused_model("relu_int32", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", I32, [3])], [vi("y", I32, [3])])

# Round of computed values: half to even (ties at ±0.5, ±1.5, ±2.5), and BitShift of computed uint8 values.
save("typed_round", [helper.make_node("Round", ["x"], ["y"], name="round")], [vi("x", F, [8])], [vi("y", F, [8])],
     cases=[[[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.7, -2.7]], [[0.4999999701976776, 4194304.5, -3.5, 4.5, 0.0, -0.0, 123.25, -7.75]]])
save("typed_bitshift_uint8", [helper.make_node("BitShift", ["a", "b"], ["l"], direction="LEFT", name="shl"),
                              helper.make_node("BitShift", ["a", "b"], ["r"], direction="RIGHT", name="shr")],
     [vi("a", U8, [5]), vi("b", U8, [5])], [vi("l", U8, [5]), vi("r", U8, [5])], cases=[[[1, 200, 255, 16, 7], [1, 1, 7, 4, 0]]])

# float16 computed: ONNX rounds to float16 after every op (Cast, then x·x, then + x, then / 3);
# ties (1 + 2^-11, 1 + 3·2^-11 → even) and float16 subnormals among the values. ONNX Runtime's CPU
# kernels run such a chain in float32 with one rounding at its end (they insert casts to float32
# and drop the Cast pair), so no value here overflows or cancels (nor could the Wolfram
# interpreter return an ∞), and the test allows two float16 ulps. ONNX's own conformance cases
# (test/onnx-backend) hold the rounding after every op.
F16 = TensorProto.FLOAT16
save("typed_float16", [helper.make_node("Cast", ["x"], ["h"], to=F16, name="to_half"), helper.make_node("Mul", ["h", "h"], ["s"], name="square"),
                       helper.make_node("Add", ["s", "h"], ["a"], name="add"), helper.make_node("Div", ["a", "three"], ["y"], name="div")],
     [vi("x", F, [8])], [vi("y", F16, [8])], initializers=[numpy_helper.from_array(np.array(3.0, np.float16), "three")],
     cases=[[[float(v) for v in np.array([0.1, 1 / 3, 1 + 2**-11, 1 + 3 * 2**-11, -7.77, 1e-3, 200.9, -255.9], np.float32)]],
            [[float(v) for v in np.array([1e-5, -1e-4, 0.0, -2.5, 45.3, 250.0, 3.0e-3, 17.17], np.float32)]]])

# Empty tensors (ONNX's test_shape_start_greater_than_end: Shape with start 2 > end 1 is empty),
# alone and beside a computed output.
save("empty_shape_start_greater_than_end", [helper.make_node("Shape", ["x"], ["y"], start=2, end=1, name="shape")],
     [vi("x", F, [2, 3, 4])], [vi("y", I64, [0])], opset=15)
save("empty_beside_value", [helper.make_node("Shape", ["x"], ["e"], start=2, end=1, name="shape"), helper.make_node("Relu", ["x"], ["r"], name="relu"),
                            const("starts", i64([1])), const("ends", i64([1])), const("axes", i64([2])),
                            helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["s"], name="empty_slice")],
     [vi("x", F, [2, 3, 4])], [vi("e", I64, [0]), vi("r", F, [2, 3, 4]), vi("s", F, [2, 3, 0])], opset=15)

# Planted-bug coverage (issue 29): uneven begin/end pads, as TF-to-ONNX writes for SAME padding,
# so pads with begin and end swapped give other numbers; and a Gemm with a computed C and beta=-1.
def w(*shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def pads_model(name, node, x_shape, y_shape, inits):
    save(name, [node], [vi("x", F, x_shape)], [vi("y", F, y_shape)], initializers=[numpy_helper.from_array(v, k) for k, v in inits.items()])


pads_model("pads_conv2d", helper.make_node("Conv", ["x", "W", "B"], ["y"], kernel_shape=[3, 3], pads=[0, 1, 2, 0], name="conv"),
           [1, 2, 6, 7], [1, 3, 6, 6], {"W": w(3, 2, 3, 3), "B": w(3)})
pads_model("pads_conv2d_strided", helper.make_node("Conv", ["x", "W"], ["y"], kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 0, 1], name="conv"),
           [1, 2, 7, 6], [1, 2, 3, 3], {"W": w(2, 2, 3, 2)})
pads_model("pads_conv1d", helper.make_node("Conv", ["x", "W"], ["y"], kernel_shape=[3], pads=[2, 0], name="conv"),
           [1, 2, 5], [1, 2, 5], {"W": w(2, 2, 3)})
pads_model("pads_convtranspose2d", helper.make_node("ConvTranspose", ["x", "W", "B"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 1, 2, 0], name="deconv"),
           [1, 2, 4, 5], [1, 3, 7, 10], {"W": w(2, 3, 3, 3), "B": w(3)})
pads_model("pads_maxpool2d", helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], pads=[0, 1, 2, 0], name="maxpool"),
           [1, 2, 6, 7], [1, 2, 6, 6], {})
pads_model("pads_avgpool2d_exclude", helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[0, 1, 2, 0], count_include_pad=0, name="avgpool"),
           [1, 2, 6, 7], [1, 2, 6, 6], {})
pads_model("pads_avgpool2d_include", helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[0, 1, 2, 0], count_include_pad=1, name="avgpool"),
           [1, 2, 6, 7], [1, 2, 6, 6], {})

save("gemm_computed_c_beta_minus1", [helper.make_node("Tanh", ["z"], ["c"], name="tanh"),
                                     helper.make_node("Gemm", ["x", "W", "c"], ["y"], alpha=1.0, beta=-1.0, name="gemm")],
     [vi("x", F, [1, 3]), vi("z", F, [1, 2])], [vi("y", F, [1, 2])], initializers=[numpy_helper.from_array(w(3, 2), "W")])
print("wrote typed models")
