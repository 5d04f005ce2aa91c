// GenSpans → Zipkin v2 JSON (`POST /api/v2/spans`): microsecond timestamps, string tags,
// events as annotations, the error message in the `error` tag, INTERNAL kind left out.

import { type GenSpan, SpanKindCode, attrText } from '../model.ts';

const ZIPKIN_KIND: Record<number, string | undefined> = {
  [SpanKindCode.SERVER]: 'SERVER',
  [SpanKindCode.CLIENT]: 'CLIENT',
  [SpanKindCode.PRODUCER]: 'PRODUCER',
  [SpanKindCode.CONSUMER]: 'CONSUMER',
};

function zipkinSpan(s: GenSpan): object {
  const tags: Record<string, string> = {};
  for (const a of s.attributes) tags[a.key] = attrText(a.value);
  if (s.statusCode === 2) {
    tags['otel.status_code'] = 'ERROR';
    // Zipkin's error tag holds the message; an OpenTracing `error=true` stays when there is none.
    tags.error = s.statusMessage || (tags.error ?? '');
  }
  const r = s.resource;
  return {
    traceId: s.traceId,
    id: s.spanId,
    ...(s.parentSpanId === '' ? {} : { parentId: s.parentSpanId }),
    name: s.name,
    ...(ZIPKIN_KIND[s.kind] === undefined ? {} : { kind: ZIPKIN_KIND[s.kind] }),
    timestamp: s.startUs,
    duration: Math.max(1, s.endUs - s.startUs),
    localEndpoint: { serviceName: r.serviceName, ipv4: r.ipv4, port: r.port },
    ...(s.remoteService === '' ? {} : { remoteEndpoint: { serviceName: s.remoteService } }),
    ...(s.events.length === 0 ? {} : { annotations: s.events.map((e) => ({ timestamp: e.timeUs, value: e.name })) }),
    tags,
  };
}

export function encodeZipkin(spans: readonly GenSpan[]): string {
  return JSON.stringify(spans.map(zipkinSpan));
}
