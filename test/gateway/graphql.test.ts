// GraphQL end to end, in-process over HTTP, against DuckDB filled through the write path's
// row builder: the reference's trace-detail query (Q6), ID filters, tenants, the Apollo batch
// form, GET and CORS.
import t from 'tap';
import { between, hotrodSpans, rowsOf, startGateway, HOTROD_ID, HOTROD_ID_64 } from './fixture.ts';
import { makeSpan, hexId } from '../helpers/spans.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';

const hotrod = hotrodSpans();
const startMs = Math.floor(Math.min(...hotrod.map((s) => s.startUs)) / 1000);
const B = between(startMs - 1800e3, startMs + 1800e3);

const q6 = (id: string) => [
  `{ traces(type: TRACE, limit: 1, ${B}, filterBy: [{operator: EQUALS, value: "${id}", type: ID, idScope: "TRACE"}]) { results { id startTime: attribute(expression: {key: "startTime"}) duration: attribute(expression: {key: "duration"}) } } }`,
  `{ spans(limit: 1000, ${B}, filterBy: [{operator: EQUALS, value: "${id}", type: ID, idScope: "TRACE"}]) { results { id logEvents { results { attributes: attribute(expression: {key: "attributes"}) timestamp: attribute(expression: {key: "timestamp"}) summary: attribute(expression: {key: "summary"}) } } displaySpanName: attribute(expression: {key: "displaySpanName"}) duration: attribute(expression: {key: "duration"}) endTime: attribute(expression: {key: "endTime"}) parentSpanId: attribute(expression: {key: "parentSpanId"}) serviceName: attribute(expression: {key: "serviceName"}) spanTags: attribute(expression: {key: "spanTags"}) startTime: attribute(expression: {key: "startTime"}) type: attribute(expression: {key: "type"}) traceId: attribute(expression: {key: "traceId"}) errorCount: attribute(expression: {key: "errorCount"}) } } }`,
];

t.test('Q6, batched in one POST, returns the trace and all its spans with typed attributes and log events', async (t) => {
  const gw = await startGateway(t, [hotrod]);
  const { status, json } = await gw.post(q6(HOTROD_ID_64).map((query) => ({ query })));
  t.equal(status, 200);
  t.ok(Array.isArray(json) && json.length === 2, 'a batch is answered with an array');
  t.notOk(json[0].errors ?? json[1].errors, JSON.stringify(json[0].errors ?? json[1].errors));

  const trace = json[0].data.traces.results;
  const endMs = Math.floor(Math.max(...hotrod.map((s) => s.endUs)) / 1000);
  t.same(trace, [{ id: HOTROD_ID, startTime: startMs, duration: endMs - startMs }], 'epoch-ms numbers and a lowercase id');

  const spans = json[1].data.spans.results as any[];
  t.equal(spans.length, hotrod.length, 'every span of the trace');
  const byId = new Map(hotrod.map((s) => [s.spanId, s]));
  // Names as enrichment gives them (API names; leaf exits count for their caller's service).
  const rowOf = new Map((await rowsOf(assembleTrace(hotrod))).views.spanEventView.map((r) => [r.span_id, r]));
  for (const r of spans) {
    const s = byId.get(r.id)!;
    t.ok(s, `span ${r.id} is one of the trace's`);
    t.match(r, {
      displaySpanName: rowOf.get(r.id)!.display_span_name,
      serviceName: rowOf.get(r.id)!.reported_service_name,
      parentSpanId: s.parentSpanId === '' ? null : s.parentSpanId,
      startTime: Math.floor(s.startUs / 1000),
      duration: Math.floor((s.endUs - s.startUs) / 1000),
      traceId: HOTROD_ID,
    });
    t.same(r.spanTags, s.attributes, 'spanTags is the attribute object');
    t.equal(typeof r.errorCount, 'number');
    t.ok(['ENTRY', 'EXIT', 'UNKNOWN'].includes(r.type));
    t.equal(r.logEvents.results.length, s.events.length, `log events of ${r.id}`);
    r.logEvents.results.forEach((ev: any, i: number) => {
      t.equal(Date.parse(ev.timestamp), Math.floor(s.events[i].timeUs / 1000), 'an ISO timestamp');
      t.match(ev.timestamp, /\.\d{6}Z$/, 'with microseconds');
      t.match(ev.attributes, s.events[i].attributes);
      t.equal(typeof ev.summary, 'string');
    });
  }
  t.ok(hotrod.some((s) => s.events.length > 0), 'the fixture has log events to check');
});

t.test('an ID filter finds the trace by its 16- or 32-hex id, in any case', async (t) => {
  const gw = await startGateway(t, [hotrod]);
  for (const id of [HOTROD_ID_64, HOTROD_ID, HOTROD_ID_64.toUpperCase()]) {
    const d = await gw.data(`{ traces(type: TRACE, ${B}, filterBy: [{operator: EQUALS, value: "${id}", type: ID, idType: TRACE}]) { results { id numSpans: attribute(expression: {key: "numSpans"}) } total } }`);
    t.same(d.traces, { results: [{ id: HOTROD_ID, numSpans: hotrod.length }], total: 1 }, `traces by ${id}`);
    const s = await gw.data(`{ spans(limit: 1000, ${B}, filterBy: [{operator: IN, value: ["${id}"], type: ID, idScope: "TRACE"}]) { count total } }`);
    t.same(s.spans, { count: hotrod.length, total: hotrod.length }, `spans by ${id}`);
  }
  const one = hotrod[7];
  const d = await gw.data(`{ spans(${B}, filterBy: [{operator: EQUALS, value: "${one.spanId}", type: ID, idScope: "SPAN"}]) { results { id name: attribute(key: "name") } } }`);
  t.same(d.spans.results, [{ id: one.spanId, name: one.name }], 'a SPAN id filter, and the deprecated key: form');
});

t.test("every query is scoped to the caller's tenant", async (t) => {
  const mine = [makeSpan({ tenant: 'acme', traceId: HOTROD_ID, spanId: hexId(0xacce), serviceName: 'acme-web', startUs: startMs * 1000, endUs: startMs * 1000 + 10 })];
  const gw = await startGateway(t, [hotrod, mine]);
  const q = `{ spans(limit: 1000, ${B}, filterBy: [{operator: EQUALS, value: "${HOTROD_ID}", type: ID, idScope: "TRACE"}]) { results { serviceName: attribute(expression: {key: "serviceName"}) } total } }`;
  const acme = await gw.data(q, { 'x-tenant-id': 'acme' });
  t.same(acme.spans, { results: [{ serviceName: 'acme-web' }], total: 1 }, 'the acme tenant sees its own span only');
  const dflt = await gw.data(q);
  t.equal(dflt.spans.total, hotrod.length, 'no header: the default tenant');
  const none = await gw.data(q, { 'x-tenant-id': 'nobody' });
  t.equal(none.spans.total, 0);
});

t.test('a batch runs each operation on its own, with root aliases and __typename anywhere', async (t) => {
  const gw = await startGateway(t, [hotrod]);
  const { json } = await gw.post([
    { query: `{ a: traces(type: TRACE, ${B}) { results { id __typename } total __typename } b: traces(type: TRACE, ${B}, limit: 0) { count } __typename }` },
    { query: `{ spans(${B}, filterBy: [{type: ATTRIBUTE, keyExpression: {key: "nope"}, operator: EQUALS, value: 1}]) { total } }` },
    { query: `query Named($id: Unknown!) { spans(${B}, filterBy: [{operator: EQUALS, value: $id, type: ID, idScope: "TRACE"}]) { total } }`, variables: { id: HOTROD_ID_64 }, operationName: 'Named' },
  ]);
  t.equal(json.length, 3);
  t.same(json[0].data, { a: { results: [{ id: HOTROD_ID, __typename: 'Trace' }], total: 1, __typename: 'TraceResultSet' }, b: { count: 0 }, __typename: 'Query' });
  t.equal(json[1].errors[0].extensions.code, 'UNKNOWN_ATTRIBUTE', 'one failing operation does not fail the others');
  t.same(json[2].data, { spans: { total: hotrod.length } }, 'variables and operation names work too');
});

t.test('GET runs a query from ?query=, and CORS preflights are answered', async (t) => {
  const gw = await startGateway(t, [hotrod]);
  const health = await fetch(`${gw.url}?query=${encodeURIComponent('{__schema{queryType{name}}}')}`);
  t.equal(health.status, 200);
  t.same(await health.json(), { data: { __schema: { queryType: { name: 'Query' } } } });
  const q = `{ traces(type: TRACE, ${B}) { total } }`;
  const res = await fetch(`${gw.url}?query=${encodeURIComponent(q)}`);
  t.same(await res.json(), { data: { traces: { total: 1 } } });
  t.equal(res.headers.get('access-control-allow-origin'), '*');
  const pre = await fetch(gw.url, { method: 'OPTIONS', headers: { origin: 'http://ui.example', 'access-control-request-method': 'POST' } });
  t.equal(pre.status, 204);
  t.match(pre.headers.get('access-control-allow-headers'), /x-tenant-id/);
});
