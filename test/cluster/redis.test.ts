// The cluster on Redis as operators run it: a single Redis with AOF restarted mid-load, and a
// 3-master Redis Cluster.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { startRedis } from '../helpers/redis.ts';
import { assertNothingLost, settledOn, startCluster, startLoad } from './harness.ts';
import { startRedisCluster } from './redisCluster.ts';

const run = promisify(execFile);

t.test('Redis restarted mid-load (AOF, fsync always): clients are told to retry while it is down, and nothing acknowledged is lost', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url);
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1] = cluster.nodes;
  const load = startLoad(t, n1.otlpHttp, n1.graphql);
  await load.acked(2000);
  await redis.restart();
  const out = await load.outcome;
  const retried = Object.entries(out.report?.retryableAnswers ?? {});
  t.ok(retried.length > 0, `the receiver answered retryable errors while Redis was down: ${JSON.stringify(Object.fromEntries(retried))}`);
  assertNothingLost(t, out, load.info);
});

t.test('a 3-master Redis Cluster: partition streams spread over the masters, and nothing acknowledged is lost', async (t) => {
  const rc = await startRedisCluster(t);
  const cluster = await startCluster(t, rc.url);
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1, n2] = cluster.nodes;
  const load = startLoad(t, n2.otlpHttp, n1.graphql);
  const out = await load.outcome;
  assertNothingLost(t, out, load.info);
  const keys = await Promise.all(rc.ports.map(async (p) => Number((await run('redis-cli', ['-p', String(p), 'dbsize'])).stdout.trim())));
  t.ok(keys.every((n) => n > 0), `every master holds keys: ${keys.join(', ')}`);
});
