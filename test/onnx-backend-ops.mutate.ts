import { conformanceFamilies } from './onnx-backend-src.js';

// ONNX's conformance cases of the ops of src/extract/onnx/reduce.ts and scatter.ts that
// test/onnx-backend-src.mutate.ts leaves out (ArgMax/ArgMin, TopK, Hardmax, LpNormalization,
// MeanVarianceNormalization; GatherND), converted through src/ in-process and run as the JS tensor
// form against the expected outputs ONNX ships (test/onnx-backend-src.ts): what a mutant of those
// extractors can be caught by. Mutate-only, like that file (the reduce and scatter scopes name it;
// `npm test` runs the same cases through dist/ in onnx-backend.test.ts): 56 cases, a few seconds.

conformanceFamilies({
  argmax: /^test_arg(max|min)_/,
  topk: /^test_top_k/,
  hardmax: /^test_hardmax_/,
  lpnormalization: /^test_lpnormalization_/,
  mvn: /^test_mvn/,
  gathernd: /^test_gathernd_/,
});
