// The Redis Streams span log (docs/PROTOCOL.md, "Span log"): one stream per partition, keys
// hash-tagged so that each partition is one Cluster slot, one consumer group, one entry per
// (append, partition) carrying a SpanBatch. ioredis is used here and nowhere above the port.

import { pino, type Logger } from 'pino';
import type { Cluster, Redis } from 'ioredis';
import { TesseraError, exhausted, invalid } from '../../errors.ts';
import type { Span } from '../../model/span.ts';
import type { ReadOptions, SpanLog, SpanLogEntry } from '../api.ts';
import { encodeSpanBatch } from '../codec.ts';
import {
  closeConnections, fromRedisError, isCluster, isNoGroupError, openConnections, withDeadline,
  type RedisClient, type SpanLogConnections,
} from './connection.ts';
import { FIELD_BATCH, FIELD_COUNT, compareEntryIds, parseEntries, parseReadReply, type ParsedEntries } from './entries.ts';
import { ACK, BACKLOG } from './scripts.ts';
import { Trimmer } from './trim.ts';

export interface RedisSpanLogOptions {
  /** A redis:// URL (the log opens and closes its own connections) or a client to use. */
  redis: string | Redis | Cluster;
  partitions: number;
  /** Appends are refused (RESOURCE_EXHAUSTED) when un-acked spans would exceed this. */
  maxBacklogSpans: number;
  /** Consumer group name. Default 'tessera'. */
  group?: string;
  /** Prefix of every key. Default 'tessera'. */
  keyPrefix?: string;
  /** A command not answered within this is UNAVAILABLE. Default 2000. */
  commandTimeoutMs?: number;
  /** How stale the cached backlog may be when an append is checked against the bound. Default 1000. */
  backlogRefreshMs?: number;
  /** Trims run at most this often, after acks. Default 1000. */
  trimIntervalMs?: number;
  /** Cluster only: how often a waiting readNew polls its streams. Default 50. */
  clusterPollMs?: number;
  /** Seconds a refused client is told to wait. Default 1. */
  retryAfterSec?: number;
  logger?: Logger;
}

export interface RedisSpanLog extends SpanLog {
  /** The stream key of a partition, e.g. `tessera:spans:{p17}`. */
  streamKey(partition: number): string;
  /** Trims every partition now (normally throttled after acks); resolves with entries removed. */
  trim(): Promise<number>;
}

const MAX_REMEMBERED_COUNTS = 200_000;

class RedisStreamsSpanLog implements RedisSpanLog {
  readonly partitions: number;
  private readonly group: string;
  private readonly streamKeys: string[];
  private readonly counterKeys: string[];
  private readonly partitionOfKey: Map<string, number>;
  private readonly timeoutMs: number;
  private readonly retryAfterSec: number;
  private readonly trimmer: Trimmer;
  /** Span counts of entries this log delivered, so an ack subtracts them without a lookup. */
  private readonly spansOf = new Map<string, number>();
  private backlogSpans = 0;
  private backlogAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private blockingReads: Promise<unknown> = Promise.resolve();
  private readonly appendWaiters = new Set<() => void>();
  /**
   * Partitions whose last read of new entries failed. Redis may have delivered entries to this
   * consumer before the reply was lost (a timeout, a cut connection): they are pending for us
   * but nobody holds them, so the next read of these partitions first re-reads our own pending
   * entries (the partition actor skips any it already holds).
   */
  private readonly suspect = new Set<number>();
  /** Per partition, the newest entry id a read of new entries returned: stranded ones come after it. */
  private readonly lastNew = new Map<number, string>();
  private closed = false;

  constructor(
    private readonly conns: SpanLogConnections,
    private readonly opts: Required<Omit<RedisSpanLogOptions, 'redis' | 'logger'>> & { logger: Logger },
  ) {
    this.partitions = opts.partitions;
    this.group = opts.group;
    this.timeoutMs = opts.commandTimeoutMs;
    this.retryAfterSec = opts.retryAfterSec;
    const prefix = opts.keyPrefix;
    this.streamKeys = Array.from({ length: opts.partitions }, (_, p) => `${prefix}:spans:{p${p}}`);
    this.counterKeys = Array.from({ length: opts.partitions }, (_, p) => `${prefix}:backlog:{p${p}}`);
    this.partitionOfKey = new Map(this.streamKeys.map((k, p) => [k, p]));
    this.trimmer = new Trimmer(conns.main, this.streamKeys, opts.trimIntervalMs, opts.logger);
  }

  streamKey(partition: number): string {
    return this.keyOf(partition);
  }

  async ensureGroups(): Promise<void> {
    await Promise.all(
      this.streamKeys.map((key) =>
        this.call('creating consumer groups', this.conns.main.xgroup('CREATE', key, this.group, '0', 'MKSTREAM')).catch((err: unknown) => {
          if (!(err instanceof TesseraError && /BUSYGROUP/.test(err.message))) throw err;
        }),
      ),
    );
  }

  async append(batches: ReadonlyMap<number, Span[]>): Promise<void> {
    this.assertOpen();
    const parts: [number, Span[]][] = [];
    let total = 0;
    for (const [partition, spans] of batches) {
      this.keyOf(partition);
      if (spans.length === 0) continue;
      parts.push([partition, spans]);
      total += spans.length;
    }
    if (total === 0) return;
    if (performance.now() - this.backlogAt > this.opts.backlogRefreshMs) await this.refreshBacklog();
    if (this.backlogSpans + total > this.opts.maxBacklogSpans) {
      throw exhausted(
        `span log is full: ~${this.backlogSpans} un-acked spans + ${total} would exceed ${this.opts.maxBacklogSpans}`,
        this.retryAfterSec,
      );
    }
    const entries = parts.map(([p, spans]) => ({ p, n: spans.length, bytes: asBuffer(encodeSpanBatch(spans)) }));
    const main = this.conns.main;
    // Standalone: one MULTI, so an append is all or nothing. Cluster: one MULTI per partition
    // (a transaction cannot span slots), sent together so ioredis pipelines them per node.
    const groups = isCluster(main) ? entries.map((e) => [e]) : [entries];
    this.backlogSpans += total; // reserved now, so concurrent appends see each other
    try {
      await Promise.all(
        groups.map(async (group) => {
          const tx = main.multi();
          for (const e of group) {
            tx.xadd(this.streamKeys[e.p], '*', FIELD_COUNT, String(e.n), FIELD_BATCH, e.bytes);
            tx.incrby(this.counterKeys[e.p], e.n);
          }
          checkExec(await this.call('appending spans', tx.exec()));
        }),
      );
    } catch (err) {
      this.backlogSpans -= total;
      throw err;
    }
    for (const wake of this.appendWaiters) wake();
  }

  async readNew(partitions: readonly number[], consumer: string, opts: ReadOptions): Promise<SpanLogEntry[]> {
    this.assertOpen();
    const keys = partitions.map((p) => this.keyOf(p));
    if (keys.length === 0 || opts.count < 1) return [];
    const stranded = await this.rereadSuspect(partitions, consumer, opts.count);
    if (stranded.length > 0) return stranded;
    if (this.conns.blocking === undefined) return this.pollNew(partitions, consumer, opts);
    const args: (string | number)[] = ['GROUP', this.group, consumer, 'COUNT', opts.count];
    if (opts.blockMs > 0) args.push('BLOCK', opts.blockMs);
    args.push('STREAMS', ...keys, ...keys.map(() => '>'));
    const blocking = this.conns.blocking;
    const read = (): Promise<unknown> => {
      if (opts.blockMs <= 0) return this.call('reading new entries', this.conns.main.callBuffer('XREADGROUP', args));
      // One blocking command at a time on the blocking connection.
      const next = this.blockingReads.then(() => blocking.callBuffer('XREADGROUP', args));
      this.blockingReads = next.catch(() => undefined);
      return next.catch((err: unknown) => {
        throw fromRedisError(err, 'reading new entries', this.retryAfterSec);
      });
    };
    try {
      return this.noteNew(await this.accept(parseReadReply(await this.withGroups(read), (k) => this.partitionOfKey.get(k))));
    } catch (err) {
      if (this.closed) return []; // close() cut the blocking read short
      for (const p of partitions) this.suspect.add(p);
      throw err;
    }
  }

  /** This consumer's pending entries newer than its last read, of the suspect partitions among `partitions`. */
  private async rereadSuspect(partitions: readonly number[], consumer: string, count: number): Promise<SpanLogEntry[]> {
    const out: SpanLogEntry[] = [];
    for (const p of partitions) {
      if (!this.suspect.has(p)) continue;
      for (let from = this.lastNew.get(p) ?? '0'; ;) {
        const got = await this.readOwnPending(p, consumer, count, from);
        out.push(...got);
        if (got.length < count) break;
        from = got[got.length - 1].id;
      }
      this.suspect.delete(p);
    }
    if (out.length > 0) this.opts.logger.warn({ entries: out.length }, 'span log: re-read entries delivered to a read that failed');
    return this.noteNew(out);
  }

  private noteNew(entries: SpanLogEntry[]): SpanLogEntry[] {
    for (const e of entries) {
      const last = this.lastNew.get(e.partition);
      if (last === undefined || compareEntryIds(e.id, last) > 0) this.lastNew.set(e.partition, e.id);
    }
    return entries;
  }

  async readPending(partition: number, consumer: string, count: number): Promise<SpanLogEntry[]> {
    this.assertOpen();
    return this.readOwnPending(partition, consumer, count, '0');
  }

  /** Entries pending for this consumer with ids after `after`. */
  private async readOwnPending(partition: number, consumer: string, count: number, after: string): Promise<SpanLogEntry[]> {
    const key = this.keyOf(partition);
    if (count < 1) return []; // Redis would read COUNT 0 as "no limit"
    const args = ['GROUP', this.group, consumer, 'COUNT', count, 'STREAMS', key, after];
    const reply = await this.withGroups(() => this.call('reading pending entries', this.conns.main.callBuffer('XREADGROUP', args)));
    return this.accept(parseReadReply(reply, (k) => this.partitionOfKey.get(k)));
  }

  async claimStale(partition: number, consumer: string, minIdleMs: number, count: number): Promise<SpanLogEntry[]> {
    this.assertOpen();
    const key = this.keyOf(partition);
    if (count < 1) return [];
    const args = [key, this.group, consumer, Math.max(0, Math.floor(minIdleMs)), '0-0', 'COUNT', count];
    const reply = await this.withGroups(() => this.call('claiming idle entries', this.conns.main.callBuffer('XAUTOCLAIM', args)));
    const out: ParsedEntries = { entries: [], bad: [] };
    if (Array.isArray(reply)) parseEntries(partition, reply[1], out);
    return this.accept(out);
  }

  async ack(partition: number, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    const keys = [this.keyOf(partition), this.counterKeys[partition]];
    if (ids.length === 0) return;
    const args: (string | number)[] = [this.group];
    for (const id of ids) args.push(id, this.spansOf.get(`${partition}/${id}`) ?? -1);
    const reply = await this.call('acknowledging entries', ACK.run(this.conns.main, keys, args));
    for (const id of ids) this.spansOf.delete(`${partition}/${id}`);
    const spans = Array.isArray(reply) ? Number(reply[1]) : 0;
    this.backlogSpans = Math.max(0, this.backlogSpans - spans);
    this.trimmer.schedule(partition);
  }

  /** Un-acked spans over all partitions, read from the per-partition counters now. */
  async backlog(): Promise<number> {
    this.assertOpen();
    await this.refreshBacklog();
    return this.backlogSpans;
  }

  async trim(): Promise<number> {
    this.assertOpen();
    return this.trimmer.trimAll();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.appendWaiters) wake();
    this.trimmer.stop();
    await closeConnections(this.conns);
  }

  /** Cluster: no single blocking read spans slots, so poll each stream until the deadline. */
  private async pollNew(partitions: readonly number[], consumer: string, opts: ReadOptions): Promise<SpanLogEntry[]> {
    const deadline = performance.now() + opts.blockMs;
    for (;;) {
      const out: ParsedEntries = { entries: [], bad: [] };
      // One command per stream: what the others delivered is kept when one of them fails.
      const reads = await Promise.allSettled(
        partitions.map(async (p) => {
          const args = ['GROUP', this.group, consumer, 'COUNT', opts.count, 'STREAMS', this.streamKeys[p], '>'];
          try {
            const reply = await this.withGroups(() => this.call('reading new entries', this.conns.main.callBuffer('XREADGROUP', args)));
            const parsed = parseReadReply(reply, () => p);
            out.entries.push(...parsed.entries);
            out.bad.push(...parsed.bad);
          } catch (err) {
            this.suspect.add(p);
            throw err;
          }
        }),
      );
      const entries = this.noteNew(await this.accept(out));
      const failed = reads.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed && entries.length === 0 && !this.closed) throw failed.reason;
      const remaining = deadline - performance.now();
      if (entries.length > 0 || remaining <= 0 || this.closed) return entries;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.appendWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(remaining, this.opts.clusterPollMs));
        this.appendWaiters.add(wake);
      });
    }
  }

  /** Remembers span counts for acks; reports and acks entries that cannot be processed. */
  private async accept(parsed: ParsedEntries): Promise<SpanLogEntry[]> {
    for (const e of parsed.entries) {
      if (this.spansOf.size >= MAX_REMEMBERED_COUNTS) this.spansOf.clear(); // acks then count in Redis
      this.spansOf.set(`${e.partition}/${e.id}`, e.spans.length);
    }
    for (const bad of parsed.bad) {
      this.opts.logger.error({ partition: bad.partition, entryId: bad.id, reason: bad.reason }, 'span log: unreadable entry acknowledged and skipped');
      await this.ack(bad.partition, [bad.id]);
    }
    return parsed.entries;
  }

  private async refreshBacklog(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const counts = await Promise.all(
          this.streamKeys.map((key, p) => this.call('reading the backlog', BACKLOG.run(this.conns.main, [key, this.counterKeys[p]], []))),
        );
        this.backlogSpans = counts.reduce<number>((sum, n) => sum + Math.max(0, Number(n) || 0), 0);
        this.backlogAt = performance.now();
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Runs `fn`; when a group is missing (Redis lost its data), recreates the groups and retries once. */
  private async withGroups<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!isNoGroupError(err) && !(err instanceof TesseraError && isNoGroupError(err.cause))) throw err;
      this.opts.logger.warn({ group: this.group }, 'span log: consumer group missing (Redis lost its data?), recreating it');
      await this.ensureGroups();
      return fn();
    }
  }

  private call<T>(doing: string, p: Promise<T>): Promise<T> {
    return withDeadline(p, this.timeoutMs, doing, this.retryAfterSec).catch((err: unknown) => {
      throw fromRedisError(err, doing, this.retryAfterSec);
    });
  }

  private keyOf(partition: number): string {
    const key = this.streamKeys[partition];
    if (key === undefined) throw invalid(`span log: no partition ${partition} (there are ${this.partitions})`);
    return key;
  }

  private assertOpen(): void {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'span log is closed', { retryAfterSec: this.retryAfterSec });
  }
}

/** A MULTI's results: the first failed command's error, or UNAVAILABLE if it was aborted. */
function checkExec(results: [Error | null, unknown][] | null): void {
  if (results === null) throw new TesseraError('UNAVAILABLE', 'appending spans: the transaction was aborted', { retryAfterSec: 1 });
  for (const [err] of results) if (err) throw fromRedisError(err, 'appending spans');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Opens the Redis Streams span log: connects (UNAVAILABLE when Redis cannot be reached) and
 * creates the consumer group on every partition stream (MKSTREAM; an existing group is kept).
 */
export async function createRedisSpanLog(options: RedisSpanLogOptions): Promise<RedisSpanLog> {
  if (!Number.isInteger(options.partitions) || options.partitions < 1) {
    throw new TesseraError('CONFIG', `span log: partitions must be a positive integer, got ${options.partitions}`);
  }
  if (!(options.maxBacklogSpans > 0)) {
    throw new TesseraError('CONFIG', `span log: maxBacklogSpans must be positive, got ${options.maxBacklogSpans}`);
  }
  const opts = {
    partitions: options.partitions,
    maxBacklogSpans: options.maxBacklogSpans,
    group: options.group ?? 'tessera',
    keyPrefix: options.keyPrefix ?? 'tessera',
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
    backlogRefreshMs: options.backlogRefreshMs ?? 1000,
    trimIntervalMs: options.trimIntervalMs ?? 1000,
    clusterPollMs: options.clusterPollMs ?? 50,
    retryAfterSec: options.retryAfterSec ?? 1,
    logger: options.logger ?? pino({ name: 'span-log', level: 'warn' }, pino.destination(2)),
  };
  const conns = await openConnections(options.redis, opts.commandTimeoutMs);
  const log = new RedisStreamsSpanLog(conns, opts);
  try {
    await log.ensureGroups();
  } catch (err) {
    await log.close();
    throw err;
  }
  return log;
}

export type { RedisClient };
