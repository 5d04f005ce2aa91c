// First-class field resolution: every consumer (view writer, enrichers, drop rules) reads
// HTTP / RPC / DB / messaging / error fields of a span through these resolvers, which walk
// ordered key lists over the raw attributes (docs/normalization.md lists every list).

export type { CallSide, ErrorSpanLike, KeyList, SpanLike } from './attrs.ts';
export { callSide, firstOf, headerOf, intOf, valueOf } from './attrs.ts';

export {
  HTTP_HOST_KEYS,
  HTTP_METHOD_KEYS,
  HTTP_PATH_KEYS,
  HTTP_QUERY_KEYS,
  HTTP_REQUEST_SIZE_KEYS,
  HTTP_RESPONSE_SIZE_KEYS,
  HTTP_SCHEME_KEYS,
  HTTP_STATUS_CODE_KEYS,
  HTTP_URL_KEYS,
  USER_AGENT_KEYS,
  httpHost,
  httpMethod,
  httpPath,
  httpQueryString,
  httpRequestSize,
  httpRequestUrl,
  httpResponseSize,
  httpRoute,
  httpScheme,
  httpStatusCode,
  httpUrl,
  otelUrl,
  schemeFromAttributes,
  userAgent,
} from './http.ts';

export {
  GRPC_STATUS_CODE_KEYS,
  GRPC_STATUS_MESSAGE_KEYS,
  GRPC_STATUS_NAMES,
  RPC_OPERATION_KEYS,
  RPC_SYSTEM_KEYS,
  dottedPath,
  grpcCodeOf,
  grpcEndpoint,
  grpcErrorMessage,
  grpcStatusCode,
  grpcStatusMessage,
  grpcStatusName,
  grpcUri,
  grpcUserAgent,
  isGrpcSystem,
  rpcMethod,
  rpcOperation,
  rpcService,
  rpcSystem,
} from './rpc.ts';

export type { DbBackend } from './db.ts';
export {
  DB_NAME_KEYS,
  DB_OPERATION_KEYS,
  DB_STATEMENT_KEYS,
  DB_SYSTEM_KEYS,
  SQL_DB_SYSTEMS,
  cassandraUri,
  dbDestination,
  dbName,
  dbOperation,
  dbStatement,
  dbSystem,
  dbUri,
  elasticsearchUri,
  firstWord,
  isMongoBackend,
  isRedisBackend,
  isSqlBackend,
  mongoUri,
  redisUri,
  sqlUri,
} from './db.ts';

export type { MessagingBackend } from './messaging.ts';
export {
  KAFKA_CONSUMER_GROUP_KEYS,
  MESSAGING_DESTINATION_KEYS,
  MESSAGING_OPERATION_KEYS,
  MESSAGING_SYSTEM_KEYS,
  RABBITMQ_ROUTING_KEY_KEYS,
  isKafkaBackend,
  isRabbitMqBackend,
  isSqsBackend,
  kafkaUri,
  messagingDestination,
  messagingOperation,
  messagingSystem,
  messagingUri,
  rabbitMqUri,
  sqsUri,
} from './messaging.ts';

export type { BackendUri } from './peer.ts';
export { OTEL_PEER_ADDRESSES, OT_PEER_HOST_KEYS, hostPortOfUrl, otPeerUri, otelPeerUri, sanitizeAuthority } from './peer.ts';

export {
  ERROR_MESSAGE_KEYS,
  EXCEPTION_KEYS,
  EXCEPTION_TYPE_KEYS,
  errorMessage,
  exceptionEvent,
  exceptionStacktrace,
  exceptionType,
  hasException,
  isError,
} from './errors.ts';

export type { Protocol } from './protocol.ts';
export { PROTOCOLS, protocolOf } from './protocol.ts';

export type { FirstClassFieldName } from './resolve.ts';
export { FIELD_NAMES, FirstClassFields, resolveFirstClass } from './resolve.ts';
