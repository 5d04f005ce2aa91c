// The ClusterRegistry contract, run by every adapter (memory, Redis). Real time with short
// TTLs: expiry is waited for with a deadline, never slept on.
import type { Test } from 'tap';
import type { ClusterRegistry } from '../../src/sharding/registry.ts';
import { waitFor } from '../helpers/wait.ts';

export type RegistryFactory = (t: Test) => Promise<ClusterRegistry>;

const TTL = 300;

export function registryConformance(t: Test, make: RegistryFactory): void {
  t.test('a member is live after its heartbeat and dead once it misses them past the TTL', async (t) => {
    const r = await make(t);
    await r.heartbeat({ id: 'n1', meta: { http: 'h1' } }, TTL);
    const live = await r.members();
    t.same(live.map((m) => m.id), ['n1']);
    t.same(live[0].meta, { http: 'h1' });
    t.ok(live[0].expiresInMs > 0 && live[0].expiresInMs <= TTL, `expires in ${live[0].expiresInMs} ms`);
    await waitFor(async () => (await r.members()).length === 0, { timeoutMs: 5000, what: 'n1 to expire' });
  });

  t.test('members are listed by id, and a heartbeat keeps a member alive', async (t) => {
    const r = await make(t);
    await r.heartbeat({ id: 'n2', meta: {} }, 5000);
    await r.heartbeat({ id: 'n1', meta: {} }, 5000);
    await r.heartbeat({ id: 'n3', meta: {} }, 5000);
    t.same((await r.members()).map((m) => m.id), ['n1', 'n2', 'n3']);
  });

  t.test('leave removes a member at once', async (t) => {
    const r = await make(t);
    await r.heartbeat({ id: 'n1', meta: {} }, 5000);
    await r.heartbeat({ id: 'n2', meta: {} }, 5000);
    await r.leave('n1');
    t.same((await r.members()).map((m) => m.id), ['n2']);
  });

  t.test('a free lease is acquired, and each acquisition gets a higher fencing token', async (t) => {
    const r = await make(t);
    const a = await r.acquire(5, 'n1#x', 5000);
    t.ok(a.acquired);
    if (!a.acquired) return;
    t.same({ partition: a.lease.partition, owner: a.lease.owner }, { partition: 5, owner: 'n1#x' });
    await r.release(a.lease);
    const b = await r.acquire(5, 'n2#y', 5000);
    t.ok(b.acquired);
    if (b.acquired) t.ok(b.lease.token > a.lease.token, `token ${b.lease.token} > ${a.lease.token}`);
  });

  t.test('a held lease is refused to anyone else, naming its holder and time left', async (t) => {
    const r = await make(t);
    t.ok((await r.acquire(1, 'n1#x', 5000)).acquired);
    const again = await r.acquire(1, 'n2#y', 5000);
    t.equal(again.acquired, false);
    if (again.acquired) return;
    t.equal(again.holder, 'n1#x');
    t.ok(again.expiresInMs > 0 && again.expiresInMs <= 5000);
    const self = await r.acquire(1, 'n1#x', 5000);
    t.equal(self.acquired, false, 'even its holder cannot acquire it twice');
  });

  t.test('renew extends only the lease still held under that owner and token', async (t) => {
    const r = await make(t);
    const a = await r.acquire(2, 'n1#x', TTL);
    if (!a.acquired) return t.fail('not acquired');
    t.equal(await r.renew(a.lease, 5000), true);
    t.equal(await r.renew({ ...a.lease, token: a.lease.token + 1 }, 5000), false, 'wrong token');
    t.equal(await r.renew({ ...a.lease, owner: 'n2#y' }, 5000), false, 'wrong owner');
    const held = (await r.holders(3))[2];
    t.ok(held && held.expiresInMs > TTL, 'the renewal outlives the first TTL');
  });

  t.test('an expired lease goes to another owner, and the old owner can neither renew nor release it', async (t) => {
    const r = await make(t);
    const old = await r.acquire(3, 'n1#x', TTL);
    if (!old.acquired) return t.fail('not acquired');
    const next = await waitFor(async () => {
      const a = await r.acquire(3, 'n2#y', 5000);
      return a.acquired ? a.lease : undefined;
    }, { timeoutMs: 5000, what: 'the lease to expire' });
    t.ok(next.token > old.lease.token, 'the new holder has a higher token');
    t.equal(await r.renew(old.lease, 5000), false, 'the old holder is fenced out');
    await r.release(old.lease);
    const holder = (await r.holders(4))[3];
    t.equal(holder?.owner, 'n2#y', 'a stale release leaves the new lease alone');
    t.equal(holder?.token, next.token);
  });

  t.test('holders lists the holder of every partition, null where there is none', async (t) => {
    const r = await make(t);
    await r.acquire(0, 'n1#x', 5000);
    await r.acquire(2, 'n2#y', 5000);
    const h = await r.holders(3);
    t.same(h.map((x) => x?.owner ?? null), ['n1#x', null, 'n2#y']);
  });
}
