// Runs ONNX models in onnxruntime-web (WebAssembly, one thread) for the fixture scripts.
// stdin: JSON [{ model: path, inputs: [{ name, dims }], cases: [[flat float32 values per input]] }]
// stdout: JSON [{ version, cases: [[{ name, dims, values }]] }], one entry per model, outputs in graph order.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const version = ort.env.versions.web;
const request = JSON.parse(readFileSync(0, 'utf8'));
const answers = [];
for (const job of request) {
  const session = await ort.InferenceSession.create(readFileSync(job.model), { executionProviders: ['wasm'] });
  const cases = [];
  for (const values of job.cases) {
    const feeds = {};
    job.inputs.forEach((input, i) => (feeds[input.name] = new ort.Tensor('float32', Float32Array.from(values[i]), input.dims)));
    const result = await session.run(feeds);
    cases.push(session.outputNames.map((name) => ({ name, dims: [...result[name].dims], values: Array.from(result[name].data, Number) })));
  }
  await session.release();
  answers.push({ version, cases });
}
process.stdout.write(JSON.stringify(answers));
