// The one internal span model every receiver normalizes to (DESIGN §3).
// Ids are lowercase hex (trace ids always 32 chars, span ids 16); times are integer
// microseconds since the epoch (ns would overflow a double); attribute keys are lower-cased
// and every value is kept as a string, as Hypertrace stores them.

export type SpanKind = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

/** OTel status code: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2;

export type Attributes = Record<string, string>;

export interface SpanEvent {
  timeUs: number;
  name: string;
  attributes: Attributes;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  /** CHILD_OF and FOLLOWS_FROM are both parent links (Hypertrace treats them alike). */
  refType: 'CHILD_OF' | 'FOLLOWS_FROM' | 'LINK';
}

export interface Span {
  tenant: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: SpanKind;
  serviceName: string;
  startUs: number;
  endUs: number;
  statusCode: StatusCode;
  statusMessage: string;
  attributes: Attributes;
  resource: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
}

const HEX = /^[0-9a-f]+$/;

/** A trace id as 32 lowercase hex chars; a 64-bit id is zero-extended. Returns '' when not hex. */
export function normalizeTraceId(id: string): string {
  const lower = id.toLowerCase();
  if (lower.length === 0 || lower.length > 32 || !HEX.test(lower)) return '';
  return lower.padStart(32, '0');
}

/** A span id as 16 lowercase hex chars. Returns '' when not hex or all zeros. */
export function normalizeSpanId(id: string): string {
  const lower = id.toLowerCase();
  if (lower.length === 0 || lower.length > 16 || !HEX.test(lower)) return '';
  const padded = lower.padStart(16, '0');
  return padded === '0000000000000000' ? '' : padded;
}

/** The short (64-bit) form of a trace id whose upper half is zero, else the id itself. */
export function shortTraceId(traceId: string): string {
  return traceId.startsWith('0000000000000000') ? traceId.slice(16) : traceId;
}

export const DEFAULT_TENANT = '__default';
