// Trimming of the span-log streams: after acks, at most once per interval, each partition
// that saw an ack is trimmed by the TRIM script, which never removes an un-acknowledged entry.

import type { Logger } from 'pino';
import type { RedisClient } from './connection.ts';
import { TRIM } from './scripts.ts';

export class Trimmer {
  private readonly dirty = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: RedisClient,
    private readonly streamKeys: readonly string[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Marks a partition for the next trim and makes sure one is coming. */
  schedule(partition: number): void {
    this.dirty.add(partition);
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const partitions = [...this.dirty];
      this.dirty.clear();
      void this.run(partitions).catch((err: unknown) => {
        for (const p of partitions) this.dirty.add(p);
        this.logger.warn({ err }, 'span log: trim failed, will retry after the next ack');
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Trims every partition now; resolves with the number of entries removed. */
  trimAll(): Promise<number> {
    return this.run(this.streamKeys.map((_, p) => p));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Trims are atomic scripts: two running at once cannot remove more than either would. */
  private async run(partitions: number[]): Promise<number> {
    const removed = await Promise.all(partitions.map((p) => TRIM.run(this.client, [this.streamKeys[p]], [])));
    return removed.reduce<number>((sum, n) => sum + (Number(n) || 0), 0);
  }
}
