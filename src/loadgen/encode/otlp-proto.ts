// GenSpans → OTLP ExportTraceServiceRequest protobuf. Two encoders with one output:
// `encodeOtlpProto` writes the wire format directly with PbWriter (the generator's hot path),
// `encodeOtlpProtoReflect` goes through protobufjs and the types loaded from protos/ (the
// reference the tests hold the fast one to). Spans are grouped by resource so each service's
// resource is written once per request. Field numbers are those of protos/opentelemetry.

import { ExportTraceServiceRequest } from '../../ingest/protos.ts';
import type { Attr, GenEvent, GenResource, GenSpan } from '../model.ts';
import { PbWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './pb-writer.ts';

const TWO_32 = 4294967296;

/** Microseconds → nanoseconds as the {low, high} halves protobufjs accepts, exactly. */
export function nanoHalves(us: number): { low: number; high: number } {
  const usHigh = Math.floor(us / TWO_32);
  const lowNs = (us - usHigh * TWO_32) * 1000;
  const carry = Math.floor(lowNs / TWO_32);
  return { low: (lowNs - carry * TWO_32) >>> 0, high: (usHigh * 1000 + carry) >>> 0 };
}

export interface ResourceGroup {
  resource: GenResource;
  spans: GenSpan[];
}

/** Groups spans by resource, keeping the first-seen order of resources and of spans within. */
export function groupByResource(spans: readonly GenSpan[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  const byId: Array<ResourceGroup | undefined> = [];
  for (const s of spans) {
    let g = byId[s.resource.id];
    if (g === undefined) {
      g = { resource: s.resource, spans: [] };
      byId[s.resource.id] = g;
      groups.push(g);
    }
    g.spans.push(s);
  }
  return groups;
}

function writeKeyValue(w: PbWriter, field: number, a: Attr): void {
  w.tag(field, WIRE_LEN);
  const cached = a.encoded;
  if (cached) {
    w.raw(cached);
    return;
  }
  const start = w.pos;
  writeKeyValueBody(w, a);
  // A shared attribute is written once, then copied: most of a span's attributes are shared.
  if (cached === null) a.encoded = w.slice(start);
}

function writeKeyValueBody(w: PbWriter, a: Attr): void {
  const kv = w.begin(1);
  w.tag(1, WIRE_LEN);
  w.string(a.key);
  w.tag(2, WIRE_LEN);
  const any = w.begin(1);
  const v = a.value;
  if ('stringValue' in v) {
    w.tag(1, WIRE_LEN);
    w.string(v.stringValue);
  } else if ('intValue' in v) {
    w.tag(3, WIRE_VARINT);
    w.int64(v.intValue);
  } else if ('boolValue' in v) {
    w.tag(2, WIRE_VARINT);
    w.uint32(v.boolValue ? 1 : 0);
  } else {
    w.tag(4, WIRE_I64);
    w.double(v.doubleValue);
  }
  w.end(any, 1);
  w.end(kv, 1);
}

function writeEvent(w: PbWriter, e: GenEvent): void {
  w.tag(11, WIRE_LEN);
  const m = w.begin(2);
  w.tag(1, WIRE_I64);
  w.fixed64NanosFromMicros(e.timeUs);
  w.tag(2, WIRE_LEN);
  w.string(e.name);
  for (const a of e.attributes) writeKeyValue(w, 3, a);
  w.end(m, 2);
}

/** The trace id last written, as bytes: a request carries several spans of each trace. */
let lastTraceHex = '';
let lastTraceBytes: Uint8Array = new Uint8Array(0);

function writeSpan(w: PbWriter, s: GenSpan): void {
  w.tag(2, WIRE_LEN); // ScopeSpans.spans
  const m = w.begin(2);
  w.tag(1, WIRE_LEN);
  if (s.traceId === lastTraceHex) {
    w.raw(lastTraceBytes);
  } else {
    const start = w.pos;
    w.hexBytes(s.traceId);
    lastTraceHex = s.traceId;
    lastTraceBytes = w.slice(start);
  }
  w.tag(2, WIRE_LEN);
  w.hexBytes(s.spanId);
  if (s.parentSpanId !== '') {
    w.tag(4, WIRE_LEN);
    w.hexBytes(s.parentSpanId);
  }
  w.tag(5, WIRE_LEN);
  w.string(s.name);
  w.tag(6, WIRE_VARINT);
  w.uint32(s.kind);
  w.tag(7, WIRE_I64);
  w.fixed64NanosFromMicros(s.startUs);
  w.tag(8, WIRE_I64);
  w.fixed64NanosFromMicros(s.endUs);
  const attrs = s.attributes;
  for (let i = 0; i < attrs.length; i++) writeKeyValue(w, 9, attrs[i]);
  for (let i = 0; i < s.events.length; i++) writeEvent(w, s.events[i]);
  if (s.statusCode !== 0 || s.statusMessage !== '') {
    w.tag(15, WIRE_LEN);
    const st = w.begin(1);
    if (s.statusMessage !== '') {
      w.tag(2, WIRE_LEN);
      w.string(s.statusMessage);
    }
    if (s.statusCode !== 0) {
      w.tag(3, WIRE_VARINT);
      w.uint32(s.statusCode);
    }
    w.end(st, 1);
  }
  w.end(m, 2);
}

function writeGroup(w: PbWriter, g: ResourceGroup): void {
  w.tag(1, WIRE_LEN); // ExportTraceServiceRequest.resource_spans
  const rs = w.begin(3);
  w.tag(1, WIRE_LEN); // ResourceSpans.resource
  const res = w.begin(2);
  for (const a of g.resource.attributes) writeKeyValue(w, 1, a);
  w.end(res, 2);
  w.tag(2, WIRE_LEN); // ResourceSpans.scope_spans
  const ss = w.begin(3);
  w.tag(1, WIRE_LEN); // ScopeSpans.scope
  const scope = w.begin(1);
  w.tag(1, WIRE_LEN);
  w.string(g.resource.scopeName);
  w.tag(2, WIRE_LEN);
  w.string(g.resource.scopeVersion);
  w.end(scope, 1);
  for (const s of g.spans) writeSpan(w, s);
  w.end(ss, 3);
  w.end(rs, 3);
}

/** Encodes with a caller-owned writer (reused across requests by the runner). */
export function encodeOtlpProtoWith(w: PbWriter, spans: readonly GenSpan[]): Buffer {
  w.reset();
  for (const g of groupByResource(spans)) writeGroup(w, g);
  return w.finish();
}

const shared = new PbWriter();
export function encodeOtlpProto(spans: readonly GenSpan[]): Buffer {
  return encodeOtlpProtoWith(shared, spans);
}

function pbSpan(s: GenSpan): object {
  return {
    traceId: Buffer.from(s.traceId, 'hex'),
    spanId: Buffer.from(s.spanId, 'hex'),
    parentSpanId: s.parentSpanId === '' ? undefined : Buffer.from(s.parentSpanId, 'hex'),
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: nanoHalves(s.startUs),
    endTimeUnixNano: nanoHalves(s.endUs),
    attributes: s.attributes,
    events: s.events.map((e) => ({ timeUnixNano: nanoHalves(e.timeUs), name: e.name, attributes: e.attributes })),
    status: s.statusCode === 0 && s.statusMessage === '' ? undefined : { code: s.statusCode || undefined, message: s.statusMessage || undefined },
  };
}

/** The same request through protobufjs reflection (slower; the reference for tests). */
export function encodeOtlpProtoReflect(spans: readonly GenSpan[]): Uint8Array {
  const request = {
    resourceSpans: groupByResource(spans).map((g) => ({
      resource: { attributes: g.resource.attributes },
      scopeSpans: [{ scope: { name: g.resource.scopeName, version: g.resource.scopeVersion }, spans: g.spans.map(pbSpan) }],
    })),
  };
  return ExportTraceServiceRequest.encode(request as never).finish();
}
