// The DuckDB entity store: the conformance suite on an in-memory database, and how it shares a
// database file with the view store.

import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { entityId } from '../../src/enrich/entity.ts';
import { openDuckDbEntityStore } from '../../src/store/duckdb/entityStore.ts';
import type { EntityStore, EntityWrite } from '../../src/store/entities.ts';
import { entityStoreConformance } from './entitystore.conformance.ts';

entityStoreConformance(t, 'DuckDB', async (t) => {
  const instance = await DuckDBInstance.create(':memory:');
  const stores: EntityStore[] = [];
  const open = async () => {
    const store = await openDuckDbEntityStore({ instance });
    stores.push(store);
    return store;
  };
  t.teardown(async () => {
    for (const s of stores) await s.close();
    instance.closeSync();
  });
  return { store: await open(), peer: open };
});

const frontend = (seenUs: number): EntityWrite => ({
  id: entityId('acme', 'SERVICE', { FQN: 'frontend' }),
  tenant: 'acme',
  type: 'SERVICE',
  name: 'frontend',
  identifying: { FQN: 'frontend' },
  attributes: { service_type: 'JAEGER_SERVICE' },
  firstSeenUs: seenUs,
  lastSeenUs: seenUs,
});

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-entities-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('stores opened on one file path share one database and survive a reopen', async (t) => {
  const path = join(await tempDir(t), 'tessera.duckdb');
  const a = await openDuckDbEntityStore({ path });
  const b = await openDuckDbEntityStore({ path });
  await a.upsert([frontend(10)]);
  t.equal(await b.count('acme', 'SERVICE'), 1, 'a write through one is read through the other');
  await a.close();
  await b.upsert([frontend(20)]);
  await b.close();
  const reopened = await openDuckDbEntityStore({ path });
  t.teardown(() => reopened.close());
  const [e] = await reopened.list('acme', 'SERVICE', { limit: 10 });
  t.same([e.firstSeenUs, e.lastSeenUs], [10, 20], 'both writes were durable in the file');
});

t.test('a store on a given instance leaves the instance open when it closes', async (t) => {
  const instance = await DuckDBInstance.create(':memory:');
  t.teardown(() => instance.closeSync());
  const store = await openDuckDbEntityStore({ instance });
  await store.upsert([frontend(10)]);
  await store.close();
  const conn = await instance.connect();
  t.teardown(() => conn.closeSync());
  const rows = await conn.runAndReadAll('SELECT count(*) FROM entities');
  t.equal(Number(rows.getRows()[0][0]), 1, 'the instance still answers');
});

t.test('the schema version is recorded, so a reopen migrates nothing twice', async (t) => {
  const instance = await DuckDBInstance.create(':memory:');
  t.teardown(() => instance.closeSync());
  const first = await openDuckDbEntityStore({ instance });
  const second = await openDuckDbEntityStore({ instance });
  t.teardown(async () => {
    await first.close();
    await second.close();
  });
  const conn = await instance.connect();
  t.teardown(() => conn.closeSync());
  const rows = await conn.runAndReadAll("SELECT version FROM tessera_migrations WHERE component = 'entities'");
  t.same(rows.getRows().map(([v]) => Number(v)), [1]);
});
