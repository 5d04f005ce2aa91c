// OTLP protobuf (ExportTraceServiceRequest) → internal spans: the hot path of ingest.
// It walks the wire format once with protobufjs' Reader and builds the model objects directly,
// skipping protobufjs' intermediate message objects (KeyValue, AnyValue, Long per field), which
// cost more than the decode itself. The field numbers below are checked against the schema in
// protos/ when this module loads (see otlp-fields.ts), so protos/ stays the source of truth.
// Valid spans are kept; invalid ones are counted for the OTLP partial-success answer.

import protobuf from 'protobufjs';
import { TesseraError, invalid } from '../errors.ts';
import type { Attributes, Span, SpanEvent, SpanLink } from '../model/span.ts';
import { usFromNanoHalves } from './normalize.ts';
import { OtlpRejections, OTLP_KINDS, resourceServiceName, type OtlpResult } from './otlp-common.ts';
import { readKeyValue, readStringValue, hexAt, lengthEnd, skipField, LEN, VARINT, FIXED64, type Reader } from './otlp-wire.ts';
import { assertOtlpFieldNumbers } from './otlp-fields.ts';
import { ExportTraceServiceRequest } from './protos.ts';

assertOtlpFieldNumbers();

/** Only the protobuf decode (protobufjs reflection): the ceiling the benchmark compares with. */
export function decodeOtlpProtoRaw(buf: Uint8Array): unknown {
  return ExportTraceServiceRequest.decode(buf);
}

/** Decodes an OTLP/protobuf request; throws INVALID_ARGUMENT when the body is not one. */
export function decodeOtlpProto(buf: Uint8Array, tenant: string): OtlpResult {
  const reader = protobuf.Reader.create(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  const out: Span[] = [];
  const rejections = new OtlpRejections();
  try {
    let r = 0;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === ((1 << 3) | LEN)) readResourceSpans(reader, lengthEnd(reader), r++, tenant, out, rejections);
      else skipField(reader, tag);
    }
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    throw invalid(`OTLP protobuf: body is not an ExportTraceServiceRequest (${(err as Error).message} at byte ${reader.pos})`);
  }
  return rejections.result(out);
}

interface ScopeContext {
  tenant: string;
  serviceName: string;
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
  where: string;
}

function readResourceSpans(reader: Reader, stop: number, r: number, tenant: string, out: Span[], rej: OtlpRejections): void {
  let resource: Attributes = {};
  // The resource may follow its scope_spans on the wire: remember where they are, read them after.
  const scopes: number[] = [];
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) resource = readResource(reader, lengthEnd(reader));
    else if (tag === ((2 << 3) | LEN)) {
      const e = lengthEnd(reader);
      scopes.push(reader.pos, e);
      reader.pos = e;
    } else skipField(reader, tag);
  }
  const serviceName = resourceServiceName(resource);
  for (let i = 0; i < scopes.length; i += 2) {
    reader.pos = scopes[i];
    const ctx: ScopeContext = { tenant, serviceName, resource, scopeName: '', scopeVersion: '', where: `resource_spans[${r}].scope_spans[${i / 2}]` };
    readScopeSpans(reader, scopes[i + 1], ctx, out, rej);
  }
  reader.pos = stop;
}

function readResource(reader: Reader, stop: number): Attributes {
  const attrs: Attributes = {};
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) readKeyValue(reader, lengthEnd(reader), attrs);
    else skipField(reader, tag);
  }
  return attrs;
}

function readScopeSpans(reader: Reader, stop: number, ctx: ScopeContext, out: Span[], rej: OtlpRejections): void {
  const spans: number[] = [];
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) readScope(reader, lengthEnd(reader), ctx);
    else if (tag === ((2 << 3) | LEN)) {
      const e = lengthEnd(reader);
      spans.push(reader.pos, e);
      reader.pos = e;
    } else skipField(reader, tag);
  }
  for (let i = 0; i < spans.length; i += 2) {
    reader.pos = spans[i];
    readSpan(reader, spans[i + 1], ctx, i / 2, out, rej);
  }
  reader.pos = stop;
}

function readScope(reader: Reader, stop: number, ctx: ScopeContext): void {
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) ctx.scopeName = reader.string();
    else if (tag === ((2 << 3) | LEN)) ctx.scopeVersion = reader.string();
    else skipField(reader, tag);
  }
}

function readSpan(reader: Reader, stop: number, ctx: ScopeContext, index: number, out: Span[], rej: OtlpRejections): void {
  const attributes: Attributes = {};
  if (ctx.scopeName) attributes['otel.scope.name'] = ctx.scopeName;
  if (ctx.scopeVersion) attributes['otel.scope.version'] = ctx.scopeVersion;
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let problem = '';
  let name = '';
  let kind = 0;
  let startUs = 0;
  let endUs = 0;
  let statusCode = 0;
  let statusMessage = '';
  let events: SpanEvent[] | undefined;
  let links: SpanLink[] | undefined;
  while (reader.pos < stop) {
    const tag = reader.uint32();
    switch (tag) {
      case (1 << 3) | LEN:
        traceId = readId(reader);
        break;
      case (2 << 3) | LEN:
        spanId = readId(reader);
        break;
      case (4 << 3) | LEN: {
        const len = reader.uint32();
        if (len !== 0 && len !== 8) problem ||= 'parent_span_id must be empty or 8 bytes';
        else if (len === 8) parentSpanId = hexAt(reader, 8);
        reader.skip(len);
        if (parentSpanId === ZERO_SPAN) parentSpanId = '';
        break;
      }
      case (5 << 3) | LEN:
        name = readStringValue(reader);
        break;
      case (6 << 3) | VARINT:
        kind = reader.uint32();
        break;
      case (7 << 3) | FIXED64:
        startUs = readNanosAsUs(reader);
        break;
      case (8 << 3) | FIXED64:
        endUs = readNanosAsUs(reader);
        break;
      case (9 << 3) | LEN:
        readKeyValue(reader, lengthEnd(reader), attributes);
        break;
      case (11 << 3) | LEN:
        (events ??= []).push(readEvent(reader, lengthEnd(reader)));
        break;
      case (13 << 3) | LEN: {
        const link = readLink(reader, lengthEnd(reader));
        if (link) (links ??= []).push(link);
        break;
      }
      case (15 << 3) | LEN: {
        const s = lengthEnd(reader);
        while (reader.pos < s) {
          const t = reader.uint32();
          if (t === ((2 << 3) | LEN)) statusMessage = reader.string();
          else if (t === ((3 << 3) | VARINT)) statusCode = reader.uint32();
          else skipField(reader, t);
        }
        break;
      }
      default:
        skipField(reader, tag);
    }
  }
  if (spanId.length !== 16 || spanId === ZERO_SPAN) problem = 'span_id must be 8 bytes, not all zero';
  else if (traceId.length !== 32 || traceId === ZERO_TRACE) problem = 'trace_id must be 16 bytes, not all zero';
  else if (!problem && startUs === 0) problem = 'start_time_unix_nano is missing';
  else if (!problem && endUs < startUs) problem = 'end_time_unix_nano is before start_time_unix_nano';
  if (problem) {
    rej.add(`${ctx.where}.spans[${index}]`, spanId, problem);
    return;
  }
  out.push({
    tenant: ctx.tenant,
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: OTLP_KINDS[kind] ?? 'UNSPECIFIED',
    serviceName: ctx.serviceName,
    startUs,
    endUs,
    statusCode: statusCode === 1 || statusCode === 2 ? statusCode : 0,
    statusMessage,
    attributes,
    resource: ctx.resource,
    events: events ?? [],
    links: links ?? [],
  });
}

const ZERO_SPAN = '0000000000000000';
const ZERO_TRACE = '00000000000000000000000000000000';

/** Reads a length-delimited id as hex (validated by the caller; at most 32 bytes are shown). */
function readId(reader: Reader): string {
  const len = reader.uint32();
  const id = hexAt(reader, Math.min(len, 32));
  reader.skip(len);
  return id;
}

function readNanosAsUs(reader: Reader): number {
  const low = reader.fixed32();
  const high = reader.fixed32();
  return usFromNanoHalves(high, low);
}

function readEvent(reader: Reader, stop: number): SpanEvent {
  const event: SpanEvent = { timeUs: 0, name: '', attributes: {} };
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | FIXED64)) event.timeUs = readNanosAsUs(reader);
    else if (tag === ((2 << 3) | LEN)) event.name = readStringValue(reader);
    else if (tag === ((3 << 3) | LEN)) readKeyValue(reader, lengthEnd(reader), event.attributes);
    else skipField(reader, tag);
  }
  return event;
}

/** A link to another span; undefined when its ids are not valid (the span itself stays). */
function readLink(reader: Reader, stop: number): SpanLink | undefined {
  let traceId = '';
  let spanId = '';
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) traceId = readId(reader);
    else if (tag === ((2 << 3) | LEN)) spanId = readId(reader);
    else skipField(reader, tag);
  }
  const valid = traceId.length === 32 && traceId !== ZERO_TRACE && spanId.length === 16 && spanId !== ZERO_SPAN;
  return valid ? { traceId, spanId, refType: 'LINK' } : undefined;
}
