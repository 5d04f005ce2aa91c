// An in-process node with live subscriptions wired, for the live tests and bench/live.ts,
// until src/node/node.ts calls wireLive itself. It is node.ts's embedded wiring (in-process
// span log, DuckDB, receivers, coordinator, ViewWriter, /graphql) plus exactly what node.ts
// must add: the live schema on the HTTP handler, wireLive on the main server, and the
// ViewWriter's onWritten. Once node.ts does it, startTestNode replaces this helper.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startActorSystem, stopActorSystem, tell } from '../../src/actors/runtime.ts';
import { InFlight } from '../../src/actors/flow.ts';
import { spawnViewWriter } from '../../src/actors/viewWriter.ts';
import { buildGraphqlHttpHandler } from '../../src/gateway/http.ts';
import { startReceivers } from '../../src/ingest/receivers.ts';
import { spanLogSink } from '../../src/ingest/sink.ts';
import { liveSchema } from '../../src/live/schema.ts';
import { wireLive, type LiveWiring } from '../../src/live/wire.ts';
import { startMainHttp } from '../../src/node/httpServer.ts';
import { ShardCoordinator } from '../../src/sharding/coordinator.ts';
import { SingleNodeOwnership } from '../../src/sharding/ownership.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import { createMemorySpanLog } from '../../src/store/memory/spanlog.ts';
import { groupByPartition } from '../../src/store/partition.ts';
import { traceRows } from '../../src/views/rows.ts';

export interface LiveNodeOptions {
  windowMs?: number;
  defaultTenant?: string;
  maxBufferedEvents?: number;
  maxBufferedBatches?: number;
  closeGraceMs?: number;
  partitions?: number;
  /** Spans acknowledged and not yet written before receivers answer 429 (default 200 000). */
  maxBacklogSpans?: number;
  logger: Logger;
}

export interface LiveNode {
  live: LiveWiring;
  /** Spans acknowledged by receivers and not yet written. */
  backlog(): Promise<number>;
  /** Spans written so far (every write of a trace counts its spans). */
  spansWritten(): number;
  graphql: string;
  ws: string;
  otlpHttp: string;
  stop(): Promise<void>;
}

export async function startLiveNodeRaw(opts: LiveNodeOptions): Promise<LiveNode> {
  const { logger } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'tessera-live-node-'));
  const closers: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const defaultTenant = opts.defaultTenant ?? '__default';
    const log = createMemorySpanLog({ partitions: opts.partitions ?? 8, maxBacklogSpans: opts.maxBacklogSpans ?? 200_000 });
    closers.push(() => log.close());
    const store = await openDuckDbViewStore({ path: join(dir, 'tessera.duckdb') });
    closers.push(() => store.close());
    const http = await startMainHttp('127.0.0.1', 0, {
      isReady: () => true,
      graphql: buildGraphqlHttpHandler({ store, defaultTenant, logger, queryTimeoutMs: 30_000, schema: liveSchema }),
    });
    closers.push(() => http.close());
    const live = await wireLive({ server: http.server, defaultTenant, logger, maxBufferedEvents: opts.maxBufferedEvents, maxBufferedBatches: opts.maxBufferedBatches, closeGraceMs: opts.closeGraceMs });
    closers.push(() => live.close());

    let written = 0;
    const onWritten: typeof live.onWritten = (traces) => {
      for (const w of traces) written += w.trace.spans.length;
      live.onWritten(traces);
    };
    const system = startActorSystem(`tessera-live-${process.pid}-${Date.now()}`);
    const writer = spawnViewWriter(system, { store, rowsOf: traceRows, logger, maxBatchSpans: 20_000, onWritten });
    const coordinator = new ShardCoordinator({
      system, log, writer, logger,
      ownership: new SingleNodeOwnership(opts.partitions ?? 8),
      inFlight: new InFlight(200_000),
      consumer: 'live-test',
      windowMs: opts.windowMs ?? 300,
      maxOpenSpansPerPartition: 50_000,
      claimIdleMs: 60_000,
    });
    closers.push(() => {
      tell(writer, { type: 'Stop' });
      stopActorSystem(system);
    });
    closers.push(() => coordinator.stop({ drainLog: true, stallMs: 30_000 }));
    await coordinator.start();

    const receivers = await startReceivers({
      sink: spanLogSink(log, groupByPartition), defaultTenant, maxBodyBytes: 16 * 1024 * 1024, host: '127.0.0.1',
      ports: { otlpGrpc: 0, otlpHttp: 0, zipkin: 0, jaegerGrpc: 0 }, logger,
    });
    closers.push(() => receivers.close());
    return {
      live,
      backlog: () => log.backlog(),
      spansWritten: () => written,
      graphql: `http://127.0.0.1:${http.port}/graphql`,
      ws: `ws://127.0.0.1:${http.port}/graphql`,
      otlpHttp: `http://127.0.0.1:${receivers.ports.otlpHttp}/v1/traces`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A live node torn down with the test. */
export async function startLiveNode(t: { teardown(fn: () => unknown): void }, opts: LiveNodeOptions): Promise<LiveNode> {
  const node = await startLiveNodeRaw(opts);
  t.teardown(() => node.stop());
  return node;
}
