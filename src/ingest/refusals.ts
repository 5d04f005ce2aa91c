// Every refusal by a receiver (bad input, over the limit, back-pressure) is counted here and
// logged at most once per interval, so a misbehaving client cannot flood the log and nothing
// is refused silently (STYLE: "a counter and one log line per interval").

import type { Logger } from 'pino';
import type { ErrorCode } from '../errors.ts';

export interface RefusalCounts {
  /** Requests refused (or answered with a partial success), by receiver and code. */
  requests: Record<string, number>;
  /** Spans not accepted because of those refusals, when the receiver could count them. */
  spans: number;
}

export class RefusalLog {
  private readonly totals = new Map<string, number>();
  private totalSpans = 0;
  private window = new Map<string, number>();
  private windowSpans = 0;
  private lastMessage = '';
  private lastLogAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  /** Records one refused request (`spans` = how many spans it carried that were not accepted). */
  refuse(receiver: string, code: ErrorCode, message: string, spans = 0): void {
    const key = `${receiver}:${code}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
    this.window.set(key, (this.window.get(key) ?? 0) + 1);
    this.totalSpans += spans;
    this.windowSpans += spans;
    this.lastMessage = `${receiver} ${code}: ${message}`;
    const now = Date.now();
    if (now - this.lastLogAt >= this.intervalMs) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.lastLogAt + this.intervalMs - now).unref();
  }

  counts(): RefusalCounts {
    return { requests: Object.fromEntries(this.totals), spans: this.totalSpans };
  }

  /** Logs what is pending now; further refusals log again after the interval. */
  close(): void {
    if (this.window.size > 0) this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.window.size === 0) return;
    this.logger.warn(
      { refused: Object.fromEntries(this.window), spans: this.windowSpans, last: this.lastMessage.slice(0, 500) },
      'receivers refused requests',
    );
    this.window = new Map();
    this.windowSpans = 0;
    this.lastLogAt = Date.now();
  }
}
