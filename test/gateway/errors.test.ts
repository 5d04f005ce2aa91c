// Every error the endpoint returns carries extensions.code from src/errors.ts: request-shape
// problems, GraphQL syntax and validation errors, planner refusals and deadlines.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { buildGraphqlHttpHandler } from '../../src/gateway/http.ts';
import type { ViewStore } from '../../src/store/api.ts';
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
    ['a time that is not one', `{ spans(between: {startTime: "yesterday", endTime: "2024-01-01T00:00:00Z"}) { total } }`, 'BAD_QUERY'],
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

t.test('an operation past its deadline answers DEADLINE_EXCEEDED', async (t) => {
  // A store whose queries never finish: the port is all the gateway sees.
  const stuck: ViewStore = {
    init: async () => undefined,
    replaceTraces: async () => undefined,
    storedSpans: async () => new Map(),
    query: () => new Promise(() => undefined),
    close: async () => undefined,
  };
  const server = http.createServer(buildGraphqlHttpHandler({ store: stuck, defaultTenant: '__default', logger: pino({ level: 'silent' }), queryTimeoutMs: 50 }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ spans(${B}) { total } }` }) });
  const json = await res.json();
  t.equal(json.errors[0].extensions.code, 'DEADLINE_EXCEEDED');
});
