// Three `tessera start --redis --postgres` processes under the loadgen: a node added mid-load
// takes its rendezvous share of the partitions, a node killed with -9 mid-load has its
// partitions moved within the lease TTL, and the loss detector finds every acknowledged trace
// stored whole, once.
import t from 'tap';
import { assignPartitions } from '../../src/sharding/rendezvous.ts';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { LEASE_TTL_MS, PARTITIONS, assertNothingLost, owners, settledOn, startCluster, startLoad } from './harness.ts';

/** Generous on a loaded 2-core machine: the survivors look again right when the lease runs out. */
const MOVE_SLACK_MS = 1500;

t.test('a node joins and another is killed with -9 mid-load: partitions spread, then move within the lease TTL, and nothing acknowledged is lost', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url);
  const three = ['node-1', 'node-2', 'node-3'];
  await settledOn(cluster, 0, three);
  const [n1, n2] = cluster.nodes;
  // Spans go in through node-2 and are verified through node-1: neither is the one that dies.
  const load = startLoad(t, n2.otlpHttp, n1.graphql, { duration: '8s' });
  await load.acked(1500);

  await cluster.add();
  const four = [...three, 'node-4'];
  await settledOn(cluster, 0, four);
  const expected = assignPartitions(PARTITIONS, four);
  const spread = await owners(cluster, 0);
  t.ok((expected.get('node-4') ?? []).length > 0, 'the new node has a rendezvous share');
  for (const [id, ps] of expected) t.same(ps.filter((p) => spread.get(p) === id), ps, `after the join ${id} holds its ${ps.length} partitions`);

  await load.acked(4000);
  const victim = [...await owners(cluster, 0)].filter(([, n]) => n === 'node-3').map(([p]) => p);
  t.ok(victim.length > 0, `node-3 holds ${victim.length} partitions before it is killed`);
  const killedAt = performance.now();
  await cluster.kill(2);
  await waitFor(async () => {
    const now = await owners(cluster, 0);
    return victim.every((p) => now.get(p) !== 'node-3' && now.get(p) !== null && now.get(p) !== undefined);
  }, { timeoutMs: 30_000, everyMs: 25, what: 'node-3\'s partitions to move' });
  const movedMs = performance.now() - killedAt;
  t.ok(movedMs < LEASE_TTL_MS + MOVE_SLACK_MS, `${victim.length} partitions moved ${Math.round(movedMs)} ms after the kill (lease TTL ${LEASE_TTL_MS} ms)`);
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-4']);

  assertNothingLost(t, await load.outcome, load.info);
});
