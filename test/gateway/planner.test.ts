// The planner and the catalog without a store: what a request becomes as a ViewQuery.
import t from 'tap';
import { TesseraError } from '../../src/errors.ts';
import { aggregationAllowed, catalog } from '../../src/gateway/catalog.ts';
import { metricSlot, planMetric } from '../../src/gateway/metrics.ts';
import { filterPredicate, pageOf, planLogEvents, planResultSet, scopeWhere, timeRangeOf, MAX_LIMIT, DEFAULT_LIMIT } from '../../src/gateway/planner.ts';
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
  for (const s of catalog.allScopes()) {
    for (const key of [s.idKey, s.startTimeKey, ...Object.values(s.idFilterKeys), ...s.defaultOrder.map((o) => o.key), ...s.implicit.map((f) => f.key)]) {
      t.ok(catalog.attribute(s.scope, key), `${s.scope} names ${key}`);
    }
    t.ok(catalog.attribute(s.scope, s.startTimeKey).source, `${s.scope} filters its time range on a stored column`);
  }
  t.ok(catalog.list().length >= 100, `${catalog.list().length} attributes`);
  t.equal(catalog.scope('EVENT'), catalog.scope('SPAN'), 'EVENT is the internal name of SPAN');
});

t.test('attributes route to the view, the entity store, or both, as Hypertrace declares them', async (t) => {
  t.match(catalog.attribute('SERVICE', 'type'), { sources: ['EDS'], entity: { attribute: 'service_type' } });
  t.notOk(catalog.attribute('SERVICE', 'type').source, 'SERVICE.type is kept by the entity store only');
  t.match(catalog.attribute('SERVICE', 'name'), { sources: ['QS', 'EDS'], source: { view: 'rawServiceView', column: 'service_name' }, entity: 'name' });
  t.match(catalog.attribute('BACKEND', 'type'), { source: { view: 'backendEntityView', column: 'backend_protocol' } });
  t.match(catalog.attribute('INTERACTION', 'fromServiceId'), { source: { view: 'serviceCallView', column: 'caller_service_id_str' } });
  t.equal(codeOf(() => catalog.column(catalog.attribute('SERVICE', 'type'), 'x')), 'BAD_QUERY', 'no column for an entity-store attribute');
});

t.test('which aggregations an attribute takes', async (t) => {
  const allowed = (scope: string, key: string, agg: Parameters<typeof aggregationAllowed>[1]) => aggregationAllowed(catalog.attribute(scope, key), agg);
  t.ok(allowed('SERVICE', 'duration', 'PERCENTILE'));
  t.ok(allowed('API', 'endTime', 'MAX'), 'any numeric aggregation of a numeric attribute (Last Called)');
  t.ok(allowed('SPAN', 'serviceName', 'DISTINCTCOUNT'));
  t.ok(allowed('SPAN', 'serviceName', 'COUNT'));
  t.notOk(allowed('SPAN', 'serviceName', 'SUM'));
  t.notOk(allowed('SPAN', 'spanTags', 'DISTINCTCOUNT'));
  t.notOk(allowed('API_TRACE', 'calls', 'SUM'), 'calls declares COUNT and AVGRATE only');
  t.ok(allowed('API_TRACE', 'calls', 'AVGRATE'));
  const scope = catalog.scope('SERVICE');
  t.equal(codeOf(() => planMetric(catalog, scope, { key: 'name', aggregation: 'AVG' }, 'm0')), 'UNSUPPORTED_AGGREGATION');
  const p = planMetric(catalog, scope, { key: 'duration', aggregation: 'PERCENTILE' }, 'm0');
  t.same(p.aggregate, { as: 'm0', fn: 'percentile', ref: { column: 'duration_millis' }, percentile: 99 }, 'percentile without a size is p99');
  const rate = planMetric(catalog, scope, { key: 'numCalls', aggregation: 'AVGRATE', size: 1, units: 'MINUTES' }, 'm1');
  t.same(rate.aggregate, { as: 'm1', fn: 'sum', ref: { column: 'num_calls' } });
  t.equal(rate.finish(120, 3_600_000), 2, 'avgrate per minute = sum / window minutes');
  t.equal(metricSlot({ key: 'duration', aggregation: 'PERCENTILE' }), metricSlot({ key: 'duration', aggregation: 'PERCENTILE', size: 99 }));
});

t.test('API_TRACE carries its implicit filters; a time range must run forwards', async (t) => {
  const where = scopeWhere(catalog, catalog.scope('API_TRACE'), { between, filterBy: [] });
  t.same(where.slice(2), [
    { op: 'eq', ref: { column: 'api_boundary_type' }, value: 'ENTRY' },
    { op: 'neq', ref: { column: 'api_id' }, value: null },
    { op: 'neq', ref: { column: 'api_id' }, value: '' },
  ]);
  t.equal(codeOf(() => timeRangeOf({ startTime: 5, endTime: 5 })), 'BAD_TIME_RANGE');
  t.equal(codeOf(() => timeRangeOf({ startTime: 6, endTime: 5 })), 'BAD_TIME_RANGE');
  t.equal(codeOf(() => timeRangeOf(null)), 'BAD_QUERY');
  t.same(filterPredicate(catalog, catalog.scope('SPAN'), { type: 'ATTRIBUTE', keyExpression: { key: 'spanTags' }, operator: 'CONTAINS_KEY_LIKE', value: ['^http\\.'] }), { op: 'containsKeyLike', column: 'tags', pattern: '^http\\.' });
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
  t.same(plan.query.select.map((s) => s.ref), [{ column: 'span_id' }, { column: catalog.attribute('SPAN', 'serviceName').source!.column }, { column: 'tags', key: 'http.method' }]);
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
