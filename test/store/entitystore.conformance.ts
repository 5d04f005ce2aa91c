// The EntityStore conformance suite: every adapter runs these same subtests (the upsert rules of
// src/store/entities.ts and docs/entities.md). An adapter passes by providing a factory.

import type { Test } from 'tap';
import { entityId } from '../../src/enrich/entity.ts';
import type { EntityStore, EntityType, EntityWrite, StoredEntity } from '../../src/store/entities.ts';
import { codeOf } from '../helpers/errors.ts';

export interface EntityStoreUnderTest {
  store: EntityStore;
  /** Another node's handle on the same durable store (its own connections). */
  peer(): Promise<EntityStore>;
}

/** Makes a fresh, empty store for one subtest and registers its teardown on `t`. */
export type EntityStoreFactory = (t: Test) => Promise<EntityStoreUnderTest>;

interface WriteParts {
  attributes?: Record<string, string>;
  name?: string;
  firstSeenUs?: number;
  lastSeenUs?: number;
}

function write(tenant: string, type: EntityType, identifying: Record<string, string>, parts: WriteParts = {}): EntityWrite {
  const first = parts.firstSeenUs ?? 1_700_000_000_000_000;
  return {
    id: entityId(tenant, type, identifying),
    tenant,
    type,
    name: parts.name ?? Object.values(identifying).join(':'),
    identifying,
    attributes: parts.attributes ?? {},
    firstSeenUs: first,
    lastSeenUs: parts.lastSeenUs ?? first,
  };
}

const service = (tenant: string, fqn: string, parts: WriteParts = {}) => write(tenant, 'SERVICE', { FQN: fqn }, { name: fqn, ...parts });
const backend = (tenant: string, host: string, port: string, parts: WriteParts = {}) =>
  write(tenant, 'BACKEND', { BACKEND_PROTOCOL: 'REDIS', BACKEND_HOST: host, BACKEND_PORT: port }, { name: `${host}:${port}`, ...parts });
const api = (tenant: string, serviceId: string, pattern: string, parts: WriteParts = {}) =>
  write(tenant, 'API', { API_URL_PATTERN: pattern, SERVICE_ID: serviceId, API_TYPE: 'OPERATION_NAME' }, { name: pattern, ...parts });


const names = (entities: StoredEntity[]): string[] => entities.map((e) => e.name);

export function entityStoreConformance(t: Test, name: string, factory: EntityStoreFactory): void {
  t.test(`${name}: EntityStore conformance`, async (t) => {
    t.test('two nodes upserting the same identifying attributes get one entity with one id', async (t) => {
      const { store, peer } = await factory(t);
      const other = await peer();
      const [a] = await store.upsert([backend('acme', 'cache', '6379', { attributes: { 'db.system': 'redis' } })]);
      const [b] = await other.upsert([backend('acme', 'cache', '6379')]);
      t.equal(b.id, a.id, 'the same id without coordination');
      t.same(b.identifying, { BACKEND_PROTOCOL: 'REDIS', BACKEND_HOST: 'cache', BACKEND_PORT: '6379' });
      t.equal(b.attributes['db.system'], 'redis', 'the second node sees what the first stored');
      t.equal(await store.count('acme', 'BACKEND'), 1);
      const seen = await other.get('acme', [a.id]);
      t.same(seen.get(a.id), b);
    });

    t.test('an upsert answers the stored entities in request order, identifying attributes copied into attributes', async (t) => {
      const { store } = await factory(t);
      const writes = [service('acme', 'frontend'), backend('acme', 'db', '5432'), service('acme', 'customer')];
      const stored = await store.upsert(writes);
      t.same(stored.map((e) => e.id), writes.map((w) => w.id));
      t.same(stored[1], { ...writes[1], attributes: writes[1].identifying });
    });

    t.test('attributes merge: later non-empty values win and identifying attributes never change', async (t) => {
      const { store } = await factory(t);
      await store.upsert([backend('acme', 'cache', '6379', { attributes: { 'db.system': 'redis', note: 'first', keep: 'kept' } })]);
      const [merged] = await store.upsert([
        backend('acme', 'cache', '6379', { name: '', attributes: { note: 'second', keep: '', extra: 'x', BACKEND_HOST: 'elsewhere' } }),
      ]);
      t.same(merged.attributes, {
        'db.system': 'redis',
        note: 'second',
        keep: 'kept',
        extra: 'x',
        BACKEND_PROTOCOL: 'REDIS',
        BACKEND_HOST: 'cache',
        BACKEND_PORT: '6379',
      });
      t.equal(merged.name, 'cache:6379', 'an empty name keeps the stored one');
      const [renamed] = await store.upsert([backend('acme', 'cache', '6379', { name: 'cache' })]);
      t.equal(renamed.name, 'cache', 'a non-empty name replaces it');
      t.same((await store.get('acme', [renamed.id])).get(renamed.id), renamed, 'get reads what upsert answered');
    });

    t.test('first seen is the earliest sighting and last seen the latest', async (t) => {
      const { store } = await factory(t);
      await store.upsert([service('acme', 'frontend', { firstSeenUs: 5_000, lastSeenUs: 6_000 })]);
      await store.upsert([service('acme', 'frontend', { firstSeenUs: 9_000, lastSeenUs: 9_500 })]);
      const [e] = await store.upsert([service('acme', 'frontend', { firstSeenUs: 1_000, lastSeenUs: 2_000 })]);
      t.equal(e.firstSeenUs, 1_000);
      t.equal(e.lastSeenUs, 9_500);
      const big = 1_767_225_600_123_456; // µs in 2026: beyond 2^31 and 2^32, below 2^53
      const [late] = await store.upsert([service('acme', 'frontend', { firstSeenUs: big, lastSeenUs: big })]);
      t.equal(late.lastSeenUs, big, 'µs timestamps round-trip exactly');
    });

    t.test('writes of one id inside a batch merge in order', async (t) => {
      const { store } = await factory(t);
      const stored = await store.upsert([
        service('acme', 'frontend', { attributes: { a: '1' }, firstSeenUs: 30, lastSeenUs: 30 }),
        service('acme', 'customer'),
        service('acme', 'frontend', { attributes: { a: '2', b: '3' }, firstSeenUs: 10, lastSeenUs: 20 }),
      ]);
      t.equal(stored[0], stored[2], 'the merged entity at each position of the id');
      t.same(stored[0].attributes, { a: '2', b: '3', FQN: 'frontend' });
      t.same([stored[0].firstSeenUs, stored[0].lastSeenUs], [10, 30]);
      t.equal(await store.count('acme', 'SERVICE'), 2);
    });

    t.test('a repeated upsert changes nothing', async (t) => {
      const { store } = await factory(t);
      const batch = [service('acme', 'frontend', { attributes: { service_type: 'JAEGER_SERVICE' } }), backend('acme', 'db', '5432')];
      const first = await store.upsert(batch);
      const again = await store.upsert(batch);
      t.same(again, first);
      t.same(await store.list('acme', 'SERVICE', { limit: 10 }), [first[0]]);
      t.equal(await store.count('acme', 'BACKEND'), 1);
    });

    t.test('get answers only the ids that exist; a missing id is an absence, not an error', async (t) => {
      const { store } = await factory(t);
      const [e] = await store.upsert([service('acme', 'frontend')]);
      const missing = entityId('acme', 'SERVICE', { FQN: 'nobody' });
      const found = await store.get('acme', [e.id, missing, 'not-a-uuid']);
      t.same([...found.keys()], [e.id]);
      t.equal((await store.get('acme', [missing])).size, 0);
      t.equal((await store.get('acme', [])).size, 0);
    });

    t.test('tenants never see each other’s entities', async (t) => {
      const { store } = await factory(t);
      const [a] = await store.upsert([service('acme', 'frontend', { attributes: { team: 'a' } })]);
      const [g] = await store.upsert([service('globex', 'frontend', { attributes: { team: 'g' } })]);
      t.not(a.id, g.id, 'the tenant is part of the id');
      t.equal((await store.get('globex', [a.id])).size, 0);
      t.same(names(await store.list('globex', 'SERVICE', { limit: 10 })), ['frontend']);
      t.equal((await store.list('globex', 'SERVICE', { limit: 10 }))[0].attributes.team, 'g');
      t.equal(await store.count('initech', 'SERVICE'), 0);
    });

    t.test('list pages through one type in name order, and count agrees', async (t) => {
      const { store } = await factory(t);
      const svc = service('acme', 'checkout');
      const apis = ['GET /users/{id}', 'POST /cart', 'GET /cart', 'DELETE /cart/{id}', 'GET /health'].map((p) => api('acme', svc.id, p));
      await store.upsert([svc, ...apis, backend('acme', 'cache', '6379')]);
      const sorted = apis.map((a) => a.name).sort();
      const pages: string[][] = [];
      for (let offset = 0; offset < 6; offset += 2) pages.push(names(await store.list('acme', 'API', { limit: 2, offset })));
      t.same(pages, [sorted.slice(0, 2), sorted.slice(2, 4), sorted.slice(4)]);
      t.equal(await store.count('acme', 'API'), 5);
      t.same(names(await store.list('acme', 'BACKEND', { limit: 10 })), ['cache:6379'], 'other types stay out');
      t.same(await store.list('acme', 'API', { limit: 10, offset: 5 }), []);
    });

    t.test('list and count filter by attribute values and by when entities were seen', async (t) => {
      const { store } = await factory(t);
      const svc = service('acme', 'checkout');
      await store.upsert([
        api('acme', svc.id, 'GET /cart', { attributes: { http_method: 'GET', SERVICE_NAME: 'checkout' }, firstSeenUs: 100, lastSeenUs: 200 }),
        api('acme', svc.id, 'POST /cart', { attributes: { http_method: 'POST', SERVICE_NAME: 'checkout' }, firstSeenUs: 300, lastSeenUs: 400 }),
        api('acme', svc.id, 'GET /health', { attributes: { http_method: 'GET', SERVICE_NAME: 'ops' }, firstSeenUs: 500, lastSeenUs: 600 }),
      ]);
      const byMethod = { attributes: { http_method: 'GET' } };
      t.same(names(await store.list('acme', 'API', { limit: 10, ...byMethod })), ['GET /cart', 'GET /health']);
      t.equal(await store.count('acme', 'API', { attributes: { http_method: 'GET', SERVICE_NAME: 'checkout' } }), 1, 'every attribute must match');
      t.equal(await store.count('acme', 'API', { attributes: { http_method: 'PATCH' } }), 0);
      t.same(names(await store.list('acme', 'API', { limit: 10, seenBetween: { fromUs: 200, toUs: 500 } })), ['GET /cart', 'POST /cart'], 'overlapping [200, 500)');
      t.equal(await store.count('acme', 'API', { ...byMethod, seenBetween: { fromUs: 0, toUs: 150 } }), 1);
    });

    t.test('values with quotes, backslashes, braces and non-ASCII text round-trip', async (t) => {
      const { store } = await factory(t);
      const odd = 'a "quoted", {braced} \\ back\\slash, Zoë 🚀 𝄞 \'single\' NULL';
      const [e] = await store.upsert([service('テナント-ü', `svc ${odd}`, { attributes: { [`key ${odd}`]: odd, empty_key_next: 'v' } })]);
      const [read] = [...(await store.get('テナント-ü', [e.id])).values()];
      t.equal(read.identifying.FQN, `svc ${odd}`);
      t.equal(read.attributes[`key ${odd}`], odd);
      t.same(names(await store.list('テナント-ü', 'SERVICE', { limit: 1, attributes: { [`key ${odd}`]: odd } })), [`svc ${odd}`]);
    });

    t.test('a batch of thousands upserts in one call', async (t) => {
      const { store } = await factory(t);
      const writes = Array.from({ length: 3000 }, (_, i) => backend('acme', `host-${i}.internal`, String(1000 + (i % 50))));
      const stored = await store.upsert(writes);
      t.equal(stored.length, 3000);
      t.ok(stored.every((e, i) => e.id === writes[i].id));
      t.equal(await store.count('acme', 'BACKEND'), 3000);
      const found = await store.get('acme', writes.slice(0, 1000).map((w) => w.id));
      t.equal(found.size, 1000);
    });

    t.test('a write whose id or identifying attributes are wrong is refused as INVALID_ARGUMENT', async (t) => {
      const { store } = await factory(t);
      const good = service('acme', 'frontend');
      t.equal(await codeOf(store.upsert([{ ...good, id: entityId('acme', 'SERVICE', { FQN: 'other' }) }])), 'INVALID_ARGUMENT');
      t.equal(await codeOf(store.upsert([good, { ...good, identifying: { FQN: 'frontend', extra: 'x' } }])), 'INVALID_ARGUMENT');
      t.equal(await codeOf(store.upsert([{ ...good, type: 'POD' as EntityType }])), 'INVALID_ARGUMENT');
      t.equal(await codeOf(store.upsert([{ ...good, firstSeenUs: 10, lastSeenUs: 5 }])), 'INVALID_ARGUMENT');
      t.equal(await codeOf(store.list('acme', 'SERVICE', { limit: 0 })), 'INVALID_ARGUMENT');
      t.equal(await store.count('acme', 'SERVICE'), 0, 'nothing of a refused batch is stored');
    });

    t.test('init is safe on a store that already holds entities', async (t) => {
      const { store } = await factory(t);
      await store.upsert([service('acme', 'frontend')]);
      await store.init();
      await store.init();
      t.equal(await store.count('acme', 'SERVICE'), 1);
    });

    t.test('a closed store refuses with UNAVAILABLE', async (t) => {
      const { store } = await factory(t);
      await store.close();
      t.equal(await codeOf(store.upsert([service('acme', 'frontend')])), 'UNAVAILABLE');
      t.equal(await codeOf(store.get('acme', [service('acme', 'frontend').id])), 'UNAVAILABLE');
      await store.close();
    });
  });
}
