import t from 'tap';
import {
  dbDestination,
  dbName,
  dbOperation,
  dbStatement,
  dbSystem,
  dbUri,
  isSqlBackend,
  cassandraUri,
  elasticsearchUri,
  mongoUri,
  redisUri,
  sqlUri,
} from '../../src/normalize/index.ts';
import { checkRows } from './rows.ts';

t.test('system, statement and name read the old OTel name, then the new one, then agent keys', async (t) => {
  checkRows(t, dbSystem, [
    { title: 'db.system beats db.system.name', attrs: { 'db.system': 'mssql', 'db.system.name': 'microsoft.sql_server' }, want: 'mssql' },
    { title: 'new OTel db.system.name alone', attrs: { 'db.system.name': 'postgresql' }, want: 'postgresql' },
    { title: 'agent sql.db_type, lower-cased', attrs: { 'sql.db_type': 'MySQL' }, want: 'mysql' },
  ]);
  checkRows(t, dbStatement, [
    { title: 'db.statement beats db.query.text', attrs: { 'db.statement': 'SELECT 1', 'db.query.text': 'SELECT 2' }, want: 'SELECT 1' },
    { title: 'new OTel db.query.text beats agent sql.query', attrs: { 'db.query.text': 'SELECT 2', 'sql.query': 'SELECT 3' }, want: 'SELECT 2' },
    { title: 'agent sql.query alone', attrs: { 'sql.query': 'SELECT 3' }, want: 'SELECT 3' },
  ]);
  checkRows(t, dbName, [
    { title: 'db.name beats db.namespace', attrs: { 'db.name': 'shop', 'db.namespace': 'other' }, want: 'shop' },
    { title: 'new OTel db.namespace alone', attrs: { 'db.namespace': 'customers' }, want: 'customers' },
    { title: 'none gives an empty string', attrs: { 'db.system': 'mysql' }, want: '' },
  ]);
});

t.test('the operation is an operation key, else the first word of the statement', async (t) => {
  checkRows(t, dbOperation, [
    { title: 'db.operation beats db.operation.name', attrs: { 'db.operation': 'SELECT', 'db.operation.name': 'findAndModify' }, want: 'SELECT' },
    { title: 'new OTel db.operation.name beats the statement', attrs: { 'db.operation.name': 'HMSET', 'db.statement': 'GET k' }, want: 'HMSET' },
    { title: 'first word of db.statement', attrs: { 'db.statement': 'select * from customers' }, want: 'select' },
    { title: 'first word of new OTel db.query.text across a newline', attrs: { 'db.query.text': '  UPDATE\n  t SET a = 1' }, want: 'UPDATE' },
    { title: 'first word of agent sql.query', attrs: { 'sql.query': 'INSERT INTO t VALUES (1)' }, want: 'INSERT' },
    { title: 'agent redis.command', attrs: { 'redis.command': 'HGETALL', 'redis.args': 'k' }, want: 'HGETALL' },
    { title: 'agent mongo.operation', attrs: { 'mongo.operation': 'find' }, want: 'find' },
    { title: 'none gives an empty string', attrs: { 'db.system': 'mysql' }, want: '' },
  ]);
});

t.test('a SQL backend is a jdbc span with sql.url or a SQL db system', async (t) => {
  checkRows(t, isSqlBackend, [
    { title: 'a jdbc span with sql.url', name: 'jdbc:query', attrs: { 'sql.url': 'jdbc:mysql://db:3306' }, want: true },
    { title: 'a jdbc span without sql.url', name: 'jdbc:query', attrs: {}, want: false },
    { title: 'sql.url on a span not named jdbc', name: 'query', attrs: { 'sql.url': 'jdbc:mysql://db:3306' }, want: false },
    { title: 'db.system mysql', attrs: { 'db.system': 'mysql' }, want: true },
    { title: 'new OTel db.system.name microsoft.sql_server', attrs: { 'db.system.name': 'microsoft.sql_server' }, want: true },
    { title: 'db.system redis is not SQL', attrs: { 'db.system': 'redis' }, want: false },
  ]);
});

t.test('the destination joins the database name and the collection of its kind', async (t) => {
  checkRows(t, dbDestination, [
    { title: 'SQL: db.name and db.sql.table', attrs: { 'db.system': 'mysql', 'db.name': 'shop', 'db.sql.table': 'orders' }, want: 'shop.orders' },
    { title: 'SQL: the table alone', attrs: { 'db.system': 'mysql', 'db.sql.table': 'orders' }, want: 'orders' },
    {
      title: 'new OTel: db.namespace and db.collection.name',
      attrs: { 'db.system.name': 'postgresql', 'db.namespace': 'shop', 'db.collection.name': 'items' },
      want: 'shop.items',
    },
    { title: 'Mongo: db.name and mongo.namespace', attrs: { 'mongo.url': 'm:27017', 'db.name': 'app', 'mongo.namespace': 'users' }, want: 'app.users' },
    { title: 'Mongo: db.mongodb.collection', attrs: { 'db.system': 'mongodb', 'db.mongodb.collection': 'carts' }, want: 'carts' },
    { title: 'Redis: the database index', attrs: { 'db.system': 'redis', 'db.name': 'cache', 'db.redis.database_index': '2' }, want: 'cache.2' },
    {
      title: 'Cassandra: keyspace and table',
      attrs: { 'db.system': 'cassandra', 'db.cassandra.keyspace': 'ks', 'db.cassandra.table': 'events' },
      want: 'ks.events',
    },
    { title: 'none gives an empty string', attrs: { 'db.system': 'mysql' }, want: '' },
  ]);
});

t.test('the database URI tries Redis, Mongo, JDBC, Cassandra and Elasticsearch in order', async (t) => {
  checkRows(t, dbUri, [
    { title: 'agent redis.connection', attrs: { 'redis.connection': 'redis-host:6379' }, want: { system: 'REDIS', uri: 'redis-host:6379' } },
    {
      title: 'db.system redis with the OTel peer',
      attrs: { 'db.system': 'redis', 'net.peer.name': 'cache', 'net.peer.port': '6380' },
      want: { system: 'REDIS', uri: 'cache:6380' },
    },
    { title: 'Mongo agent address beats mongo.url', attrs: { address: 'm1:27017', 'mongo.url': 'm2:27017' }, want: { system: 'MONGO', uri: 'm1:27017' } },
    {
      title: 'new OTel mongodb with server.address',
      attrs: { 'db.system.name': 'mongodb', 'server.address': 'mongo', 'server.port': '27018' },
      want: { system: 'MONGO', uri: 'mongo:27018' },
    },
    {
      title: 'JDBC sql.url',
      name: 'jdbc:select',
      attrs: { 'sql.url': 'jdbc:mysql://mysql:3306/db', 'net.peer.name': 'p' },
      want: { system: 'JDBC', uri: 'jdbc:mysql://mysql:3306/db' },
    },
    {
      title: 'a valid db.connection_string beats the peer',
      attrs: { 'db.system': 'mysql', 'db.connection_string': 'jdbc:mysql://h:3306', 'net.peer.name': 'p', 'net.peer.port': '1' },
      want: { system: 'JDBC', uri: 'jdbc:mysql://h:3306' },
    },
    {
      title: 'an unparseable connection string gives way to the peer',
      attrs: { 'db.system': 'postgresql', 'db.connection_string': 'Server=x; Database=y', 'server.address': 'pg', 'server.port': '5432' },
      want: { system: 'JDBC', uri: 'pg:5432' },
    },
    {
      title: 'Cassandra: host and port of the connection string',
      attrs: { 'db.system': 'cassandra', 'db.connection_string': 'cassandra://c1:9042/ks', 'net.peer.name': 'p' },
      want: { system: 'CASSANDRA', uri: 'c1:9042' },
    },
    {
      title: 'Elasticsearch: host and port of elasticsearch.url',
      attrs: { 'db.system': 'elasticsearch', 'elasticsearch.url': 'http://es:9200/_search' },
      want: { system: 'ELASTICSEARCH', uri: 'es:9200' },
    },
    {
      title: 'Redis is tried before Mongo',
      attrs: { 'redis.connection': 'r:6379', address: 'm:27017' },
      want: { system: 'REDIS', uri: 'r:6379' },
    },
    { title: 'a SQL span with no address has no URI', attrs: { 'db.system': 'mysql' }, want: undefined },
    { title: 'a span with no database has no URI', attrs: { 'net.peer.name': 'p' }, want: undefined },
  ]);
});

t.test('a dbSystem passed in is used instead of reading the system keys again', async (t) => {
  const span = { name: 'q', kind: 'CLIENT' as const, attributes: { 'db.system': 'mysql', 'net.peer.name': 'db', 'db.name': 'shop', 'db.sql.table': 'orders' } };
  t.equal(isSqlBackend(span, dbSystem(span)), true);
  t.equal(isSqlBackend(span, 'redis'), false, 'the given system decides');
  t.equal(redisUri(span, 'redis'), 'db');
  t.equal(redisUri(span), '', 'without it the span says mysql');
  t.equal(dbDestination(span, 'mysql'), dbDestination(span));
  t.equal(cassandraUri(span, 'cassandra'), 'db');
  t.equal(elasticsearchUri(span, 'elasticsearch'), 'db');
  t.equal(mongoUri(span, 'mongodb'), 'db');
  t.equal(sqlUri(span, 'mysql'), sqlUri(span));
});
