// A setup file of `npm run mutate` only (vitest.mutate.config.ts): loads, before any test starts,
// every module of src/ that the library imports on demand (`await import(…)`). Stryker's per-test
// coverage gives a mutant to the tests that ran its code; a module's top-level code (the op tables:
// `Sin: trig('sin', Math.sin)`) runs when the module is first imported, and imported inside a test it
// was counted as covered by that one test alone, which then ran alone against the mutant (trig.ts:
// 10 of 11 op-table mutants "survived", each run only against test_acos). Loaded here, that code
// runs outside every test: Stryker counts its mutants as static and runs them against every test
// with the module loaded afresh.
import '../src/load/onnx/index.js';
import '../src/load/tfgraph.js';
import '../src/extract/onnx/index.js';
import '../src/extract/tf/index.js';
import '../src/transform/pipeline.js';
import '../src/transform/layout.js';
import '../src/transform/depthwise.js';
import '../src/verify/index.js';
import '../src/emit/latex/tensor.js';
