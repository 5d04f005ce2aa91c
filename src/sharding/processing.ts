// The `process` role of a node, in one call for node.ts: the ViewWriter, the partition
// ownership (leases over Redis when the node has a Redis span log, else single-node), the
// ShardCoordinator, and their metrics, in the node's actor system. Its stop() drains and
// hands partitions over, then releases what it opened (not the actor system: the caller's).
import type { Logger } from 'pino';
import { InFlight } from '../actors/flow.ts';
import { tell, type ActorSystem } from '../actors/runtime.ts';
import { spawnViewWriter, type ViewWriterDeps } from '../actors/viewWriter.ts';
import type { NodeMetrics } from '../metrics/nodeMetrics.ts';
import type { SpanLog, ViewStore } from '../store/api.ts';
import type { RedisClient } from '../store/redis/connection.ts';
import { DEFAULT_LEASE_TTL_MS, openOwnership, type OwnershipSetup } from './cluster.ts';
import { ShardCoordinator } from './coordinator.ts';

export interface ProcessingOptions {
  nodeId: string;
  partitions: number;
  windowMs: number;
  maxInflightSpans: number;
  maxOpenSpansPerPartition: number;
  /** The node's Redis client (connectRedis), shared with its span log; undefined when embedded. */
  redis: RedisClient | undefined;
  /** Default 10 000 (cluster only). */
  leaseTtlMs?: number;
  /** Entries pending this long for another consumer are taken over. Default 60 000. */
  claimIdleMs?: number;
  /** Shown in the cluster view: addresses, roles. */
  meta?: Record<string, string>;
  /** Upper bound of spans per store write. Default 20 000. */
  maxBatchSpans?: number;
  /** How long closed traces may wait for more before a small store write starts (ViewWriterDeps.lingerMs). Default 0. */
  writeLingerMs?: number;
}

export interface ProcessingDeps {
  system: ActorSystem;
  log: SpanLog;
  store: ViewStore;
  rowsOf: ViewWriterDeps['rowsOf'];
  onWritten?: ViewWriterDeps['onWritten'];
  logger: Logger;
  metrics?: NodeMetrics;
}

export interface RunningProcessing {
  coordinator: ShardCoordinator;
  cluster: OwnershipSetup;
  /** Drains (in-process log: until empty; Redis: open traces, for at most min(2 s, ttl/5)), hands partitions over, releases leases. */
  stop(): Promise<void>;
}

export async function startProcessing(deps: ProcessingDeps, o: ProcessingOptions): Promise<RunningProcessing> {
  const { system, log, logger, metrics } = deps;
  const cluster = await openOwnership({
    redis: o.redis, nodeId: o.nodeId, partitions: o.partitions, leaseTtlMs: o.leaseTtlMs, meta: o.meta, logger, events: metrics,
  });
  const writer = spawnViewWriter(system, {
    store: deps.store,
    rowsOf: deps.rowsOf,
    onWritten: deps.onWritten,
    logger,
    maxBatchSpans: o.maxBatchSpans ?? 20_000,
    lingerMs: o.writeLingerMs,
    fence: cluster.ownership,
    onFlush: metrics ? (r) => metrics.flush(r) : undefined,
  });
  const inFlight = new InFlight(o.maxInflightSpans);
  const coordinator = new ShardCoordinator({
    system,
    log,
    ownership: cluster.ownership,
    writer,
    inFlight,
    consumer: o.nodeId,
    windowMs: o.windowMs,
    maxOpenSpansPerPartition: o.maxOpenSpansPerPartition,
    claimIdleMs: o.claimIdleMs ?? 60_000,
    onRead: metrics ? (entries, spans, lagMs) => metrics.read(entries, spans, lagMs) : undefined,
    logger,
  });
  metrics?.setSources({
    ownedPartitions: () => coordinator.ownedPartitions(),
    partitionStats: () => coordinator.stats(),
    inFlightSpans: () => inFlight.count,
    backlogSpans: () => log.backlog(),
    partitionLag: cluster.lag,
  });
  const shutDown = async () => {
    tell(writer, { type: 'Stop' });
    await cluster.close();
  };
  try {
    await coordinator.start();
  } catch (err) {
    await shutDown();
    throw err;
  }
  return {
    coordinator,
    cluster,
    stop: async () => {
      // In-process log: drain it all, or it dies with the process. Redis: what is not written
      // within the bound stays pending for the next owner to claim, so a graceful leave hands
      // over well within one lease TTL even when the store is slow (a leave must not be slower
      // than a crash).
      const stallMs = o.redis === undefined ? 30_000 : Math.min(2000, Math.floor((o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS) / 5));
      await coordinator.stop({ drainLog: o.redis === undefined, stallMs });
      await shutDown();
    },
  };
}
