// The PostgreSQL view store runs the ViewStore conformance suite on a private database of the
// machine's PostgreSQL (test/helpers/postgres.ts: never skipped; it fails when the server is
// unreachable), plus what only PostgreSQL has: text that cannot hold U+0000, several nodes on
// one database, schema upgrades, an unreachable server, and its SQL renderer.
import t from 'tap';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { TesseraError } from '../../src/errors.ts';
import { createPgPool } from '../../src/store/postgres/pool.ts';
import { renderPgQuery } from '../../src/store/postgres/sql.ts';
import { openPostgresViewStore } from '../../src/store/postgres/viewStore.ts';
import { VIEW_MIGRATIONS } from '../../src/store/postgres/viewDdl.ts';
import type { ViewQuery } from '../../src/store/query.ts';
import { VIEWS } from '../../src/views/schema.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { viewStoreConformance } from './viewstore.conformance.ts';
import { T0, expectedView, hexId, makeSpan, readView, rowsOf, tracesFor } from './viewstore-fixtures.ts';

viewStoreConformance(t, 'postgres', async (t) => {
  const { url } = await createTestDatabase(t);
  return openPostgresViewStore({ url, max: 3 });
});

t.test('U+0000, which PostgreSQL text cannot hold, is stored as U+FFFD; quotes and backslashes exactly', async (t) => {
  const { url } = await createTestDatabase(t);
  const store = await openPostgresViewStore({ url, max: 2 });
  t.teardown(() => store.close());
  const awkward = `it's "quoted" \\ {a,b} NULL \t\n`;
  const span = makeSpan({
    tenant: 'acme', traceId: 'd4'.repeat(16), spanId: hexId(1), name: `op\u0000${awkward}`, serviceName: 'svc',
    attributes: { 'k\u0000ey': 'v\u0000al', awkward },
    events: [{ timeUs: T0, name: 'e', attributes: { message: 'm\u0000' } }],
  });
  await store.replaceTraces([await rowsOf([span])]);
  const r = await store.query({
    view: 'spanEventView', tenant: 'acme', limit: 1,
    select: [{ as: 'name', ref: { column: 'event_name' } }, { as: 'tags', ref: { column: 'tags' } }],
    where: [],
  });
  t.same(r.rows, [{ name: `op\uFFFD${awkward}`, tags: { 'k\uFFFDey': 'v\uFFFDal', awkward } }]);
  const logs = await store.query({ view: 'logEventView', tenant: 'acme', limit: 1, select: [{ as: 's', ref: { column: 'summary' } }], where: [] });
  t.same(logs.rows, [{ s: 'm\uFFFD' }]);
  const spans = await store.storedSpans([{ tenant: 'acme', traceId: span.traceId }]);
  t.same([...spans.values()][0][0].attributes, span.attributes, 'the stored span batch keeps the original text');
});

t.test('two nodes writing the same trace at once leave exactly one copy of it', async (t) => {
  const { url } = await createTestDatabase(t);
  const nodes = await Promise.all([openPostgresViewStore({ url, max: 2 }), openPostgresViewStore({ url, max: 2 })]);
  t.teardown(async () => {
    for (const n of nodes) await n.close();
  });
  const [a] = tracesFor('acme');
  const rows = await rowsOf(a);
  for (let round = 0; round < 5; round++) {
    const results = await Promise.allSettled(nodes.map((n) => n.replaceTraces([rows])));
    for (const [k, r] of results.entries()) {
      if (r.status === 'fulfilled') continue;
      t.ok(r.reason instanceof TesseraError && r.reason.code === 'UNAVAILABLE', 'the loser is told to retry');
      await nodes[k].replaceTraces([rows]);
    }
    for (const view of VIEWS) t.same(await readView(nodes[round % 2], view.name, 'acme'), expectedView(rows.views[view.name], view.name), `round ${round}: ${view.name}`);
  }
  const pool = createPgPool({ url, max: 1 });
  t.teardown(() => pool.end());
  const versions = await pool.query("SELECT version FROM tessera_migrations WHERE component = 'views'");
  t.same(versions.rows.map((r) => r.version).sort(), VIEW_MIGRATIONS.map((m) => m.version), 'the schema was created once');
});

t.test('a database an older build made gains the columns this build adds', async (t) => {
  const { url } = await createTestDatabase(t);
  const first = await openPostgresViewStore({ url, max: 1 });
  await first.close();
  const pool = createPgPool({ url, max: 1 });
  t.teardown(() => pool.end());
  await pool.query('ALTER TABLE "spanEventView" DROP COLUMN duration_micros, DROP COLUMN api_callee_name_count');
  const store = await openPostgresViewStore({ url, max: 2 });
  t.teardown(() => store.close());
  const written = await Promise.all(tracesFor('acme').map((spans) => rowsOf(spans)));
  await store.replaceTraces(written);
  t.same(await readView(store, 'spanEventView', 'acme'), expectedView(written.flatMap((r) => r.views.spanEventView), 'spanEventView'));
});

t.test('an unreachable server is UNAVAILABLE, which callers retry', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const err = await openPostgresViewStore({ url: `postgres://postgres@127.0.0.1:${port}/none`, connectTimeoutMs: 2000, logger: pino({ level: 'silent' }) }).catch((e: unknown) => e);
  t.ok(err instanceof TesseraError && err.code === 'UNAVAILABLE' && err.retryable, `a retryable coded error: ${String(err)}`);
});

const HOSTILE = [`x'; DROP TABLE "spanEventView"; --`, `a"b`, `back\\slash`, `%_? :p $1`, `ünï "code" '`];

t.test('values never appear in the SQL text, only as parameters', async (t) => {
  for (const v of HOSTILE) {
    const q: ViewQuery = {
      view: 'spanEventView', tenant: v, limit: 5,
      select: [{ as: 'm', ref: { column: 'tags', key: v } }],
      where: [
        { op: 'eq', ref: { column: 'service_name' }, value: v },
        { op: 'in', ref: { column: 'tags', key: v }, values: [v, `${v}2`] },
        { op: 'regex', ref: { column: 'event_name' }, pattern: v },
        { op: 'containsKey', column: 'tags', key: v },
        { op: 'containsKeyLike', column: 'tags', pattern: v },
      ],
      orderBy: [{ ref: { column: 'tags', key: v }, direction: 'DESC' }],
      withTotal: true,
    };
    const r = renderPgQuery(q);
    t.notOk(r.sql.includes(v), `the rows SQL holds no ${JSON.stringify(v)}`);
    t.notOk(r.count!.sql.includes(v), `the count SQL holds no ${JSON.stringify(v)}`);
    t.ok(r.params.includes(v), 'the value travels as a parameter');
    const placeholders = new Set([...r.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    t.same([...placeholders].sort((a, b) => a - b), r.params.map((_, i) => i + 1), 'every parameter has its placeholder');
  }
});

t.test('hostile values and map keys match exactly in a real store', async (t) => {
  const { url } = await createTestDatabase(t);
  const store = await openPostgresViewStore({ url, max: 2 });
  t.teardown(() => store.close());
  const spans = HOSTILE.map((v, i) => makeSpan({ tenant: v, traceId: 'c3'.repeat(16), spanId: hexId(i + 1), serviceName: v, attributes: { [v]: v, plain: 'p' } }));
  await store.replaceTraces(await Promise.all(spans.map((s) => rowsOf([s]))));
  for (const [i, v] of HOSTILE.entries()) {
    const r = await store.query({
      view: 'spanEventView', tenant: v, limit: 10, withTotal: true,
      select: [{ as: 'id', ref: { column: 'span_id' } }, { as: 'm', ref: { column: 'tags', key: v } }],
      where: [{ op: 'eq', ref: { column: 'service_name' }, value: v }, { op: 'containsKey', column: 'tags', key: v }],
    });
    t.same(r.rows, [{ id: hexId(i + 1), m: v }], `tenant, column and map key ${JSON.stringify(v)}`);
  }
});
