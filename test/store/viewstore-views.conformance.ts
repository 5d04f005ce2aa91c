// ViewStore conformance, all six views: what is written reads back as written, a re-opened
// trace (a late span) replaces its rows in every view, and each view's time column selects
// its rows by range. Registered by viewStoreConformance.
import type { Test } from 'tap';
import type { TraceRows, ViewStore } from '../../src/store/api.ts';
import type { Predicate } from '../../src/store/query.ts';
import { VIEWS } from '../../src/views/schema.ts';
import { T0, TR_A, expectedView, hexId, makeSpan, readView, rowsOf, tracesFor, type ViewStoreFactory } from './viewstore-fixtures.ts';

const rowsIn = (traces: readonly TraceRows[], view: string, tenant = 'acme') => traces.filter((r) => r.key.tenant === tenant).flatMap((r) => r.views[view]);

async function opened(t: Test, factory: ViewStoreFactory): Promise<ViewStore> {
  const store = await factory(t);
  t.teardown(() => store.close());
  return store;
}

export function viewStoreViewsConformance(t: Test, name: string, factory: ViewStoreFactory): void {
  t.test(`${name}: every view reads back exactly the rows written`, async (t) => {
    const store = await opened(t, factory);
    const written = await Promise.all([...tracesFor('acme'), ...tracesFor('other')].map((spans) => rowsOf(spans)));
    await store.replaceTraces(written);
    for (const view of VIEWS) {
      const want = expectedView(rowsIn(written, view.name), view.name);
      t.ok(want.length > 0 || view.name === 'backendEntityView', `${view.name}: the traces give it rows`);
      t.same(await readView(store, view.name, 'acme'), want, `${view.name}: every column of every row`);
    }
  });

  t.test(`${name}: a re-opened trace has exactly its new rows in every view`, async (t) => {
    const store = await opened(t, factory);
    const [a, b] = tracesFor('acme');
    const first = await rowsOf(a);
    const other = await rowsOf(b);
    await store.replaceTraces([first, other]);
    // A late span: cart calls Redis and logs about it.
    const late = makeSpan({
      tenant: 'acme', traceId: TR_A, spanId: hexId(0xa4), parentSpanId: hexId(0xa3), name: 'HGET', kind: 'CLIENT', serviceName: 'cart',
      startUs: T0 + 31_000, endUs: T0 + 33_000, attributes: { 'db.system': 'redis', 'net.peer.name': 'cache', 'net.peer.port': '6379' },
      events: [{ timeUs: T0 + 32_000, name: 'miss', attributes: { key: 'k1' } }],
    });
    const reopened = await rowsOf([...a, late], 1);
    await store.replaceTraces([reopened]);
    for (const view of VIEWS) {
      const want = expectedView([...reopened.views[view.name], ...other.views[view.name]], view.name);
      t.same(await readView(store, view.name, 'acme'), want, `${view.name}: the new rows, none of the old, the other trace untouched`);
    }
    t.ok(reopened.views.backendEntityView.length > first.views.backendEntityView.length, 'the late span added a backend call');
    t.ok(reopened.views.logEventView.length > first.views.logEventView.length, 'and a log');
  });

  t.test(`${name}: each view's time column selects its rows by range`, async (t) => {
    const store = await opened(t, factory);
    const written = await Promise.all([...tracesFor('acme'), ...tracesFor('other')].map((spans) => rowsOf(spans)));
    await store.replaceTraces(written);
    for (const view of VIEWS) {
      const rows = rowsIn(written, view.name);
      if (rows.length === 0) continue;
      const times = rows.map((r) => BigInt(r[view.timeColumn] as number | bigint)).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      // From the second-earliest time (inclusive) to the latest (exclusive): both ends matter.
      const [lo, hi] = [times[Math.min(1, times.length - 1)], times[times.length - 1]];
      const range: Predicate = { op: 'and', terms: [{ op: 'gte', ref: { column: view.timeColumn }, value: lo }, { op: 'lt', ref: { column: view.timeColumn }, value: hi }] };
      const r = await store.query({ view: view.name, tenant: 'acme', select: [{ as: 't', ref: { column: view.timeColumn } }], where: [range], limit: 1000, withTotal: true });
      const want = times.filter((x) => x >= lo && x < hi);
      t.same(r.rows.map((row) => BigInt(row.t as number | bigint)).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)), want, `${view.name} by ${view.timeColumn}`);
      t.equal(r.total, want.length);
    }
  });
}
