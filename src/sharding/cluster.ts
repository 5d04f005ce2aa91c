// What node.ts calls to get its partition ownership: leases over Redis when the node has a
// Redis span log (any number of nodes may share it), else the single-node ownership of the
// embedded mode. Also the cluster view and the span log's lag probe for /metrics.
import type { Logger } from 'pino';
import type { RedisClient } from '../store/redis/connection.ts';
import { clusterHandler, registrySnapshot, singleNodeSnapshot, type ClusterSnapshotSource } from './clusterView.ts';
import { LeasedOwnership, type OwnershipEvents } from './leasedOwnership.ts';
import { SingleNodeOwnership, type PartitionOwnership } from './ownership.ts';
import { redisLagProbe, type LagProbe } from './redis/lag.ts';
import { openRedisRegistry } from './redis/registry.ts';

export interface OwnershipSetupOptions {
  /** The node's Redis (URL or a client it shares); undefined in the embedded mode. */
  redis: string | RedisClient | undefined;
  nodeId: string;
  partitions: number;
  /** Default 10 000. */
  leaseTtlMs?: number;
  /** Shown in the cluster view: addresses, roles. */
  meta?: Record<string, string>;
  logger: Logger;
  events?: OwnershipEvents;
}

export interface OwnershipSetup {
  ownership: PartitionOwnership;
  /** GET /cluster. */
  clusterRoute: ReturnType<typeof clusterHandler>;
  snapshot: ClusterSnapshotSource;
  /** Per-partition stream length and pending counts, for /metrics (Redis only). */
  lag: LagProbe | undefined;
  close(): Promise<void>;
}

export const DEFAULT_LEASE_TTL_MS = 10_000;

export async function openOwnership(o: OwnershipSetupOptions): Promise<OwnershipSetup> {
  if (o.redis === undefined) {
    const snapshot = singleNodeSnapshot(o.partitions, o.nodeId, o.meta ?? {});
    return { ownership: new SingleNodeOwnership(o.partitions), snapshot, clusterRoute: clusterHandler(snapshot), lag: undefined, close: async () => {} };
  }
  const registry = await openRedisRegistry({ redis: o.redis });
  const ownership = new LeasedOwnership({
    registry,
    nodeId: o.nodeId,
    partitions: o.partitions,
    leaseTtlMs: o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    meta: o.meta,
    logger: o.logger.child({ component: 'ownership' }),
    events: o.events,
  });
  const snapshot = registrySnapshot(registry, o.partitions, o.nodeId);
  return {
    ownership,
    snapshot,
    clusterRoute: clusterHandler(snapshot),
    lag: redisLagProbe({ client: registry.client }),
    close: () => registry.close(),
  };
}

/**
 * The cluster view alone, for a node that does not run the process role (ingest- or
 * query-only): it holds no lease and is not a member, but operators may ask any node.
 */
export async function openClusterView(o: { redis: string | RedisClient; nodeId: string; partitions: number }): Promise<{ clusterRoute: ReturnType<typeof clusterHandler>; close(): Promise<void> }> {
  const registry = await openRedisRegistry({ redis: o.redis });
  return { clusterRoute: clusterHandler(registrySnapshot(registry, o.partitions, o.nodeId)), close: () => registry.close() };
}
