// Issue 4 §3: a re-opened trace is enriched again as a whole. A caller's client span first
// looks like a call to an untraced backend; when the callee's entry span arrives late, the
// trace is re-assembled with its stored spans, re-enriched, and its rows replaced: the call is
// now an edge between two services and the guessed backend is gone.
import t from 'tap';
import { startTestNode } from '../helpers/node.ts';
import { otlpJson, postOtlpJson, randomHex } from '../helpers/otlpJson.ts';
import { between, gqlData, traceSpanCount } from '../helpers/graphql.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVER = 2;
const CLIENT = 3;
const HOUR = 3_600_000;

t.test('a late entry span turns a backend call into a service-to-service edge', { timeout: 120_000 }, async (t) => {
  const n = await startTestNode(t);
  const traceId = randomHex(16);
  const now = Date.now();
  const root = randomHex(8);
  const call = randomHex(8);
  const http = (path: string) => ({ 'http.method': 'GET', 'http.url': `http://stock:8080${path}`, 'http.status_code': 200 });
  await postOtlpJson(n.otlpHttp, otlpJson(traceId, [
    { service: 'shop', spanId: root, name: 'GET /cart', kind: SERVER, startMs: now - 100, durMs: 100, attributes: { 'http.method': 'GET', 'http.route': '/cart' } },
    { service: 'shop', spanId: call, parentSpanId: root, name: 'GET', kind: CLIENT, startMs: now - 90, durMs: 50, attributes: http('/stock/42') },
  ]));
  const B = between(now - HOUR, now + HOUR);
  const edges = async () => {
    const d = await gqlData(n.graphql, `{ entities(scope: "SERVICE", ${B}) { results { name: attribute(expression: {key: "name"})
      services: outgoingEdges(neighborType: SERVICE) { results { neighbor { name: attribute(expression: {key: "name"}) } } }
      backends: outgoingEdges(neighborType: BACKEND) { results { neighbor { name: attribute(expression: {key: "name"}) } } } } } }`);
    const out: string[] = [];
    for (const s of d.entities.results) {
      for (const e of s.services.results) out.push(`${s.name} → service ${e.neighbor.name}`);
      for (const e of s.backends.results) out.push(`${s.name} → backend ${e.neighbor.name}`);
    }
    return out.sort();
  };

  await waitFor(() => traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR), { timeoutMs: 60_000, what: 'the first write' });
  t.same(await edges(), ['shop → backend stock:8080'], 'before the late span: a call to an untraced HTTP backend');

  await postOtlpJson(n.otlpHttp, otlpJson(traceId, [
    { service: 'stock', spanId: randomHex(8), parentSpanId: call, name: 'GET /stock/42', kind: SERVER, startMs: now - 85, durMs: 40, attributes: { 'http.method': 'GET', 'http.target': '/stock/42' } },
  ]));
  await waitFor(async () => (await traceSpanCount(n.graphql, traceId, now - HOUR, now + HOUR)) === 3, { timeoutMs: 60_000, what: 'the late span to join its trace' });
  const after = await waitFor(async () => {
    const e = await edges();
    return e.includes('shop → service stock') ? e : undefined;
  }, { timeoutMs: 30_000, what: 'the re-enriched rows' });
  t.same(after, ['shop → service stock'], 'after it: a service-to-service edge, and the backend guess is gone');
  const apis = await gqlData(n.graphql, `{ entities(scope: "API", ${B}) { results { name: attribute(expression: {key: "name"}) } } }`);
  t.same(apis.entities.results.map((r: { name: string }) => r.name).sort(), ['GET /cart', 'GET /stock/{id}'], 'the late entry span got its API');
});
