// Enrichment through the actor resolver over the real stores: the HotROD golden trace on DuckDB
// and on two "nodes" sharing one PostgreSQL database, and the steady-state cache hit rate over
// loadgen traces.

import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { startActorSystem, stopActorSystem } from '../../src/actors/runtime.ts';
import { startEntityResolver, type ActorEntityResolver } from '../../src/actors/entityResolver.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import type { EntityResolver } from '../../src/enrich/entity.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { decodeJaegerUiJson } from '../../src/ingest/jaeger-ui-json.ts';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import type { AssembledTrace } from '../../src/model/trace.ts';
import { openDuckDbEntityStore } from '../../src/store/duckdb/entityStore.ts';
import type { EntityStore } from '../../src/store/entities.ts';
import { openPgEntityStore } from '../../src/store/postgres/entityStore.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

const logger = pino({ level: 'silent' });
const hotrod = (): AssembledTrace => assembleTrace(decodeJaegerUiJson(readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url)), '__default'));

/** A node's entity side: its own actor system and resolver over `store`. */
function startNode(t: Test, store: EntityStore, name: string): ActorEntityResolver {
  const system = startActorSystem(`${name}-${Math.random().toString(36).slice(2)}`);
  const resolver = startEntityResolver(system, { store, logger });
  t.teardown(async () => {
    await resolver.close();
    stopActorSystem(system);
  });
  return resolver;
}

async function entitiesOf(resolver: EntityResolver, trace = hotrod()): Promise<string[]> {
  const enriched = await createDefaultEnrichment({ resolver, logger }).enrich(trace);
  return enriched.entities.map((e) => `${e.type} ${e.name} ${e.id}`).sort();
}

t.test('HotROD enriched through the actors on DuckDB finds the in-memory entities and stores them', async (t) => {
  const instance = await DuckDBInstance.create(':memory:');
  const store = await openDuckDbEntityStore({ instance });
  t.teardown(async () => {
    await store.close();
    instance.closeSync();
  });
  const resolver = startNode(t, store, 'hotrod');
  const expected = await entitiesOf(new MemoryEntityResolver());
  t.same(await entitiesOf(resolver), expected);
  t.same([await store.count('__default', 'SERVICE'), await store.count('__default', 'API'), await store.count('__default', 'BACKEND')], [4, 4, 2]);
  const upserts = resolver.stats().upserts;
  t.same(await entitiesOf(resolver), expected, 'the same trace again');
  t.equal(resolver.stats().upserts, upserts, 'answered from the cache: no store write');
  t.equal(resolver.stats().gets, 0, 'no store read either');
});

t.test('two nodes sharing one PostgreSQL database resolve the same entities to the same ids', async (t) => {
  const { url } = await createTestDatabase(t);
  const stores = await Promise.all([openPgEntityStore({ url, max: 2 }), openPgEntityStore({ url, max: 2 })]);
  t.teardown(async () => {
    for (const s of stores) await s.close();
  });
  const [a, b] = stores.map((s, i) => startNode(t, s, `node-${i}`));
  const [fromA, fromB] = await Promise.all([entitiesOf(a), entitiesOf(b)]);
  t.same(fromA, fromB);
  t.same(fromA, await entitiesOf(new MemoryEntityResolver()));
  t.equal(await stores[0].count('__default', 'API'), 4, 'one row per entity, whichever node wrote first');
  const services = await stores[1].list('__default', 'SERVICE', { limit: 10 });
  t.same(services.map((s) => s.name), ['customer', 'driver', 'frontend', 'route']);
  t.ok(services.every((s) => s.attributes.service_type === 'JAEGER_SERVICE'));
});

t.test('the cache hit rate over loadgen traces is at least 99 % in steady state', async (t) => {
  const instance = await DuckDBInstance.create(':memory:');
  const store = await openDuckDbEntityStore({ instance });
  t.teardown(async () => {
    await store.close();
    instance.closeSync();
  });
  const resolver = startNode(t, store, 'loadgen');
  const enrichment = createDefaultEnrichment({ resolver, logger });
  const gen = new TraceGenerator({ seed: 'entities' });
  const nowUs = 1_700_000_000_000_000;
  const enrich = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const { spans } = decodeOtlpProto(encodeOtlpProto(gen.next(nowUs + i * 1000).spans), 'acme');
      await enrichment.enrich(assembleTrace(spans));
    }
  };
  await enrich(200);
  const warm = resolver.stats();
  await enrich(300);
  const after = resolver.stats();
  const hits = after.hits - warm.hits;
  const misses = after.misses - warm.misses;
  t.ok(hits > 1000, `${hits} hits`);
  t.ok(hits / (hits + misses) >= 0.99, `steady-state hit rate ${((100 * hits) / (hits + misses)).toFixed(2)} % (${misses} misses)`);
});
