// Runs StrykerJS through its API with the options scripts/mutate.mjs passes as JSON (argv[2]), over
// stryker.config.mjs. @stryker-mutator/core's package entry loads its CLI, which refuses Node.js
// below 22 at import; the engine itself (dist/src/stryker.js) is imported directly.
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { Stryker } = await import(pathToFileURL(resolve(ROOT, 'node_modules/@stryker-mutator/core/dist/src/stryker.js')).href);
const overrides = JSON.parse(process.argv[2] ?? '{}');
const results = await new Stryker({ configFile: 'stryker.config.mjs', ...overrides }).runMutationTest();
const killed = results.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
const counted = results.filter((m) => ['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(m.status)).length;
console.log(`mutation score: ${killed}/${counted} killed (${counted ? ((100 * killed) / counted).toFixed(1) : '-'}%)`);
