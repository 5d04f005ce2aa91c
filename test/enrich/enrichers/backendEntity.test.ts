import t from 'tap';
import { entityId } from '../../../src/enrich/entity.ts';
import { MemoryEntityResolver } from '../../../src/enrich/memoryResolver.ts';
import type { SpanBackend } from '../../../src/enrich/types.ts';
import type { EnrichmentOptions } from '../../../src/enrich/defaults.ts';
import { enrich, TENANT } from '../build.ts';
import type { SpanSpec } from '../build.ts';

/** The backend of a leaf client span `call` under an entry span of service `app`. */
async function backendOf(call: Partial<SpanSpec>, opts: { resolver?: MemoryEntityResolver; options?: EnrichmentOptions } = {}) {
  const built = await enrich([{ id: 'in', kind: 'SERVER', service: 'app' }, { id: 'call', parent: 'in', kind: 'CLIENT', service: 'app', ...call }], opts);
  return built.trace.enriched.backend[built.at('call')];
}

const pick = (b: SpanBackend | null) => b && { protocol: b.protocol, name: b.name, host: b.host, port: b.port, path: b.path, operation: b.operation, destination: b.destination };

t.test('each provider recognises its kind of leaf exit span', async (t) => {
  const rows: [string, Partial<SpanSpec>, Partial<SpanBackend>][] = [
    [
      'HTTP',
      { attrs: { 'http.method': 'GET', 'http.url': 'http://inventory.prod.svc.cluster.local:8080/items/42?x=1' } },
      { protocol: 'HTTP', name: 'inventory.prod:8080', host: 'inventory.prod', port: '8080', path: '/items/42', operation: 'GET' },
    ],
    [
      'HTTPS on its default port',
      { attrs: { 'http.request.method': 'POST', 'url.full': 'https://api.stripe.com/v1/charges' } },
      { protocol: 'HTTPS', name: 'api.stripe.com', port: '-1', path: '/v1/charges', operation: 'POST' },
    ],
    [
      'gRPC',
      { attrs: { 'rpc.system': 'grpc', 'rpc.service': 'shop.Cart', 'rpc.method': 'Get', 'net.peer.name': 'cart', 'net.peer.port': '50051' } },
      { protocol: 'GRPC', name: 'cart:50051', path: 'shop.Cart/Get', operation: 'Get', destination: 'shop.Cart' },
    ],
    [
      'Redis (OTel)',
      { attrs: { 'db.system': 'redis', 'net.peer.name': 'cache', 'net.peer.port': '6379', 'db.statement': 'GET user:1', 'db.redis.database_index': '2' } },
      { protocol: 'REDIS', name: 'cache:6379', operation: 'GET', destination: '2' },
    ],
    ['Redis (agent)', { attrs: { 'redis.connection': 'cache.internal:6380', 'redis.command': 'HGET' } }, { protocol: 'REDIS', name: 'cache.internal:6380', operation: 'HGET' }],
    [
      'MongoDB',
      { attrs: { 'db.system': 'mongodb', 'net.peer.name': 'mongo', 'net.peer.port': '27017', 'db.name': 'shop', 'db.mongodb.collection': 'orders', 'db.operation': 'find' } },
      { protocol: 'MONGO', name: 'mongo:27017', operation: 'find', destination: 'shop.orders' },
    ],
    ['JDBC', { name: 'jdbc:query', attrs: { 'sql.url': 'jdbc:mysql://db.internal:3306/shop', 'sql.query': 'select 1' } }, { protocol: 'JDBC', name: 'db.internal:3306', operation: 'select' }],
    [
      'SQL through OTel db.system',
      { attrs: { 'db.system': 'postgresql', 'net.peer.name': 'pg', 'net.peer.port': '5432', 'db.name': 'app', 'db.statement': 'SELECT * FROM users' } },
      { protocol: 'JDBC', name: 'pg:5432', operation: 'SELECT', destination: 'app' },
    ],
    [
      'SQL in current OTel names',
      { attrs: { 'db.system.name': 'postgresql', 'server.address': 'pg2', 'server.port': '5433', 'db.query.text': 'UPDATE t SET a = 1' } },
      { protocol: 'JDBC', name: 'pg2:5433', operation: 'UPDATE' },
    ],
    ['Cassandra', { attrs: { 'db.system': 'cassandra', 'net.peer.name': 'cass', 'net.peer.port': '9042' } }, { protocol: 'CASSANDRA', name: 'cass:9042' }],
    ['Elasticsearch', { attrs: { 'db.system': 'elasticsearch', 'db.connection_string': 'http://es.local:9200' } }, { protocol: 'ELASTICSEARCH', name: 'es.local:9200' }],
    ['RabbitMQ', { attrs: { 'messaging.system': 'rabbitmq', 'messaging.rabbitmq.routing_key': 'orders.created' } }, { protocol: 'RABBIT_MQ', name: 'orders.created' }],
    [
      'Kafka',
      { attrs: { 'messaging.system': 'kafka', 'messaging.destination': 'orders', 'messaging.kafka.consumer_group': 'billing', 'net.peer.name': 'kafka-1', 'net.peer.port': '9092' } },
      { protocol: 'KAFKA', name: 'kafka-1:9092', destination: 'billing.orders' },
    ],
    ['SQS', { attrs: { 'messaging.system': 'aws_sqs', 'messaging.url': 'https://sqs.us-east-1.amazonaws.com/123/jobs' } }, { protocol: 'SQS', name: 'sqs.us-east-1.amazonaws.com' }],
    ['a client span named after its callee (HotROD)', { service: 'mysql', attrs: { 'sql.query': 'SELECT 1' } }, { protocol: 'UNKNOWN', name: 'mysql', port: '-1' }],
  ];
  for (const [title, call, expected] of rows) t.match(pick(await backendOf(call)), expected, title);
});

t.test('when several providers apply, the earlier one wins', async (t) => {
  const rows: [string, Record<string, string>, string][] = [
    ['HTTP before Redis', { 'http.url': 'http://cache-proxy:8080/get', 'db.system': 'redis' }, 'HTTP'],
    ['gRPC before Redis', { 'rpc.system': 'grpc', 'net.peer.name': 'svc', 'redis.connection': 'cache:6379' }, 'GRPC'],
    ['Redis before SQL', { 'redis.connection': 'cache:6379', 'db.system': 'mysql', 'net.peer.name': 'db' }, 'REDIS'],
    ['Mongo before SQL', { address: 'mongo:27017', 'db.system': 'postgresql', 'net.peer.name': 'pg' }, 'MONGO'],
    ['a provider with no URI gives way to the next', { 'db.system': 'redis', 'messaging.system': 'kafka', 'peer.hostname': 'broker', 'peer.port': '9092' }, 'KAFKA'],
  ];
  for (const [title, attrs, protocol] of rows) t.equal((await backendOf({ attrs }))?.protocol, protocol, title);
  t.equal((await backendOf({ service: 'mysql', attrs: { 'db.system': 'mysql', 'net.peer.name': 'db1' } }))?.name, 'db1', 'the client-span fallback comes last');
});

t.test('a root client span with peer.service becomes a backend of that name', async (t) => {
  const { trace, at } = await enrich([{ id: 'x', kind: 'CLIENT', service: 'cli', attrs: { 'peer.service': 'billing-api' } }]);
  t.match(pick(trace.enriched.backend[at('x')]), { protocol: 'UNKNOWN', name: 'billing-api' });
});

t.test('a leaf exit with nothing to go on has no backend', async (t) => {
  t.equal(await backendOf({}), null);
});

t.test('an HTTP or gRPC host that is a known service is not a backend', async (t) => {
  const resolver = new MemoryEntityResolver();
  resolver.resolve({ tenant: TENANT, type: 'SERVICE', identifying: { FQN: 'payments' }, attributes: {}, name: 'payments' });
  t.equal(await backendOf({ attrs: { 'http.method': 'POST', 'http.url': 'http://payments:8080/charge' } }, { resolver }), null, 'known from an earlier trace');
  t.equal(await backendOf({ attrs: { 'http.url': 'http://10.0.0.7:8080/charge', 'peer.service': 'payments' } }, { resolver }), null, 'named by peer.service');
  t.equal(await backendOf({ attrs: { 'http.url': 'http://app:8080/self' } }), null, 'a service of this very trace');
  t.match(await backendOf({ attrs: { 'db.system': 'redis', 'net.peer.name': 'payments' } }, { resolver }), { protocol: 'REDIS' }, 'other protocols are not checked');
  t.match(await backendOf({ attrs: { 'http.url': 'http://payments-legacy:8080/charge' } }, { resolver }), { name: 'payments-legacy:8080' });
});

t.test('hosts under an excluded domain are skipped', async (t) => {
  const options = { backendExcludedDomains: ['telemetry.example.com'] };
  t.equal(await backendOf({ attrs: { 'http.url': 'https://collector.telemetry.example.com/v1/traces' } }, { options }), null);
  t.equal(await backendOf({ attrs: { 'http.url': 'https://telemetry.example.com/v1/traces' } }, { options }), null);
  t.match(await backendOf({ attrs: { 'http.url': 'https://nottelemetry.example.com/x' } }, { options }), { name: 'nottelemetry.example.com' });
});

t.test('calls to one backend share one entity', async (t) => {
  const attrs = { 'db.system': 'redis', 'net.peer.name': 'cache', 'net.peer.port': '6379' };
  const { trace } = await enrich([
    { id: 'in', kind: 'SERVER', service: 'app' },
    { id: 'a', parent: 'in', kind: 'CLIENT', service: 'app', attrs },
    { id: 'b', parent: 'in', kind: 'CLIENT', service: 'app', attrs: { ...attrs, 'db.statement': 'SET k v' } },
  ]);
  const backends = trace.entities.filter((e) => e.type === 'BACKEND');
  t.equal(backends.length, 1);
  t.equal(backends[0].id, entityId(TENANT, 'BACKEND', { BACKEND_PROTOCOL: 'REDIS', BACKEND_HOST: 'cache', BACKEND_PORT: '6379' }));
  t.same(backends[0].attributes, { 'db.system': 'redis', BACKEND_PROTOCOL: 'REDIS', BACKEND_HOST: 'cache', BACKEND_PORT: '6379' });
  t.same(trace.enriched.backend.filter((b) => b !== null).map((b) => b!.id), [backends[0].id, backends[0].id]);
});
