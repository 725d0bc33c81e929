import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { probePython } from './pyserver.js';

/**
 * Probes once per run what every test file would probe again (importing sympy takes a while), and
 * gives the run one temporary folder, removed when the run ends.
 *
 * The folder: TMPDIR points into it before the test workers start, so every temporary file of the
 * run lands there: test/helpers.ts's per-worker folder (emitted modules, C builds; ~660 MB a run),
 * the test files' own mkdtemp folders, --verify's scratch folders, chromium profiles, and what
 * python3 and gcc write. It is removed here, after the last worker has ended, so nothing a later
 * test file in the same worker reads (test/helpers.ts keeps compiled objects and drivers for the
 * whole worker) goes early, and nothing is left in /tmp by a run, even one stopped by a failure.
 */
export default function setup(project: TestProject): () => void {
  project.provide('python', probePython());
  const root = mkdtempSync(join(tmpdir(), 'nn2eq-test-run-'));
  process.env.TMPDIR = root;
  return () => {
    // A chromium helper may still be writing into its profile for a moment (test/browser.ts): retry,
    // and if the folder still cannot go, say so; cleaning up is no check, so the run does not fail for it.
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch (e) {
      console.warn(`could not remove the run's temporary folder ${root}: ${(e as Error).message}`);
    }
  };
}
