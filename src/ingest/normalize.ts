// Normalization rules shared by every decoder (DESIGN §3, hypertrace-ingest §2.1): how a wire
// value becomes an attribute string, how span kind and status are read from tags, and how a
// rejected span is named in a message. Everything here is on the hot path: no allocation
// beyond the result, no regular expressions per attribute.

import type { Attributes, SpanKind, SpanLink, StatusCode } from '../model/span.ts';

/** Sets an attribute under its lower-cased key; a `__proto__` key stays a plain own key. */
export function setAttr(attrs: Attributes, key: string, value: string): void {
  const k = key.toLowerCase();
  if (k === '__proto__') {
    Object.defineProperty(attrs, k, { value, enumerable: true, writable: true, configurable: true });
  } else {
    attrs[k] = value;
  }
}

/** A JSON-ish scalar as the model stores it: bool "true"/"false", numbers in decimal. */
export function scalarString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

const KINDS: Record<string, SpanKind> = {
  client: 'CLIENT',
  server: 'SERVER',
  producer: 'PRODUCER',
  consumer: 'CONSUMER',
  internal: 'INTERNAL',
};

/** The kind named by an OpenTracing/Jaeger/Zipkin `span.kind` value (any case). */
export function kindFromName(name: string | undefined): SpanKind {
  if (!name) return 'UNSPECIFIED';
  const key = name.toLowerCase();
  return Object.hasOwn(KINDS, key) ? KINDS[key] : 'UNSPECIFIED';
}

export interface TagStatus {
  code: StatusCode;
  message: string;
}

/**
 * Status of a span that carries it as tags (Jaeger, Zipkin): `otel.status_code` wins, then the
 * OpenTracing `error` tag. The description comes from `otel.status_description`, else `error`
 * when Zipkin put a message there.
 */
export function statusFromTags(attrs: Attributes): TagStatus {
  const otel = attrs['otel.status_code'];
  const description = attrs['otel.status_description'] ?? '';
  if (otel !== undefined) {
    const upper = otel.toUpperCase();
    if (upper === 'ERROR' || upper === '2') return { code: 2, message: description };
    if (upper === 'OK' || upper === '1') return { code: 1, message: description };
  }
  const error = attrs['error'];
  if (error !== undefined && error !== 'false') {
    // Zipkin puts the error message (or "") in the `error` tag; OpenTracing puts "true".
    return { code: 2, message: description || (error === 'true' ? '' : error) };
  }
  return { code: 0, message: description };
}

/** Lowercase hex of raw id bytes. */
export function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]];
  return out;
}

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Whole microseconds from an unsigned 64-bit nanosecond count split in 32-bit halves, exactly
 * while the result fits a double (until the year 2255): a double cannot hold the nanoseconds
 * of today, but it can hold the microseconds.
 */
export function usFromNanoHalves(high: number, low: number): number {
  const h = high >>> 0;
  const l = low >>> 0;
  // h * 2^32 + l = 1000 * (h * 4294967) + (h * 296 + l)
  const rest = h * 296 + l;
  return h * 4294967 + Math.floor(rest / 1000);
}

/** Whole microseconds from a decimal nanosecond string (OTLP/JSON int64), or NaN. */
export function usFromNanoString(s: string): number {
  if (s.length === 0 || s.length > 20) return Number.NaN;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
  }
  return s.length <= 3 ? 0 : Number(s.slice(0, -3));
}

/** Whole microseconds from an OTLP/JSON nanosecond value (string or number), or NaN. */
export function usFromNanoJson(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string') return usFromNanoString(v);
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v / 1000);
  return Number.NaN;
}

/** Describes what was wrong with one span, for error messages that name it. */
export function spanProblem(where: string, spanId: string, field: string, problem: string): string {
  return `${describeSpan(where, spanId)}: ${field} ${problem}`;
}

/** Names a span by its position in the request and, when it has one, its id. */
export function describeSpan(where: string, spanId: string): string {
  return spanId ? `${where} (span id ${JSON.stringify(spanId)})` : where;
}

/** At most this many per-span problems are spelled out in one answer; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 5;

/** Joins per-span problems into one message, listing the first few. */
export function summarizeProblems(problems: readonly string[], total: number): string {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).join('; ');
  const more = total - Math.min(problems.length, MAX_LISTED_PROBLEMS);
  return more > 0 ? `${listed}; and ${more} more` : listed;
}

/**
 * The parent named by references (Jaeger, OpenTracing): the first CHILD_OF into the same trace,
 * else the first FOLLOWS_FROM into it (Hypertrace treats both as parent links). '' for a root.
 */
export function parentOf(traceId: string, links: readonly SpanLink[]): string {
  let followsFrom = '';
  for (const link of links) {
    if (link.traceId !== traceId) continue;
    if (link.refType === 'CHILD_OF') return link.spanId;
    if (link.refType === 'FOLLOWS_FROM' && !followsFrom) followsFrom = link.spanId;
  }
  return followsFrom;
}
