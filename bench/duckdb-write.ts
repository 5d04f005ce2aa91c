// DuckDB view-store write rate: synthetic traces → enrich + view rows (buildRowsOf) → replaceTraces in batches, next to
// the machine's own ceiling measured in the same run (the raw appender into the same tables,
// no index, no transaction bookkeeping). Also: re-writing the same traces (the late-span
// path), bytes per span on disk, and a trace-id lookup after the load.
//   node --import tsx bench/duckdb-write.ts [spans=200000] [spansPerTrace=10] [tracesPerBatch=200]
// bench/run.ts can import runDuckDbWriteBench and use the figures it returns.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Span } from '../src/model/span.ts';
import type { TraceRows } from '../src/store/api.ts';
import { openDuckDbViewStore } from '../src/store/duckdb/viewStore.ts';
import { createViewStatements } from '../src/store/duckdb/ddl.ts';
import { rowsAppender } from '../src/store/duckdb/columns.ts';
import { assembleTrace } from '../src/trace/assemble.ts';
import { buildRowsOf } from '../src/views/rows.ts';
import { createDefaultEnrichment } from '../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../src/enrich/memoryResolver.ts';
import { VIEWS } from '../src/views/schema.ts';

const T0 = Date.now() * 1000 - 3_600_000_000;
const SERVICES = ['frontend', 'cart', 'checkout', 'payments', 'inventory', 'users'];

function synthTrace(n: number, perTrace: number): Span[] {
  const traceId = n.toString(16).padStart(32, '0').replace(/^0{8}/, 'beefcafe');
  const start = T0 + n * 1000;
  return Array.from({ length: perTrace }, (_, i) => ({
    tenant: '__default',
    traceId,
    spanId: ((n * perTrace + i + 1) * 2654435761 % 2 ** 48).toString(16).padStart(16, '0'),
    parentSpanId: i === 0 ? '' : ((n * perTrace + 1) * 2654435761 % 2 ** 48).toString(16).padStart(16, '0'),
    name: i === 0 ? 'GET /api/cart/{id}' : `SELECT cart_items ${i}`,
    kind: i === 0 ? 'SERVER' : 'CLIENT',
    serviceName: SERVICES[(n + i) % SERVICES.length],
    startUs: start + i * 100,
    endUs: start + i * 100 + 5_000 + (i * 37 % 900),
    statusCode: i === 3 && n % 10 === 0 ? 2 : 0,
    statusMessage: '',
    attributes: {
      'http.method': 'GET', 'http.status_code': i === 0 ? '200' : '0', 'http.route': '/api/cart/{id}',
      'net.peer.name': 'db.internal', 'db.system': 'postgresql', 'db.statement': `SELECT * FROM cart_items WHERE cart_id = ${n}`,
      'otel.scope.name': 'bench', 'user.id': `u-${n % 1000}`,
    },
    resource: { 'service.name': SERVICES[(n + i) % SERVICES.length], 'host.name': 'bench-1' },
    events: i === 0 ? [{ timeUs: start + 10, name: 'cache miss', attributes: { key: `cart:${n}` } }] : [],
    links: [],
  }));
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

/** Wall and CPU time of a phase: CPU (all threads, DuckDB's included) is steadier on a shared machine. */
async function timed(fn: () => unknown): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
}
const line = (n: number, p: { wallMs: number; cpuMs: number }, unit = 'spans/s') =>
  `${fmt(rate(n, p.wallMs)).padStart(9)} ${unit} wall, ${fmt(rate(n, p.cpuMs)).padStart(9)} ${unit} per CPU-second`;

export interface DuckDbWriteFigures {
  spans: number;
  /** Spans per second, wall clock and per CPU-second, for each phase. */
  traceRows: { wall: number; cpu: number };
  ceiling: { wall: number; cpu: number };
  replaceTraces: { wall: number; cpu: number };
  rewrite: { wall: number; cpu: number };
  lookupMs: number;
  bytesPerSpan: number;
}

export async function runDuckDbWriteBench({ totalSpans = 200_000, perTrace = 10, tracesPerBatch = 200 } = {}): Promise<DuckDbWriteFigures> {
  const traces = Array.from({ length: Math.ceil(totalSpans / perTrace) }, (_, n) => assembleTrace(synthTrace(n, perTrace)));
  const spans = traces.length * perTrace;

  // Warm the row builder up first: the figure is its steady state, not its JIT start.
  const rowsOf = buildRowsOf(createDefaultEnrichment({ resolver: new MemoryEntityResolver() }));
  for (const t of traces.slice(0, 2000)) await rowsOf(t);
  let rows: TraceRows[] = [];
  const rowsTime = await timed(async () => {
    rows = [];
    for (const t of traces) rows.push(await rowsOf(t));
  });
  const rowCount = rows.reduce((n, r) => n + Object.values(r.views).reduce((m, v) => m + v.length, 0), 0);
  const batches = (list: TraceRows[]) => Array.from({ length: Math.ceil(list.length / tracesPerBatch) }, (_, i) => list.slice(i * tracesPerBatch, (i + 1) * tracesPerBatch));

  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-duckdb-'));
  try {
    // Ceiling: the same appends into the same tables with no index, no delete, no existence check.
    const inst = await DuckDBInstance.create(join(dir, 'ceiling.duckdb'));
    const conn = await inst.connect();
    for (const v of VIEWS) await conn.run(createViewStatements({ ...v, lookupColumns: [] })[0]);
    const appenders = VIEWS.map((v) => ({ v, append: rowsAppender(v) }));
    const ceiling = await timed(async () => {
      for (const batch of batches(rows)) {
        await conn.run('BEGIN TRANSACTION');
        for (const { v, append } of appenders) {
          const ap = await conn.createAppender(v.name);
          append(ap, batch.flatMap((r) => r.views[v.name]));
          ap.closeSync();
        }
        await conn.run('COMMIT');
      }
    });
    conn.closeSync();
    inst.closeSync();

    const path = join(dir, 'views.duckdb');
    const store = await openDuckDbViewStore({ path });
    const write = await timed(async () => {
      for (const batch of batches(rows)) await store.replaceTraces(batch);
    });
    // The same traces again: every batch now deletes before it appends (late spans, redelivery).
    const again = rows.slice(0, Math.min(rows.length, 2000));
    const rewrite = await timed(async () => {
      for (const batch of batches(again)) await store.replaceTraces(batch);
    });
    const lookups = 20;
    const probe = traces[traces.length >> 1];
    const lookup = await timed(async () => {
      for (let i = 0; i < lookups; i++) {
        await store.query({
          view: 'spanEventView', tenant: '__default', limit: 1000,
          select: [{ as: 'id', ref: { column: 'span_id' } }, { as: 'tags', ref: { column: 'tags' } }],
          where: [{ op: 'eq', ref: { column: 'trace_id' }, value: probe.traceId }],
        });
      }
    });
    await store.close();
    const bytes = statSync(path).size;

    console.log(`DuckDB view store write: ${fmt(spans)} spans in ${fmt(traces.length)} traces (${fmt(rowCount)} view rows), ${tracesPerBatch} traces per batch`);
    console.log(`  enrich + view rows     ${line(spans, rowsTime)}`);
    console.log(`  ceiling (appends only) ${line(spans, ceiling)}`);
    console.log(`  replaceTraces          ${line(spans, write)}  = ${((ceiling.wallMs / write.wallMs) * 100).toFixed(0)}% of the ceiling (wall)`);
    console.log(`  re-write (replace)     ${line(again.length * perTrace, rewrite)}`);
    console.log(`  trace-id lookup        ${(lookup.wallMs / lookups).toFixed(2)} ms for one trace's ${perTrace} spans among ${fmt(spans)}`);
    console.log(`  on disk                ${fmt(Math.round(bytes / spans))} bytes per span (all views + encoded spans)`);
    const both = (n: number, p: { wallMs: number; cpuMs: number }) => ({ wall: rate(n, p.wallMs), cpu: rate(n, p.cpuMs) });
    return {
      spans,
      traceRows: both(spans, rowsTime),
      ceiling: both(spans, ceiling),
      replaceTraces: both(spans, write),
      rewrite: both(again.length * perTrace, rewrite),
      lookupMs: lookup.wallMs / lookups,
      bytesPerSpan: Math.round(bytes / spans),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [totalSpans, perTrace, tracesPerBatch] = process.argv.slice(2).map(Number);
  await runDuckDbWriteBench({ totalSpans: totalSpans || undefined, perTrace: perTrace || undefined, tracesPerBatch: tracesPerBatch || undefined });
}
