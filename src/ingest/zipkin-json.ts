// Zipkin v2 JSON (`POST /api/v2/spans`: an array of spans) → internal spans. Times are epoch
// microseconds; the service is localEndpoint.serviceName; remoteEndpoint becomes peer
// attributes; annotations become events. All or nothing: one invalid span rejects the request.

import { invalid } from '../errors.ts';
import { normalizeSpanId, normalizeTraceId } from '../model/span.ts';
import type { Attributes, Span, SpanEvent, SpanKind } from '../model/span.ts';
import { kindFromName, scalarString, setAttr, spanProblem, statusFromTags, summarizeProblems } from './normalize.ts';
import { UNKNOWN_SERVICE } from './otlp-common.ts';

type Json = Record<string, any>;

/** Parses a Zipkin v2 JSON span list into spans of `tenant`; throws INVALID_ARGUMENT. */
export function decodeZipkinJson(body: string | Buffer, tenant: string): Span[] {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (err) {
    throw invalid(`Zipkin JSON: body is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) throw invalid('Zipkin JSON: body must be an array of spans (Zipkin v2 format)');
  return zipkinSpans(doc, tenant, 'Zipkin JSON');
}

/** Zipkin v2 spans in their JSON shape → model spans, all or nothing (shared with proto3). */
export function zipkinSpans(doc: unknown[], tenant: string, format: string): Span[] {
  const spans: Span[] = [];
  const problems: string[] = [];
  let bad = 0;
  for (let i = 0; i < doc.length; i++) {
    const raw = doc[i];
    const result = isObject(raw) ? toSpan(raw, tenant, `spans[${i}]`) : `spans[${i}]: not an object`;
    if (typeof result === 'string') {
      if (problems.length < 50) problems.push(result);
      bad++;
    } else {
      spans.push(result);
    }
  }
  if (bad > 0) throw invalid(`${format}: ${bad} invalid span(s): ${summarizeProblems(problems, bad)}`);
  return spans;
}

function toSpan(raw: Json, tenant: string, where: string): Span | string {
  const rawId = typeof raw.id === 'string' ? raw.id : '';
  const spanId = normalizeSpanId(rawId);
  if (!spanId) return spanProblem(where, rawId.slice(0, 64), 'id', 'must be 1-16 hex digits, not all zero');
  const traceId = typeof raw.traceId === 'string' ? normalizeTraceId(raw.traceId) : '';
  if (!traceId || /^0+$/.test(traceId)) return spanProblem(where, spanId, 'traceId', 'must be 1-32 hex digits, not all zero');
  let parentSpanId = '';
  if (raw.parentId !== undefined && raw.parentId !== null && raw.parentId !== '') {
    parentSpanId = typeof raw.parentId === 'string' ? normalizeSpanId(raw.parentId) : '';
    if (!parentSpanId && !/^0+$/.test(String(raw.parentId))) return spanProblem(where, spanId, 'parentId', 'must be 1-16 hex digits');
  }
  const events = annotationsOf(raw.annotations);
  // A span without a timestamp (allowed by Zipkin for incomplete spans) starts at its first annotation.
  const timestamp = raw.timestamp ?? events[0]?.timeUs;
  const startUs = Number(timestamp);
  if (!Number.isSafeInteger(startUs) || startUs <= 0) return spanProblem(where, spanId, 'timestamp', 'must be epoch microseconds');
  const durationUs = raw.duration === undefined || raw.duration === null ? 0 : Number(raw.duration);
  if (!Number.isFinite(durationUs)) return spanProblem(where, spanId, 'duration', 'must be microseconds');
  if (durationUs < 0) return spanProblem(where, spanId, 'duration', 'is negative (end before start)');

  const attributes: Attributes = {};
  if (isObject(raw.tags)) for (const key of Object.keys(raw.tags)) setAttr(attributes, key, scalarString(raw.tags[key]));
  addRemoteEndpoint(attributes, raw.remoteEndpoint);
  const local = isObject(raw.localEndpoint) ? raw.localEndpoint : {};
  const serviceName = typeof local.serviceName === 'string' && local.serviceName ? local.serviceName : UNKNOWN_SERVICE;
  const status = statusFromTags(attributes);
  return {
    tenant,
    traceId,
    spanId,
    parentSpanId,
    name: typeof raw.name === 'string' ? raw.name : '',
    kind: zipkinKind(raw.kind),
    serviceName,
    startUs,
    endUs: startUs + Math.floor(durationUs),
    statusCode: status.code,
    statusMessage: status.message,
    attributes,
    resource: localResource(local, serviceName),
    events,
    links: [],
  };
}

/** Zipkin leaves `kind` out for local (in-process) spans. */
function zipkinKind(kind: unknown): SpanKind {
  if (kind === undefined || kind === null) return 'INTERNAL';
  return typeof kind === 'string' ? kindFromName(kind) : 'UNSPECIFIED';
}

/** The remote endpoint as OTel / OpenTracing peer attributes; explicit tags win. */
function addRemoteEndpoint(attrs: Attributes, remote: unknown): void {
  if (!isObject(remote)) return;
  const put = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '' && attrs[key] === undefined) attrs[key] = scalarString(value);
  };
  put('peer.service', remote.serviceName);
  put('net.peer.ip', remote.ipv4 ?? remote.ipv6);
  put('net.peer.port', remote.port);
}

function localResource(local: Json, serviceName: string): Attributes {
  const resource: Attributes = { 'service.name': serviceName };
  const ip = local.ipv4 ?? local.ipv6;
  if (typeof ip === 'string' && ip) resource['net.host.ip'] = ip;
  if (local.port !== undefined && local.port !== null) resource['net.host.port'] = scalarString(local.port);
  return resource;
}

function annotationsOf(annotations: unknown): SpanEvent[] {
  if (!Array.isArray(annotations)) return [];
  const events: SpanEvent[] = [];
  for (const a of annotations) {
    if (!isObject(a)) continue;
    const timeUs = Number(a.timestamp);
    events.push({ timeUs: Number.isFinite(timeUs) ? Math.floor(timeUs) : 0, name: scalarString(a.value), attributes: {} });
  }
  events.sort((x, y) => x.timeUs - y.timeUs);
  return events;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
