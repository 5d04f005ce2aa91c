// kill -9 of a node that uses the Redis span log, after it acknowledged spans to a client:
// the restarted node re-reads its pending entries and every acknowledged span is queryable.
import t from 'tap';
import { join } from 'node:path';
import { startRedis } from '../helpers/redis.ts';
import { spawnNodeProcess, tempDir } from '../helpers/node.ts';
import { waitFor } from '../helpers/wait.ts';
import { traceSpanCount } from '../helpers/graphql.ts';
import { otlpJson, postOtlpJson, randomHex, type SpanSpec } from '../helpers/otlpJson.ts';

const HOUR = 3600_000;

t.test('every span acknowledged before a kill -9 is queryable after the restart', async (t) => {
  const redis = await startRedis(t);
  const dir = tempDir(t);
  const dataDir = join(dir, 'data');
  // A long window keeps the traces open (unwritten, unacknowledged) when the node dies.
  const first = await spawnNodeProcess(t, ['--redis', redis.url, '--data-dir', dataDir, '--window-ms', '600000'], join(dir, 'node1.log'));

  const now = Date.now();
  const sent = new Map<string, number>();
  for (let i = 0; i < 40; i++) {
    const traceId = randomHex(16);
    const root = randomHex(8);
    const spans: SpanSpec[] = [{ service: `svc-${i % 4}`, spanId: root, name: 'root', startMs: now - 100, durMs: 100 }];
    const extra = 1 + (i % 5);
    for (let k = 0; k < extra; k++) spans.push({ service: 'db', spanId: randomHex(8), parentSpanId: root, name: 'q', startMs: now - 90 + k, durMs: 1 });
    const res = await postOtlpJson(first.otlpHttp, otlpJson(traceId, spans));
    t.equal(res.status, 200, `trace ${i} acknowledged`);
    sent.set(traceId, spans.length);
  }
  first.kill('SIGKILL');
  await first.exited;

  const second = await spawnNodeProcess(t, ['--redis', redis.url, '--data-dir', dataDir, '--window-ms', '300'], join(dir, 'node2.log'));
  for (const [traceId, count] of sent) {
    const got = await waitFor(async () => {
      const c = await traceSpanCount(second.graphql, traceId, now - HOUR, now + HOUR);
      return c === count ? c : undefined;
    }, { timeoutMs: 30_000, what: `trace ${traceId} with ${count} spans` });
    t.equal(got, count);
  }
  second.kill('SIGTERM');
  t.equal(await second.exited, 0, 'graceful stop exits 0');
});

t.test('while Redis is down the receivers answer 503 with Retry-After; when it returns, spans flow again', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const dir = tempDir(t);
  const node = await spawnNodeProcess(t, ['--redis', redis.url, '--data-dir', join(dir, 'data'), '--window-ms', '300'], join(dir, 'node.log'));
  const now = Date.now();
  const accepted = randomHex(16);
  t.equal((await postOtlpJson(node.otlpHttp, otlpJson(accepted, [{ service: 'a', spanId: randomHex(8), name: 'before', startMs: now, durMs: 1 }]))).status, 200);

  await redis.stop('SIGKILL');
  const refused = await postOtlpJson(node.otlpHttp, otlpJson(randomHex(16), [{ service: 'a', spanId: randomHex(8), name: 'during', startMs: now, durMs: 1 }]));
  t.equal(refused.status, 503);
  t.match(refused.headers.get('retry-after'), /^\d+$/);

  await redis.restart();
  const after = randomHex(16);
  await waitFor(async () => (await postOtlpJson(node.otlpHttp, otlpJson(after, [{ service: 'a', spanId: randomHex(8), name: 'after', startMs: now, durMs: 1 }]))).status === 200,
    { timeoutMs: 30_000, what: 'the receiver to accept again' });
  for (const id of [accepted, after]) {
    t.equal(await waitFor(() => traceSpanCount(node.graphql, id, now - HOUR, now + HOUR), { timeoutMs: 30_000, what: `trace ${id}` }), 1);
  }
});
