// The span's protocol (Hypertrace's PROTOCOL enum, widened with the BackendType names for
// databases and brokers) — a best effort for the protocol / span-type columns.

import type { SpanLike } from './attrs.ts';
import { hasKeyPrefix, valueOf } from './attrs.ts';
import { dbSystem, isMongoBackend, isRedisBackend, isSqlBackend } from './db.ts';
import { httpScheme } from './http.ts';
import { isKafkaBackend, isRabbitMqBackend, isSqsBackend, messagingSystem } from './messaging.ts';
import { isGrpcSystem } from './rpc.ts';

export const PROTOCOLS = [
  'UNKNOWN',
  'HTTP',
  'HTTPS',
  'GRPC',
  'REDIS',
  'MONGO',
  'JDBC',
  'CASSANDRA',
  'ELASTICSEARCH',
  'RABBIT_MQ',
  'KAFKA',
  'SQS',
] as const;

export type Protocol = (typeof PROTOCOLS)[number];

function protocolOfScheme(scheme: string): Protocol | undefined {
  switch (scheme) {
    case 'http':
      return 'HTTP';
    case 'https':
      return 'HTTPS';
    case 'grpc':
    case 'grpcs':
      return 'GRPC';
    case 'redis':
    case 'rediss':
      return 'REDIS';
    case 'mongodb':
    case 'mongodb+srv':
      return 'MONGO';
    case 'jdbc':
      return 'JDBC';
    default:
      return undefined;
  }
}

/** The database and messaging systems are each read once here, not once per predicate. */
function protocolOfBackend(span: SpanLike): Protocol | undefined {
  const db = dbSystem(span);
  if (isRedisBackend(span, db)) return 'REDIS';
  if (isMongoBackend(span, db)) return 'MONGO';
  if (isSqlBackend(span, db)) return 'JDBC';
  if (db === 'cassandra') return 'CASSANDRA';
  if (db === 'elasticsearch') return 'ELASTICSEARCH';
  const messaging = messagingSystem(span);
  if (isRabbitMqBackend(span, messaging)) return 'RABBIT_MQ';
  if (isKafkaBackend(span, messaging)) return 'KAFKA';
  if (isSqsBackend(span, messaging)) return 'SQS';
  return undefined;
}

/**
 * In order: GRPC when the RPC system is grpc, `component` is grpc or a key starts with
 * "grpc"; the HTTP scheme's protocol (http, https, grpc, redis, mongodb, jdbc); a database or
 * broker the span names; HTTP when a key starts with "http"; else UNKNOWN.
 */
export function protocolOf(span: SpanLike): Protocol {
  const attrs = span.attributes;
  if (isGrpcSystem(span) || valueOf(attrs, 'component').toLowerCase() === 'grpc' || hasKeyPrefix(attrs, 'grpc')) {
    return 'GRPC';
  }
  return protocolOfScheme(httpScheme(span)) ?? protocolOfBackend(span) ?? (hasKeyPrefix(attrs, 'http') ? 'HTTP' : 'UNKNOWN');
}
