// logEventView: one row per span event (OTel event, Jaeger log, Zipkin annotation), with the
// attributes as a Jaeger log carries them and a one-line summary.
import type { Span, SpanEvent } from '../model/span.ts';
import type { ViewRow } from '../store/api.ts';

/** The summary keys, most telling first (hypertrace-ingest §6). */
const SUMMARY_KEYS = ['message', 'exception.message', 'exception.type', 'event', 'body'] as const;

/** The value of the first summary key present, else the first attribute's value; null when none. */
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

/** Appends the rows of a span's events to `out`. */
export function logEventRows(span: Span, out: ViewRow[]): void {
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
