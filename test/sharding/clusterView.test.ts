import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { clusterHandler, registrySnapshot, singleNodeSnapshot } from '../../src/sharding/clusterView.ts';
import { MemoryClusterRegistry } from '../../src/sharding/memoryRegistry.ts';

async function serve(t: Test, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/cluster`;
}

t.test('GET /cluster lists the live members and every partition\'s holder by node id', async (t) => {
  const r = new MemoryClusterRegistry();
  await r.heartbeat({ id: 'node-1', meta: { http: '127.0.0.1:1' } }, 5000);
  await r.heartbeat({ id: 'node-2', meta: {} }, 5000);
  const lease = await r.acquire(1, 'node-2#abc', 5000);
  const body = await (await fetch(await serve(t, clusterHandler(registrySnapshot(r, 3, 'node-1'))))).json();
  t.equal(body.mode, 'cluster');
  t.equal(body.self, 'node-1');
  t.same(body.members.map((m: { id: string }) => m.id), ['node-1', 'node-2']);
  t.same(body.members[0].meta, { http: '127.0.0.1:1' });
  t.same(body.partitions.map((p: { node: string | null }) => p.node), [null, 'node-2', null]);
  t.equal(body.partitions[1].token, lease.acquired ? lease.lease.token : -1);
});

t.test('a single node owns every partition, without leases', async (t) => {
  const s = await singleNodeSnapshot(2, 'solo', {})();
  t.same(s.partitions.map((p) => [p.node, p.token]), [['solo', null], ['solo', null]]);
});

t.test('a registry that cannot be reached answers 503 with Retry-After', async (t) => {
  const r = new MemoryClusterRegistry();
  await r.close();
  const res = await fetch(await serve(t, clusterHandler(registrySnapshot(r, 3, 'node-1'))));
  t.equal(res.status, 503);
  t.equal(res.headers.get('retry-after'), '1');
  t.equal((await res.json()).error.code, 'UNAVAILABLE');
});
