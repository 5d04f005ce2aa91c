// Data sets for the gateway contract: the HotROD trace and a seeded loadgen data set, each run
// through the write path's own functions (decode, assemble, enrich, view rows) so the rows the
// suite computes its expectations from are exactly the rows the store holds.
import { readFileSync } from 'node:fs';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { decodeJaegerUiJson } from '../../src/ingest/jaeger-ui-json.ts';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import type { Span } from '../../src/model/span.ts';
import type { TraceRows, ViewRow } from '../../src/store/api.ts';
import type { StoredEntity } from '../../src/store/entities.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { traceRowsOf } from '../../src/views/rows.ts';

export const HOTROD_TRACE = '0000000000000000383acc79e53b84da';
/** The API entry span of HotROD's customer service (an API trace id). */
export const HOTROD_CUSTOMER_ENTRY = '3aacfea7309a0605';

export interface DataSet {
  tenant: string;
  rows: TraceRows[];
  entities: StoredEntity[];
  /** A time range (epoch ms) holding every row. */
  fromMs: number;
  toMs: number;
}

export function hotrodSpans(tenant: string): Span[] {
  return decodeJaegerUiJson(readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url)), tenant);
}

/** Traces through enrichment (one resolver per data set) into rows and entities. */
async function dataSetOf(tenant: string, traces: Span[][]): Promise<DataSet> {
  const pipeline = createDefaultEnrichment({ resolver: new MemoryEntityResolver() });
  const rows: TraceRows[] = [];
  const seen = new Map<string, StoredEntity>();
  let from = Infinity;
  let to = -Infinity;
  for (const spans of traces) {
    const enriched = await pipeline.enrich(assembleTrace(spans));
    rows.push(traceRowsOf(enriched));
    from = Math.min(from, enriched.startUs);
    to = Math.max(to, enriched.endUs);
    for (const e of enriched.entities) {
      const known = seen.get(e.id);
      seen.set(e.id, {
        ...e,
        firstSeenUs: Math.min(known?.firstSeenUs ?? Infinity, enriched.startUs),
        lastSeenUs: Math.max(known?.lastSeenUs ?? 0, enriched.startUs),
      });
    }
  }
  return { tenant, rows, entities: [...seen.values()], fromMs: Math.floor(from / 1000) - 60_000, toMs: Math.ceil(to / 1000) + 60_000 };
}

export const hotrodDataSet = (tenant = '__default'): Promise<DataSet> => dataSetOf(tenant, [hotrodSpans(tenant)]);

/** `count` loadgen traces, one every `everyMs` from `t0Ms`, with errors and log events. */
export function loadgenTraces(tenant: string, count: number, { seed = 7, t0Ms = 1_700_000_000_000, everyMs = 2_000 } = {}): Span[][] {
  const gen = new TraceGenerator({ seed, errorRate: 0.1, eventRate: 0.2, services: 6, apisPerService: 2 });
  const out: Span[][] = [];
  for (let i = 0; i < count; i++) {
    const trace = gen.next((t0Ms + i * everyMs) * 1000);
    out.push(decodeOtlpProto(encodeOtlpProto(trace.spans), tenant).spans);
  }
  return out;
}

export const loadgenDataSet = (tenant: string, count: number, opts: { seed?: number; t0Ms?: number; everyMs?: number } = {}): Promise<DataSet> =>
  dataSetOf(tenant, loadgenTraces(tenant, count, opts));

/** Every row of one view across a data set. */
export const viewRows = (d: DataSet, view: string): ViewRow[] => d.rows.flatMap((r) => r.views[view] ?? []);

// ---------------------------------------------------------------------------------------------
// Answers computed here, independently of any SQL.

/** The continuous (linearly interpolated) percentile, as quantile_cont and percentile_cont define it. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const pos = (v.length - 1) * (p / 100);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Rows grouped by a key. */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

export const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));

export const iso = (ms: number): string => new Date(ms).toISOString();
export const betweenOf = (d: { fromMs: number; toMs: number }): string => `between: {startTime: "${iso(d.fromMs)}", endTime: "${iso(d.toMs)}"}`;
