// serviceCallView: the calls between API traces and out to backends (hypertrace-ingest §6), in
// the reference's order:
//   1. one row per API-node edge (exit → entry, and entry → entry through a proxy);
//   2. a callee-only row per API entry no edge leads into (the trace's entry point);
//   3. a caller-only row per API exit no edge leaves from (a backend call), with the backend;
//   4. a callee-only row for the true root (no parent reference) of each API node that has no
//      entry span but makes exit calls (a client-only caller).
import type { EnrichedTrace } from '../enrich/types.ts';
import { httpMethod } from '../normalize/index.ts';
import type { ViewRow } from '../store/api.ts';
import { ms, orNull, responseStatusCodeOf } from './spanFacts.ts';

/** A row with every column null or zero, timed by span `at`: the cases fill in their sides. */
function baseRow(trace: EnrichedTrace, at: number, transaction: string | null): ViewRow {
  const span = trace.spans[at];
  const startMs = ms(span.startUs);
  const durationMs = Math.floor((span.endUs - span.startUs) / 1000);
  return {
    tenant_id: trace.tenant,
    trace_id: trace.traceId,
    transaction_name: transaction,
    client_event_id: null,
    server_event_id: null,
    caller_service: null,
    caller_api: null,
    callee_service: null,
    callee_api: null,
    request_url: null,
    request_method: null,
    protocol_name: null,
    response_status_code: null,
    start_time_millis: startMs,
    end_time_millis: startMs + durationMs,
    duration_millis: durationMs,
    error_count: trace.enriched.errorCount[at],
    exception_count: trace.enriched.exceptionCount[at],
    caller_service_id_str: null,
    caller_api_id_str: null,
    callee_service_id_str: null,
    callee_api_id_str: null,
    num_calls: 1,
    callee_backend_id: null,
    callee_backend_name: null,
    caller_space_ids: null,
    callee_space_ids: null,
    start_time_micros: span.startUs,
    end_time_micros: span.endUs,
    duration_micros: span.endUs - span.startUs,
  };
}

// The sides read the span's spanEventView row for what it already resolved (service name with
// its fallback, protocol, request URL): resolving them again per call cost ~1.5 µs a row.

/** The caller side, from the span that makes the call. */
function setCaller(row: ViewRow, span: ViewRow): void {
  row.client_event_id = span.span_id;
  row.caller_service = span.service_name;
  row.caller_service_id_str = span.service_id;
  row.caller_api = span.api_name;
  row.caller_api_id_str = span.api_id;
}

/** The callee side, from the span that receives the call. */
function setCallee(row: ViewRow, trace: EnrichedTrace, spans: readonly ViewRow[], to: number): void {
  const span = spans[to];
  row.server_event_id = span.span_id;
  row.callee_service = span.service_name;
  row.callee_service_id_str = span.service_id;
  row.callee_api = span.api_name;
  row.callee_api_id_str = span.api_id;
  setRequest(row, trace, spans, to);
}

/** Protocol, URL, method and status of the call as span `i` recorded it. */
function setRequest(row: ViewRow, trace: EnrichedTrace, spans: readonly ViewRow[], i: number): void {
  const protocol = spans[i].protocol_name;
  row.protocol_name = protocol;
  row.request_url = spans[i].request_url;
  row.request_method = protocol === 'HTTP' || protocol === 'HTTPS' ? orNull(httpMethod(trace.spans[i])) : null;
  row.response_status_code = responseStatusCodeOf(trace, i);
}

/**
 * "PROTOCOL://host[:port]" + path of a backend call: the port is left out when unknown, and the
 * scheme when the protocol is (a backend known only by name, like HotROD's `redis`).
 */
export function backendUrl(b: { protocol: string; host: string; port: string; path: string }): string {
  const scheme = b.protocol === 'UNKNOWN' || b.protocol === '' ? '' : `${b.protocol}://`;
  return `${scheme}${b.host}${b.port === '-1' || b.port === '' ? '' : `:${b.port}`}${b.path}`;
}

/** The rows, given the trace's spanEventView rows (indexed like its spans). */
export function serviceCallRows(trace: EnrichedTrace, spans: readonly ViewRow[], transaction: string | null): ViewRow[] {
  const rows: ViewRow[] = [];
  const e = trace.enriched;
  for (const edge of trace.apiEdges) {
    const row = baseRow(trace, edge.toSpan, transaction);
    setCaller(row, spans[edge.fromSpan]);
    setCallee(row, trace, spans, edge.toSpan);
    row.error_count = e.errorCount[edge.fromSpan] + e.errorCount[edge.toSpan] > 0 ? 1 : 0;
    row.exception_count = e.exceptionCount[edge.fromSpan] + e.exceptionCount[edge.toSpan];
    rows.push(row);
  }
  for (const entry of trace.entriesWithoutIncoming) {
    const row = baseRow(trace, entry, transaction);
    setCallee(row, trace, spans, entry);
    rows.push(row);
  }
  for (const exit of trace.exitsWithoutOutgoing) {
    const row = baseRow(trace, exit, transaction);
    setCaller(row, spans[exit]);
    const b = e.backend[exit];
    if (b === null) {
      setRequest(row, trace, spans, exit);
    } else {
      row.callee_backend_id = b.id;
      row.callee_backend_name = b.name;
      row.protocol_name = b.protocol === 'UNKNOWN' ? '' : b.protocol;
      row.request_url = backendUrl(b);
      row.request_method = b.protocol === 'HTTP' || b.protocol === 'HTTPS' ? orNull(httpMethod(trace.spans[exit])) : null;
      row.response_status_code = responseStatusCodeOf(trace, exit);
    }
    rows.push(row);
  }
  for (const node of trace.apiNodes) {
    if (node.entry !== -1 || node.exits.length === 0 || trace.spans[node.head].parentSpanId !== '') continue;
    const row = baseRow(trace, node.head, transaction);
    setCallee(row, trace, spans, node.head);
    rows.push(row);
  }
  return rows;
}
