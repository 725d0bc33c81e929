"""Evaluates emitted Wolfram Language text by an independent route: SymPy's parse_mathematica.
argv[1] = path of the .wl text; stdin = JSON list of cases (flat scalar inputs x1..xN).
Prints JSON: the flat outputs of every case."""
import json
import math
import re
import sys

from sympy import Tuple, lambdify
from sympy.parsing.mathematica import parse_mathematica

text = open(sys.argv[1]).read()
text = re.sub(r"\(\*.*?\*\)", "", text, flags=re.S).strip()
# SymPy does not read Wolfram's *^ number literals: 1.5*^-7 -> (1.5*10^(-7)).
text = re.sub(r"(\d+(?:\.\d+)?)\*\^(-?\d+)", r"(\1*10^(\2))", text)

m = re.match(r"Function\[\{([^}]*)\},\s*(.*)\]\s*$", text, flags=re.S)
params = [p.strip() for p in m.group(1).split(",")]
body = m.group(2).strip()
bindings = []
if body.startswith("Block["):
    inner = body[len("Block["):].rstrip()
    assert inner.endswith("]")
    inner = inner[:-1]
    first = inner.index("}")
    statements = [s.strip() for s in inner[first + 1:].split(";")]
    statements[0] = statements[0].lstrip(",").strip()
    result = statements.pop()
    for s in statements:
        name, rhs = s.split("=", 1)
        bindings.append((name.strip(), rhs.strip()))
else:
    result = body

FUNCS = {
    "LogisticSigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z)),
    "Erf": math.erf,
    "Max": max,
    "Min": min,
    "Boole": lambda c: 1.0 if c else 0.0,
    # Part[table, i, j] on a nested list (1-based), as Wolfram reads emb1[[i, j]].
    "Part": lambda t, *ix: _part(t, ix),
}


def _part(t, ix):
    for i in ix:
        t = t[int(i) - 1]
    return t


def compile_expr(src):
    expr = parse_mathematica(src)
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    return [s.name for s in syms], lambdify(syms, expr, modules=[FUNCS, "math"])


def flatten(v):
    if isinstance(v, (list, tuple, Tuple)):
        return [y for x in v for y in flatten(x)]
    return [v]


compiled = [(name, *compile_expr(rhs)) for name, rhs in bindings]
res = parse_mathematica(result)
leaves = flatten(res)
outputs = []
for leaf in leaves:
    syms = sorted(leaf.free_symbols, key=lambda s: s.name)
    outputs.append(([s.name for s in syms], lambdify(syms, leaf, modules=[FUNCS, "math"])))

cases = json.load(sys.stdin)
answers = []
for xs in cases:
    env = dict(zip(params, xs))
    for name, names, f in compiled:
        v = f(*[env[n] for n in names])
        # A lookup table stays a nested list; every other binding is a number.
        env[name] = v if isinstance(v, (list, tuple)) else float(v)
    answers.append([float(f(*[env[n] for n in names])) for names, f in outputs])
print(json.dumps(answers))
