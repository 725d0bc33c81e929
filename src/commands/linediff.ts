/** One line of an edit script: kept (' '), removed ('-') or added ('+'). */
export interface Edit {
  readonly op: ' ' | '-' | '+';
  readonly line: string;
}

/**
 * The shortest edit script from `a` to `b` (Myers' O(ND) algorithm, after stripping the common
 * head and tail). Past `maxD` edits it gives up on finding the shortest and replaces the middle.
 */
export function diffLines(a: readonly string[], b: readonly string[], maxD = 4000): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const middle = myers(x, y, maxD) ?? [...x.map((line) => ({ op: '-' as const, line })), ...y.map((line) => ({ op: '+' as const, line }))];
  return [...a.slice(0, head).map((line) => ({ op: ' ' as const, line })), ...middle, ...a.slice(a.length - tail).map((line) => ({ op: ' ' as const, line }))];
}

function myers(a: readonly string[], b: readonly string[], maxD: number): Edit[] | null {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= Math.min(max, maxD); d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let px = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let py = px - k;
      while (px < n && py < m && a[px] === b[py]) {
        px++;
        py++;
      }
      v[off + k] = px;
      if (px >= n && py >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  if (found < 0) return null;
  // Walk back through the saved frontiers; trace[d] holds v[-d-1 … d+1] as it was before step d.
  const edits: Edit[] = [];
  let px = n;
  let py = m;
  for (let d = found; d > 0; d--) {
    const t = trace[d];
    const at = (k: number) => t[k + d + 1];
    const k = px - py;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (px > prevX && py > prevY) {
      edits.push({ op: ' ', line: a[--px] });
      py--;
    }
    if (down) edits.push({ op: '+', line: b[--py] });
    else edits.push({ op: '-', line: a[--px] });
  }
  while (px > 0 && py > 0) {
    edits.push({ op: ' ', line: a[--px] });
    py--;
  }
  return edits.reverse();
}

/** A unified diff (`---`/`+++` headers, `@@` hunks with `context` lines around each change); '' when equal. */
export function unifiedDiff(a: readonly string[], b: readonly string[], oldName: string, newName: string, context = 3): string {
  const edits = diffLines(a, b);
  if (edits.every((e) => e.op === ' ')) return '';
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  const changed = edits.map((e) => e.op !== ' ');
  let i = 0;
  const aLine = new Int32Array(edits.length + 1);
  const bLine = new Int32Array(edits.length + 1);
  for (let j = 0; j < edits.length; j++) {
    aLine[j + 1] = aLine[j] + (edits[j].op !== '+' ? 1 : 0);
    bLine[j + 1] = bLine[j] + (edits[j].op !== '-' ? 1 : 0);
  }
  while (i < edits.length) {
    if (!changed[i]) {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while the next change is within 2·context kept lines.
    for (;;) {
      while (end < edits.length && changed[end]) end++;
      let gap = end;
      while (gap < edits.length && !changed[gap] && gap - end < 2 * context) gap++;
      if (gap < edits.length && changed[gap]) end = gap;
      else break;
    }
    const stop = Math.min(edits.length, end + context);
    const aCount = aLine[stop] - aLine[start];
    const bCount = bLine[stop] - bLine[start];
    out.push(`@@ -${aLine[start] + (aCount > 0 ? 1 : 0)},${aCount} +${bLine[start] + (bCount > 0 ? 1 : 0)},${bCount} @@`);
    for (let j = start; j < stop; j++) out.push(`${edits[j].op}${edits[j].line}`);
    i = stop;
  }
  return `${out.join('\n')}\n`;
}
