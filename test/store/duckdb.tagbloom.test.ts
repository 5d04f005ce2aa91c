// The tag bloom prefilter in the DuckDB renderer (ADR 013): emitted for a `tags[key] = value`
// filter, pushed into DuckDB's scan, and never changing an answer — rows written by an older
// build (null bloom words), the empty key, unicode and JSON-looking values included.
import t, { type Test } from 'tap';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { renderQuery, type RenderOptions } from '../../src/store/duckdb/sql.ts';
import { openDuckDbViewStore, type DuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import type { Predicate, ViewQuery } from '../../src/store/query.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { buildRowsOf } from '../../src/views/rows.ts';
import { TAG_BLOOM_COLUMNS } from '../../src/views/tagBloom.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { makeSpan, hexId } from '../helpers/spans.ts';

const rowsOf = buildRowsOf(createDefaultEnrichment({ resolver: new MemoryEntityResolver() }));
const T0 = 1_700_000_000_000_000;
const TENANT = 't1';

// Each span's tags; spans 0–3 are rewritten below as an older build left them (null words).
const TAGS: Record<string, string>[] = [
  { 'http.url': '/cart?id=1', '': 'empty key', 'ünï': 'çà ✓ 😀' },
  { 'http.url': '/cart?id=2', 'db.statement': 'SELECT "x" FROM y' },
  { 'http.url': '/cart?id=1', 'json': '{"a":[1,2]}' },
  { 'only.old': 'yes' },
  { 'http.url': '/cart?id=1', '': 'empty key', 'ünï': 'çà ✓ 😀' },
  { 'http.url': '/cart?id=3', 'json': '{"a":[1,2]}', 'k': '' },
  { 'db.statement': 'SELECT "x" FROM y', 'path/with~tilde': 'v' },
  {},
];
const OLD = 4;

const eq = (key: string, value: string): Predicate => ({ op: 'eq', ref: { column: 'tags', key }, value });
const ASKS: { name: string; where: Predicate; expect: number[] }[] = [
  { name: 'a common entry, old rows and new', where: eq('http.url', '/cart?id=1'), expect: [0, 2, 4] },
  { name: 'the empty key', where: eq('', 'empty key'), expect: [0, 4] },
  { name: 'unicode key and value', where: eq('ünï', 'çà ✓ 😀'), expect: [0, 4] },
  { name: 'a value with quotes', where: eq('db.statement', 'SELECT "x" FROM y'), expect: [1, 6] },
  { name: 'a JSON-looking value', where: eq('json', '{"a":[1,2]}'), expect: [2, 5] },
  { name: 'an empty value', where: eq('k', ''), expect: [5] },
  { name: 'a key with / and ~', where: eq('path/with~tilde', 'v'), expect: [6] },
  { name: 'an entry only old rows hold', where: eq('only.old', 'yes'), expect: [3] },
  { name: 'an absent value', where: eq('http.url', '/nowhere'), expect: [] },
  { name: 'CONTAINS_KEY_VALUE (key and entry)', where: { op: 'and', terms: [{ op: 'containsKey', column: 'tags', key: 'json' }, eq('json', '{"a":[1,2]}')] }, expect: [2, 5] },
];

async function seeded(t: Test): Promise<DuckDBConnection & { store: DuckDbViewStore }> {
  const instance = await DuckDBInstance.create(':memory:');
  const store = await openDuckDbViewStore({ path: ':memory:', instance, rollups: false });
  const spans = TAGS.map((attributes, i) =>
    makeSpan({ tenant: TENANT, traceId: 'c3'.repeat(16), spanId: hexId(0x100 + i), parentSpanId: i === 0 ? '' : hexId(0x100), name: `op${i}`, kind: 'SERVER', serviceName: 'web', startUs: T0 + i * 1000, endUs: T0 + i * 1000 + 500, attributes }),
  );
  await store.replaceTraces([await rowsOf(assembleTrace(spans))]);
  const conn = await instance.connect();
  const old = spans.slice(0, OLD).map((s) => `'${s.spanId}'`).join(', ');
  await conn.run(`UPDATE "spanEventView" SET ${TAG_BLOOM_COLUMNS.map((c) => `"${c}" = NULL`).join(', ')} WHERE span_id IN (${old})`);
  t.teardown(async () => {
    conn.closeSync();
    await store.close();
    instance.closeSync();
  });
  return Object.assign(conn, { store });
}

const query = (where: Predicate[]): ViewQuery => ({
  view: 'spanEventView', tenant: TENANT, limit: 100, withTotal: true,
  select: [{ as: 'id', ref: { column: 'span_id' } }],
  where: [{ op: 'gte', ref: { column: 'start_time_millis' }, value: T0 / 1000 - 1 }, ...where],
  orderBy: [{ ref: { column: 'span_id' }, direction: 'ASC' }],
});

async function run(conn: DuckDBConnection, q: ViewQuery, opts: RenderOptions): Promise<{ ids: string[]; total: number; sql: string }> {
  const r = renderQuery(q, opts);
  const rows = await conn.runAndReadAll(r.sql, r.params);
  const count = await conn.runAndReadAll(r.count!.sql, r.count!.params);
  return { ids: rows.getRows().map((row) => String(row[0])), total: Number(count.getRows()[0][0]), sql: r.sql };
}

t.test('answers are the same with and without the bloom, and the expected ones', async (t) => {
  const conn = await seeded(t);
  for (const ask of ASKS) {
    const on = await run(conn, query([ask.where]), {});
    const off = await run(conn, query([ask.where]), { tagBloom: false });
    const want = ask.expect.map((i) => hexId(0x100 + i));
    t.same(on.ids, want, `${ask.name}: rows`);
    t.same(off.ids, want, `${ask.name}: rows without the bloom`);
    t.equal(on.total, want.length, `${ask.name}: total`);
    t.equal(off.total, want.length, `${ask.name}: total without the bloom`);
    t.match(on.sql, /tag_bloom_\d+/, `${ask.name}: the bloom is tested`);
    t.notMatch(off.sql, /tag_bloom_/, `${ask.name}: and not when turned off`);
  }
});

t.test('the bloom test goes into the scan; the JSON test stays above it', async (t) => {
  const conn = await seeded(t);
  const r = renderQuery(query([eq('http.url', '/cart?id=1')]));
  t.match(r.sql, /FROM \(SELECT \* FROM "spanEventView" WHERE .*tag_bloom_\d+.* OFFSET 0\) AS "spanEventView" WHERE \(contains/, 'an inner scan with the bloom test');
  const plan = (await conn.runAndReadAll(`EXPLAIN ${r.sql}`, r.params)).getRows().map((row) => String(row[1])).join('\n');
  const scan = plan.slice(plan.search(/(SEQ|TABLE)_SCAN/));
  t.match(scan, /Filters:[\s\S]*tag_bloom_\d+/, 'the bloom test is one of the scan filters');
  t.notMatch(scan, /json_extract/, 'the JSON test is not in the scan');
});

t.test('filters the bloom cannot test render as before', async (t) => {
  const cases: Predicate[] = [
    { op: 'containsKey', column: 'tags', key: 'k' },
    { op: 'neq', ref: { column: 'tags', key: 'k' }, value: 'x' },
    { op: 'or', terms: [eq('k', 'a'), eq('k', 'b')] },
    { op: 'eq', ref: { column: 'service_name' }, value: 'web' },
  ];
  for (const p of cases) t.notMatch(renderQuery(query([p])).sql, /tag_bloom_|OFFSET 0\)/, JSON.stringify(p));
  // A view without bloom columns (backendEntityView's tags) never gets one.
  const backend = renderQuery({ view: 'backendEntityView', tenant: TENANT, limit: 1, select: [{ as: 'id', ref: { column: 'backend_trace_id' } }], where: [eq('k', 'v')] });
  t.notMatch(backend.sql, /tag_bloom_/);
});

t.test('the store: a short page gives the total, a full or empty page still counts', async (t) => {
  const { store } = await seeded(t);
  const ask = (limit: number, offset: number) => store.query({ ...query([eq('http.url', '/cart?id=1')]), limit, offset });
  const cases: [number, number, number, number][] = [
    // limit, offset, rows, total
    [100, 0, 3, 3],
    [2, 0, 2, 3],
    [3, 0, 3, 3],
    [100, 1, 2, 3],
    [100, 5, 0, 3],
  ];
  for (const [limit, offset, rows, total] of cases) {
    const r = await ask(limit, offset);
    t.equal(r.rows.length, rows, `limit ${limit} offset ${offset}: rows`);
    t.equal(r.total, total, `limit ${limit} offset ${offset}: total`);
  }
  const none = await store.query(query([eq('http.url', '/nowhere')]));
  t.same([none.rows.length, none.total], [0, 0], 'no match: total 0');
});
