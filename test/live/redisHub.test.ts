// The Redis pub/sub LiveHub: the conformance suite over two hubs sharing a private
// redis-server, and delivery between processes.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { catalog } from '../../src/gateway/catalog.ts';
import type { LiveTrace } from '../../src/live/api.ts';
import { createRedisLiveHub, type RedisLiveHub } from '../../src/live/redisHub.ts';
import { liveProjection } from '../../src/live/scopes.ts';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { liveHubConformance } from './hub.conformance.ts';
import { writtenTrace } from './written.ts';

const logger = pino({ level: 'silent' });
const projection = liveProjection(catalog);

async function openHub(t: Test, url: string, extra: { maxQueuedTraces?: number } = {}): Promise<RedisLiveHub> {
  const hub = await createRedisLiveHub({ redis: url, logger, projection, interestRefreshMs: 200, ...extra });
  t.teardown(() => hub.close());
  return hub;
}

t.test('Redis hubs', async (t) => {
  const redis = await startRedis(t);

  liveHubConformance(t, 'redis', async (t, opts) => {
    const publisher = await openHub(t, redis.url, opts);
    const subscriber = await openHub(t, redis.url);
    return {
      publisher,
      subscriber,
      whenListening: (tenant) => waitFor(() => publisher.interestedIn(tenant), { what: `the publisher to know ${tenant} is listened to` }).then(() => undefined),
    };
  });

  await t.test('a trace published by a hub in another process reaches this hub\'s listeners, and only its tenant\'s', async (t) => {
    const hub = await openHub(t, redis.url);
    const got: LiveTrace[] = [];
    const sub = hub.subscribe('tenant-a', (trace) => void got.push(trace));
    t.teardown(() => sub.close());
    await sub.ready;

    const script = resolve(import.meta.dirname, 'fixtures/hubPublisher.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, redis.url, 'tenant-a', 'tenant-b'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));

    t.equal(await exited, 0, `the publisher process exits cleanly ${err.slice(-500)}`);
    const report = JSON.parse(out.trim().split('\n').pop()!) as { pid: number; published: [string, string] };
    t.not(report.pid, process.pid, 'published from another process');
    await waitFor(() => got.length > 0, { what: 'the trace from the other process' });
    t.same(got.map((g) => [g.tenant, g.traceId]), [['tenant-a', report.published[1]]], 'tenant A\'s trace only (B\'s went first)');
    const spans = got[0].views.spanEventView ?? [];
    t.ok(spans.length > 0 && spans.every((s) => s.service_name === 'other-process'), 'with its span rows');
    t.equal(got[0].views.rawTraceView?.[0]?.span_batch, undefined, 'without the span batch: not part of the projection');
  });

  await t.test('keeps delivering after Redis restarts', async (t) => {
    const own = await startRedis(t);
    const publisher = await openHub(t, own.url);
    const subscriber = await openHub(t, own.url);
    const got: string[] = [];
    await subscriber.subscribe('tenant-r', (trace) => void got.push(trace.traceId)).ready;
    await waitFor(() => publisher.interestedIn('tenant-r'), { what: 'interest before the restart' });
    await own.restart();
    // The subscriber connection re-subscribes by itself; republish until a trace gets through.
    const sent: string[] = [];
    await waitFor(() => {
      const w = writtenTrace({ tenant: 'tenant-r' });
      sent.push(w.trace.traceId);
      publisher.publish([w]);
      return got.length > 0;
    }, { everyMs: 200, what: 'a trace published after the restart to arrive' });
    t.ok(sent.includes(got[0]), 'a trace published after the restart arrived');
  });
});
