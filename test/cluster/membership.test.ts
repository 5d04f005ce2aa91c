// Three `tessera start --redis --postgres` processes as one cluster under the loadgen: a node
// added mid-load takes exactly its rendezvous share of partitions; a node then killed with -9
// mid-load has its partitions moved within the lease TTL; the loss detector finds every
// acknowledged trace whole, once.
import t from 'tap';
import { assignPartitions } from '../../src/sharding/rendezvous.ts';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { LEASE_TTL_MS, PARTITIONS, assertNothingLost, owners, settledOn, startCluster, startLoad } from './harness.ts';

t.test('a node joins and another is killed with -9 mid-load: partitions spread, then move within the lease TTL, and nothing acknowledged is lost', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url);
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1] = cluster.nodes;
  const load = startLoad(t, n1.otlpHttp, n1.graphql, { duration: '8s' });
  await load.acked(1500);

  await cluster.add();
  const four = ['node-1', 'node-2', 'node-3', 'node-4'];
  await settledOn(cluster, 0, four);
  const expected = assignPartitions(PARTITIONS, four);
  const spread = await owners(cluster, 0);
  for (const [id, ps] of expected) t.same(ps.filter((p) => spread.get(p) === id), ps, `after the join ${id} holds its ${ps.length} partitions`);
  t.ok(expected.get('node-4')!.length > 0, 'the new node has partitions');

  await load.acked(4500);
  const victim = [...await owners(cluster, 0)].filter(([, n]) => n === 'node-3').map(([p]) => p);
  const killedAt = performance.now();
  await cluster.kill(2);
  await waitFor(async () => {
    const now = await owners(cluster, 0);
    return victim.every((p) => now.get(p) !== 'node-3' && now.get(p) !== null);
  }, { timeoutMs: 30_000, everyMs: 25, what: 'node-3\'s partitions to move' });
  const movedMs = performance.now() - killedAt;
  // Its lease expires at most one TTL after the kill; the survivors look again right then.
  t.ok(movedMs < LEASE_TTL_MS + 750, `${victim.length} partitions moved ${Math.round(movedMs)} ms after the kill (TTL ${LEASE_TTL_MS} ms)`);
  assertNothingLost(t, await load.outcome, load.info);
});
