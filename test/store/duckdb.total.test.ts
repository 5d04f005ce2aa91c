// The DuckDB store counts `total` beside the page on a second reader connection: the answer is
// the same with one reader (the count waits for the page's connection) as with two, and many
// such queries at once finish rather than deadlock on the pool.
import t, { type Test } from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import type { ViewQuery, ViewQueryResult } from '../../src/store/query.ts';

const TENANT = 'acme';
const ROWS = 20_000;

async function storeWith(t: Test, readers: number) {
  const instance = await DuckDBInstance.create(':memory:');
  t.teardown(() => instance.closeSync());
  const store = await openDuckDbViewStore({ path: ':memory:', instance, readers, rollups: false });
  t.teardown(() => store.close());
  const conn = await instance.connect();
  await conn.run(`INSERT INTO spanEventView (tenant_id, span_id, trace_id, start_time_millis, duration_millis, service_name)
    SELECT '${TENANT}', 's' || i, 't' || (i // 10), 1700000000000 + i, i % 977, 'svc' || (i % 7) FROM range(${ROWS}) r(i)`);
  conn.closeSync();
  return store;
}

/** A page of a filtered, sorted query with its total; `min` varies the filter. */
const page = (min: number): ViewQuery => ({
  view: 'spanEventView', tenant: TENANT,
  select: [{ as: 'id', ref: { column: 'span_id' } }, { as: 'd', ref: { column: 'duration_millis' } }],
  where: [{ op: 'eq', ref: { column: 'service_name' }, value: 'svc3' }, { op: 'gt', ref: { column: 'duration_millis' }, value: min }],
  orderBy: [{ as: 'd', direction: 'DESC' }, { as: 'id', direction: 'ASC' }],
  limit: 25, withTotal: true,
});

// What the rows say, computed here from the generator's formulas.
function expected(min: number): { total: number; top: number } {
  let total = 0;
  let top = -1;
  for (let i = 0; i < ROWS; i++) {
    const d = i % 977;
    if (i % 7 === 3 && d > min) {
      total++;
      top = Math.max(top, d);
    }
  }
  return { total, top };
}

for (const readers of [1, 2]) {
  t.test(`${readers} reader(s): each page comes with its own total, many at once`, async (t) => {
    const store = await storeWith(t, readers);
    const mins = [0, 100, 500, 900, 950, 976];
    const answers: ViewQueryResult[] = await Promise.all(mins.map((m) => store.query(page(m))));
    mins.forEach((m, k) => {
      const want = expected(m);
      t.equal(answers[k].total, want.total, `total for duration > ${m}`);
      t.equal(answers[k].rows.length, Math.min(25, want.total), `page size for duration > ${m}`);
      if (want.total > 0) t.equal(answers[k].rows[0].d, want.top, `page sorted by duration for > ${m}`);
    });
    const noTotal = await store.query({ ...page(0), withTotal: false });
    t.equal(noTotal.total, undefined, 'no total when none was asked for');
  });
}
