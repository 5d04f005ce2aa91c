// spanEventView: one row per span (hypertrace-ingest §6), with the API trace it belongs to,
// the callee-aware display names, request_url per protocol, and the API-trace totals on the
// API-entry span.
import type { EnrichedTrace } from '../enrich/types.ts';
import type { ViewRow } from '../store/api.ts';
import { TAG_BLOOM_WORDS, tagBloomInto } from './tagBloom.ts';
import {
  entryApiIdOf,
  ms,
  orNull,
  protocolNameOf,
  requestUrlOf,
  serviceNameOf,
  statusCodeOf,
  statusMessageOf,
  statusOf,
} from './spanFacts.ts';

/**
 * display_entity_name: an exit span shows whom it calls — the callee API's service, else the
 * backend — and any other span its own service.
 */
export function displayEntityNameOf(trace: EnrichedTrace, i: number): string {
  const { spanType, calleeEntry, backend } = trace.enriched;
  if (spanType[i] === 'EXIT') {
    const callee = calleeEntry[i];
    if (callee !== -1) return serviceNameOf(trace, callee);
    const b = backend[i];
    if (b !== null && b.name !== '') return b.name;
  }
  return serviceNameOf(trace, i);
}

/**
 * display_span_name: an entry span shows its API name; an exit span the callee's API name,
 * else the backend path; anything else (and a span with none of these) its operation name.
 */
export function displaySpanNameOf(trace: EnrichedTrace, i: number): string {
  const { spanType, calleeEntry, backend, apiName } = trace.enriched;
  const type = spanType[i];
  if (type === 'ENTRY') {
    if (apiName[i] !== '') return apiName[i];
  } else if (type === 'EXIT') {
    const callee = calleeEntry[i];
    if (callee !== -1 && apiName[callee] !== '') return apiName[callee];
    const b = backend[i];
    if (b !== null && b.path !== '') return b.path;
  }
  return trace.spans[i].name;
}

/** api_callee_name_count as a string map (view maps hold strings). */
function calleeCounts(counts: Record<string, number>): Record<string, string> | null {
  let out: Record<string, string> | null = null;
  for (const k in counts) {
    out ??= {};
    out[k] = String(counts[k]);
  }
  return out;
}

/** The tag bloom's words, reused row after row (each row gets its own copies). */
const bloomWords: bigint[] = new Array<bigint>(TAG_BLOOM_WORDS).fill(0n);

export function spanEventRows(trace: EnrichedTrace): ViewRow[] {
  const { spans } = trace;
  const e = trace.enriched;
  const rows: ViewRow[] = new Array(spans.length);
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i];
    const entry = e.apiEntry[i];
    const isApiEntry = entry === i;
    const node = e.apiNode[i] === -1 ? undefined : trace.apiNodes[e.apiNode[i]];
    const startMs = ms(span.startUs);
    const durationMs = Math.floor((span.endUs - span.startUs) / 1000);
    const bloom = tagBloomInto(span.attributes, bloomWords);
    rows[i] = {
      tenant_id: span.tenant,
      span_id: span.spanId,
      parent_span_id: orNull(span.parentSpanId),
      trace_id: span.traceId,
      span_kind: e.spanType[i],
      event_name: span.name,
      service_id: orNull(e.serviceId[i]),
      service_name: orNull(serviceNameOf(trace, i)),
      reported_service_name: orNull(trace.spans[i].serviceName),
      api_id: orNull(e.apiId[i]),
      api_name: orNull(e.apiName[i]),
      api_discovery_state: isApiEntry && e.apiId[i] !== '' ? 'DISCOVERED' : null,
      entry_api_id: orNull(entryApiIdOf(trace, i)),
      protocol_name: protocolNameOf(trace, i),
      tags: span.attributes,
      status_code: statusCodeOf(trace, i),
      status: statusOf(trace, i),
      status_message: statusMessageOf(trace, i),
      start_time_millis: startMs,
      end_time_millis: startMs + durationMs,
      duration_millis: durationMs,
      api_trace_id: entry === -1 ? null : spans[entry].spanId,
      api_trace_count: isApiEntry ? 1 : 0,
      api_boundary_type: orNull(e.apiBoundary[i]),
      display_entity_name: orNull(displayEntityNameOf(trace, i)),
      display_span_name: displaySpanNameOf(trace, i),
      request_url: requestUrlOf(trace, i),
      error_count: e.errorCount[i],
      exception_count: e.exceptionCount[i],
      space_ids: null,
      api_exit_calls: node === undefined ? 0 : node.exitCalls,
      api_callee_name_count: isApiEntry && node !== undefined ? calleeCounts(node.calleeNameCount) : null,
      api_trace_error_span_count: isApiEntry && node !== undefined ? node.errorSpanCount : 0,
      spans: 1,
      kind: span.kind,
      start_time_micros: span.startUs,
      end_time_micros: span.endUs,
      duration_micros: span.endUs - span.startUs,
      tag_bloom_0: bloom[0],
      tag_bloom_1: bloom[1],
      tag_bloom_2: bloom[2],
      tag_bloom_3: bloom[3],
      tag_bloom_4: bloom[4],
      tag_bloom_5: bloom[5],
      tag_bloom_6: bloom[6],
      tag_bloom_7: bloom[7],
      tag_bloom_8: bloom[8],
      tag_bloom_9: bloom[9],
      tag_bloom_10: bloom[10],
      tag_bloom_11: bloom[11],
      tag_bloom_12: bloom[12],
      tag_bloom_13: bloom[13],
      tag_bloom_14: bloom[14],
      tag_bloom_15: bloom[15],
    };
  }
  return rows;
}
