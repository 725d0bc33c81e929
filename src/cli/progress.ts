/** A progress callback: `what` is being done, `done` of `total` steps are finished. */
export type Progress = (what: string, done: number, total: number) => void;

/** Where progress goes: standard error, when it is a terminal. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A progress line on a terminal for work that takes more than `after` ms (default 1 s): one line
 * rewritten in place at most 10 times a second, erased by `end()`. Nothing at all when the stream
 * is not a terminal, so pipes and CI logs stay clean.
 */
export function terminalProgress(stream: ProgressStream = process.stderr, after = 1000, now: () => number = Date.now): { report: Progress; end: () => void } {
  if (!stream.isTTY) return { report: () => {}, end: () => {} };
  const start = now();
  let last = 0;
  let shown = false;
  return {
    report(what, done, total) {
      const t = now();
      if (t - start < after || t - last < 100) return;
      last = t;
      shown = true;
      const pct = total > 0 ? ` ${Math.floor((100 * done) / total)}%` : '';
      stream.write(`\r\x1b[2Knn2eq: ${what} ${done}/${total}${pct}`);
    },
    end() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
