// Three `tessera start --redis --postgres` processes as one cluster under the loadgen: a node
// added mid-load takes its share of partitions; a node killed with -9 mid-load has its
// partitions moved within the lease TTL; the loss detector finds every acknowledged trace
// whole, once.
import t from 'tap';
import { assignPartitions } from '../../src/sharding/rendezvous.ts';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { LEASE_TTL_MS, PARTITIONS, assertNothingLost, owners, settledOn, startCluster, startLoad } from './harness.ts';

t.test('a node added mid-load takes exactly its rendezvous share, and nothing acknowledged is lost', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url);
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1] = cluster.nodes;
  const load = startLoad(t, n1.otlpHttp, n1.graphql);
  await load.acked(3000);
  await cluster.add();
  const ids = ['node-1', 'node-2', 'node-3', 'node-4'];
  await settledOn(cluster, 0, ids);
  const expected = assignPartitions(PARTITIONS, ids);
  const now = await owners(cluster, 0);
  for (const [id, ps] of expected) t.same(ps.filter((p) => now.get(p) === id), ps, `${id} holds its ${ps.length} partitions`);
  t.ok(expected.get('node-4')!.length > 0, 'the new node has partitions');
  assertNothingLost(t, await load.outcome);
});

t.test('kill -9 of a node mid-load: its partitions move within the lease TTL and nothing acknowledged is lost', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url);
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1] = cluster.nodes;
  const load = startLoad(t, n1.otlpHttp, n1.graphql);
  await load.acked(3000);
  const victim = (await owners(cluster, 0));
  const itsPartitions = [...victim].filter(([, n]) => n === 'node-3').map(([p]) => p);
  const killedAt = performance.now();
  await cluster.kill(2);
  await waitFor(async () => {
    const now = await owners(cluster, 0);
    return itsPartitions.every((p) => now.get(p) === 'node-1' || now.get(p) === 'node-2');
  }, { timeoutMs: 30_000, everyMs: 25, what: 'node-3\'s partitions to move' });
  const movedMs = performance.now() - killedAt;
  // The lease may have been renewed just before the kill; the survivors try again every 200 ms.
  t.ok(movedMs < LEASE_TTL_MS + 1000, `${itsPartitions.length} partitions moved ${Math.round(movedMs)} ms after the kill (TTL ${LEASE_TTL_MS} ms)`);
  assertNothingLost(t, await load.outcome);
});
