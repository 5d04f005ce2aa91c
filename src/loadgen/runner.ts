// One load run: paces trace generation and requests to the target rate, keeps at most
// `concurrency` requests in flight, retries retryable answers with back-off, and counts
// everything. Pacing is by production: a request leaves when the pacer has allowed its spans
// (or its traces), or earlier with what is ready once `lingerMs` has passed since the last one.

import type { Batch, FaultOptions } from './feed.ts';
import { SpanFeed } from './feed.ts';
import { type GeneratorOptions, TraceGenerator } from './generator.ts';
import { Manifest, type TraceRecord } from './manifest.ts';
import type { GenSpan } from './model.ts';
import { Pacer } from './pacer.ts';
import { RunCounters } from './stats.ts';
import type { Transport } from './transport/api.ts';

export interface RunOptions {
  /** Units per second (see rateUnit); 0 = as fast as the receiver answers. */
  rate: number;
  rateUnit: 'spans' | 'traces';
  durationMs: number;
  rampMs: number;
  /** Spans per request. */
  batchSpans: number;
  concurrency: number;
  maxRetries: number;
  /** Send a partial batch when this long has passed since the last request. */
  lingerMs: number;
  /** Largest retry back-off, whatever Retry-After says. */
  maxBackoffMs: number;
  generator: Partial<GeneratorOptions>;
  faults: FaultOptions;
  /** Keep the per-trace manifest (needed by --verify and --manifest; costs ~150 B/trace). */
  keepManifest: boolean;
  /** Called when a trace's last span is acknowledged, with when that request was first sent. */
  onTraceAcked?: (trace: TraceRecord, sentAtMs: number) => void;
}

export interface RunResult {
  counters: RunCounters;
  manifest: Manifest | null;
  /** Length of the paced phase; the achieved rate is what was sent during it. */
  pacedMs: number;
  spansSentPaced: number;
  tracesPaced: number;
  /** Whole run, including sending queued, late and duplicate spans after the paced phase. */
  elapsedMs: number;
  seed: number | string;
}

export type Encoder = (spans: readonly GenSpan[]) => Uint8Array | string;

const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

/** Where the paced phase stands. */
interface Pace {
  start: number;
  lastSend: number;
  /** Traces generated. */
  traces: number;
  /** Units (spans or traces, as the rate counts) released so far. */
  units: number;
  /** Units the pacer allowed but the run gave up catching up on. */
  forgiven: number;
}

export class LoadRunner {
  readonly counters = new RunCounters();
  private readonly feed: SpanFeed;
  private readonly manifest: Manifest | null;
  private readonly pacer: Pacer;
  private wake: (() => void) | null = null;
  private stopping = false;
  private readonly tasks = new Set<Promise<void>>();

  constructor(
    private readonly opts: RunOptions,
    private readonly transport: Transport,
    private readonly encode: Encoder,
  ) {
    this.manifest = opts.keepManifest ? new Manifest() : null;
    const generator = new TraceGenerator(opts.generator);
    this.feed = new SpanFeed(generator, opts.faults, this.manifest, this.counters, opts.generator.seed ?? 1);
    this.pacer = new Pacer(opts.rate, opts.rampMs);
  }

  /** Ends the paced phase early (SIGINT); queued and held-back spans are still sent. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  async run(): Promise<RunResult> {
    const p: Pace = { start: performance.now(), lastSend: 0, traces: 0, units: 0, forgiven: 0 };
    p.lastSend = p.start;
    const endAt = p.start + this.opts.durationMs;
    while (!this.stopping) {
      const now = performance.now();
      if (now >= endAt) break;
      this.feed.releaseDue(now);
      if (this.opts.rateUnit === 'traces') this.paceTraces(p, now);
      else this.paceSpans(p, now);
      await this.waitUntil(Math.min(endAt, this.nextWakeMs(p)));
    }
    const pacedMs = Math.min(performance.now(), endAt) - p.start;
    let spansSentPaced: number;
    if (this.opts.rateUnit === 'spans') {
      // Spans the pacer released but that wait for a full batch or the linger time are due
      // in the paced phase too: queue them now so they leave first in the drain.
      const owed = this.pacer.unlimited ? 0 : Math.max(0, Math.floor(this.pacer.allowedAt(pacedMs) - p.forgiven - p.units));
      while (this.feed.queued < owed) {
        this.feed.addTrace(nowUs(), performance.now());
        p.traces++;
      }
      spansSentPaced = this.counters.spansSent + owed;
    } else {
      spansSentPaced = this.counters.spansGenerated;
    }
    await this.drain();
    return {
      counters: this.counters, manifest: this.manifest, pacedMs, spansSentPaced, tracesPaced: p.traces,
      elapsedMs: performance.now() - p.start, seed: this.opts.generator.seed ?? 1,
    };
  }

  /** Units the pacer allows now, after forgiving any backlog beyond about one second. */
  private allowed(p: Pace, now: number): number {
    const maxLag = Math.max(this.opts.batchSpans, this.opts.rate);
    const allowed = this.pacer.allowedAt(now - p.start) - p.forgiven;
    if (!this.pacer.unlimited && allowed - p.units > maxLag) p.forgiven += allowed - p.units - maxLag;
    return this.pacer.allowedAt(now - p.start) - p.forgiven;
  }

  /** Spans mode: a request leaves when the pacer allows a full batch (or linger has passed). */
  private paceSpans(p: Pace, now: number): void {
    const B = this.opts.batchSpans;
    const allowed = this.allowed(p, now);
    while (this.counters.inFlight < this.opts.concurrency) {
      const n = this.pacer.unlimited ? B : Math.min(B, Math.floor(allowed - p.units));
      if (n <= 0 || (n < B && now - p.lastSend < this.opts.lingerMs)) break;
      while (this.feed.queued < n) {
        this.feed.addTrace(nowUs(), now);
        p.traces++;
      }
      this.dispatch(this.feed.take(n));
      p.units += n;
      p.lastSend = now;
    }
  }

  /** Traces mode: traces are generated as the pacer allows; full batches (or lingering ones) leave. */
  private paceTraces(p: Pace, now: number): void {
    const B = this.opts.batchSpans;
    const allowed = this.allowed(p, now);
    // Never queue more than a few requests' worth: a slow receiver then makes the run fall
    // behind (and forgive the lag) instead of growing memory.
    const bound = this.pacer.unlimited ? B : B * this.opts.concurrency * 2;
    while (p.units < Math.floor(allowed) && this.feed.queued < bound) {
      this.feed.addTrace(nowUs(), now);
      p.units++;
      p.traces++;
    }
    while (this.counters.inFlight < this.opts.concurrency && this.feed.queued > 0
      && (this.feed.queued >= B || now - p.lastSend >= this.opts.lingerMs)) {
      this.dispatch(this.feed.take(B));
      p.lastSend = now;
    }
  }

  /** After the paced phase: send what is queued, then held-back spans as they fall due. */
  private async drain(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.feed.releaseDue(now);
      while (this.counters.inFlight < this.opts.concurrency && this.feed.queued > 0) this.dispatch(this.feed.take(this.opts.batchSpans));
      if (this.feed.queued === 0 && this.feed.delayedCount === 0 && this.counters.inFlight === 0) break;
      await this.waitUntil(this.feed.queued > 0 ? Infinity : this.feed.nextDueMs);
    }
    await Promise.all(this.tasks);
  }

  private nextWakeMs(p: Pace): number {
    // Unpaced, or every request slot taken: the next completion is what can change anything.
    if (this.pacer.unlimited || this.counters.inFlight >= this.opts.concurrency) return Infinity;
    const unit = this.opts.rateUnit === 'traces' ? 1 : this.opts.batchSpans;
    const full = p.start + this.pacer.timeFor(p.units + p.forgiven + unit);
    const linger = this.feed.queued > 0 || this.opts.rateUnit === 'spans' ? p.lastSend + this.opts.lingerMs : Infinity;
    return Math.min(full, linger, this.feed.nextDueMs);
  }

  /** Waits until `atMs` (performance.now() time) or until a request completes. */
  private waitUntil(atMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const delay = atMs - performance.now();
      const timer = Number.isFinite(delay) ? setTimeout(() => this.fire(), Math.max(0, delay)) : null;
      this.wake = () => {
        if (timer !== null) clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      if (!Number.isFinite(delay) && this.counters.inFlight === 0 && this.feed.queued === 0 && this.feed.delayedCount === 0) this.fire();
    });
  }

  private fire(): void {
    this.wake?.();
  }

  private dispatch(batch: Batch): void {
    const task = this.send(batch).finally(() => {
      this.tasks.delete(task);
      this.fire();
    });
    this.tasks.add(task);
  }

  private async send(batch: Batch): Promise<void> {
    const c = this.counters;
    const n = batch.spans.length;
    const body = this.encode(batch.spans);
    c.inFlight++;
    c.spansSent += n;
    c.bytesSent += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const sentAt = performance.now();
    try {
      for (let attempt = 0; ; attempt++) {
        c.requestsSent++;
        const t0 = performance.now();
        const out = await this.transport.send(body);
        if (out.kind === 'ok') {
          c.latency.record(performance.now() - t0);
          c.requestsAcked++;
          c.spansAcked += n - out.rejectedSpans;
          c.spansRejected += out.rejectedSpans;
          this.settle(batch, out.rejectedSpans === 0, sentAt);
          return;
        }
        if (out.kind === 'retryable') {
          c.countCode(c.retryable, out.code);
          if (attempt < this.opts.maxRetries) {
            c.retries++;
            await backoff(attempt, out.retryAfterMs, this.opts.maxBackoffMs);
            continue;
          }
          c.requestsFailed++;
          c.spansFailed += n;
        } else {
          c.countCode(c.rejections, out.code);
          c.requestsRejected++;
          c.spansRejected += n;
        }
        this.settle(batch, false, sentAt);
        return;
      }
    } finally {
      c.inFlight--;
    }
  }

  /** Records the outcome per trace; a partial success taints every trace in the request. */
  private settle(batch: Batch, ok: boolean, sentAt: number): void {
    const records = this.manifest?.records;
    if (records === undefined) return;
    const hook = this.opts.onTraceAcked;
    for (const owner of batch.owners) {
      if (owner < 0) continue;
      const r = records[owner];
      if (!ok) {
        r.refused = true;
      } else if (++r.acked === r.spans && !r.refused && hook !== undefined) {
        hook(r, sentAt);
      }
    }
  }
}

/** Exponential back-off with jitter (100 ms, 200 ms, ...), or the receiver's Retry-After. */
function backoff(attempt: number, retryAfterMs: number | null, maxMs: number): Promise<void> {
  const base = retryAfterMs ?? 100 * 2 ** attempt * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, Math.min(maxMs, base)));
}
