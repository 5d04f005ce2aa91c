// ShardCoordinator: starts a PartitionActor for each partition this node owns, feeds them from
// the span log (one read covers every owned partition), ticks their inactivity windows, and on
// shutdown drains them so that open traces are written or left unacknowledged — never lost.
import type { Logger } from 'pino';
import type { SpanLog, SpanLogEntry } from '../store/api.ts';
import type { PartitionOwnership } from './ownership.ts';
import { spawnPartitionActor, type PartitionMsg, type PartitionStats } from '../actors/partitionActor.ts';
import type { ViewWriterMsg } from '../actors/viewWriter.ts';
import { ask, stopActor, tell, type ActorRef, type ActorSystem } from '../actors/runtime.ts';
import type { InFlight } from '../actors/flow.ts';

export interface CoordinatorDeps {
  system: ActorSystem;
  log: SpanLog;
  ownership: PartitionOwnership;
  writer: ActorRef<ViewWriterMsg>;
  inFlight: InFlight;
  consumer: string;
  windowMs: number;
  maxOpenSpansPerPartition: number;
  /** Entries pending for another consumer this long are taken over (its node died). */
  claimIdleMs: number;
  logger: Logger;
}

const READ_COUNT = 256;
const READ_BLOCK_MS = 250;
const RECOVER_COUNT = 1_000_000;

export class ShardCoordinator {
  private readonly actors = new Map<number, ActorRef<PartitionMsg>>();
  private owned: number[] = [];
  private running = false;
  private feeding: Promise<void> | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private readFailures = 0;

  constructor(private readonly deps: CoordinatorDeps) {}

  async start(): Promise<void> {
    this.running = true;
    await this.deps.ownership.start((owned) => {
      this.assign(owned).catch((err) => this.deps.logger.error({ err }, 'partition assignment failed'));
    });
    const tickMs = Math.max(20, Math.min(250, Math.floor(this.deps.windowMs / 4)));
    this.ticker = setInterval(() => {
      const nowMs = Date.now();
      for (const ref of this.actors.values()) tell(ref, { type: 'CloseIdleTraces', nowMs });
    }, tickMs);
    this.feeding = this.feed();
  }

  /** Starts actors for newly owned partitions after re-reading what they left pending. */
  private async assign(owned: readonly number[]): Promise<void> {
    const next = new Set(owned);
    for (const [p, ref] of this.actors) {
      if (!next.has(p)) {
        await this.drainPartition(p, ref);
        stopActor(ref);
        this.actors.delete(p);
      }
    }
    const fresh = owned.filter((p) => !this.actors.has(p));
    for (const p of fresh) {
      this.actors.set(p, spawnPartitionActor(this.deps.system, {
        partition: p,
        log: this.deps.log,
        writer: this.deps.writer,
        inFlight: this.deps.inFlight,
        windowMs: this.deps.windowMs,
        maxOpenSpans: this.deps.maxOpenSpansPerPartition,
        logger: this.deps.logger,
      }));
    }
    let recovered = 0;
    for (const p of fresh) {
      const mine = await this.deps.log.readPending(p, this.deps.consumer, RECOVER_COUNT);
      const stale = await this.deps.log.claimStale(p, this.deps.consumer, this.deps.claimIdleMs, RECOVER_COUNT);
      recovered += this.dispatch([...mine, ...stale]);
    }
    if (recovered > 0) this.deps.logger.info({ spans: recovered }, 're-read unacknowledged spans from the span log');
    this.owned = [...owned];
  }

  private dispatch(entries: SpanLogEntry[]): number {
    const byPartition = new Map<number, SpanLogEntry[]>();
    let spans = 0;
    for (const e of entries) {
      const list = byPartition.get(e.partition);
      if (list) list.push(e);
      else byPartition.set(e.partition, [e]);
      spans += e.spans.length;
    }
    for (const [p, list] of byPartition) {
      const ref = this.actors.get(p);
      if (!ref) continue; // no longer ours: the entry stays pending for the next owner
      this.deps.inFlight.add(list.reduce((n, e) => n + e.spans.length, 0));
      tell(ref, { type: 'AddEntries', entries: list });
    }
    return spans;
  }

  private async feed(): Promise<void> {
    while (this.running) {
      await this.deps.inFlight.room();
      if (!this.running) break;
      if (this.owned.length === 0) {
        await new Promise((r) => setTimeout(r, READ_BLOCK_MS));
        continue;
      }
      try {
        const entries = await this.deps.log.readNew(this.owned, this.deps.consumer, { count: READ_COUNT, blockMs: READ_BLOCK_MS });
        this.readFailures = 0;
        this.dispatch(entries);
      } catch (err) {
        if (!this.running) break;
        this.readFailures++;
        if (this.readFailures === 1 || this.readFailures % 20 === 0) {
          this.deps.logger.warn({ err, failures: this.readFailures }, 'reading the span log failed; retrying');
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * this.readFailures)));
      }
    }
  }

  private async drainPartition(p: number, ref: ActorRef<PartitionMsg>, timeoutMs = 30_000): Promise<void> {
    try {
      await ask<PartitionMsg, { type: 'Flushed'; partition: number }>(ref, (replyTo) => ({ type: 'FlushAll', replyTo }), timeoutMs);
    } catch (err) {
      this.deps.logger.warn({ err, partition: p }, 'partition did not drain in time; its entries stay pending');
    }
  }

  async stats(): Promise<PartitionStats[]> {
    return Promise.all([...this.actors.values()].map((ref) =>
      ask<PartitionMsg, PartitionStats>(ref, (replyTo) => ({ type: 'DescribeOpen', replyTo }), 5000)));
  }

  /**
   * Stops the partitions. With `drainLog` (the in-process log, which dies with the process) it
   * first keeps reading and closing traces until the log holds nothing unacknowledged, giving up
   * only when no progress is made for `stallMs`. Without it (a durable log) it stops reading at
   * once, writes the open traces it holds, and leaves the rest pending for the next owner.
   */
  async stop({ drainLog, stallMs }: { drainLog: boolean; stallMs: number }): Promise<void> {
    if (drainLog) await this.drainLog(stallMs);
    this.running = false;
    this.deps.inFlight.wakeAll();
    if (this.ticker) clearInterval(this.ticker);
    await this.feeding;
    await Promise.all([...this.actors].map(([p, ref]) => this.drainPartition(p, ref, stallMs)));
    for (const ref of this.actors.values()) stopActor(ref);
    this.actors.clear();
    await this.deps.ownership.stop();
  }

  private async drainLog(stallMs: number): Promise<void> {
    let last = await this.deps.log.backlog();
    let lastProgress = Date.now();
    while (last > 0) {
      // Close every open trace now instead of waiting for its window.
      await Promise.all([...this.actors].map(([p, ref]) => this.drainPartition(p, ref, stallMs)));
      const now = await this.deps.log.backlog();
      if (now < last) lastProgress = Date.now();
      else if (Date.now() - lastProgress > stallMs) {
        this.deps.logger.error({ unacknowledgedSpans: now }, 'shutdown drain stalled; unwritten spans of the in-process log are lost');
        return;
      }
      last = now;
      if (last > 0) await new Promise((r) => setTimeout(r, 20));
    }
  }
}
