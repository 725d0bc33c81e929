"""Evaluates the Wolfram Language tensor form by an independent route: SymPy's Mathematica parser
reads the text into Wolfram FullForm, and a small interpreter here evaluates it with Wolfram's
semantics, never more leniently than the Wolfram runtime (where it cannot tell, it fails):
- Listable arithmetic (ref/Listable, ref/Thread): a number combines with any list; two lists must have
  the same length, and then pair up element by element from the LEADING axis down, so an array of
  shape (3,) meets the rows of a (3, 4, 5) array, while a (1,) or a (5,) array and a (3, 4, 5) array
  stop with Thread::tdlen (NumPy would broadcast them from the trailing axis: Wolfram never does).
- Dot contracts the last index of the first tensor with the first index of the second (Dot::dotsh
  otherwise); Part/Span are 1-based and inclusive, negative from the end (Part::partw, Part::partd,
  Part::take); Transpose[a, {n1, ...}] sends level k to level nk; Map at levels {n}, MapThread at
  level n on arrays that agree to that level (MapThread::mptc); Boole only of True and False;
  Fold/FoldList; dynamic scoping of Block/With/Function/Sum/Table.
Each failure is raised with the message name Wolfram gives (Thread::tdlen, ...). Arrays are NumPy float64.
Large numeric list literals (the weights) are read with json instead of SymPy, for speed only.
A text that sets PARAMS before its Function (--weights symbolic) is called with PARAMS first.
argv[1] = path of the .wl text; stdin = JSON list of cases, each a list of inputs (nested lists).
Prints JSON: the flat outputs of every case (null for a value that is not finite).
With argv[1] = --batch, stdin = JSON list of [path, cases] and the answer is one entry per file:
its outputs, or {"error": message} (one Python start for a whole test file)."""
import json
import math
import re
import sys

import numpy as np
from sympy.parsing.mathematica import MathematicaParser

sys.setrecursionlimit(100_000)
np.seterr(all="ignore")


class WolframError(Exception):
    pass


# ---------------------------------------------------------------- parsing

def parse(text):
    text = re.sub(r"\(\*.*?\*\)", "", text, flags=re.S).strip()
    literals = {}

    def take(m):
        s = m.group(0)
        if len(s) < 200:
            return s
        # Balanced, and never closing more than it opened: the braces alone are walked (a Python loop
        # over every character of MobileNetV2's 52 MB of weights took 3 s of its 8).
        depth = 0
        for ch in s.translate(NOT_BRACES):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth < 0:
                    return s
        if depth != 0:
            return s
        name = f"nnLiteral{len(literals)}"
        literals[name] = numeric(json.loads(s.replace("*^", "e").replace("{", "[").replace("}", "]")))
        return name

    text = re.sub(r"\{[-+0-9.*^eE,\s{}]*\}", take, text)
    # SymPy's parser reads no empty brackets: {} (Function[{}, ...] of a model without inputs) is a name.
    text = re.sub(r"\{\s*\}", "nnEmptyList", text)
    literals["nnEmptyList"] = []
    # SymPy does not read Wolfram's *^ literals: 1.5*^-7 -> (1.5*10^(-7)).
    text = re.sub(r"(\d+(?:\.\d+)?)\*\^(-?\d+)", r"(\1*10^(\2))", text)
    parser = MathematicaParser()
    tree = parser._from_tokens_to_fullformlist(parser._from_mathematica_to_tokens(text))
    return normalize(tree), literals


# Every ASCII character but the braces, deleted by str.translate (the literals hold ASCII only, but a
# character past ASCII is kept and skipped by the walk, as before).
NOT_BRACES = {c: None for c in range(128) if chr(c) not in "{}"}


def numeric(data):
    """A numeric list literal: an array when rectangular, else (--weights symbolic's PARAMS, a list of
    weight tensors of different shapes) a Python list of its elements, as h_List makes it."""
    if not isinstance(data, list):
        return float(data)
    try:
        return np.array(data, dtype=np.float64)
    except ValueError:
        return [numeric(x) for x in data]


def normalize(node):
    """SymPy reads a ;; b ;; c as Span[Span[a, b], c]; Wolfram's FullForm is Span[a, b, c]."""
    if isinstance(node, list):
        node = [normalize(n) for n in node]
        if node[0] == "Span" and len(node) == 3 and isinstance(node[1], list) and node[1][0] == "Span" and len(node[1]) == 3:
            node = ["Span", node[1][1], node[1][2], node[2]]
    return node


# ---------------------------------------------------------------- values

class Fn:
    """A pure function: params None for Slot functions (#, #1, …)."""

    def __init__(self, params, body):
        self.params = params
        self.body = body


class Sym:
    """A built-in function name used as a value (Map[Max, …], MapThread[Max, …])."""

    def __init__(self, name):
        self.name = name


class SpanV:
    def __init__(self, a, b, s):
        self.a, self.b, self.s = a, b, s


ALL = object()


def is_num(v):
    return isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool)


def make_list(items):
    """Wolfram List: a NumPy array when rectangular and numeric, else a Python list."""
    if all(is_num(x) for x in items):
        return np.array(items, dtype=np.float64)
    if items and all(isinstance(x, np.ndarray) for x in items) and len({x.shape for x in items}) == 1:
        return np.stack(items)
    return list(items)


def to_index(v):
    f = float(v)
    if not f.is_integer():
        raise WolframError(f"Part index {v} is not an integer")
    return int(f)


# ---------------------------------------------------------------- listable arithmetic

def describe(v):
    """A short picture of a value for a message: a number, or a list by its dimensions."""
    if isinstance(v, np.ndarray):
        return f"<array {'x'.join(map(str, v.shape))}>"
    if isinstance(v, list):
        return f"<list of length {len(v)}>"
    return repr(v)


def tdlen(name, a, b):
    return WolframError(f"Thread::tdlen: Objects of unequal length in {name}[{describe(a)}, {describe(b)}] cannot be combined.")


def thread(f, a, b, name):
    """Wolfram threading of a listable binary function (ref/Listable): a number combines with each element
    of a list; two lists must have the same length and pair up element by element, level by level from
    the leading axis (Thread::tdlen otherwise). Never NumPy's trailing-axis broadcasting."""
    if isinstance(a, list) or isinstance(b, list):
        if isinstance(a, (list, np.ndarray)) and isinstance(b, (list, np.ndarray)):
            if len(a) != len(b):
                raise tdlen(name, a, b)
            return make_list([thread(f, x, y, name) for x, y in zip(a, b)])
        if isinstance(a, (list, np.ndarray)):
            return make_list([thread(f, x, b, name) for x in a])
        return make_list([thread(f, a, y, name) for y in b])
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        # Equal lengths at every level both have; the shallower one's elements are then numbers,
        # each combined with a whole subarray of the deeper one.
        k = min(a.ndim, b.ndim)
        if a.shape[:k] != b.shape[:k]:
            raise tdlen(name, a, b)
        if a.ndim > b.ndim:
            b = b.reshape(b.shape + (1,) * (a.ndim - b.ndim))
        elif b.ndim > a.ndim:
            a = a.reshape(a.shape + (1,) * (b.ndim - a.ndim))
    if not (is_num(a) or isinstance(a, np.ndarray)) or not (is_num(b) or isinstance(b, np.ndarray)):
        raise WolframError(f"{name} of a non-number stays unevaluated: {describe(a)}, {describe(b)}")
    return f(a, b)


def unary(f):
    def g(x):
        if isinstance(x, list):
            return make_list([g(y) for y in x])
        if not (is_num(x) or isinstance(x, np.ndarray)):
            raise WolframError(f"function of a non-number: {x!r}")
        return f(x)

    return g


def real_domain(name, ok):
    # Wolfram computes Log, Sqrt and Power outside their real domain as complex numbers (ref/Log: a
    # branch cut along the negative real axis; ref/Sqrt: negative numbers have imaginary square
    # roots), not NaN as NumPy does: such a value is an error here, never more lenient than Wolfram.
    def check(x, *rest):
        bad = ok(np.asarray(x, dtype=np.float64), *rest)
        if np.any(bad):
            raise WolframError(f"{name} of a number outside its real domain is a complex number in Wolfram, where IEEE float math gives NaN")
    return check


_check_log = real_domain("Log", lambda x: x < 0)
_check_sqrt = real_domain("Sqrt", lambda x: x < 0)
_check_power = real_domain("Power", lambda a, b: (a < 0) & np.isfinite(b) & (np.asarray(b, dtype=np.float64) != np.trunc(b)))


# Outside their real domain Wolfram's inverse trig functions are complex (ref/ArcSin, ref/ArcCosh,
# ref/ArcTanh) and Sin, Cos, Tan of an infinity an Interval: errors here, as for Log.
TRIG_DOMAIN = {
    "Sin": (np.sin, lambda x: np.isinf(x)),
    "Cos": (np.cos, lambda x: np.isinf(x)),
    "Tan": (np.tan, lambda x: np.isinf(x)),
    "ArcSin": (np.arcsin, lambda x: np.abs(x) > 1),
    "ArcCos": (np.arccos, lambda x: np.abs(x) > 1),
    "ArcTan": (np.arctan, lambda x: np.zeros_like(x, dtype=bool)),
    "Sinh": (np.sinh, lambda x: np.zeros_like(x, dtype=bool)),
    "Cosh": (np.cosh, lambda x: np.zeros_like(x, dtype=bool)),
    "ArcSinh": (np.arcsinh, lambda x: np.zeros_like(x, dtype=bool)),
    "ArcCosh": (np.arccosh, lambda x: x < 1),
    "ArcTanh": (np.arctanh, lambda x: np.abs(x) >= 1),
}


def w_trig(name):
    f, bad = TRIG_DOMAIN[name]
    check = real_domain(name, bad)

    def g(x):
        check(x)
        with np.errstate(all="ignore"):
            r = f(np.asarray(x, dtype=np.float64))
        return float(r) if np.ndim(r) == 0 else r
    return g


def w_log(x):
    _check_log(x)
    x = np.asarray(x, dtype=np.float64)
    # Log[0.] is Indeterminate in Wolfram (an approximate zero), where IEEE gives -Infinity.
    r = np.where(x == 0, np.nan, np.log(np.where(x == 0, 1.0, x)))
    return float(r) if np.ndim(r) == 0 else r


def w_sqrt(x):
    _check_sqrt(x)
    return np.sqrt(x)


def power(a, b):
    _check_power(a, b)
    return np.power(np.asarray(a, dtype=np.float64), b)


def logistic(z):
    z = np.asarray(z, dtype=np.float64)
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


ERF = np.vectorize(math.erf, otypes=[np.float64])


def flat_numbers(vals):
    out = []
    for v in vals:
        if isinstance(v, np.ndarray):
            out.extend(v.ravel().tolist())
        elif isinstance(v, list):
            out.extend(flat_numbers(v))
        elif is_num(v):
            out.append(float(v))
        else:
            raise WolframError(f"Max/Min of a non-number stays unevaluated: {describe(v)}")
    return out


def w_max(*vals):
    xs = flat_numbers(vals)
    return -math.inf if not xs else (math.nan if any(math.isnan(x) for x in xs) else max(xs))


def w_min(*vals):
    xs = flat_numbers(vals)
    return math.inf if not xs else (math.nan if any(math.isnan(x) for x in xs) else min(xs))


class Undecided:
    """A comparison with Indeterminate, which Wolfram leaves unevaluated (If then takes its fourth argument)."""


UNDECIDED = Undecided()


def compare(op):
    def f(a, b):
        if not is_num(a) or not is_num(b):
            raise WolframError("comparison of non-numbers stays unevaluated")
        if math.isnan(float(a)) or math.isnan(float(b)):
            return UNDECIDED
        return bool(op(float(a), float(b)))

    return f


def arr(v):
    if isinstance(v, np.ndarray):
        return v
    if isinstance(v, list):
        a = make_list(v)
        if isinstance(a, np.ndarray):
            return a
    raise WolframError(f"expected a rectangular array, found {type(v).__name__}")


def dot(a, b):
    if is_num(a) or is_num(b):
        raise WolframError(f"Dot of a number stays unevaluated: {describe(a)} . {describe(b)}")
    a, b = arr(a), arr(b)
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[0]:
        raise WolframError(f"Dot::dotsh: Tensors {describe(a)} and {describe(b)} have incompatible shapes.")
    r = np.tensordot(a, b, axes=([-1], [0]))
    return float(r) if r.ndim == 0 else r


def part(x, *specs):
    # All over a list of different shapes (a FoldList of states like {J, h}): part of each element.
    if isinstance(x, list) and specs and specs[0] is ALL and len(specs) > 1:
        items = [part(e, *specs[1:]) for e in x]
        return make_list(items)
    axis = 0
    for spec in specs:
        if isinstance(x, list) and axis == 0:
            x = part_list(x, spec)
            if isinstance(spec, (SpanV,)) or spec is ALL:
                axis += 1
            continue
        if is_num(x):
            raise WolframError("Part::partd: Part specification is longer than depth of object.")
        x = arr(x)
        if axis >= x.ndim:
            raise WolframError("Part::partd: Part specification is longer than depth of object.")
        n = x.shape[axis]
        if spec is ALL:
            axis += 1
        elif isinstance(spec, SpanV):
            x = x[(slice(None),) * axis + (span_slice(spec, n),)]
            axis += 1
        elif isinstance(spec, np.ndarray):
            x = np.take(x, [one_index(to_index(i), n) for i in spec], axis=axis)
            axis += 1
        else:
            x = np.take(x, one_index(to_index(spec), n), axis=axis)
    return float(x) if isinstance(x, np.ndarray) and x.ndim == 0 else x


def part_list(x, spec):
    if not isinstance(x, list):
        raise WolframError("Part::partd: Part specification is longer than depth of object.")
    if spec is ALL:
        return x
    if isinstance(spec, SpanV):
        return x[span_slice(spec, len(x))]
    return x[one_index(to_index(spec), len(x))]


def one_index(k, n):
    if k == 0:
        raise WolframError("Part 0 is the head (List), not a number")
    if abs(k) > n:
        raise WolframError(f"Part::partw: Part {k} of a list of length {n} does not exist.")
    return k - 1 if k > 0 else n + k


def span_slice(s, n):
    first = to_index(s.a)
    last = n if s.b is ALL else to_index(s.b)
    step = to_index(s.s)
    a = first - 1 if first > 0 else n + first
    b = last if last > 0 else n + last + 1
    # Wolfram takes a ;; a - 1 as an empty list but refuses b < a - 1 and any bound outside the list.
    if not (0 <= a <= n) or not (0 <= b <= n) or b < a or step <= 0:
        raise WolframError(f"Part::take: Cannot take positions {first} through {last} in a list of length {n}.")
    return slice(a, b, step)


def transpose(x, perm=None):
    x = arr(x)
    if perm is None:
        # ref/Transpose: "Transposition of a vector leaves it unchanged".
        return x if x.ndim == 1 else np.swapaxes(x, 0, 1)
    n = [to_index(p) - 1 for p in arr(perm)]
    if any(not 0 <= k < x.ndim for k in n):
        raise WolframError(f"Transpose::perm: {[k + 1 for k in n]} is not a valid permutation for an array of depth {x.ndim}.")
    if sorted(n) != list(range(x.ndim)):
        raise WolframError(f"Transpose[a, {[k + 1 for k in n]}] (a diagonal, or a shorter list) is not modelled")
    return np.transpose(x, np.argsort(n))


def flatten(x, n=None):
    x = arr(x)
    if n is None:
        return x.ravel()
    k = to_index(n)
    return x.reshape((-1,) + x.shape[k + 1:]) if k > 0 else x


def array_reshape(x, dims):
    x = arr(x).ravel()
    dims = [to_index(d) for d in arr(dims)]
    if int(np.prod(dims)) != x.size:
        raise WolframError("ArrayReshape with a different number of elements (padding not modelled)")
    return x.reshape(dims)


def join(*args):
    level = 1
    if args and is_num(args[-1]):
        level, args = to_index(args[-1]), args[:-1]
    if all(isinstance(a, list) for a in args) and level == 1:
        return [y for a in args for y in a]
    return np.concatenate([arr(a) for a in args], axis=level - 1)


def constant_array(c, dims):
    dims = [to_index(dims)] if is_num(dims) else [to_index(d) for d in arr(dims)]
    c = np.asarray(c, dtype=np.float64)
    return np.broadcast_to(c, tuple(dims) + c.shape).copy()


def array_pad(x, spec, value=0.0):
    x = arr(x)
    spec = arr(spec)
    pads = [(to_index(b), to_index(a)) for b, a in spec] + [(0, 0)] * (x.ndim - len(spec))
    # ref/ArrayPad: "ArrayPad[array, -m] removes m elements from each side of array" (a negative width crops).
    x = x[tuple(slice(max(0, -b), x.shape[k] - max(0, -a)) for k, (b, a) in enumerate(pads))]
    return np.pad(x, [(max(0, b), max(0, a)) for b, a in pads], constant_values=float(value))


def total(x, level=None):
    if level is None:
        r = np.sum(arr(x), axis=0)
    elif level == math.inf:
        r = np.sum(arr(x))
    else:
        raise WolframError("Total level not modelled")
    return float(r) if np.ndim(r) == 0 else r


def mean(x):
    r = np.mean(arr(x), axis=0)
    return float(r) if np.ndim(r) == 0 else r


def reverse(x, level=1):
    if isinstance(x, list) and level == 1:
        return x[::-1]
    return np.flip(arr(x), axis=to_index(level) - 1)


FUNCS = {
    "Dot": lambda *a: _fold(dot, a),
    "Max": w_max,
    "Min": w_min,
    "Exp": unary(np.exp),
    "Log": unary(w_log),
    "Tanh": unary(np.tanh),
    "LogisticSigmoid": unary(logistic),
    "Erf": unary(ERF),
    "Abs": unary(np.abs),
    "Sqrt": unary(w_sqrt),
    "Ceiling": unary(np.ceil),
    "Floor": unary(np.floor),
    "IntegerPart": unary(np.trunc),
    "Boole": lambda c: boole(c),
    "Greater": compare(lambda a, b: a > b),
    "Less": compare(lambda a, b: a < b),
    "GreaterEqual": compare(lambda a, b: a >= b),
    "LessEqual": compare(lambda a, b: a <= b),
    "Equal": compare(lambda a, b: a == b),
    "Unequal": compare(lambda a, b: a != b),
    "Part": part,
    **{name: unary(w_trig(name)) for name in TRIG_DOMAIN},
    "Transpose": transpose,
    "Flatten": flatten,
    "ArrayReshape": array_reshape,
    "Join": join,
    "ConstantArray": constant_array,
    "ArrayPad": array_pad,
    "Total": total,
    "Mean": mean,
    "Reverse": reverse,
    "Range": lambda n: np.arange(1, to_index(n) + 1, dtype=np.float64),
    "Length": lambda x: float(len(x)),
    "Dimensions": lambda x: np.array(arr(x).shape, dtype=np.float64),
    "First": lambda x: x[0],
    "Last": lambda x: x[-1],
    "Rest": lambda x: x[1:],
    "Most": lambda x: x[:-1],
}


def boole(c):
    """Boole[True] = 1, Boole[False] = 0, listable; of anything else (a number, a comparison of lists
    that stays unevaluated) it stays unevaluated, which here is an error."""
    if c is True or c is False:
        return float(c)
    if isinstance(c, list):
        return make_list([boole(x) for x in c])
    raise WolframError(f"Boole of a non-boolean stays unevaluated: {describe(c)}")


def _fold(f, a):
    r = a[0]
    for b in a[1:]:
        r = f(r, b)
    return r


def plus(*a):
    return _fold(lambda x, y: thread(np.add, x, y, "Plus"), a)


def times(*a):
    return _fold(lambda x, y: thread(np.multiply, x, y, "Times"), a)


FUNCS["Plus"] = plus
FUNCS["Times"] = times
FUNCS["Power"] = lambda a, b: thread(power, a, b, "Power")

CONSTANTS = {"Infinity": math.inf, "Indeterminate": math.nan, "True": True, "False": False}

# Heads that act on atoms as plain scalar functions: a function made of these alone can be applied
# to a whole array at once with the same result as element by element (vectorized Map at level -1).
POINTWISE = {
    "Plus": lambda *a: _fold(np.add, a),
    "Times": lambda *a: _fold(np.multiply, a),
    "Power": power,
    "Max": lambda *a: _fold(np.maximum, a),
    "Min": lambda *a: _fold(np.minimum, a),
    "Exp": np.exp,
    "Log": w_log,
    "Tanh": np.tanh,
    "LogisticSigmoid": logistic,
    "Erf": ERF,
    "Abs": np.abs,
    "Sqrt": w_sqrt,
    **{name: w_trig(name) for name in TRIG_DOMAIN},
    "Boole": lambda c: pointwise_boole(c),
    "Greater": np.greater,
    "Less": np.less,
}


def pointwise_boole(c):
    if np.asarray(c).dtype != np.bool_:
        raise NotPointwise()
    return np.asarray(c, dtype=np.float64)


# ---------------------------------------------------------------- evaluation

# A number as SymPy's parser leaves it in FullForm (compiled once: ev reads every leaf of the tree).
NUMBER = re.compile(r"-?\d+(\.\d*)?")


class Interp:
    def __init__(self, literals):
        self.scopes = [dict(literals)]

    def lookup(self, name):
        for s in reversed(self.scopes):
            if name in s:
                v = s[name]
                if v is None:
                    raise WolframError(f"{name} is used before it is set")
                return v
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name == "All":
            return ALL
        if name in FUNCS or name in POINTWISE:
            return Sym(name)
        raise WolframError(f"unknown symbol {name}")

    def assign(self, name, value):
        for s in reversed(self.scopes):
            if name in s:
                s[name] = value
                return
        self.scopes[0][name] = value

    def scoped(self, bindings, fn):
        self.scopes.append(bindings)
        try:
            return fn()
        finally:
            self.scopes.pop()

    def ev(self, node):
        if isinstance(node, str):
            if NUMBER.fullmatch(node):
                return float(node)
            return self.lookup(node)
        head, *args = node
        if isinstance(head, list):
            return self.apply(self.ev(head), [self.ev(a) for a in args])
        special = getattr(self, "h_" + head, None)
        if special is not None:
            return special(*args)
        f = FUNCS.get(head)
        if f is None:
            raise WolframError(f"unknown head {head}")
        return f(*[self.ev(a) for a in args])

    # -- structure
    def h_List(self, *a):
        return make_list([self.ev(x) for x in a])

    def h_CompoundExpression(self, *a):
        r = None
        for x in a:
            r = self.ev(x) if x != "Null" else None
        return r

    def h_Set(self, target, value):
        v = self.ev(value)
        if isinstance(target, list) and target[0] == "List":
            names = target[1:]
            if len(v) != len(names):
                raise WolframError("Set: shapes of the two sides differ")
            for n, x in zip(names, v):
                self.assign(n, x)
        else:
            self.assign(target, v)
        return v

    def local_bindings(self, spec, evaluate):
        out = {}
        for s in spec[1:]:
            if isinstance(s, list) and s[0] == "Set":
                out[s[1]] = evaluate(s[2])
            else:
                out[s] = None
        return out

    def h_Block(self, spec, body):
        return self.scoped(self.local_bindings(spec, self.ev), lambda: self.ev(body))

    h_Module = h_Block

    def h_With(self, spec, body):
        return self.scoped(self.local_bindings(spec, self.ev), lambda: self.ev(body))

    def h_Function(self, *a):
        if len(a) == 1:
            return Fn(None, a[0])
        return Fn(a[0][1:] if isinstance(a[0], list) else [] if a[0] == "nnEmptyList" else [a[0]], a[1])

    def h_Slot(self, n):
        for s in reversed(self.scopes):
            if "#slots" in s:
                return s["#slots"][int(n) - 1]
        raise WolframError("# outside a pure function")

    def apply(self, f, args):
        if isinstance(f, Sym):
            return (FUNCS.get(f.name) or POINTWISE[f.name])(*args)
        if not isinstance(f, Fn):
            raise WolframError(f"cannot apply {f!r}")
        if f.params is None:
            return self.scoped({"#slots": list(args)}, lambda: self.ev(f.body))
        if len(f.params) != len(args):
            raise WolframError("Function called with the wrong number of arguments")
        return self.scoped(dict(zip(f.params, args)), lambda: self.ev(f.body))

    def h_Span(self, a, b, s="1"):
        return SpanV(self.ev(a), self.ev(b), self.ev(s))

    def h_If(self, c, a, b, u=None):
        c = self.ev(c)
        if c is True:
            return self.ev(a)
        if c is False:
            return self.ev(b)
        if u is not None:
            return self.ev(u)
        raise WolframError("If with a condition that is neither True nor False stays unevaluated")

    def h_And(self, *a):
        for x in a:
            v = self.ev(x)
            if v is False:
                return False
            if v is not True:
                raise WolframError("And of a non-boolean")
        return True

    # -- iteration
    def iterate(self, iters, body, combine):
        def rec(k):
            spec = iters[k][1:]
            name = spec[0]
            lo, hi = (1.0, self.ev(spec[1])) if len(spec) == 2 else (self.ev(spec[1]), self.ev(spec[2]))
            out = []
            for v in range(to_index(lo), to_index(hi) + 1):
                inner = (lambda: self.ev(body)) if k == len(iters) - 1 else (lambda: combine(rec(k + 1)))
                out.append(self.scoped({name: float(v)}, inner))
            return out

        return combine(rec(0))

    def h_Table(self, body, *iters):
        return self.iterate(list(iters), body, make_list)

    def h_Sum(self, body, *iters):
        return self.iterate(list(iters), body, lambda xs: plus(*xs))

    def h_Fold(self, f, x0, xs):
        f, acc, xs = self.ev(f), self.ev(x0), self.ev(xs)
        for x in xs:
            acc = self.apply(f, [acc, x])
        return acc

    def h_FoldList(self, f, x0, xs):
        f, acc, xs = self.ev(f), self.ev(x0), self.ev(xs)
        out = [acc]
        for x in xs:
            acc = self.apply(f, [acc, x])
            out.append(acc)
        return make_list(out)

    # -- mapping
    def h_Map(self, f, x, level=None):
        f, x = self.ev(f), self.ev(x)
        if level is None:
            n = 1
        else:
            spec = self.ev(level)
            if not isinstance(spec, np.ndarray) or spec.shape != (1,):
                raise WolframError("Map level spec not modelled")
            n = to_index(spec[0])
        if isinstance(x, list):
            if n != 1:
                raise WolframError("Map below level 1 of a ragged list not modelled")
            return make_list([self.apply(f, [e]) for e in x])
        x = arr(x)
        if n < 0:
            n = x.ndim + 1 + n
        if not 1 <= n <= x.ndim:
            raise WolframError(f"Map at level {n} of an array of depth {x.ndim}")
        if n == x.ndim:
            fast = self.pointwise(f, [x])
            if fast is not None:
                return fast
        return self.assemble(x.shape[:n], [self.apply(f, [x[i]]) for i in np.ndindex(*x.shape[:n])])

    def h_MapThread(self, f, lists, n):
        f, lists, n = self.ev(f), self.ev(lists), to_index(self.ev(n))
        lists = [arr(a) for a in lists]
        lead = lists[0].shape[:n]
        if any(a.ndim < n or a.shape[:n] != lead for a in lists):
            raise WolframError(f"MapThread::mptc: Incompatible dimensions of objects {', '.join(describe(a) for a in lists)} at level {n}.")
        if all(a.ndim == n for a in lists):
            fast = self.pointwise(f, lists)
            if fast is not None:
                return fast
        return self.assemble(lead, [self.apply(f, [a[i] for a in lists]) for i in np.ndindex(*lead)])

    def assemble(self, lead, results):
        r = make_list(results)
        if isinstance(r, np.ndarray):
            return r.reshape(tuple(lead) + r.shape[1:])
        raise WolframError("Map produced a ragged result")

    def pointwise(self, f, arrays):
        """Applies f to all elements at once when f treats atoms as a scalar function; else None."""
        if isinstance(f, Sym):
            return POINTWISE[f.name](*arrays) if f.name in POINTWISE else None
        if not isinstance(f, Fn):
            return None
        env = {("#", i + 1): a for i, a in enumerate(arrays)} if f.params is None else {p: a for p, a in zip(f.params, arrays)}
        try:
            return self.pw(f.body, env, f.params is None)
        except NotPointwise:
            return None

    def pw(self, node, env, slots):
        if isinstance(node, str):
            if node in env:
                return env[node]
            v = self.ev(node)
            if not is_num(v):
                raise NotPointwise()
            return v
        head = node[0]
        if head == "Slot" and slots:
            return env[("#", int(node[1]))]
        if not contains_free(node, env, slots):
            v = self.ev(node)
            if not is_num(v):
                raise NotPointwise()
            return v
        f = POINTWISE.get(head)
        if f is None:
            raise NotPointwise()
        return f(*[self.pw(a, env, slots) for a in node[1:]])


class NotPointwise(Exception):
    pass


def contains_free(node, env, slots):
    if isinstance(node, str):
        return node in env
    if node[0] == "Slot":
        return slots
    if node[0] == "Function":
        return True
    return any(contains_free(a, env, slots) for a in node[1:])


def flat(v):
    if isinstance(v, np.ndarray):
        return v.ravel().tolist()
    if isinstance(v, list):
        return [y for x in v for y in flat(x)]
    return [float(v)]


def run(path, cases):
    tree, literals = parse(open(path).read())
    # --weights symbolic: `PARAMS = {...}; Function[{params, input1, ...}, ...]`, called as f[PARAMS, input1, ...].
    lead = []
    if tree[0] == "CompoundExpression":
        setup = Interp(literals)
        for statement in tree[1:-1]:
            if statement != "Null":
                setup.ev(statement)
        literals = setup.scopes[0]
        tree = tree[-1]
        if "PARAMS" in literals:
            lead = [literals["PARAMS"]]
    if tree[0] != "Function":
        raise WolframError(f"expected Function[...], found {tree[0]}")
    params = tree[1][1:] if isinstance(tree[1], list) else [] if tree[1] == "nnEmptyList" else [tree[1]]
    answers = []
    for inputs in cases:
        if len(lead) + len(inputs) != len(params):
            raise WolframError(f"{len(params)} parameters, {len(lead)} + {len(inputs)} arguments")
        it = Interp(literals)
        for p, x in zip(params, lead + [np.array(x, dtype=np.float64) if isinstance(x, list) else float(x) for x in inputs]):
            it.scopes[0][p] = x
        value = it.ev(tree[2])
        answers.append([y if math.isfinite(y) else nonfinite(y) for y in flat(value)])
    return answers


def nonfinite(y):
    """null, or with NN2EQ_WOLFRAM_NONFINITE set, the strings NaN, Infinity, -Infinity (JSON has neither)."""
    if not NONFINITE:
        return None
    return "NaN" if math.isnan(y) else "Infinity" if y > 0 else "-Infinity"


NONFINITE = False


def main():
    global NONFINITE
    if sys.argv[-1] == "--nonfinite":
        NONFINITE = True
        sys.argv.pop()
    if sys.argv[1] == "--batch":
        out = []
        for path, cases in json.load(sys.stdin):
            try:
                out.append(run(path, cases))
            except (WolframError, SyntaxError, ValueError, TypeError, IndexError, KeyError) as e:
                out.append({"error": f"{type(e).__name__}: {e}"})
        print(json.dumps(out))
    else:
        print(json.dumps(run(sys.argv[1], json.load(sys.stdin))))


if __name__ == "__main__":
    main()
