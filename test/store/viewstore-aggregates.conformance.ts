// ViewStore conformance, aggregate queries (group keys, time buckets, aggregate functions,
// ordering by aggregates, totals): every expectation is computed in JS from the rows written.
// Registered by viewStoreConformance.
import type { Test } from 'tap';
import type { Span } from '../../src/model/span.ts';
import type { ViewRow, ViewStore } from '../../src/store/api.ts';
import type { Aggregate, ViewQuery } from '../../src/store/query.ts';
import { TesseraError } from '../../src/errors.ts';
import { T0, hexId, makeSpan, rowsOf, type ViewStoreFactory } from './viewstore-fixtures.ts';

const SERVICES = ['web', 'cart', 'pay'];
const METHODS = ['GET', 'POST'];

/** 30 traces of an entry span and an exit span, durations and services varying by index. */
function traces(): Span[][] {
  return Array.from({ length: 30 }, (_, n) => {
    const traceId = hexId(0x1000 + n, 32);
    const start = T0 + n * 700_000; // 0.7 s apart: several per 1 s bucket
    const service = SERVICES[n % 3];
    return [
      makeSpan({
        tenant: 'acme', traceId, spanId: hexId(0x1000 + 2 * n), name: `op${n % 4}`, kind: 'SERVER', serviceName: service,
        startUs: start, endUs: start + 1_000 * ((n * 37) % 23 + 1), statusCode: n % 5 === 0 ? 2 : 0,
        attributes: { 'http.method': METHODS[n % 2] },
      }),
      makeSpan({
        tenant: 'acme', traceId, spanId: hexId(0x1001 + 2 * n), parentSpanId: hexId(0x1000 + 2 * n), name: 'work', kind: 'INTERNAL',
        serviceName: service, startUs: start + 100, endUs: start + 100 + 10 * n,
      }),
    ];
  });
}

async function filled(t: Test, factory: ViewStoreFactory): Promise<{ store: ViewStore; spans: ViewRow[] }> {
  const store = await factory(t);
  t.teardown(() => store.close());
  const rows = await Promise.all(traces().map((s) => rowsOf(s)));
  await store.replaceTraces(rows);
  return { store, spans: rows.flatMap((r) => r.views.spanEventView) };
}

const groupBy = <K>(rows: ViewRow[], key: (r: ViewRow) => K): Map<K, ViewRow[]> => {
  const out = new Map<K, ViewRow[]>();
  for (const r of rows) out.set(key(r), [...(out.get(key(r)) ?? []), r]);
  return out;
};
const nums = (rows: ViewRow[], column: string) => rows.map((r) => r[column] as number);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** Linear interpolation between the closest ranks (quantile_cont / percentile_cont). */
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * p;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}
const close = (a: unknown, b: number) => typeof a === 'number' && Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));

const base = (extra: Partial<ViewQuery>): ViewQuery => ({ view: 'spanEventView', tenant: 'acme', select: [], where: [], limit: 100, ...extra });
const agg = (as: string, fn: Aggregate['fn'], column?: string, percentileValue?: number): Aggregate => ({
  as, fn, ...(column === undefined ? {} : { ref: { column } }), ...(percentileValue === undefined ? {} : { percentile: percentileValue }),
});

export function viewStoreAggregateConformance(t: Test, name: string, factory: ViewStoreFactory): void {
  t.test(`${name}: aggregates per group match the rows`, async (t) => {
    const { store, spans } = await filled(t, factory);
    const r = await store.query(base({
      groupBy: [{ as: 'service', ref: { column: 'service_name' } }],
      aggregates: [
        agg('n', 'count'), agg('total', 'sum', 'duration_micros'), agg('low', 'min', 'duration_micros'), agg('high', 'max', 'duration_micros'),
        agg('mean', 'avg', 'duration_micros'), agg('p50', 'percentile', 'duration_micros', 50), agg('p90', 'percentile', 'duration_micros', 90),
        agg('traces', 'distinctCount', 'trace_id'), agg('names', 'distinctArray', 'event_name'), agg('sid', 'any', 'service_id'),
        agg('errors', 'sum', 'error_count'), agg('firstName', 'min', 'event_name'),
      ],
      orderBy: [{ as: 'service', direction: 'ASC' }],
      withTotal: true,
    }));
    const groups = groupBy(spans, (s) => s.service_name as string);
    t.same(r.rows.map((row) => row.service), [...groups.keys()].sort(), 'one row per service, in order');
    t.equal(r.total, groups.size, 'the total counts groups');
    for (const row of r.rows) {
      const g = groups.get(row.service as string)!;
      const d = nums(g, 'duration_micros');
      t.match(row, {
        n: g.length, total: sum(d), low: Math.min(...d), high: Math.max(...d), traces: new Set(g.map((s) => s.trace_id)).size,
        names: [...new Set(g.map((s) => s.event_name as string))].sort(), sid: g[0].service_id, errors: sum(nums(g, 'error_count')),
        firstName: [...g.map((s) => s.event_name as string)].sort()[0],
      }, `${row.service as string}`);
      t.ok(close(row.mean, sum(d) / d.length), `avg ${String(row.mean)}`);
      t.ok(close(row.p50, percentile(d, 0.5)) && close(row.p90, percentile(d, 0.9)), `percentiles ${String(row.p50)} ${String(row.p90)}`);
      t.equal(typeof row.n, 'number');
    }
  });

  t.test(`${name}: time buckets group by the start of their interval`, async (t) => {
    const { store, spans } = await filled(t, factory);
    const size = 1000;
    const r = await store.query(base({
      bucket: { as: 'at', column: 'start_time_millis', sizeMs: size },
      aggregates: [agg('n', 'count')],
      where: [{ op: 'eq', ref: { column: 'span_kind' }, value: 'ENTRY' }],
      orderBy: [{ as: 'at', direction: 'ASC' }],
    }));
    const entries = spans.filter((s) => s.span_kind === 'ENTRY');
    const buckets = groupBy(entries, (s) => Math.floor((s.start_time_millis as number) / size) * size);
    t.same(r.rows, [...buckets.entries()].sort((x, y) => x[0] - y[0]).map(([at, g]) => ({ at, n: g.length })));
  });

  t.test(`${name}: groups order by an aggregate and page; a map key and several keys group`, async (t) => {
    const { store, spans } = await filled(t, factory);
    const byName = groupBy(spans, (s) => s.event_name as string);
    const top = await store.query(base({
      groupBy: [{ as: 'name', ref: { column: 'event_name' } }],
      aggregates: [agg('total', 'sum', 'duration_micros')],
      orderBy: [{ as: 'total', direction: 'DESC' }],
      limit: 2, offset: 1, withTotal: true,
    }));
    const ranked = [...byName.entries()].map(([name, g]) => ({ name, total: sum(nums(g, 'duration_micros')) })).sort((x, y) => y.total - x.total);
    t.same(top.rows, ranked.slice(1, 3), 'second and third by total duration');
    t.equal(top.total, byName.size);

    const byMethod = await store.query(base({
      groupBy: [{ as: 'method', ref: { column: 'tags', key: 'http.method' } }, { as: 'kind', ref: { column: 'span_kind' } }],
      aggregates: [agg('n', 'count')],
      orderBy: [{ as: 'method', direction: 'ASC' }, { as: 'kind', direction: 'ASC' }],
    }));
    const want = groupBy(spans, (s) => `${(s.tags as Record<string, string>)['http.method'] ?? ''}|${s.span_kind as string}`);
    t.same(
      byMethod.rows.map((row) => `${(row.method as string | null) ?? ''}|${row.kind as string}=${row.n as number}`).sort(),
      [...want.entries()].map(([k, g]) => `${k}=${g.length}`).sort(),
      'a missing map key is its own (null) group',
    );
  });

  t.test(`${name}: an aggregate without keys is one row over every match`, async (t) => {
    const { store, spans } = await filled(t, factory);
    const r = await store.query(base({
      aggregates: [agg('n', 'count'), agg('total', 'sum', 'duration_millis'), agg('none', 'max', 'duration_millis')],
      where: [{ op: 'eq', ref: { column: 'error_count' }, value: 1 }],
      withTotal: true,
    }));
    const errors = spans.filter((s) => s.error_count === 1);
    t.ok(errors.length > 0);
    t.same(r.rows, [{ n: errors.length, total: sum(nums(errors, 'duration_millis')), none: Math.max(...nums(errors, 'duration_millis')) }]);
    t.equal(r.total, 1);
    const empty = await store.query(base({ aggregates: [agg('n', 'count'), agg('total', 'sum', 'duration_millis')], where: [{ op: 'eq', ref: { column: 'service_name' }, value: 'nobody' }] }));
    t.same(empty.rows, [{ n: 0, total: null }], 'count 0, and null over no values');
  });

  t.test(`${name}: an aggregate it cannot compute is rejected with BAD_QUERY`, async (t) => {
    const { store } = await filled(t, factory);
    const bad: [string, ViewQuery][] = [
      ['sum of text', base({ aggregates: [agg('x', 'sum', 'service_name')] })],
      ['percentile out of range', base({ aggregates: [agg('x', 'percentile', 'duration_millis', 0)] })],
      ['order by a name not selected', base({ aggregates: [agg('n', 'count')], orderBy: [{ as: 'nope', direction: 'ASC' }] })],
      ['select in an aggregate query', base({ select: [{ as: 'id', ref: { column: 'span_id' } }], aggregates: [agg('n', 'count')] })],
      ['bucket of a text column', base({ bucket: { as: 'b', column: 'service_name', sizeMs: 1000 }, aggregates: [agg('n', 'count')] })],
    ];
    for (const [title, q] of bad) {
      const err = await store.query(q).then(() => undefined, (e: unknown) => e);
      t.ok(err instanceof TesseraError && err.code === 'BAD_QUERY', `${title}: ${err instanceof TesseraError ? err.code : String(err)}`);
    }
  });
}
