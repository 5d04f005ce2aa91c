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

t.test('serviceEntityId stays right past its memo bounds and for tenant/name splits of one text', async (t) => {
  // More tenants and more names per tenant than it remembers, asked twice over in another order.
  const asks: [string, string][] = [];
  for (let tn = 0; tn < 70; tn++) asks.push([`t${tn}`, 'orders'], [`t${tn}`, `svc-${tn}`]);
  for (let n = 0; n < 4200; n++) asks.push(['acme', `svc-${n}`]);
  // The same characters split differently between tenant and name are different services.
  asks.push(['a\u0000b', 'c'], ['a', 'b\u0000c'], ['ab', 'c'], ['a', 'bc']);
  let wrong = 0;
  for (const pass of [asks, [...asks].reverse()]) {
    for (const [tenant, name] of pass) if (serviceEntityId(tenant, name) !== entityId(tenant, 'SERVICE', { FQN: name })) wrong++;
  }
  t.equal(wrong, 0, `${asks.length * 2} ids checked against entityId`);
  t.not(serviceEntityId('a\u0000b', 'c'), serviceEntityId('a', 'b\u0000c'));
  t.not(serviceEntityId('ab', 'c'), serviceEntityId('a', 'bc'));
});

t.test('an entity built from a request carries the identifying attributes among its attributes', async (t) => {
  const e = entityFromRequest({ tenant: 'acme', type: 'SERVICE', identifying: { FQN: 'orders' }, attributes: { service_type: 'JAEGER_SERVICE' }, name: 'orders' });
  t.equal(e.id, serviceEntityId('acme', 'orders'));
  t.same(e.attributes, { service_type: 'JAEGER_SERVICE', FQN: 'orders' });
  t.same(e.identifying, { FQN: 'orders' });
});

t.test('the id is RFC 4122 version 5 over the canonical JSON text, so other tools can recompute it', async (t) => {
  const { createHash } = await import('node:crypto');
  const { parse } = await import('uuid');
  const { ENTITY_ID_NAMESPACE } = await import('../../src/enrich/entity.ts');
  const name = JSON.stringify(['__default', 'SERVICE', [['FQN', 'frontend']]]);
  const hash = createHash('sha1').update(parse(ENTITY_ID_NAMESPACE)).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  const expected = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  t.equal(entityId('__default', 'SERVICE', { FQN: 'frontend' }), expected);
  // Stored entities keep their ids only while this scheme holds: a change must be deliberate.
  t.equal(expected, '43fb5d5b-5b68-509c-a237-cbc754144adb', 'pinned');
});
