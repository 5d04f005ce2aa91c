// The registry contract on a 3-master Redis Cluster, through the client connectRedis detects:
// every script touches one slot ({members} or {pN}), so each works wherever its slot lives.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { closeRedis, connectRedis } from '../../src/sharding/redis/connect.ts';
import { openRedisRegistry } from '../../src/sharding/redis/registry.ts';
import { startRedisCluster } from '../cluster/redisCluster.ts';
import { registryConformance } from './registry.conformance.ts';

const run = promisify(execFile);
const rc = await startRedisCluster(t);
const client = await connectRedis(rc.url);
t.teardown(() => closeRedis(client));

t.test('a redis:// URL of a Redis Cluster node gets a Cluster client', async (t) => {
  t.equal(client.isCluster, true);
});

let n = 0;
registryConformance(t, async () => openRedisRegistry({ redis: client, keyPrefix: `t${++n}` }));

t.test('lease keys of different partitions spread over the masters', async (t) => {
  const registry = await openRedisRegistry({ redis: client, keyPrefix: 'spread' });
  await Promise.all(Array.from({ length: 16 }, (_, p) => registry.acquire(p, 'n1#x', 60_000)));
  t.equal((await registry.holders(16)).filter((h) => h?.owner === 'n1#x').length, 16, 'every lease held');
  const perMaster = await Promise.all(rc.ports.map(async (port) =>
    (await run('redis-cli', ['-p', String(port), '--scan', '--pattern', 'spread:lease:*'])).stdout.split('\n').filter(Boolean).length));
  t.equal(perMaster.reduce((a, b) => a + b, 0), 16);
  t.ok(perMaster.every((k) => k > 0), `lease keys per master: ${perMaster.join(', ')}`);
});
