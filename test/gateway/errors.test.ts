// Every error the endpoint returns carries extensions.code from src/errors.ts: request-shape
// problems, GraphQL syntax and validation errors, planner refusals and deadlines.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { buildGraphqlHttpHandler } from '../../src/gateway/http.ts';
import type { ViewStore } from '../../src/store/api.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import { between, hotrodSpans, startGateway } from './fixture.ts';

const hotrod = hotrodSpans();
const startMs = Math.floor(Math.min(...hotrod.map((s) => s.startUs)) / 1000);
const B = between(startMs - 1800e3, startMs + 1800e3);
const attr = (key: string, operator: string, value: string) =>
  `{type: ATTRIBUTE, keyExpression: {key: "${key}"}, operator: ${operator}, value: ${value}}`;

t.test('a bad query gets a GraphQL error with the right extensions.code', async (t) => {
  const gw = await startGateway(t, [hotrod]);
  const cases: [string, string, string][] = [
    ['an unknown attribute selected', `{ spans(${B}) { results { x: attribute(expression: {key: "noSuchKey"}) } } }`, 'UNKNOWN_ATTRIBUTE'],
    ['an unknown attribute filtered', `{ spans(${B}, filterBy: [${attr('noSuchKey', 'EQUALS', '"x"')}]) { total } }`, 'UNKNOWN_ATTRIBUTE'],
    ['an unknown attribute ordered by', `{ traces(type: TRACE, ${B}, orderBy: [{keyExpression: {key: "nope"}}]) { total } }`, 'UNKNOWN_ATTRIBUTE'],
    ['no between', `{ spans(limit: 5) { total } }`, 'BAD_QUERY'],
    ['a limit over 10 000', `{ spans(${B}, limit: 10001) { total } }`, 'LIMIT_TOO_LARGE'],
    ['a negative offset', `{ spans(${B}, offset: -1) { total } }`, 'BAD_QUERY'],
    ['an operator that does not exist', `{ spans(${B}, filterBy: [${attr('serviceName', 'CONTAINS', '"x"')}]) { total } }`, 'BAD_QUERY'],
    ['CONTAINS_KEY_LIKE on an attribute that is not a map', `{ spans(${B}, filterBy: [${attr('serviceName', 'CONTAINS_KEY_LIKE', '"x"')}]) { total } }`, 'BAD_QUERY'],
    ['text where a number is needed', `{ spans(${B}, filterBy: [${attr('duration', 'GREATER_THAN', '"abc"')}]) { total } }`, 'BAD_QUERY'],
    ['a list for a single-value operator', `{ spans(${B}, filterBy: [${attr('serviceName', 'EQUALS', '["a"]')}]) { total } }`, 'BAD_QUERY'],
    ['a time that is not one', `{ spans(between: {startTime: "yesterday", endTime: "2024-01-01T00:00:00Z"}) { total } }`, 'BAD_TIME_RANGE'],
    ['a time range that ends before it starts', `{ spans(between: {startTime: "2024-01-02T00:00:00Z", endTime: "2024-01-01T00:00:00Z"}) { total } }`, 'BAD_TIME_RANGE'],
    ['an empty time range', `{ traces(type: TRACE, between: {startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-01T00:00:00Z"}) { total } }`, 'BAD_TIME_RANGE'],
    ['an empty time range on entities', `{ entities(scope: "SERVICE", between: {startTime: 1700000000000, endTime: 1600000000000}) { total } }`, 'BAD_TIME_RANGE'],
    ['a percentile of a string attribute', `{ entities(scope: "SERVICE", ${B}) { results { metric(expression: {key: "name"}) { percentile(size: 99) { value } } } } }`, 'UNSUPPORTED_AGGREGATION'],
    ['a sum of a string attribute in explore', `{ explore(scope: "SPAN", ${B}) { results { selection(expression: {key: "serviceName"}, aggregation: SUM) { value } } } }`, 'UNSUPPORTED_AGGREGATION'],
    ['an average of a map entry', `{ explore(scope: "SPAN", ${B}) { results { selection(expression: {key: "spanTags", subpath: "http.status_code"}, aggregation: AVG) { value } } } }`, 'UNSUPPORTED_AGGREGATION'],
    ['an order by an unsupported aggregation', `{ entities(scope: "SERVICE", ${B}, orderBy: [{keyExpression: {key: "name"}, aggregation: AVG}]) { total } }`, 'UNSUPPORTED_AGGREGATION'],
    ['an ID filter without idScope or idType', `{ spans(${B}, filterBy: [{type: ID, operator: EQUALS, value: "383acc79e53b84da"}]) { total } }`, 'BAD_QUERY'],
    ['an ID filter naming a scope with no id mapping', `{ traces(type: TRACE, ${B}, filterBy: [{type: ID, idScope: "SERVICE", operator: EQUALS, value: "x"}]) { total } }`, 'BAD_QUERY'],
    ['an id that is not hex', `{ spans(${B}, filterBy: [{type: ID, idScope: "TRACE", operator: EQUALS, value: "not-an-id"}]) { total } }`, 'BAD_QUERY'],
    ['LIKE with a broken regular expression', `{ spans(${B}, filterBy: [${attr('serviceName', 'LIKE', '"("')}]) { total } }`, 'BAD_QUERY'],
    ['a subpath of a non-map attribute', `{ spans(${B}) { results { attribute(expression: {key: "serviceName", subpath: "x"}) } } }`, 'BAD_QUERY'],
    ['a whole map compared with a value', `{ spans(${B}, filterBy: [${attr('spanTags', 'EQUALS', '"x"')}]) { total } }`, 'BAD_QUERY'],
    ['a trace type that does not exist', `{ traces(type: SPAN_TRACE, ${B}) { total } }`, 'BAD_QUERY'],
    ['a field that does not exist', `{ spans(${B}) { nope } }`, 'BAD_QUERY'],
    ['a syntax error', `{ spans(${B} { total }`, 'BAD_QUERY'],
  ];
  for (const [title, query, code] of cases) {
    const { status, json } = await gw.post({ query });
    t.equal(status, 200, `${title}: answered in GraphQL form`);
    t.ok(json.errors?.length > 0, `${title}: has errors`);
    t.same(json.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code), json.errors?.map(() => code), `${title}: ${code}`);
  }
});

t.test('each catalogue error names what was wrong', async (t) => {
  const gw = await startGateway(t, [hotrod]);
  const cases: [string, string, string, string[]][] = [
    ['unknown attribute', `{ spans(${B}) { results { x: attribute(expression: {key: "noSuchKey"}) } } }`, 'UNKNOWN_ATTRIBUTE', ['noSuchKey', 'SPAN']],
    ['unsupported aggregation', `{ explore(scope: "SPAN", ${B}) { results { selection(expression: {key: "serviceName"}, aggregation: SUM) { value } } } }`, 'UNSUPPORTED_AGGREGATION', ['SUM', 'serviceName']],
    ['bad time range', `{ spans(between: {startTime: "2024-01-02T00:00:00Z", endTime: "2024-01-01T00:00:00Z"}) { total } }`, 'BAD_TIME_RANGE', ['2024-01-02T00:00:00.000Z', '2024-01-01T00:00:00.000Z']],
    ['a bound that is no time', `{ spans(between: {startTime: "yesterday", endTime: "2024-01-01T00:00:00Z"}) { total } }`, 'BAD_TIME_RANGE', ['yesterday']],
  ];
  for (const [title, query, code, named] of cases) {
    const { json } = await gw.post({ query });
    t.equal(json.errors?.[0]?.extensions?.code, code, `${title}: ${code}`);
    for (const part of named) t.match(json.errors?.[0]?.message, part, `${title}: names ${part}`);
  }
});

t.test('a request that is not GraphQL gets a coded error and an HTTP status', async (t) => {
  const gw = await startGateway(t, []);
  const notJson = await gw.post('{"query": ');
  t.equal(notJson.status, 400);
  t.equal(notJson.json.errors[0].extensions.code, 'INVALID_ARGUMENT');
  const emptyBatch = await gw.post([]);
  t.equal(emptyBatch.status, 400);
  t.equal(emptyBatch.json.errors[0].extensions.code, 'BAD_QUERY');
  const noQuery = await gw.post({ variables: {} });
  t.equal(noQuery.json.errors[0].extensions.code, 'BAD_QUERY');
  const tooBig = await gw.post({ query: `{ __typename }`, pad: 'x'.repeat(1024 * 1024 + 1) });
  t.equal(tooBig.status, 413);
  t.equal(tooBig.json.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
  const put = await fetch(gw.url, { method: 'PUT', body: '{}' });
  t.equal(put.status, 405);
  t.equal((await put.json()).errors[0].extensions.code, 'BAD_QUERY');
  const badVars = await fetch(`${gw.url}?query=${encodeURIComponent('{ __typename }')}&variables=%7B`);
  t.equal((await badVars.json()).errors[0].extensions.code, 'BAD_QUERY');
  const after = await gw.post({ query: '{ __typename }' });
  t.same(after.json, { data: { __typename: 'Query' } }, 'the endpoint still serves');
});

t.test('an operation past its deadline answers DEADLINE_EXCEEDED and stops its store query', async (t) => {
  // A store whose queries only end when told to stop: the port is all the gateway sees.
  let stopped = 0;
  const stuck: ViewStore = {
    init: async () => undefined,
    replaceTraces: async () => undefined,
    storedSpans: async () => new Map(),
    query: (_q, opts) => new Promise((_resolve, reject) => {
      opts?.signal?.addEventListener('abort', () => {
        stopped++;
        reject(new Error('stopped'));
      });
    }),
    close: async () => undefined,
  };
  const server = http.createServer(buildGraphqlHttpHandler({ store: stuck, defaultTenant: '__default', logger: pino({ level: 'silent' }), queryTimeoutMs: 50 }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ spans(${B}) { total } }` }) });
  const json = await res.json();
  t.equal(json.errors[0].extensions.code, 'DEADLINE_EXCEEDED');
  t.equal(stopped, 1, 'the store was told to stop the query the operation was waiting on');
});

t.test('a DuckDB query past the GraphQL deadline is interrupted and its only reader serves the next operation', async (t) => {
  // Two million synthetic spans (written by SQL: the write path would take minutes) make a
  // regex search grouped by span run for seconds; the store has one reader connection.
  const instance = await DuckDBInstance.create(':memory:');
  t.teardown(() => instance.closeSync());
  const store = await openDuckDbViewStore({ path: ':memory:', instance, readers: 1 });
  t.teardown(() => store.close());
  const conn = await instance.connect();
  await conn.run(`INSERT INTO spanEventView (tenant_id, span_id, trace_id, start_time_millis, duration_millis, service_name, reported_service_name, tags)
    SELECT '__default', lpad(to_hex(i), 16, '0'), lpad(to_hex(i // 10), 32, '0'), ${startMs} + i // 2000, i % 977, 'svc' || (i % 7), 'svc' || (i % 7), '{"http.url":"' || repeat('ab', 20 + i % 30) || 'c"}'
    FROM range(2000000) r(i)`);
  conn.closeSync();
  const handler = buildGraphqlHttpHandler({ store, defaultTenant: '__default', logger: pino({ level: 'silent' }), queryTimeoutMs: 400 });
  t.teardown(() => handler.close());
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const post = async (query: string) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).json();

  const heavy = await post(`{ explore(scope: "SPAN", ${B}, limit: 10000, filterBy: [${attr('spanTags', 'LIKE', '"(a|b)+x?c*$"').replace('key: "spanTags"', 'key: "spanTags", subpath: "http.url"')}], groupBy: {expressions: [{key: "id"}], groupLimit: 10000}) { results { p: selection(expression: {key: "duration"}, aggregation: PERCENTILE, size: 99) { value } } } }`);
  t.equal(heavy.errors?.[0]?.extensions?.code, 'DEADLINE_EXCEEDED', 'the heavy operation answers DEADLINE_EXCEEDED');
  // One millisecond of rows (they are in time order): quick, even on a loaded machine.
  const next = await post(`{ spans(${between(startMs + 500, startMs + 501)}, limit: 1, filterBy: [${attr('serviceName', 'EQUALS', '"svc3"')}]) { results { serviceName: attribute(expression: {key: "serviceName"}) } } }`);
  t.notOk(next.errors, 'the next operation is answered within its own deadline: the reader was freed');
  t.same(next.data?.spans?.results, [{ serviceName: 'svc3' }]);
});
