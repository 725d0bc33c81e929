// Every test file may print a tensor form synchronously (convertModel, convertWithIR), as the
// library's users may (src/index.ts loads every printer): the registry loads them on demand.
import { loadTensorEmitters } from '../src/emit/index.js';

await loadTensorEmitters();
