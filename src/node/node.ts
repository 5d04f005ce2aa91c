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
import { DuckDBInstance } from '@duckdb/node-api';
import { openDuckDbViewStore } from '../store/duckdb/viewStore.ts';
import { openDuckDbEntityStore } from '../store/duckdb/entityStore.ts';
import type { EntityStore } from '../store/entities.ts';
import { buildRowsOf } from '../views/rows.ts';
import { createDefaultEnrichment } from '../enrich/index.ts';
import { startEntityResolver } from '../actors/entityResolver.ts';
import { buildGraphqlHttpHandler } from '../gateway/http.ts';
import { startReceivers, buildJaegerImportHandler } from '../ingest/receivers.ts';
import { spanLogSink } from '../ingest/sink.ts';
import { startActorSystem, stopActorSystem, tell } from '../actors/runtime.ts';
import { spawnViewWriter } from '../actors/viewWriter.ts';
import { InFlight } from '../actors/flow.ts';
import { ShardCoordinator } from '../sharding/coordinator.ts';
import { SingleNodeOwnership } from '../sharding/ownership.ts';
import { startMainHttp, type MainHttpServer } from './httpServer.ts';
import { liveSchema } from '../live/schema.ts';
import { wireLive } from '../live/wire.ts';

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
 * one DuckDB file under the data dir, opened once and shared by both stores.
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
  const path = join(opts.dataDir, 'tessera.duckdb');
  const instance = await DuckDBInstance.create(path);
  closers.push(async () => instance.closeSync());
  const store = await openDuckDbViewStore({ path, instance });
  closers.push(() => store.close());
  const entities = await openDuckDbEntityStore({ instance });
  closers.push(() => entities.close());
  return { store, entities };
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
    const log: SpanLog = opts.redis
      ? await (await import('../store/redis/spanlog.ts')).createRedisSpanLog({ redis: opts.redis, partitions: opts.partitions, maxBacklogSpans: opts.maxBacklogSpans, logger })
      : createMemorySpanLog({ partitions: opts.partitions, maxBacklogSpans: opts.maxBacklogSpans });
    closers.push(() => log.close());

    const { store, entities } = await openStores(opts, logger, closers);

    const http: MainHttpServer = await startMainHttp(opts.host, opts.httpPort, {
      isReady: () => ready,
      graphql: has('query')
        ? buildGraphqlHttpHandler({ store, entities, defaultTenant: opts.tenantDefault, logger, queryTimeoutMs: opts.queryTimeoutMs, schema: liveSchema })
        : undefined,
      importJaeger: has('ingest')
        ? buildJaegerImportHandler({ sink: spanLogSink(log, groupByPartition), defaultTenant: opts.tenantDefault, maxBodyBytes: opts.maxBodyBytes, logger })
        : undefined,
    });
    closers.push(() => http.close());
    // Live subscriptions: graphql-ws on /graphql; with Redis, traces written by any node reach them.
    const live = await wireLive({ server: has('query') ? http.server : null, defaultTenant: opts.tenantDefault, logger, redis: opts.redis });
    closers.push(() => live.close());

    if (has('process')) {
      const system = startActorSystem(`tessera-${nodeId}`);
      const resolver = startEntityResolver(system, { store: entities, logger }, {});
      const enrichment = createDefaultEnrichment({ resolver, logger });
      const writer = spawnViewWriter(system, { store, rowsOf: buildRowsOf(enrichment), logger, maxBatchSpans: 20_000, onWritten: live.onWritten });
      const coordinator = new ShardCoordinator({
        system,
        log,
        ownership: new SingleNodeOwnership(opts.partitions),
        writer,
        inFlight: new InFlight(opts.maxInflightSpans),
        consumer: nodeId,
        windowMs: opts.windowMs,
        maxOpenSpansPerPartition: opts.maxOpenSpansPerPartition,
        claimIdleMs: 60_000,
        logger,
      });
      closers.push(async () => {
        tell(writer, { type: 'Stop' });
        await resolver.close();
        stopActorSystem(system);
      });
      closers.push(() => coordinator.stop({ drainLog: !opts.redis, stallMs: 30_000 }));
      await coordinator.start();
    }

    let ports = { otlpGrpc: 0, otlpHttp: 0, zipkin: 0, jaegerGrpc: 0 };
    if (has('ingest')) {
      const receivers = await startReceivers({
        sink: spanLogSink(log, groupByPartition),
        defaultTenant: opts.tenantDefault,
        maxBodyBytes: opts.maxBodyBytes,
        host: opts.host,
        ports: { otlpGrpc: opts.otlpGrpcPort, otlpHttp: opts.otlpHttpPort, zipkin: opts.zipkinPort, jaegerGrpc: opts.jaegerGrpcPort },
        logger,
      });
      ports = receivers.ports;
      // Receivers stop first on shutdown: closers run in reverse.
      closers.push(() => receivers.close());
    }

    const bound: BoundPorts = { http: http.port, ...ports };
    ready = true;
    logger.info({ nodeId, ports: bound, mode: opts.redis ? 'redis' : 'embedded', roles: opts.roles, dataDir: opts.dataDir }, 'tessera node ready');
    return {
      nodeId,
      ports: bound,
      log,
      store,
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
