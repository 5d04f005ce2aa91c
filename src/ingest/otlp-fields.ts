// The field numbers the OTLP wire walk (otlp-proto.ts, otlp-wire.ts) relies on, checked against
// the schema loaded from protos/ so the .proto files stay the single source of truth: a schema
// edit that moves a field makes the module fail to load instead of mis-decoding.

import { root } from './protos.ts';

const EXPECTED: Record<string, Record<string, number>> = {
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest': { resourceSpans: 1 },
  'opentelemetry.proto.trace.v1.ResourceSpans': { resource: 1, scopeSpans: 2 },
  'opentelemetry.proto.resource.v1.Resource': { attributes: 1 },
  'opentelemetry.proto.trace.v1.ScopeSpans': { scope: 1, spans: 2 },
  'opentelemetry.proto.common.v1.InstrumentationScope': { name: 1, version: 2 },
  'opentelemetry.proto.trace.v1.Span': {
    traceId: 1, spanId: 2, parentSpanId: 4, name: 5, kind: 6, startTimeUnixNano: 7, endTimeUnixNano: 8,
    attributes: 9, events: 11, links: 13, status: 15,
  },
  'opentelemetry.proto.trace.v1.Span.Event': { timeUnixNano: 1, name: 2, attributes: 3 },
  'opentelemetry.proto.trace.v1.Span.Link': { traceId: 1, spanId: 2 },
  'opentelemetry.proto.trace.v1.Status': { message: 2, code: 3 },
  'opentelemetry.proto.common.v1.KeyValue': { key: 1, value: 2 },
  'opentelemetry.proto.common.v1.AnyValue': {
    stringValue: 1, boolValue: 2, intValue: 3, doubleValue: 4, arrayValue: 5, kvlistValue: 6, bytesValue: 7,
  },
  'opentelemetry.proto.common.v1.ArrayValue': { values: 1 },
  'opentelemetry.proto.common.v1.KeyValueList': { values: 1 },
};

/** Throws when protos/ and the wire walk disagree about a field number. */
export function assertOtlpFieldNumbers(): void {
  for (const [typeName, fields] of Object.entries(EXPECTED)) {
    const type = root.lookupType(typeName);
    for (const [field, id] of Object.entries(fields)) {
      const actual = type.fields[field]?.id;
      if (actual !== id) {
        throw new Error(`protos/ and the OTLP decoder disagree: ${typeName}.${field} is ${actual} in the schema, ${id} in the decoder`);
      }
    }
  }
}
