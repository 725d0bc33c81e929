import { conformanceFamilies } from './onnx-backend-src.js';

// ONNX's conformance cases (test/onnx-backend/node) of a few op families, converted through src/
// in this process and run as the JS tensor form, against the expected outputs ONNX ships with each
// case. onnx-backend.test.ts runs every case in every form, but through dist/ and only where python3
// and gcc are present; this file is what `npm run mutate` runs for the extractors of these families
// (src/extract/onnx/trig.ts, loss.ts, gridsample.ts, scatter.ts with OneHot and GatherElements,
// reduce.ts with Softmax and LogSoftmax): one test per case, so a
// mutant runs only the cases that reach it. Each case here is one recorded as passing in JS
// (test/onnx-backend/passing.json). Not a *.test.ts file, so `npm test` leaves it out (about 350
// cases, 20 s on the shared machine, the same checks onnx-backend.test.ts makes through dist/):
// only `npm run mutate` runs it (a scope's test list names it), or
// `NN2EQ_MUTATE_TESTS=test/onnx-backend-src.mutate.ts npx vitest run -c vitest.mutate.config.ts`.

const FAMILIES: Record<string, RegExp> = {
  trig: /^test_(a?sin|a?cos|a?tan|a?sinh|a?cosh|a?tanh)(_example)?$/,
  loss: /^test_(nllloss|sce)_/,
  gridsample: /^test_(gridsample|affine_grid)/,
  scatter: /^test_(scatter|onehot|gather_elements)/,
  reduce: /^test_(reduce_|softmax|logsoftmax)/,
};

conformanceFamilies(FAMILIES);
