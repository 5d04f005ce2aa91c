// API names users can read (beyond Hypertrace, which names an API by its raw operation name).
// In order: the framework's route (`http.route`), the RPC service and method, the request path
// with its identifiers templated (`GET /users/42/orders/9f1c…` → `GET /users/{id}/orders/{id}`),
// and last the operation name with any path in it templated the same way.

import { httpMethod, httpPath, httpRoute, rpcMethod, rpcService } from '../normalize/index.ts';
import type { Span } from '../model/span.ts';
import type { ApiNameSource, Protocol } from './types.ts';

export const ID_PLACEHOLDER = '{id}';

export interface ApiNameCandidate {
  name: string;
  source: ApiNameSource;
  /** The HTTP method when the name starts with one, else ''. */
  method: string;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const NUMBER = /^[-+]?\d+([.,]\d+)*$/;
const HEX = /^(0x)?[0-9a-f]{8,}$/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const VERSION = /^v\d+(\.\d+)*$/i;

/**
 * Whether a path segment names one thing among many (a record, a user, a token) rather than a
 * kind of resource: numbers, UUIDs, hex of 8+ digits, e-mail addresses, anything of 24+ chars,
 * 16+ chars with a digit, or 3+ digits mixed with other characters (`T706554C`, `ord-1234`).
 * Version segments (`v2`, `v1.2.3`) stay.
 */
export function isIdentifierSegment(raw: string): boolean {
  if (raw === '') return false;
  const seg = raw.includes('%') ? safeDecode(raw) : raw;
  let digits = 0;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  // Most segments are plain words: no digit, short, no "@" — decide those without a regex.
  if (digits === 0 && seg.length < 24 && !seg.includes('@') && !seg.includes('-')) return false;
  if (NUMBER.test(seg) || UUID.test(seg) || EMAIL.test(seg)) return true;
  if (digits > 0 && HEX.test(seg)) return true;
  if (seg.length >= 24) return true;
  if (VERSION.test(seg)) return false;
  return (seg.length >= 16 && digits > 0) || digits >= 3;
}

/** A path with each identifier segment replaced by `{id}`; placeholders already there stay. */
export function templatePath(path: string): string {
  const segments = path.split('/');
  let changed = false;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg.startsWith('{') || seg.startsWith(':')) continue;
    if (isIdentifierSegment(seg)) {
      segments[i] = ID_PLACEHOLDER;
      changed = true;
    }
  }
  return changed ? segments.join('/') : path;
}

/** An operation name with any path-like word in it (one starting with "/") templated. */
export function templateOperationName(name: string): string {
  if (!name.includes('/')) return name;
  return name
    .split(' ')
    .map((word) => (word.startsWith('/') ? templatePath(stripQuery(word)) : word))
    .join(' ');
}

/** The API name of an API-entry span, before the per-service bound (see ApiNameBound). */
export function apiNameOf(span: Span, protocol: Protocol): ApiNameCandidate {
  const method = protocol === 'GRPC' ? '' : httpMethod(span).toUpperCase();
  const route = httpRoute(span);
  if (route !== '') return withMethod(method, route, 'http.route');

  const service = rpcService(span);
  const rpc = rpcMethod(span);
  if (service !== '' && rpc !== '') return { name: `${service}/${rpc}`, source: 'rpc', method: '' };

  if (protocol !== 'GRPC') {
    const path = httpPath(span);
    if (path !== '') return withMethod(method, templatePath(path), 'path');
  }

  const operation = span.name.trim();
  if (operation === '') return { name: method || 'unknown', source: 'operation', method };
  // gRPC operation names are "/package.Service/Method": the leading slash says nothing.
  const name = protocol === 'GRPC' && operation.startsWith('/') ? operation.slice(1) : templateOperationName(operation);
  return { name, source: 'operation', method: '' };
}

function withMethod(method: string, path: string, source: ApiNameSource): ApiNameCandidate {
  return { name: method === '' ? path : `${method} ${path}`, source, method };
}

function stripQuery(word: string): string {
  const q = word.indexOf('?');
  return q < 0 ? word : word.slice(0, q);
}

function safeDecode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}
