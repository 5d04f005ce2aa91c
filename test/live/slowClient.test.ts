// A subscriber that stops reading is cut off with close code 4413, while ingest goes on at
// the same acknowledged rate and the other subscribers keep receiving.
import t from 'tap';
import { NO_FAULTS } from '../../src/loadgen/feed.ts';
import { encoderFor, transportFor } from '../../src/loadgen/protocols.ts';
import { LoadRunner } from '../../src/loadgen/runner.ts';
import { LiveCloseCode } from '../../src/live/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { liveClient } from './client.ts';
import { startLiveNode, type LiveNode } from './liveNode.ts';

// Paced well below what a loaded 2-core machine ingests: the rate only drops if ingest waits.
const RATE = 500;
const PHASE_MS = 4000;
/**
 * Subscriptions on the slow connection: each span is that many events to a client that does
 * not read, so it fills its socket buffers and then its subscription buffers (node defaults:
 * 10 000 events or 100 deliveries) within seconds.
 */
const SLOW_SUBSCRIPTIONS = 20;

/** Paced OTLP/HTTP ingest for at least PHASE_MS and until `until()` holds; acknowledged spans/s. */
async function ingest(node: LiveNode, seed: string, until: () => boolean = () => true): Promise<number> {
  const transport = transportFor('otlp-http-proto', node.otlpHttp, { tenant: null, concurrency: 4, timeoutMs: 30_000, gzip: false });
  const runner = new LoadRunner({
    rate: RATE, rateUnit: 'spans', durationMs: 60_000, rampMs: 0, batchSpans: 100, concurrency: 4, maxRetries: 10,
    lingerMs: 100, maxBackoffMs: 1000, generator: { seed }, faults: NO_FAULTS, keepManifest: false,
  }, transport, encoderFor('otlp-http-proto'));
  const started = performance.now();
  const stopper = setInterval(() => {
    if (performance.now() - started >= PHASE_MS && until()) runner.stop();
  }, 50);
  try {
    const result = await runner.run();
    return (result.counters.spansAcked * 1000) / result.elapsedMs;
  } finally {
    clearInterval(stopper);
    await transport.close();
  }
}

t.test('a subscriber that stops reading is cut off while ingest keeps its rate', async (t) => {
  // A small backlog bound: a writer held up by the stuck client would soon refuse ingest (429).
  // Writes at once: each view-store write is one delivery, and the stuck client is cut off at
  // 100 of them waiting. With the node's default write linger (250 ms) this rate makes ~4 writes
  // a second, and the cut-off would come after the ingest phase.
  const node = await startLiveNode(t, { windowMs: 300, maxBacklogSpans: 3000, writeLingerMs: 0 });
  const stats = () => node.live.server!.stats();
  const query = `subscription { liveSpans { id traceId update tags: attribute(expression: {key: "spanTags"})
    name: attribute(expression: {key: "displaySpanName"}) service: attribute(expression: {key: "serviceName"}) } }`;

  // The same subscribers in both phases: they all read in the first, one stops in the second,
  // so the phases differ only by that client being slow.
  const healthy = liveClient(t, node.ws);
  const seen = healthy.subscribe('subscription { liveSpans { id } }');
  const slow = liveClient(t, node.ws);
  const slowSubs = Array.from({ length: SLOW_SUBSCRIPTIONS }, () => slow.subscribe(query));
  await waitFor(() => stats().subscriptions === 1 + SLOW_SUBSCRIPTIONS, { what: 'every subscription' });
  const without = await ingest(node, 'live-slow-1');
  t.ok(seen.events.length > 0 && slowSubs.every((s) => s.events.length > 0), `every subscriber receives while reading (${seen.events.length} events each)`);

  slow.sockets[0].pause();
  const written = node.live.hub.stats().published;
  const healthyBefore = seen.events.length;
  // Ingest goes on, and on past the cut-off, until the stuck client has been cut off.
  let cutAt: number | undefined;
  let writtenByCut = 0;
  const phaseStart = performance.now();
  const withSlow = await ingest(node, 'live-slow-2', () => {
    if (stats().connectionsCutOff === 0) return false;
    if (cutAt === undefined) {
      cutAt = performance.now();
      writtenByCut = node.live.hub.stats().published;
    }
    return performance.now() - cutAt > 1000;
  });

  t.ok(cutAt !== undefined, `cut off during ingest, ${cutAt === undefined ? 'never' : `${Math.round(cutAt - phaseStart)} ms in`}`);
  t.ok(writtenByCut > written, `traces kept being written while the client was stuck (${writtenByCut - written})`);
  t.match(stats(), { connectionsCutOff: 1, cutOff: SLOW_SUBSCRIPTIONS, subscriptions: 1 }, 'counted, and only the slow one');
  t.ok(withSlow >= 0.9 * without, `acknowledged ${Math.round(withSlow)} spans/s with the client stuck against ${Math.round(without)} with it reading`);
  await waitFor(() => seen.events.length > healthyBefore, { what: 'the healthy subscriber to keep receiving' });

  // Once it reads again it finds the close frame after what was already on the wire.
  slow.sockets[0].resume();
  t.match(await slow.closed, { code: LiveCloseCode.SubscriberFellBehind, reason: /fell behind/ });
  t.equal(healthy.sockets[0].readyState, healthy.sockets[0].OPEN, 'the healthy connection is still open');
});
