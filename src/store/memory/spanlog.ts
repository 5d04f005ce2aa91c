// The in-process span log: the embedded mode's SpanLog (docs/PROTOCOL.md, "Span log").
// It keeps Redis Streams' consumer-group semantics (entries delivered once, pending per
// consumer until acked, idle entries claimable) so that the actors above it behave the same
// in both modes. Durability is the process's: a restart starts from an empty log.

import { TesseraError, exhausted, invalid } from '../../errors.ts';
import type { Span } from '../../model/span.ts';
import type { ReadOptions, SpanLog, SpanLogEntry } from '../api.ts';

export interface MemorySpanLogOptions {
  partitions: number;
  /** Appends are refused (RESOURCE_EXHAUSTED) when un-acked spans would exceed this. */
  maxBacklogSpans: number;
  /** Seconds a refused client is told to wait. Default 1. */
  retryAfterSec?: number;
  /** Clock for idle times (claimStale), in ms. Default Date.now. */
  now?: () => number;
}

interface Entry {
  seq: number;
  partition: number;
  spans: Span[];
}

interface Delivery {
  entry: Entry;
  consumer: string;
  deliveredAt: number;
}

/** One partition: entries never delivered (FIFO) and entries delivered but not acked. */
class PartitionLog {
  nextSeq = 1;
  private undelivered: Entry[] = [];
  private head = 0;
  /** By sequence number; deliveries happen in sequence order, so the map stays sorted. */
  readonly pending = new Map<number, Delivery>();

  push(entry: Entry): void {
    this.undelivered.push(entry);
  }

  /** Up to `count` undelivered entries, now pending for `consumer`. */
  deliver(consumer: string, count: number, now: number): Entry[] {
    const taken: Entry[] = [];
    while (taken.length < count && this.head < this.undelivered.length) {
      const entry = this.undelivered[this.head++];
      this.pending.set(entry.seq, { entry, consumer, deliveredAt: now });
      taken.push(entry);
    }
    if (this.head > 1024 && this.head * 2 > this.undelivered.length) {
      this.undelivered = this.undelivered.slice(this.head);
      this.head = 0;
    }
    return taken;
  }
}

interface Waiter {
  partitions: readonly number[];
  wake(): void;
}

class MemorySpanLog implements SpanLog {
  readonly partitions: number;
  private readonly logs: PartitionLog[];
  private readonly waiters = new Set<Waiter>();
  private readonly maxBacklogSpans: number;
  private readonly retryAfterSec: number;
  private readonly now: () => number;
  private backlogSpans = 0;
  private closed = false;

  constructor(opts: MemorySpanLogOptions) {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1) {
      throw new TesseraError('CONFIG', `span log: partitions must be a positive integer, got ${opts.partitions}`);
    }
    if (!(opts.maxBacklogSpans > 0)) {
      throw new TesseraError('CONFIG', `span log: maxBacklogSpans must be positive, got ${opts.maxBacklogSpans}`);
    }
    this.partitions = opts.partitions;
    this.maxBacklogSpans = opts.maxBacklogSpans;
    this.retryAfterSec = opts.retryAfterSec ?? 1;
    this.now = opts.now ?? Date.now;
    this.logs = Array.from({ length: opts.partitions }, () => new PartitionLog());
  }

  async append(batches: ReadonlyMap<number, Span[]>): Promise<void> {
    this.assertOpen();
    let total = 0;
    for (const [partition, spans] of batches) {
      this.logOf(partition);
      total += spans.length;
    }
    if (total === 0) return;
    if (this.backlogSpans + total > this.maxBacklogSpans) {
      throw exhausted(
        `span log is full: ${this.backlogSpans} un-acked spans + ${total} would exceed ${this.maxBacklogSpans}`,
        this.retryAfterSec,
      );
    }
    const appended: number[] = [];
    for (const [partition, spans] of batches) {
      if (spans.length === 0) continue;
      const log = this.logs[partition];
      log.push({ seq: log.nextSeq++, partition, spans: spans.slice() });
      appended.push(partition);
    }
    this.backlogSpans += total;
    this.wake(appended);
  }

  async readNew(partitions: readonly number[], consumer: string, opts: ReadOptions): Promise<SpanLogEntry[]> {
    this.assertOpen();
    for (const p of partitions) this.logOf(p);
    if (partitions.length === 0 || opts.count < 1) return [];
    const deadline = performance.now() + opts.blockMs;
    for (;;) {
      const entries: SpanLogEntry[] = [];
      for (const p of partitions) {
        for (const e of this.logs[p].deliver(consumer, opts.count, this.now())) entries.push(toEntry(e));
      }
      const remaining = deadline - performance.now();
      if (entries.length > 0 || remaining <= 0 || this.closed) return entries;
      await this.waitForAppend(partitions, remaining);
    }
  }

  async readPending(partition: number, consumer: string, count: number): Promise<SpanLogEntry[]> {
    this.assertOpen();
    const now = this.now();
    const entries: SpanLogEntry[] = [];
    for (const d of this.logOf(partition).pending.values()) {
      if (entries.length >= count) break;
      if (d.consumer !== consumer) continue;
      d.deliveredAt = now; // a re-read is a delivery: the entry is no longer idle
      entries.push(toEntry(d.entry));
    }
    return entries;
  }

  async claimStale(partition: number, consumer: string, minIdleMs: number, count: number): Promise<SpanLogEntry[]> {
    this.assertOpen();
    const now = this.now();
    const entries: SpanLogEntry[] = [];
    for (const d of this.logOf(partition).pending.values()) {
      if (entries.length >= count) break;
      if (now - d.deliveredAt < minIdleMs) continue;
      d.consumer = consumer;
      d.deliveredAt = now;
      entries.push(toEntry(d.entry));
    }
    return entries;
  }

  async ack(partition: number, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    const pending = this.logOf(partition).pending;
    for (const id of ids) {
      const seq = Number(id);
      const d = pending.get(seq);
      if (d === undefined) continue; // unknown or already acked: acks are idempotent
      pending.delete(seq);
      this.backlogSpans -= d.entry.spans.length;
    }
  }

  async backlog(): Promise<number> {
    return this.backlogSpans;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters) w.wake();
    this.waiters.clear();
  }

  private waitForAppend(partitions: readonly number[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        partitions,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.waiters.add(waiter);
    });
  }

  private wake(appended: readonly number[]): void {
    for (const w of this.waiters) {
      if (w.partitions.some((p) => appended.includes(p))) w.wake();
    }
  }

  private logOf(partition: number): PartitionLog {
    const log = this.logs[partition];
    if (log === undefined) throw invalid(`span log: no partition ${partition} (there are ${this.partitions})`);
    return log;
  }

  private assertOpen(): void {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'span log is closed', { retryAfterSec: this.retryAfterSec });
  }
}

function toEntry(e: Entry): SpanLogEntry {
  return { id: String(e.seq), partition: e.partition, spans: e.spans };
}

/** The embedded mode's span log. Entries stay in memory until acked. */
export function createMemorySpanLog(opts: MemorySpanLogOptions): SpanLog {
  return new MemorySpanLog(opts);
}
