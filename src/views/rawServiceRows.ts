// rawServiceView: one row per API node whose head span has a service — the SERVICE and API
// scopes count calls, errors and latency from it. num_calls is 1 only when the head is the
// node's API entry (a node headed by a client-only root is not a call into the service).
import type { EnrichedTrace } from '../enrich/types.ts';
import type { ViewRow } from '../store/api.ts';
import { ms, orNull, protocolNameOf, serviceNameOf, statusCodeOf } from './spanFacts.ts';

export function rawServiceRows(trace: EnrichedTrace, transaction: string | null): ViewRow[] {
  const rows: ViewRow[] = [];
  const e = trace.enriched;
  for (const node of trace.apiNodes) {
    const i = node.head;
    if (e.serviceId[i] === '') continue;
    const span = trace.spans[i];
    const isEntry = node.entry === i;
    const startMs = ms(span.startUs);
    const durationMs = Math.floor((span.endUs - span.startUs) / 1000);
    rows.push({
      tenant_id: span.tenant,
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: orNull(span.parentSpanId),
      service_name: orNull(serviceNameOf(trace, i)),
      service_id: e.serviceId[i],
      api_name: orNull(e.apiName[i]),
      api_id: orNull(e.apiId[i]),
      api_discovery_state: isEntry && e.apiId[i] !== '' ? 'DISCOVERED' : null,
      start_time_millis: startMs,
      end_time_millis: startMs + durationMs,
      duration_millis: durationMs,
      transaction_name: transaction,
      span_kind: e.spanType[i],
      protocol_name: protocolNameOf(trace, i),
      status_code: statusCodeOf(trace, i),
      error_count: e.errorCount[i],
      exception_count: e.exceptionCount[i],
      num_calls: isEntry ? 1 : 0,
      space_ids: null,
      start_time_micros: span.startUs,
      end_time_micros: span.endUs,
      duration_micros: span.endUs - span.startUs,
    });
  }
  return rows;
}
