// Shared readers for first-class field resolution (hypertrace-ingest §2.3). Every resolver
// reads the raw attribute map through an ordered key list; these helpers keep that loop
// allocation-free: no closures, no intermediate arrays, values returned as stored (trimmed).

import type { Attributes, Span, SpanEvent } from '../model/span.ts';

/** What the resolvers read: lower-cased attribute keys with string values, the name and kind. */
export type SpanLike = Pick<Span, 'attributes' | 'name' | 'kind'>;

/** A span as the error resolvers read it: the model's status and events help when present. */
export type ErrorSpanLike = SpanLike & {
  /** OTel status: 2 is error. */
  statusCode?: number;
  statusMessage?: string;
  events?: readonly SpanEvent[];
};

export type KeyList = readonly string[];

function isBlank(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // space, tab, LF, VT, FF, CR
    if (c !== 32 && (c < 9 || c > 13)) return false;
  }
  return true;
}

/** The trimmed value of `key`, or '' when absent or blank. */
export function valueOf(attrs: Attributes, key: string): string {
  const v = attrs[key];
  if (v === undefined || isBlank(v)) return '';
  return v.trim();
}

/** The first non-blank value among `keys` (trimmed), or ''. */
export function firstOf(attrs: Attributes, keys: KeyList): string {
  for (let i = 0; i < keys.length; i++) {
    const v = attrs[keys[i]];
    if (v !== undefined && !isBlank(v)) return v.trim();
  }
  return '';
}

/** Whether `key` is present with a non-blank value. */
export function has(attrs: Attributes, key: string): boolean {
  const v = attrs[key];
  return v !== undefined && !isBlank(v);
}

/** Whether any of `keys` is present with a non-blank value. */
export function hasAny(attrs: Attributes, keys: KeyList): boolean {
  for (let i = 0; i < keys.length; i++) if (has(attrs, keys[i])) return true;
  return false;
}

/** Whether any attribute key starts with `prefix`. */
export function hasKeyPrefix(attrs: Attributes, prefix: string): boolean {
  for (const key in attrs) if (key.startsWith(prefix)) return true;
  return false;
}

const INTEGER = /^[+-]?\d+$/;

/** The integer in `value`, or undefined when it is not a plain decimal integer. */
export function intOf(value: string): number | undefined {
  if (value === '' || !INTEGER.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The first of `keys` whose value is a decimal integer, or undefined. Other values are skipped. */
export function firstIntOf(attrs: Attributes, keys: KeyList): number | undefined {
  for (let i = 0; i < keys.length; i++) {
    const n = intOf(valueOf(attrs, keys[i]));
    if (n !== undefined) return n;
  }
  return undefined;
}

/**
 * A captured header value. OTel SDKs record headers as string arrays, which ingest stores as
 * JSON (`["a","b"]`); those are joined with ", " as the header itself would be.
 */
export function headerOf(attrs: Attributes, key: string): string {
  const v = valueOf(attrs, key);
  if (v.charCodeAt(0) !== 91 /* [ */ || v.charCodeAt(v.length - 1) !== 93 /* ] */) return v;
  try {
    const parsed: unknown = JSON.parse(v);
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed.join(', ').trim();
  } catch {
    // not JSON: the header value really is bracketed
  }
  return v;
}

/** "host:port", bracketing an IPv6 literal; just the host when the port is ''. */
export function joinHostPort(host: string, port: string): string {
  if (port === '') return host;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${h}:${port}`;
}

/** Which end of a call the span records: '' when nothing says. */
export type CallSide = 'client' | 'server' | '';

function sideOfKindName(name: string): CallSide | undefined {
  switch (name.toLowerCase()) {
    case 'client':
    case 'producer':
      return 'client';
    case 'server':
    case 'consumer':
      return 'server';
    default:
      return undefined;
  }
}

/**
 * The call side: the model's kind first; then, for spans whose kind was not carried, the
 * `span_kind` and `span.kind` tags, OpenCensus `Client` (true = client) and the OpenCensus
 * `Sent.` / `Recv.` name prefixes (the SpanTypeAttributeEnricher order).
 */
export function callSide(span: SpanLike): CallSide {
  switch (span.kind) {
    case 'CLIENT':
    case 'PRODUCER':
      return 'client';
    case 'SERVER':
    case 'CONSUMER':
      return 'server';
    default:
      break;
  }
  const attrs = span.attributes;
  const tagged = sideOfKindName(valueOf(attrs, 'span_kind')) ?? sideOfKindName(valueOf(attrs, 'span.kind'));
  if (tagged !== undefined) return tagged;
  const oc = valueOf(attrs, 'client');
  if (oc === 'true') return 'client';
  if (oc === 'false') return 'server';
  if (span.name.startsWith('Sent.')) return 'client';
  if (span.name.startsWith('Recv.')) return 'server';
  return '';
}
