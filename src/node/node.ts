// One Tessera node: wires the span log, the view store, the actors, the receivers and the
// HTTP port according to its options and roles. `startNode` returns once the node is ready.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { NodeOptions } from '../config/options.ts';
import type { SpanLog, ViewStore } from '../store/api.ts';
import { createMemorySpanLog } from '../store/memory/spanlog.ts';
import { groupByPartition } from '../store/partition.ts';
import { openDuckDbStoreThread } from '../store/duckdb/storeThreadClient.ts';
import type { EntityStore } from '../store/entities.ts';
import { buildRowsOf } from '../views/rows.ts';
import { createDefaultEnrichment } from '../enrich/index.ts';
import { startEntityResolver } from '../actors/entityResolver.ts';
import { buildGraphqlHttpHandler } from '../gateway/http.ts';
import { startReceivers, buildJaegerImportHandler } from '../ingest/receivers.ts';
import { spanLogSink } from '../ingest/sink.ts';
import { startActorSystem, stopActorSystem } from '../actors/runtime.ts';
import { NodeMetrics } from '../metrics/nodeMetrics.ts';
import { countingSink, metricsHandler } from '../metrics/http.ts';
import { closeRedis, connectRedis } from '../sharding/redis/connect.ts';
import { startProcessing } from '../sharding/processing.ts';
import { openClusterView } from '../sharding/cluster.ts';
import { startMainHttp, type Handler, type MainHttpServer } from './httpServer.ts';
import { liveSchema } from '../live/schema.ts';
import { wireLive, type LiveWiring } from '../live/wire.ts';

export interface BoundPorts {
  http: number;
  otlpGrpc: number;
  otlpHttp: number;
  zipkin: number;
  jaegerGrpc: number;
}

export interface RunningNode {
  nodeId: string;
  ports: BoundPorts;
  log: SpanLog;
  store: ViewStore;
  /** Live subscriptions: the hub, and the graphql-ws server on nodes with the query role. */
  live: LiveWiring;
  /** Graceful stop: stop accepting, write open traces, close stores. */
  stop(): Promise<void>;
}

/** The consumer name must survive restarts so a node re-reads its own pending entries. */
function resolveNodeId(opts: NodeOptions): string {
  if (opts.nodeId) return opts.nodeId;
  const file = join(opts.dataDir, 'node-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = `node-${randomUUID().slice(0, 8)}`;
  writeFileSync(file, `${id}\n`);
  return id;
}

/**
 * The view and entity stores: PostgreSQL for both with --postgres (shared by a cluster), else
 * one DuckDB file under the data dir, opened once on its own thread and shared by both stores.
 */
async function openStores(opts: NodeOptions, logger: Logger, closers: (() => Promise<void>)[]): Promise<{ store: ViewStore; entities: EntityStore }> {
  if (opts.postgres) {
    const { openPostgresViewStore } = await import('../store/postgres/viewStore.ts');
    const { openPgEntityStore } = await import('../store/postgres/entityStore.ts');
    const store = await openPostgresViewStore({ url: opts.postgres, logger });
    closers.push(() => store.close());
    const entities = await openPgEntityStore({ url: opts.postgres, logger });
    closers.push(() => entities.close());
    return { store, entities };
  }
  // Both stores live on the DuckDB store thread (ADR 014); closing it closes them.
  const thread = await openDuckDbStoreThread({ path: join(opts.dataDir, 'tessera.duckdb'), logger });
  closers.push(() => thread.close());
  return { store: thread.store, entities: thread.entities };
}

export async function startNode(opts: NodeOptions, logger: Logger): Promise<RunningNode> {
  mkdirSync(opts.dataDir, { recursive: true });
  const nodeId = resolveNodeId(opts);
  const has = (r: string) => opts.roles.includes(r as never);
  let ready = false;
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (err) {
        logger.warn({ err }, 'error while stopping');
      }
    }
  };

  try {
    const metrics = new NodeMetrics({ nodeId });
    // One client (standalone Redis or Redis Cluster, detected) for the span log and the leases.
    const redis = opts.redis ? await connectRedis(opts.redis) : undefined;
    if (redis) closers.push(() => closeRedis(redis));
    const log: SpanLog = redis
      ? await (await import('../store/redis/spanlog.ts')).createRedisSpanLog({ redis, partitions: opts.partitions, maxBacklogSpans: opts.maxBacklogSpans, logger })
      : createMemorySpanLog({ partitions: opts.partitions, maxBacklogSpans: opts.maxBacklogSpans });
    closers.push(() => log.close());

    const { store, entities } = await openStores(opts, logger, closers);
    const sink = countingSink(spanLogSink(log, groupByPartition), metrics);
    let clusterRoute: Handler | undefined;

    const graphql = has('query')
      ? buildGraphqlHttpHandler({ store, entities, defaultTenant: opts.tenantDefault, logger, queryTimeoutMs: opts.queryTimeoutMs, schema: liveSchema })
      : undefined;
    // Its gateway actor stops after the HTTP server (closers run in reverse), before the stores.
    if (graphql) closers.push(async () => graphql.close());
    const http: MainHttpServer = await startMainHttp(opts.host, opts.httpPort, {
      isReady: () => ready,
      graphql,
      importJaeger: has('ingest')
        ? buildJaegerImportHandler({ sink, defaultTenant: opts.tenantDefault, maxBodyBytes: opts.maxBodyBytes, logger })
        : undefined,
      extra: {
        '/metrics': metricsHandler(metrics),
        '/cluster': (req, res) => {
          if (clusterRoute) return clusterRoute(req, res);
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'this node is not in a cluster (no --redis)' } }));
        },
      },
    });
    closers.push(() => http.close());
    // Live subscriptions: graphql-ws on /graphql; with Redis, traces written by any node reach them.
    const live = await wireLive({ server: has('query') ? http.server : null, defaultTenant: opts.tenantDefault, logger, redis: opts.redis });
    closers.push(() => live.close());

    if (has('process')) {
      const system = startActorSystem(`tessera-${nodeId}`);
      const resolver = startEntityResolver(system, { store: entities, logger }, {});
      const enrichment = createDefaultEnrichment({ resolver, logger });
      closers.push(async () => {
        await resolver.close();
        stopActorSystem(system);
      });
      const processing = await startProcessing({ system, log, store, rowsOf: buildRowsOf(enrichment), onWritten: live.onWritten, logger, metrics }, {
        nodeId,
        partitions: opts.partitions,
        windowMs: opts.windowMs,
        writeLingerMs: opts.writeLingerMs,
        maxInflightSpans: opts.maxInflightSpans,
        maxOpenSpansPerPartition: opts.maxOpenSpansPerPartition,
        redis,
        leaseTtlMs: opts.leaseTtlMs,
        meta: { http: `${opts.host}:${http.port}`, roles: opts.roles.join(',') },
      });
      clusterRoute = processing.cluster.clusterRoute;
      closers.push(() => processing.stop());
    } else if (redis) {
      const view = await openClusterView({ redis, nodeId, partitions: opts.partitions });
      clusterRoute = view.clusterRoute;
      closers.push(() => view.close());
    }

    let ports = { otlpGrpc: 0, otlpHttp: 0, zipkin: 0, jaegerGrpc: 0 };
    if (has('ingest')) {
      const receivers = await startReceivers({
        sink,
        defaultTenant: opts.tenantDefault,
        maxBodyBytes: opts.maxBodyBytes,
        host: opts.host,
        ports: { otlpGrpc: opts.otlpGrpcPort, otlpHttp: opts.otlpHttpPort, zipkin: opts.zipkinPort, jaegerGrpc: opts.jaegerGrpcPort },
        logger,
      });
      ports = receivers.ports;
      metrics.setSources({ refusals: receivers.refusals });
      // Receivers stop first on shutdown: closers run in reverse.
      closers.push(() => receivers.close());
    }

    const bound: BoundPorts = { http: http.port, ...ports };
    ready = true;
    logger.info({ nodeId, ports: bound, mode: opts.redis ? (opts.postgres ? 'cluster' : 'redis') : 'embedded', roles: opts.roles, dataDir: opts.dataDir }, 'tessera node ready');
    return {
      nodeId,
      ports: bound,
      log,
      store,
      live,
      stop: async () => {
        ready = false;
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
