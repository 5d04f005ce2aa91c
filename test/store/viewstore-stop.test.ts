// A query whose caller stops waiting (the gateway's per-query deadline) is stopped in the
// database, answers DEADLINE_EXCEEDED, and leaves its connection able to serve the next query:
// DuckDB interrupts the connection, PostgreSQL cancels the backend's statement. The tables are
// filled with synthetic rows by SQL so that one aggregate query runs for seconds.
import t, { type Test } from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { TesseraError } from '../../src/errors.ts';
import type { ViewStore } from '../../src/store/api.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import { openPostgresViewStore } from '../../src/store/postgres/viewStore.ts';
import type { ViewQuery } from '../../src/store/query.ts';
import { TENANT, heavy, small } from './stop-queries.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

// Enough rows that the query runs for seconds in each database (DuckDB is the faster one here).
const DUCKDB_ROWS = 2_000_000;
const PG_ROWS = 400_000;


/** Starts `q`, aborts it once it has run for a moment, and returns how it ended. */
async function abortMidway(store: ViewStore, q: ViewQuery): Promise<unknown> {
  const controller = new AbortController();
  const running = store.query(q, { signal: controller.signal }).then(() => undefined, (err: unknown) => err);
  setTimeout(() => controller.abort(), 150);
  return running;
}

async function stopsAndServesOn(t: Test, store: ViewStore, stoppedCause: RegExp): Promise<void> {
  const err = await abortMidway(store, heavy);
  t.type(err, TesseraError, 'the stopped query rejects with a coded error');
  t.equal((err as TesseraError).code, 'DEADLINE_EXCEEDED');
  t.match(String(((err as TesseraError).cause as Error | undefined)?.message), stoppedCause, 'the database stopped the statement itself');
  // The only reader connection serves the next query, with its right answer.
  const next = await store.query(small);
  t.same(next.rows, [{ n: 1 }]);
  const already = new AbortController();
  already.abort();
  const refused = await store.query(small, { signal: already.signal }).then(() => undefined, (e: unknown) => e);
  t.equal((refused as TesseraError).code, 'DEADLINE_EXCEEDED', 'a query whose caller has already gone never starts');
  t.same((await store.query(small)).rows, [{ n: 1 }], 'and still the connection serves');
}

t.test('DuckDB: an aborted query is interrupted and its connection serves the next one', async (t) => {
  const instance = await DuckDBInstance.create(':memory:');
  t.teardown(() => instance.closeSync());
  const store = await openDuckDbViewStore({ path: ':memory:', instance, readers: 1 });
  t.teardown(() => store.close());
  const conn = await instance.connect();
  await conn.run(`INSERT INTO spanEventView (tenant_id, span_id, trace_id, start_time_millis, duration_millis, event_name, tags)
    SELECT '${TENANT}', 's' || i, 't' || (i // 10), 1700000000000 + i, i % 977, 'op' || (i % 50), '{"http.url":"' || repeat('ab', 20 + i % 30) || 'c"}'
    FROM range(${DUCKDB_ROWS}) r(i)`);
  conn.closeSync();
  await stopsAndServesOn(t, store, /interrupt/i);
});

t.test('PostgreSQL: an aborted query is cancelled and its connection serves the next one', async (t) => {
  const { url } = await createTestDatabase(t);
  // One connection for reads would also be the one that sends the cancel: two.
  const store = await openPostgresViewStore({ url, max: 2 });
  t.teardown(() => store.close());
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());
  await admin.query(`INSERT INTO "spanEventView" (tenant_id, span_id, trace_id, start_time_millis, duration_millis, event_name, tags)
    SELECT '${TENANT}', 's' || i, 't' || (i / 10), 1700000000000 + i, i % 977, 'op' || (i % 50), jsonb_build_object('http.url', repeat('ab', 20 + i % 30) || 'c')
    FROM generate_series(0, ${PG_ROWS - 1}) i`);
  await stopsAndServesOn(t, store, /cancel/i);
});
