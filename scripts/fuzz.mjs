// Mutation fuzzing of the loaders: takes real model files (the fixtures, the Keras models in
// test/models), damages one file of a model (JSON nodes of the wrong type, deleted keys, huge or
// negative numbers, edited shapes; flipped bytes, truncation, extension), and converts the result
// in-process and through the CLI. Every case must end in success or in nn2eq's own error: exit 2
// with one line on stderr, within 5 s and 1 GB.
//
//   npm run fuzz [-- --cases N --seed S --cli-every K --keep DIR]
//   npm run fuzz -- --seed S --case I      replays case I of seed S alone (and keeps its files)
//
// A worker process runs the cases so a hang or an out-of-memory crash is caught and counted; the
// files of every failing case are kept (--keep, default fuzz-failures/) to become regression tests.
import { spawnSync, fork } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FORMATS = ['latex', 'numpy', 'js', 'mathematica'];
/** Per-case limits of the issue: wall time and memory. */
export const LIMIT_MS = 5000;
export const LIMIT_BYTES = 1 << 30;

/** A deterministic PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (r, a) => a[Math.floor(r() * a.length)];
const int = (r, n) => Math.floor(r() * n);

/**
 * The models mutated: every fixture (model.json + shards), and the Keras files of test/models
 * (full HDF5, architecture JSON + weights, .keras). Each is { name, dir, entry, weights? }.
 */
export function seeds(root = ROOT) {
  const out = [];
  const fx = join(root, 'fixtures');
  for (const d of readdirSync(fx).sort()) {
    if (existsSync(join(fx, d, 'model.json'))) out.push({ name: `fixtures/${d}`, dir: join(fx, d), entry: 'model.json', timesteps: d === 'rnn_timesteps_none' ? 4 : undefined });
  }
  const m = join(root, 'test', 'models');
  const keras = [
    ['hls4ml_prjs/elu', 'elu.h5'],
    ['hls4ml_prjs/prelu', 'prelu.json', 'prelu_weights.h5'],
    ['hls4ml_prjs/selu', 'selu.h5'],
    ['hls4ml_prjs/leaky_relu', 'leaky_relu.json', 'leaky_relu_weights.h5'],
    ['dl4j/activations_ReLU_2_parametric', 'ReLU_2_model.h5'],
    ['dl4j/simple_rnn_tf_keras_2', 'simple_rnn_tf_keras_2_model.h5'],
    ['dl4j/cnn_batch_norm', 'cnn_batch_norm.h5'],
    ['dl4j/causal_conv1d_k4_d2', 'causal_conv1d_k4_s1_d2_cl_config.json', 'causal_conv1d_k4_s1_d2_cl_weights.h5'],
    ['hls4ml/KERAS_3layer', 'KERAS_3layer.json', 'KERAS_3layer_weights.h5'],
    ['community/auto_mpg_normalization_dnn_keras3', 'dnn_model.keras'],
    ['tfjs-layers/functional_merge', 'model.json'],
    ['tfjs-layers/gru', 'model.json'],
  ];
  for (const [d, entry, weights] of keras) if (existsSync(join(m, d, entry))) out.push({ name: `test/models/${d}/${entry}`, dir: join(m, d), entry, weights });
  return out;
}

// ---- JSON mutations

function nodes(doc) {
  // Iterative walk: a mutated document may be deep.
  const out = [];
  const stack = [[doc, null, null]];
  while (stack.length > 0) {
    const [v, parent, key] = stack.pop();
    out.push({ v, parent, key });
    if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) stack.push([v[k], v, Array.isArray(v) ? Number(k) : k]);
  }
  return out;
}

const WRONG = [null, 0, -1, 1.5, 1e10, -1e10, 1e308, 2 ** 53, 'x', '', [], {}, true, [1, 2], { a: 1 }, [null], 'float32', 'NaN'];

/** One mutation of a parsed JSON document, in place; returns what it did. */
export function mutateJson(doc, r) {
  const all = nodes(doc).filter((n) => n.parent !== null);
  if (all.length === 0) return 'nothing to mutate';
  const kind = int(r, 6);
  const n = pick(r, all);
  const where = `${Array.isArray(n.parent) ? `[${n.key}]` : `.${n.key}`}`;
  if (kind === 0) {
    const v = structuredClone(pick(r, WRONG));
    n.parent[n.key] = v;
    return `${where} := ${JSON.stringify(v)}`;
  }
  if (kind === 1 && !Array.isArray(n.parent)) {
    delete n.parent[n.key];
    return `delete ${where}`;
  }
  if (kind === 2) {
    const nums = all.filter((x) => typeof x.v === 'number');
    if (nums.length > 0) {
      const x = pick(r, nums);
      const v = pick(r, [x.v * 1e6, -x.v, -1, 0, 1e10, 2 ** 31, 2 ** 32 + 1, 1e300, x.v + 1, x.v - 1, 0.5]);
      x.parent[x.key] = v;
      return `number ${x.key}: ${x.v} -> ${v}`;
    }
  }
  if (kind === 3) {
    const shapes = all.filter((x) => Array.isArray(x.v) && x.v.length > 0 && x.v.every((e) => e === null || typeof e === 'number'));
    if (shapes.length > 0) {
      const x = pick(r, shapes);
      const s = x.v;
      const op = int(r, 5);
      if (op === 0) s.push(pick(r, [1, 2, 7, 1e5]));
      else if (op === 1) s.pop();
      else if (op === 2) s[int(r, s.length)] = pick(r, [0, -1, 1e10, null, 3, 100000]);
      else if (op === 3) s.reverse();
      else x.parent[x.key] = [];
      return `shape ${x.key} -> ${JSON.stringify(x.parent[x.key]).slice(0, 60)}`;
    }
  }
  if (kind === 4) {
    const strs = all.filter((x) => typeof x.v === 'string');
    if (strs.length > 0) {
      const x = pick(r, strs);
      const v = pick(r, ['', 'Dense', 'LSTM', 'Conv2D', 'Bogus', `${x.v}_`, '../../etc/passwd', '/etc/passwd', 'a/b', 'float16', 'int8', 'channels_first', 'causal', 'same']);
      x.parent[x.key] = v;
      return `string ${x.key}: ${String(x.v).slice(0, 30)} -> ${v}`;
    }
  }
  if (Array.isArray(n.v) && n.v.length > 1) {
    const i = int(r, n.v.length);
    n.v.splice(i, 1);
    return `drop element ${i} of ${where}`;
  }
  n.parent[n.key] = structuredClone(pick(r, WRONG));
  return `${where} := wrong type`;
}

// ---- byte mutations

/** One mutation of a binary file: flipped bytes, truncation, extension, or a huge integer written in. */
export function mutateBytes(buf, r) {
  const b = Buffer.from(buf);
  const kind = int(r, 5);
  if (kind === 0 || b.length === 0) {
    const k = 1 + int(r, 8);
    for (let i = 0; i < k && b.length > 0; i++) b[int(r, b.length)] ^= 1 << int(r, 8);
    return [b, `flip ${k} bytes`];
  }
  if (kind === 1) {
    const at = int(r, b.length);
    return [b.subarray(0, at), `truncate to ${at}`];
  }
  if (kind === 2) {
    const extra = Buffer.alloc(1 + int(r, 4096));
    for (let i = 0; i < extra.length; i++) extra[i] = r() < 0.5 ? 0 : int(r, 256);
    return [Buffer.concat([b, extra]), `extend by ${extra.length}`];
  }
  if (kind === 3 && b.length >= 8) {
    // Size and offset fields of HDF5 and zip headers: the early bytes hold most of them.
    const at = int(r, Math.min(b.length - 8, r() < 0.7 ? 2048 : b.length - 8));
    const v = pick(r, [0xffffffff, 0x7fffffff, 0, 1, 0x10000000]);
    b.writeUInt32LE(v >>> 0, at);
    return [b, `u32 ${v} at ${at}`];
  }
  const at = int(r, b.length);
  b[at] = pick(r, [0, 0xff, 0x7f, 0x80]);
  return [b, `byte ${at} := ${b[at]}`];
}

/**
 * Case `i` of run `seed`: which model, which of its files, what mutation, which format. Writes
 * the mutated model into `dir` (a copy of the seed's folder) and returns how to convert it.
 */
export function makeCase(allSeeds, seed, i, dir) {
  const r = rng((seed * 1000003 + i) >>> 0);
  const s = pick(r, allSeeds);
  cpSync(s.dir, dir, { recursive: true });
  const files = [s.entry, ...(s.weights ? [s.weights] : [])];
  if (s.entry === 'model.json') {
    const doc = JSON.parse(readFileSync(join(s.dir, 'model.json'), 'utf8'));
    for (const g of doc.weightsManifest ?? []) for (const p of g.paths ?? []) files.push(p);
  }
  const target = pick(r, files);
  const path = join(dir, target);
  const bytes = readFileSync(path);
  let what;
  if (target.endsWith('.json')) {
    if (r() < 0.8) {
      const doc = JSON.parse(bytes.toString('utf8'));
      const k = 1 + int(r, 3);
      what = Array.from({ length: k }, () => mutateJson(doc, r)).join('; ');
      writeFileSync(path, JSON.stringify(doc));
    } else {
      const [b, w] = mutateBytes(bytes, r);
      what = w;
      writeFileSync(path, b);
    }
  } else if (target.endsWith('.keras') && r() < 0.6) {
    // Inside the archive: the config as JSON, or the weights HDF5 as bytes; then zip it again.
    const entries = unzipSync(new Uint8Array(bytes));
    if (r() < 0.6) {
      const doc = JSON.parse(new TextDecoder().decode(entries['config.json']));
      what = `config.json: ${mutateJson(doc, r)}`;
      entries['config.json'] = new TextEncoder().encode(JSON.stringify(doc));
    } else {
      const [b, w] = mutateBytes(Buffer.from(entries['model.weights.h5']), r);
      what = `model.weights.h5: ${w}`;
      entries['model.weights.h5'] = new Uint8Array(b);
    }
    writeFileSync(path, zipSync(entries, { level: 0, mtime: new Date(Date.UTC(2026, 0, 1)) }));
  } else {
    const [b, w] = mutateBytes(bytes, r);
    what = w;
    writeFileSync(path, b);
  }
  return {
    i,
    seedName: s.name,
    target,
    what,
    model: join(dir, s.entry),
    weights: s.weights ? join(dir, s.weights) : undefined,
    format: pick(r, FORMATS),
    timesteps: s.timesteps,
  };
}

/**
 * Converts a case in-process with `api` ({ convertFile, Nn2eqError }, from dist/ or src/).
 * Outcome 'ok', 'error' (nn2eq's own, one line), or 'crash' (anything else).
 */
export async function runInProcess(api, c) {
  const t0 = performance.now();
  try {
    await api.convertFile(c.model, { format: c.format, weights: c.weights, timesteps: c.timesteps });
    return { outcome: 'ok', ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof api.Nn2eqError) {
      const line = e.message + (e.hint ? `; hint: ${e.hint}` : '');
      if (line.includes('\n')) return { outcome: 'crash', ms, message: `multi-line error: ${line.slice(0, 300)}` };
      return { outcome: 'error', ms, message: line };
    }
    return { outcome: 'crash', ms, message: String(e?.stack ?? e).split('\n').slice(0, 4).join(' | ') };
  }
}

/** Converts a case through bin/nn2eq.js: exit 0, or exit 2 with exactly one line on stderr. */
export function runCli(c, root = ROOT) {
  const args = [`--max-old-space-size=${LIMIT_BYTES >> 20}`, join(root, 'bin', 'nn2eq.js'), c.model, '-f', c.format];
  if (c.weights) args.push('--weights', c.weights);
  if (c.timesteps) args.push('--timesteps', String(c.timesteps));
  const t0 = performance.now();
  const p = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: LIMIT_MS, maxBuffer: 1 << 30, env: { ...process.env, FORCE_COLOR: '0' } });
  const ms = performance.now() - t0;
  if (p.error?.code === 'ETIMEDOUT' || p.signal === 'SIGTERM') return { outcome: 'hang', ms, message: `over ${LIMIT_MS} ms` };
  const lines = p.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('nn2eq: warning:'));
  if (p.status === 0) return { outcome: 'ok', ms };
  if (p.status === 2 && lines.length === 1 && lines[0].startsWith('nn2eq: ')) return { outcome: 'error', ms, message: lines[0] };
  return { outcome: 'crash', ms, message: `exit ${p.status ?? p.signal}: ${p.stderr.split('\n').slice(0, 3).join(' | ').slice(0, 400)}` };
}

// ---- the worker: runs cases on request, so the driver can time it out and restart it

async function worker() {
  const api = await import(join(ROOT, 'dist', 'index.js'));
  const all = seeds();
  const base = mkdtempSync(join(tmpdir(), 'nn2eq-fuzz-'));
  process.on('message', async ({ seed, i, cli }) => {
    const dir = join(base, `c${i}`);
    const c = makeCase(all, seed, i, dir);
    process.send({ type: 'start', i, c });
    const inproc = await runInProcess(api, c);
    const rss = process.memoryUsage().rss;
    const result = { type: 'done', i, c, inproc, rss, cli: cli ? runCli(c) : undefined };
    process.send(result);
    rmSync(dir, { recursive: true, force: true });
  });
  process.send({ type: 'ready' });
}

function parseArgs(argv) {
  const o = { cases: 10000, seed: 1, cliEvery: 10, keep: join(ROOT, 'fuzz-failures'), first: 0 };
  for (let k = 0; k < argv.length; k++) {
    const v = argv[k + 1];
    if (argv[k] === '--cases') (o.cases = Number(v)), k++;
    else if (argv[k] === '--seed') (o.seed = Number(v)), k++;
    else if (argv[k] === '--cli-every') (o.cliEvery = Number(v)), k++;
    else if (argv[k] === '--keep') (o.keep = resolve(v)), k++;
    else if (argv[k] === '--case') (o.first = Number(v)), (o.cases = 1), (o.cliEvery = 1), k++;
    else throw new Error(`unknown option ${argv[k]}; usage: npm run fuzz -- [--cases N] [--seed S] [--cli-every K] [--keep DIR] [--case I]`);
  }
  return o;
}

async function driver(o) {
  const counts = { inproc: { ok: 0, error: 0, crash: 0, hang: 0, memory: 0 }, cli: { ok: 0, error: 0, crash: 0, hang: 0 } };
  const failures = [];
  const all = seeds();
  const t0 = Date.now();
  let child = null;
  let ready = null;
  const spawnWorker = () => {
    child = fork(fileURLToPath(import.meta.url), ['--worker'], { execArgv: [`--max-old-space-size=${LIMIT_BYTES >> 20}`], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr.on('data', () => {});
    ready = new Promise((res) => child.once('message', res));
  };
  spawnWorker();
  const keep = (c, mode, res) => {
    failures.push({ i: c.i, mode, seedName: c.seedName, target: c.target, what: c.what, format: c.format, ...res });
    const dir = join(o.keep, `seed${o.seed}-case${c.i}`);
    mkdirSync(dir, { recursive: true });
    makeCase(all, o.seed, c.i, dir);
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ ...c, model: c.model.split('/').pop(), mode, ...res }, null, 1));
  };
  for (let i = o.first; i < o.first + o.cases; i++) {
    await ready;
    const cli = o.cliEvery > 0 && i % o.cliEvery === 0;
    let started = null;
    const result = await new Promise((res) => {
      // The in-process run has the case limit; a CLI run adds its own, already bounded by spawnSync.
      let timer = setTimeout(() => res({ type: 'hang' }), LIMIT_MS + (cli ? LIMIT_MS + 2000 : 0));
      const onMsg = (m) => {
        if (m.type === 'start') started = m.c;
        if (m.type === 'done') {
          clearTimeout(timer);
          child.off('message', onMsg);
          child.off('exit', onExit);
          res(m);
        }
      };
      const onExit = (code, signal) => {
        clearTimeout(timer);
        res({ type: 'died', code, signal });
      };
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send({ seed: o.seed, i, cli });
    });
    if (result.type !== 'done') {
      child.removeAllListeners('exit');
      child.kill('SIGKILL');
      const kind = result.type === 'hang' ? 'hang' : 'memory';
      counts.inproc[kind]++;
      if (started) keep(started, 'in-process', { outcome: kind, message: result.type === 'hang' ? `over ${LIMIT_MS} ms` : `worker died (${result.code ?? result.signal})` });
      spawnWorker();
      continue;
    }
    const { c, inproc } = result;
    let outcome = inproc.outcome;
    if (outcome !== 'crash' && inproc.ms > LIMIT_MS) outcome = 'hang';
    if (outcome !== 'crash' && result.rss > LIMIT_BYTES) outcome = 'memory';
    counts.inproc[outcome]++;
    if (outcome !== 'ok' && outcome !== 'error') keep(c, 'in-process', { ...inproc, outcome });
    if (outcome === 'memory') {
      // The worker's heap does not shrink back: start the next case in a fresh one.
      child.kill('SIGKILL');
      spawnWorker();
    }
    if (result.cli) {
      counts.cli[result.cli.outcome]++;
      if (result.cli.outcome !== 'ok' && result.cli.outcome !== 'error') keep(c, 'cli', result.cli);
    }
    if ((i + 1) % 500 === 0) process.stderr.write(`fuzz: ${i + 1}/${o.cases} cases, ${failures.length} failures, ${Math.round((Date.now() - t0) / 1000)} s\n`);
  }
  child.kill();
  const secs = Math.round((Date.now() - t0) / 1000);
  console.log(`fuzz: ${o.cases} cases (seed ${o.seed}, ${all.length} models, CLI every ${o.cliEvery}) in ${secs} s`);
  console.log(`  in-process: ${Object.entries(counts.inproc).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`  CLI:        ${Object.entries(counts.cli).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const f of failures.slice(0, 30)) console.log(`  FAIL case ${f.i} (${f.mode}, ${f.outcome}) ${f.seedName} ${f.target}: ${f.what} -> ${f.message}`);
  if (failures.length > 0) console.log(`  files of failing cases: ${o.keep}`);
  return failures.length === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--worker') await worker();
  else process.exitCode = await driver(parseArgs(process.argv.slice(2)));
}
