// Redis connections for the span log, and the one place Redis failures become coded errors.
// Connections we create fail fast: no offline queue, in-flight commands rejected on the first
// disconnect, a command timeout. They reconnect by themselves, so the log recovers when Redis
// comes back without anyone restarting it.

import { createHash } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { TesseraError, exhausted, unavailable } from '../../errors.ts';

export type RedisClient = Redis | Cluster;

/** The clients the span log uses, and which of them it must close. */
export interface SpanLogConnections {
  /** Commands that answer at once (XADD, XACK, scripts, non-blocking reads). */
  main: RedisClient;
  /** A dedicated connection for XREADGROUP BLOCK (standalone Redis only). */
  blocking: Redis | undefined;
  owned: Redis[];
}

export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster === true;
}

/** Options of every connection Tessera opens itself: fail fast, reconnect by themselves. */
export function failFastOptions(commandTimeoutMs: number): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    // Reject what is in flight at the first disconnect: the caller answers 503 and its client
    // retries, rather than a request hanging while Redis is away.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
  };
}

/** A blocking read has no command timeout; ioredis times it out at BLOCK + grace instead. */
function blockingOptions(commandTimeoutMs: number): Partial<RedisOptions> {
  return {
    ...failFastOptions(commandTimeoutMs),
    commandTimeout: undefined,
    blockingTimeout: commandTimeoutMs,
    blockingTimeoutGrace: commandTimeoutMs,
  };
}

/**
 * Opens (or adopts) the span log's connections. A URL gets connections of our own; a given
 * client is used as it is (its own retry options apply) and only the blocking duplicate we
 * make of it is ours to close.
 */
export async function openConnections(redis: string | RedisClient, commandTimeoutMs: number): Promise<SpanLogConnections> {
  const owned: Redis[] = [];
  try {
    let main: RedisClient;
    if (typeof redis === 'string') {
      const client = new Redis(redis, failFastOptions(commandTimeoutMs));
      owned.push(client);
      await client.connect();
      main = client;
    } else {
      // Keys in replies would come back prefixed and match no partition: refuse, loudly.
      if ((redis.options as { keyPrefix?: string }).keyPrefix) {
        throw new TesseraError('CONFIG', 'span log: the Redis client has a keyPrefix option; use the span log keyPrefix instead');
      }
      main = redis;
    }
    let blocking: Redis | undefined;
    if (!isCluster(main)) {
      blocking = main.duplicate(blockingOptions(commandTimeoutMs));
      owned.push(blocking);
      await blocking.connect();
    }
    return { main, blocking, owned };
  } catch (err) {
    for (const c of owned) c.disconnect();
    throw fromRedisError(err, 'connecting to Redis');
  }
}

/** Closes the connections we own; the blocking one at once, cutting a waiting read short. */
export async function closeConnections(conns: SpanLogConnections): Promise<void> {
  conns.blocking?.disconnect();
  await Promise.all(
    conns.owned.map(async (c) => {
      if (c === conns.blocking) return;
      if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
      else c.disconnect();
    }),
  );
}

const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|NOREPLICAS)/;

/**
 * A Redis failure as a coded error: a refused write for lack of memory is RESOURCE_EXHAUSTED,
 * an unreachable, restarting or failing-over Redis is UNAVAILABLE (both retryable); any other
 * error reply is a bug on our side (INTERNAL).
 */
export function fromRedisError(err: unknown, doing: string, retryAfterSec = 1): TesseraError {
  if (err instanceof TesseraError) return err;
  // A discarded MULTI reports why through the errors of the commands it queued.
  const previous = (err as { previousErrors?: unknown[] } | null)?.previousErrors?.[0];
  if (previous !== undefined) return fromRedisError(previous, doing, retryAfterSec);
  const message = err instanceof Error ? err.message : String(err);
  const isReply = err instanceof Error && err.name === 'ReplyError';
  if (isReply && message.startsWith('OOM')) {
    return exhausted(`${doing}: Redis is out of memory (${message})`, retryAfterSec);
  }
  if (isReply && !UNAVAILABLE_REPLIES.test(message)) {
    return new TesseraError('INTERNAL', `${doing}: ${message}`, { cause: err });
  }
  return new TesseraError('UNAVAILABLE', `${doing}: Redis is unavailable (${message})`, { retryAfterSec, cause: err });
}

export function isNoGroupError(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOGROUP');
}

/** Rejects with UNAVAILABLE when `p` takes longer than `ms` (a backstop for given clients). */
export function withDeadline<T>(p: Promise<T>, ms: number, doing: string, retryAfterSec: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(`${doing}: Redis did not answer within ${ms} ms`, retryAfterSec)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A Lua script sent by SHA, and in full the first time a Redis does not know it. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
