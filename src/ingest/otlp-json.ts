// OTLP/JSON (ExportTraceServiceRequest in the OTLP JSON mapping) → internal spans.
// Ids are hex strings (the OTLP exception to the protobuf JSON mapping; base64 ids from older
// senders are accepted too), enums may be numbers or names, int64 values strings or numbers.
// Field names are lowerCamelCase; the original snake_case names are accepted as protobuf's
// JSON mapping requires. Valid spans are kept and invalid ones counted for partial success.

import { invalid } from '../errors.ts';
import type { Attributes, Span, SpanEvent, SpanLink, StatusCode } from '../model/span.ts';
import { setAttr, usFromNanoJson } from './normalize.ts';
import { OtlpRejections, OTLP_KINDS, resourceServiceName, type OtlpResult } from './otlp-common.ts';

type Json = Record<string, any>;

/** Decodes an OTLP/JSON request; throws INVALID_ARGUMENT when the body is not one. */
export function decodeOtlpJson(body: string | Buffer, tenant: string): OtlpResult {
  let req: unknown;
  try {
    req = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (err) {
    throw invalid(`OTLP JSON: body is not JSON (${(err as Error).message})`);
  }
  if (!isObject(req)) throw invalid('OTLP JSON: body must be an ExportTraceServiceRequest object');
  const resourceSpans = req.resourceSpans ?? req.resource_spans ?? [];
  if (!Array.isArray(resourceSpans)) throw invalid('OTLP JSON: resourceSpans must be an array');
  const spans: Span[] = [];
  const rejections = new OtlpRejections();
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r];
    const where = `resource_spans[${r}]`;
    if (!isObject(rs)) throw invalid(`OTLP JSON: ${where} must be an object`);
    const resource = attributesOf(rs.resource?.attributes, where);
    const serviceName = resourceServiceName(resource);
    const scopeSpans = rs.scopeSpans ?? rs.scope_spans ?? [];
    if (!Array.isArray(scopeSpans)) throw invalid(`OTLP JSON: ${where}.scopeSpans must be an array`);
    for (let s = 0; s < scopeSpans.length; s++) {
      const ss = scopeSpans[s];
      const scopeWhere = `${where}.scope_spans[${s}]`;
      if (!isObject(ss)) throw invalid(`OTLP JSON: ${scopeWhere} must be an object`);
      const list = ss.spans ?? [];
      if (!Array.isArray(list)) throw invalid(`OTLP JSON: ${scopeWhere}.spans must be an array`);
      const scope = isObject(ss.scope) ? ss.scope : {};
      for (let i = 0; i < list.length; i++) {
        const spanWhere = `${scopeWhere}.spans[${i}]`;
        const raw = list[i];
        const span = isObject(raw) ? toSpan(raw, tenant, serviceName, resource, scope, spanWhere) : 'must be an object';
        if (typeof span === 'string') {
          const id = isObject(raw) ? String(raw.spanId ?? raw.span_id ?? '') : '';
          rejections.add(spanWhere, id.slice(0, 64), span);
        } else {
          spans.push(span);
        }
      }
    }
  }
  return rejections.result(spans);
}

const SPAN_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_NAMES: Record<string, StatusCode> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** The span, or "field problem" naming what was wrong. */
function toSpan(raw: Json, tenant: string, serviceName: string, resource: Attributes, scope: Json, where: string): Span | string {
  const spanId = jsonId(raw.spanId ?? raw.span_id, 8);
  if (!spanId) return 'span_id must be 16 hex digits, not all zero';
  const traceId = jsonId(raw.traceId ?? raw.trace_id, 16);
  if (!traceId) return 'trace_id must be 32 hex digits, not all zero';
  const rawParent = raw.parentSpanId ?? raw.parent_span_id;
  let parentSpanId = '';
  if (rawParent !== undefined && rawParent !== null && rawParent !== '') {
    parentSpanId = jsonId(rawParent, 8);
    if (!parentSpanId && !isZeroId(rawParent)) return 'parent_span_id must be empty or 16 hex digits';
  }
  const startUs = usFromNanoJson(raw.startTimeUnixNano ?? raw.start_time_unix_nano);
  const endUs = usFromNanoJson(raw.endTimeUnixNano ?? raw.end_time_unix_nano);
  if (Number.isNaN(startUs) || startUs === 0) return 'start_time_unix_nano is missing or not a decimal integer';
  if (Number.isNaN(endUs)) return 'end_time_unix_nano is not a decimal integer';
  if (endUs < startUs) return 'end_time_unix_nano is before start_time_unix_nano';

  const attributes: Attributes = {};
  if (typeof scope.name === 'string' && scope.name) attributes['otel.scope.name'] = scope.name;
  if (typeof scope.version === 'string' && scope.version) attributes['otel.scope.version'] = scope.version;
  addAttributes(attributes, raw.attributes, where);
  const kindValue = typeof raw.kind === 'string' ? SPAN_KIND_NAMES[raw.kind] : raw.kind;
  const status = isObject(raw.status) ? raw.status : {};
  const code = typeof status.code === 'string' ? STATUS_NAMES[status.code] : status.code;
  return {
    tenant,
    traceId,
    spanId,
    parentSpanId,
    name: typeof raw.name === 'string' ? raw.name : '',
    kind: OTLP_KINDS[kindValue ?? 0] ?? 'UNSPECIFIED',
    serviceName,
    startUs,
    endUs,
    statusCode: code === 1 || code === 2 ? code : 0,
    statusMessage: typeof status.message === 'string' ? status.message : '',
    attributes,
    resource,
    events: eventsOf(raw.events, where),
    links: linksOf(raw.links),
  };
}

const HEX_ID = /^[0-9a-fA-F]+$/;
const BASE64_ID = /^[A-Za-z0-9+/]+={0,2}$/;

/** A hex id of `bytes` bytes (or its base64 form), lower-cased; '' when invalid or all zero. */
function jsonId(v: unknown, bytes: number): string {
  if (typeof v !== 'string') return '';
  let hex = '';
  if (v.length === bytes * 2 && HEX_ID.test(v)) hex = v.toLowerCase();
  else if (v.length === Math.ceil(bytes / 3) * 4 && BASE64_ID.test(v)) {
    const raw = Buffer.from(v, 'base64');
    if (raw.length === bytes) hex = raw.toString('hex');
  }
  return /^0+$/.test(hex) ? '' : hex;
}

function isZeroId(v: unknown): boolean {
  return typeof v === 'string' && /^0+$/.test(v);
}

function eventsOf(events: unknown, where: string): SpanEvent[] {
  if (!Array.isArray(events)) return [];
  const out: SpanEvent[] = [];
  for (const e of events) {
    if (!isObject(e)) continue;
    const timeUs = usFromNanoJson(e.timeUnixNano ?? e.time_unix_nano);
    out.push({
      timeUs: Number.isNaN(timeUs) ? 0 : timeUs,
      name: typeof e.name === 'string' ? e.name : '',
      attributes: attributesOf(e.attributes, where),
    });
  }
  return out;
}

function linksOf(links: unknown): SpanLink[] {
  if (!Array.isArray(links)) return [];
  const out: SpanLink[] = [];
  for (const l of links) {
    if (!isObject(l)) continue;
    const traceId = jsonId(l.traceId ?? l.trace_id, 16);
    const spanId = jsonId(l.spanId ?? l.span_id, 8);
    if (traceId && spanId) out.push({ traceId, spanId, refType: 'LINK' });
  }
  return out;
}

function attributesOf(kvs: unknown, where: string): Attributes {
  const attrs: Attributes = {};
  addAttributes(attrs, kvs, where);
  return attrs;
}

function addAttributes(attrs: Attributes, kvs: unknown, where: string): void {
  if (kvs === undefined || kvs === null) return;
  if (!Array.isArray(kvs)) throw invalid(`OTLP JSON: attributes under ${where} must be an array of {key, value}`);
  for (const kv of kvs) {
    if (isObject(kv) && typeof kv.key === 'string') setAttr(attrs, kv.key, anyString(kv.value));
  }
}

/** An AnyValue as the model's attribute string (DESIGN §3). */
function anyString(v: unknown): string {
  if (!isObject(v)) return '';
  const s = v.stringValue ?? v.string_value;
  if (s !== undefined) return String(s);
  const native = anyNative(v);
  if (native === null) return '';
  return typeof native === 'object' ? JSON.stringify(native) : String(native);
}

/** An AnyValue as plain JSON, keeping types inside arrays and kvlists. */
function anyNative(v: unknown): unknown {
  if (!isObject(v)) return null;
  const s = v.stringValue ?? v.string_value;
  if (s !== undefined) return String(s);
  const b = v.boolValue ?? v.bool_value;
  if (b !== undefined) return b === true || b === 'true';
  const i = v.intValue ?? v.int_value;
  if (i !== undefined) {
    const n = Number(i);
    return Number.isSafeInteger(n) ? n : String(i);
  }
  const d = v.doubleValue ?? v.double_value;
  if (d !== undefined) return typeof d === 'number' ? d : Number(d);
  const bytes = v.bytesValue ?? v.bytes_value;
  if (bytes !== undefined) return String(bytes);
  const arr = v.arrayValue ?? v.array_value;
  if (isObject(arr)) return Array.isArray(arr.values) ? arr.values.map(anyNative) : [];
  const kvl = v.kvlistValue ?? v.kvlist_value;
  if (isObject(kvl)) {
    const obj: Record<string, unknown> = {};
    for (const kv of Array.isArray(kvl.values) ? kvl.values : []) {
      if (isObject(kv) && typeof kv.key === 'string') {
        Object.defineProperty(obj, kv.key, { value: anyNative(kv.value), enumerable: true, writable: true, configurable: true });
      }
    }
    return obj;
  }
  return null;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
