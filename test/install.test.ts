/**
 * Install weight (issue 23, item 5): TensorFlow.js and ONNX Runtime, the --verify oracles, are
 * optional peer dependencies (installed for development as devDependencies), so `npm install nn2eq`
 * does not fetch their ~420 MB. The packed package, with only its dependencies beside it, converts;
 * --verify without an oracle ends in one line naming the package to install.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, tmpDir } from './helpers.js';

interface Pkg {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Pkg;
const ORACLES = ['@tensorflow/tfjs', 'onnxruntime-web'];

describe('the oracles are optional', () => {
  it('package.json: not dependencies; optional peers; devDependencies, so npm ci installs them for the tests', () => {
    for (const o of ORACLES) {
      expect(pkg.dependencies[o]).toBeUndefined();
      expect(pkg.peerDependencies?.[o]).toBeDefined();
      expect(pkg.peerDependenciesMeta?.[o]?.optional).toBe(true);
      expect(pkg.devDependencies[o]).toBe(pkg.peerDependencies?.[o]);
    }
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }> };
    for (const o of ORACLES) {
      expect(lock.packages[''].devDependencies?.[o]).toBe(pkg.devDependencies[o]);
      expect(lock.packages[`node_modules/${o}`]?.dev).toBe(true);
    }
  });

  // The package as npm install nn2eq lays it out: the tarball unpacked into node_modules/nn2eq, its
  // dependencies beside it (linked from this checkout, so no network), and no oracle anywhere above.
  const scratch = tmpDir();
  const modules = join(scratch, 'node_modules');
  const bin = join(modules, 'nn2eq', 'bin', 'nn2eq.js');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: scratch, encoding: 'utf8' });

  it('npm pack, then unpack with the dependencies only', () => {
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [{ filename }] = JSON.parse(out) as { filename: string }[];
    mkdirSync(join(modules, 'nn2eq'), { recursive: true });
    execFileSync('tar', ['-xzf', join(scratch, filename), '-C', join(modules, 'nn2eq'), '--strip-components=1']);
    for (const dep of Object.keys(pkg.dependencies)) {
      mkdirSync(join(modules, dep, '..'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(modules, dep));
    }
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    expect(readdirSync(modules).some((d) => d === '@tensorflow' || d === 'onnxruntime-web')).toBe(false);
  }, 60_000);

  it('converts without them', () => {
    const r = run([join(FIXTURES, 'medium_1_3_2_1', 'model.json'), '-f', 'numpy']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('def predict(');
  });

  it('--verify without TensorFlow.js: one line naming the package, exit 2', () => {
    const r = run([join(FIXTURES, 'medium_1_3_2_1', 'model.json'), '-f', 'js', '--verify']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nn2eq: --verify compares with TensorFlow\.js \(@tensorflow\/tfjs\), which is not installed; hint: npm install @tensorflow\/tfjs [^\n]*\n$/);
  }, 60_000);

  it('--verify of an ONNX model without ONNX Runtime: one line naming the package, exit 2', () => {
    const dir = join(FIXTURES, 'onnx', 'cnn_opset17');
    const model = join(dir, readdirSync(dir).find((f) => f.endsWith('.onnx'))!);
    const r = run([model, '-f', 'js', '--verify']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nn2eq: --verify on an ONNX model compares with ONNX Runtime \(onnxruntime-web\), which is not installed; hint: npm install onnxruntime-web [^\n]*\n$/);
  }, 60_000);
});
