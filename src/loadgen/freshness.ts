// End-to-end freshness: how long after its last span was sent a trace becomes queryable with
// all its spans. Samples a few traces while the load runs (at most one new sample every
// `everyMs`, at most `maxActive` at once) and polls GraphQL for each until it is complete.

import type { TraceRecord } from './manifest.ts';
import { LatencyHistogram } from './stats.ts';
import { checkTraces, type VerifyOptions } from './verify.ts';

export interface FreshnessOptions extends VerifyOptions {
  everyMs: number;
  pollMs: number;
  maxActive: number;
  /** Give a sample up after this long (counted as timed out). */
  giveUpMs: number;
}

export interface FreshnessReport {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  timedOut: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FreshnessProbe {
  private readonly histogram = new LatencyHistogram();
  private readonly active = new Set<Promise<void>>();
  private lastSample = -Infinity;
  private timedOut = 0;
  private closed = false;

  constructor(private readonly opts: FreshnessOptions) {}

  /** Offered every trace as it is acknowledged; keeps one now and then. */
  offer(trace: TraceRecord, sentAtMs: number): void {
    const now = performance.now();
    if (this.closed || now - this.lastSample < this.opts.everyMs || this.active.size >= this.opts.maxActive) return;
    this.lastSample = now;
    const probe = this.follow(trace, sentAtMs).finally(() => this.active.delete(probe));
    this.active.add(probe);
  }

  private async follow(trace: TraceRecord, sentAtMs: number): Promise<void> {
    const deadline = sentAtMs + this.opts.giveUpMs;
    while (performance.now() < deadline) {
      try {
        const report = await checkTraces([trace], this.opts);
        if (report.ok) {
          this.histogram.record(performance.now() - sentAtMs);
          return;
        }
      } catch {
        // The node may be busy: keep asking until the deadline.
      }
      await sleep(this.opts.pollMs);
    }
    this.timedOut++;
  }

  /** Stops sampling and waits for the samples still being followed. */
  async close(): Promise<FreshnessReport> {
    this.closed = true;
    await Promise.all(this.active);
    const h = this.histogram;
    return { samples: h.count, p50Ms: h.quantile(0.5), p99Ms: h.quantile(0.99), maxMs: h.max, timedOut: this.timedOut };
  }
}
