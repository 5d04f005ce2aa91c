// ApiBoundaryTypeAttributeEnricher: which spans enter or leave an API call. ENTRY: an entry span
// whose parent is missing, not an entry, or in another service. EXIT: an exit span that is a
// leaf or has an entry child. API-entry spans also get HTTP_HOST (the host the caller asked for).

import { headerOf, sanitizeAuthority } from '../../normalize/index.ts';
import type { Attributes } from '../../model/span.ts';
import { boundedMemo } from '../../normalize/memo.ts';
import type { Enricher } from '../enricher.ts';

/** Host keys for HTTP_HOST in priority order; sidecars move the real host to x-forwarded-host. */
const HOST_KEYS = [
  'http.request.header.host',
  'http.request.header.:authority',
  'http.host',
  'http.request.header.x-forwarded-host',
  'rpc.request.metadata.x-forwarded-host',
  'server.address',
] as const;
const GRPC_HOST_KEYS = ['rpc.request.metadata.:authority', 'rpc.request.metadata.host'] as const;

/** A host value without its port; '' for blanks and "localhost". */
export function hostWithoutPort(value: string): string {
  return value === '' ? '' : hosts(value);
}

/** Every API entry of a service names the same few hosts: each value is worked out once. */
const hosts = boundedMemo(1024, (value) => hostOf(value));

function hostOf(value: string): string {
  const authority = sanitizeAuthority(value);
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1);
  const colon = authority.indexOf(':');
  return colon < 0 ? authority : authority.slice(0, colon);
}

export function entryHostOf(attrs: Attributes, grpc: boolean): string {
  if (grpc) {
    for (const key of GRPC_HOST_KEYS) {
      const host = hostWithoutPort(headerOf(attrs, key));
      if (host !== '') return host;
    }
  }
  for (const key of HOST_KEYS) {
    const host = hostWithoutPort(headerOf(attrs, key));
    if (host !== '') return host;
  }
  return '';
}

export const apiBoundaryEnricher: Enricher = {
  name: 'ApiBoundary',
  dependsOn: ['SpanType'],
  enrich({ trace }) {
    const { spans, parent, children } = trace;
    const { spanType, apiBoundary, httpHost, protocol } = trace.enriched;
    for (let i = 0; i < spans.length; i++) {
      if (spanType[i] === 'ENTRY') {
        const p = parent[i];
        if (p === -1 || spanType[p] !== 'ENTRY' || spans[p].serviceName !== spans[i].serviceName) {
          apiBoundary[i] = 'ENTRY';
          httpHost[i] = entryHostOf(spans[i].attributes, protocol[i] === 'GRPC');
        }
      } else if (spanType[i] === 'EXIT') {
        const kids = children[i];
        if (kids.length === 0 || kids.some((c) => spanType[c] === 'ENTRY')) apiBoundary[i] = 'EXIT';
      }
    }
  },
};
