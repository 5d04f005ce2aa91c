import t from 'tap';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { entityId } from '../../src/enrich/entity.ts';
import type { EntityRequest } from '../../src/enrich/entity.ts';

const backend = (attributes: Record<string, string> = {}, tenant = 'acme'): EntityRequest => ({
  tenant,
  type: 'BACKEND',
  identifying: { BACKEND_PROTOCOL: 'REDIS', BACKEND_HOST: 'cache', BACKEND_PORT: '6379' },
  attributes,
  name: 'cache:6379',
});

t.test('resolving the same identifying attributes twice returns the same entity', async (t) => {
  const r = new MemoryEntityResolver();
  const first = r.resolve(backend());
  const again = r.resolve(backend());
  t.equal(again, first);
  t.equal(first.id, entityId('acme', 'BACKEND', backend().identifying));
  t.equal(r.created, 1);
});

t.test('later attributes are merged in; identifying attributes never change', async (t) => {
  const r = new MemoryEntityResolver();
  r.resolve(backend({ 'db.system': 'redis', note: 'a' }));
  const merged = r.resolve(backend({ note: 'b', BACKEND_HOST: 'elsewhere' }));
  t.same(merged.attributes, { 'db.system': 'redis', note: 'b', BACKEND_PROTOCOL: 'REDIS', BACKEND_HOST: 'cache', BACKEND_PORT: '6379' });
});

t.test('find answers only for entities that exist in that tenant', async (t) => {
  const r = new MemoryEntityResolver();
  const e = r.resolve(backend());
  t.equal(r.find('acme', e.id), e);
  t.equal(r.find('globex', e.id), undefined, 'another tenant does not see it');
  t.equal(r.find('acme', entityId('acme', 'SERVICE', { FQN: 'cache' })), undefined);
});

t.test('tenants are isolated and entities list by type', async (t) => {
  const r = new MemoryEntityResolver();
  const a = r.resolve(backend({}, 'acme'));
  const g = r.resolve(backend({}, 'globex'));
  t.not(a.id, g.id);
  r.resolve({ tenant: 'acme', type: 'SERVICE', identifying: { FQN: 'orders' }, attributes: {}, name: 'orders' });
  t.same(r.list('acme', 'BACKEND').map((e) => e.id), [a.id]);
  t.same(r.list('acme', 'SERVICE').map((e) => e.name), ['orders']);
});

t.test('ids follow every identifying key and value, whatever characters they hold', async (t) => {
  const r = new MemoryEntityResolver();
  const req = (identifying: Record<string, string>): EntityRequest => ({ tenant: 'acme', type: 'API', identifying, attributes: {}, name: 'n' });
  const one = r.resolve(req({ a: 'x' }));
  const two = r.resolve(req({ a: 'x', b: 'y' }));
  // Joined into one string, these two read the same ("a", "x\u0000b\u0001y" vs "a"="x", "b"="y").
  const joined = r.resolve(req({ a: 'x\u0000b\u0001y' }));
  const swapped = r.resolve(req({ b: 'y', a: 'x' }));
  t.not(one.id, two.id, 'a request whose keys extend another\'s is another entity');
  t.not(joined.id, two.id, 'separator characters in a value do not collide');
  t.equal(swapped, two, 'the same attributes in another order are the same entity');
  t.equal(joined.id, entityId('acme', 'API', { a: 'x\u0000b\u0001y' }));
  t.equal(r.created, 3);
});
