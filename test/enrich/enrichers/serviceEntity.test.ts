import t from 'tap';
import { serviceEntityId } from '../../../src/enrich/entity.ts';
import { MemoryEntityResolver } from '../../../src/enrich/memoryResolver.ts';
import { enrich } from '../build.ts';

t.test('every span gets the SERVICE entity of its service', async (t) => {
  const { trace, at, resolver } = await enrich([
    { id: 'in', kind: 'SERVER', service: 'orders' },
    { id: 'work', parent: 'in', service: 'orders' },
    { id: 'out', parent: 'work', kind: 'CLIENT', service: 'orders' },
    { id: 'pay', parent: 'out', kind: 'SERVER', service: 'payments' },
  ]);
  const { serviceId, serviceName } = trace.enriched;
  t.equal(serviceId[at('work')], serviceEntityId(trace.tenant, 'orders'));
  t.equal(serviceName[at('pay')], 'payments');
  t.same(trace.summary.services, ['orders', 'payments']);
  t.same(trace.entities.filter((e) => e.type === 'SERVICE').map((e) => e.name), ['orders', 'payments']);
  t.same((resolver as MemoryEntityResolver).list(trace.tenant, 'SERVICE').map((e) => e.attributes.service_type), ['JAEGER_SERVICE', 'JAEGER_SERVICE']);
});

t.test('a leaf exit named after what it calls belongs to the first caller of another service', async (t) => {
  const { trace, at } = await enrich([
    { id: 'in', kind: 'SERVER', service: 'customer' },
    { id: 'sql', parent: 'in', kind: 'CLIENT', service: 'mysql' },
    { id: 'wrap', parent: 'in', kind: 'CLIENT', service: 'redis' },
    { id: 'get', parent: 'wrap', kind: 'CLIENT', service: 'redis' },
  ]);
  const name = trace.enriched.serviceName;
  t.equal(name[at('sql')], 'customer');
  t.equal(name[at('get')], 'customer', 'ancestors of the same service and API exits are skipped');
  t.equal(name[at('wrap')], 'redis', 'a non-leaf exit keeps its own service');
});

t.test('a leaf exit in its own service keeps it', async (t) => {
  const { trace, at } = await enrich([
    { id: 'in', kind: 'SERVER', service: 'web' },
    { id: 'db', parent: 'in', kind: 'CLIENT', service: 'web' },
    { id: 'root', kind: 'CLIENT', service: 'cli', at: 100 },
  ]);
  t.equal(trace.enriched.serviceName[at('db')], 'web');
  t.equal(trace.enriched.serviceName[at('root')], 'cli', 'a client-only root is its own service');
});

t.test('a lone leaf exit whose peer.service is its own service gets no service', async (t) => {
  const { trace, at } = await enrich([{ id: 'x', kind: 'CLIENT', service: 'redis', attrs: { 'peer.service': 'redis' } }]);
  t.equal(trace.enriched.serviceId[at('x')], '');
  t.same(trace.summary.services, []);
});

t.test('one trace resolves each service once', async (t) => {
  const memory = new MemoryEntityResolver();
  let calls = 0;
  const counting = { resolve: (r: Parameters<MemoryEntityResolver['resolve']>[0]) => (calls++, memory.resolve(r)), find: memory.find.bind(memory) };
  await enrich(
    Array.from({ length: 30 }, (_, k) => ({ id: `s${k}`, parent: k === 0 ? undefined : 's0', service: `svc${k % 3}` })),
    { resolver: counting },
  );
  t.equal(memory.list('acme', 'SERVICE').length, 3);
  t.equal(calls, 3, 'three services, three SERVICE requests (no API or backend here)');
});

t.test('a leaf exit under an entry of its own service stays in that service, even when another service called it', async (t) => {
  // OpenTelemetry auto-instrumentation: shop calls users, and users' ioredis span is a leaf exit
  // of users. Walking past users' own entry span would make it a call of shop.
  const { trace, at } = await enrich([
    { id: 'shop', kind: 'SERVER', service: 'shop' },
    { id: 'call', parent: 'shop', kind: 'CLIENT', service: 'shop' },
    { id: 'users', parent: 'call', kind: 'SERVER', service: 'users' },
    { id: 'work', parent: 'users', service: 'users' },
    { id: 'get', parent: 'work', kind: 'CLIENT', service: 'users', attrs: { 'db.system': 'redis', 'net.peer.name': 'cache', 'net.peer.port': '6379' } },
  ]);
  t.equal(trace.enriched.serviceName[at('get')], 'users');
  t.equal(trace.enriched.backend[at('get')]?.name, 'cache:6379');
});
