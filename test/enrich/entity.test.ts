import t from 'tap';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { entityFromRequest, entityId, serviceEntityId } from '../../src/enrich/entity.ts';

t.test('an entity id is a version-5 UUID that depends only on tenant, type and identifying attributes', async (t) => {
  const id = entityId('acme', 'BACKEND', { BACKEND_PROTOCOL: 'REDIS', BACKEND_HOST: 'cache', BACKEND_PORT: '6379' });
  t.ok(isUuid(id));
  t.equal(uuidVersion(id), 5);
  t.equal(entityId('acme', 'BACKEND', { BACKEND_PORT: '6379', BACKEND_HOST: 'cache', BACKEND_PROTOCOL: 'REDIS' }), id, 'key order does not matter');
});

t.test('different tenants, types or attribute values give different ids', async (t) => {
  const base = entityId('acme', 'SERVICE', { FQN: 'orders' });
  const others = [
    entityId('globex', 'SERVICE', { FQN: 'orders' }),
    entityId('acme', 'API', { FQN: 'orders' }),
    entityId('acme', 'SERVICE', { FQN: 'orders2' }),
    entityId('acme', 'SERVICE', { FQN: 'orders', extra: '' }),
  ];
  t.equal(new Set([base, ...others]).size, 5);
});

t.test('ids cannot collide by shifting text between keys and values', async (t) => {
  const a = entityId('acme', 'API', { a: 'b,c', d: 'e' });
  const b = entityId('acme', 'API', { a: 'b', 'c,d': 'e' });
  t.not(a, b);
  t.not(entityId('a\u0000b', 'SERVICE', { FQN: 'c' }), entityId('a', 'SERVICE', { FQN: 'b\u0000c' }));
});

t.test('serviceEntityId is the id of the SERVICE entity with that FQN', async (t) => {
  t.equal(serviceEntityId('acme', 'orders'), entityId('acme', 'SERVICE', { FQN: 'orders' }));
});

t.test('an entity built from a request carries the identifying attributes among its attributes', async (t) => {
  const e = entityFromRequest({ tenant: 'acme', type: 'SERVICE', identifying: { FQN: 'orders' }, attributes: { service_type: 'JAEGER_SERVICE' }, name: 'orders' });
  t.equal(e.id, serviceEntityId('acme', 'orders'));
  t.same(e.attributes, { service_type: 'JAEGER_SERVICE', FQN: 'orders' });
  t.same(e.identifying, { FQN: 'orders' });
});
