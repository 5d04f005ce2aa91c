// Redis restarted mid-load (docs/operations.md, "Redis durability"): a private redis-server
// with AOF and appendfsync always is killed (-9) while three nodes take load, stays away for a
// few seconds, and comes back on the same port. While it is away the receivers answer 503
// with Retry-After; when it is back the nodes re-acquire their leases, re-read what is pending
// and go on; the loss detector finds every acknowledged trace stored whole, once.
import t from 'tap';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { LEASE_TTL_MS, assertNothingLost, scrape, settledOn, startCluster, startLoad } from './harness.ts';
import { probeReceiver } from './failures.ts';

t.setTimeout(150_000);

t.test('Redis killed and restarted mid-load: retryable answers while it is away, nothing acknowledged lost', async (t) => {
  const redis = await startRedis(t, { durable: true });
  // Traces stay open (4 s window) for longer than a lease stays valid without Redis (1.7 s):
  // the nodes drop them unwritten when their leases lapse, so what they held comes back only
  // from the span log as the restarted Redis replays it from its AOF.
  const cluster = await startCluster(t, redis.url, { windowMs: 4000 });
  const ids = cluster.nodes.map((n) => n.id);
  await settledOn(cluster, 0, ids);
  const load = startLoad(t, cluster.nodes[0].otlpHttp, cluster.nodes[0].graphql, { duration: '10s', 'max-retries': '40' });
  await load.acked(1500);

  await redis.stop('SIGKILL');
  const down = performance.now();
  for (const node of cluster.nodes) {
    const answer = await waitFor(async () => {
      const a = await probeReceiver(node.otlpHttp);
      return a.status === 503 ? a : false;
    }, { timeoutMs: 20_000, what: `${node.id} to answer 503 while Redis is away` });
    t.ok(Number(answer.retryAfter) >= 1, `${node.id} answers 503 with Retry-After: ${answer.retryAfter}`);
  }
  await load.toldToRetry();
  // Away for longer than a lease: every node loses its leases and must take them again.
  const awayMs = LEASE_TTL_MS + 1000 - (performance.now() - down);
  if (awayMs > 0) await new Promise((r) => setTimeout(r, awayMs));
  await redis.restart();

  await settledOn(cluster, 0, ids, 60_000);
  let lost = 0;
  for (const node of cluster.nodes) lost += (await scrape(node.base)).get('tessera_lease_events_total{event="lost"}') ?? 0;
  t.ok(lost > 0, `the nodes lost ${lost} leases while Redis was away, and took them again`);
  for (const node of cluster.nodes) {
    await waitFor(async () => (await probeReceiver(node.otlpHttp)).status === 200, { timeoutMs: 30_000, what: `${node.id} to accept spans again` });
  }
  const out = await load.outcome;
  assertNothingLost(t, out, load.info);
});
