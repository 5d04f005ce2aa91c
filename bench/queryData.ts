// The query benchmark's data: loadgen traces (the default synthetic shop) spread over a time
// window, run through the write path's own functions (decode, assemble, enrich, view rows) into
// a DuckDB view store file. A file already holding the data set is reused, so the 10 M-span
// run pays for generation once.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createDefaultEnrichment } from '../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../src/enrich/memoryResolver.ts';
import { decodeOtlpProto } from '../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import type { TraceRows } from '../src/store/api.ts';
import { openDuckDbViewStore } from '../src/store/duckdb/viewStore.ts';
import { assembleTrace } from '../src/trace/assemble.ts';
import { traceRowsOf } from '../src/views/rows.ts';

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
