// Counters of one load run and a fixed-memory latency histogram (log buckets, ~2 % wide),
// so a long run at 100 000 spans/s costs no more memory than a short one.

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const MIN_MS = 0.01;

export class LatencyHistogram {
  private readonly counts: number[] = [];
  private total = 0;
  private maxMs = 0;

  record(ms: number): void {
    const v = Math.max(ms, MIN_MS);
    const i = Math.floor(Math.log(v / MIN_MS) / LOG_GROWTH);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  /** The q-quantile (0..1) in ms, to within one bucket; 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.maxMs, MIN_MS * GROWTH ** (i + 0.5));
    }
    return this.maxMs;
  }
}

/** What a run has done so far; spans are counted per copy sent, requests per attempt. */
export class RunCounters {
  tracesGenerated = 0;
  /** Distinct spans of the generated traces. */
  spansGenerated = 0;
  spansSent = 0;
  spansAcked = 0;
  /** Refused for good: a non-retryable answer, or rejected inside a partial success. */
  spansRejected = 0;
  /** Given up after the last retry. */
  spansFailed = 0;
  spansDuplicated = 0;
  spansLate = 0;
  requestsSent = 0;
  requestsAcked = 0;
  requestsRejected = 0;
  requestsFailed = 0;
  /** Attempts repeated after a retryable answer. */
  retries = 0;
  /** Retryable answers by code (`429`, `503`, `RESOURCE_EXHAUSTED`, `ECONNREFUSED`, ...). */
  readonly retryable = new Map<string, number>();
  /** Non-retryable answers by code. */
  readonly rejections = new Map<string, number>();
  bytesSent = 0;
  inFlight = 0;
  readonly latency = new LatencyHistogram();

  countCode(map: Map<string, number>, code: string): void {
    map.set(code, (map.get(code) ?? 0) + 1);
  }
}
