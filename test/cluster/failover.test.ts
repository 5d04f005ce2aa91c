// Leaving and pausing: a node stopped with SIGTERM hands its partitions over without waiting
// for the lease TTL; a node paused with SIGSTOP past its lease wakes up fenced — it reports
// its leases lost and refuses to read, write or acknowledge for them — and the loss detector
// finds every acknowledged trace whole, once.
import t from 'tap';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { LEASE_TTL_MS, assertNothingLost, owners, scrape, settledOn, startCluster, startLoad } from './harness.ts';

t.test('SIGTERM hands a node\'s partitions over well within the lease TTL, and nothing acknowledged is lost', async (t) => {
  // Long, so that a takeover under it can only be the node's own release, not the lease expiring.
  const ttl = 20_000;
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url, { leaseTtlMs: ttl });
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1] = cluster.nodes;
  const load = startLoad(t, n1.otlpHttp, n1.graphql);
  await load.acked(2000);
  const its = [...await owners(cluster, 0)].filter(([, n]) => n === 'node-3').map(([p]) => p);
  const started = performance.now();
  const exit = cluster.terminate(2);
  await waitFor(async () => {
    const now = await owners(cluster, 0);
    return its.every((p) => now.get(p) === 'node-1' || now.get(p) === 'node-2');
  }, { timeoutMs: ttl * 2, everyMs: 25, what: 'node-3\'s partitions to be taken over' });
  const took = performance.now() - started;
  t.equal(await exit, 0, 'node-3 exits 0 after draining');
  t.ok(took < ttl, `${its.length} partitions taken over ${Math.round(took)} ms after SIGTERM, draining included (lease TTL ${ttl} ms)`);
  assertNothingLost(t, await load.outcome, load.info);
});

t.test('a node paused past its lease (SIGSTOP) wakes up fenced, and nothing acknowledged is lost', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url);
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1, , n3] = cluster.nodes;
  const load = startLoad(t, n1.otlpHttp, n1.graphql, { duration: '8s' });
  await load.acked(2000);
  const its = [...await owners(cluster, 0)].filter(([, n]) => n === 'node-3').map(([p]) => p);
  cluster.signal(2, 'SIGSTOP');
  t.teardown(() => {
    if (n3.running) cluster.signal(2, 'SIGCONT');
  });
  await waitFor(async () => {
    const now = await owners(cluster, 0);
    return its.every((p) => now.get(p) === 'node-1' || now.get(p) === 'node-2');
  }, { timeoutMs: LEASE_TTL_MS * 5, everyMs: 25, what: 'the paused node\'s partitions to be taken over' });
  // Let the new owners work on them (and the load go on) before the paused node wakes.
  await load.acked(6000);
  cluster.signal(2, 'SIGCONT');
  const m = await waitFor(async () => {
    const s = await scrape(n3.base);
    return (s.get('tessera_lease_events_total{event="lost"}') ?? 0) >= its.length ? s : undefined;
  }, { timeoutMs: 20_000, what: 'the woken node to report its leases lost' });
  const fenced = ['read', 'write', 'ack'].map((p) => m.get(`tessera_fenced_refusals_total{path="${p}"}`) ?? 0);
  t.ok(fenced.reduce((a, b) => a + b, 0) > 0, `the woken node's fence refused reads ${fenced[0]}, writes ${fenced[1]}, acks ${fenced[2]}`);
  assertNothingLost(t, await load.outcome, load.info);
});
