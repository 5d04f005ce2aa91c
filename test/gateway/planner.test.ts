// The planner and the catalog without a store: what a request becomes as a ViewQuery.
import t from 'tap';
import { TesseraError } from '../../src/errors.ts';
import { catalog } from '../../src/gateway/catalog.ts';
import { filterPredicate, pageOf, planLogEvents, planResultSet, MAX_LIMIT, DEFAULT_LIMIT } from '../../src/gateway/planner.ts';
import { columnOf, viewNamed } from '../../src/views/schema.ts';

const between = { startTime: 1_600_000_000_000, endTime: 1_600_000_360_000 };
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof TesseraError ? err.code : String(err);
  }
  return undefined;
};

t.test('every catalog attribute points at a column its view declares', async (t) => {
  for (const def of catalog.list()) {
    if (!def.source) continue;
    const view = viewNamed(def.source.view);
    t.ok(view && columnOf(view, def.source.column), `${def.scope}.${def.key} → ${def.source.view}.${def.source.column}`);
  }
  for (const scope of ['TRACE', 'SPAN', 'LOG_EVENT']) {
    const s = catalog.scope(scope);
    for (const key of [s.idKey, s.startTimeKey, ...Object.values(s.idFilterKeys), ...s.defaultOrder.map((o) => o.key)]) {
      t.ok(catalog.attribute(scope, key), `${scope} names ${key}`);
    }
  }
});

t.test('a result set is one tenant-scoped query on its view, between its start times', async (t) => {
  const plan = planResultSet(catalog, 'SPAN', 'acme', { between }, [{ key: 'serviceName' }, { key: 'spanTags', subpath: 'http.method' }], true);
  t.match(plan.query, {
    view: 'spanEventView', tenant: 'acme', limit: DEFAULT_LIMIT, offset: 0, withTotal: true,
    where: [
      { op: 'gte', ref: { column: 'start_time_millis' }, value: between.startTime },
      { op: 'lt', ref: { column: 'start_time_millis' }, value: between.endTime },
    ],
    orderBy: [{ ref: { column: 'start_time_millis' }, direction: 'ASC' }, { ref: { column: 'span_id' }, direction: 'ASC' }],
  });
  t.same(plan.query.select.map((s) => s.ref), [{ column: 'span_id' }, { column: 'service_name' }, { column: 'tags', key: 'http.method' }]);
  t.ok(plan.query.select.every((s) => /^v\d+$/.test(s.as)), 'aliases are generated, never taken from the request');
  const logs = planResultSet(catalog, 'LOG_EVENT', 'acme', { between }, [], false);
  t.same(logs.query.where[0], { op: 'gte', ref: { column: 'timestamp_nanos' }, value: BigInt(between.startTime) * 1_000_000n }, 'log events compare nanoseconds');
});

t.test('ID filters map the foreign scope to the queried scope’s attribute', async (t) => {
  const span = catalog.scope('SPAN');
  const trace = catalog.scope('TRACE');
  const cases: [typeof span, string, string][] = [
    [span, 'SPAN', 'span_id'], [span, 'TRACE', 'trace_id'], [span, 'API_TRACE', 'api_trace_id'], [trace, 'TRACE', 'trace_id'],
  ];
  for (const [scope, foreign, column] of cases) {
    const id = foreign === 'TRACE' ? '383ACC79E53B84DA' : '3AACFEA7309A0605';
    const want = foreign === 'TRACE' ? '0000000000000000383acc79e53b84da' : '3aacfea7309a0605';
    t.same(filterPredicate(catalog, scope, { type: 'ID', idScope: foreign, operator: 'EQUALS', value: id }), { op: 'eq', ref: { column }, value: want }, `${scope.scope} by ${foreign}`);
    t.same(filterPredicate(catalog, scope, { type: 'ID', idType: foreign, operator: 'IN', value: [id] }), { op: 'in', ref: { column }, values: [want] }, `${scope.scope} by ${foreign} (idType, IN)`);
  }
  t.equal(codeOf(() => filterPredicate(catalog, trace, { type: 'ID', idScope: 'SPAN', operator: 'EQUALS', value: 'ab' })), 'BAD_QUERY', 'TRACE has no SPAN id filter');
});

t.test('limits default to 100, stop at 10 000, and offsets are never negative', async (t) => {
  t.same(pageOf({}), { limit: DEFAULT_LIMIT, offset: 0 });
  t.same(pageOf({ limit: MAX_LIMIT, offset: 5 }), { limit: MAX_LIMIT, offset: 5 });
  t.equal(codeOf(() => pageOf({ limit: MAX_LIMIT + 1 })), 'LIMIT_TOO_LARGE');
  t.equal(codeOf(() => pageOf({ offset: -1 })), 'BAD_QUERY');
});

t.test('log events of a page of spans are fetched by trace and span id, oldest first', async (t) => {
  const plan = planLogEvents(catalog, 'acme', [{ traceId: 'a'.repeat(32), spanId: '1'.repeat(16) }, { traceId: 'a'.repeat(32), spanId: '2'.repeat(16) }], [{ key: 'summary' }]);
  t.match(plan.query, {
    view: 'logEventView', tenant: 'acme',
    where: [{ op: 'in', ref: { column: 'trace_id' }, values: ['a'.repeat(32)] }, { op: 'in', ref: { column: 'span_id' }, values: ['1'.repeat(16), '2'.repeat(16)] }],
    orderBy: [{ ref: { column: 'timestamp_nanos' }, direction: 'ASC' }],
  });
});
