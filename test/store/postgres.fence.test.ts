// The write fence of the PostgreSQL view store (ADR 010): a write carries the fencing tokens of
// the partition leases it was made under, and they are checked in its own transaction, so a
// node whose lease has passed to another cannot commit — even if it was paused between its
// local lease check and its COMMIT.
import t, { type Test } from 'tap';
import pg from 'pg';
import { TesseraError } from '../../src/errors.ts';
import { openPostgresViewStore } from '../../src/store/postgres/viewStore.ts';
import { createPgPool } from '../../src/store/postgres/pool.ts';
import { rawTraceView } from '../../src/views/schema.ts';
import { spawnViewWriter, type FlushReport, type WrittenReply } from '../../src/actors/viewWriter.ts';
import { spawnActor, startActorSystem, stopActorSystem, tell } from '../../src/actors/runtime.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { buildRowsOf } from '../../src/views/rows.ts';
import { pino } from 'pino';
import { createTestDatabase } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';
import { T0, hexId, makeSpan, readView, rowsOf } from './viewstore-fixtures.ts';

const TENANT = 'acme';
const span = (traceId: string, n: number, name = 'op') =>
  makeSpan({ tenant: TENANT, traceId, spanId: hexId(n), name, serviceName: 'svc', startUs: T0 + n, endUs: T0 + n + 10 });

async function openStore(t: Test) {
  const db = await createTestDatabase(t);
  const store = await openPostgresViewStore({ url: db.url, max: 3 });
  t.teardown(() => store.close());
  return { store, url: db.url };
}

const codeOf = (err: unknown) => (err instanceof TesseraError ? err.code : String(err));

t.test('a write with a stale token is refused (FENCED) and leaves nothing; the newer owner keeps its rows', async (t) => {
  const { store } = await openStore(t);
  const tr = 'f1'.repeat(16);
  const other = 'f2'.repeat(16);
  await store.replaceTraces([await rowsOf([span(tr, 1, 'new-owner')])], { fences: [{ partition: 3, token: 7 }] });
  // The old owner (token 6) wakes up and writes its version of the trace plus another one.
  const stale = store.replaceTraces([await rowsOf([span(tr, 1, 'old-owner'), span(tr, 2)]), await rowsOf([span(other, 3)])],
    { fences: [{ partition: 3, token: 6 }] });
  await t.rejects(stale, { code: 'FENCED' }, 'refused with FENCED');
  const rows = await readView(store, rawTraceView.name, TENANT);
  t.same(rows.map((r) => r.trace_id), [tr], 'the stale write added no trace');
  const spans = await store.storedSpans([{ tenant: TENANT, traceId: tr }]);
  t.same([...spans.values()][0].map((s) => s.name), ['new-owner'], "the newer owner's trace is unchanged");
});

t.test('equal and higher tokens write; each partition of a batch is checked', async (t) => {
  const { store } = await openStore(t);
  await store.replaceTraces([await rowsOf([span('a1'.repeat(16), 1)])], { fences: [{ partition: 0, token: 5 }, { partition: 1, token: 9 }] });
  await store.replaceTraces([await rowsOf([span('a2'.repeat(16), 2)])], { fences: [{ partition: 0, token: 5 }] });
  await store.replaceTraces([await rowsOf([span('a3'.repeat(16), 3)])], { fences: [{ partition: 0, token: 6 }] });
  await t.rejects(
    store.replaceTraces([await rowsOf([span('a4'.repeat(16), 4)])], { fences: [{ partition: 0, token: 6 }, { partition: 1, token: 8 }] }),
    { code: 'FENCED' }, 'one stale partition refuses the whole batch',
  );
  await t.rejects(
    store.replaceTraces([await rowsOf([span('a5'.repeat(16), 5)])], { fences: [{ partition: 0, token: 5 }] }),
    { code: 'FENCED' }, 'a token below one that wrote is refused',
  );
  const ids = (await readView(store, rawTraceView.name, TENANT)).map((r) => r.trace_id).sort();
  t.same(ids, ['a1'.repeat(16), 'a2'.repeat(16), 'a3'.repeat(16)]);
  await store.replaceTraces([await rowsOf([span('a6'.repeat(16), 6)])]);
  t.equal((await readView(store, rawTraceView.name, TENANT)).length, 4, 'a write without fences is not checked');
});

t.test('a newer owner that raises the fence while a stale write is open makes that write fail, not interleave', async (t) => {
  const { store, url } = await openStore(t);
  const tr = 'c1'.repeat(16);
  // The new owner (token 11) commits first, through a second store on the same database;
  // the stale write (token 10) runs after it, as a node paused past its lease would.
  const newer = await openPostgresViewStore({ url, max: 2 });
  t.teardown(() => newer.close());
  await store.replaceTraces([await rowsOf([span(tr, 1, 'first')])], { fences: [{ partition: 2, token: 10 }] });
  await newer.replaceTraces([await rowsOf([span(tr, 1, 'first'), span(tr, 2, 'by-new-owner')])], { fences: [{ partition: 2, token: 11 }] });
  await t.rejects(store.replaceTraces([await rowsOf([span(tr, 1, 'regressed')])], { fences: [{ partition: 2, token: 10 }] }),
    { code: 'FENCED' });
  const names = [...(await store.storedSpans([{ tenant: TENANT, traceId: tr }])).values()][0].map((s) => s.name).sort();
  t.same(names, ['by-new-owner', 'first'], 'the trace is as the new owner wrote it');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  t.teardown(() => c.end());
  const fence = await c.query<{ token: string }>('SELECT token FROM tessera_fences WHERE partition = 2');
  t.equal(Number(fence.rows[0].token), 11, 'the fence holds the highest token that wrote');
});

t.test('a write blocked behind an open transaction holding the fence row sees its commit', async (t) => {
  const { store, url } = await openStore(t);
  await store.replaceTraces([await rowsOf([span('d1'.repeat(16), 1)])], { fences: [{ partition: 4, token: 1 }] });
  // Another node's write in progress: the fence row raised to 2, not yet committed.
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  t.teardown(() => c.end());
  await c.query('BEGIN');
  await c.query('UPDATE tessera_fences SET token = 2 WHERE partition = 4');
  const stale = store.replaceTraces([await rowsOf([span('d2'.repeat(16), 2)])], { fences: [{ partition: 4, token: 1 }] }).then(() => 'written', codeOf);
  let settled = false;
  void stale.then(() => (settled = true));
  // It waits on the row lock: PostgreSQL shows a backend of this database waiting for a lock.
  const dbName = new URL(url).pathname.slice(1);
  await waitFor(async () => (await c.query(
    "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [dbName])).rowCount === 1,
  { timeoutMs: 30_000, what: 'the stale write to wait on the fence row' });
  t.equal(settled, false, 'waits for the other transaction');
  await c.query('COMMIT');
  t.equal(await stale, 'FENCED', 'then is refused against the committed token');
});

t.test('a writer paused inside its transaction does not hold the new owner back past the idle-in-transaction timeout', async (t) => {
  const { store, url } = await openStore(t);
  // The old owner (token 1) raised the fence row and was paused (SIGSTOP) before its COMMIT:
  // its session, opened through the same pool settings as the store's, sits idle in a transaction.
  const paused = createPgPool({ url, max: 1, idleInTransactionTimeoutMs: 1000 });
  paused.on('error', () => {});
  t.teardown(() => paused.end().catch(() => {}));
  const c = await paused.connect();
  // PostgreSQL's FATAL comes first, then the connection's end: both arrive as 'error'.
  const ended = new Promise<Error>((res) => c.on('error', res));
  await c.query('BEGIN');
  await c.query("INSERT INTO tessera_fences (partition, token) VALUES (5, 1) ON CONFLICT (partition) DO UPDATE SET token = 1");
  // The new owner (token 2) writes: it waits on the row lock until PostgreSQL ends the idle session.
  const write = store.replaceTraces([await rowsOf([span('e1'.repeat(16), 1)])], { fences: [{ partition: 5, token: 2 }] }).then(() => 'written', codeOf);
  t.equal(await write, 'written', "the new owner's write commits");
  t.match(String(await ended), /idle-in-transaction/, "PostgreSQL ended the paused writer's session");
  c.release(true);
  const rows = await readView(store, rawTraceView.name, TENANT);
  t.same(rows.map((r) => r.trace_id), ['e1'.repeat(16)], 'the trace is stored');
});

t.test('the ViewWriter writes under its lease tokens: a node whose token is below the one that wrote is refused', async (t) => {
  const { store } = await openStore(t);
  const tr = 'e1'.repeat(16);
  await store.replaceTraces([await rowsOf([span(tr, 1, 'new-owner')])], { fences: [{ partition: 9, token: 50 }] });
  const system = startActorSystem('fence-test');
  t.teardown(() => stopActorSystem(system));
  const flushes: FlushReport[] = [];
  const replies: WrittenReply[] = [];
  // The stale node still believes it holds partition 9 (admit), under token 49.
  const stale = spawnViewWriter(system, {
    store, rowsOf: buildRowsOf(createDefaultEnrichment({ resolver: new MemoryEntityResolver() })), logger: pino({ level: 'silent' }), maxBatchSpans: 1000,
    fence: { admit: () => true, tokenOf: (p) => (p === 9 ? 49 : undefined) }, onFlush: (f) => flushes.push(f),
  });
  const replyTo = spawnActor<null, WrittenReply>(system, { name: 'replies', initialState: null, handle: (s, m) => (replies.push(m), s), onCrash: 'resume', logger: pino({ level: 'silent' }) });
  tell(stale, { type: 'WriteTraces', partition: 9, batchId: 1, traces: [{ tenant: TENANT, traceId: tr, spans: [span(tr, 1, 'old-owner'), span(tr, 2)] }], replyTo });
  await waitFor(() => flushes.length > 0, { timeoutMs: 30_000, what: "the stale writer's attempt" });
  tell(stale, { type: 'Stop' });
  t.equal(flushes[0].ok, false, 'its write failed');
  t.notOk(replies.some((r) => r.type === 'TracesWritten'), 'nothing was reported written');
  const names = [...(await store.storedSpans([{ tenant: TENANT, traceId: tr }])).values()][0].map((s) => s.name);
  t.same(names, ['new-owner'], 'the trace is as the newer owner wrote it');
});
