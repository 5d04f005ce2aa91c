// The fan-out: one evaluation per trace per distinct filter set, a bounded buffer per
// subscriber, and a subscriber that falls behind cut off without disturbing the others.
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { catalog } from '../../src/gateway/catalog.ts';
import type { FilterArg } from '../../src/gateway/planner.ts';
import { LiveFanout } from '../../src/live/fanout.ts';
import { createMemoryLiveHub } from '../../src/live/memoryHub.ts';
import { planLive, type LiveRow } from '../../src/live/plan.ts';
import type { LiveStream } from '../../src/live/stream.ts';
import { waitFor } from '../helpers/wait.ts';
import { writtenTrace } from './written.ts';

const logger = pino({ level: 'silent' });
const f = (key: string, operator: string, value: unknown): FilterArg => ({ type: 'ATTRIBUTE', keyExpression: { key }, operator, value });

function setup(t: Test, maxBufferedBatches = 1000, maxBufferedEvents = 100_000) {
  const hub = createMemoryLiveHub({ logger });
  const fanout = new LiveFanout({ hub, logger, maxBufferedBatches, maxBufferedEvents });
  t.teardown(async () => {
    fanout.close();
    await hub.close();
  });
  return { hub, fanout };
}

/** Reads a stream in the background, keeping what arrives. */
function drain(stream: LiveStream<LiveRow>): LiveRow[] {
  const got: LiveRow[] = [];
  void (async () => {
    for await (const row of stream) got.push(row);
  })();
  return got;
}

t.test('evaluates each trace once per distinct filter set, however many subscribe to it', async (t) => {
  const { hub, fanout } = setup(t);
  const frontend = f('serviceName', 'EQUALS', 'frontend');
  const slow = f('duration', 'GREATER_THAN', 50);
  // 40 subscribers, 2 distinct sets: the same two filters in any order, and no filter at all.
  const streams = await Promise.all(Array.from({ length: 40 }, (_, i) =>
    fanout.subscribe('tenant', planLive(catalog, 'SPAN', i % 2 === 0 ? (i % 4 === 0 ? [frontend, slow] : [slow, frontend, slow]) : [], []), () => undefined)));
  const got = streams.map(drain);
  t.equal(fanout.stats().groups, 2, 'two distinct filter sets');
  t.equal(fanout.stats().subscriptions, 40);

  const traces = [writtenTrace({ tenant: 'tenant', service: 'frontend', durationMs: 120 }), writtenTrace({ tenant: 'tenant', service: 'driver', durationMs: 120 }), writtenTrace({ tenant: 'tenant', service: 'frontend', durationMs: 5 })];
  hub.publish(traces);
  const spans = traces.flatMap((w) => w.rows.views.spanEventView);
  await waitFor(() => got[1].length === spans.length, { what: 'the unfiltered subscriber to get every span' });
  t.equal(fanout.stats().evaluations, 2 * spans.length, 'each span row tested once per filter set');
  const column = (key: string) => catalog.column(catalog.attribute('SPAN', key), key);
  const [service, duration] = [column('serviceName'), column('duration')];
  const expected = spans.filter((r) => r[service] === 'frontend' && Number(r[duration]) > 50).map((r) => r.span_id);
  t.ok(expected.length > 0 && expected.length < spans.length, 'the filter splits the spans');
  await waitFor(() => got[0].length === expected.length && got[2].length === expected.length, { what: 'filtered subscribers to get their spans' });
  for (let i = 0; i < got.length; i++) {
    t.same(got[i].map((r) => r.id), i % 2 === 0 ? expected : spans.map((r) => r.span_id), `subscriber ${i}`);
  }
  t.equal(got[0][0], got[2][0], 'subscribers of one set share the event object');
});

t.test('never hands a tenant\'s rows to another tenant\'s subscriber', async (t) => {
  const { hub, fanout } = setup(t);
  const a = drain(await fanout.subscribe('a', planLive(catalog, 'TRACE', [], []), () => undefined));
  const b = drain(await fanout.subscribe('b', planLive(catalog, 'TRACE', [], []), () => undefined));
  const wb = writtenTrace({ tenant: 'b' });
  const wa = writtenTrace({ tenant: 'a' });
  hub.publish([wb, wa]);
  await waitFor(() => a.length > 0 && b.length > 0, { what: 'both tenants\' traces' });
  t.same(a.map((r) => r.id), [wa.trace.traceId]);
  t.same(b.map((r) => r.id), [wb.trace.traceId]);
});

t.test('cuts off a subscriber that falls behind, counts it, and keeps serving the others', async (t) => {
  const { hub, fanout } = setup(t, 3);
  let overflows = 0;
  const plan = planLive(catalog, 'TRACE', [], []);
  const stuck = await fanout.subscribe('tenant', plan, () => overflows++);
  const reader = drain(await fanout.subscribe('tenant', plan, () => t.fail('the reading subscriber fell behind')));
  const traces = Array.from({ length: 6 }, () => writtenTrace({ tenant: 'tenant' }));
  // One at a time: the reader keeps up, the stuck one holds every trace until its bound.
  for (const [i, w] of traces.entries()) {
    hub.publish([w]);
    await waitFor(() => reader.length === i + 1, { what: `the reader to get trace ${i + 1}` });
  }
  t.equal(overflows, 1, 'the stuck subscriber is told once');
  t.equal(stuck.done, true, 'its stream has ended');
  t.same(await stuck.next(), { value: undefined, done: true }, 'what it held is dropped');
  t.match(fanout.stats(), { cutOff: 1, subscriptions: 1, groups: 1 });
});

t.test('the last subscription of a tenant to end stops listening to the hub', async (t) => {
  const { hub, fanout } = setup(t);
  const s1 = await fanout.subscribe('tenant', planLive(catalog, 'TRACE', [], []), () => undefined);
  const s2 = await fanout.subscribe('tenant', planLive(catalog, 'SPAN', [], []), () => undefined);
  t.match(fanout.stats(), { tenants: 1, groups: 2, subscriptions: 2 });
  await s1.return();
  t.match(fanout.stats(), { tenants: 1, groups: 1, subscriptions: 1 });
  await s2.return();
  t.match(fanout.stats(), { tenants: 0, groups: 0, subscriptions: 0 });
  const before = hub.stats().published;
  hub.publish([writtenTrace({ tenant: 'tenant' })]);
  t.equal(hub.stats().published, before, 'the hub no longer publishes the tenant\'s traces');
});

t.test('many rows of one trace are one burst, not a subscriber falling behind', async (t) => {
  const { hub, fanout } = setup(t, 2);
  let overflows = 0;
  const got = drain(await fanout.subscribe('tenant', planLive(catalog, 'SPAN', [], []), () => overflows++));
  const big = writtenTrace({ tenant: 'tenant' });
  const spans = big.rows.views.spanEventView;
  // Fifty span rows in one trace: one batch, however many rows it holds.
  const rows = Array.from({ length: 25 }, () => spans).flat();
  hub.publish([{ trace: big.trace, rows: { ...big.rows, views: { ...big.rows.views, spanEventView: rows } } }]);
  await waitFor(() => got.length === rows.length, { what: 'every row of the trace' });
  t.equal(overflows, 0, 'not cut off');
  t.equal(fanout.stats().cutOff, 0);
});

t.test('a subscriber with an unread delivery is cut off past the event bound, however few deliveries', async (t) => {
  const { hub, fanout } = setup(t, 1000, 10);
  let overflows = 0;
  const stuck = await fanout.subscribe('tenant', planLive(catalog, 'SPAN', [], []), () => overflows++);
  const reader = drain(await fanout.subscribe('tenant', planLive(catalog, 'SPAN', [], []), () => t.fail('the reader fell behind')));
  const big = writtenTrace({ tenant: 'tenant' });
  const rows = Array.from({ length: 8 }, () => big.rows.views.spanEventView).flat();
  const publish = () => hub.publish([{ trace: big.trace, rows: { ...big.rows, views: { ...big.rows.views, spanEventView: rows } } }]);
  publish();
  await waitFor(() => reader.length === rows.length, { what: 'the first delivery' });
  t.equal(overflows, 0, 'one delivery over the event bound is a burst, not falling behind');
  t.equal(stuck.bufferedEvents, rows.length);
  publish();
  await waitFor(() => reader.length === 2 * rows.length, { what: 'the second delivery' });
  t.equal(overflows, 1, 'a second one while the first is unread is');
});
