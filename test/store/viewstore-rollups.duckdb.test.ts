// Per-minute metric rollups in the DuckDB view store (ADR 011): entity metric queries answered
// from the rollup equal the view-scan answers (counts, sums, averages, min, max exactly;
// percentiles within the sketch's bound, checked against order statistics computed here), on
// HotROD and on a seeded loadgen data set; a late write that replaces a trace in a rolled-up
// minute never counts twice; queries the rollup cannot answer fall back to the view.
import t, { type Test } from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import type { TraceRows, ViewRow } from '../../src/store/api.ts';
import { openDuckDbViewStore, type DuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import type { Aggregate, Predicate, ViewQuery } from '../../src/store/query.ts';
import { planRollup, SKETCH_RELATIVE_ERROR } from '../../src/views/rollups.ts';
import { groupBy, hotrodDataSet, loadgenDataSet, num, type DataSet } from '../gateway/seed.ts';

const ENTITIES = [
  { scope: 'SERVICE', view: 'rawServiceView', id: 'service_id', name: 'service_name' },
  { scope: 'API', view: 'rawServiceView', id: 'api_id', name: 'api_name' },
  { scope: 'BACKEND', view: 'backendEntityView', id: 'backend_id', name: 'backend_name' },
] as const;
const PERCENTILES = [50, 90, 99];

async function storeWith(t: Test, rows: TraceRows[]): Promise<DuckDbViewStore> {
  const store = await openDuckDbViewStore({ path: ':memory:', rollups: false });
  t.teardown(() => store.close());
  await store.replaceTraces(rows);
  return store;
}

/** What the gateway asks for an entity scope's metrics (the shape of Q2), over [fromMs, toMs). */
function metricsQuery(tenant: string, e: (typeof ENTITIES)[number], fromMs: number, toMs: number, extra: Predicate[] = []): ViewQuery {
  const time = { column: 'start_time_millis' };
  const aggregates: Aggregate[] = [
    { as: 'name', fn: 'any', ref: { column: e.name } },
    { as: 'calls', fn: 'count' },
    { as: 'errors', fn: 'sum', ref: { column: 'error_count' } },
    { as: 'numCalls', fn: 'sum', ref: { column: 'num_calls' } },
    { as: 'avgDuration', fn: 'avg', ref: { column: 'duration_millis' } },
    { as: 'minDuration', fn: 'min', ref: { column: 'duration_millis' } },
    { as: 'maxDuration', fn: 'max', ref: { column: 'duration_millis' } },
    ...PERCENTILES.map((p): Aggregate => ({ as: `p${p}`, fn: 'percentile', ref: { column: 'duration_millis' }, percentile: p })),
  ];
  return {
    view: e.view, tenant, select: [],
    where: [
      { op: 'gte', ref: time, value: fromMs }, { op: 'lt', ref: time, value: toMs },
      { op: 'neq', ref: { column: e.id }, value: null }, { op: 'neq', ref: { column: e.id }, value: '' }, ...extra,
    ],
    groupBy: [{ as: 'id', ref: { column: e.id } }],
    aggregates,
    orderBy: [{ as: 'calls', direction: 'DESC' }, { as: 'id', direction: 'ASC' }],
    limit: 1000,
    withTotal: true,
  };
}

/** Durations (ms) of an entity's rows in the range, sorted: the order statistics a percentile lies between. */
function durationsOf(rows: ViewRow[], idColumn: string, fromMs: number, toMs: number): Map<string, number[]> {
  const inRange = rows.filter((r) => num(r.start_time_millis) >= fromMs && num(r.start_time_millis) < toMs && r[idColumn] != null && r[idColumn] !== '');
  const out = new Map<string, number[]>();
  for (const [id, group] of groupBy(inRange, (r) => String(r[idColumn]))) {
    out.set(id, group.map((r) => r.duration_millis).filter((d) => d !== null && d !== undefined).map(num).sort((a, b) => a - b));
  }
  return out;
}

/** The rolled-up answer equals the view's: exactly, but percentiles within the stated bound. */
function sameAnswer(t: Test, viewAnswer: { rows: Record<string, unknown>[]; total?: number }, rolled: { rows: Record<string, unknown>[]; total?: number }, durations: Map<string, number[]>, what: string): void {
  t.equal(rolled.total, viewAnswer.total, `${what}: total`);
  const strip = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !/^p\d+$/.test(k)));
  t.same(rolled.rows.map(strip), viewAnswer.rows.map(strip), `${what}: ids, names, counts, sums, averages, min and max`);
  for (const row of rolled.rows) {
    const values = durations.get(String(row.id)) ?? [];
    for (const p of PERCENTILES) {
      const got = row[`p${p}`] as number | null;
      if (values.length === 0) {
        t.equal(got, null, `${what}: p${p} of ${row.id} without durations`);
        continue;
      }
      // Between the order statistics around the rank (the view interpolates, the sketch takes a
      // rank), each widened by the sketch's relative error.
      const h = ((values.length - 1) * p) / 100;
      const low = values[Math.max(0, Math.floor(h) - 1)] * (1 - SKETCH_RELATIVE_ERROR) - 1e-9;
      const high = values[Math.min(values.length - 1, Math.ceil(h) + 1)] * (1 + SKETCH_RELATIVE_ERROR) + 1e-9;
      t.ok(got !== null && got >= low && got <= high, `${what}: p${p} of ${row.id} is ${got}, within [${low}, ${high}]`);
    }
  }
}

async function checkDataSet(t: Test, d: DataSet): Promise<void> {
  const store = await storeWith(t, d.rows);
  // Ragged edges: the range starts and ends inside minutes, which come from the view.
  const fromMs = d.fromMs - 17_000;
  const toMs = d.toMs + 23_000;
  const before = new Map<string, { rows: Record<string, unknown>[]; total?: number }>();
  for (const e of ENTITIES) {
    t.ok(planRollup(metricsQuery(d.tenant, e, fromMs, toMs)), `${e.scope}: the rollup can answer the metrics query`);
    before.set(e.scope, await store.query(metricsQuery(d.tenant, e, fromMs, toMs)));
    t.ok(before.get(e.scope)!.rows.length > 0, `${e.scope}: the data set has entities`);
  }
  await store.rollUp({ fromMs: fromMs - 3_600_000, toMs: toMs + 3_600_000 });
  for (const e of ENTITIES) {
    const rows = d.rows.flatMap((r) => r.views[e.view] ?? []);
    const rolled = await store.query(metricsQuery(d.tenant, e, fromMs, toMs));
    sameAnswer(t, before.get(e.scope)!, rolled, durationsOf(rows, e.id, fromMs, toMs), e.scope);
    // Paging and an id filter (series and edge neighbors ask by id) are answered the same way.
    const ids = before.get(e.scope)!.rows.slice(0, 2).map((r) => String(r.id));
    const byIdQuery = { ...metricsQuery(d.tenant, e, fromMs, toMs, [{ op: 'in', ref: { column: e.id }, values: ids }]), limit: 1, offset: 1 };
    const viewStore = await storeWith(t, d.rows);
    sameAnswer(t, await viewStore.query(byIdQuery), await store.query(byIdQuery), durationsOf(rows, e.id, fromMs, toMs), `${e.scope} by id, second page`);
  }
}

t.test('HotROD: metrics from the rollup equal the view scan', async (t) => {
  await checkDataSet(t, await hotrodDataSet('acme'));
});

t.test('seeded loadgen data: metrics from the rollup equal the view scan', async (t) => {
  await checkDataSet(t, await loadgenDataSet('acme', 400, { everyMs: 700 }));
});

t.test('a trace re-written in a rolled-up minute counts once, with its new rows', async (t) => {
  const d = await loadgenDataSet('acme', 120, { everyMs: 1_000 });
  const fromMs = d.fromMs - 60_000;
  const toMs = d.toMs + 60_000;
  const rolledStore = await storeWith(t, d.rows);
  await rolledStore.rollUp({ fromMs: fromMs - 3_600_000, toMs: toMs + 3_600_000 });
  // A late span re-opens every tenth trace: its rows come again, with an error and longer calls.
  const rewritten = d.rows.filter((_, i) => i % 10 === 0).map((tr): TraceRows => ({
    ...tr,
    views: Object.fromEntries(Object.entries(tr.views).map(([view, rows]) => [view, rows.map((r) => ({ ...r, error_count: num(r.error_count) + 1, duration_millis: num(r.duration_millis) * 3 + 1 }))])),
  }));
  await rolledStore.replaceTraces(rewritten);
  const final = d.rows.map((tr) => rewritten.find((r) => r.key.traceId === tr.key.traceId) ?? tr);
  const viewStore = await storeWith(t, final);
  for (const e of ENTITIES) {
    const q = metricsQuery(d.tenant, e, fromMs, toMs);
    const rows = final.flatMap((r) => r.views[e.view] ?? []);
    const expected = await viewStore.query(q);
    t.ok(expected.rows.some((r) => num(r.errors) > 0), `${e.scope}: the rewrite added errors`);
    sameAnswer(t, expected, await rolledStore.query(q), durationsOf(rows, e.id, fromMs, toMs), `${e.scope} after the rewrite`);
  }
  // The minutes the rewrite touched are rolled up again, and still answer the same.
  await rolledStore.rollUp({ fromMs: fromMs - 3_600_000, toMs: toMs + 3_600_000 });
  for (const e of ENTITIES) {
    const q = metricsQuery(d.tenant, e, fromMs, toMs);
    sameAnswer(t, await viewStore.query(q), await rolledStore.query(q), durationsOf(final.flatMap((r) => r.views[e.view] ?? []), e.id, fromMs, toMs), `${e.scope} rolled up again`);
  }
});

t.test('rolled-up minutes are read from the rollup, not the view', async (t) => {
  const d = await loadgenDataSet('acme', 100, { everyMs: 1_000 });
  const instance = await DuckDBInstance.create(':memory:');
  t.teardown(() => instance.closeSync());
  const store = await openDuckDbViewStore({ path: ':memory:', instance, rollups: false });
  t.teardown(() => store.close());
  await store.replaceTraces(d.rows);
  const fromMs = Math.floor(d.fromMs / 60_000) * 60_000;
  const toMs = Math.ceil(d.toMs / 60_000) * 60_000;
  const q = metricsQuery(d.tenant, ENTITIES[0], fromMs, toMs);
  const before = await store.query(q);
  await store.rollUp({ fromMs, toMs });
  // Behind the store's back: the view loses its rows, the rolled-up whole minutes still answer.
  const conn = await instance.connect();
  await conn.run('DELETE FROM rawServiceView');
  conn.closeSync();
  const after = await store.query(q);
  t.same(after.rows.map((r) => [r.id, r.calls, r.errors]), before.rows.map((r) => [r.id, r.calls, r.errors]), 'the same counts, with the view emptied');
  t.equal(after.total, before.total);
});

t.test('queries the rollup cannot answer are planned on the view', async (t) => {
  const e = ENTITIES[0];
  const base = metricsQuery('acme', e, 0, 60_000);
  t.ok(planRollup(base), 'the entity metrics query is answerable');
  t.notOk(planRollup(metricsQuery('acme', e, 0, 60_000, [{ op: 'eq', ref: { column: 'service_name' }, value: 'x' }])), 'a filter on another attribute');
  t.notOk(planRollup({ ...base, aggregates: [{ as: 'd', fn: 'distinctCount', ref: { column: 'api_id' } }] }), 'an aggregate the rollup does not keep');
  t.notOk(planRollup({ ...base, aggregates: [{ as: 'p', fn: 'percentile', ref: { column: 'error_count' }, percentile: 99 }] }), 'a percentile of a metric without a sketch');
  t.notOk(planRollup({ ...base, bucket: { as: 'b', column: 'start_time_millis', sizeMs: 60_000 } }), 'a time-bucketed query (series)');
  t.notOk(planRollup({ ...base, groupBy: [{ as: 'id', ref: { column: 'service_name' } }] }), 'a group-by on a column that is not an entity id');
  t.notOk(planRollup({ ...base, view: 'spanEventView' }), 'a view without rollups');
  t.notOk(planRollup({ ...base, where: base.where.slice(0, 2) }), 'rows with a null id included');
});
