// Fencing: a node paused with SIGSTOP past its lease TTL wakes up to find its partitions held
// by others under higher fencing tokens. Its fence refuses the reads, writes and
// acknowledgements it still had queued for them, it reports the leases lost, and the loss
// detector finds every acknowledged trace stored whole and once (no duplicated spans).
import pg from 'pg';
import t from 'tap';
import { startRedis } from '../helpers/redis.ts';
import { DEFAULT_TENANT } from '../../src/model/span.ts';
import { partitionOf } from '../../src/store/partition.ts';
import { otlpJson, postOtlpJson, randomHex } from '../helpers/otlpJson.ts';
import { waitFor } from '../helpers/wait.ts';
import { LEASE_TTL_MS, PARTITIONS, assertNothingLost, scrape, settledOn, startCluster, startLoad } from './harness.ts';

t.test('a node paused past its lease (SIGSTOP) wakes up fenced: it neither writes nor acknowledges for partitions it lost, and nothing is lost or duplicated', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const cluster = await startCluster(t, redis.url);
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const [n1, n2, n3] = cluster.nodes;
  const load = startLoad(t, n2.otlpHttp, n1.graphql, { duration: '8s' });
  await load.acked(2000);

  const before = (await cluster.view(0)).partitions.filter((p) => p.node === 'node-3');
  t.ok(before.length > 0, `node-3 holds ${before.length} partitions before it is paused`);
  const writtenBefore = await waitFor(async () => (await scrape(n3.base)).get('tessera_traces_written_total') || undefined,
    { timeoutMs: 30_000, what: 'node-3 to write traces' });
  t.ok(writtenBefore > 0, `node-3 wrote ${writtenBefore} traces while it held its leases`);
  cluster.signal(2, 'SIGSTOP');
  t.teardown(() => {
    if (n3.running) cluster.signal(2, 'SIGCONT');
  });
  const taken = await waitFor(async () => {
    const now = (await cluster.view(0)).partitions;
    const moved = before.map((b) => now[b.partition]);
    return moved.every((p) => p.node === 'node-1' || p.node === 'node-2') ? moved : undefined;
  }, { timeoutMs: LEASE_TTL_MS * 10, everyMs: 25, what: 'the paused node\'s partitions to be taken over' });
  t.ok(taken.every((p, i) => (p.token ?? 0) > (before[i].token ?? Infinity)), 'the new owners hold higher fencing tokens');
  // The new owners write under their tokens, which raises PostgreSQL's write fence of each
  // partition above node-3's: whatever node-3 might still send under its old lease is refused
  // in the store's own transaction, not only by its local fence.
  const pool = new pg.Pool({ connectionString: cluster.opts.postgres, max: 1 });
  t.teardown(() => pool.end());
  // One trace into each of those partitions, so each new owner has something to write now,
  // whatever the load is doing.
  const now = Date.now();
  for (const { partition } of before) {
    let traceId = randomHex(16);
    while (partitionOf(DEFAULT_TENANT, traceId, PARTITIONS) !== partition) traceId = randomHex(16);
    const res = await postOtlpJson(n2.otlpHttp, otlpJson(traceId, [{ service: 'fenced', spanId: randomHex(8), name: 'GET /', startMs: now, durMs: 1 }]));
    t.ok(res.ok, `a trace for partition ${partition} is accepted`);
  }
  const fencesNow = async () => new Map((await pool.query<{ partition: number; token: string }>('SELECT partition, token FROM tessera_fences')).rows
    .map((r) => [r.partition, Number(r.token)]));
  await waitFor(async () => {
    const f = await fencesNow();
    return before.every((b) => (f.get(b.partition) ?? 0) > (b.token ?? Infinity));
  }, { timeoutMs: 30_000, what: 'the new owners to write under their tokens' });
  t.pass(`PostgreSQL's write fence of each of node-3's ${before.length} partitions is above node-3's token`);
  // Let the new owners work on those partitions while the paused node still holds open traces.
  await load.acked(6000);

  cluster.signal(2, 'SIGCONT');
  const woke = await waitFor(async () => {
    const s = await scrape(n3.base);
    return (s.get('tessera_lease_events_total{event="lost"}') ?? 0) >= before.length ? s : undefined;
  }, { timeoutMs: 30_000, what: 'the woken node to report its leases lost' });
  const fenced = Object.fromEntries(['read', 'write', 'ack'].map((p) => [p, woke.get(`tessera_fenced_refusals_total{path="${p}"}`) ?? 0]));
  t.ok(fenced.read + fenced.write + fenced.ack > 0, `the woken node's fence refused ${JSON.stringify(fenced)}`);
  // It rejoins and takes its rendezvous share again, under new leases.
  await settledOn(cluster, 0, ['node-1', 'node-2', 'node-3']);
  const back = (await cluster.view(0)).partitions.filter((p) => p.node === 'node-3');
  t.ok(back.every((p) => (p.token ?? 0) > (before.find((b) => b.partition === p.partition)?.token ?? Infinity)), 'it holds its partitions again only under newer tokens');

  assertNothingLost(t, await load.outcome, load.info);
});
