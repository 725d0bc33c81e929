import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, tmpDir } from './helpers.js';

// The package as a user gets it: `npm pack` (of the built dist/), unpacked into a scratch project's
// node_modules as npm install would; its dependencies are linked from this checkout's
// node_modules so the test needs no network. Then imported by name, from JS and from TypeScript.
describe('the packed package, imported as a user would', () => {
  const scratch = tmpDir();
  const modules = join(scratch, 'node_modules');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; version: string };

  it('npm pack, then unpack into node_modules/nn2eq', () => {
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [{ filename, files }] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('bin/nn2eq.js');
    expect(paths).toContain('schema/nn2eq-ir.schema.json');
    // The browser page ships with the package (issue 21): `nn2eq serve` serves it from dist/web.
    expect(paths).toContain('dist/web/index.html');
    expect(paths).toContain('dist/web/worker.js');
    expect(paths.some((p) => p.startsWith('src/') || p.startsWith('test/') || p.startsWith('fixtures/'))).toBe(false);
    mkdirSync(join(modules, 'nn2eq'), { recursive: true });
    execFileSync('tar', ['-xzf', join(scratch, filename), '-C', join(modules, 'nn2eq'), '--strip-components=1']);
    for (const dep of Object.keys(pkg.dependencies)) {
      mkdirSync(join(modules, dep, '..'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(modules, dep));
    }
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  }, 60_000);

  it("import { load, convert, emit, verify, diff } from 'nn2eq' works in node", () => {
    const model = join(FIXTURES, 'mathematica_3_2_2_2', 'model.json');
    writeFileSync(
      join(scratch, 'use.mjs'),
      `import { load, convert, emit, verify, diff, schedule, extract } from 'nn2eq';
const model = await load(${JSON.stringify(model)});
const c = await convert(model, { format: 'c' });
const ex = extract(model);
const js = emit(schedule(ex.graph, ex.inputs, ex.outputs, ex.outputIds, false), 'js');
const d = diff(model, model);
console.log(JSON.stringify({ c: c.includes('void predict('), js: js.includes('export function predict('), equal: d.equal, verify: typeof verify }));
`,
    );
    const out = execFileSync(process.execPath, ['use.mjs'], { cwd: scratch, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ c: true, js: true, equal: true, verify: 'function' });
  }, 60_000);

  it('has TypeScript types that a strict NodeNext project accepts', () => {
    writeFileSync(
      join(scratch, 'use.ts'),
      `import { convert, diff, load, type DiffReport, type ModelSpec } from 'nn2eq';
const model: ModelSpec = await load('m.json');
const text: string = await convert(model, { format: 'numpy', precision: 4 });
const report: DiffReport = diff(model, model, { tolerance: 1e-6 });
// @ts-expect-error an unknown format is a type error
await convert(model, { format: 'fortran' });
export { text, report };
`,
    );
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }));
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', scratch], { cwd: scratch, encoding: 'utf8' });
  }, 120_000);

  it('the bin runs from the package', () => {
    const out = execFileSync(process.execPath, [join(modules, 'nn2eq', 'bin', 'nn2eq.js'), '--version'], { cwd: scratch, encoding: 'utf8' });
    expect(out.trim()).toBe(pkg.version);
  });
});
