// One Redis client from a URL, standalone or Cluster: a redis:// URL that points at a node of
// a Redis Cluster (INFO says cluster_enabled:1) gets a Cluster client seeded with that node,
// so `--redis` takes either without another flag. Clients fail fast, like the span log's: no
// offline queue, a command timeout, reconnects by themselves.
import { Cluster, Redis } from 'ioredis';
import { failFastOptions, fromRedisError, type RedisClient } from '../../store/redis/connection.ts';

export interface ConnectOptions {
  /** A command not answered within this fails (UNAVAILABLE). Default 2000. */
  commandTimeoutMs?: number;
}

/** Failures reach callers as rejected commands (UNAVAILABLE); the event itself is not news. */
const quiet = (): void => undefined;

/** True when the server at the URL is a Redis Cluster node. */
async function isClusterNode(url: string, timeoutMs: number): Promise<{ cluster: boolean; client: Redis }> {
  const client = new Redis(url, failFastOptions(timeoutMs));
  client.on('error', quiet);
  await client.connect();
  const info = await client.info('cluster');
  return { cluster: /cluster_enabled:1/.test(info), client };
}

/** Connects to the Redis (or Redis Cluster) at `url`; rejects UNAVAILABLE when it cannot. */
export async function connectRedis(url: string, opts: ConnectOptions = {}): Promise<RedisClient> {
  const timeoutMs = opts.commandTimeoutMs ?? 2000;
  let probe: Redis | undefined;
  try {
    const found = await isClusterNode(url, timeoutMs);
    probe = found.client;
    if (!found.cluster) return found.client;
    probe.disconnect();
    const u = new URL(url);
    const { lazyConnect: _lazy, enableOfflineQueue: _queue, retryStrategy: _retry, ...redisOptions } = failFastOptions(timeoutMs);
    const cluster = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
      slotsRefreshTimeout: timeoutMs,
      redisOptions: {
        ...redisOptions,
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
      },
    });
    cluster.on('error', quiet);
    await cluster.connect();
    return cluster;
  } catch (err) {
    probe?.disconnect();
    throw fromRedisError(err, `connecting to Redis at ${url}`);
  }
}

/** Closes a client made by connectRedis. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
