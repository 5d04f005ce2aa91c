// GenSpans → OTLP/JSON (the protobuf JSON mapping with OTLP's exceptions: ids as hex, enums as
// numbers, 64-bit integers as decimal strings).

import type { Attr, GenSpan } from '../model.ts';
import { groupByResource } from './otlp-proto.ts';

function jsonAttrs(attrs: readonly Attr[]): object[] {
  const out = new Array(attrs.length);
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i];
    const v = a.value;
    out[i] = { key: a.key, value: 'intValue' in v ? { intValue: String(v.intValue) } : v };
  }
  return out;
}

function jsonSpan(s: GenSpan): object {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId === '' ? {} : { parentSpanId: s.parentSpanId }),
    name: s.name,
    kind: s.kind,
    // Appending "000" to integer microseconds gives exact nanoseconds as text.
    startTimeUnixNano: `${s.startUs}000`,
    endTimeUnixNano: `${s.endUs}000`,
    attributes: jsonAttrs(s.attributes),
    ...(s.events.length === 0
      ? {}
      : { events: s.events.map((e) => ({ timeUnixNano: `${e.timeUs}000`, name: e.name, attributes: jsonAttrs(e.attributes) })) }),
    ...(s.statusCode === 0 && s.statusMessage === '' ? {} : { status: { code: s.statusCode, message: s.statusMessage } }),
  };
}

export function encodeOtlpJson(spans: readonly GenSpan[]): string {
  return JSON.stringify({
    resourceSpans: groupByResource(spans).map((g) => ({
      resource: { attributes: jsonAttrs(g.resource.attributes) },
      scopeSpans: [{ scope: { name: g.resource.scopeName, version: g.resource.scopeVersion }, spans: g.spans.map(jsonSpan) }],
    })),
  });
}
