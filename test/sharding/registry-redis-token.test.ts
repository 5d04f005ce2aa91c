// Fencing tokens survive a Redis that lost its data: the PostgreSQL write fence (ADR 010)
// refuses tokens below one that has written, so a token must never go back, even when the
// fence counter is gone (no AOF, or the last second of appendfsync everysec).
import t from 'tap';
import { Redis } from 'ioredis';
import { openRedisRegistry } from '../../src/sharding/redis/registry.ts';
import { startRedis } from '../helpers/redis.ts';

t.test('a Redis that lost the fence counter still hands out a higher token', async (t) => {
  const redis = await startRedis(t);
  const r = await openRedisRegistry({ redis: redis.url });
  t.teardown(() => r.close());
  const first = await r.acquire(5, 'n1#a', 60_000);
  if (!first.acquired) throw new Error('the first acquisition failed');
  const admin = new Redis(redis.url);
  t.teardown(() => admin.quit());
  await admin.flushall();
  const second = await r.acquire(5, 'n2#b', 60_000);
  if (!second.acquired) throw new Error('the lease was not free after the flush');
  t.ok(second.lease.token > first.lease.token, `token ${second.lease.token} > ${first.lease.token}`);
  await r.release(second.lease);
  const third = await r.acquire(5, 'n1#c', 60_000);
  t.ok(third.acquired && third.lease.token > second.lease.token, 'and keeps growing with the counter');
  t.ok(Number.isSafeInteger(second.lease.token), 'tokens are exact integers');
});
