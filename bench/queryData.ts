// The query benchmark's data: loadgen traces (the default synthetic shop) spread over a time
// window, run through the write path's own functions (decode, assemble, enrich, view rows) into
// a DuckDB view store file. A file already holding the data set is reused, so the 10 M-span
// run pays for generation once.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDefaultEnrichment } from '../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../src/enrich/memoryResolver.ts';
import { decodeOtlpProto } from '../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import type { TraceRows } from '../src/store/api.ts';
import { openDuckDbViewStore } from '../src/store/duckdb/viewStore.ts';
import { assembleTrace } from '../src/trace/assemble.ts';
import { traceRowsOf } from '../src/views/rows.ts';
import { VIEWS } from '../src/views/schema.ts';

export interface DataSetInfo {
  spans: number;
  traces: number;
  /** The window the traces end in (epoch ms). */
  fromMs: number;
  toMs: number;
  /** Traces to look up by id, spread over the window. */
  traceIds: string[];
  /** A span tag (key, value) that few spans carry, for the attribute search. */
  tag: { key: string; value: string };
  /** A service, one of its APIs and a duration, for the service/operation/duration search. */
  search: { service: string; api: string; minDurationMs: number };
}

export const TENANT = '__default';

/** Generates (or finds) `spans` spans in `path`; `info.json` beside it describes them. */
export async function ensureDataSet(path: string, spans: number, windowMs = 2 * 3_600_000): Promise<DataSetInfo> {
  const infoPath = `${path}.info.json`;
  if (existsSync(path) && existsSync(infoPath)) {
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as DataSetInfo;
    if (info.spans >= spans) return info;
  }
  const store = await openDuckDbViewStore({ path });
  const gen = new TraceGenerator({ seed: 42 });
  const pipeline = createDefaultEnrichment({ resolver: new MemoryEntityResolver() });
  const toMs = 1_700_000_000_000;
  const fromMs = toMs - windowMs;
  // Traces end evenly over the window, by the share of the spans already generated.
  const info: DataSetInfo = { spans: 0, traces: 0, fromMs, toMs, traceIds: [], tag: { key: '', value: '' }, search: { service: '', api: '', minDurationMs: 0 } };
  let batch: TraceRows[] = [];
  const t0 = performance.now();
  while (info.spans < spans) {
    const endMs = fromMs + Math.floor((info.spans / spans) * windowMs);
    const trace = gen.next(endMs * 1000);
    const decoded = decodeOtlpProto(encodeOtlpProto(trace.spans), TENANT).spans;
    const rows = traceRowsOf(await pipeline.enrich(assembleTrace(decoded)));
    batch.push(rows);
    info.spans += decoded.length;
    info.traces++;
    if (info.traces % 997 === 1) info.traceIds.push(rows.key.traceId);
    if (info.traces === 1000) pickTargets(info, rows);
    if (batch.length >= 500) {
      await store.replaceTraces(batch);
      batch = [];
      if (info.traces % 10_000 < 500) console.error(`  … ${info.spans.toLocaleString('en-US')} spans (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  if (batch.length > 0) await store.replaceTraces(batch);
  await store.close();
  writeFileSync(infoPath, JSON.stringify(info));
  return info;
}

/**
 * A data set `factor` times the size of the loadgen one at `basePath`, made in SQL because the
 * write path generates ~3 000 spans/s on this (shared) machine: every trace is copied
 * `factor - 1` times with fresh trace and span ids (md5 of the old id and the copy number) and
 * its times moved by a few milliseconds, and the rows go in ordered by start time, window by
 * window, as the write path would have appended them. The copies keep each trace's shape, tags
 * and services; their stored span batches (rawTraceView.span_batch) still hold the original ids,
 * which no benchmark query reads.
 */
export async function ensureReplicatedDataSet(path: string, basePath: string, factor: number): Promise<DataSetInfo> {
  const infoPath = `${path}.info.json`;
  const base = JSON.parse(readFileSync(`${basePath}.info.json`, 'utf8')) as DataSetInfo;
  if (existsSync(path) && existsSync(infoPath)) {
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as DataSetInfo;
    if (info.spans >= base.spans * factor) return info;
  }
  const store = await openDuckDbViewStore({ path });
  await store.close();
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  const t0 = performance.now();
  try {
    await conn.run(`ATTACH '${basePath.replace(/'/g, "''")}' AS base (READ_ONLY)`);
    // Indexes are dropped for the bulk insert; the view store creates them again when it opens.
    for (const v of VIEWS) await conn.run(`DROP INDEX IF EXISTS "${v.name}_trace_id_idx"`);
    const windows = 12;
    const stepMs = Math.ceil((base.toMs - base.fromMs + 2 * 3_600_000) / windows);
    for (const v of VIEWS) {
      const names = new Set(v.columns.map((c) => c.name));
      const remap = (c: string, width: number) => `CASE WHEN ${c} IS NULL THEN NULL WHEN k = 0 THEN ${c} ELSE substr(md5(${c} || '/' || k), 1, ${width}) END`;
      const replaced = new Map<string, string>([['trace_id', remap('trace_id', 32)]]);
      for (const c of ['span_id', 'parent_span_id', 'api_trace_id', 'backend_trace_id', 'client_event_id', 'server_event_id']) replaced.set(c, remap(c, 16));
      for (const c of ['start_time_millis', 'end_time_millis']) replaced.set(c, `${c} + k * 7`);
      for (const c of ['start_time_micros', 'end_time_micros']) replaced.set(c, `${c} + k * 7000`);
      replaced.set('timestamp_nanos', 'timestamp_nanos + k * 7000000');
      const select = [...names].map((c) => `${replaced.get(c) ?? `"${c}"`} AS "${c}"`).join(', ');
      const time = v.timeUnit === 'ns' ? `(${v.timeColumn} // 1000000)` : v.timeColumn;
      for (let w = 0; w < windows; w++) {
        const from = base.fromMs - 3_600_000 + w * stepMs;
        const lower = w === 0 ? 'true' : `${time} >= ${from}`;
        const upper = w === windows - 1 ? 'true' : `${time} < ${from + stepMs}`;
        await conn.run(`INSERT INTO main."${v.name}" BY NAME
          SELECT ${select} FROM base."${v.name}", range(${factor}) copies(k)
          WHERE ${lower} AND ${upper} ORDER BY "${v.timeColumn}"`);
      }
      console.error(`  … ${v.name} ×${factor} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    await conn.run('DETACH base');
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  // Reopening creates the indexes again.
  await (await openDuckDbViewStore({ path })).close();
  const info: DataSetInfo = { ...base, spans: base.spans * factor, traces: base.traces * factor };
  writeFileSync(infoPath, JSON.stringify(info));
  return info;
}

/** Search targets taken from one trace: a specific tag value, its entry service and API. */
function pickTargets(info: DataSetInfo, rows: TraceRows): void {
  const spans = rows.views.spanEventView;
  for (const s of spans) {
    const tags = (s.tags ?? {}) as Record<string, string>;
    const key = Object.keys(tags).find((k) => /url|query|statement|id/i.test(k) && tags[k].length > 12);
    if (key) {
      info.tag = { key, value: tags[key] };
      break;
    }
  }
  const entry = spans.find((s) => s.api_boundary_type === 'ENTRY' && s.api_name) ?? spans[0];
  info.search = { service: String(entry.service_name), api: String(entry.api_name), minDurationMs: Math.max(1, Math.floor(Number(entry.duration_millis) / 2)) };
}
