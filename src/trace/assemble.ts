import type { Span } from '../model/span.ts';
import type { AssembledTrace } from '../model/trace.ts';

const byStart = (spans: Span[]) => (a: number, b: number): number =>
  spans[a].startUs - spans[b].startUs || (spans[a].spanId < spans[b].spanId ? -1 : 1);

/**
 * Builds the trace tree from its spans: duplicates (same span id) are kept once, a parent id
 * that is not in the trace makes the span a root and the trace partial, and the result is in
 * breadth-first order from the roots (roots and siblings by start time). Parent cycles, which
 * only a broken tracer produces, are cut at the earliest span so every span is still stored.
 */
export function assembleTrace(input: readonly Span[], revision = 0): AssembledTrace {
  if (input.length === 0) throw new Error('assembleTrace needs at least one span');
  const spans: Span[] = [];
  const indexOf = new Map<string, number>();
  for (const span of input) {
    if (indexOf.has(span.spanId)) continue;
    indexOf.set(span.spanId, spans.length);
    spans.push(span);
  }

  const n = spans.length;
  const parentOf = new Array<number>(n).fill(-1);
  const kids: number[][] = Array.from({ length: n }, () => []);
  const missing = new Set<string>();
  for (let i = 0; i < n; i++) {
    const pid = spans[i].parentSpanId;
    if (pid === '') continue;
    const p = indexOf.get(pid);
    if (p === undefined || p === i) {
      if (p === undefined) missing.add(pid);
      continue;
    }
    parentOf[i] = p;
    kids[p].push(i);
  }

  const order = byStart(spans);
  const roots = [];
  for (let i = 0; i < n; i++) if (parentOf[i] === -1) roots.push(i);
  roots.sort(order);
  for (const k of kids) if (k.length > 1) k.sort(order);

  const visited = new Uint8Array(n);
  const bfs: number[] = [];
  const walk = (from: number): void => {
    const queue = [from];
    visited[from] = 1;
    for (let q = 0; q < queue.length; q++) {
      const i = queue[q];
      bfs.push(i);
      for (const c of kids[i]) {
        if (!visited[c]) {
          visited[c] = 1;
          queue.push(c);
        }
      }
    }
  };
  for (const r of roots) walk(r);
  if (bfs.length < n) {
    // Spans left over sit on a parent cycle: cut each cycle at its earliest span.
    const rest = [];
    for (let i = 0; i < n; i++) if (!visited[i]) rest.push(i);
    rest.sort(order);
    for (const i of rest) {
      if (visited[i]) continue;
      const p = parentOf[i];
      kids[p] = kids[p].filter((c) => c !== i);
      parentOf[i] = -1;
      roots.push(i);
      walk(i);
    }
  }

  const newIndex = new Int32Array(n);
  bfs.forEach((old, idx) => (newIndex[old] = idx));
  const ordered = bfs.map((old) => spans[old]);
  const parent = bfs.map((old) => (parentOf[old] === -1 ? -1 : newIndex[parentOf[old]]));
  const children = bfs.map((old) => kids[old].map((c) => newIndex[c]));
  let startUs = Infinity;
  let endUs = -Infinity;
  for (const s of ordered) {
    if (s.startUs < startUs) startUs = s.startUs;
    if (s.endUs > endUs) endUs = s.endUs;
  }

  return {
    tenant: ordered[0].tenant,
    traceId: ordered[0].traceId,
    spans: ordered,
    parent,
    children,
    roots: roots.map((r) => newIndex[r]),
    partial: missing.size > 0,
    missingSpanIds: [...missing].sort(),
    startUs,
    endUs,
    revision,
  };
}
