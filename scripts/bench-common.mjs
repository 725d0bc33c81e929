// What the benchmarks share: best-of-n timing, the plain-JS matrix-product floor, and a NumPy timer.
import { spawnSync } from 'node:child_process';

/**
 * Best of `n` runs of f() after one warm-up call, in ms: by wall time, and by this process's CPU time
 * (user + system), which a shared, loaded machine disturbs far less (the JS and onnxruntime-web rows
 * run single-threaded in this process).
 */
export async function bestOfWallCpu(f, n) {
  await f();
  let wall = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await f();
    wall = Math.min(wall, performance.now() - t);
    const d = process.cpuUsage(c);
    cpu = Math.min(cpu, (d.user + d.system) / 1000);
  }
  return { wall, cpu };
}

/** The floor, C[M,N] = A[M,K] B[K,N] in 4×4 register blocks over Float32Array, plain JavaScript: its rate in GMAC/s by wall time and by CPU time (best of 5 each). */
export function floorRates() {
  const M = 512, K = 256, N = 256;
  const A = new Float32Array(M * K).map((_, i) => Math.sin(i));
  const B = new Float32Array(K * N).map((_, i) => Math.cos(i));
  const C = new Float32Array(M * N);
  const mm = () => {
    for (let i = 0; i < M; i += 4) {
      const a0 = i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
      for (let j = 0; j < N; j += 4) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let k = 0, b = j; k < K; k++, b += N) {
          const b0 = B[b], b1 = B[b + 1], b2 = B[b + 2], b3 = B[b + 3];
          const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
          c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
          c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
          c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
          c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
        }
        let o = i * N + j;
        C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += N;
        C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += N;
        C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += N;
        C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
      }
    }
  };
  for (let i = 0; i < 3; i++) mm();
  let b = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < 5; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    mm();
    b = Math.min(b, performance.now() - t);
    const d = process.cpuUsage(c);
    cpu = Math.min(cpu, (d.user + d.system) / 1000);
  }
  return { wall: (M * K * N) / (b / 1000) / 1e9, cpu: (M * K * N) / (cpu / 1000) / 1e9 };
}

/**
 * A C main() that times predict(x, y) on a fixed input: best of `runs` after one warm-up call, in ms.
 * With `cpu`, it prints the best wall ms and the best CPU ms of the process (CLOCK_PROCESS_CPUTIME_ID), space-separated.
 */
export const cMain = (type, n, m, runs, cpu = false) => `#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
void predict(const ${type} *x, ${type} *y);
static ${type} x[${n}], y[${m}];
int main(void) {
  for (int i = 0; i < ${n}; i++) x[i] = (${type})(i % 17) / 17;
  double best = 1e30, bestCpu = 1e30;
  for (int r = 0; r < ${runs + 1}; r++) {
    struct timespec a, b, ca, cb;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
    clock_gettime(CLOCK_MONOTONIC, &a);
    predict(x, y);
    clock_gettime(CLOCK_MONOTONIC, &b);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
    double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    double cms = (cb.tv_sec - ca.tv_sec) * 1e3 + (cb.tv_nsec - ca.tv_nsec) / 1e6;
    if (r > 0 && ms < best) best = ms;
    if (r > 0 && cms < bestCpu) bestCpu = cms;
  }
  ${cpu ? 'printf("%f %f\\n", best, bestCpu);' : 'printf("%f\\n", best);'}
  return 0;
}
`;

/**
 * Best of `runs` calls of the NumPy tensor form's predict in `file` (one BLAS thread, Debian's
 * python3), in ms by `clock` ('process_time': CPU time, or 'perf_counter': wall), after one warm-up
 * call on a fixed input of `shape`, with `env` added to the environment: { ms } or { error: the error's last line }.
 */
export function numpyBestMs(file, shape, runs, clock, env = {}) {
  const script = `
import importlib.util, sys, time
import numpy as np
spec = importlib.util.spec_from_file_location('m', sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
x = np.sin(np.arange(${shape.reduce((a, b) => a * b, 1)})).reshape(${JSON.stringify(shape)})
m.predict(x)
best = 1e9
for _ in range(${runs}):
    t = time.${clock}(); m.predict(x); best = min(best, time.${clock}() - t)
print(best * 1000)
`;
  const threads = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8', env: { ...process.env, ...threads, ...env } });
  return r.status === 0 ? { ms: Number(r.stdout.trim()) } : { error: (r.stderr || '').trim().split('\n').pop() };
}

/**
 * The BLAS library Debian's NumPy has loaded (the file /proc/self/maps shows, e.g. the reference
 * libblas.so.3 or OpenBLAS) and the rate of NumPy's `@` on 1024×1024 float64 and float32 matrices
 * with one BLAS thread, in GMAC/s by CPU time: the limit a NumPy form that spends its time in `@`
 * can reach on this machine. { blas, f64, f32 } or { error }.
 */
export function numpyMatmulLimit() {
  const script = `
import os, time
import numpy as np
blas = sorted({os.path.realpath(l.split()[-1]) for l in open('/proc/self/maps') if 'blas' in l.split()[-1]})
rates = []
for dt in (np.float64, np.float32):
    a = np.sin(np.arange(1 << 20, dtype=dt)).reshape(1024, 1024); b = np.cos(a)
    a @ b
    best = 1e9
    for _ in range(3):
        t = time.process_time(); a @ b; best = min(best, time.process_time() - t)
    rates.append(1024 ** 3 / best / 1e9)
print(' '.join(blas) or 'none found', *rates)
`;
  const threads = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...threads } });
  if (r.status !== 0) return { error: (r.stderr || '').trim().split('\n').pop() };
  const parts = r.stdout.trim().split(' ');
  return { blas: parts.slice(0, -2).join(' '), f64: Number(parts.at(-2)), f32: Number(parts.at(-1)) };
}

/**
 * glibc's malloc returns a large freed array to the kernel at once (mmap above a threshold, and a
 * trimmed heap), so the next array of that size is page-faulted in and zeroed again: with these two
 * variables it keeps the memory, as onnxruntime-web's wasm heap and PyTorch's allocator do. A user
 * sets them in the shell; the generated code is the same.
 */
export const MALLOC_KEEP = { MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' };
