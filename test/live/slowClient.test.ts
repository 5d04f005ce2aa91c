// A subscriber that stops reading is cut off with close code 4413, while ingest goes on at
// the same acknowledged rate and the other subscribers keep receiving.
import t from 'tap';
import { pino } from 'pino';
import { NO_FAULTS } from '../../src/loadgen/feed.ts';
import { encoderFor, transportFor } from '../../src/loadgen/protocols.ts';
import { LoadRunner } from '../../src/loadgen/runner.ts';
import { LiveCloseCode } from '../../src/live/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { liveClient } from './client.ts';
import { startLiveNode, type LiveNode } from './liveNode.ts';

const RATE = 2000;
const PHASE_MS = 5000;

/** Paced OTLP/HTTP ingest for one phase; acknowledged spans per second. */
async function ingest(node: LiveNode, seed: string): Promise<number> {
  const transport = transportFor('otlp-http-proto', node.otlpHttp, { tenant: null, concurrency: 4, timeoutMs: 30_000, gzip: false });
  try {
    const result = await new LoadRunner({
      rate: RATE, rateUnit: 'spans', durationMs: PHASE_MS, rampMs: 0, batchSpans: 200, concurrency: 4, maxRetries: 10,
      lingerMs: 100, maxBackoffMs: 1000, generator: { seed, attributes: 60 }, faults: NO_FAULTS, keepManifest: false,
    }, transport, encoderFor('otlp-http-proto')).run();
    return (result.counters.spansAcked * 1000) / result.elapsedMs;
  } finally {
    await transport.close();
  }
}

t.test('a subscriber that stops reading is cut off while ingest keeps its rate', async (t) => {
  const node = await startLiveNode(t, { windowMs: 300, maxBufferedTraces: 50, closeGraceMs: 120_000, logger: pino({ level: 'warn' }) });
  const stats = () => node.live.server!.stats();
  const query = `subscription { liveSpans { id traceId update tags: attribute(expression: {key: "spanTags"})
    name: attribute(expression: {key: "displaySpanName"}) service: attribute(expression: {key: "serviceName"}) } }`;

  const healthy = liveClient(t, node.ws);
  const seen = healthy.subscribe(query);
  await waitFor(() => stats().subscriptions === 1, { what: 'the healthy subscription' });
  const without = await ingest(node, 'live-slow-1');
  t.ok(seen.events.length > 0, `the healthy subscriber receives (${seen.events.length} events)`);

  const slow = liveClient(t, node.ws);
  slow.subscribe(query);
  await waitFor(() => stats().subscriptions === 2, { what: 'the slow subscription' });
  slow.sockets[0].pause();
  const phaseStart = performance.now();
  let cutAt: number | undefined;
  const watch = setInterval(() => (cutAt ??= stats().connectionsCutOff > 0 ? performance.now() : undefined), 20);
  t.teardown(() => clearInterval(watch));
  const healthyBefore = seen.events.length;
  const withSlow = await ingest(node, 'live-slow-2');
  const phaseEnd = performance.now();
  clearInterval(watch);

  t.ok(cutAt !== undefined && cutAt < phaseEnd, `cut off during ingest, after ${cutAt === undefined ? 'never' : Math.round(cutAt - phaseStart)} ms`);
  t.match(stats(), { connectionsCutOff: 1, cutOff: 1, subscriptions: 1 }, 'counted, and only the slow one');
  t.ok(withSlow >= 0.9 * without, `acknowledged ${Math.round(withSlow)} spans/s with the stuck client against ${Math.round(without)} without`);
  await waitFor(() => seen.events.length > healthyBefore, { what: 'the healthy subscriber to keep receiving' });

  // Once it reads again it finds the close frame after what was already on the wire.
  slow.sockets[0].resume();
  t.match(await slow.closed, { code: LiveCloseCode.SubscriberFellBehind, reason: /fell behind/ });
  t.equal(healthy.sockets[0].readyState, healthy.sockets[0].OPEN, 'the healthy connection is still open');
});
