// The ViewStore conformance suite: every adapter (DuckDB, PostgreSQL) registers these subtests
// with a factory for a fresh, empty store. Expectations are computed from the rows the real
// write path (enrichment + src/views/rows.ts) produces, so the suite checks the store against
// the data, not against numbers copied from a run. The six views read back, replaced and
// scanned by time are in viewstore-views.conformance.ts; aggregate queries in
// viewstore-aggregates.conformance.ts; both run as part of this suite.
import type { Test } from 'tap';
import type { Span } from '../../src/model/span.ts';
import type { ViewRow, ViewStore } from '../../src/store/api.ts';
import { traceKeyString } from '../../src/store/api.ts';
import type { Predicate, ViewQuery } from '../../src/store/query.ts';
import { TesseraError } from '../../src/errors.ts';
import { T0, TR_A, hexId, makeSpan, rowsOf, tracesFor, type ViewStoreFactory } from './viewstore-fixtures.ts';
import { viewStoreAggregateConformance } from './viewstore-aggregates.conformance.ts';
import { viewStoreViewsConformance } from './viewstore-views.conformance.ts';

export type { ViewStoreFactory };

async function filled(t: Test, factory: ViewStoreFactory, tenants = ['acme']) {
  const store = await factory(t);
  t.teardown(() => store.close());
  const all = await Promise.all(tenants.flatMap((tenant) => tracesFor(tenant).map((spans) => rowsOf(spans))));
  await store.replaceTraces(all);
  const spanRows = all.filter((r) => r.key.tenant === tenants[0]).flatMap((r) => r.views.spanEventView);
  const traceRowsOf = all.filter((r) => r.key.tenant === tenants[0]).flatMap((r) => r.views.rawTraceView);
  return { store, spanRows, traceRowsOf };
}

const spanIdsWhere = async (store: ViewStore, where: Predicate[], tenant = 'acme'): Promise<string[]> => {
  const r = await store.query({ view: 'spanEventView', tenant, select: [{ as: 'id', ref: { column: 'span_id' } }], where, limit: 1000 });
  return r.rows.map((row) => row.id as string).sort();
};
const idsOf = (rows: ViewRow[]): string[] => rows.map((r) => r.span_id as string).sort();

export function viewStoreConformance(t: Test, name: string, factory: ViewStoreFactory): void {
  t.test(`${name}: writing a trace again replaces its rows in every view`, async (t) => {
    const store = await factory(t);
    t.teardown(() => store.close());
    const [a] = tracesFor('acme');
    await store.replaceTraces([await rowsOf(a)]);
    await store.replaceTraces([await rowsOf(a)]);
    const count = async (view: string) =>
      (await store.query({ view, tenant: 'acme', select: [{ as: 'x', ref: { column: 'trace_id' } }], where: [], limit: 1000, withTotal: true })).total;
    t.equal(await count('spanEventView'), a.length, 'the same batch twice leaves one row per span');
    t.equal(await count('rawTraceView'), 1);
    t.equal(await count('logEventView'), a.flatMap((s) => s.events).length);

    // A re-assembled trace with fewer spans and no events replaces every view's rows.
    const smaller = a.slice(0, 2).map((s) => ({ ...s, events: [] }));
    await store.replaceTraces([await rowsOf(smaller, 1)]);
    t.equal(await count('spanEventView'), 2);
    t.equal(await count('logEventView'), 0);
    const trace = await store.query({ view: 'rawTraceView', tenant: 'acme', select: [{ as: 'n', ref: { column: 'num_spans' } }, { as: 'rev', ref: { column: 'revision' } }], where: [], limit: 10 });
    t.same(trace.rows, [{ n: 2, rev: 1 }]);

    // Within one batch the last rows given for a trace win.
    await store.replaceTraces([await rowsOf(a), await rowsOf(smaller, 2)]);
    t.equal(await count('spanEventView'), 2);
  });

  t.test(`${name}: a batch that fails leaves the stored rows as they were`, async (t) => {
    const store = await factory(t);
    t.teardown(() => store.close());
    const [a, b] = tracesFor('acme');
    await store.replaceTraces([await rowsOf(a)]);
    const broken = await rowsOf(b);
    broken.views.spanEventView[0] = { ...broken.views.spanEventView[0], span_id: null };
    const again = await rowsOf(a.slice(0, 1));
    await t.rejects(store.replaceTraces([again, broken]));
    const r = await store.query({ view: 'spanEventView', tenant: 'acme', select: [{ as: 'id', ref: { column: 'span_id' } }], where: [], limit: 100, withTotal: true });
    t.equal(r.total, a.length, 'the first trace still has all its spans and the broken one none');
  });

  t.test(`${name}: storedSpans returns the written spans of the asked traces in one call`, async (t) => {
    const store = await factory(t);
    t.teardown(() => store.close());
    const [a, b] = tracesFor('acme');
    const [otherA] = tracesFor('other');
    await store.replaceTraces([await rowsOf(a), await rowsOf(b), await rowsOf(otherA.slice(0, 1))]);
    const keys = [
      { tenant: 'acme', traceId: TR_A },
      { tenant: 'other', traceId: TR_A },
      { tenant: 'acme', traceId: 'ff'.repeat(16) },
    ];
    const got = await store.storedSpans(keys);
    t.same([...got.keys()].sort(), [traceKeyString(keys[0]), traceKeyString(keys[1])].sort(), 'unknown traces are absent');
    const byId = (spans: Span[]) => [...spans].sort((x, y) => (x.spanId < y.spanId ? -1 : 1));
    t.same(byId(got.get(traceKeyString(keys[0]))!), byId(a), 'every field round-trips, events and unicode included');
    t.same(got.get(traceKeyString(keys[1]))!.map((s) => s.tenant), ['other']);
    t.same(await store.storedSpans([]), new Map());
  });

  t.test(`${name}: a large batch is replaced and read back whole`, async (t) => {
    const store = await factory(t);
    t.teardown(() => store.close());
    // More traces than any short-list shortcut an adapter may take.
    const many = Array.from({ length: 4500 }, (_, i) => [
      makeSpan({ tenant: 'acme', traceId: hexId(i + 1, 32), spanId: hexId(i + 1), startUs: T0 + i, endUs: T0 + i + 10 }),
    ]);
    await store.replaceTraces(await Promise.all(many.map((spans) => rowsOf(spans))));
    await store.replaceTraces(await Promise.all(many.map((spans) => rowsOf(spans, 1))));
    const total = await store.query({ view: 'spanEventView', tenant: 'acme', select: [{ as: 'id', ref: { column: 'span_id' } }], where: [], limit: 0, withTotal: true });
    t.equal(total.total, many.length, 'one row per span after writing every trace twice');
    const stored = await store.storedSpans(many.map(([s]) => ({ tenant: 'acme', traceId: s.traceId })));
    t.equal(stored.size, many.length);
  });

  t.test(`${name}: every query sees its own tenant's rows only`, async (t) => {
    const { store } = await filled(t, factory, ['acme', 'other']);
    t.same(await spanIdsWhere(store, [], 'other'), await spanIdsWhere(store, [], 'acme'), 'both tenants hold the same ids');
    const [otherA, otherB] = tracesFor('other');
    await store.replaceTraces([await rowsOf(otherA.slice(0, 1))]);
    const acme = await store.query({ view: 'spanEventView', tenant: 'acme', select: [{ as: 't', ref: { column: 'tenant_id' } }], where: [], limit: 100 });
    t.equal(acme.rows.length, tracesFor('acme').flat().length, "replacing a trace in one tenant leaves the other tenant's copy alone");
    t.ok(acme.rows.every((r) => r.t === 'acme'));
    const other = await store.query({ view: 'spanEventView', tenant: 'other', select: [{ as: 't', ref: { column: 'tenant_id' } }], where: [], limit: 100 });
    t.equal(other.rows.length, 1 + otherB.length);
    t.same((await store.query({ view: 'rawTraceView', tenant: 'nobody', select: [{ as: 't', ref: { column: 'trace_id' } }], where: [], limit: 10, withTotal: true })).total, 0);
  });

  t.test(`${name}: each predicate selects the rows the data says it should`, async (t) => {
    const { store, spanRows } = await filled(t, factory);
    const c = (column: string, key?: string) => (key === undefined ? { column } : { column, key });
    const tagOf = (r: ViewRow, k: string) => (r.tags as Record<string, string>)[k];
    const cases: [string, Predicate, (r: ViewRow) => boolean][] = [
      ['eq', { op: 'eq', ref: c('service_name'), value: 'web' }, (r) => r.service_name === 'web'],
      ['eq null', { op: 'eq', ref: c('parent_span_id'), value: null }, (r) => r.parent_span_id === null],
      ['neq also holds where the value is missing', { op: 'neq', ref: c('parent_span_id'), value: hexId(0xa1) }, (r) => r.parent_span_id !== hexId(0xa1)],
      ['lt', { op: 'lt', ref: c('duration_millis'), value: 20 }, (r) => (r.duration_millis as number) < 20],
      ['lte', { op: 'lte', ref: c('duration_millis'), value: 20 }, (r) => (r.duration_millis as number) <= 20],
      ['gt', { op: 'gt', ref: c('duration_millis'), value: 15 }, (r) => (r.duration_millis as number) > 15],
      ['gte with a numeric string', { op: 'gte', ref: c('duration_millis'), value: '15' }, (r) => (r.duration_millis as number) >= 15],
      ['time range', { op: 'and', terms: [{ op: 'gte', ref: c('start_time_millis'), value: T0 / 1000 + 5 }, { op: 'lt', ref: c('start_time_millis'), value: T0 / 1000 + 1010 }] },
        (r) => (r.start_time_millis as number) >= T0 / 1000 + 5 && (r.start_time_millis as number) < T0 / 1000 + 1010],
      ['in', { op: 'in', ref: c('service_name'), values: ['cart', 'nope'] }, (r) => r.service_name === 'cart'],
      ['notIn also holds where the value is missing', { op: 'notIn', ref: c('parent_span_id'), values: [hexId(0xa1)] }, (r) => r.parent_span_id !== hexId(0xa1)],
      ['in an empty list', { op: 'in', ref: c('service_name'), values: [] }, () => false],
      ['regex matches part of the value', { op: 'regex', ref: c('event_name'), pattern: 'T /[ci]' }, (r) => /T \/[ci]/.test(r.event_name as string)],
      ['map key eq', { op: 'eq', ref: c('tags', 'http.method'), value: 'GET' }, (r) => tagOf(r, 'http.method') === 'GET'],
      ['map key neq', { op: 'neq', ref: c('tags', 'http.method'), value: 'GET' }, (r) => tagOf(r, 'http.method') !== 'GET'],
      ['map key regex', { op: 'regex', ref: c('tags', 'db.statement'), pattern: '^SELECT' }, (r) => /^SELECT/.test(tagOf(r, 'db.statement') ?? '')],
      ['containsKey', { op: 'containsKey', column: 'tags', key: 'db.system' }, (r) => tagOf(r, 'db.system') !== undefined],
      ['notContainsKey', { op: 'notContainsKey', column: 'tags', key: 'http.method' }, (r) => tagOf(r, 'http.method') === undefined],
      ['or', { op: 'or', terms: [{ op: 'eq', ref: c('span_kind'), value: 'EXIT' }, { op: 'eq', ref: c('error_count'), value: 1 }] },
        (r) => r.span_kind === 'EXIT' || r.error_count === 1],
    ];
    for (const [title, p, keep] of cases) {
      t.same(await spanIdsWhere(store, [p]), idsOf(spanRows.filter(keep)), title);
    }
    const [web, lt20] = [cases[0], cases[3]];
    t.same(await spanIdsWhere(store, [web[1], lt20[1]]), idsOf(spanRows.filter((r) => web[2](r) && lt20[2](r))), 'terms of where are ANDed');
  });

  t.test(`${name}: list columns match when any element does`, async (t) => {
    const { store, traceRowsOf } = await filled(t, factory);
    const ids = async (p: Predicate) =>
      (await store.query({ view: 'rawTraceView', tenant: 'acme', select: [{ as: 'id', ref: { column: 'trace_id' } }], where: [p], limit: 10 })).rows.map((r) => r.id).sort();
    const expect = (keep: (services: string[]) => boolean) => traceRowsOf.filter((r) => keep(r.services as string[])).map((r) => r.trace_id).sort();
    const ref = { column: 'services' };
    t.same(await ids({ op: 'eq', ref, value: 'web' }), expect((s) => s.includes('web')));
    t.same(await ids({ op: 'neq', ref, value: 'web' }), expect((s) => !s.includes('web')));
    t.same(await ids({ op: 'in', ref, values: ['web', 'x'] }), expect((s) => s.includes('web')));
    t.same(await ids({ op: 'notIn', ref, values: ['cart'] }), expect((s) => !s.includes('cart')));
    t.same(await ids({ op: 'regex', ref, pattern: '^we' }), expect((s) => s.some((x) => /^we/.test(x))));
  });

  t.test(`${name}: values come back typed, and order, limit, offset and total hold`, async (t) => {
    const { store, spanRows, traceRowsOf } = await filled(t, factory);
    const trace = await store.query({
      view: 'rawTraceView', tenant: 'acme', where: [{ op: 'eq', ref: { column: 'trace_id' }, value: TR_A }], limit: 1,
      select: ['num_spans', 'services', 'partial', 'start_time_micros', 'transaction_name'].map((column) => ({ as: column, ref: { column } })),
    });
    const want = traceRowsOf.find((r) => r.trace_id === TR_A)!;
    t.same(trace.rows[0], { num_spans: want.num_spans, services: want.services, partial: want.partial, start_time_micros: want.start_time_micros, transaction_name: want.transaction_name });
    t.equal(typeof trace.rows[0].num_spans, 'number');

    const span = await store.query({ view: 'spanEventView', tenant: 'acme', where: [{ op: 'eq', ref: { column: 'span_id' }, value: hexId(0xa1) }], limit: 1,
      select: [{ as: 'tags', ref: { column: 'tags' } }, { as: 'method', ref: { column: 'tags', key: 'http.method' } }, { as: 'missing', ref: { column: 'tags', key: 'nope' } }, { as: 'spaces', ref: { column: 'space_ids' } }] });
    const a1 = spanRows.find((r) => r.span_id === hexId(0xa1))!;
    t.same(span.rows[0], { tags: a1.tags, method: (a1.tags as Record<string, string>)['http.method'], missing: null, spaces: [] });

    const sorted = [...spanRows].sort((x, y) => (y.start_time_micros as number) - (x.start_time_micros as number));
    const page = async (q: Partial<ViewQuery>) =>
      store.query({ view: 'spanEventView', tenant: 'acme', select: [{ as: 'id', ref: { column: 'span_id' } }], where: [], orderBy: [{ ref: { column: 'start_time_micros' }, direction: 'DESC' }], limit: 2, ...q });
    const p2 = await page({ offset: 1, withTotal: true });
    t.same(p2.rows.map((r) => r.id), sorted.slice(1, 3).map((r) => r.span_id));
    t.equal(p2.total, spanRows.length, 'total counts every match, not the page');
    t.equal((await page({})).total, undefined, 'no total unless asked');
    t.same((await page({ offset: 100, withTotal: true })).rows, []);
    t.equal((await page({ offset: 100, withTotal: true })).total, spanRows.length);
    const byMapKey = await store.query({ view: 'spanEventView', tenant: 'acme', select: [{ as: 'id', ref: { column: 'span_id' } }], where: [{ op: 'containsKey', column: 'tags', key: 'http.method' }], orderBy: [{ ref: { column: 'tags', key: 'http.method' }, direction: 'ASC' }, { ref: { column: 'span_id' }, direction: 'ASC' }], limit: 10 });
    const expected = spanRows.filter((r) => (r.tags as Record<string, string>)['http.method'])
      .sort((x, y) => ((x.tags as Record<string, string>)['http.method'] + x.span_id < (y.tags as Record<string, string>)['http.method'] + y.span_id ? -1 : 1));
    t.same(byMapKey.rows.map((r) => r.id), expected.map((r) => r.span_id), 'order by a map key');
  });

  t.test(`${name}: close lets running work finish, then refuses new work`, async (t) => {
    const store = await factory(t);
    const [a, b] = tracesFor('acme');
    await store.replaceTraces([await rowsOf(a)]);
    const q: ViewQuery = { view: 'spanEventView', tenant: 'acme', select: [{ as: 'id', ref: { column: 'span_id' } }], where: [], limit: 100 };
    const bRows = await rowsOf(b);
    const reading = store.query(q);
    const writing = store.replaceTraces([bRows]);
    const closing = store.close();
    t.equal((await reading).rows.length, a.length, 'a query running at close completes');
    await t.resolves(writing, 'a write queued at close completes');
    await closing;
    const err = await store.query(q).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof TesseraError && err.code === 'UNAVAILABLE', 'a query after close is UNAVAILABLE');
    await t.resolves(store.close(), 'closing twice is harmless');
  });

  t.test(`${name}: a plan it cannot run is rejected with BAD_QUERY`, async (t) => {
    const { store } = await filled(t, factory);
    const base: ViewQuery = { view: 'spanEventView', tenant: 'acme', select: [{ as: 'id', ref: { column: 'span_id' } }], where: [], limit: 10 };
    const bad: [string, ViewQuery][] = [
      ['unknown view', { ...base, view: 'nope' }],
      ['unknown column', { ...base, where: [{ op: 'eq', ref: { column: 'nope' }, value: 1 }] }],
      ['key of a non-map column', { ...base, select: [{ as: 'x', ref: { column: 'span_id', key: 'k' } }] }],
      ['bad regular expression', { ...base, where: [{ op: 'regex', ref: { column: 'event_name' }, pattern: '(' }] }],
      ['text where a number is needed', { ...base, where: [{ op: 'gt', ref: { column: 'duration_millis' }, value: 'abc' }] }],
      ['a whole map compared with a value', { ...base, where: [{ op: 'eq', ref: { column: 'tags' }, value: 'x' }] }],
      ['an alias that is not an identifier', { ...base, select: [{ as: 'x"; drop', ref: { column: 'span_id' } }] }],
    ];
    for (const [title, q] of bad) {
      const err = await store.query(q).then(() => undefined, (e: unknown) => e);
      t.ok(err instanceof TesseraError && err.code === 'BAD_QUERY', `${title}: ${err instanceof TesseraError ? err.code : String(err)}`);
    }
  });

  viewStoreViewsConformance(t, name, factory);
  viewStoreAggregateConformance(t, name, factory);
}
