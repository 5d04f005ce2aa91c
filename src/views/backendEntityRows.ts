// backendEntityView: one row per span that calls a backend (a leaf exit span the backend
// enricher gave a BACKEND entity), with the caller's service and API. Missing backend parts
// are '' as in the reference, so the BACKEND scope can group by them.
import type { EnrichedTrace } from '../enrich/types.ts';
import type { ViewRow } from '../store/api.ts';
import { entryApiIdOf, ms, orNull, statusCodeOf, statusMessageOf, statusOf } from './spanFacts.ts';

export function backendEntityRows(trace: EnrichedTrace): ViewRow[] {
  const rows: ViewRow[] = [];
  const e = trace.enriched;
  for (let i = 0; i < trace.spans.length; i++) {
    const b = e.backend[i];
    if (b === null) continue;
    const span = trace.spans[i];
    const startMs = ms(span.startUs);
    const durationMs = Math.floor((span.endUs - span.startUs) / 1000);
    rows.push({
      tenant_id: span.tenant,
      trace_id: span.traceId,
      span_id: span.spanId,
      backend_id: b.id,
      backend_name: b.name,
      backend_host: b.host,
      backend_port: b.port,
      backend_protocol: b.protocol,
      backend_path: b.path,
      start_time_millis: startMs,
      end_time_millis: startMs + durationMs,
      duration_millis: durationMs,
      span_kind: e.spanType[i],
      error_count: e.errorCount[i],
      exception_count: e.exceptionCount[i],
      num_calls: 1,
      backend_trace_id: span.spanId,
      caller_service_id: orNull(e.serviceId[i]),
      caller_api_id: orNull(entryApiIdOf(trace, i)),
      tags: span.attributes,
      display_name: span.name,
      status_code: statusCodeOf(trace, i),
      status: statusOf(trace, i),
      status_message: statusMessageOf(trace, i),
      space_ids: null,
      backend_operation: b.operation,
      backend_destination: b.destination,
      start_time_micros: span.startUs,
      end_time_micros: span.endUs,
      duration_micros: span.endUs - span.startUs,
    });
  }
  return rows;
}
