// The DuckDB renderer keeps every value out of the SQL text, and hostile values still match
// exactly what they say when run against a real store.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderQuery } from '../../src/store/duckdb/sql.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import type { ViewQuery } from '../../src/store/query.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { buildRowsOf } from '../../src/views/rows.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { makeSpan, hexId } from '../helpers/spans.ts';

const rowsOf = buildRowsOf(createDefaultEnrichment({ resolver: new MemoryEntityResolver() }));
const HOSTILE = [`x'; DROP TABLE "spanEventView"; --`, `a"b`, `back\\slash`, `%_? :p`, `ünï "code" '`];

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
      ],
      orderBy: [{ ref: { column: 'tags', key: v }, direction: 'DESC' }],
      withTotal: true,
    };
    const r = renderQuery(q);
    t.notOk(r.sql.includes(v), `the rows SQL holds no ${JSON.stringify(v)}`);
    t.notOk(r.count!.sql.includes(v), `the count SQL holds no ${JSON.stringify(v)}`);
    t.ok(r.params.includes(v), 'the value travels as a parameter');
    const placeholders = new Set([...r.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    t.same([...placeholders].sort((a, b) => a - b), r.params.map((_, i) => i + 1), 'every parameter has its placeholder');
  }
});

t.test('hostile values and map keys match exactly in a real store', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-duckdb-sql-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openDuckDbViewStore({ path: join(dir, 'v.duckdb') });
  t.teardown(() => store.close());
  const spans = HOSTILE.map((v, i) =>
    makeSpan({ tenant: v, traceId: 'c3'.repeat(16), spanId: hexId(i + 1), serviceName: v, attributes: { [v]: v, plain: 'p' } }),
  );
  await store.replaceTraces(await Promise.all(spans.map((s) => rowsOf(assembleTrace([s])))));
  for (const [i, v] of HOSTILE.entries()) {
    const r = await store.query({
      view: 'spanEventView', tenant: v, limit: 10, withTotal: true,
      select: [{ as: 'id', ref: { column: 'span_id' } }, { as: 'm', ref: { column: 'tags', key: v } }],
      where: [{ op: 'eq', ref: { column: 'service_name' }, value: v }, { op: 'containsKey', column: 'tags', key: v }, { op: 'eq', ref: { column: 'tags', key: v }, value: v }],
    });
    t.same(r.rows, [{ id: hexId(i + 1), m: v }], `tenant, column and map key ${JSON.stringify(v)}`);
  }
});

t.test('aggregate queries keep values out of the SQL text too', async (t) => {
  for (const v of HOSTILE) {
    const q: ViewQuery = {
      view: 'spanEventView', tenant: v, limit: 5, select: [], withTotal: true,
      where: [{ op: 'not', term: { op: 'eq', ref: { column: 'service_name' }, value: v } }, { op: 'containsKeyLike', column: 'tags', pattern: v }],
      groupBy: [{ as: 'g', ref: { column: 'tags', key: v } }],
      bucket: { as: 'b', column: 'start_time_millis', sizeMs: 60_000 },
      aggregates: [{ as: 'p', fn: 'percentile', ref: { column: 'duration_millis' }, percentile: 95 }, { as: 'n', fn: 'count' }],
      orderBy: [{ as: 'p', direction: 'DESC' }],
    };
    const r = renderQuery(q);
    t.notOk(r.sql.includes(v) || r.count!.sql.includes(v), `no ${JSON.stringify(v)} in the SQL`);
    for (const [sql, params] of [[r.sql, r.params], [r.count!.sql, r.count!.params]] as const) {
      const placeholders = new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      t.same([...placeholders].sort((a, b) => a - b), params.map((_, i) => i + 1), 'every parameter has its placeholder');
    }
  }
  t.throws(() => renderQuery({ view: 'spanEventView', tenant: 'x', limit: 1, select: [{ as: 'a', ref: { column: 'span_id' } }], where: [], aggregates: [{ as: 'n', fn: 'count' }] }), { code: 'BAD_QUERY' }, 'select and aggregates do not mix');
  t.throws(() => renderQuery({ view: 'spanEventView', tenant: 'x', limit: 1, select: [], where: [], aggregates: [{ as: 's', fn: 'sum', ref: { column: 'service_name' } }] }), { code: 'BAD_QUERY' }, 'no sum of text');
  t.throws(() => renderQuery({ view: 'spanEventView', tenant: 'x', limit: 1, select: [], where: [], aggregates: [{ as: 'p', fn: 'percentile', ref: { column: 'duration_millis' }, percentile: 0 }] }), { code: 'BAD_QUERY' }, 'a percentile in (0, 100]');
});

t.test('aggregates, groups, time buckets and totals agree with the rows', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-duckdb-agg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openDuckDbViewStore({ path: join(dir, 'v.duckdb') });
  t.teardown(() => store.close());
  // 60 one-span traces: 3 services, a tag on two thirds of them, durations 1..60 ms, a minute apart.
  const spans = Array.from({ length: 60 }, (_, i) => makeSpan({
    tenant: 'acme', traceId: hexId(1000 + i).padStart(32, '0'), spanId: hexId(i + 1), serviceName: `svc${i % 3}`,
    startUs: 1_700_000_000_000_000 + i * 60_000_000, endUs: 1_700_000_000_000_000 + i * 60_000_000 + (i + 1) * 1000,
    attributes: i % 3 === 2 ? {} : { 'http.method': i % 2 ? 'GET' : 'POST' },
  }));
  await store.replaceTraces(await Promise.all(spans.map((s) => rowsOf(assembleTrace([s])))));
  const r = await store.query({
    view: 'spanEventView', tenant: 'acme', select: [], where: [], withTotal: true, limit: 10,
    groupBy: [{ as: 'svc', ref: { column: 'service_name' } }],
    aggregates: [
      { as: 'n', fn: 'count' }, { as: 's', fn: 'sum', ref: { column: 'duration_millis' } }, { as: 'mx', fn: 'max', ref: { column: 'duration_millis' } },
      { as: 'p', fn: 'percentile', ref: { column: 'duration_millis' }, percentile: 50 }, { as: 'd', fn: 'distinctCount', ref: { column: 'tags', key: 'http.method' } },
      { as: 'a', fn: 'distinctArray', ref: { column: 'tags', key: 'http.method' } },
    ],
    orderBy: [{ as: 's', direction: 'DESC' }],
  });
  const want = [0, 1, 2].map((k) => {
    const ds = spans.map((s, i) => ({ s, i, d: i + 1 })).filter((x) => x.i % 3 === k);
    const methods = [...new Set(ds.map((x) => x.s.attributes['http.method']).filter(Boolean))].sort();
    const sorted = ds.map((x) => x.d).sort((a, b) => a - b);
    const mid = (sorted.length - 1) / 2;
    return { svc: `svc${k}`, n: ds.length, s: ds.reduce((a, x) => a + x.d, 0), mx: Math.max(...sorted), p: (sorted[Math.floor(mid)] + sorted[Math.ceil(mid)]) / 2, d: methods.length, a: methods };
  }).sort((a, b) => b.s - a.s);
  t.same(r.rows, want, 'count, sum, max, median, distinct count and values per service');
  t.equal(r.total, 3, 'the total of a grouped query counts groups');

  const buckets = await store.query({
    view: 'spanEventView', tenant: 'acme', select: [], where: [{ op: 'not', term: { op: 'eq', ref: { column: 'tags', key: 'http.method' }, value: 'GET' } }],
    bucket: { as: 'b', column: 'start_time_millis', sizeMs: 600_000 }, aggregates: [{ as: 'n', fn: 'count' }], orderBy: [{ as: 'b', direction: 'ASC' }], limit: 100,
  });
  const counts = new Map<number, number>();
  for (const s of spans) {
    if (s.attributes['http.method'] === 'GET') continue;
    const b = Math.floor(s.startUs / 1000 / 600_000) * 600_000;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  t.same(buckets.rows, [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([b, n]) => ({ b, n })), 'ten-minute buckets; NOT keeps rows where the key is missing');
  const like = await store.query({ view: 'spanEventView', tenant: 'acme', select: [], where: [{ op: 'containsKeyLike', column: 'tags', pattern: '^http\\.' }], aggregates: [{ as: 'n', fn: 'count' }], limit: 1 });
  t.same(like.rows, [{ n: spans.filter((s) => 'http.method' in s.attributes).length }], 'a map key matching a regular expression');
});

t.test('a trace-id lookup is a rowid semi-join (so the ART index serves it beside the tenant filter) and finds the same rows', async (t) => {
  const q: ViewQuery = {
    view: 'spanEventView', tenant: 'acme', limit: 10, select: [{ as: 'id', ref: { column: 'span_id' } }],
    where: [{ op: 'eq', ref: { column: 'trace_id' }, value: 'ab'.repeat(16) }],
  };
  t.match(renderQuery(q).sql, /rowid IN \(SELECT rowid FROM "spanEventView" WHERE "trace_id" = \$\d+\)/);
  t.notMatch(renderQuery({ ...q, where: [{ op: 'eq', ref: { column: 'span_id' }, value: 'x' }] }).sql, /rowid/, 'other columns are plain filters');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-sql-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openDuckDbViewStore({ path: join(dir, 'v.duckdb'), rollups: false });
  t.teardown(() => store.close());
  const traces = ['acme', 'other'].flatMap((tenant) => [1, 2].map((n) => [makeSpan({ tenant, traceId: hexId(n, 32), spanId: hexId(n * 10 + (tenant === 'acme' ? 1 : 2)), serviceName: 'svc' })]));
  await store.replaceTraces(await Promise.all(traces.map((spans) => rowsOf(assembleTrace(spans)))));
  const found = await store.query({ ...q, where: [{ op: 'in', ref: { column: 'trace_id' }, values: [hexId(1, 32), hexId(3, 32)] }] });
  t.same(found.rows.map((r) => r.id), [hexId(11)], "only the named trace's span, of this tenant");
});
