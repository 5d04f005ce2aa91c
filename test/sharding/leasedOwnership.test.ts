// Membership, leases and rebalancing with several nodes over the in-process registry.
import t, { type Test } from 'tap';
import { MemoryClusterRegistry } from '../../src/sharding/memoryRegistry.ts';
import { assignPartitions } from '../../src/sharding/rendezvous.ts';
import { waitFor } from '../helpers/wait.ts';
import { OwnershipRig } from './fixtures/ownershipRig.ts';

const P = 16;
const TTL = 900;

function rig(t: Test, drainMs = 0): OwnershipRig {
  const r = new OwnershipRig(new MemoryClusterRegistry(), P, TTL, drainMs);
  t.teardown(() => r.stopAll());
  return r;
}

t.test('three nodes split the partitions as rendezvous hashing says, one owner each', async (t) => {
  const r = rig(t);
  for (const id of ['a', 'b', 'c']) await r.add(id);
  const expected = assignPartitions(P, ['a', 'b', 'c']);
  await waitFor(() => r.settledOn(expected), { timeoutMs: 10_000, what: 'the partitions to settle' });
  t.same(r.violations, []);
  for (const [id, ps] of expected) t.same(r.nodes.get(id)!.ownership.owned(), ps, `${id} owns its rendezvous share`);
});

t.test('a joining node takes over exactly the partitions rendezvous moves to it, each after its old owner released it', async (t) => {
  const r = rig(t, 50);
  for (const id of ['a', 'b']) await r.add(id);
  const before = assignPartitions(P, ['a', 'b']);
  await waitFor(() => r.settledOn(before), { timeoutMs: 10_000, what: 'two nodes to settle' });
  const mark = r.events.length;
  await r.add('c');
  const after = assignPartitions(P, ['a', 'b', 'c']);
  await waitFor(() => r.settledOn(after), { timeoutMs: 10_000, what: 'three nodes to settle' });
  const moved = r.events.slice(mark).filter((e) => e.node !== 'c' && e.kind !== 'acquired').flatMap((e) => e.partitions).sort((a, b) => a - b);
  t.same(moved, after.get('c'), 'only the new node\'s partitions were handed over');
  t.same(r.events.slice(mark).filter((e) => e.kind === 'lost'), [], 'nothing was lost');
  t.same(r.violations, []);
});

t.test('a graceful leave hands its partitions over well before the lease TTL', async (t) => {
  const r = rig(t);
  for (const id of ['a', 'b', 'c']) await r.add(id);
  await waitFor(() => r.settledOn(assignPartitions(P, ['a', 'b', 'c'])), { timeoutMs: 10_000, what: 'settle' });
  const started = performance.now();
  await r.nodes.get('b')!.ownership.stop();
  r.nodes.get('b')!.processing.clear();
  const after = assignPartitions(P, ['a', 'c']);
  await waitFor(() => r.settledOn(new Map([...after, ['b', []]])), { timeoutMs: 10_000, everyMs: 10, what: 'a and c to take over' });
  const took = performance.now() - started;
  t.ok(took < TTL, `handed over in ${Math.round(took)} ms, under the ${TTL} ms TTL`);
  t.same(r.violations, []);
});

t.test('a node cut off from the registry stops before its partitions move, and they move once its leases expire', async (t) => {
  const r = rig(t);
  for (const id of ['a', 'b', 'c']) await r.add(id);
  await waitFor(() => r.settledOn(assignPartitions(P, ['a', 'b', 'c'])), { timeoutMs: 10_000, what: 'settle' });
  const c = r.nodes.get('c')!;
  const its = [...c.processing];
  c.registry.cutOff = true;
  const started = performance.now();
  const after = assignPartitions(P, ['a', 'b']);
  await waitFor(() => r.settledOn(new Map([...after, ['c', []]])), { timeoutMs: 10_000, everyMs: 10, what: 'a and b to take over' });
  const took = performance.now() - started;
  t.ok(took < TTL * 2.5, `moved in ${Math.round(took)} ms (TTL ${TTL} ms)`);
  t.same(r.events.filter((e) => e.node === 'c' && e.kind === 'lost').flatMap((e) => e.partitions).sort((x, y) => x - y), its.sort((x, y) => x - y), 'c reported every partition lost');
  for (const p of its) t.equal(c.ownership.admit(p, 'write'), false, `c is fenced out of partition ${p}`);
  t.same(r.violations, [], 'no partition was started while c could still write it');
});

t.test('a node that comes back after being cut off rejoins and gets its share again', async (t) => {
  const r = rig(t);
  for (const id of ['a', 'b']) await r.add(id);
  await waitFor(() => r.settledOn(assignPartitions(P, ['a', 'b'])), { timeoutMs: 10_000, what: 'settle' });
  const b = r.nodes.get('b')!;
  b.registry.cutOff = true;
  await waitFor(() => r.settledOn(new Map([['a', Array.from({ length: P }, (_, i) => i)], ['b', []]])), { timeoutMs: 10_000, what: 'a to own everything' });
  b.registry.cutOff = false;
  await waitFor(() => r.settledOn(assignPartitions(P, ['a', 'b'])), { timeoutMs: 10_000, what: 'b to get its share back' });
  t.same(r.violations, []);
});

t.test('a lease TTL too short for its renewals is a CONFIG error', async (t) => {
  const { LeasedOwnership } = await import('../../src/sharding/leasedOwnership.ts');
  const { pino } = await import('pino');
  t.throws(() => new LeasedOwnership({ registry: new MemoryClusterRegistry(), nodeId: 'a', partitions: 4, leaseTtlMs: 300, logger: pino({ level: 'silent' }) }), { code: 'CONFIG' });
});
