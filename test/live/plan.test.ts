// Planning a live subscription: the query language's filters and errors, the scope's
// implicit filters, and a canonical key shared by equal filter sets.
import t from 'tap';
import { TesseraError } from '../../src/errors.ts';
import { catalog } from '../../src/gateway/catalog.ts';
import { planResultSet, type AttributeRequest, type FilterArg } from '../../src/gateway/planner.ts';
import { renderQuery } from '../../src/store/duckdb/sql.ts';
import { planLive } from '../../src/live/plan.ts';
import { spanRows } from './rows.ts';

const f = (key: string, operator: string, value: unknown, subpath?: string): FilterArg =>
  ({ type: 'ATTRIBUTE', keyExpression: subpath === undefined ? { key } : { key, subpath }, operator, value });

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof TesseraError ? err.code : `not coded: ${String(err)}`;
  }
};

const between = { startTime: 0, endTime: 2_000_000_000_000 };

t.test('rejects what a query rejects, with the same code', async (t) => {
  const cases: { scope: string; filters: FilterArg[]; select?: AttributeRequest[] }[] = [
    { scope: 'SPAN', filters: [f('noSuchKey', 'EQUALS', 'x')] },
    { scope: 'SPAN', filters: [f('duration', 'GREATER_THAN', 'slow')] },
    { scope: 'SPAN', filters: [f('serviceName', 'LIKE', '(unclosed')] },
    { scope: 'SPAN', filters: [f('spanTags', 'EQUALS', 'x')] },
    { scope: 'SPAN', filters: [f('serviceName', 'CONTAINS_KEY', ['k'])] },
    { scope: 'SPAN', filters: [f('serviceName', 'EQUALS', ['a', 'b'])] },
    { scope: 'SPAN', filters: [{ type: 'ID', operator: 'EQUALS', value: 'zz-not-hex', idScope: 'TRACE' }] },
    { scope: 'SPAN', filters: [{ type: 'ID', operator: 'EQUALS', value: '1', idScope: 'LOG_EVENT' }] },
    { scope: 'TRACE', filters: [f('services', 'GREATER_THAN', 'a')] },
    { scope: 'TRACE', filters: [], select: [{ key: 'noSuchAttribute' }] },
    { scope: 'TRACE', filters: [], select: [{ key: 'duration', subpath: 'x' }] },
    { scope: 'SPAN', filters: [f('serviceName', 'EQUALS', 'frontend')], select: [{ key: 'spanTags', subpath: 'http.method' }] },
  ];
  for (const c of cases) {
    // A query is planned, then rendered by its store: both steps check it.
    const query = codeOf(() => renderQuery(planResultSet(catalog, c.scope, 'x', { between, filterBy: c.filters }, c.select ?? [], false).query));
    const live = codeOf(() => planLive(catalog, c.scope, c.filters, c.select ?? []));
    t.equal(live, query, `${c.scope} ${JSON.stringify(c.filters)} ${JSON.stringify(c.select ?? [])} → ${query ?? 'accepted'}`);
  }
});

t.test('refuses scopes without live rows', async (t) => {
  t.equal(codeOf(() => planLive(catalog, 'LOG_EVENT', [], [])), 'BAD_QUERY');
  t.equal(codeOf(() => planLive(catalog, 'SERVICE', [], [])), 'BAD_QUERY');
});

t.test('gives equal filter sets one key, whatever their order or repeats', async (t) => {
  const a = f('serviceName', 'EQUALS', 'frontend');
  const b = f('duration', 'GREATER_THAN', 100);
  const key = (scope: string, filters: FilterArg[]) => planLive(catalog, scope, filters, []).key;
  t.equal(key('SPAN', [a, b]), key('SPAN', [b, a, b]), 'order and repeats do not matter');
  t.equal(key('SPAN', [a, b]), key('SPAN', [b, a, null as unknown as FilterArg]), 'null filters are ignored');
  t.not(key('SPAN', [a, b]), key('SPAN', [a]), 'fewer filters differ');
  t.not(key('SPAN', [a]), key('SPAN', [f('serviceName', 'EQUALS', 'driver')]), 'other values differ');
  t.not(key('TRACE', []), key('SPAN', []), 'scopes differ');
  t.equal(key('SPAN', [f('startTime', 'GREATER_THAN', '2024-01-01T00:00:00Z')]), key('SPAN', [f('startTime', 'GREATER_THAN', Date.parse('2024-01-01T00:00:00Z'))]), 'values compare once normalized');
});

t.test('an API trace is an API entry span with an API id, whatever the filters', async (t) => {
  const plan = planLive(catalog, 'API_TRACE', [], []);
  const column = (key: string) => catalog.column(catalog.attribute('API_TRACE', key), key);
  const [boundary, api] = [column('apiBoundaryType'), column('apiId')];
  const expected = spanRows.filter((r) => r[boundary] === 'ENTRY' && r[api] !== null && r[api] !== undefined && r[api] !== '');
  t.ok(expected.length > 0 && expected.length < spanRows.length, 'the table has rows on both sides');
  t.same(spanRows.filter(plan.test).map((r) => r.span_id), expected.map((r) => r.span_id));
  t.equal(plan.idColumn, catalog.column(catalog.attribute('API_TRACE', 'apiTraceId'), 'id'));
});

t.test('a filter narrows the rows as its operator says', async (t) => {
  const plan = planLive(catalog, 'SPAN', [f('serviceName', 'EQUALS', 'frontend'), f('duration', 'GREATER_THAN', 50)], []);
  const column = (key: string) => catalog.column(catalog.attribute('SPAN', key), key);
  const [service, duration] = [column('serviceName'), column('duration')];
  const expected = spanRows.filter((r) => r[service] === 'frontend' && typeof r[duration] === 'number' && (r[duration] as number) > 50);
  t.ok(expected.length > 0, 'something matches');
  t.same(spanRows.filter(plan.test), expected);
});
