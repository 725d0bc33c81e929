"""One python3 that runs many test scripts, so numpy and sympy are imported once per test file
instead of once per case (test/helpers.ts, runScript).

A job is one line of JSON on stdin: {"script": path or null, "code": source or null, "argv": [...],
"stdin": text}. It runs as `python3 script argv...` (or `python3 -c code argv...`) would: as
__main__, with that argv, that text on stdin, and its stdout and stderr captured. The answer is one
line of JSON on the real stdout: {"status": exit status, "stdout": ..., "stderr": ...}; an uncaught
exception gives status 1 and its traceback on stderr, as the interpreter prints it.
What one job changes in the interpreter (warning filters, NumPy's error state, the recursion
limit, sys.path, the working directory) is put back before the next."""
import io
import json
import os
import sys
import traceback
import warnings

try:  # imported once here, as every job would; a python3 without numpy still runs jobs that need none
    import numpy as np
except ImportError:
    np = None


def run(job):
    out, err = io.StringIO(), io.StringIO()
    saved = (sys.argv, sys.stdin, sys.stdout, sys.stderr, list(sys.path), os.getcwd(), sys.getrecursionlimit(), np.geterr() if np else None)
    status = 0
    try:
        with warnings.catch_warnings():
            sys.stdin, sys.stdout, sys.stderr = io.StringIO(job.get("stdin", "")), out, err
            script = job.get("script")
            if script:
                sys.argv = [script] + job.get("argv", [])
                sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
                with open(script) as f:
                    code = compile(f.read(), script, "exec")
            else:
                sys.argv = ["-c"] + job.get("argv", [])
                sys.path.insert(0, "")
                code = compile(job["code"], "<string>", "exec")
            exec(code, {"__name__": "__main__", "__file__": script or "<string>", "__builtins__": __builtins__})
    except SystemExit as e:
        if e.code is None:
            status = 0
        elif isinstance(e.code, int):
            status = e.code
        else:
            err.write(f"{e.code}\n")
            status = 1
    except BaseException:  # noqa: B036 - the job's failure is its answer, as the interpreter would print it
        err.write(traceback.format_exc())
        status = 1
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr, sys.path[:], cwd, limit, np_err = saved
        os.chdir(cwd)
        sys.setrecursionlimit(limit)
        if np:
            np.seterr(**np_err)
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}


def main():
    # The answers go to the real stdout, whatever a job does with sys.stdout.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(run(json.loads(line))) + "\n")
            answers.flush()


if __name__ == "__main__":
    main()
