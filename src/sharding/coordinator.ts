// ShardCoordinator: runs a PartitionActor for each partition this node owns, feeds them from
// the span log (one read covers every owned partition), ticks their inactivity windows, and
// applies ownership changes: a newly held partition first takes over what earlier owners left
// pending; a partition handed over is drained (open traces written, entries acknowledged)
// before its lease is released; a lost partition is dropped without writing or acknowledging.
// On shutdown it drains every partition, so open traces are written or left unacknowledged —
// never lost.
import type { Logger } from 'pino';
import type { SpanLog, SpanLogEntry } from '../store/api.ts';
import type { OwnershipListener, PartitionOwnership } from './ownership.ts';
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
  /**
   * Entries pending this long for a consumer are taken over by the partition's owner: on
   * acquisition when ownership is not exclusive (a dead node's entries), and by the periodic
   * sweep always (entries stranded by a read that landed after a handoff).
   */
  claimIdleMs: number;
  /** How often owned partitions are swept for stranded entries. Default claimIdleMs. */
  sweepEveryMs?: number;
  /**
   * How long a partition handed over on a rebalance may spend writing its open traces before
   * the rest is dropped for the new owner to re-read (a backlogged writer must not hold a join
   * up). Default 5000. A shutdown drains for its own `stallMs` instead.
   */
  handoffDrainMs?: number;
  /** Called after each read with its entries, spans and the age of its oldest entry (ms), if known. */
  onRead?: (entries: number, spans: number, lagMs: number | undefined) => void;
  logger: Logger;
}

const READ_COUNT = 256;
const READ_BLOCK_MS = 250;
const RECOVER_COUNT = 1_000_000;
const SWEEP_COUNT = 10_000;

export class ShardCoordinator implements OwnershipListener {
  private readonly actors = new Map<number, ActorRef<PartitionMsg>>();
  private readonly owned = new Set<number>();
  /** Partitions whose takeover read failed (Redis away): retried by the sweep. */
  private readonly unrecovered = new Set<number>();
  private running = false;
  private stopping = false;
  private feeding: Promise<void> | null = null;
  private reading: Promise<unknown> = Promise.resolve();
  private changes: Promise<void> = Promise.resolve();
  private ticker: NodeJS.Timeout | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;
  private readFailures = 0;

  constructor(private readonly deps: CoordinatorDeps) {}

  async start(): Promise<void> {
    this.running = true;
    await this.deps.ownership.start(this);
    const tickMs = Math.max(20, Math.min(250, Math.floor(this.deps.windowMs / 4)));
    this.ticker = setInterval(() => {
      const nowMs = Date.now();
      for (const ref of this.actors.values()) tell(ref, { type: 'CloseIdleTraces', nowMs });
    }, tickMs);
    this.sweeper = setInterval(() => void this.sweep(), this.deps.sweepEveryMs ?? this.deps.claimIdleMs);
    this.feeding = this.feed();
  }

  /** The partitions this coordinator is processing now. */
  ownedPartitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  acquired(partitions: readonly number[]): Promise<void> {
    return this.serially(async () => {
      if (this.stopping) return;
      const fresh = partitions.filter((p) => !this.actors.has(p));
      for (const p of fresh) this.actors.set(p, this.spawn(p));
      let recovered = 0;
      for (const p of fresh) recovered += await this.recover(p);
      if (recovered > 0) this.deps.logger.info({ spans: recovered, partitions: fresh.length }, 're-read unacknowledged spans from the span log');
      for (const p of fresh) this.owned.add(p);
    });
  }

  releasing(partitions: readonly number[]): Promise<void> {
    return this.serially(async () => {
      for (const p of partitions) this.owned.delete(p);
      // A read in flight may still bring entries of these partitions: let it land in their actors.
      await this.reading;
      const leaving = partitions.filter((p) => this.actors.has(p));
      await Promise.all(leaving.map((p) => this.drainPartition(p, this.actors.get(p)!, this.deps.handoffDrainMs ?? 5000)));
      await this.dropWrites(leaving);
      for (const p of leaving) {
        stopActor(this.actors.get(p)!);
        this.actors.delete(p);
        this.unrecovered.delete(p);
      }
    });
  }

  lost(partitions: readonly number[]): Promise<void> {
    return this.serially(async () => {
      for (const p of partitions) {
        this.owned.delete(p);
        this.unrecovered.delete(p);
        const ref = this.actors.get(p);
        if (!ref) continue;
        this.actors.delete(p);
        try {
          await ask<PartitionMsg, { type: 'Abandoned'; partition: number }>(ref, (replyTo) => ({ type: 'Abandon', replyTo }), 5000);
        } catch (err) {
          this.deps.logger.warn({ err, partition: p }, 'a lost partition did not answer in time');
        }
        stopActor(ref);
      }
      await this.dropWrites(partitions);
    });
  }

  /** Drops the writer's queued batches of these partitions and waits out its write in progress. */
  private async dropWrites(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    try {
      await ask<ViewWriterMsg, { type: 'PartitionsDropped' }>(this.deps.writer, (replyTo) => ({ type: 'DropPartitions', partitions, replyTo }), 60_000);
    } catch (err) {
      this.deps.logger.warn({ err, partitions }, 'the view writer did not finish its write in time');
    }
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const next = this.changes.then(fn);
    this.changes = next.catch(() => undefined);
    return next;
  }

  private spawn(partition: number): ActorRef<PartitionMsg> {
    return spawnPartitionActor(this.deps.system, {
      partition,
      log: this.deps.log,
      writer: this.deps.writer,
      inFlight: this.deps.inFlight,
      windowMs: this.deps.windowMs,
      maxOpenSpans: this.deps.maxOpenSpansPerPartition,
      fence: this.deps.ownership,
      logger: this.deps.logger,
    });
  }

  /** Takes over what is pending for the partition; an exclusive owner takes everything at once. */
  private async recover(p: number): Promise<number> {
    const { log, consumer, ownership } = this.deps;
    try {
      const entries = ownership.exclusive
        ? await log.claimStale(p, consumer, 0, RECOVER_COUNT)
        : [...await log.readPending(p, consumer, RECOVER_COUNT), ...await log.claimStale(p, consumer, this.deps.claimIdleMs, RECOVER_COUNT)];
      this.unrecovered.delete(p);
      return this.dispatch(entries);
    } catch (err) {
      this.unrecovered.add(p);
      this.deps.logger.warn({ err, partition: p }, 'could not re-read pending entries; will retry');
      return 0;
    }
  }

  /** Retries failed takeovers and claims entries stranded on other consumers. */
  private async sweep(): Promise<void> {
    if (this.sweeping || !this.running) return;
    this.sweeping = true;
    try {
      await this.serially(async () => {
        for (const p of [...this.unrecovered]) if (this.owned.has(p)) await this.recover(p);
      });
      for (const p of this.owned) {
        if (!this.running) break;
        const entries = await this.deps.log.claimStale(p, this.deps.consumer, this.deps.claimIdleMs, SWEEP_COUNT).catch(() => []);
        if (this.owned.has(p)) this.dispatch(entries);
      }
    } finally {
      this.sweeping = false;
    }
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
      // A partition whose lease is no longer locally valid is not read, even before the
      // ownership loop reports it lost: its new entries belong to the next owner.
      const partitions = [...this.owned].filter((p) => this.deps.ownership.admit(p, 'read'));
      if (partitions.length === 0) {
        await new Promise((r) => setTimeout(r, READ_BLOCK_MS));
        continue;
      }
      try {
        const read = this.deps.log.readNew(partitions, this.deps.consumer, { count: READ_COUNT, blockMs: READ_BLOCK_MS });
        this.reading = read.catch(() => undefined);
        const entries = await read;
        this.readFailures = 0;
        const spans = this.dispatch(entries);
        if (entries.length > 0) this.deps.onRead?.(entries.length, spans, oldestAgeMs(entries));
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
   * Stops the partitions. First the node stops taking partitions and leaves the membership,
   * so the others start taking over at once. With `drainLog` (the in-process log, which dies
   * with the process) it then keeps reading and closing traces until the log holds nothing
   * unacknowledged, giving up only when no progress is made for `stallMs`. Without it (a
   * durable log) it stops reading at once, writes the open traces it holds (each partition
   * for at most `stallMs`), and leaves the rest pending for the next owner to claim. Leases are released last, after the writes.
   */
  async stop({ drainLog, stallMs }: { drainLog: boolean; stallMs: number }): Promise<void> {
    await this.deps.ownership.leave();
    if (drainLog) await this.drainLog(stallMs);
    this.running = false;
    this.deps.inFlight.wakeAll();
    if (this.ticker) clearInterval(this.ticker);
    if (this.sweeper) clearInterval(this.sweeper);
    await this.feeding;
    await this.serially(async () => {
      this.stopping = true;
      this.owned.clear();
      const started = performance.now();
      await Promise.all([...this.actors].map(([p, ref]) => this.drainPartition(p, ref, stallMs)));
      await this.dropWrites([...this.actors.keys()]);
      this.deps.logger.info({ partitions: this.actors.size, ms: Math.round(performance.now() - started) }, 'partitions drained');
      for (const ref of this.actors.values()) stopActor(ref);
      this.actors.clear();
    });
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

/** Age of the oldest entry from a Redis stream id (`<ms>-<seq>`); undefined for other ids. */
function oldestAgeMs(entries: readonly SpanLogEntry[]): number | undefined {
  let oldest = Infinity;
  for (const e of entries) {
    const dash = e.id.indexOf('-');
    if (dash > 0) oldest = Math.min(oldest, Number(e.id.slice(0, dash)));
  }
  return Number.isFinite(oldest) ? Math.max(0, Date.now() - oldest) : undefined;
}
