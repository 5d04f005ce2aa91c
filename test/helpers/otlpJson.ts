// Builds OTLP/JSON ExportTraceServiceRequest bodies from compact span descriptions.
import { randomBytes } from 'node:crypto';

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

export interface SpanSpec {
  service: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startMs: number;
  durMs: number;
  attributes?: Record<string, string | number | boolean>;
}

const anyValue = (v: string | number | boolean) =>
  typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };

export function otlpJson(traceId: string, spans: SpanSpec[]) {
  const byService = new Map<string, SpanSpec[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        scope: { name: 'test' },
        spans: list.map((s) => ({
          traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind ?? 1,
          startTimeUnixNano: ns(s.startMs),
          endTimeUnixNano: ns(s.startMs + s.durMs),
          attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: anyValue(v) })),
        })),
      }],
    })),
  };
}

export async function postOtlpJson(url: string, body: unknown, tenant?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (tenant) headers['x-tenant-id'] = tenant;
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
}
