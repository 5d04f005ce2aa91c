import t from 'tap';
import { openRedisRegistry } from '../../src/sharding/redis/registry.ts';
import { startRedis } from '../helpers/redis.ts';
import { registryConformance } from './registry.conformance.ts';

registryConformance(t, async (t) => {
  const redis = await startRedis(t);
  const r = await openRedisRegistry({ redis: redis.url });
  t.teardown(() => r.close());
  return r;
});

t.test('lease keys share their partition stream hash tag, so each partition stays in one Cluster slot', async (t) => {
  const redis = await startRedis(t);
  const r = await openRedisRegistry({ redis: redis.url });
  t.teardown(() => r.close());
  t.equal(r.leaseKey(17), 'tessera:lease:{p17}');
});

t.test('while Redis is down the registry answers UNAVAILABLE, and works again once it is back', async (t) => {
  const redis = await startRedis(t);
  const r = await openRedisRegistry({ redis: redis.url, commandTimeoutMs: 500 });
  t.teardown(() => r.close());
  await r.heartbeat({ id: 'n1', meta: {} }, 5000);
  await redis.stop();
  await t.rejects(r.members(), { code: 'UNAVAILABLE' });
  await redis.restart();
  const { waitFor } = await import('../helpers/wait.ts');
  await waitFor(async () => (await r.acquire(0, 'n1#x', 5000)).acquired, { timeoutMs: 15_000, what: 'the registry to recover' });
});
