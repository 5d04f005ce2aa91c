// The per-partition lag probe against the real span log: what is appended, delivered and
// acknowledged shows up as stream length, pending and undelivered entries.
import { pino } from 'pino';
import t from 'tap';
import { closeRedis, connectRedis } from '../../src/sharding/redis/connect.ts';
import { redisLagProbe } from '../../src/sharding/redis/lag.ts';
import { createRedisSpanLog } from '../../src/store/redis/spanlog.ts';
import { startRedis } from '../helpers/redis.ts';
import { makeSpan } from '../helpers/spans.ts';

t.test('stream length, pending and undelivered entries per partition', async (t) => {
  const redis = await startRedis(t);
  const client = await connectRedis(redis.url);
  t.teardown(() => closeRedis(client));
  const log = await createRedisSpanLog({ redis: client, partitions: 4, maxBacklogSpans: 1000, logger: pino({ level: 'silent' }) });
  t.teardown(() => log.close());
  for (let i = 0; i < 3; i++) await log.append(new Map([[1, [makeSpan()]]]));
  await log.append(new Map([[2, [makeSpan()]]]));
  const read = await log.readNew([1], 'n1', { count: 2, blockMs: 0 });
  await log.ack(1, [read[0].id]);
  const probe = redisLagProbe({ client });
  t.same(await probe([1, 2, 3]), [
    { partition: 1, length: 3, pending: 1, undelivered: 1 },
    { partition: 2, length: 1, pending: 0, undelivered: 1 },
    { partition: 3, length: 0, pending: 0, undelivered: 0 },
  ]);
});
