import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const SERVER = join(resolve(__dirname), 'py', 'server.py');

/** Debian's python3 with numpy and sympy, or why there is none (the interpreter on PATH may be another one). */
export function probePython(): { exe: string; skip: string | null } {
  const candidates = [process.env.NN2EQ_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[];
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import numpy, sympy'], { encoding: 'utf8' });
    if (r.status === 0) return { exe, skip: null };
  }
  return { exe: '', skip: `python3 with numpy and sympy not found (tried ${candidates.join(', ')}); apt-get install -y python3-numpy python3-sympy` };
}

/** What a script run by runScript did: its exit status, and what it printed. */
export interface ScriptResult {
  status: number;
  stdout: string;
  stderr: string;
}

interface Server {
  child: ChildProcess;
  /** The answer being waited for, if any. */
  pending: { resolve: (r: ScriptResult) => void; reject: (e: Error) => void } | null;
  buffer: string;
  stderr: string;
}

/** At most this many python3 servers per test file (the machine has two cores). */
const MAX_SERVERS = 2;
const idle = new Map<string, Server[]>();
const started = new Map<string, number>();
const waiting = new Map<string, ((s: Server) => void)[]>();

function startServer(exe: string): Server {
  const child = spawn(exe, [SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const server: Server = { child, pending: null, buffer: '', stderr: '' };
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
    p?.resolve(JSON.parse(line) as ScriptResult);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => void (server.stderr += chunk));
  let dead = false;
  const died = (why: string) => {
    if (dead) return;
    dead = true;
    started.set(exe, (started.get(exe) ?? 1) - 1);
    idle.set(exe, (idle.get(exe) ?? []).filter((s) => s !== server));
    const p = server.pending;
    server.pending = null;
    p?.reject(new Error(`python3 (${SERVER}) ${why}: ${server.stderr}`));
    // Someone waiting for a server gets a new one.
    const next = waiting.get(exe)?.shift();
    if (next) next(grow(exe));
  };
  child.on('error', (e) => died(`could not start: ${e.message}`));
  child.on('exit', (code, signal) => died(`exited (${signal ?? code})`));
  return server;
}

/** A server at work keeps the test worker alive; an idle one does not (it exits when its stdin closes). */
function hold(server: Server, busy: boolean): void {
  const { child } = server;
  for (const h of [child, child.stdin, child.stdout, child.stderr] as unknown as { ref?: () => void; unref?: () => void }[]) (busy ? h?.ref : h?.unref)?.call(h);
}

function grow(exe: string): Server {
  started.set(exe, (started.get(exe) ?? 0) + 1);
  return startServer(exe);
}

async function acquire(exe: string): Promise<Server> {
  const free = idle.get(exe)?.pop();
  if (free) return free;
  if ((started.get(exe) ?? 0) < MAX_SERVERS) return grow(exe);
  return new Promise((r) => waiting.set(exe, [...(waiting.get(exe) ?? []), r]));
}

function release(exe: string, server: Server): void {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const next = waiting.get(exe)?.shift();
  if (next) next(server);
  else idle.set(exe, [...(idle.get(exe) ?? []), server]);
}

/**
 * Runs a python script (`script`: a file, or `code`: `python3 -c code`) with `args` and `stdin`, as
 * `python3 script args…` would, in one of a few python3 processes kept for the test file
 * (test/py/server.py): numpy and sympy are imported once per file instead of once per run.
 */
export async function runScript(exe: string, what: { script: string } | { code: string }, args: readonly string[], stdin: string): Promise<ScriptResult> {
  const server = await acquire(exe);
  hold(server, true);
  try {
    return await new Promise<ScriptResult>((resolvePromise, reject) => {
      server.pending = { resolve: resolvePromise, reject };
      server.child.stdin!.write(JSON.stringify({ script: 'script' in what ? what.script : null, code: 'code' in what ? what.code : null, argv: args, stdin }) + '\n');
    });
  } finally {
    hold(server, false);
    release(exe, server);
  }
}
