// View writes with enrichment on: loadgen traces (as the ViewWriter gets them: decoded from
// the span-log codec, assembled) → enrich → traceRowsOf → replaceTraces, into DuckDB and
// PostgreSQL, each next to its own ceiling measured in the same run (the same rows appended /
// inserted into the same tables without indexes, deletes or existence checks). CPU-second
// rates are steadier than wall clock on a shared machine; PostgreSQL's own CPU is read from
// /proc for its backends when the server runs on this host.
//   node --import tsx bench/views-write.ts [--json] [--traces 4000] [--batch 200] [--no-pg]
//     [--checkpoint 256MB]  (DuckDB checkpoint_threshold; DuckDB's own default is 16MB)
//     [--no-store]  (enrichment and row building only: the quick loop while profiling)
//   PostgreSQL: PGHOST / PGPORT / PGUSER (default 127.0.0.1:5432, postgres); a scratch
//   database is created and dropped.
import { readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { createDefaultEnrichment } from '../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../src/enrich/memoryResolver.ts';
import type { EnrichedTrace } from '../src/enrich/types.ts';
import { decodeOtlpProto } from '../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import type { AssembledTrace } from '../src/model/trace.ts';
import type { TraceRows, ViewStore } from '../src/store/api.ts';
import { decodeSpanBatch, encodeSpanBatch } from '../src/store/codec.ts';
import { createViewStatements as duckDdl } from '../src/store/duckdb/ddl.ts';
import { rowsAppender } from '../src/store/duckdb/columns.ts';
import { openDuckDbViewStore } from '../src/store/duckdb/viewStore.ts';
import { createViewStatements as pgDdl } from '../src/store/postgres/viewDdl.ts';
import { viewInsert } from '../src/store/postgres/viewWrite.ts';
import { openPostgresViewStore } from '../src/store/postgres/viewStore.ts';
import { assembleTrace } from '../src/trace/assemble.ts';
import { buildRowsOf, traceRowsOf } from '../src/views/rows.ts';
import { VIEWS } from '../src/views/schema.ts';
import { type Figure, report } from './figures.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const TRACES = arg('traces', 4000);
const BATCH = arg('batch', 200);
const WITH_STORE = !process.argv.includes('--no-store');
const WITH_PG = WITH_STORE && !process.argv.includes('--no-pg');
const checkpointAt = process.argv.indexOf('--checkpoint');
const CHECKPOINT = checkpointAt < 0 ? '256MB' : process.argv[checkpointAt + 1];

function loadgenTraces(n: number): AssembledTrace[] {
  const gen = new TraceGenerator({ seed: 3 });
  const base = Date.now() * 1000 - 3_600_000_000;
  return Array.from({ length: n }, (_, i) => {
    const spans = decodeOtlpProto(encodeOtlpProto(gen.next(base + i * 1000).spans), '__default').spans;
    return assembleTrace(decodeSpanBatch(encodeSpanBatch(spans)));
  });
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}
async function timed(fn: () => unknown): Promise<Timing> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
}
/** The best of `runs` (least CPU): the figure is the code's cost, not the neighbours' noise. */
async function best(runs: number, fn: () => unknown): Promise<Timing> {
  let out: Timing | undefined;
  for (let i = 0; i < runs; i++) {
    const t = await timed(fn);
    if (out === undefined || t.cpuMs < out.cpuMs) out = t;
  }
  return out!;
}
const rate = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : 0);
const batches = <T>(list: T[]): T[][] => Array.from({ length: Math.ceil(list.length / BATCH) }, (_, i) => list.slice(i * BATCH, (i + 1) * BATCH));
const viewRows = (batch: TraceRows[], view: string) => batch.flatMap((r) => r.views[view] ?? []);

const traces = loadgenTraces(TRACES);
const spans = traces.reduce((n, t) => n + t.spans.length, 0);
const pipeline = createDefaultEnrichment({ resolver: new MemoryEntityResolver() });
let enriched: EnrichedTrace[] = [];
for (const t of traces.slice(0, 500)) traceRowsOf(await pipeline.enrich(t)); // warm up: API names admitted, JIT
const enrich = await best(3, async () => {
  enriched = [];
  for (const t of traces) enriched.push(await pipeline.enrich(t));
});
let rows: TraceRows[] = [];
const build = await best(3, () => (rows = enriched.map(traceRowsOf)));
const codec = await best(3, () => enriched.forEach((t) => encodeSpanBatch(t.spans)));
// As the ViewWriter runs it (prepareTraces with the node's buildRowsOf): a batch's traces
// enriched together, each trace's rows built as its enrichment ends, and only that batch's rows
// held (until it is written) before the next. The two figures above hold
// every trace's enrichment and rows at once, so their young-generation GC copies ~160 000 spans'
// worth of live objects again and again: a cost of the measurement, not of the pipeline.
let held: TraceRows[] = [];
const rowsOf = buildRowsOf(pipeline);
const pipelined = await best(3, async () => {
  for (const batch of batches(traces)) held = await Promise.all(batch.map(rowsOf));
});
if (held.length === 0) throw new Error('no rows were built');
const rowCount = rows.reduce((n, r) => n + Object.values(r.views).reduce((m, v) => m + v.length, 0), 0);
const rewriteSet = rows.slice(0, Math.max(BATCH, rows.length >> 2));

const figures: Figure[] = [
  { id: 'views.enrich', label: 'enrich (1 core)', value: rate(spans, enrich.cpuMs), unit: 'spans/s', better: 'higher' },
  { id: 'views.rows', label: 'traceRowsOf, all six views (1 core)', value: rate(spans, build.cpuMs), unit: 'spans/s', better: 'higher' },
  { id: 'views.codec', label: '  of which encodeSpanBatch (1 core)', value: rate(spans, codec.cpuMs), unit: 'spans/s', better: 'higher' },
  { id: 'views.enrichRowsHeld', label: 'enrich, then rows, every trace held (1 core)', value: rate(spans, enrich.cpuMs + build.cpuMs), unit: 'spans/s', better: 'higher' },
  { id: 'views.enrichRows', label: `enrich + rows per batch of ${BATCH} traces, as the ViewWriter does (1 core)`, value: rate(spans, pipelined.cpuMs), unit: 'spans/s', better: 'higher' },
];

async function storeFigures(prefix: string, label: string, store: ViewStore, serverCpu: () => Promise<number>): Promise<void> {
  const cpu0 = await serverCpu();
  const write = await timed(async () => {
    for (const b of batches(rows)) await store.replaceTraces(b);
  });
  const cpu1 = await serverCpu();
  const rewrite = await timed(async () => {
    for (const b of batches(rewriteSet)) await store.replaceTraces(b);
  });
  const rewriteSpans = rewriteSet.reduce((n, r) => n + r.views.spanEventView.length, 0);
  figures.push(
    { id: `${prefix}.write`, label: `${label} replaceTraces (per client CPU-s)`, value: rate(spans, write.cpuMs), unit: 'spans/s', ceiling: `${prefix}.ceiling`, better: 'higher' },
    { id: `${prefix}.writeWall`, label: `${label} replaceTraces (wall clock)`, value: rate(spans, write.wallMs), unit: 'spans/s', ceiling: `${prefix}.ceilingWall`, better: 'higher' },
    { id: `${prefix}.rowsWall`, label: `${label} view rows written (wall clock)`, value: rate(rowCount, write.wallMs), unit: 'rows/s', better: 'higher' },
    { id: `${prefix}.rewrite`, label: `${label} re-write of stored traces (wall clock)`, value: rate(rewriteSpans, rewrite.wallMs), unit: 'spans/s', ceiling: `${prefix}.writeWall`, better: 'higher' },
  );
  if (cpu1 > cpu0) figures.push({ id: `${prefix}.server`, label: `${label} replaceTraces (per server CPU-s)`, value: rate(spans, cpu1 - cpu0), unit: 'spans/s', better: 'higher' });
}

/**
 * The store's floor: what DuckDB itself spends to store these view rows, with no JavaScript in
 * the loop. The rows replaceTraces stored are copied into in-memory tables first (untimed);
 * then each view's rows go into a fresh database with the store's own DDL (the trace-id
 * indexes included) by native INSERT … SELECT, as the node writes them (one transaction per
 * batch of BATCH traces), then in one transaction, each followed by a CHECKPOINT so that the
 * compression and index writes the WAL defers are counted. Whatever the node does around it, a
 * span cannot cost less than this to store in DuckDB.
 */
async function duckDbFloor(storePath: string, base: string): Promise<{ batched: Timing; bulk: Timing }> {
  const run = async (file: string, perBatch: boolean): Promise<Timing> => {
    const inst = await DuckDBInstance.create(file);
    const conn = await inst.connect();
    try {
      await conn.run(`SET checkpoint_threshold = '${CHECKPOINT}'`);
      for (const v of VIEWS) for (const sql of duckDdl(v)) await conn.run(sql);
      await conn.run(`ATTACH '${storePath.replace(/'/g, "''")}' AS stored (READ_ONLY)`);
      // Batch numbers follow the traces' order in rawTraceView, which is the order they were written in.
      await conn.run(`CREATE TEMP TABLE batch_of AS SELECT tenant_id, trace_id, (row_number() OVER () - 1) // ${BATCH} AS b FROM stored."rawTraceView"`);
      for (const v of VIEWS) {
        await conn.run(`CREATE TEMP TABLE "staged_${v.name}" AS SELECT s.*, batch_of.b FROM stored."${v.name}" s JOIN batch_of USING (tenant_id, trace_id) ORDER BY batch_of.b`);
      }
      await conn.run('DETACH stored');
      const batchCount = Number((await conn.runAndReadAll('SELECT count(DISTINCT b) FROM batch_of')).getRows()[0][0]);
      const inserts = VIEWS.map((v) => {
        const cols = v.columns.map((c) => `"${c.name}"`).join(', ');
        return `INSERT INTO "${v.name}" (${cols}) SELECT ${cols} FROM "staged_${v.name}"`;
      });
      const timing = await timed(async () => {
        if (perBatch) {
          for (let b = 0; b < batchCount; b++) {
            await conn.run('BEGIN TRANSACTION');
            for (const sql of inserts) await conn.run(`${sql} WHERE b = ${b}`);
            await conn.run('COMMIT');
          }
        } else {
          await conn.run('BEGIN TRANSACTION');
          for (const sql of inserts) await conn.run(sql);
          await conn.run('COMMIT');
        }
        await conn.run('CHECKPOINT');
      });
      for (const v of VIEWS) {
        const [[stored, staged]] = (await conn.runAndReadAll(`SELECT (SELECT count(*) FROM "${v.name}"), (SELECT count(*) FROM "staged_${v.name}")`)).getRows();
        if (stored !== staged || (v.name === 'spanEventView' && Number(staged) === 0)) throw new Error(`floor: ${v.name} holds ${stored} rows of ${staged}`);
      }
      return timing;
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  };
  return { batched: await run(`${base}-batched.duckdb`, true), bulk: await run(`${base}-bulk.duckdb`, false) };
}

// DuckDB
const dir = WITH_STORE ? mkdtempSync(join(tmpdir(), 'tessera-bench-views-')) : '';
if (WITH_STORE) try {
  const inst = await DuckDBInstance.create(join(dir, 'ceiling.duckdb'));
  const conn = await inst.connect();
  await conn.run(`SET checkpoint_threshold = '${CHECKPOINT}'`);
  for (const v of VIEWS) await conn.run(duckDdl({ ...v, lookupColumns: [] })[0]);
  const appenders = VIEWS.map((v) => ({ v, append: rowsAppender(v) }));
  const ceiling = await timed(async () => {
    for (const b of batches(rows)) {
      await conn.run('BEGIN TRANSACTION');
      for (const { v, append } of appenders) {
        const ap = await conn.createAppender(v.name);
        append(ap, viewRows(b, v.name));
        ap.closeSync();
      }
      await conn.run('COMMIT');
    }
  });
  conn.closeSync();
  inst.closeSync();
  figures.push(
    { id: 'duckdb.ceiling', label: 'DuckDB appender, no index (per CPU-s)', value: rate(spans, ceiling.cpuMs), unit: 'spans/s', better: 'higher' },
    { id: 'duckdb.ceilingWall', label: 'DuckDB appender, no index (wall clock)', value: rate(spans, ceiling.wallMs), unit: 'spans/s', better: 'higher' },
  );
  const path = join(dir, 'views.duckdb');
  const store = await openDuckDbViewStore({ path, checkpointThreshold: CHECKPOINT });
  await storeFigures('duckdb', 'DuckDB', store, async () => 0);
  await store.close();
  figures.push({ id: 'duckdb.bytes', label: 'DuckDB on disk', value: statSync(path).size / spans, unit: 'B/span', better: 'lower' });
  const floor = await duckDbFloor(path, join(dir, 'floor'));
  figures.push(
    { id: 'duckdb.floor', label: `DuckDB's own insert of the same rows, no JavaScript: per batch of ${BATCH} traces, indexed, checkpointed (per CPU-s)`, value: rate(spans, floor.batched.cpuMs), unit: 'spans/s', better: 'higher' },
    { id: 'duckdb.floorBulk', label: 'the same in one transaction (per CPU-s)', value: rate(spans, floor.bulk.cpuMs), unit: 'spans/s', better: 'higher' },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// PostgreSQL
if (WITH_PG) {
  const server = `postgres://${encodeURIComponent(process.env.PGUSER || 'postgres')}@${process.env.PGHOST || '127.0.0.1'}:${process.env.PGPORT || 5432}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  const db = `tessera_bench_${userInfo().username.replace(/\W/g, '')}_${process.pid}`;
  await admin.query(`CREATE DATABASE ${db}`);
  try {
    const url = `${server}/${db}`;
    /** CPU ms of this database's backends, from /proc (0 when the server is elsewhere). */
    const serverCpu = async (): Promise<number> => {
      const r = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db]);
      let ms = 0;
      for (const { pid } of r.rows) {
        try {
          const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
          ms += (Number(f[11]) + Number(f[12])) * 10;
        } catch {
          return 0;
        }
      }
      return ms;
    };
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const scratch = VIEWS.map((v) => ({ ...v, name: `ceiling_${v.name}`, lookupColumns: [] }));
    for (const v of scratch) await client.query(pgDdl(v)[0]);
    const inserts = scratch.map((v) => ({ v, insert: viewInsert(v), source: v.name.slice('ceiling_'.length) }));
    const cpu0 = await serverCpu();
    const ceiling = await timed(async () => {
      for (const b of batches(rows)) {
        await client.query('BEGIN');
        for (const { insert, source } of inserts) {
          const rs = viewRows(b, source);
          if (rs.length > 0) await client.query(insert.sql, insert.params(rs));
        }
        await client.query('COMMIT');
      }
    });
    const cpu1 = await serverCpu();
    await client.end();
    figures.push(
      { id: 'pg.ceiling', label: 'PostgreSQL INSERT unnest, no index (per client CPU-s)', value: rate(spans, ceiling.cpuMs), unit: 'spans/s', better: 'higher' },
      { id: 'pg.ceilingWall', label: 'PostgreSQL INSERT unnest, no index (wall clock)', value: rate(spans, ceiling.wallMs), unit: 'spans/s', better: 'higher' },
    );
    if (cpu1 > cpu0) figures.push({ id: 'pg.ceilingServer', label: 'PostgreSQL INSERT unnest, no index (per server CPU-s)', value: rate(spans, cpu1 - cpu0), unit: 'spans/s', better: 'higher' });
    const store = await openPostgresViewStore({ url });
    await storeFigures('pg', 'PostgreSQL', store, serverCpu);
    await store.close();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
}

report(`View writes with enrichment (DuckDB checkpoint at ${CHECKPOINT}): ${TRACES.toLocaleString('en-US')} loadgen traces, ${spans.toLocaleString('en-US')} spans, ${rowCount.toLocaleString('en-US')} view rows, ${BATCH} traces per batch`, figures);
