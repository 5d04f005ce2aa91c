// The EntityResolver on EntityActors over a real (in-memory DuckDB) EntityStore, wrapped to count
// and steer store calls: hits cost none, misses are batched, failures reach the caller.

import t, { type Test } from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { startActorSystem, stopActorSystem } from '../../src/actors/runtime.ts';
import { startEntityResolver, compileEntityResolverOptions, type EntityResolverOptions } from '../../src/actors/entityResolver.ts';
import { entityId, type EntityRequest } from '../../src/enrich/entity.ts';
import { TesseraError } from '../../src/errors.ts';
import { openDuckDbEntityStore } from '../../src/store/duckdb/entityStore.ts';
import type { EntityFilter, EntityListOptions, EntityStore, EntityType, EntityWrite, StoredEntity } from '../../src/store/entities.ts';
import { waitFor } from '../helpers/wait.ts';
import { codeOf } from '../helpers/errors.ts';

/** Counts store calls; can fail the next ones or hold upserts until released. */
class SteeredStore implements EntityStore {
  readonly upserts: EntityWrite[][] = [];
  readonly gets: string[][] = [];
  failNext = 0;
  private gate: Promise<void> | undefined;
  private open: () => void = () => undefined;

  constructor(private readonly inner: EntityStore) {}

  /** Upserts wait until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.gate = undefined;
    this.open();
  }

  init = () => this.inner.init();
  async upsert(entities: readonly EntityWrite[]): Promise<StoredEntity[]> {
    this.upserts.push([...entities]);
    if (this.failNext > 0) {
      this.failNext--;
      throw new TesseraError('UNAVAILABLE', 'the store is down (test)');
    }
    await this.gate;
    return this.inner.upsert(entities);
  }
  async get(tenant: string, ids: readonly string[]): Promise<Map<string, StoredEntity>> {
    this.gets.push([...ids]);
    if (this.failNext > 0) {
      this.failNext--;
      throw new TesseraError('UNAVAILABLE', 'the store is down (test)');
    }
    return this.inner.get(tenant, ids);
  }
  list = (tenant: string, type: EntityType, o: EntityListOptions) => this.inner.list(tenant, type, o);
  count = (tenant: string, type: EntityType, f?: EntityFilter) => this.inner.count(tenant, type, f);
  close = () => this.inner.close();
}

async function setup(t: Test, options: Partial<EntityResolverOptions> = {}) {
  const instance = await DuckDBInstance.create(':memory:');
  const inner = await openDuckDbEntityStore({ instance });
  const store = new SteeredStore(inner);
  const system = startActorSystem(`entities-${Math.random().toString(36).slice(2)}`);
  const resolver = startEntityResolver(system, { store, logger: pino({ level: 'silent' }) }, { shards: 1, ...options });
  t.teardown(async () => {
    store.release();
    await resolver.close();
    stopActorSystem(system);
    await inner.close();
    instance.closeSync();
  });
  return { store, resolver, inner };
}

const T0 = 1_700_000_000_000_000;
const service = (name: string, seenUs = T0, attributes: Record<string, string> = { service_type: 'JAEGER_SERVICE' }): EntityRequest => ({
  tenant: 'acme',
  type: 'SERVICE',
  identifying: { FQN: name },
  attributes,
  name,
  seenUs,
});
const isPromise = (v: unknown): boolean => typeof (v as { then?: unknown })?.then === 'function';
const written = (store: SteeredStore): number => store.upserts.reduce((n, b) => n + b.length, 0);


t.test('a cache hit answers synchronously and costs no store call', async (t) => {
  const { store, resolver } = await setup(t);
  const first = resolver.resolve(service('frontend'));
  t.ok(isPromise(first), 'a miss waits for the store');
  const created = await first;
  t.equal(created.id, entityId('acme', 'SERVICE', { FQN: 'frontend' }));
  t.equal(store.upserts.length, 1);
  const again = resolver.resolve(service('frontend'));
  t.notOk(isPromise(again), 'a hit is no promise');
  t.equal(again, created, 'the cached entity');
  const all = resolver.resolveAll([service('frontend'), service('frontend')]);
  t.notOk(isPromise(all));
  t.equal(store.upserts.length, 1, 'no upsert for hits');
  t.equal(store.gets.length, 0, 'no read either');
  t.equal(resolver.stats().hits, 3);
});

t.test('misses that arrive together cost one upsert', async (t) => {
  const { store, resolver } = await setup(t);
  const batch = await resolver.resolveAll(Array.from({ length: 20 }, (_, i) => service(`svc-${i}`)));
  t.equal(store.upserts.length, 1, 'one resolveAll, one upsert');
  t.same(batch.map((e) => e.name), Array.from({ length: 20 }, (_, i) => `svc-${i}`), 'answers in request order');
  const separate = await Promise.all(Array.from({ length: 15 }, (_, i) => resolver.resolve(service(`other-${i}`))));
  t.equal(store.upserts.length, 2, '15 resolve calls in one tick, one more upsert');
  t.equal(store.upserts[1].length, 15);
  t.equal(new Set(separate.map((e) => e.id)).size, 15);
});

t.test('concurrent requests for the same missing entity cost one write', async (t) => {
  const { store, resolver } = await setup(t);
  store.hold();
  const together = Array.from({ length: 10 }, () => resolver.resolve(service('frontend')));
  await waitFor(() => store.upserts.length === 1, { what: 'the first upsert' });
  const whileWriting = resolver.resolve(service('frontend'));
  store.release();
  const all = await Promise.all([...together, whileWriting]);
  t.equal(new Set(all.map((e) => e.id)).size, 1);
  t.equal(store.upserts.length, 1, 'a request arriving during the write waits on it');
  t.equal(written(store), 1, 'one entity written once');
});

t.test('sharded actors write each entity once and answer each request', async (t) => {
  const { store, resolver } = await setup(t, { shards: 4 });
  const requests = Array.from({ length: 40 }, (_, i) => service(`svc-${i % 25}`));
  const entities = await resolver.resolveAll(requests);
  t.same(entities.map((e) => e.name), requests.map((r) => r.name));
  t.ok(store.upserts.length >= 1 && store.upserts.length <= 4, 'at most one upsert per shard');
  t.equal(written(store), 25, 'each distinct entity written once');
  t.equal(resolver.stats().cached, 25);
});

t.test('a store failure reaches the caller as its coded error, and the next request retries', async (t) => {
  const { store, resolver } = await setup(t);
  store.failNext = 1;
  t.equal(await codeOf(resolver.resolve(service('frontend'))), 'UNAVAILABLE');
  t.equal(resolver.stats().cached, 0, 'nothing cached from a failed write');
  const e = await resolver.resolve(service('frontend'));
  t.equal(e.name, 'frontend');
  t.equal(store.upserts.length, 2, 'retried with a new write');
  t.equal(resolver.stats().failures, 1);
});

t.test('the cache holds at most cacheSize entities', async (t) => {
  const { store, resolver } = await setup(t, { cacheSize: 8 });
  for (let i = 0; i < 30; i++) await resolver.resolve(service(`svc-${i}`));
  t.ok(resolver.stats().cached <= 8, `cached ${resolver.stats().cached}`);
  const upserts = store.upserts.length;
  t.notOk(isPromise(resolver.resolve(service('svc-29'))), 'a recent one is still a hit');
  const evicted = resolver.resolve(service('svc-0'));
  t.ok(isPromise(evicted), 'the oldest was evicted');
  t.equal((await evicted).name, 'svc-0');
  t.equal(store.upserts.length, upserts + 1);
});

t.test('the same identifying attributes in another order, or with separator characters, resolve by their own id', async (t) => {
  const { store, resolver } = await setup(t);
  const api = (identifying: Record<string, string>): EntityRequest => ({ tenant: 'acme', type: 'API', identifying, attributes: {}, name: identifying.API_URL_PATTERN });
  const a = await resolver.resolve(api({ API_URL_PATTERN: 'GET /a', SERVICE_ID: 's1', API_TYPE: 'OPERATION_NAME' }));
  const reordered = resolver.resolve(api({ API_TYPE: 'OPERATION_NAME', SERVICE_ID: 's1', API_URL_PATTERN: 'GET /a' }));
  t.equal(reordered, a, 'a hit on the same entity');
  // Values that would run together if the parts of a key were simply joined.
  const b = await resolver.resolve(api({ API_URL_PATTERN: 'GET /a\u0000s', SERVICE_ID: '1', API_TYPE: 'OPERATION_NAME' }));
  const c = await resolver.resolve(api({ API_URL_PATTERN: 'GET /a', SERVICE_ID: '\u0000s1', API_TYPE: 'OPERATION_NAME' }));
  for (const e of [a, b, c]) t.equal(e.id, entityId('acme', 'API', e.identifying));
  t.equal(new Set([a.id, b.id, c.id]).size, 3);
  t.equal(store.upserts.length, 3);
});

t.test('a cached entity is believed for cacheTtlMs, then upserted again to see what other nodes merged', async (t) => {
  const { store, resolver, inner } = await setup(t, { cacheTtlMs: 100 });
  await resolver.resolve(service('frontend'));
  const [stored] = await inner.list('acme', 'SERVICE', { limit: 1 });
  await inner.upsert([{ ...stored, attributes: { team: 'from another node' } }]);
  // waitFor awaits the first answer that is a promise: the upsert after expiry.
  const refreshed = await waitFor(() => {
    const e = resolver.resolve(service('frontend'));
    return isPromise(e) ? e : undefined;
  }, { what: 'the cached entity to expire' });
  t.equal(refreshed.attributes.team, 'from another node');
  t.equal(store.upserts.length, 2);
});

t.test('a new attribute value is written; the same values again are a hit', async (t) => {
  const { store, resolver, inner } = await setup(t);
  await resolver.resolve(service('frontend'));
  const changed = await resolver.resolve(service('frontend', T0, { service_type: 'JAEGER_SERVICE', team: 'web' }));
  t.equal(changed.attributes.team, 'web');
  t.equal(store.upserts.length, 2);
  t.notOk(isPromise(resolver.resolve(service('frontend', T0, { team: 'web' }))), 'nothing new: a hit');
  t.notOk(isPromise(resolver.resolve(service('frontend', T0, { team: '' }))), 'an empty value changes nothing');
  const [stored] = await inner.list('acme', 'SERVICE', { limit: 1 });
  t.equal(stored.attributes.team, 'web');
});

t.test('find answers known entities and remembers absences for absentTtlMs', async (t) => {
  const { store, resolver } = await setup(t, { absentTtlMs: 200 });
  const missing = entityId('acme', 'SERVICE', { FQN: 'mysql' });
  t.equal(await resolver.find('acme', missing), undefined);
  t.equal(store.gets.length, 1);
  t.equal(resolver.find('acme', missing), undefined, 'a remembered absence answers at once');
  t.equal(store.gets.length, 1);
  // Another node may create it: the absence is asked again once it is older than the TTL.
  const asked: unknown[] = [];
  await waitFor(() => (asked.push(resolver.find('acme', missing)), store.gets.length === 2), { what: 'the absence to expire' });
  t.same(await Promise.all(asked), asked.map(() => undefined), 'still absent');
  const e = await resolver.resolve(service('mysql'));
  t.equal(resolver.find('acme', e.id), e, 'created here: found without a store call');
  t.equal(await resolver.find('globex', e.id), undefined, 'never across tenants');
});

t.test('finds that arrive together cost one read', async (t) => {
  const { store, resolver, inner } = await setup(t);
  const [known] = await inner.upsert([{ ...service('known'), id: entityId('acme', 'SERVICE', { FQN: 'known' }), firstSeenUs: T0, lastSeenUs: T0 }]);
  const ids = [known.id, ...Array.from({ length: 9 }, (_, i) => entityId('acme', 'SERVICE', { FQN: `ghost-${i}` }))];
  const found = await Promise.all(ids.map((id) => resolver.find('acme', id)));
  t.equal(store.gets.length, 1);
  t.same(found.map((e) => e?.name), ['known', ...new Array(9).fill(undefined)]);
  t.equal(resolver.resolve(service('known')), found[0], 'a found entity is cached for resolve too');
});

t.test('a later sighting is written behind: the hit itself costs no store call', async (t) => {
  const { store, resolver, inner } = await setup(t, { seenResolutionMs: 1000, touchFlushMs: 20 });
  await resolver.resolve(service('frontend', T0));
  const later = resolver.resolve(service('frontend', T0 + 5_000_000));
  t.notOk(isPromise(later), 'answered from the cache');
  // The wrapping store counts an upsert when it is called; wait for the write itself to land.
  const stored = await waitFor(async () => {
    const [s] = await inner.list('acme', 'SERVICE', { limit: 1 });
    return s && s.lastSeenUs === T0 + 5_000_000 ? s : undefined;
  }, { what: 'the seen-time write' });
  t.same([stored.firstSeenUs, stored.lastSeenUs], [T0, T0 + 5_000_000]);
  t.equal(store.upserts.length, 2, 'one write for the later sighting');
  resolver.resolve(service('frontend', T0 + 5_500_000));
  await resolver.close();
  t.equal(store.upserts.length, 2, 'a sighting within the resolution writes nothing');
});

t.test('close writes pending sightings, then refuses with UNAVAILABLE', async (t) => {
  const { resolver, inner } = await setup(t, { seenResolutionMs: 0, touchFlushMs: 3_600_000 });
  await resolver.resolve(service('frontend', T0));
  resolver.resolve(service('frontend', T0 + 1));
  await resolver.close();
  const [stored] = await inner.list('acme', 'SERVICE', { limit: 1 });
  t.equal(stored.lastSeenUs, T0 + 1);
  t.equal(await codeOf(resolver.resolve(service('frontend'))), 'UNAVAILABLE');
});

t.test('more entities waiting for the store than maxPendingWrites are refused as RESOURCE_EXHAUSTED', async (t) => {
  const { store, resolver } = await setup(t, { maxPendingWrites: 5 });
  store.hold();
  const first = resolver.resolve(service('first'));
  await waitFor(() => store.upserts.length === 1, { what: 'the first upsert' });
  const flood = resolver.resolveAll(Array.from({ length: 10 }, (_, i) => service(`svc-${i}`)));
  t.equal(await codeOf(flood), 'RESOURCE_EXHAUSTED');
  store.release();
  t.equal((await first).name, 'first');
});

t.test('a store that does not answer in time is DEADLINE_EXCEEDED', async (t) => {
  const { store, resolver } = await setup(t, { resolveTimeoutMs: 100 });
  store.hold();
  t.equal(await codeOf(resolver.resolve(service('slow'))), 'DEADLINE_EXCEEDED');
});

t.test('options are checked once: a bad one is a CONFIG error naming it', async (t) => {
  const err = (() => {
    try {
      compileEntityResolverOptions({ shards: 0 });
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof TesseraError && err.code === 'CONFIG' && /shards/.test(err.message));
  t.throws(() => compileEntityResolverOptions({ cacheSize: 1, shards: 2 }), { code: 'CONFIG' });
  t.equal(compileEntityResolverOptions().shards, 2);
});
