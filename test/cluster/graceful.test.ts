// Graceful leave: a node stopped with SIGTERM drains its partitions and releases their leases,
// so the others take them over long before the leases could have expired, and nothing
// acknowledged is lost.
import t from 'tap';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { assertNothingLost, owners, settledOn, startCluster, startLoad } from './harness.ts';

t.test('SIGTERM hands a node\'s partitions over in well under half the lease TTL, and nothing acknowledged is lost', async (t) => {
  // Long, so a takeover under half of it can only come from the node's own release. The leave
  // itself may take min(2 s, ttl/5) to write open traces plus one write already in progress,
  // which on a loaded 2-core machine can be seconds.
  const ttl = 20_000;
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url, { leaseTtlMs: ttl });
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1, n2] = cluster.nodes;
  const load = startLoad(t, n2.otlpHttp, n1.graphql);
  await load.acked(2000);

  const before = (await cluster.view(0)).partitions.filter((p) => p.node === 'node-3');
  t.ok(before.length > 0, `node-3 holds ${before.length} partitions before SIGTERM`);
  const started = performance.now();
  const exit = cluster.terminate(2);
  const after = await waitFor(async () => {
    const now = (await cluster.view(0)).partitions;
    const moved = before.map((b) => now[b.partition]);
    return moved.every((p) => p.node === 'node-1' || p.node === 'node-2') ? moved : undefined;
  }, { timeoutMs: ttl * 2, everyMs: 25, what: 'node-3\'s partitions to be taken over' });
  const tookMs = performance.now() - started;
  t.ok(tookMs < ttl / 2, `${before.length} partitions taken over ${Math.round(tookMs)} ms after SIGTERM, draining included (lease TTL ${ttl} ms)`);
  t.ok(after.every((p, i) => (p.token ?? 0) > (before[i].token ?? Infinity)), 'each new lease carries a higher fencing token than node-3\'s');
  t.equal(await exit, 0, 'node-3 exits 0 after draining');
  const left = await cluster.view(0);
  t.notOk(left.members.some((m) => m.id === 'node-3'), 'node-3 left the membership');
  t.same([...new Set([...await owners(cluster, 0)].map(([, n]) => n))].sort(), ['node-1', 'node-2'], 'every partition is held by a remaining node');

  assertNothingLost(t, await load.outcome, load.info);
});
