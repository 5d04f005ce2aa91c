// The load generator's own span shape, chosen to be cheap to encode to every protocol it
// speaks: attributes are already OTLP KeyValue-shaped (so static ones are shared objects,
// never rebuilt per span), ids are lowercase hex, times are integer microseconds.

/** An OTLP AnyValue restricted to the scalar kinds the generator emits. */
export type AttrValue =
  | { stringValue: string }
  | { intValue: number }
  | { doubleValue: number }
  | { boolValue: boolean };

export interface Attr {
  key: string;
  value: AttrValue;
  /**
   * Present only on attributes shared by many spans (see `shared`): null until the protobuf
   * encoder first writes it, then its encoded KeyValue (length-prefixed), copied as is after.
   */
  encoded?: Uint8Array | null;
}

/** OTLP span kind numbers (opentelemetry.proto.trace.v1.Span.SpanKind). */
export const SpanKindCode = {
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKindCode = (typeof SpanKindCode)[keyof typeof SpanKindCode];

export interface GenEvent {
  timeUs: number;
  name: string;
  attributes: Attr[];
}

/** One emitting process: its resource is encoded once per batch, not once per span. */
export interface GenResource {
  /** Stable index (the service index in the topology) for grouping spans by resource. */
  id: number;
  serviceName: string;
  attributes: Attr[];
  scopeName: string;
  scopeVersion: string;
  /** Host address and port, for Zipkin's localEndpoint. */
  ipv4: string;
  port: number;
}

export interface GenSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: SpanKindCode;
  startUs: number;
  endUs: number;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: 0 | 1 | 2;
  statusMessage: string;
  attributes: Attr[];
  events: GenEvent[];
  resource: GenResource;
  /** Zipkin's remoteEndpoint service name (client/producer spans), '' when none. */
  remoteService: string;
}

export interface GenTrace {
  traceId: string;
  /** Spans in the order a real SDK would export them: each span when it ends. */
  spans: GenSpan[];
  /** Distinct service names taking part, sorted. */
  services: string[];
  startUs: number;
  endUs: number;
}

export const str = (key: string, value: string): Attr => ({ key, value: { stringValue: value } });
export const int = (key: string, value: number): Attr => ({ key, value: { intValue: value } });
export const dbl = (key: string, value: number): Attr => ({ key, value: { doubleValue: value } });
export const bool = (key: string, value: boolean): Attr => ({ key, value: { boolValue: value } });

/**
 * The same attributes, marked as shared by many spans so encoders may cache their bytes.
 * Built once per call site, never per span.
 */
export function shared(attrs: readonly Attr[]): Attr[] {
  return attrs.map((a) => ({ key: a.key, value: a.value, encoded: null }));
}

/** The attribute value as text (Zipkin tags, Tessera's internal model). */
export function attrText(v: AttrValue): string {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return String(v.intValue);
  if ('doubleValue' in v) return String(v.doubleValue);
  return v.boolValue ? 'true' : 'false';
}
