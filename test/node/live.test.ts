// A running node serves live subscriptions on its /graphql port: a trace sent over OTLP reaches a
// graphql-ws subscriber whose filter matches it, and a late span arrives as an update.
import t from 'tap';
import { startTestNode } from '../helpers/node.ts';
import { waitFor } from '../helpers/wait.ts';
import { otlpJson, postOtlpJson, randomHex } from '../helpers/otlpJson.ts';
import { liveClient } from '../live/client.ts';

t.test('the node delivers matching live traces and their updates over graphql-ws', async (t) => {
  const n = await startTestNode(t);
  const c = liveClient(t, n.graphql.replace('http://', 'ws://'));
  const sub = c.subscribe(`subscription { liveTraces(type: TRACE, filterBy: [{type: ATTRIBUTE, keyExpression: {key: "services"}, operator: EQUALS, value: "live-shop"}]) {
    id update n: attribute(expression: {key: "numSpans"}) } }`);
  const matching = randomHex(16);
  const other = randomHex(16);
  const root = randomHex(8);
  const now = Date.now();
  // Keep sending until the subscription is registered and the first event arrives.
  await waitFor(async () => {
    await postOtlpJson(n.otlpHttp, otlpJson(matching, [{ service: 'live-shop', spanId: root, name: 'GET /', startMs: now, durMs: 5 }]));
    await postOtlpJson(n.otlpHttp, otlpJson(other, [{ service: 'elsewhere', spanId: randomHex(8), name: 'GET /', startMs: now, durMs: 5 }]));
    return sub.events.length > 0;
  }, { timeoutMs: 20_000, everyMs: 500, what: 'a live event' });
  t.equal(sub.errors, null);
  t.ok(sub.events.every((e) => e.id === matching), 'only the matching trace is delivered');
  await postOtlpJson(n.otlpHttp, otlpJson(matching, [{ service: 'live-shop', spanId: randomHex(8), parentSpanId: root, name: 'late', startMs: now + 1, durMs: 1 }]));
  const update = await waitFor(() => sub.events.find((e) => e.update === true && e.n === 2), { what: 'the update event' });
  t.equal(update.id, matching);
});
