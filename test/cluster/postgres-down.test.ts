// PostgreSQL unavailable to the writers mid-load: the cluster's database is closed to new
// connections and its sessions are ended (ALLOW_CONNECTIONS false + pg_terminate_backend).
// Writes fail and are retried; what they carry stays unacknowledged in the span log (the
// backlog does not drain while the database is away); when it is open again the traces are
// written and the loss detector finds every acknowledged trace stored whole, once.
import t from 'tap';
import { createTestDatabase } from '../helpers/postgres.ts';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { assertNothingLost, scrape, settledOn, startCluster, startLoad } from './harness.ts';
import { blockableDatabase } from './failures.ts';

t.setTimeout(150_000);

/** A metric summed over the cluster's running nodes. */
async function total(bases: string[], name: string): Promise<number> {
  let sum = 0;
  for (const base of bases) sum += (await scrape(base)).get(name) ?? 0;
  return sum;
}

t.test('PostgreSQL away mid-load: traces stay unacknowledged in the span log and are written when it returns', async (t) => {
  const redis = await startRedis(t, { durable: true });
  const db = await createTestDatabase(t);
  const cluster = await startCluster(t, redis.url, { postgres: db.url });
  const bases = cluster.nodes.map((n) => n.base);
  await settledOn(cluster, 0, cluster.nodes.map((n) => n.id));
  const blockable = blockableDatabase(t, db.url, db.name);
  const load = startLoad(t, cluster.nodes[0].otlpHttp, cluster.nodes[1].graphql, { duration: '10s' });
  await load.acked(1500);

  await blockable.block();
  const failuresBefore = await total(bases, 'tessera_view_write_failures_total');
  await waitFor(async () => (await total(bases, 'tessera_view_write_failures_total')) > failuresBefore, { timeoutMs: 30_000, what: 'view writes to fail' });
  const writtenWhileAway = await total(bases, 'tessera_spans_written_total');
  // Spans keep arriving (the receivers need only Redis) and none of them is acknowledged.
  const backlogAtBlock = await total(bases, 'tessera_spanlog_backlog_spans');
  await load.acked(3000);
  const backlogLater = await waitFor(async () => {
    const b = await total(bases, 'tessera_spanlog_backlog_spans');
    return b > backlogAtBlock ? b : false;
  }, { timeoutMs: 30_000, what: 'the backlog to grow while PostgreSQL is away' });
  t.ok(backlogLater > backlogAtBlock, `un-acked spans grew from ${backlogAtBlock} to ${backlogLater} while PostgreSQL was away`);
  t.equal(await total(bases, 'tessera_spans_written_total'), writtenWhileAway, 'nothing was written while PostgreSQL was away');

  await blockable.unblock();
  await waitFor(async () => (await total(bases, 'tessera_spans_written_total')) > writtenWhileAway, { timeoutMs: 30_000, what: 'writes to resume' });
  const out = await load.outcome;
  assertNothingLost(t, out, load.info);
  await waitFor(async () => (await total(bases, 'tessera_spanlog_backlog_spans')) === 0, { timeoutMs: 60_000, what: 'the span log to drain' });
});
