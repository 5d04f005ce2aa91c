// Contract: metadata (Q1), traces of every type (the seed query verbatim), spans and logEvents,
// filters (LIKE as a regular expression, map keys) and explore — every expected value computed
// here from the rows written.
import type { Test } from 'tap';
import type { ViewQuery } from '../../src/store/query.ts';
import { startContract, type ContractFactory } from './contract.harness.ts';
import { betweenOf, groupBy, HOTROD_CUSTOMER_ENTRY, num, percentile, sum, viewRows, type DataSet } from './seed.ts';

const Q1 = '{ metadata { name displayName type scope units onlySupportsAggregation onlySupportsGrouping supportedAggregations groupable isCustom } }';

export function queryContract(t: Test, factory: ContractFactory, sets: { hotrod: () => Promise<DataSet>; seeded: () => Promise<DataSet> }): void {
  t.test('Q1: metadata lists every scope with at least 100 attributes, with their quirks', async (t) => {
    const c = await startContract(t, factory, []);
    const md = (await c.data(Q1)).metadata as any[];
    t.ok(md.length >= 100, `${md.length} attributes`);
    t.same([...new Set(md.map((m) => m.scope))].sort(), ['API', 'API_TRACE', 'BACKEND', 'BACKEND_TRACE', 'INTERACTION', 'LOG_EVENT', 'SERVICE', 'SPAN', 'TRACE']);
    const find = (scope: string, name: string) => md.find((m) => m.scope === scope && m.name === name);
    t.match(find('SERVICE', 'duration'), { type: 'LONG', units: 'ms', onlySupportsAggregation: true, supportedAggregations: ['SUM', 'MIN', 'MAX', 'AVG', 'AVGRATE', 'PERCENTILE'], isCustom: false });
    t.match(find('API_TRACE', 'calls'), { onlySupportsGrouping: true, supportedAggregations: ['COUNT', 'AVGRATE'] });
    t.match(find('SPAN', 'spanTags'), { type: 'STRING_MAP', displayName: 'Attributes', groupable: false });
    t.match(find('SERVICE', 'id'), { groupable: true, supportedAggregations: ['DISTINCTCOUNT'] });
    for (const m of md) t.ok(m.displayName && m.type && typeof m.units === 'string', `${m.scope}.${m.name} is complete`);
  });

  t.test('the seed query, verbatim, finds the HotROD API trace; TRACE, API_TRACE and BACKEND_TRACE count what the rows hold', async (t) => {
    const hotrod = await sets.hotrod();
    const c = await startContract(t, factory, [hotrod]);
    const seed = (id: string) => `{
  traces(
    type: API_TRACE
    between: {
      startTime: "2015-01-01T00:00:00.000Z"
      endTime: "2025-01-01T00:00:00.000Z"
    }
    filterBy: [
      {
        operator: EQUALS
        value: "${id}"
        type: ID
        idType: API_TRACE
      }
    ]
  ) {
    total
  }
}`;
    t.same(await c.data(seed(HOTROD_CUSTOMER_ENTRY)), { traces: { total: 1 } });
    const exit = viewRows(hotrod, 'spanEventView').find((r) => r.api_boundary_type !== 'ENTRY')!;
    t.same(await c.data(seed(String(exit.span_id))), { traces: { total: 0 } }, 'a span that is not an API entry is no API trace');
    const B = betweenOf(hotrod);
    const d = await c.data(`{ t: traces(type: TRACE, ${B}) { total } a: traces(type: API_TRACE, ${B}, limit: 1000) { results { id name: attribute(expression: {key: "apiName"}) } total } b: traces(type: BACKEND_TRACE, ${B}) { total } }`);
    const entries = viewRows(hotrod, 'spanEventView').filter((r) => r.api_boundary_type === 'ENTRY' && r.api_id);
    t.equal(d.t.total, 1);
    t.equal(d.a.total, entries.length, 'API traces: entry spans with an API');
    t.same(d.a.results.map((r: any) => r.id).sort(), entries.map((r) => r.api_trace_id).sort());
    t.equal(d.b.total, viewRows(hotrod, 'backendEntityView').length);
  });

  t.test('spans with log events and the logEvents root field', async (t) => {
    const seeded = await sets.seeded();
    const c = await startContract(t, factory, [seeded]);
    const logs = viewRows(seeded, 'logEventView');
    t.ok(logs.length > 5, `${logs.length} log events`);
    const B = betweenOf(seeded);
    t.equal((await c.data(`{ logEvents(${B}, limit: 1) { total } }`)).logEvents.total, logs.length);
    const one = logs[0];
    const bySpan = logs.filter((r) => r.span_id === one.span_id && r.trace_id === one.trace_id);
    const d = await c.data(`{ logEvents(${B}, filterBy: [{type: ID, idScope: "SPAN", operator: EQUALS, value: "${one.span_id}"}]) { results { summary: attribute(expression: {key: "summary"}) timestamp: attribute(expression: {key: "timestamp"}) } } }`);
    t.same(d.logEvents.results.map((r: any) => r.summary).sort(), bySpan.map((r) => r.summary).sort());
    t.match(d.logEvents.results[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'ISO with microseconds');
    const s = await c.data(`{ spans(${B}, filterBy: [{type: ID, idScope: "SPAN", operator: EQUALS, value: "${one.span_id}"}]) { results { id logEvents { results { summary: attribute(expression: {key: "summary"}) } } } } }`);
    t.equal(s.spans.results[0].logEvents.results.length, bySpan.length);
  });

  t.test("spans of a trace by id come back whole, read within the trace's own time range", async (t) => {
    const seeded = await sets.seeded();
    const seen: ViewQuery[] = [];
    const c = await startContract(t, factory, [seeded], { wrap: (store) => ({ ...store, query: (q) => (seen.push(q), store.query(q)) }) });
    const B = betweenOf(seeded);
    const spans = viewRows(seeded, 'spanEventView');
    for (const trace of seeded.rows.slice(0, 40).map((r) => r.views.rawTraceView[0])) {
      seen.length = 0;
      const want = spans.filter((r) => r.trace_id === trace.trace_id).map((r) => r.span_id).sort();
      const d = await c.data(`{ spans(limit: 1000, ${B}, filterBy: [{type: ID, idScope: "TRACE", operator: EQUALS, value: "${trace.trace_id}"}]) { results { id } total } }`);
      t.same([d.spans.results.map((r: any) => r.id).sort(), d.spans.total], [want, want.length], `trace ${trace.trace_id}`);
      const range = seen.find((q) => q.view === 'spanEventView')!.where.filter((p) => p.op === 'gte' || p.op === 'lt').map((p) => (p as { value: unknown }).value);
      t.same(range, [trace.start_time_millis, num(trace.end_time_millis) + 1], 'narrowed to the trace');
    }
    const none = await c.data(`{ spans(${B}, filterBy: [{type: ID, idScope: "TRACE", operator: EQUALS, value: "${'f'.repeat(32)}"}]) { results { id } total } }`);
    t.same(none.spans, { results: [], total: 0 }, 'an id no trace has');
  });

  t.test('filters: LIKE is a regular expression; map keys with CONTAINS_KEY_LIKE; ids in any case', async (t) => {
    const seeded = await sets.seeded();
    const c = await startContract(t, factory, [seeded]);
    const spans = viewRows(seeded, 'spanEventView');
    const B = betweenOf(seeded);
    const total = async (filter: string) => (await c.data(`{ spans(${B}, filterBy: [${filter}]) { total } }`)).spans.total;
    const name = String(spans[0].reported_service_name);
    t.equal(await total(`{type: ATTRIBUTE, keyExpression: {key: "serviceName"}, operator: LIKE, value: "^${name.slice(0, 3)}.*"}`), spans.filter((r) => new RegExp(`^${name.slice(0, 3)}.*`).test(String(r.reported_service_name))).length, 'LIKE ^prefix');
    const keys = (r: (typeof spans)[number]) => Object.keys((r.tags ?? {}) as Record<string, string>);
    t.equal(await total(`{type: ATTRIBUTE, keyExpression: {key: "spanTags"}, operator: CONTAINS_KEY_LIKE, value: ["^http\\\\."]}`), spans.filter((r) => keys(r).some((k) => /^http\./.test(k))).length, 'CONTAINS_KEY_LIKE');
    t.equal(await total(`{type: ATTRIBUTE, keyExpression: {key: "spanTags"}, operator: NOT_CONTAINS_KEY, value: ["db.system"]}`), spans.filter((r) => !keys(r).includes('db.system')).length, 'NOT_CONTAINS_KEY');
    const upper = String(spans[3].trace_id).toUpperCase();
    t.equal(await total(`{type: ID, idScope: "TRACE", operator: EQUALS, value: "${upper}"}`), spans.filter((r) => r.trace_id === spans[3].trace_id).length, 'an upper-case trace id');
  });

  t.test('explore: groups with percentiles (p99 by default), a per-minute series with __Other', async (t) => {
    const seeded = await sets.seeded();
    const c = await startContract(t, factory, [seeded]);
    const B = betweenOf(seeded);
    const spans = viewRows(seeded, 'spanEventView');
    // SPAN.serviceName is the service the tracer reported.
    const bySvc = groupBy(spans, (r) => String(r.reported_service_name));
    const groups = (await c.data(`{ explore(scope: "SPAN", ${B}, groupBy: {expressions: [{key: "serviceName"}], groupLimit: 100}) { results { s: selection(expression: {key: "serviceName"}) { value type } n: selection(expression: {key: "spans"}, aggregation: COUNT) { value type } p: selection(expression: {key: "duration"}, aggregation: PERCENTILE) { value type } e: selection(expression: {key: "errorCount"}, aggregation: SUM) { value } } total } }`)).explore;
    t.equal(groups.total, bySvc.size);
    const counts = groups.results.map((r: any) => r.n.value);
    t.same(counts, [...counts].sort((a: number, b: number) => b - a), 'ordered by the first aggregation, descending');
    for (const r of groups.results) {
      const rows = bySvc.get(r.s.value)!;
      t.same([r.s.type, r.n.type, r.p.type], ['STRING', 'LONG', 'DOUBLE']);
      t.equal(r.n.value, rows.length, `${r.s.value} span count`);
      t.equal(r.e.value, sum(rows.map((x) => num(x.error_count))));
      t.ok(Math.abs(r.p.value - percentile(rows.map((x) => num(x.duration_millis)), 99)!) < 1e-6, `${r.s.value} p99`);
    }

    const top = [...bySvc.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1)).slice(0, 2).map(([k]) => k);
    const series = (await c.data(`{ explore(scope: "SPAN", ${B}, limit: 10000, interval: {size: 1, units: MINUTES}, groupBy: {expressions: [{key: "serviceName"}], groupLimit: 2, includeRest: true}) { results { intervalStart s: selection(expression: {key: "serviceName"}) { value } n: selection(expression: {key: "spans"}, aggregation: COUNT) { value } r: selection(expression: {key: "spans"}, aggregation: AVGRATE, size: 1, units: SECONDS) { value } } } }`)).explore.results;
    const want = new Map<string, number>();
    for (const r of spans) {
      const g = top.includes(String(r.reported_service_name)) ? String(r.reported_service_name) : '__Other';
      const k = `${Math.floor(num(r.start_time_millis) / 60_000) * 60_000}/${g}`;
      want.set(k, (want.get(k) ?? 0) + 1);
    }
    const got = new Map<string, number>(series.map((r: any) => [`${Date.parse(r.intervalStart)}/${r.s.value}`, r.n.value]));
    t.same(got, want, 'per minute, the top two services and __Other');
    for (const r of series) t.ok(Math.abs(r.r.value - r.n.value / 60) < 1e-9, 'avgrate over the interval');
    const starts = series.map((r: any) => Date.parse(r.intervalStart));
    t.same(starts, [...starts].sort((a, b) => a - b), 'in time order');
  });

  t.test('explore on API_TRACE keeps its implicit filters; a plain explore selects rows', async (t) => {
    const hotrod = await sets.hotrod();
    const c = await startContract(t, factory, [hotrod]);
    const B = betweenOf(hotrod);
    const entries = viewRows(hotrod, 'spanEventView').filter((r) => r.api_boundary_type === 'ENTRY' && r.api_id);
    const d = await c.data(`{ explore(context: API_TRACE, ${B}, groupBy: {keys: ["serviceName"]}) { results { s: selection(key: "serviceName") { value } c: selection(expression: {key: "calls"}, aggregation: COUNT) { value } } } }`);
    const want = [...groupBy(entries, (r) => String(r.service_name)).entries()].map(([k, v]) => [k, v.length]).sort();
    t.same(d.explore.results.map((r: any) => [r.s.value, r.c.value]).sort(), want);
    const plain = await c.data(`{ explore(scope: "API_TRACE", ${B}, limit: 3, orderBy: [{keyExpression: {key: "duration"}, direction: DESC}]) { results { d: selection(expression: {key: "duration"}) { value type } } total } }`);
    t.same(plain.explore.results.map((r: any) => r.d.value), entries.map((r) => num(r.duration_millis)).sort((a, b) => b - a).slice(0, 3));
    t.equal(plain.explore.total, entries.length);
  });
}
