// The in-memory evaluator and the DuckDB renderer agree: the same predicates, over the same
// rows, select the same rows — and reject the same malformed predicates with BAD_QUERY.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TesseraError } from '../../src/errors.ts';
import { catalog } from '../../src/gateway/catalog.ts';
import { filterPredicate, type FilterArg } from '../../src/gateway/planner.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import type { ViewRow, ViewStore } from '../../src/store/api.ts';
import type { Predicate } from '../../src/store/query.ts';
import { compilePredicates } from '../../src/live/evaluate.ts';
import { spanRows, tableTraces, TENANT, traceRowsTable } from './rows.ts';

const col = (column: string, key?: string) => (key === undefined ? { column } : { column, key });

/** Predicates on spanEventView, written out as the planner would produce them. */
const SPAN_CASES: Predicate[] = [
  { op: 'eq', ref: col('service_name'), value: 'frontend' },
  { op: 'eq', ref: col('service_name'), value: null },
  { op: 'neq', ref: col('service_name'), value: 'frontend' },
  { op: 'neq', ref: col('service_name'), value: null },
  { op: 'gt', ref: col('duration_millis'), value: 100 },
  { op: 'gte', ref: col('duration_millis'), value: 100 },
  { op: 'lt', ref: col('duration_millis'), value: 99.5 },
  { op: 'lte', ref: col('duration_millis'), value: '99' },
  { op: 'gt', ref: col('duration_millis'), value: 5n },
  { op: 'eq', ref: col('duration_millis'), value: 100.0 },
  { op: 'lt', ref: col('service_name'), value: 'mysql' },
  { op: 'gte', ref: col('service_name'), value: 'Zürich' },
  { op: 'gt', ref: col('service_name'), value: 'ｆ' },
  { op: 'eq', ref: col('status_code'), value: 500 },
  { op: 'lt', ref: col('status_code'), value: '300' },
  { op: 'in', ref: col('status_code'), values: ['200', '404'] },
  { op: 'in', ref: col('status_code'), values: ['500', null] },
  { op: 'notIn', ref: col('status_code'), values: ['200'] },
  { op: 'notIn', ref: col('status_code'), values: ['200', null] },
  { op: 'in', ref: col('status_code'), values: [] },
  { op: 'notIn', ref: col('status_code'), values: [] },
  { op: 'in', ref: col('duration_millis'), values: [5, '120', 250n] },
  { op: 'regex', ref: col('service_name'), pattern: '^fr' },
  { op: 'regex', ref: col('service_name'), pattern: 'i' },
  { op: 'regex', ref: col('duration_millis'), pattern: '^1' },
  { op: 'regex', ref: col('service_name'), pattern: 'ü' },
  { op: 'eq', ref: col('tags', 'http.method'), value: 'GET' },
  { op: 'neq', ref: col('tags', 'http.method'), value: 'GET' },
  { op: 'eq', ref: col('tags', 'quote"key'), value: 'x' },
  { op: 'eq', ref: col('tags', 'dotted.key.name'), value: 'ünïcödé' },
  { op: 'eq', ref: col('tags', 'constructor'), value: 'not-a-prototype' },
  { op: 'regex', ref: col('tags', 'http.url'), pattern: 'customer=\\d+' },
  { op: 'containsKey', column: 'tags', key: 'error' },
  { op: 'containsKey', column: 'tags', key: 'constructor' },
  { op: 'containsKey', column: 'tags', key: 'toString' },
  { op: 'notContainsKey', column: 'tags', key: 'http.method' },
  { op: 'containsKeyLike', column: 'tags', pattern: '^db\\.' },
  { op: 'containsKeyLike', column: 'tags', pattern: 'key' },
  { op: 'and', terms: [] },
  { op: 'or', terms: [] },
  { op: 'and', terms: [{ op: 'eq', ref: col('status'), value: 'FAIL' }, { op: 'gt', ref: col('error_count'), value: 0 }] },
  { op: 'or', terms: [{ op: 'eq', ref: col('service_name'), value: 'driver' }, { op: 'gt', ref: col('duration_millis'), value: 500 }] },
  { op: 'not', term: { op: 'gt', ref: col('duration_millis'), value: 100 } },
  { op: 'not', term: { op: 'eq', ref: col('tags', 'http.method'), value: 'GET' } },
  { op: 'not', term: { op: 'or', terms: [{ op: 'eq', ref: col('status'), value: 'FAIL' }, { op: 'eq', ref: col('status_code'), value: '200' }] } },
  // API_TRACE's implicit filters: API entry spans with an API id.
  { op: 'and', terms: [{ op: 'eq', ref: col('api_boundary_type'), value: 'ENTRY' }, { op: 'neq', ref: col('api_id'), value: null }, { op: 'neq', ref: col('api_id'), value: '' }] },
];

/** Predicates on rawTraceView: string arrays, booleans, big integers. */
const TRACE_CASES: Predicate[] = [
  { op: 'eq', ref: col('services'), value: 'frontend' },
  { op: 'neq', ref: col('services'), value: 'frontend' },
  { op: 'eq', ref: col('services'), value: null },
  { op: 'neq', ref: col('services'), value: null },
  { op: 'in', ref: col('services'), values: ['route', 'redis'] },
  { op: 'notIn', ref: col('services'), values: ['route', 'redis'] },
  { op: 'regex', ref: col('services'), pattern: '^dri' },
  { op: 'eq', ref: col('partial'), value: true },
  { op: 'eq', ref: col('partial'), value: 'false' },
  { op: 'neq', ref: col('partial'), value: true },
  { op: 'regex', ref: col('partial'), pattern: 'ru' },
  { op: 'lt', ref: col('partial'), value: true },
  { op: 'gt', ref: col('start_time_micros'), value: 9_007_199_254_740_992n },
  { op: 'eq', ref: col('start_time_micros'), value: '9007199254740993' },
  { op: 'lt', ref: col('start_time_micros'), value: 9_007_199_254_740_993n },
  { op: 'gte', ref: col('duration_millis'), value: '1e3' },
  { op: 'regex', ref: col('transaction_name'), pattern: '^HTTP GET /(dispatch|route)$' },
  { op: 'eq', ref: col('transaction_name'), value: null },
];

/** Filters as a GraphQL client writes them, through the gateway's filterPredicate. */
const SPAN_FILTERS: FilterArg[] = [
  { type: 'ATTRIBUTE', keyExpression: { key: 'serviceName' }, operator: 'EQUALS', value: 'frontend' },
  { type: 'ATTRIBUTE', keyExpression: { key: 'duration' }, operator: 'GREATER_THAN', value: 99 },
  { type: 'ATTRIBUTE', keyExpression: { key: 'status' }, operator: 'EQUALS', value: 'FAIL' },
  { type: 'ATTRIBUTE', keyExpression: { key: 'statusCode' }, operator: 'NOT_IN', value: ['200', '0'] },
  { type: 'ATTRIBUTE', keyExpression: { key: 'serviceName' }, operator: 'LIKE', value: 'r' },
  { type: 'ATTRIBUTE', keyExpression: { key: 'spanTags' }, operator: 'CONTAINS_KEY_VALUE', value: ['http.method', 'POST'] },
  { type: 'ATTRIBUTE', keyExpression: { key: 'spanTags' }, operator: 'CONTAINS_KEY_LIKE', value: ['^http'] },
  { type: 'ATTRIBUTE', keyExpression: { key: 'spanTags', subpath: 'http.method' }, operator: 'NOT_EQUALS', value: 'GET' },
  { type: 'ID', idScope: 'TRACE', operator: 'EQUALS', value: '1' },
  { type: 'ATTRIBUTE', keyExpression: { key: 'errorCount' }, operator: 'GREATER_THAN_OR_EQUAL_TO', value: '1' },
];

/** Edge cases the DuckDB renderer once got wrong: an empty map key, and IN with only null on a list. */
const EDGE_CASES: { view: string; idColumn: string; rows: ViewRow[]; p: Predicate; why: string }[] = [
  { view: 'spanEventView', idColumn: 'span_id', rows: spanRows, p: { op: 'eq', ref: col('tags', ''), value: 'empty key' }, why: 'a map key is empty' },
  { view: 'rawTraceView', idColumn: 'trace_id', rows: traceRowsTable, p: { op: 'in', ref: col('services'), values: [null] }, why: 'IN lists only null on a list column' },
];

/** Malformed predicates: the renderer refuses them, so must the evaluator. */
const REFUSED: { view: string; p: Predicate }[] = [
  { view: 'spanEventView', p: { op: 'eq', ref: col('no_such_column'), value: 1 } },
  { view: 'spanEventView', p: { op: 'eq', ref: col('tags'), value: 'x' } },
  { view: 'spanEventView', p: { op: 'eq', ref: col('service_name', 'k'), value: 'x' } },
  { view: 'spanEventView', p: { op: 'gt', ref: col('duration_millis'), value: null } },
  { view: 'spanEventView', p: { op: 'gt', ref: col('duration_millis'), value: 'soon' } },
  { view: 'spanEventView', p: { op: 'containsKey', column: 'service_name', key: 'k' } },
  { view: 'rawTraceView', p: { op: 'lt', ref: col('services'), value: 'a' } },
  { view: 'rawTraceView', p: { op: 'eq', ref: col('partial'), value: 'maybe' } },
  { view: 'rawTraceView', p: { op: 'eq', ref: col('span_batch'), value: 'x' } },
];

const idsInMemory = (rows: ViewRow[], view: string, idColumn: string, p: Predicate): string[] => {
  const test = compilePredicates(view, [p]);
  return rows.filter(test).map((r) => String(r[idColumn])).sort();
};

async function idsInStore(store: ViewStore, view: string, idColumn: string, p: Predicate): Promise<string[]> {
  const r = await store.query({ view, tenant: TENANT, select: [{ as: 'id', ref: { column: idColumn } }], where: [p], limit: 1000 });
  return r.rows.map((row) => String(row.id)).sort();
}

const label = (p: Predicate): string => JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

t.test('in-memory evaluation and DuckDB select the same rows', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-live-eval-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openDuckDbViewStore({ path: join(dir, 'views.duckdb') });
  t.teardown(() => store.close());
  await store.replaceTraces(tableTraces());
  const stored = await idsInStore(store, 'spanEventView', 'span_id', { op: 'and', terms: [] });
  t.equal(stored.length, spanRows.length, 'every span row is stored');

  await t.test('on span rows', async (t) => {
    for (const p of SPAN_CASES) {
      t.same(idsInMemory(spanRows, 'spanEventView', 'span_id', p), await idsInStore(store, 'spanEventView', 'span_id', p), label(p));
    }
  });

  await t.test('on trace rows', async (t) => {
    for (const p of TRACE_CASES) {
      t.same(idsInMemory(traceRowsTable, 'rawTraceView', 'trace_id', p), await idsInStore(store, 'rawTraceView', 'trace_id', p), label(p));
    }
  });

  await t.test('on GraphQL filters compiled by the gateway', async (t) => {
    const scope = catalog.scope('SPAN');
    for (const f of SPAN_FILTERS) {
      const p = filterPredicate(catalog, scope, f);
      t.same(idsInMemory(spanRows, scope.view, 'span_id', p), await idsInStore(store, scope.view, 'span_id', p), `${f.operator} ${JSON.stringify(f.value)}`);
    }
  });

  for (const edge of EDGE_CASES) {
    await t.test(`agrees where ${edge.why}: ${label(edge.p)}`, async (t) => {
      t.same(idsInMemory(edge.rows, edge.view, edge.idColumn, edge.p), await idsInStore(store, edge.view, edge.idColumn, edge.p));
    });
  }

  await t.test('a case table that selects nothing everywhere would prove nothing', async (t) => {
    const sizes = SPAN_CASES.map((p) => idsInMemory(spanRows, 'spanEventView', 'span_id', p).length);
    t.ok(sizes.some((n) => n > 0 && n < spanRows.length), 'some predicates split the rows');
  });

  await t.test('both refuse a malformed predicate with BAD_QUERY', async (t) => {
    for (const { view, p } of REFUSED) {
      t.throws(() => compilePredicates(view, [p]), { code: 'BAD_QUERY' }, `evaluator: ${label(p)}`);
      const err = await store.query({ view, tenant: TENANT, select: [{ as: 'id', ref: { column: 'trace_id' } }], where: [p], limit: 1 }).then(() => null, (e: unknown) => e);
      t.ok(err instanceof TesseraError && err.code === 'BAD_QUERY', `store: ${label(p)} (${String(err)})`);
    }
  });
});
