"""Runs an emitted NumPy module on a batch: argv[1] = module path; stdin = JSON list of cases,
each a list of inputs (one per model input). Prints JSON: one list of outputs per case."""
import importlib.util
import json
import sys

import numpy as np

spec = importlib.util.spec_from_file_location("emitted", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
cases = json.load(sys.stdin)
n_inputs = len(cases[0])
batch = [np.array([c[k] for c in cases], dtype=np.float64) for k in range(n_inputs)]
# --weights symbolic: predict(PARAMS, ...) must equal the numeric form.
out = mod.predict(mod.PARAMS, *batch) if hasattr(mod, "PARAMS") else mod.predict(*batch)
outs = out if isinstance(out, list) else [out]
print(json.dumps([[o[i].tolist() for o in outs] for i in range(len(cases))]))
