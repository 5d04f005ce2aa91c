// The embedded node end to end: OTLP/HTTP and Jaeger-UI import in, GraphQL out, through the
// in-process span log, the partition actors and DuckDB.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { startTestNode } from '../helpers/node.ts';
import { waitFor } from '../helpers/wait.ts';
import { traceSpans, traceSpanCount, gql } from '../helpers/graphql.ts';
import { otlpJson, postOtlpJson, randomHex, type SpanSpec } from '../helpers/otlpJson.ts';

const HOUR = 3600_000;

t.test('a multi-service trace sent over OTLP/HTTP JSON is queryable with its spans and parent links', async (t) => {
  const n = await startTestNode(t);
  const traceId = randomHex(16);
  const now = Date.now();
  const [a, b, c] = [randomHex(8), randomHex(8), randomHex(8)];
  const res = await postOtlpJson(n.otlpHttp, otlpJson(traceId, [
    { service: 'web', spanId: a, name: 'GET /cart', kind: 2, startMs: now - 50, durMs: 50, attributes: { 'HTTP.Method': 'GET' } },
    { service: 'web', spanId: b, parentSpanId: a, name: 'GET', kind: 3, startMs: now - 40, durMs: 30 },
    { service: 'cart', spanId: c, parentSpanId: b, name: 'GET /items', kind: 2, startMs: now - 35, durMs: 20 },
  ]));
  t.equal(res.status, 200);
  await waitFor(() => traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR), { what: 'the trace to be written' });
  const spans = await traceSpans(n.graphql, traceId, now - HOUR, now + HOUR);
  t.equal(spans.total, 3);
  const byId = new Map(spans.results.map((s) => [s.id, s]));
  t.equal(byId.get(c)?.parentSpanId, b);
  t.equal(byId.get(b)?.parentSpanId, a);
  t.equal(byId.get(c)?.serviceName, 'cart');
  t.equal(byId.get(a)?.spanTags['http.method'], 'GET', 'attribute keys are lower-cased');
});

t.test('the HotROD Jaeger-UI export imports whole and answers the trace-detail query', async (t) => {
  const n = await startTestNode(t);
  const body = readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url));
  const res = await fetch(`${n.base}/api/import/jaeger`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  t.equal(res.status, 200, await res.clone().text());
  const start = 1613406996000;
  for (const id of ['383acc79e53b84da', '0000000000000000383acc79e53b84da']) {
    const count = await waitFor(() => traceSpanCount(n.graphql, id, start - HOUR, start + HOUR), { what: `HotROD by ${id}` });
    t.equal(count, 50, `numSpans by the ${id.length}-hex id`);
  }
  const spans = await traceSpans(n.graphql, '383acc79e53b84da', start - HOUR, start + HOUR);
  t.equal(spans.results.length, 50);
  t.equal(new Set(spans.results.map((s) => s.serviceName)).size, 6);
  t.equal(spans.results.filter((s) => !s.parentSpanId).length, 1, 'one root');
});

t.test('a late span re-opens its trace: one trace with every span, never a split', async (t) => {
  const n = await startTestNode(t);
  const traceId = randomHex(16);
  const now = Date.now();
  const root = randomHex(8);
  const first: SpanSpec[] = [
    { service: 'api', spanId: root, name: 'root', startMs: now - 100, durMs: 100 },
    { service: 'api', spanId: randomHex(8), parentSpanId: root, name: 'child', startMs: now - 90, durMs: 10 },
  ];
  await postOtlpJson(n.otlpHttp, otlpJson(traceId, first));
  await waitFor(() => traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR), { what: 'the first write' });
  const late = { service: 'worker', spanId: randomHex(8), parentSpanId: root, name: 'late', startMs: now - 50, durMs: 5 };
  await postOtlpJson(n.otlpHttp, otlpJson(traceId, [late]));
  const count = await waitFor(async () => {
    const c = await traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR);
    return c === 3 ? c : undefined;
  }, { what: 'the late span to join its trace' });
  t.equal(count, 3);
  const spans = await traceSpans(n.graphql, traceId, now - HOUR, now + HOUR);
  t.equal(spans.results.find((s) => s.id === late.spanId)?.parentSpanId, root);
});

t.test('a span sent twice is stored once', async (t) => {
  const n = await startTestNode(t);
  const traceId = randomHex(16);
  const now = Date.now();
  const body = otlpJson(traceId, [{ service: 'api', spanId: randomHex(8), name: 'once', startMs: now, durMs: 1 }]);
  await postOtlpJson(n.otlpHttp, body);
  await postOtlpJson(n.otlpHttp, body);
  await waitFor(() => traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR), { what: 'the trace' });
  // A copy arriving after the trace was written is merged with the stored spans, not added.
  await postOtlpJson(n.otlpHttp, body);
  await waitFor(async () => (await n.node.log.backlog()) === 0, { what: 'every entry to be acknowledged' });
  t.equal(await traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR), 1);
});

t.test('a huge trace is stored whole even past the open-span bound of its partition', async (t) => {
  const n = await startTestNode(t, { maxOpenSpansPerPartition: '1000' });
  const traceId = randomHex(16);
  const now = Date.now();
  const root = randomHex(8);
  const total = 10_000;
  const spans: SpanSpec[] = [{ service: 'batch', spanId: root, name: 'job', startMs: now - 1000, durMs: 1000 }];
  for (let i = 1; i < total; i++) spans.push({ service: 'batch', spanId: randomHex(8), parentSpanId: root, name: `step-${i % 7}`, startMs: now - 999 + (i % 900), durMs: 1 });
  for (let i = 0; i < total; i += 2000) {
    const r = await postOtlpJson(n.otlpHttp, otlpJson(traceId, spans.slice(i, i + 2000)));
    t.equal(r.status, 200);
  }
  const count = await waitFor(async () => {
    const c = await traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR);
    return c === total ? c : undefined;
  }, { timeoutMs: 60_000, what: `all ${total} spans in one trace` });
  t.equal(count, total);
});

t.test('each tenant sees only its own traces', async (t) => {
  const n = await startTestNode(t);
  const traceId = randomHex(16);
  const now = Date.now();
  await postOtlpJson(n.otlpHttp, otlpJson(traceId, [{ service: 'a', spanId: randomHex(8), name: 'x', startMs: now, durMs: 1 }]), 'tenant-a');
  await waitFor(() => traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR, { tenant: 'tenant-a' }), { what: 'tenant-a trace' });
  t.equal(await traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR, { tenant: 'tenant-b' }), undefined);
  t.equal(await traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR), undefined, 'nor the default tenant');
});

t.test('historical spans are accepted and queryable in their own time range', async (t) => {
  const n = await startTestNode(t);
  const traceId = randomHex(16);
  const lastYear = Date.now() - 365 * 24 * HOUR;
  await postOtlpJson(n.otlpHttp, otlpJson(traceId, [{ service: 'old', spanId: randomHex(8), name: 'x', startMs: lastYear, durMs: 3 }]));
  t.equal(await waitFor(() => traceSpanCount(n.graphql, traceId, lastYear - HOUR, lastYear + HOUR), { what: 'the old trace' }), 1);
});

t.test('a GraphQL request for an unknown attribute gets a coded error', async (t) => {
  const n = await startTestNode(t);
  const r = await gql(n.graphql, `{ spans(limit: 5, between: {startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z"}, filterBy: [{operator: EQUALS, value: "x", type: ATTRIBUTE, keyExpression: {key: "noSuchAttribute"}}]) { results { id } } }`);
  t.ok(r.errors?.[0]?.extensions?.code, 'extensions.code is set');
});
