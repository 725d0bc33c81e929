import { spawn, type ChildProcess } from 'node:child_process';

/**
 * One python3 kept per interpreter (two when two runs overlap) that runs the --verify drivers, so
 * numpy and sympy are imported once per process instead of once per run: `nn2eq serve`, the
 * library verifying many models, and the test suite each verify hundreds of texts.
 *
 * A job runs as `python3 -c code args…` with `stdin` would: as __main__, with that argv and stdin,
 * its stdout and stderr captured, its exit status (an uncaught exception: 1 and the traceback the
 * interpreter prints). What a job changes in the interpreter (warning filters, NumPy's error
 * state, the recursion limit, sys.path, the working directory) is put back before the next. An
 * idle python3 does not keep node running; it exits when node does (its stdin closes).
 */
const SERVER = `
import io, json, os, sys, traceback, warnings
answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)  # a job writing to fd 1 itself cannot break the answers
try:
    import numpy as np
except ImportError:
    np = None

def run(job):
    out, err = io.StringIO(), io.StringIO()
    saved = (sys.argv, sys.stdin, sys.stdout, sys.stderr, list(sys.path), os.getcwd(), sys.getrecursionlimit(), np.geterr() if np else None)
    status = 0
    try:
        with warnings.catch_warnings():
            sys.stdin, sys.stdout, sys.stderr = io.StringIO(job["stdin"]), out, err
            sys.argv = ["-c"] + job["argv"]
            sys.path.insert(0, "")
            exec(compile(job["code"], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit as e:
        if e.code is None:
            status = 0
        elif isinstance(e.code, int):
            status = e.code
        else:
            err.write(f"{e.code}\\n")
            status = 1
    except BaseException as e:
        err.write("".join(traceback.format_exception(type(e), e, e.__traceback__.tb_next)))
        status = 1
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr, sys.path[:], cwd, limit, np_err = saved
        os.chdir(cwd)
        sys.setrecursionlimit(limit)
        if np:
            np.seterr(**np_err)
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}

for line in sys.stdin:
    if line.strip():
        answers.write(json.dumps(run(json.loads(line))) + "\\n")
        answers.flush()
`;

interface Answer {
  status: number;
  stdout: string;
  stderr: string;
}

interface Server {
  readonly exe: string;
  readonly child: ChildProcess;
  pending: { resolve: (a: Answer) => void; reject: (e: Error) => void } | null;
  buffer: string;
  stderr: string;
  dead: boolean;
}

/** At most this many python3 per interpreter: a run waits for one to be free (the machine's cores do the work). */
const MAX_SERVERS = 2;
const idle = new Map<string, Server[]>();
const count = new Map<string, number>();
const waiting = new Map<string, ((s: Server) => void)[]>();

function hold(server: Server, busy: boolean): void {
  const { child } = server;
  for (const h of [child, child.stdin, child.stdout, child.stderr] as unknown as { ref?: () => void; unref?: () => void }[]) (busy ? h?.ref : h?.unref)?.call(h);
}

function start(exe: string): Server {
  count.set(exe, (count.get(exe) ?? 0) + 1);
  const child = spawn(exe, ['-c', SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const server: Server = { exe, child, pending: null, buffer: '', stderr: '', dead: false };
  hold(server, false);
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    server.buffer += chunk;
    const end = server.buffer.indexOf('\n');
    if (end < 0) return;
    const line = server.buffer.slice(0, end);
    server.buffer = server.buffer.slice(end + 1);
    const p = server.pending;
    server.pending = null;
    p?.resolve(JSON.parse(line) as Answer);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => void (server.stderr += chunk));
  // A write to a python3 that has died is reported by 'exit' below.
  child.stdin!.on('error', () => {});
  const died = (why: string) => {
    if (server.dead) return;
    server.dead = true;
    count.set(exe, (count.get(exe) ?? 1) - 1);
    idle.set(exe, (idle.get(exe) ?? []).filter((s) => s !== server));
    const p = server.pending;
    server.pending = null;
    p?.reject(new Error(server.stderr.trim() || `${exe} ${why}`));
    // A run waiting for a python3 gets a new one.
    const next = waiting.get(exe)?.shift();
    if (next) next(start(exe));
  };
  child.on('error', (e) => died(`could not start: ${e.message}`));
  child.on('exit', (code, signal) => died(`exited (${signal ?? code})`));
  return server;
}

function acquire(exe: string): Promise<Server> {
  const free = idle.get(exe)?.pop();
  if (free) return Promise.resolve(free);
  if ((count.get(exe) ?? 0) < MAX_SERVERS) return Promise.resolve(start(exe));
  return new Promise((r) => waiting.set(exe, [...(waiting.get(exe) ?? []), r]));
}

function release(server: Server): void {
  if (server.dead) return;
  const next = waiting.get(server.exe)?.shift();
  if (next) next(server);
  else idle.set(server.exe, [...(idle.get(server.exe) ?? []), server]);
}

/**
 * Runs `exe -c code args…` with `stdin` in a kept python3; resolves to what it printed, or rejects
 * with its stderr (else its exit status) when it fails, as execFile would.
 */
export async function runPythonCode(exe: string, code: string, args: readonly string[], stdin: string): Promise<string> {
  const server = await acquire(exe);
  hold(server, true);
  try {
    const answer = await new Promise<Answer>((resolve, reject) => {
      if (server.dead) return reject(new Error(server.stderr.trim() || `${exe} exited`));
      server.pending = { resolve, reject };
      server.child.stdin!.write(JSON.stringify({ code, argv: args, stdin }) + '\n');
    });
    if (answer.status !== 0) throw new Error(answer.stderr || `Command failed: ${exe} -c … (exit status ${answer.status})`);
    return answer.stdout;
  } finally {
    hold(server, false);
    release(server);
  }
}
