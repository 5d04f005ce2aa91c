// Backend providers, tried in the reference's order on each leaf exit span: HTTP(S), gRPC,
// Redis, MongoDB, SQL (JDBC and OTel `db.system`), Cassandra, Elasticsearch, RabbitMQ, Kafka,
// SQS, then the client-span-endpoint fallback. The first that applies and yields a non-empty
// URI wins. URIs, operations and destinations come from the normalize resolvers.

import {
  cassandraUri,
  dbDestination,
  dbOperation,
  dbSystem,
  elasticsearchUri,
  grpcUri,
  httpHost,
  httpMethod,
  httpPath,
  kafkaUri,
  messagingDestination,
  messagingOperation,
  messagingSystem,
  mongoUri,
  otelPeerUri,
  rabbitMqUri,
  redisUri,
  rpcMethod,
  rpcOperation,
  rpcService,
  sqlUri,
  sqsUri,
} from '../normalize/index.ts';
import type { Span } from '../model/span.ts';
import { boundedMemo } from '../normalize/memo.ts';
import type { BackendProtocol, Protocol } from './types.ts';

export interface BackendCandidate {
  protocol: BackendProtocol;
  /** host[:port], a URL, or (RabbitMQ) a routing key; split by `hostAndPort`. */
  uri: string;
  path: string;
  operation: string;
  destination: string;
  /** Stable descriptive attributes for the entity (never per-call values). */
  attributes: Record<string, string>;
}

export interface ProviderInput {
  span: Span;
  protocol: Protocol;
  /** The parent's service name; undefined when the span has no parent in the trace. */
  parentService: string | undefined;
  /**
   * dbSystem / messagingSystem of the span, filled in by the first provider that reads it: each
   * database (messaging) provider asks, and the lookups are mostly of keys the span lacks.
   */
  dbSystem?: string;
  messagingSystem?: string;
}

export interface BackendProvider {
  readonly name: string;
  resolve(input: ProviderInput): BackendCandidate | undefined;
}

function candidate(
  protocol: BackendProtocol,
  uri: string,
  path = '',
  operation = '',
  destination = '',
  attributes: Record<string, string> = {},
): BackendCandidate | undefined {
  return uri === '' ? undefined : { protocol, uri, path, operation, destination, attributes };
}

const database = (protocol: BackendProtocol, uriOf: (span: Span, system: string) => string): BackendProvider['resolve'] => (input) => {
  const { span } = input;
  const system = (input.dbSystem ??= dbSystem(span));
  const uri = uriOf(span, system);
  if (uri === '') return undefined;
  return candidate(protocol, uri, '', dbOperation(span), dbDestination(span, system), system === '' ? {} : { 'db.system': system });
};

const messaging = (protocol: BackendProtocol, uriOf: (span: Span, system: string) => string): BackendProvider['resolve'] => (input) => {
  const { span } = input;
  const system = (input.messagingSystem ??= messagingSystem(span));
  const uri = uriOf(span, system);
  if (uri === '') return undefined;
  return candidate(protocol, uri, '', messagingOperation(span), messagingDestination(span, system), system === '' ? {} : { 'messaging.system': system });
};

export const BACKEND_PROVIDERS: readonly BackendProvider[] = [
  {
    name: 'http',
    resolve({ span, protocol }) {
      if (protocol !== 'HTTP' && protocol !== 'HTTPS') return undefined;
      return candidate(protocol, httpHost(span) || otelPeerUri(span), httpPath(span), httpMethod(span));
    },
  },
  {
    name: 'grpc',
    resolve({ span, protocol }) {
      if (protocol !== 'GRPC') return undefined;
      const service = rpcService(span);
      const method = rpcMethod(span);
      const path = service !== '' && method !== '' ? `${service}/${method}` : rpcOperation(span);
      return candidate('GRPC', grpcUri(span), path, method || rpcOperation(span), service);
    },
  },
  { name: 'redis', resolve: database('REDIS', redisUri) },
  { name: 'mongo', resolve: database('MONGO', mongoUri) },
  { name: 'sql', resolve: database('JDBC', sqlUri) },
  { name: 'cassandra', resolve: database('CASSANDRA', cassandraUri) },
  { name: 'elasticsearch', resolve: database('ELASTICSEARCH', elasticsearchUri) },
  { name: 'rabbitmq', resolve: messaging('RABBIT_MQ', rabbitMqUri) },
  { name: 'kafka', resolve: messaging('KAFKA', kafkaUri) },
  { name: 'sqs', resolve: messaging('SQS', sqsUri) },
  {
    // A client span whose "service" is really the thing it calls (HotROD's mysql and redis).
    name: 'client-span-endpoint',
    resolve({ span, parentService }) {
      if (span.serviceName === '') return undefined;
      if (parentService !== undefined) return span.serviceName === parentService ? undefined : candidate('UNKNOWN', span.serviceName);
      return candidate('UNKNOWN', (span.attributes['peer.service'] ?? '').trim());
    },
  },
];

/** The first provider's candidate, in BACKEND_PROVIDERS order; undefined when none applies. */
export function resolveBackend(input: ProviderInput, providers: readonly BackendProvider[] = BACKEND_PROVIDERS): BackendCandidate | undefined {
  for (const provider of providers) {
    const found = provider.resolve(input);
    if (found !== undefined) return found;
  }
  return undefined;
}

const CLUSTER_SUFFIX = '.svc.cluster.local';
const DEFAULT_PORTS: Partial<Record<BackendProtocol, string>> = { HTTP: '80', HTTPS: '443' };

/**
 * Host and port of a backend URI: a URL (also `jdbc:`-prefixed) gives its host and port;
 * otherwise "host:port", "[v6]:port" or "user@host:port". The host is lower-cased with
 * `.svc.cluster.local` and a trailing dot dropped; the port is "-1" when absent, not numeric,
 * or the protocol's default (80 for HTTP, 443 for HTTPS).
 */
export function hostAndPort(uri: string, protocol: BackendProtocol): Readonly<{ host: string; port: string }> {
  // The same few backends are called over and over: each protocol splits each URI once.
  let split = splitters.get(protocol);
  if (split === undefined) splitters.set(protocol, (split = boundedMemo(4096, (u) => Object.freeze(splitHostAndPort(u, protocol)))));
  return split(uri);
}

const splitters = new Map<BackendProtocol, (uri: string) => Readonly<{ host: string; port: string }>>();

function splitHostAndPort(uri: string, protocol: BackendProtocol): { host: string; port: string } {
  let host = '';
  let port = '';
  const value = uri.trim();
  const url = value.includes('://') ? parseUrl(value.startsWith('jdbc:') ? value.slice(5) : value) : null;
  if (url !== null && url.hostname !== '') {
    host = url.hostname;
    port = url.port;
  } else {
    const at = value.lastIndexOf('@');
    const authority = at >= 0 ? value.slice(at + 1) : value;
    if (authority.startsWith('[')) {
      const close = authority.indexOf(']');
      host = close < 0 ? authority : authority.slice(0, close + 1);
      port = close >= 0 && authority[close + 1] === ':' ? authority.slice(close + 2) : '';
    } else {
      const colon = authority.indexOf(':');
      const single = colon >= 0 && authority.indexOf(':', colon + 1) < 0;
      host = single ? authority.slice(0, colon) : authority;
      port = single ? authority.slice(colon + 1) : '';
    }
  }
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.endsWith(CLUSTER_SUFFIX)) host = host.slice(0, -CLUSTER_SUFFIX.length);
  if (!/^\d{1,5}$/.test(port) || port === DEFAULT_PORTS[protocol]) port = '-1';
  return { host, port };
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}
