// Live events are allowed to be lost (a full publish queue, Redis away, a subscriber cut off)
// but never silently: each loss is counted by its kind and logged at most once per interval.
import type { Logger } from 'pino';

export class LossLog {
  private window = new Map<string, number>();
  private lastLogAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly intervalMs = 10_000,
  ) {}

  /** Records `n` losses of one kind (e.g. "dropped", "cutOff"). */
  note(kind: string, n = 1): void {
    this.window.set(kind, (this.window.get(kind) ?? 0) + n);
    const now = Date.now();
    if (now - this.lastLogAt >= this.intervalMs) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.lastLogAt + this.intervalMs - now).unref();
  }

  close(): void {
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.window.size === 0) return;
    this.logger.warn({ lost: Object.fromEntries(this.window), intervalMs: this.intervalMs }, this.what);
    this.window = new Map();
    this.lastLogAt = Date.now();
  }
}
