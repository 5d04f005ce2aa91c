// The DuckDB store thread under a query that runs for seconds: a caller that stops waiting has
// the statement stopped in the worker (DEADLINE_EXCEEDED, as in-process). And a thread that dies
// rejects the calls in flight and every later one with UNAVAILABLE instead of leaving them hanging.
// The file is filled by SQL before the thread opens it, as in viewstore-stop.test.ts.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TesseraError } from '../../src/errors.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import { openDuckDbStoreThread } from '../../src/store/duckdb/storeThreadClient.ts';
import { TENANT, heavy, small } from './stop-queries.ts';

const ROWS = 2_000_000;


const outcome = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

const dir = mkdtempSync(join(tmpdir(), 'tessera-thread-stop-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'tessera.duckdb');

t.before(async () => {
  const instance = await DuckDBInstance.create(path);
  const store = await openDuckDbViewStore({ path, instance, rollups: false });
  await store.close();
  const conn = await instance.connect();
  await conn.run(`INSERT INTO spanEventView (tenant_id, span_id, trace_id, start_time_millis, duration_millis, event_name, tags)
    SELECT '${TENANT}', 's' || i, 't' || (i // 10), 1700000000000 + i, i % 977, 'op' || (i % 50), '{"http.url":"' || repeat('ab', 20 + i % 30) || 'c"}'
    FROM range(${ROWS}) r(i)`);
  conn.closeSync();
  instance.closeSync();
});

t.test('an aborted query is stopped in the worker and answers DEADLINE_EXCEEDED; the thread serves on', async (t) => {
  const thread = await openDuckDbStoreThread({ path, rollups: false });
  t.teardown(() => thread.close());
  const controller = new AbortController();
  const running = outcome(thread.store.query(heavy, { signal: controller.signal }));
  setTimeout(() => controller.abort(), 150);
  const err = await running;
  t.type(err, TesseraError, 'the stopped query rejects with a coded error');
  t.equal((err as TesseraError).code, 'DEADLINE_EXCEEDED');
  t.same((await thread.store.query(small)).rows, [{ n: 1 }], 'the next query gets its answer');
  const already = new AbortController();
  already.abort();
  t.equal(((await outcome(thread.store.query(small, { signal: already.signal }))) as TesseraError).code, 'DEADLINE_EXCEEDED', 'a caller already gone');
});

t.test('a thread that dies with calls in flight rejects them, and every later one, with UNAVAILABLE', async (t) => {
  const thread = await openDuckDbStoreThread({ path, rollups: false });
  t.teardown(() => thread.close());
  await thread.store.init();
  // Killed while idle: a worker torn down during a native DuckDB call can abort the whole
  // process (the bindings throw while the thread's environment goes away; ADR 014). The calls
  // below need no native work even if the worker still reads them.
  const stopping = thread.worker.terminate();
  const inFlight = [
    outcome(thread.store.storedSpans([])),
    outcome(thread.store.rollUp({ fromMs: 0, toMs: 0 })),
    outcome(thread.entities.get(TENANT, ['not-an-entity-id'])),
  ];
  await stopping;
  for (const err of await Promise.all(inFlight)) {
    t.type(err, TesseraError, 'a call posted before the thread ended');
    t.equal((err as TesseraError).code, 'UNAVAILABLE');
    t.match((err as TesseraError).message, /exited/, 'naming why');
  }
  t.equal(((await outcome(thread.store.query(small))) as TesseraError).code, 'UNAVAILABLE', 'a later query');
  t.equal(((await outcome(thread.store.replaceTraces([{ key: { tenant: TENANT, traceId: 'x' }, views: {} }]))) as TesseraError).code, 'UNAVAILABLE', 'a later write');
  t.equal(((await outcome(thread.entities.count(TENANT, 'SERVICE'))) as TesseraError).code, 'UNAVAILABLE', 'a later entity call');
  t.equal(((await outcome(thread.entities.upsert([]))) as TesseraError | undefined)?.code, undefined, 'an empty upsert has nothing to send');
  await thread.close();
  t.pass('close() of a dead thread resolves');
});
