// An assembled trace as view rows: one rawTraceView row, one spanEventView row per span, one
// logEventView row per span event. Pure and on the write path of every trace, so it reads
// each span once and resolves first-class fields through src/normalize (hypertrace-ingest
// §2.3) only where a column needs them. Columns only enrichment can fill keep their
// null/default value here (see src/views/schema.ts).
import type { Span, SpanEvent } from '../model/span.ts';
import type { AssembledTrace } from '../model/trace.ts';
import type { TraceRows, ViewRow } from '../store/api.ts';
import { encodeSpanBatch } from '../store/codec.ts';
import { hasException, isError } from '../normalize/errors.ts';
import { httpStatusCode } from '../normalize/http.ts';
import { grpcStatusCode, grpcStatusMessage } from '../normalize/rpc.ts';
import { protocolOf } from '../normalize/protocol.ts';
import { logEventView, rawTraceView, spanEventView } from './schema.ts';

const ms = (us: number): number => Math.floor(us / 1000);

/** Hypertrace's SPAN_TYPE from the span kind (the span-type enricher refines it later). */
export function spanTypeOf(span: Pick<Span, 'kind' | 'attributes'>): 'ENTRY' | 'EXIT' | 'UNKNOWN' {
  switch (span.kind) {
    case 'SERVER':
    case 'CONSUMER':
      return 'ENTRY';
    case 'CLIENT':
    case 'PRODUCER':
      return 'EXIT';
    default: {
      // Tracers that leave the kind unset may still carry the OpenTracing tag.
      const tag = span.attributes['span.kind'];
      if (tag === 'server' || tag === 'consumer') return 'ENTRY';
      if (tag === 'client' || tag === 'producer') return 'EXIT';
      return 'UNKNOWN';
    }
  }
}

interface SpanStatus {
  code: string | null;
  status: string | null;
  message: string | null;
}

/**
 * The protocol status of a span: the HTTP status code when there is one (4xx and 5xx fail),
 * else the gRPC code on a gRPC span (anything but OK fails), else the OTel span status.
 */
export function spanStatusOf(span: Span, protocol: string): SpanStatus {
  const message = span.statusMessage === '' ? null : span.statusMessage;
  const http = httpStatusCode(span);
  if (http > 0) return { code: String(http), status: http >= 400 ? 'FAIL' : 'SUCCESS', message };
  if (protocol === 'GRPC') {
    const grpc = grpcStatusCode(span);
    if (grpc >= 0) return { code: String(grpc), status: grpc === 0 ? 'SUCCESS' : 'FAIL', message: grpcStatusMessage(span) || message };
  }
  const status = span.statusCode === 2 ? 'FAIL' : span.statusCode === 1 ? 'SUCCESS' : null;
  return { code: null, status, message };
}

/** The log summary: the first of these keys, else the first attribute's value (§6). */
const SUMMARY_KEYS = ['message', 'exception.message', 'exception.type', 'event', 'body'] as const;

export function logSummaryOf(attributes: Record<string, string>): string | null {
  for (const k of SUMMARY_KEYS) {
    const v = attributes[k];
    if (v !== undefined) return v;
  }
  for (const k in attributes) return attributes[k];
  return null;
}

/** A span event's attributes as a Jaeger log carries them: the event name under `event`. */
function logAttributesOf(event: SpanEvent): Record<string, string> {
  if (event.name === '' || event.attributes.event !== undefined) return event.attributes;
  return { event: event.name, ...event.attributes };
}

function spanRow(span: Span): ViewRow {
  const protocol = protocolOf(span);
  const status = spanStatusOf(span, protocol);
  const startMs = ms(span.startUs);
  const durationUs = span.endUs - span.startUs;
  const durationMs = Math.floor(durationUs / 1000);
  return {
    tenant_id: span.tenant,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId === '' ? null : span.parentSpanId,
    trace_id: span.traceId,
    span_kind: spanTypeOf(span),
    event_name: span.name,
    service_id: null,
    service_name: span.serviceName,
    api_id: null,
    api_name: null,
    api_discovery_state: null,
    entry_api_id: null,
    protocol_name: protocol === 'UNKNOWN' ? '' : protocol,
    tags: span.attributes,
    status_code: status.code,
    status: status.status,
    status_message: status.message,
    start_time_millis: startMs,
    end_time_millis: startMs + durationMs,
    duration_millis: durationMs,
    api_trace_id: null,
    api_trace_count: 0,
    api_boundary_type: null,
    display_entity_name: span.serviceName,
    display_span_name: span.name,
    request_url: null,
    error_count: isError(span) ? 1 : 0,
    exception_count: hasException(span) ? 1 : 0,
    space_ids: null,
    api_exit_calls: 0,
    api_callee_name_count: null,
    api_trace_error_span_count: 0,
    spans: 1,
    kind: span.kind,
    start_time_micros: span.startUs,
    end_time_micros: span.endUs,
    duration_micros: durationUs,
  };
}

function logRows(span: Span, out: ViewRow[]): void {
  for (const event of span.events) {
    const attributes = logAttributesOf(event);
    out.push({
      timestamp_nanos: BigInt(event.timeUs) * 1000n,
      tenant_id: span.tenant,
      span_id: span.spanId,
      trace_id: span.traceId,
      attributes,
      summary: logSummaryOf(attributes),
    });
  }
}

function traceRow(trace: AssembledTrace): ViewRow {
  const services: string[] = [];
  const seen = new Set<string>();
  for (const s of trace.spans) {
    if (!seen.has(s.serviceName)) {
      seen.add(s.serviceName);
      services.push(s.serviceName);
    }
  }
  const root = trace.spans[trace.roots[0] ?? 0];
  const startMs = ms(trace.startUs);
  const endMs = ms(trace.endUs);
  return {
    tenant_id: trace.tenant,
    trace_id: trace.traceId,
    transaction_name: root ? root.name : null,
    start_time_millis: startMs,
    end_time_millis: endMs,
    duration_millis: endMs - startMs,
    services,
    num_services: services.length,
    num_spans: trace.spans.length,
    space_ids: null,
    start_time_micros: trace.startUs,
    end_time_micros: trace.endUs,
    duration_micros: trace.endUs - trace.startUs,
    partial: trace.partial,
    revision: trace.revision,
    span_batch: encodeSpanBatch(trace.spans),
  };
}

/** Every row the trace contributes, keyed by view name. */
export function traceRows(trace: AssembledTrace): TraceRows {
  const spans: ViewRow[] = new Array(trace.spans.length);
  const logs: ViewRow[] = [];
  for (let i = 0; i < trace.spans.length; i++) {
    const span = trace.spans[i];
    spans[i] = spanRow(span);
    if (span.events.length > 0) logRows(span, logs);
  }
  return {
    key: { tenant: trace.tenant, traceId: trace.traceId },
    views: {
      [rawTraceView.name]: [traceRow(trace)],
      [spanEventView.name]: spans,
      [logEventView.name]: logs,
    },
  };
}
