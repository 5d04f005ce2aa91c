// Database first-class fields and backend URIs resolved when read (hypertrace-ingest §2.3).
// Current OTel DB conventions (`db.system.name`, `db.query.text`, `db.operation.name`,
// `db.namespace`, `db.collection.name`) are read right after the names they replace.

import type { Attributes } from '../model/span.ts';
import type { KeyList, SpanLike } from './attrs.ts';
import { firstOf, has, valueOf } from './attrs.ts';
import type { BackendUri } from './peer.ts';
import { hostPortOfUrl, otelPeerUri } from './peer.ts';

export const DB_SYSTEM_KEYS: KeyList = ['db.system', 'db.system.name', 'sql.db_type'];
export const DB_STATEMENT_KEYS: KeyList = ['db.statement', 'db.query.text', 'sql.query'];
export const DB_OPERATION_KEYS: KeyList = ['db.operation', 'db.operation.name', 'mongo.operation', 'redis.command'];
export const DB_NAME_KEYS: KeyList = ['db.name', 'db.namespace', 'db.cassandra.keyspace'];
export const SQL_TABLE_KEYS: KeyList = ['db.sql.table', 'db.collection.name'];
export const MONGO_COLLECTION_KEYS: KeyList = ['mongo.namespace', 'db.mongodb.collection', 'db.collection.name'];
export const CASSANDRA_TABLE_KEYS: KeyList = ['db.cassandra.table', 'db.collection.name'];
export const REDIS_INDEX_KEYS: KeyList = ['db.redis.database_index'];

/**
 * `db.system` values that speak SQL: Hypertrace's set (mysql, oracle, mssql, db2, postgresql,
 * redshift, hive, cloudscape, hsqldb, other_sql) plus the renamed `db.system.name` values and
 * other relational systems from the OTel registry.
 */
export const SQL_DB_SYSTEMS: ReadonlySet<string> = new Set([
  'mysql',
  'oracle',
  'mssql',
  'db2',
  'postgresql',
  'redshift',
  'hive',
  'cloudscape',
  'hsqldb',
  'other_sql',
  'oracle.db',
  'microsoft.sql_server',
  'mssqlcompact',
  'ibm.db2',
  'aws.redshift',
  'mariadb',
  'sqlite',
  'h2',
  'h2database',
  'derby',
  'cockroachdb',
  'informix',
  'ibm.informix',
  'hanadb',
  'sap.hana',
  'maxdb',
  'sap.maxdb',
  'teradata',
  'netezza',
  'ibm.netezza',
  'sybase',
  'vertica',
  'edb',
  'firebird',
  'firebirdsql',
  'ingres',
  'actian.ingres',
  'trino',
  'spanner',
  'gcp.spanner',
]);

/** Backend kinds a database span can name (Hypertrace BackendType names). */
export type DbBackend = 'REDIS' | 'MONGO' | 'JDBC' | 'CASSANDRA' | 'ELASTICSEARCH';

/** The database system, lower-cased ("mysql", "redis", ...), or ''. */
export function dbSystem(span: SpanLike): string {
  return firstOf(span.attributes, DB_SYSTEM_KEYS).toLowerCase();
}

/** The statement or query text, or ''. */
export function dbStatement(span: SpanLike): string {
  return firstOf(span.attributes, DB_STATEMENT_KEYS);
}

/** The operation: an operation key, else the first word of the statement; '' if none. */
export function dbOperation(span: SpanLike): string {
  const attrs = span.attributes;
  const operation = firstOf(attrs, DB_OPERATION_KEYS);
  return operation !== '' ? operation : firstWord(firstOf(attrs, DB_STATEMENT_KEYS));
}

/** The text before the first whitespace of a trimmed statement ("SELECT * FROM t" → "SELECT"). */
export function firstWord(statement: string): string {
  const match = /^\S+/.exec(statement.trim());
  return match === null ? '' : match[0];
}

/** The database (schema, keyspace, namespace) name, or ''. */
export function dbName(span: SpanLike): string {
  return firstOf(span.attributes, DB_NAME_KEYS);
}

// The predicates and URIs below take the span's dbSystem as an optional argument: a caller that
// asks several of them about one span (protocolOf, the backend providers) works it out once
// instead of probing the three system keys again in each.

/** Whether the span is a Redis call: agent `redis.connection`, or db system redis. */
export function isRedisBackend(span: SpanLike, system?: string): boolean {
  return has(span.attributes, 'redis.connection') || (system ?? dbSystem(span)) === 'redis';
}

/** Whether the span is a MongoDB call: agent `address` / `mongo.url`, or db system mongodb. */
export function isMongoBackend(span: SpanLike, system?: string): boolean {
  const attrs = span.attributes;
  return has(attrs, 'address') || has(attrs, 'mongo.url') || (system ?? dbSystem(span)) === 'mongodb';
}

/** Whether the span is a SQL call: a "jdbc…" span with `sql.url`, or a SQL db system. */
export function isSqlBackend(span: SpanLike, system?: string): boolean {
  if (span.name.startsWith('jdbc') && has(span.attributes, 'sql.url')) return true;
  return SQL_DB_SYSTEMS.has(system ?? dbSystem(span));
}

/**
 * The collection-level destination: "<db name>.<table>" (or whichever exists), where the table
 * is the Redis database index, the Mongo collection, the Cassandra table or the SQL table.
 */
export function dbDestination(span: SpanLike, system: string = dbSystem(span)): string {
  const attrs = span.attributes;
  let tableKeys = SQL_TABLE_KEYS;
  if (isRedisBackend(span, system)) tableKeys = REDIS_INDEX_KEYS;
  else if (isMongoBackend(span, system)) tableKeys = MONGO_COLLECTION_KEYS;
  else if (system === 'cassandra') tableKeys = CASSANDRA_TABLE_KEYS;
  return joinDestination(dbName(span), firstOf(attrs, tableKeys));
}

function joinDestination(db: string, table: string): string {
  if (db === '' || table === '') return db || table;
  return `${db}.${table}`;
}

/** Redis host[:port]: `redis.connection`, else the OTel peer. '' if not Redis. */
export function redisUri(span: SpanLike, system?: string): string {
  if (!isRedisBackend(span, system)) return '';
  return valueOf(span.attributes, 'redis.connection') || otelPeerUri(span);
}

/** MongoDB host[:port]: `address`, `mongo.url`, else the OTel peer. '' if not Mongo. */
export function mongoUri(span: SpanLike, system?: string): string {
  if (!isMongoBackend(span, system)) return '';
  const attrs = span.attributes;
  return valueOf(attrs, 'address') || valueOf(attrs, 'mongo.url') || otelPeerUri(span);
}

/** SQL backend URI: `sql.url`, a valid `db.connection_string`, else the OTel peer. '' if not SQL. */
export function sqlUri(span: SpanLike, system?: string): string {
  if (!isSqlBackend(span, system)) return '';
  const attrs = span.attributes;
  const url = valueOf(attrs, 'sql.url');
  if (url !== '') return url;
  const connection = validConnectionString(attrs);
  return connection !== '' ? connection : otelPeerUri(span);
}

/** A `db.connection_string` that reads as a URI ("scheme:..." without spaces), or ''. */
function validConnectionString(attrs: Attributes): string {
  const value = valueOf(attrs, 'db.connection_string');
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(value) ? value : '';
}

/** Cassandra host[:port]: the connection string's authority, else the OTel peer. */
export function cassandraUri(span: SpanLike, system?: string): string {
  if ((system ?? dbSystem(span)) !== 'cassandra') return '';
  return hostPortOfUrl(valueOf(span.attributes, 'db.connection_string')) || otelPeerUri(span);
}

/** Elasticsearch host[:port]: the connection string's, `elasticsearch.url`'s, else the OTel peer. */
export function elasticsearchUri(span: SpanLike, system?: string): string {
  if ((system ?? dbSystem(span)) !== 'elasticsearch') return '';
  const attrs = span.attributes;
  return (
    hostPortOfUrl(valueOf(attrs, 'db.connection_string')) ||
    hostPortOfUrl(valueOf(attrs, 'elasticsearch.url')) ||
    otelPeerUri(span)
  );
}

/**
 * The database backend and its URI, trying (as the BackendEntityEnricher does) Redis, Mongo,
 * JDBC, Cassandra, Elasticsearch; the first with a non-empty URI wins. undefined if none.
 */
export function dbUri(span: SpanLike): BackendUri<DbBackend> | undefined {
  const system = dbSystem(span);
  let uri = redisUri(span, system);
  if (uri !== '') return { system: 'REDIS', uri };
  uri = mongoUri(span, system);
  if (uri !== '') return { system: 'MONGO', uri };
  uri = sqlUri(span, system);
  if (uri !== '') return { system: 'JDBC', uri };
  uri = cassandraUri(span, system);
  if (uri !== '') return { system: 'CASSANDRA', uri };
  uri = elasticsearchUri(span, system);
  if (uri !== '') return { system: 'ELASTICSEARCH', uri };
  return undefined;
}
