import type { TestProject } from 'vitest/node';
import { probePython } from './pyserver.js';

/** Probes once per run what every test file would probe again (importing sympy takes a while). */
export default function setup(project: TestProject): void {
  project.provide('python', probePython());
}
