// The Redis pub/sub LiveHub (cluster mode): a node publishes each written trace on its
// tenant's channel, and every node delivers what arrives on the channels of its own
// subscribers, whichever node wrote the trace. Nothing is encoded or sent for a tenant no
// node listens to: each hub keeps the set of tenants someone listens to ("interest"), from
// PUBSUB CHANNELS every interval and from the announcement a hub publishes when it starts
// listening to a tenant, which it repeats every interval (PUBSUB CHANNELS only lists the
// channels of the one Redis Cluster node it asks). Its own two connections, opened like the
// node's (src/sharding/redis/connect.ts: standalone Redis or Redis Cluster).
import type { Logger } from 'pino';
import { TesseraError } from '../errors.ts';
import { closeRedis, connectRedis } from '../sharding/redis/connect.ts';
import type { RedisClient } from '../store/redis/connection.ts';
import { DEFAULT_MAX_QUEUED_TRACES, type HubSubscription, type LiveHub, type LiveHubOptions, type LiveHubStats, type LiveTrace } from './api.ts';
import { decodeLiveTrace, encodeLiveTrace } from './codec.ts';
import { LossLog } from './lossLog.ts';
import { epochMsNow, liveTraceOf, TenantListeners } from './listeners.ts';
import { PublishQueue } from './publishQueue.ts';

export interface RedisLiveHubOptions extends LiveHubOptions {
  /** A redis:// URL (standalone or a Redis Cluster node); the hub opens and closes its own two connections. */
  redis: string;
  logger: Logger;
  /** Columns sent, by view (scopes.ts liveProjection). */
  projection: ReadonlyMap<string, readonly string[]>;
  /** Channel prefix; default 'tessera'. */
  keyPrefix?: string;
  /** How often the interest set is re-read from Redis; default 1000 ms. */
  interestRefreshMs?: number;
  /** PUBLISH commands awaiting their reply at most; past it traces are dropped. Default 1000. */
  maxInflightPublishes?: number;
  /** Default 2000 ms. */
  commandTimeoutMs?: number;
}

export interface RedisLiveHub extends LiveHub {
  /** True when this hub knows someone (on any node) listens to the tenant. */
  interestedIn(tenant: string): boolean;
}

const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

export async function createRedisLiveHub(opts: RedisLiveHubOptions): Promise<RedisLiveHub> {
  const prefix = opts.keyPrefix ?? 'tessera';
  const tenantPrefix = `${prefix}:live:t:`;
  const control = `${prefix}:live:interest`;
  const refreshMs = opts.interestRefreshMs ?? 1000;
  const maxInflight = opts.maxInflightPublishes ?? 1000;
  const timeoutMs = opts.commandTimeoutMs ?? 2000;
  const logger = opts.logger.child({ component: 'live-hub' });
  // Both fail fast (a trace is lost and counted, never queued without bound; a subscription
  // made while Redis is away is refused) and reconnect by themselves; the subscriber
  // connection re-subscribes its channels when it does.
  let pub: RedisClient;
  let sub: RedisClient;
  try {
    [pub, sub] = await Promise.all([connectRedis(opts.redis, { commandTimeoutMs: timeoutMs }), connectRedis(opts.redis, { commandTimeoutMs: timeoutMs })]);
  } catch (err) {
    throw new TesseraError('UNAVAILABLE', `live hub: cannot reach Redis (${(err as Error).message})`, { cause: err });
  }
  for (const c of [pub, sub]) c.on('error', (err) => logger.debug({ err }, 'live hub connection error'));

  const listeners = new TenantListeners(logger);
  const losses = new LossLog(logger, 'live traces lost in the hub');
  const subscribed = new Map<string, Promise<void>>();
  let interest = new Set<string>();
  const announcedAt = new Map<string, number>();
  let published = 0;
  let dropped = 0;
  let failed = 0;
  let inflight = 0;
  const lose = (kind: 'dropped' | 'failed') => {
    if (kind === 'dropped') dropped++;
    else failed++;
    losses.note(kind);
  };

  const queue = new PublishQueue<LiveTrace>(opts.maxQueuedTraces ?? DEFAULT_MAX_QUEUED_TRACES, (batch) => {
    for (const t of batch) {
      if (inflight >= maxInflight) {
        lose('dropped');
        continue;
      }
      inflight++;
      pub.publish(tenantPrefix + t.tenant, encodeLiveTrace(t, opts.projection)).then(
        () => void inflight--,
        (err: unknown) => {
          inflight--;
          lose('failed');
          logger.debug({ err }, 'live publish failed');
        },
      );
    }
  });

  sub.on('message', (channel: string, message: string) => {
    if (channel === control) {
      interest.add(message);
      announcedAt.set(message, Date.now());
      return;
    }
    if (!channel.startsWith(tenantPrefix)) return;
    let trace: LiveTrace;
    try {
      trace = decodeLiveTrace(message);
    } catch (err) {
      lose('failed');
      logger.debug({ err, channel }, 'undecodable live message');
      return;
    }
    if (trace.tenant !== channel.slice(tenantPrefix.length)) return;
    listeners.deliver(trace);
  });

  const refreshInterest = async (): Promise<void> => {
    const channels = (await pub.pubsub('CHANNELS', `${escapeGlob(tenantPrefix)}*`)) as string[];
    const next = new Set(channels.map((c) => c.slice(tenantPrefix.length)));
    // An announcement may overtake the channel list on the other connection: keep it a while.
    const now = Date.now();
    for (const [tenant, at] of announcedAt) {
      if (now - at < 2 * refreshMs) next.add(tenant);
      else announcedAt.delete(tenant);
    }
    for (const tenant of listeners.tenants()) next.add(tenant);
    interest = next;
    // Other hubs may not see this one's channels in PUBSUB CHANNELS (Redis Cluster): say so.
    await Promise.all(listeners.tenants().map((tenant) => pub.publish(control, tenant)));
  };

  try {
    await sub.subscribe(control);
    await refreshInterest();
  } catch (err) {
    pub.disconnect();
    sub.disconnect();
    throw new TesseraError('UNAVAILABLE', `live hub: cannot reach Redis (${(err as Error).message})`, { cause: err });
  }
  const timer = setInterval(() => {
    refreshInterest().catch((err: unknown) => logger.debug({ err }, 'live interest refresh failed'));
  }, refreshMs);
  timer.unref();

  const startListening = (tenant: string): Promise<void> => {
    const ready = (async () => {
      await sub.subscribe(tenantPrefix + tenant);
      interest.add(tenant);
      await pub.publish(control, tenant);
    })();
    ready.catch((err: unknown) => logger.warn({ err, tenant }, 'live hub could not subscribe'));
    return ready;
  };

  return {
    publish(written) {
      const at = epochMsNow();
      for (const w of written) {
        if (!interest.has(w.trace.tenant)) continue;
        if (queue.offer(liveTraceOf(w, at))) published++;
        else lose('dropped');
      }
    },
    subscribe(tenant, listener): HubSubscription {
      if (listeners.add(tenant, listener)) subscribed.set(tenant, startListening(tenant));
      const ready = subscribed.get(tenant)!;
      return {
        ready,
        close: () => {
          if (!listeners.remove(tenant, listener)) return;
          subscribed.delete(tenant);
          sub.unsubscribe(tenantPrefix + tenant).catch((err: unknown) => logger.debug({ err, tenant }, 'live unsubscribe failed'));
        },
      };
    },
    stats(): LiveHubStats {
      return { published, delivered: listeners.delivered, dropped, failed, queued: queue.length };
    },
    interestedIn: (tenant) => interest.has(tenant),
    async close() {
      clearInterval(timer);
      queue.close();
      listeners.clear();
      losses.close();
      sub.disconnect();
      await closeRedis(pub);
    },
  };
}
