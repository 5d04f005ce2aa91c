// Three Tessera nodes on a 3-master Redis Cluster (started with the URL of one master): the
// same loss-free loadgen --verify run as on a single Redis, and every key of a partition
// (stream, backlog counter, lease, fence counter) carries its `{pN}` hash tag, so each
// partition lives in one slot on one master and its scripts and transactions work there.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { PARTITIONS, assertNothingLost, settledOn, startCluster, startLoad } from './harness.ts';
import { startRedisCluster } from './redisCluster.ts';

const run = promisify(execFile);
const cli = async (port: number, ...args: string[]): Promise<string> => (await run('redis-cli', ['-p', String(port), ...args])).stdout;

t.setTimeout(150_000);

t.test('three nodes on a 3-master Redis Cluster: nothing lost, each partition in one slot', async (t) => {
  const rc = await startRedisCluster(t);
  const cluster = await startCluster(t, rc.url);
  const ids = cluster.nodes.map((n) => n.id);
  await settledOn(cluster, 0, ids, 60_000);

  const load = startLoad(t, cluster.nodes[1].otlpHttp, cluster.nodes[2].graphql, { duration: '8s' });
  const out = await load.outcome;
  assertNothingLost(t, out, load.info);

  // Where every key of every partition lives: master port and slot.
  const byPartition = new Map<number, { key: string; port: number; slot: number }[]>();
  for (const port of rc.ports) {
    const keys = (await cli(port, '--scan', '--pattern', 'tessera:*{p*}')).split('\n').filter(Boolean);
    for (const key of keys) {
      const p = Number(/\{p(\d+)\}/.exec(key)![1]);
      const slot = Number((await cli(port, 'cluster', 'keyslot', key)).trim());
      byPartition.set(p, [...(byPartition.get(p) ?? []), { key, port, slot }]);
    }
  }
  t.equal(byPartition.size, PARTITIONS, 'keys of every partition found');
  const kinds = new Set([...byPartition.values()].flat().map((k) => k.key.split(':')[1]));
  t.ok(['spans', 'backlog', 'lease', 'fence'].every((k) => kinds.has(k)), `key kinds: ${[...kinds].join(', ')}`);
  const split = [...byPartition].filter(([, keys]) => new Set(keys.map((k) => k.slot)).size !== 1 || new Set(keys.map((k) => k.port)).size !== 1);
  t.same(split.map(([p, keys]) => ({ p, keys })), [], "each partition's keys share one slot on one master");
  const masters = new Set([...byPartition.values()].map((keys) => keys[0].port));
  t.equal(masters.size, rc.ports.length, 'the partitions spread over every master');
});
