// The PostgreSQL entity store: the conformance suite on a private database of the machine's
// PostgreSQL, plus what only a shared server has: several nodes migrating and upserting at once,
// and an unreachable server.

import t from 'tap';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { entityId } from '../../src/enrich/entity.ts';
import { TesseraError } from '../../src/errors.ts';
import { openPgEntityStore } from '../../src/store/postgres/entityStore.ts';
import { createPgPool } from '../../src/store/postgres/pool.ts';
import type { EntityStore, EntityWrite } from '../../src/store/entities.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { entityStoreConformance } from './entitystore.conformance.ts';

entityStoreConformance(t, 'PostgreSQL', async (t) => {
  const { url } = await createTestDatabase(t);
  const stores: EntityStore[] = [];
  const open = async () => {
    const store = await openPgEntityStore({ url, max: 2 });
    stores.push(store);
    return store;
  };
  t.teardown(async () => {
    for (const s of stores) await s.close();
  });
  return { store: await open(), peer: open };
});

const backend = (host: string, attributes: Record<string, string>, seenUs: number): EntityWrite => {
  const identifying = { BACKEND_PROTOCOL: 'HTTP', BACKEND_HOST: host, BACKEND_PORT: '-1' };
  return {
    id: entityId('acme', 'BACKEND', identifying),
    tenant: 'acme',
    type: 'BACKEND',
    name: host,
    identifying,
    attributes,
    firstSeenUs: seenUs,
    lastSeenUs: seenUs,
  };
};

t.test('nodes starting together migrate once and upsert the same entities concurrently', async (t) => {
  const { url } = await createTestDatabase(t);
  const nodes = await Promise.all(Array.from({ length: 4 }, () => openPgEntityStore({ url, max: 2 })));
  t.teardown(async () => {
    for (const n of nodes) await n.close();
  });
  const hosts = Array.from({ length: 50 }, (_, i) => `api-${i}.example.com`);
  await Promise.all(nodes.map((n, k) => n.upsert(hosts.map((h) => backend(h, { [`node${k}`]: 'yes' }, 1000 + k)))));
  t.equal(await nodes[0].count('acme', 'BACKEND'), 50, 'one row per entity');
  const [e] = await nodes[1].list('acme', 'BACKEND', { limit: 1 });
  t.same(
    Object.keys(e.attributes).filter((k) => k.startsWith('node')).sort(),
    ['node0', 'node1', 'node2', 'node3'],
    'every node’s attributes merged, none lost',
  );
  t.same([e.firstSeenUs, e.lastSeenUs], [1000, 1003]);
  const pool = createPgPool({ url, max: 1 });
  t.teardown(() => pool.end());
  const versions = await pool.query("SELECT version FROM tessera_migrations WHERE component = 'entities'");
  t.same(versions.rows.map((r) => r.version), [1]);
});

t.test('a NUL character, which PostgreSQL text cannot hold, is stored as U+FFFD', async (t) => {
  const { url } = await createTestDatabase(t);
  const store = await openPgEntityStore({ url, max: 1 });
  t.teardown(() => store.close());
  const [e] = await store.upsert([backend('nul.example.com', { note: 'a\u0000b' }, 5)]);
  t.equal(e.attributes.note, 'a\uFFFDb');
  t.equal(e.id, backend('nul.example.com', {}, 5).id, 'the id is the one of the original attributes');
});

t.test('an unreachable server is UNAVAILABLE, which callers retry', async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const err = await openPgEntityStore({ url: `postgres://postgres@127.0.0.1:${port}/none`, connectTimeoutMs: 2000, logger: pino({ level: 'silent' }) }).catch(
    (e: unknown) => e,
  );
  t.ok(err instanceof TesseraError, 'a coded error');
  t.equal((err as TesseraError).code, 'UNAVAILABLE');
  t.equal((err as TesseraError).retryable, true);
});

t.test('a database migrated by a newer build is refused as CONFIG, not changed', async (t) => {
  const { url } = await createTestDatabase(t);
  const first = await openPgEntityStore({ url, max: 1 });
  await first.close();
  const pool = createPgPool({ url, max: 1 });
  t.teardown(() => pool.end());
  await pool.query("INSERT INTO tessera_migrations (component, version, name) VALUES ('entities', 99, 'from the future')");
  const err = await openPgEntityStore({ url, max: 1 }).catch((e: unknown) => e);
  t.equal((err as TesseraError).code, 'CONFIG');
  const versions = await pool.query("SELECT version FROM tessera_migrations WHERE component = 'entities' ORDER BY version");
  t.same(versions.rows.map((r) => r.version), [1, 99]);
});
