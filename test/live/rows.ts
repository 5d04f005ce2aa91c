// View rows for the live tests: a small, varied table of spanEventView and rawTraceView rows
// (nulls, empty and odd map keys, arrays, non-ASCII text, big integers) and the traces that
// hold them, so the same rows can be evaluated in memory and stored in DuckDB.
import type { TraceRows, ViewRow } from '../../src/store/api.ts';

export const TENANT = 'live-tenant';
const BASE_MS = 1_700_000_000_000;

const traceId = (n: number): string => n.toString(16).padStart(32, '0');
const spanId = (n: number): string => n.toString(16).padStart(16, '0');

interface SpanSpec {
  service: string | null;
  durationMs: number | null;
  statusCode: string | null;
  status: string | null;
  tags: Record<string, string> | null;
  errors: number;
  apiId?: string | null;
  boundary?: string | null;
  kind?: string;
}

const SPANS: SpanSpec[] = [
  { service: 'frontend', durationMs: 120, statusCode: '200', status: 'SUCCESS', tags: { 'http.method': 'GET', 'http.url': '/dispatch?customer=123' }, errors: 0, apiId: 'api-1', boundary: 'ENTRY', kind: 'SERVER' },
  { service: 'frontend', durationMs: 5, statusCode: '500', status: 'FAIL', tags: { 'http.method': 'POST', 'error': 'true' }, errors: 1, apiId: 'api-2', boundary: 'ENTRY', kind: 'SERVER' },
  { service: 'driver', durationMs: 250, statusCode: null, status: null, tags: {}, errors: 0, apiId: null, boundary: 'ENTRY', kind: 'SERVER' },
  { service: 'route', durationMs: null, statusCode: '0', status: 'SUCCESS', tags: null, errors: 0, apiId: 'null', boundary: 'ENTRY' },
  { service: 'mysql', durationMs: 99, statusCode: null, status: 'FAIL', tags: { 'db.statement': 'SELECT * FROM customer', 'quote"key': 'x', 'dotted.key.name': 'ünïcödé' }, errors: 1, apiId: '', boundary: 'EXIT', kind: 'CLIENT' },
  { service: 'Zürich', durationMs: 100, statusCode: '404', status: 'FAIL', tags: { constructor: 'not-a-prototype' }, errors: 0, apiId: 'api-3', boundary: null, kind: 'INTERNAL' },
  { service: null, durationMs: 0, statusCode: '200', status: 'SUCCESS', tags: { '': 'empty key' }, errors: 0 },
  { service: 'ｆｕｌｌwidth', durationMs: 1_000_000, statusCode: '200', status: 'SUCCESS', tags: { 'emoji': '😀' }, errors: 2, kind: 'PRODUCER' },
];

function spanRow(i: number, s: SpanSpec): ViewRow {
  return {
    tenant_id: TENANT,
    span_id: spanId(i + 1),
    parent_span_id: i === 0 ? null : spanId(1),
    trace_id: traceId(Math.floor(i / 3) + 1),
    span_kind: s.boundary ?? 'UNKNOWN',
    event_name: `op-${i}`,
    service_name: s.service,
    // The tracer-reported name, which SPAN.serviceName reads.
    reported_service_name: s.service,
    api_id: s.apiId ?? null,
    api_boundary_type: s.boundary ?? null,
    tags: s.tags,
    status_code: s.statusCode,
    status: s.status,
    start_time_millis: BASE_MS + i * 10,
    end_time_millis: s.durationMs === null ? null : BASE_MS + i * 10 + s.durationMs,
    duration_millis: s.durationMs,
    error_count: s.errors,
    kind: s.kind ?? null,
    start_time_micros: (BASE_MS + i * 10) * 1000,
  };
}

interface TraceSpec {
  services: string[] | null;
  durationMs: number;
  numSpans: number;
  partial: boolean | null;
  name: string | null;
}

const TRACES: TraceSpec[] = [
  { services: ['frontend', 'driver'], durationMs: 300, numSpans: 3, partial: false, name: 'HTTP GET /dispatch' },
  { services: ['route'], durationMs: 12, numSpans: 3, partial: true, name: 'HTTP GET /route' },
  { services: [], durationMs: 0, numSpans: 2, partial: null, name: null },
  { services: null, durationMs: 5000, numSpans: 1, partial: false, name: 'Zürich' },
  { services: ['mysql', 'redis', 'frontend'], durationMs: 42, numSpans: 7, partial: false, name: 'SELECT' },
];

function traceRow(i: number, s: TraceSpec): ViewRow {
  return {
    tenant_id: TENANT,
    trace_id: traceId(i + 1),
    transaction_name: s.name,
    start_time_millis: BASE_MS + i * 1000,
    end_time_millis: BASE_MS + i * 1000 + s.durationMs,
    duration_millis: s.durationMs,
    services: s.services,
    num_services: s.services?.length ?? 0,
    num_spans: s.numSpans,
    partial: s.partial,
    // Past 2^53: a bigint, as the store returns it.
    start_time_micros: i === 4 ? 9_007_199_254_740_993n : (BASE_MS + i * 1000) * 1000,
  };
}

export const spanRows: ViewRow[] = SPANS.map((s, i) => spanRow(i, s));
export const traceRowsTable: ViewRow[] = TRACES.map((s, i) => traceRow(i, s));

/** The rows grouped into traces, as a store writes them. */
export function tableTraces(): TraceRows[] {
  return traceRowsTable.map((row) => ({
    key: { tenant: TENANT, traceId: String(row.trace_id) },
    views: {
      rawTraceView: [row],
      spanEventView: spanRows.filter((s) => s.trace_id === row.trace_id),
    },
  }));
}
