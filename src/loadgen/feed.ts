// The queue between the trace generator and the requests: whole traces go in, batches of
// spans come out. Fault shapes are applied here, on request: one span of some traces held back
// until after the assembly window (late), some spans sent twice (duplicates), a trace's spans
// shuffled (out of order), and one huge trace first.

import type { TraceGenerator } from './generator.ts';
import type { Manifest } from './manifest.ts';
import type { GenSpan, GenTrace } from './model.ts';
import { Rng } from './rng.ts';
import type { RunCounters } from './stats.ts';

export interface FaultOptions {
  /** Fraction of traces with one span sent `lateAfterMs` after the rest. */
  lateFraction: number;
  lateAfterMs: number;
  /** Fraction of spans sent a second time, about a second later. */
  duplicateFraction: number;
  /** Shuffle each trace's spans before they are queued. */
  outOfOrder: boolean;
  /** Spans of one huge trace generated first; 0 for none. */
  hugeTrace: number;
}

export const NO_FAULTS: FaultOptions = { lateFraction: 0, lateAfterMs: 7_000, duplicateFraction: 0, outOfOrder: false, hugeTrace: 0 };

const DUPLICATE_AFTER_MS = 1_000;

/** Spans to send in one request; `owners[i]` is span i's manifest index, -1 for a duplicate copy. */
export interface Batch {
  spans: GenSpan[];
  owners: number[];
}

interface Delayed {
  dueMs: number;
  span: GenSpan;
  owner: number;
}

/** Held-back spans of one kind: all are delayed by the same amount, so FIFO order is due order. */
class DelayQueue {
  private items: Delayed[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  get nextDueMs(): number {
    return this.head < this.items.length ? this.items[this.head].dueMs : Infinity;
  }

  push(d: Delayed): void {
    this.items.push(d);
  }

  /** Moves every span due by `nowMs` to `spans` / `owners`. */
  popDue(nowMs: number, spans: GenSpan[], owners: number[]): void {
    while (this.head < this.items.length && this.items[this.head].dueMs <= nowMs) {
      const d = this.items[this.head++];
      spans.push(d.span);
      owners.push(d.owner);
    }
    if (this.head > 4_096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export class SpanFeed {
  private spans: GenSpan[] = [];
  private owners: number[] = [];
  private head = 0;
  private readonly late = new DelayQueue();
  private readonly duplicates = new DelayQueue();
  private readonly rng: Rng;
  private hugePending: boolean;

  constructor(
    private readonly generator: TraceGenerator,
    private readonly faults: FaultOptions,
    private readonly manifest: Manifest | null,
    private readonly counters: RunCounters,
    seed: number | string,
  ) {
    this.rng = new Rng(`faults:${seed}`);
    this.hugePending = faults.hugeTrace > 0;
  }

  /** Spans ready to send now. */
  get queued(): number {
    return this.spans.length - this.head;
  }

  /** Spans held back (late or duplicate) and not yet due. */
  get delayedCount(): number {
    return this.late.size + this.duplicates.size;
  }

  /** When the next held-back span is due (performance.now() ms), or Infinity. */
  get nextDueMs(): number {
    return Math.min(this.late.nextDueMs, this.duplicates.nextDueMs);
  }

  /** Generates one trace ending at `nowUs` and queues its spans; `nowMs` is performance.now(). */
  addTrace(nowUs: number, nowMs: number): GenTrace {
    let trace: GenTrace;
    if (this.hugePending) {
      this.hugePending = false;
      trace = this.generator.huge(nowUs, this.faults.hugeTrace);
    } else {
      trace = this.generator.next(nowUs);
    }
    this.counters.tracesGenerated++;
    this.counters.spansGenerated += trace.spans.length;
    const owner = this.manifest === null ? -1 : this.manifest.add(trace);
    const spans = this.faults.outOfOrder ? this.shuffled(trace.spans) : trace.spans;
    // The late span is never the root: a late root would read as a different fault (no root).
    const late = spans.length > 1 && this.rng.chance(this.faults.lateFraction) ? this.pickNonRoot(spans) : null;
    for (const s of spans) {
      if (s === late) {
        this.late.push({ dueMs: nowMs + this.faults.lateAfterMs, span: s, owner });
        this.counters.spansLate++;
        if (this.manifest !== null) this.manifest.records[owner].late = true;
      } else {
        this.spans.push(s);
        this.owners.push(owner);
      }
      if (this.rng.chance(this.faults.duplicateFraction)) {
        this.duplicates.push({ dueMs: nowMs + DUPLICATE_AFTER_MS, span: s, owner: -1 });
        this.counters.spansDuplicated++;
      }
    }
    return trace;
  }

  /** Moves held-back spans that are due into the send queue, ahead of everything else. */
  releaseDue(nowMs: number): void {
    if (this.nextDueMs > nowMs) return;
    const dueSpans: GenSpan[] = [];
    const dueOwners: number[] = [];
    this.late.popDue(nowMs, dueSpans, dueOwners);
    this.duplicates.popDue(nowMs, dueSpans, dueOwners);
    this.compact();
    this.spans = dueSpans.concat(this.spans);
    this.owners = dueOwners.concat(this.owners);
  }

  /** Takes up to `n` queued spans. */
  take(n: number): Batch {
    const end = Math.min(this.head + n, this.spans.length);
    const batch = { spans: this.spans.slice(this.head, end), owners: this.owners.slice(this.head, end) };
    this.head = end;
    if (this.head > 65_536) this.compact();
    return batch;
  }

  private compact(): void {
    if (this.head === 0) return;
    this.spans = this.spans.slice(this.head);
    this.owners = this.owners.slice(this.head);
    this.head = 0;
  }

  private shuffled(spans: GenSpan[]): GenSpan[] {
    const out = spans.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  private pickNonRoot(spans: GenSpan[]): GenSpan {
    for (;;) {
      const s = this.rng.pick(spans);
      if (s.parentSpanId !== '') return s;
    }
  }
}
