import { describe, expect } from 'vitest';
import { runPythonCode } from '../src/verify/python.js';
import { withPython } from './check.js';
import { python } from './helpers.js';

// --verify's kept python3 (src/verify/python.ts): each run as `python3 -c code args…` would be,
// whatever the run before it did.
describe('the kept python3 of --verify', () => {
  const run = (code: string, args: string[] = [], stdin = '') => runPythonCode(python.exe, code, args, stdin);

  withPython('a run sees its argv and stdin, prints to stdout, and the next run is in the same python3', async () => {
    const a = await run('import os, sys; print(sys.argv, sys.stdin.read(), os.getpid())', ['m.py', '2'], 'rows');
    expect(a).toMatch(/^\['-c', 'm\.py', '2'\] rows \d+\n$/);
    const b = await run('import os; print(os.getpid())');
    expect(b.trim()).toBe(a.trim().split(' ').pop());
  });

  withPython('a failing run rejects with its traceback or exit status; the python3 after it still runs', async () => {
    await expect(run('def f():\n    raise ValueError("boom")\nf()')).rejects.toThrow(/Traceback \(most recent call last\):\n {2}File "<string>", line 3, in <module>\n[^]*ValueError: boom\n$/);
    await expect(run('import sys; print("partial"); sys.exit(3)')).rejects.toThrow(/exit status 3/);
    await expect(run('import os; os._exit(4)')).rejects.toThrow(/exited \(4\)/);
    expect(await run('print(6 * 7)')).toBe('42\n');
  });

  withPython('what a run changes (cwd, recursion limit, NumPy error state, warning filters, sys.path) is put back', async () => {
    const state = 'import os, sys, warnings, numpy as np; print(os.getcwd(), sys.getrecursionlimit(), np.geterr()["divide"], len(warnings.filters), len(sys.path))';
    const before = await run(state);
    await run('import os, sys, warnings, numpy as np; os.chdir("/"); sys.setrecursionlimit(123); np.seterr(all="raise"); warnings.simplefilter("ignore"); sys.path.append("/nowhere")');
    expect(await run(state)).toBe(before);
  });

  withPython('two runs at once take two python3s; a third waits for one', async () => {
    const pids = await Promise.all([1, 2, 3].map(() => run('import os, time; time.sleep(0.3); print(os.getpid())')));
    expect(new Set(pids).size).toBeLessThanOrEqual(2);
  });
});
