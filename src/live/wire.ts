// How a node wires the live path: a hub (Redis pub/sub when the node has a Redis URL, its
// connections opened like the node's own by src/sharding/redis/connect.ts; else in-process),
// the ViewWriter's onWritten publishing to it, and graphql-ws on the main HTTP server for nodes
// that serve queries. One call, one close; a running node exposes it as RunningNode.live.
import type http from 'node:http';
import type { Logger } from 'pino';
import type { WrittenTrace } from '../actors/viewWriter.ts';
import { catalog as defaultCatalog, type AttributeCatalog } from '../gateway/catalog.ts';
import type { LiveHub } from './api.ts';
import { createMemoryLiveHub } from './memoryHub.ts';
import { liveProjection } from './scopes.ts';
import { attachLiveSubscriptions, type LiveServer } from './server.ts';

export interface LiveWiringOptions {
  /** The main HTTP server (serving /graphql); null on a node without the query role. */
  server: http.Server | null;
  defaultTenant: string;
  logger: Logger;
  /** Cluster mode: the node's Redis URL. */
  redis?: string;
  /** Per-subscription buffer bounds (server.ts; defaults 10 000 events, 100 deliveries). */
  maxBufferedEvents?: number;
  maxBufferedBatches?: number;
  /** How long a client cut off may take to read its close frame (default 5000 ms). */
  closeGraceMs?: number;
  /** Hub publish-queue bound (default 10 000 traces). */
  maxQueuedTraces?: number;
  catalog?: AttributeCatalog;
}

export interface LiveWiring {
  hub: LiveHub;
  server: LiveServer | null;
  /** Give this to spawnViewWriter as `onWritten`: it returns at once, whatever subscribers do. */
  onWritten: (written: WrittenTrace[]) => void;
  close(): Promise<void>;
}

export async function wireLive(opts: LiveWiringOptions): Promise<LiveWiring> {
  const catalog = opts.catalog ?? defaultCatalog;
  const hubOpts = { logger: opts.logger, maxQueuedTraces: opts.maxQueuedTraces };
  const hub: LiveHub = opts.redis
    ? await (await import('./redisHub.ts')).createRedisLiveHub({ ...hubOpts, redis: opts.redis, projection: liveProjection(catalog) })
    : createMemoryLiveHub(hubOpts);
  const server = opts.server
    ? attachLiveSubscriptions(opts.server, { hub, defaultTenant: opts.defaultTenant, logger: opts.logger, catalog, maxBufferedEvents: opts.maxBufferedEvents, maxBufferedBatches: opts.maxBufferedBatches, closeGraceMs: opts.closeGraceMs })
    : null;
  return {
    hub,
    server,
    onWritten: (written) => {
      try {
        hub.publish(written);
      } catch (err) {
        opts.logger.error({ err }, 'live publish failed');
      }
    },
    close: async () => {
      await server?.close();
      await hub.close();
    },
  };
}
