// HTTP first-class fields resolved when read (hypertrace-ingest §2.3, docs/normalization.md).
// Hypertrace's key order is kept; current OTel names slot in right after the deprecated name
// they replace, so a span that carries both (OTel's "dup" migration mode) reads the same.

import type { Attributes } from '../model/span.ts';
import type { KeyList, SpanLike } from './attrs.ts';
import { callSide, firstOf, headerOf, intOf, joinHostPort, valueOf } from './attrs.ts';
import { isAbsoluteUrl, pathOf, queryOf, type UrlParts, urlParts } from './url.ts';

export const HTTP_METHOD_KEYS: KeyList = ['http.request.method', 'http.method'];
/** Holds the real method when `http.request.method` is OTel's `_OTHER`. */
export const HTTP_METHOD_ORIGINAL_KEY = 'http.request.method_original';
export const HTTP_URL_KEYS: KeyList = ['http.url', 'http.request.url', 'url', 'url.full'];
export const HTTP_PATH_KEYS: KeyList = ['http.request.path', 'http.path', 'http.target', 'url.path'];
export const HTTP_QUERY_KEYS: KeyList = ['http.request.query_string', 'url.query'];
export const HTTP_HOST_KEYS: KeyList = ['http.host', 'http.request.header.host'];
export const HTTP_SCHEME_KEYS: KeyList = ['http.request.header.x-forwarded-proto', 'http.scheme', 'url.scheme'];
export const HTTP_FORWARDED_KEY = 'http.request.header.forwarded';
export const HTTP_ORIGIN_KEY = 'http.request.header.origin';
export const USER_AGENT_KEYS: KeyList = [
  'user.agent',
  'user_agent',
  'user-agent',
  'http.request.header.user-agent',
  'http.user_agent',
  'user_agent.original',
];
export const HTTP_REQUEST_SIZE_KEYS: KeyList = [
  'request_size',
  'http.request.size',
  'http.request_content_length',
  'http.request.body.size',
  'http.request.header.content-length',
];
export const HTTP_RESPONSE_SIZE_KEYS: KeyList = [
  'response_size',
  'http.response.size',
  'http.response_content_length',
  'http.response.body.size',
  'http.response.header.content-length',
];
export const HTTP_STATUS_CODE_KEYS: KeyList = ['http.status_code', 'http.response.status_code'];

/** OTel URL building: authority keys for client spans (host, then its port keys). */
const CLIENT_HOST_KEYS: KeyList = ['net.peer.name', 'net.sock.peer.addr', 'net.peer.ip'];
const CLIENT_PORT_KEYS: KeyList = ['net.peer.port', 'net.sock.peer.port'];
const SERVER_HOST_KEYS: KeyList = ['http.server_name', 'net.host.name'];
const SERVER_PORT_KEYS: KeyList = ['net.host.port'];

/** The request method; `_OTHER` gives way to `http.request.method_original`. '' if none. */
export function httpMethod(span: SpanLike): string {
  const method = firstOf(span.attributes, HTTP_METHOD_KEYS);
  if (method === '_OTHER') return valueOf(span.attributes, HTTP_METHOD_ORIGINAL_KEY) || method;
  return method;
}

/**
 * The request URL as recorded: the first absolute URL among HTTP_URL_KEYS, else one built from
 * OTel parts, else the first valid relative URL among the keys, else ''.
 */
export function httpRequestUrl(span: SpanLike): string {
  return requestOf(span).url;
}

/**
 * What the HTTP resolvers read of a span's request, worked out once per span. Enrichment asks
 * for the same span's URL from several resolvers (protocol, path, query, host, backend, API
 * name) and a span is not changed once decoded, so the URL, its parsed parts and the scheme the
 * attributes name are kept instead of being looked up again by each.
 */
interface RequestFacts {
  url: string;
  /** The URL's parts; null when there is no URL. */
  parts: UrlParts | null;
  /** schemeFromAttributes, once something needed it. */
  scheme: string | undefined;
  /** httpPath, once something needed it. */
  path: string | undefined;
}

const requests = new WeakMap<SpanLike, RequestFacts>();

/**
 * Only spans with a request URL are remembered: the others (database, messaging calls) are
 * asked once, by protocolOf, and a WeakMap entry per span costs more than resolving again.
 */
function requestOf(span: SpanLike): RequestFacts {
  let facts = requests.get(span);
  if (facts === undefined) {
    facts = resolveRequest(span);
    if (facts.url !== '') requests.set(span, facts);
  }
  return facts;
}

function resolveRequest(span: SpanLike): RequestFacts {
  const attrs = span.attributes;
  let relative = '';
  let relativeParts: UrlParts | null = null;
  for (let i = 0; i < HTTP_URL_KEYS.length; i++) {
    const value = valueOf(attrs, HTTP_URL_KEYS[i]);
    if (value === '') continue;
    const parts = urlParts(value);
    if (parts === null) continue;
    if (parts.absolute) return { url: value, parts, scheme: undefined, path: undefined };
    if (relative === '') {
      relative = value;
      relativeParts = parts;
    }
  }
  const scheme = schemeFromAttributes(attrs);
  const built = otelUrlWith(span, scheme);
  if (built !== '') return { url: built, parts: urlParts(built), scheme, path: undefined };
  return { url: relative, parts: relativeParts, scheme, path: undefined };
}

/** The absolute request URL, or '' (a relative URL is not a URL here). */
export function httpUrl(span: SpanLike): string {
  const { url, parts } = requestOf(span);
  return parts !== null && parts.absolute ? url : '';
}

/**
 * A URL built from OTel parts: scheme + authority + target, where the target is `http.target`
 * or `url.path` [+ "?" + `url.query`] and the authority is, in order: `http.host`; on a client
 * span the peer (`net.peer.name` | `net.sock.peer.addr` | `net.peer.ip` [: `net.peer.port`]); on a
 * server span `http.server_name` | `net.host.name` [: `net.host.port`]; then, on either side,
 * `server.address` [: `server.port`]. '' when a part is missing.
 */
export function otelUrl(span: SpanLike): string {
  return otelUrlWith(span, schemeFromAttributes(span.attributes));
}

function otelUrlWith(span: SpanLike, scheme: string): string {
  const attrs = span.attributes;
  if (scheme === '') return '';
  const target = otelTarget(attrs);
  if (target === '') return '';
  const authority = otelAuthority(span, attrs);
  if (authority === '') return '';
  const url = `${scheme}://${authority}${target}`;
  return isAbsoluteUrl(url) ? url : '';
}

function otelTarget(attrs: Attributes): string {
  const target = valueOf(attrs, 'http.target');
  if (target !== '') return target.startsWith('/') ? target : '';
  const path = valueOf(attrs, 'url.path');
  if (!path.startsWith('/')) return '';
  const query = valueOf(attrs, 'url.query');
  return query === '' ? path : `${path}?${query}`;
}

function otelAuthority(span: SpanLike, attrs: Attributes): string {
  const host = valueOf(attrs, 'http.host');
  if (host !== '') return host;
  const side = callSide(span);
  if (side !== '') {
    const clientSide = side === 'client';
    const name = firstOf(attrs, clientSide ? CLIENT_HOST_KEYS : SERVER_HOST_KEYS);
    if (name !== '') return joinHostPort(name, firstOf(attrs, clientSide ? CLIENT_PORT_KEYS : SERVER_PORT_KEYS));
  }
  const address = valueOf(attrs, 'server.address');
  return address === '' ? '' : joinHostPort(address, valueOf(attrs, 'server.port'));
}

/**
 * The scheme named by request attributes (lower-case): `proto=` of the Forwarded header, the
 * Origin header's scheme, then `x-forwarded-proto` (first of a list), `http.scheme`, `url.scheme`.
 */
export function schemeFromAttributes(attrs: Attributes): string {
  const forwarded = forwardedProto(headerOf(attrs, HTTP_FORWARDED_KEY));
  if (forwarded !== '') return forwarded;
  const origin = headerOf(attrs, HTTP_ORIGIN_KEY);
  const colon = origin.indexOf('://');
  if (colon > 0 && /^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(origin.slice(0, colon))) return origin.slice(0, colon).toLowerCase();
  for (let i = 0; i < HTTP_SCHEME_KEYS.length; i++) {
    const value = headerOf(attrs, HTTP_SCHEME_KEYS[i]);
    if (value === '') continue;
    const comma = value.indexOf(',');
    const first = (comma < 0 ? value : value.slice(0, comma)).trim();
    if (first !== '') return first.toLowerCase();
  }
  return '';
}

/** The first `proto=` parameter of a Forwarded header (RFC 7239), unquoted and lower-cased. */
function forwardedProto(header: string): string {
  if (header === '') return '';
  for (const element of header.split(/[;,]/)) {
    const eq = element.indexOf('=');
    if (eq < 0 || element.slice(0, eq).trim().toLowerCase() !== 'proto') continue;
    const value = element.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (value !== '') return value.toLowerCase();
  }
  return '';
}

/**
 * The scheme: from the URL; when that is not https but the request attributes say https (TLS
 * ended at a proxy), https; without an absolute URL, the request attributes alone. '' if none.
 */
export function httpScheme(span: SpanLike): string {
  const facts = requestOf(span);
  const fromUrl = facts.parts?.scheme ?? '';
  if (fromUrl === 'https') return fromUrl;
  const fromAttributes = (facts.scheme ??= schemeFromAttributes(span.attributes));
  if (fromUrl === '') return fromAttributes;
  return fromAttributes === 'https' ? fromAttributes : fromUrl;
}

/** host[:port] of the absolute URL, else `http.host`, the Host header, `server.address`[:port]. */
export function httpHost(span: SpanLike): string {
  const attrs = span.attributes;
  const fromUrl = requestOf(span).parts?.host ?? '';
  if (fromUrl !== '') return fromUrl;
  for (let i = 0; i < HTTP_HOST_KEYS.length; i++) {
    const host = headerOf(attrs, HTTP_HOST_KEYS[i]);
    if (host !== '') return host;
  }
  const address = valueOf(attrs, 'server.address');
  return address === '' ? '' : joinHostPort(address, valueOf(attrs, 'server.port'));
}

/**
 * The path: the first of HTTP_PATH_KEYS whose value starts with "/", else the path of the
 * request URL ("" → "/"); normalized, trailing slashes stripped ("/" stays). '' if none.
 */
export function httpPath(span: SpanLike): string {
  // Asked by the HTTP attribute, API name and backend enrichers of the same span.
  const facts = requestOf(span);
  return (facts.path ??= resolvePath(span, facts));
}

function resolvePath(span: SpanLike, facts: RequestFacts): string {
  const attrs = span.attributes;
  for (let i = 0; i < HTTP_PATH_KEYS.length; i++) {
    const value = valueOf(attrs, HTTP_PATH_KEYS[i]);
    if (value.startsWith('/')) {
      const path = pathOf(value);
      if (path !== '') return path;
    }
  }
  return facts.parts?.path ?? '';
}

/** The query string without "?": the query keys, else the request URL's, else `http.target`'s. */
export function httpQueryString(span: SpanLike): string {
  const attrs = span.attributes;
  const direct = firstOf(attrs, HTTP_QUERY_KEYS);
  if (direct !== '') return direct.startsWith('?') ? direct.slice(1) : direct;
  const fromUrl = requestOf(span).parts?.query ?? '';
  if (fromUrl !== '') return fromUrl;
  const target = valueOf(attrs, 'http.target');
  return target.startsWith('/') ? queryOf(target) : '';
}

/** The first non-blank user agent among USER_AGENT_KEYS, or ''. */
export function userAgent(span: SpanLike): string {
  const attrs = span.attributes;
  for (let i = 0; i < USER_AGENT_KEYS.length; i++) {
    const ua = headerOf(attrs, USER_AGENT_KEYS[i]);
    if (ua !== '') return ua;
  }
  return '';
}

/** Request size in bytes: the size keys, else the captured body's length unless truncated. */
export function httpRequestSize(span: SpanLike): number | undefined {
  return sizeOf(span.attributes, HTTP_REQUEST_SIZE_KEYS, 'http.request.body');
}

/** Response size in bytes: the size keys, else the captured body's length unless truncated. */
export function httpResponseSize(span: SpanLike): number | undefined {
  return sizeOf(span.attributes, HTTP_RESPONSE_SIZE_KEYS, 'http.response.body');
}

function sizeOf(attrs: Attributes, keys: KeyList, bodyKey: string): number | undefined {
  for (let i = 0; i < keys.length; i++) {
    const n = intOf(headerOf(attrs, keys[i]));
    if (n !== undefined && n >= 0) return n;
  }
  if (valueOf(attrs, `${bodyKey}.truncated`).toLowerCase() === 'true') return undefined;
  const body = attrs[bodyKey];
  return body === undefined ? undefined : body.length;
}

/** The response status code, 0 when absent or not an integer. */
export function httpStatusCode(span: SpanLike): number {
  const attrs = span.attributes;
  for (let i = 0; i < HTTP_STATUS_CODE_KEYS.length; i++) {
    const n = intOf(valueOf(attrs, HTTP_STATUS_CODE_KEYS[i]));
    if (n !== undefined) return n;
  }
  return 0;
}

/** The matched route template (`http.route`), or ''. */
export function httpRoute(span: SpanLike): string {
  return valueOf(span.attributes, 'http.route');
}
