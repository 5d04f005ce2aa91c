// Peer addresses ("who did this span call?") in OpenTracing and OTel conventions, and the
// authority sanitizing the gRPC and messaging resolvers share.

import type { Attributes } from '../model/span.ts';
import type { KeyList, SpanLike } from './attrs.ts';
import { firstOf, joinHostPort, valueOf } from './attrs.ts';

/** A backend a span called: its kind (a Hypertrace BackendType name) and host[:port] or key. */
export interface BackendUri<K extends string = string> {
  system: K;
  uri: string;
}

/** OpenTracing peer host keys, in priority order; the port is `peer.port`. */
export const OT_PEER_HOST_KEYS: KeyList = ['peer.hostname', 'peer.ipv4', 'peer.ipv6'];
export const OT_PEER_PORT_KEYS: KeyList = ['peer.port'];

/**
 * OTel peer host keys, in priority order, each with the port keys that go with it. Hypertrace's
 * order (`net.peer.name` → `net.sock.peer.addr` → `net.peer.ip`, port `net.peer.port`) is kept;
 * the current names slot in beside their deprecated equivalents: `server.address` (logical name,
 * like `net.peer.name`) and `network.peer.address` (socket address, like `net.sock.peer.addr`).
 */
export const OTEL_PEER_ADDRESSES: readonly (readonly [host: string, ports: KeyList])[] = [
  ['net.peer.name', ['net.peer.port']],
  ['server.address', ['server.port', 'net.peer.port']],
  ['net.sock.peer.addr', ['net.sock.peer.port', 'net.peer.port']],
  ['network.peer.address', ['network.peer.port', 'net.peer.port']],
  ['net.peer.ip', ['net.peer.port']],
];

/** OpenTracing peer: `peer.hostname` → `peer.ipv4` → `peer.ipv6`, plus ":" + `peer.port`. '' if none. */
export function otPeerUri(span: SpanLike): string {
  const attrs = span.attributes;
  const host = firstOf(attrs, OT_PEER_HOST_KEYS);
  return host === '' ? '' : joinHostPort(host, firstOf(attrs, OT_PEER_PORT_KEYS));
}

/** OTel peer host[:port] from the first present host key of OTEL_PEER_ADDRESSES. '' if none. */
export function otelPeerUri(span: SpanLike): string {
  return otelPeerUriOf(span.attributes);
}

export function otelPeerUriOf(attrs: Attributes): string {
  for (let i = 0; i < OTEL_PEER_ADDRESSES.length; i++) {
    const [hostKey, portKeys] = OTEL_PEER_ADDRESSES[i];
    const host = valueOf(attrs, hostKey);
    if (host !== '') return joinHostPort(host, firstOf(attrs, portKeys));
  }
  return '';
}

/**
 * An authority reduced to host[:port]: accepts "host", "host:port", "user@host:port" and URLs;
 * rejects blanks, an empty host and "localhost" (it names no backend). '' when rejected.
 */
export function sanitizeAuthority(value: string): string {
  const v = value.trim();
  if (v === '') return '';
  if (v.includes('/') || v.startsWith('[')) return hostPortOfUrl(v.includes('://') ? v : `//${v}`);
  const at = v.lastIndexOf('@');
  const hostPort = at >= 0 ? v.slice(at + 1) : v;
  const parts = hostPort.split(':');
  if (parts.length > 2) return '';
  const host = parts[0];
  if (host === '' || host.toLowerCase() === 'localhost') return '';
  const port = parts.length === 2 ? parts[1].trim() : '';
  return joinHostPort(host, port);
}

/** host[:port] of a URL, the port only when written; '' when invalid, host-less or localhost. */
export function hostPortOfUrl(value: string): string {
  const url = value.startsWith('//') ? safeUrl(`tessera:${value}`) : safeUrl(value);
  if (url === null || url.hostname === '' || url.hostname.toLowerCase() === 'localhost') return '';
  return url.port === '' ? url.hostname : `${url.hostname}:${url.port}`;
}

function safeUrl(value: string): URL | null {
  // Not through parseUrl: a relative value must not resolve against its placeholder host.
  if (!value.includes('://')) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}
