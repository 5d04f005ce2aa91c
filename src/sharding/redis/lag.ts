// Per-partition lag of the span log's consumer group, for /metrics: stream length, entries
// pending (delivered, not acknowledged) and entries not yet delivered (XINFO GROUPS "lag",
// Redis 7+). One XLEN and one XINFO GROUPS per partition asked, sent together.
import type { RedisClient } from '../../store/redis/connection.ts';

export interface PartitionLag {
  partition: number;
  /** Entries in the stream (acknowledged ones until they are trimmed). */
  length: number;
  /** Entries delivered to a consumer and not yet acknowledged. */
  pending: number;
  /** Entries not yet delivered to any consumer; null when Redis cannot tell. */
  undelivered: number | null;
}

export interface LagProbeOptions {
  client: RedisClient;
  /** Prefix of the span-log keys. Default 'tessera'. */
  keyPrefix?: string;
  /** Consumer group. Default 'tessera'. */
  group?: string;
}

export type LagProbe = (partitions: readonly number[]) => Promise<PartitionLag[]>;

export function redisLagProbe(o: LagProbeOptions): LagProbe {
  const prefix = o.keyPrefix ?? 'tessera';
  const group = o.group ?? 'tessera';
  return (partitions) =>
    Promise.all(partitions.map(async (partition) => {
      const key = `${prefix}:spans:{p${partition}}`;
      const [length, groups] = await Promise.all([o.client.xlen(key), o.client.xinfo('GROUPS', key) as Promise<unknown[]>]);
      let pending = 0;
      let undelivered: number | null = null;
      for (const g of groups as unknown[][]) {
        const f = new Map<string, unknown>();
        for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
        if (f.get('name') !== group) continue;
        pending = Number(f.get('pending') ?? 0);
        const lag = f.get('lag');
        undelivered = lag === null || lag === undefined ? null : Number(lag);
      }
      return { partition, length, pending, undelivered };
    }));
}
