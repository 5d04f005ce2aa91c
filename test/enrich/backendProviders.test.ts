import t from 'tap';
import { BACKEND_PROVIDERS, hostAndPort } from '../../src/enrich/backendProviders.ts';
import type { BackendProtocol } from '../../src/enrich/types.ts';

t.test('providers are tried in the reference order', async (t) => {
  t.same(BACKEND_PROVIDERS.map((p) => p.name), [
    'http',
    'grpc',
    'redis',
    'mongo',
    'sql',
    'cassandra',
    'elasticsearch',
    'rabbitmq',
    'kafka',
    'sqs',
    'client-span-endpoint',
  ]);
});

t.test('a backend URI splits into a normalized host and a port', async (t) => {
  const rows: [string, BackendProtocol, string, string][] = [
    ['cache:6379', 'REDIS', 'cache', '6379'],
    ['Cache.Prod.svc.cluster.local:6379', 'REDIS', 'cache.prod', '6379'],
    ['db.internal.', 'JDBC', 'db.internal', '-1'],
    ['jdbc:mysql://db.internal:3306/shop?ssl=true', 'JDBC', 'db.internal', '3306'],
    ['postgresql://app:secret@pg.local:5432/app', 'JDBC', 'pg.local', '5432'],
    ['mongodb://mongo-0.mongo:27017', 'MONGO', 'mongo-0.mongo', '27017'],
    ['user@broker:5672', 'RABBIT_MQ', 'broker', '5672'],
    ['[fe80::1]:9200', 'ELASTICSEARCH', '[fe80::1]', '9200'],
    ['fe80::1', 'UNKNOWN', 'fe80::1', '-1'],
    ['shop.example.com:80', 'HTTP', 'shop.example.com', '-1'],
    ['shop.example.com:443', 'HTTPS', 'shop.example.com', '-1'],
    ['shop.example.com:443', 'HTTP', 'shop.example.com', '443'],
    ['orders.created', 'RABBIT_MQ', 'orders.created', '-1'],
    ['host:notaport', 'UNKNOWN', 'host', '-1'],
  ];
  for (const [uri, protocol, host, port] of rows) t.same(hostAndPort(uri, protocol), { host, port }, `${uri} (${protocol})`);
});
