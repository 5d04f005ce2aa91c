// A read of new entries whose reply is lost after Redis delivered them (a command timeout while
// Redis is stalled, a cut connection): the entries are pending for this consumer but nobody
// holds them. The next read of those partitions re-reads them, instead of leaving them until
// another consumer's idle claim (a minute by default) — as seen under load on a Redis Cluster.
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Span } from '../../src/model/span.ts';
import { createRedisSpanLog, type RedisSpanLog } from '../../src/store/redis/spanlog.ts';
import { startRedis, type PrivateRedis } from '../helpers/redis.ts';
import { startRedisCluster } from '../cluster/redisCluster.ts';
import { closeRedis, connectRedis } from '../../src/sharding/redis/connect.ts';
import { sampleSpans } from './spanlog-fixtures.ts';

async function setUp(t: Test): Promise<{ redis: PrivateRedis; log: RedisSpanLog; admin: Redis }> {
  const redis = await startRedis(t);
  const log = await createRedisSpanLog({ redis: redis.url, partitions: 2, maxBacklogSpans: 100_000, commandTimeoutMs: 300, logger: pino({ level: 'silent' }) });
  t.teardown(() => log.close());
  const admin = new Redis(redis.url);
  t.teardown(() => admin.quit());
  return { redis, log, admin };
}

/** Runs `read` while Redis holds every client's commands past the log's command timeout; resolves once it answers again. */
async function readDuringStall(admin: Redis, read: () => Promise<unknown>): Promise<unknown> {
  // In effect once it has answered: the read's commands wait in Redis until the pause ends,
  // and are then carried out, their replies arriving after the log gave up on them.
  await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
  const failed = await read().then(() => undefined, (err: unknown) => err);
  await admin.ping();
  return failed;
}

const idsOf = (spans: Span[]) => spans.map((s) => s.spanId).sort();

t.test('entries delivered to a read that failed come back on the next read', async (t) => {
  const { log, admin } = await setUp(t);
  const spans = sampleSpans(20);
  await log.append(new Map([[0, spans.slice(0, 10)], [1, spans.slice(10)]]));
  const failed = await readDuringStall(admin, () => log.readNew([0, 1], 'n1', { count: 100, blockMs: 0 }));
  t.match(failed, { code: 'UNAVAILABLE' }, 'the read failed');
  const pending = (await admin.xpending('tessera:spans:{p0}', 'tessera')) as [number, ...unknown[]];
  t.ok(pending[0] > 0, 'yet Redis delivered its entries to the consumer');
  const again = await log.readNew([0, 1], 'n1', { count: 100, blockMs: 0 });
  t.same(idsOf(again.flatMap((e) => e.spans)), idsOf(spans), 'the next read returns them');
  t.same(await log.readNew([0, 1], 'n1', { count: 100, blockMs: 0 }), [], 'and then only new ones');
});

t.test('Redis Cluster: a stalled master fails only its streams; the others are returned, its own come next', async (t) => {
  const rc = await startRedisCluster(t);
  const client = await connectRedis(rc.url, { commandTimeoutMs: 300 });
  t.teardown(() => closeRedis(client));
  const log = await createRedisSpanLog({ redis: client, partitions: 6, maxBacklogSpans: 100_000, commandTimeoutMs: 300, logger: pino({ level: 'silent' }) });
  t.teardown(() => log.close());
  const partitions = [0, 1, 2, 3, 4, 5];
  const spans = sampleSpans(60);
  await log.append(new Map(partitions.map((p) => [p, spans.slice(p * 10, p * 10 + 10)])));
  // The master holding partition 0's stream: the one that counts keys in its slot.
  const on = async <T>(port: number, ...args: string[]): Promise<T> => {
    const c = new Redis(port);
    try {
      return (await c.call(args[0], ...args.slice(1))) as T;
    } finally {
      c.disconnect();
    }
  };
  const slot = await on<number>(rc.ports[0], 'CLUSTER', 'KEYSLOT', log.streamKey(0));
  const counts = await Promise.all(rc.ports.map((port) => on<number>(port, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot))));
  const stalled = rc.ports[counts.findIndex((n) => n > 0)];
  const admin = new Redis(stalled);
  t.teardown(() => admin.quit());
  let first: Awaited<ReturnType<typeof log.readNew>> = [];
  const failed = await readDuringStall(admin, async () => (first = await log.readNew(partitions, 'n1', { count: 100, blockMs: 0 })));
  t.equal(failed, undefined, 'the read succeeded with what the other masters had');
  t.ok(first.length > 0 && !first.some((e) => e.partition === 0), `partitions read: ${[...new Set(first.map((e) => e.partition))].join(', ')}`);
  const again = await log.readNew(partitions, 'n1', { count: 100, blockMs: 0 });
  t.ok(again.some((e) => e.partition === 0), "the next read returns the stalled master's entries");
  t.same(idsOf([...first, ...again].flatMap((e) => e.spans)), idsOf(spans), 'every span once, over the two reads');
});

t.test('the re-read starts after the last entry returned, not at entries the caller already holds', async (t) => {
  const { log, admin } = await setUp(t);
  const held = sampleSpans(5);
  await log.append(new Map([[0, held]]));
  t.equal((await log.readNew([0], 'n1', { count: 100, blockMs: 0 })).length, 1, 'one entry read and held, not acknowledged');
  const later = sampleSpans(5);
  await log.append(new Map([[0, later]]));
  await readDuringStall(admin, () => log.readNew([0], 'n1', { count: 100, blockMs: 0 }));
  const again = await log.readNew([0], 'n1', { count: 100, blockMs: 0 });
  t.same(idsOf(again.flatMap((e) => e.spans)), idsOf(later), 'only the stranded entry');
});
