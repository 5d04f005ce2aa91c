// Contract: tenant scoping through every root field, coded errors (unknown attribute,
// unsupported aggregation, bad time range, limits, timeout), and `total` computed only when
// selected.
import type { Test } from 'tap';
import type { ViewStore } from '../../src/store/api.ts';
import type { ViewQuery } from '../../src/store/query.ts';
import { startContract, type ContractFactory } from './contract.harness.ts';
import { betweenOf, hotrodSpans, type DataSet } from './seed.ts';

/** Edges of neighbors of neighbors…, `levels` deep. */
const nest = (levels: number): string =>
  levels === 0 ? 'metric(key: "duration") { percentile(size: 50) { value } }' : `outgoingEdges(neighborType: SERVICE) { results { neighbor { ${nest(levels - 1)} } } }`;

export function safetyContract(t: Test, factory: ContractFactory, sets: { hotrod: (tenant?: string) => Promise<DataSet> }): void {
  t.test("no row of tenant A reaches tenant B through any root field", async (t) => {
    const a = await sets.hotrod('tenant-a');
    const c = await startContract(t, factory, [a]);
    const B = betweenOf(a);
    const traceId = hotrodSpans('tenant-a')[0].traceId;
    const idFilter = `filterBy: [{type: ID, idScope: "TRACE", operator: EQUALS, value: "${traceId}"}]`;
    const fields: [string, (d: any) => number][] = [
      [`{ x: traces(type: TRACE, ${B}) { total } }`, (d) => d.x.total],
      [`{ x: traces(type: API_TRACE, ${B}) { total } }`, (d) => d.x.total],
      [`{ x: traces(type: BACKEND_TRACE, ${B}) { total } }`, (d) => d.x.total],
      [`{ x: spans(${B}, ${idFilter}) { total } }`, (d) => d.x.total],
      [`{ x: logEvents(${B}) { total } }`, (d) => d.x.total],
      [`{ x: entities(scope: "SERVICE", ${B}) { total } }`, (d) => d.x.total],
      [`{ x: entities(scope: "BACKEND", ${B}, includeInactive: true) { total } }`, (d) => d.x.total],
      [`{ x: entities(type: API, ${B}) { results { out: outgoingEdges(neighborType: SERVICE) { count } } } }`, (d) => d.x.results.length],
      [`{ x: explore(scope: "SPAN", ${B}) { results { selection(expression: {key: "spans"}, aggregation: COUNT) { value } } } }`, (d) => d.x.results[0]?.selection.value ?? 0],
    ];
    for (const [query, seen] of fields) {
      t.ok(seen(await c.data(query, 'tenant-a')) > 0, `tenant A sees its rows: ${query.slice(0, 40)}`);
      t.equal(seen(await c.data(query, 'tenant-b')), 0, `tenant B sees none: ${query.slice(0, 40)}`);
    }
  });

  t.test('a wrong request gets a coded error naming what was wrong', async (t) => {
    const hotrod = await sets.hotrod();
    const c = await startContract(t, factory, [hotrod]);
    const B = betweenOf(hotrod);
    const cases: [string, string, string][] = [
      ['an unknown attribute', `{ spans(limit: 5, ${B}, filterBy: [{operator: EQUALS, value: "x", type: ATTRIBUTE, keyExpression: {key: "noSuchAttribute"}}]) { results { id } } }`, 'UNKNOWN_ATTRIBUTE'],
      ['an unknown metric', `{ entities(scope: "SERVICE", ${B}) { results { metric(expression: {key: "nope"}) { sum { value } } } } }`, 'UNKNOWN_ATTRIBUTE'],
      ['an aggregation the attribute does not support', `{ entities(scope: "SERVICE", ${B}) { results { metric(expression: {key: "name"}) { sum { value } } } } }`, 'UNSUPPORTED_AGGREGATION'],
      ['a percentile of text in explore', `{ explore(scope: "SPAN", ${B}) { results { selection(expression: {key: "serviceName"}, aggregation: PERCENTILE) { value } } } }`, 'UNSUPPORTED_AGGREGATION'],
      ['an end before the start', `{ entities(scope: "SERVICE", between: {startTime: "2024-01-02T00:00:00Z", endTime: "2024-01-01T00:00:00Z"}) { total } }`, 'BAD_TIME_RANGE'],
      ['an empty time range', `{ spans(between: {startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-01T00:00:00Z"}) { total } }`, 'BAD_TIME_RANGE'],
      ['a limit over 10 000', `{ entities(scope: "SERVICE", ${B}, limit: 10001) { total } }`, 'LIMIT_TOO_LARGE'],
      ['a scope that is not an entity scope', `{ entities(scope: "SPAN", ${B}) { total } }`, 'BAD_QUERY'],
      ['an unknown scope', `{ explore(scope: "NOPE", ${B}) { total } }`, 'BAD_QUERY'],
      ['a selection neither grouped nor aggregated', `{ explore(scope: "SPAN", ${B}, groupBy: {keys: ["serviceName"]}) { results { selection(expression: {key: "apiName"}) { value } } } }`, 'BAD_QUERY'],
      ['a series interval of zero', `{ entities(scope: "SERVICE", ${B}) { results { metric(expression: {key: "duration"}) { series(size: 0, units: MINUTES) { startTime } } } } }`, 'BAD_QUERY'],
      ['a query nested too deep', `{ entities(scope: "SERVICE", ${B}) { results { ${nest(3)} } } }`, 'LIMIT_TOO_LARGE'],
    ];
    for (const [title, query, code] of cases) {
      const r = await c.run(query);
      t.equal(r.errors?.[0]?.extensions?.code, code, title);
      t.ok((r.errors?.[0]?.message ?? '').length > 10, `${title}: ${r.errors?.[0]?.message}`);
    }
    const wide = Array.from({ length: 500 }, (_, i) => `e${i}: entities(scope: "SERVICE", ${B}) { total }`).join(' ');
    t.equal(await c.code(`{ ${wide} }`), 'LIMIT_TOO_LARGE', 'a query over the cost bound');
  });

  t.test('a query past its deadline answers DEADLINE_EXCEEDED, and the gateway keeps serving', async (t) => {
    const hotrod = await sets.hotrod();
    let stall = true;
    const wrap = (store: ViewStore): ViewStore => ({ ...store, query: (q) => (stall ? new Promise(() => undefined) : store.query(q)) });
    // A deadline the real store meets even on a loaded machine; the stalled query never does.
    const c = await startContract(t, factory, [hotrod], { queryTimeoutMs: 2000, wrap });
    t.equal(await c.code(`{ entities(scope: "SERVICE", ${betweenOf(hotrod)}) { total } }`), 'DEADLINE_EXCEEDED');
    stall = false;
    t.equal((await c.data(`{ entities(scope: "SERVICE", ${betweenOf(hotrod)}) { total } }`)).entities.total, 4);
  });

  t.test('total is computed only when it is selected', async (t) => {
    const hotrod = await sets.hotrod();
    const seen: ViewQuery[] = [];
    const wrap = (store: ViewStore): ViewStore => ({ ...store, query: (q) => (seen.push(q), store.query(q)) });
    const c = await startContract(t, factory, [hotrod], { wrap });
    const B = betweenOf(hotrod);
    for (const root of [`traces(type: TRACE, ${B})`, `spans(${B})`, `entities(scope: "SERVICE", ${B})`, `explore(scope: "SPAN", ${B}, groupBy: {keys: ["serviceName"]})`, `logEvents(${B})`]) {
      seen.length = 0;
      await c.data(`{ ${root} { count } }`);
      t.notOk(seen.some((q) => q.withTotal), `${root.split('(')[0]} without total asks for none`);
      seen.length = 0;
      const d = await c.data(`{ x: ${root} { total } }`);
      t.ok(seen.some((q) => q.withTotal), `${root.split('(')[0]} with total asks for it`);
      t.ok(d.x.total > 0);
    }
  });
}
