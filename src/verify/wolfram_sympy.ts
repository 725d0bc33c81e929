/**
 * The Wolfram route without Mathematica: a Python script that reads emitted Wolfram Language text
 * with SymPy's Mathematica parser into FullForm and evaluates it with a small interpreter. Used by
 * --verify when wolframscript is absent and python3 has sympy, and by the tests.
 */
export const WOLFRAM_SYMPY_DRIVER = String.raw`"""Evaluates emitted Wolfram Language text by an independent route: SymPy's Mathematica parser
reads the whole text into Wolfram FullForm (Function, Block, CompoundExpression, Set, Plus, Times,
Power, ...), and a small interpreter here evaluates that FullForm numerically.
(SymPy's conversion of FullForm into SymPy objects is skipped: it takes minutes on large models.)
argv[1] = path of the .wl text; stdin = JSON list of cases (flat scalar inputs x1..xN).
Prints JSON: the flat outputs of every case."""
import json
import math
import re
import sys

from sympy.parsing.mathematica import MathematicaParser

sys.setrecursionlimit(1_000_000)

text = open(sys.argv[1]).read()
text = re.sub(r"\(\*.*?\*\)", "", text, flags=re.S).strip()
# SymPy does not read Wolfram's *^ number literals: 1.5*^-7 -> (1.5*10^(-7)).
text = re.sub(r"(\d+(?:\.\d+)?)\*\^(-?\d+)", r"(\1*10^(\2))", text)

parser = MathematicaParser()
tree = parser._from_tokens_to_fullformlist(parser._from_mathematica_to_tokens(text))


def logistic(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def product(xs):
    p = 1.0
    for x in xs:
        p *= x
    return p


class ComplexResult(ValueError):
    pass


def real(name, f, ok):
    # Wolfram computes Log, Sqrt, ... of a real outside their real domain as a complex number
    # (ref/Log: a branch cut along the negative real axis; ref/Sqrt: negative numbers have imaginary
    # square roots), not NaN: a complex value is an error here, never more lenient than Wolfram.
    def g(z):
        if not math.isnan(z) and not ok(z):
            raise ComplexResult(f"{name}[{z!r}] is a complex number in Wolfram, where IEEE float math gives NaN")
        return f(z)
    return g


def power(a, b):
    a, b = float(a), float(b)
    if a < 0 and math.isfinite(b) and b != int(b):
        raise ComplexResult(f"Power[{a!r}, {b!r}] is a complex number in Wolfram, where IEEE float math gives NaN")
    try:
        return a ** b
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        return math.inf


def part(t, *ix):
    """Wolfram's Part: 1-based, negative from the end; no wrap-around and no truncation as Python's t[i]."""
    for i in ix:
        k = int(float(i))
        if not isinstance(t, list):
            raise ValueError("Part::partd: Part specification is longer than depth of object.")
        if k != float(i) or k == 0 or abs(k) > len(t):
            raise ValueError(f"Part::partw: Part {i} of a list of length {len(t)} does not exist.")
        t = t[k - 1 if k > 0 else len(t) + k]
    return t


def compare(op):
    # A comparison with Indeterminate (NaN) stays unevaluated in Wolfram: None here, for If's fourth argument.
    return lambda a, b: None if math.isnan(a) or math.isnan(b) else op(a, b)


def boole(c):
    if c is True or c is False:
        return 1.0 if c else 0.0
    raise ValueError(f"Boole of a non-boolean stays unevaluated: {c!r}")


FUNCS = {
    # Infinity - Infinity is Indeterminate in Wolfram (ref/Indeterminate), where fsum raises.
    "Plus": lambda *a: math.fsum(a) if all(math.isfinite(v) for v in a) else sum(a),
    "Times": lambda *a: product(a),
    "Power": power,
    # Max and Min are NumericFunctions: Indeterminate among the arguments gives Indeterminate (ref/Indeterminate).
    "Max": lambda *a: math.nan if any(math.isnan(v) for v in a) else max(a),
    "Min": lambda *a: math.nan if any(math.isnan(v) for v in a) else min(a),
    "Exp": lambda z: math.exp(z) if z < 709 or math.isnan(z) else math.inf,
    # Log[0.] is Indeterminate in Wolfram (an approximate zero), where IEEE gives -Infinity.
    "Log": real("Log", lambda z: math.log(z) if z > 0 else math.nan, lambda z: z >= 0),
    "Tanh": math.tanh,
    "LogisticSigmoid": logistic,
    "Erf": math.erf,
    "Abs": abs,
    "Sqrt": real("Sqrt", lambda z: math.sqrt(z) if not math.isnan(z) else z, lambda z: z >= 0),
    "Boole": boole,
    "Greater": compare(lambda a, b: a > b),
    "GreaterEqual": compare(lambda a, b: a >= b),
    "Equal": compare(lambda a, b: a == b),
    "Unequal": compare(lambda a, b: a != b),
    "Floor": lambda z: float(math.floor(z)) if math.isfinite(z) else z,
    "IntegerPart": lambda z: float(math.trunc(z)) if math.isfinite(z) else z,
    "List": lambda *a: list(a),
    "Part": part,
    # Outside their real domain the inverse trig functions are complex (ref/ArcSin, ref/ArcCosh,
    # ref/ArcTanh), and Sin, Cos, Tan of an infinity an Interval: errors, as for Log.
    "Sin": real("Sin", math.sin, math.isfinite),
    "Cos": real("Cos", math.cos, math.isfinite),
    "Tan": real("Tan", math.tan, math.isfinite),
    "ArcSin": real("ArcSin", math.asin, lambda z: abs(z) <= 1),
    "ArcCos": real("ArcCos", math.acos, lambda z: abs(z) <= 1),
    "ArcTan": math.atan,
    "Sinh": lambda z: math.copysign(math.inf, z) if abs(z) > 710 else math.sinh(z),
    "Cosh": lambda z: math.inf if abs(z) > 710 else math.cosh(z),
    "ArcSinh": math.asinh,
    "ArcCosh": real("ArcCosh", math.acosh, lambda z: z >= 1),
    "ArcTanh": real("ArcTanh", math.atanh, lambda z: abs(z) < 1),
}


def ev(node, env):
    if isinstance(node, str):
        if node in env:
            return env[node]
        return math.nan if node == "Indeterminate" else float(node)
    head, *args = node
    if head == "If":
        # Only the branch taken is evaluated; an undecided condition takes the fourth argument (unevaluated If without one).
        c = ev(args[0], env)
        if c is True or c is False:
            return ev(args[1] if c else args[2], env)
        if len(args) == 4:
            return ev(args[3], env)
        raise ValueError("If with a condition that is neither True nor False stays unevaluated")
    f = FUNCS.get(head)
    if f is None:
        raise ValueError(f"run_wolfram: unknown head {head}")
    return f(*[ev(a, env) for a in args])


# --weights symbolic: PARAMS = {...}; Function[{params, x1, ...}, ...] is called as f[PARAMS, x1, ...].
globals_env = {}
if tree[0] == "CompoundExpression":
    for s in tree[1:-1]:
        if s == "Null":  # SymPy's parser reads "a;\nb" as CompoundExpression[a, Null, b]
            continue
        assert s[0] == "Set", s[0]
        globals_env[s[1]] = ev(s[2], globals_env)
    tree = tree[-1]
assert tree[0] == "Function", tree[0]
params = tree[1][1:]
body = tree[2]
lead = [globals_env["PARAMS"]] if params[:1] == ["params"] else []

cases = json.load(sys.stdin)
answers = []
for xs in cases:
    env = dict(zip(params, lead + [float(x) for x in xs]))
    result = body
    if isinstance(body, list) and body[0] == "Block":
        steps = body[2]
        statements = steps[1:] if steps[0] == "CompoundExpression" else [steps]
        for s in statements[:-1]:
            assert s[0] == "Set", s[0]
            env[s[1]] = ev(s[2], env)
        result = statements[-1]
    value = ev(result, env)

    def flatten(v):
        return [y for x in v for y in flatten(x)] if isinstance(v, list) else [float(v)]

    answers.append(flatten(value))
print(json.dumps(answers))
`;
