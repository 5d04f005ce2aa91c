// LiveDelivery: an event is executed and serialized once per distinct operation, whatever the
// number of subscribers sending it; each subscriber's `next` message wraps those bytes with its
// own id; the completion handle graphql-ws holds ends with the subscription.
import t, { type Test } from 'tap';
import { parse } from 'graphql';
import { pino } from 'pino';
import type { WebSocket } from 'ws';
import { catalog } from '../../src/gateway/catalog.ts';
import { LiveDelivery, renderPayload } from '../../src/live/delivery.ts';
import { LiveFanout } from '../../src/live/fanout.ts';
import { createMemoryLiveHub } from '../../src/live/memoryHub.ts';
import { planLive, type LiveRow } from '../../src/live/plan.ts';
import { liveSchema, type LiveContext } from '../../src/live/schema.ts';
import { SocketSender } from '../../src/live/sender.ts';
import { waitFor } from '../helpers/wait.ts';
import { writtenTrace } from './written.ts';

const logger = pino({ level: 'silent' });

/** A socket that keeps what is sent to it. */
function recordingSocket(): { socket: WebSocket; frames: string[] } {
  const frames: string[] = [];
  const socket = { readyState: 1, OPEN: 1, bufferedAmount: 0, send: (frame: Buffer | string) => void frames.push(String(frame)) };
  return { socket: socket as unknown as WebSocket, frames };
}

function setup(t: Test) {
  const hub = createMemoryLiveHub({ logger });
  const fanout = new LiveFanout({ hub, logger, maxBufferedBatches: 100, maxBufferedEvents: 10_000 });
  t.teardown(async () => {
    fanout.close();
    await hub.close();
  });
  return { hub, fanout };
}

const QUERY = 'subscription { liveTraces { id n: attribute(expression: {key: "numSpans"}) } }';

t.test('subscribers of one operation share one serialization of each event', async (t) => {
  const { hub, fanout } = setup(t);
  const args = { schema: liveSchema, document: parse(QUERY), contextValue: { tenant: 'tenant', catalog, fanout, onOverflow: () => undefined } satisfies LiveContext };
  let rendered = 0;
  const payloadOf = (row: LiveRow) => {
    rendered++;
    return renderPayload(args, row, logger);
  };
  const sockets = Array.from({ length: 3 }, recordingSocket);
  for (const [i, { socket }] of sockets.entries()) {
    const stream = await fanout.subscribe('tenant', planLive(catalog, 'TRACE', [], []), () => undefined);
    const delivery = new LiveDelivery(`sub-${i}`, stream, new SocketSender(socket), payloadOf, 'one operation');
    void delivery.next();
  }
  const traces = [writtenTrace({ tenant: 'tenant' }), writtenTrace({ tenant: 'tenant' })];
  hub.publish(traces);
  await waitFor(() => sockets.every((s) => s.frames.length === traces.length), { what: 'both events on every socket' });
  t.equal(rendered, traces.length, 'one payload per event, not per subscriber');
  for (const [i, { frames }] of sockets.entries()) {
    t.same(frames.map((f) => JSON.parse(f)), traces.map((w) => ({ id: `sub-${i}`, type: 'next', payload: { data: { liveTraces: { id: w.trace.traceId, n: 2 } } } })), `subscriber ${i}`);
  }
});

t.test('the completion handle ends when the subscription ends, and ending it ends the subscription', async (t) => {
  const { fanout } = setup(t);
  const { socket } = recordingSocket();
  const plan = planLive(catalog, 'TRACE', [], []);
  const first = await fanout.subscribe('tenant', plan, () => undefined);
  const byServer = new LiveDelivery('a', first, new SocketSender(socket), () => '{}', 'op');
  const ended = byServer.next();
  first.end('closed');
  t.same(await ended, { value: undefined, done: true }, 'settles when the stream ends');

  const second = await fanout.subscribe('tenant', plan, () => undefined);
  const byClient = new LiveDelivery('b', second, new SocketSender(socket), () => '{}', 'op');
  t.equal(fanout.stats().subscriptions, 1);
  await byClient.return();
  t.equal(second.done, true, 'return (client complete, socket closed) ends the stream');
  t.equal(fanout.stats().subscriptions, 0);
});
