// Handoff and fencing with real coordinators, partition actors and ViewWriters: several
// nodes in one process share a span log, a registry and a recording view store. Traces are
// fed one span at a time across ownership changes, so they straddle every handoff.
import t, { type Test } from 'tap';
import type { Span } from '../../src/model/span.ts';
import { MemoryClusterRegistry } from '../../src/sharding/memoryRegistry.ts';
import { assignPartitions } from '../../src/sharding/rendezvous.ts';
import type { ClusterRegistry } from '../../src/sharding/registry.ts';
import type { SpanLog } from '../../src/store/api.ts';
import { createMemorySpanLog } from '../../src/store/memory/spanlog.ts';
import { partitionOf } from '../../src/store/partition.ts';
import { makeSpan, hexId } from '../helpers/spans.ts';
import { waitFor } from '../helpers/wait.ts';
import { ClusterRig } from './fixtures/inProcessCluster.ts';

const P = 16;
const TTL = 900;
const RENEW = TTL / 3;
const WINDOW = 300;

/** `traces` traces that each get one more span every `everyMs`, `rounds` times. */
class Trickle {
  readonly ids: string[];
  private round = 0;
  constructor(private readonly rig: ClusterRig, traces: number, private readonly tag: number) {
    this.ids = Array.from({ length: traces }, (_, i) => hexId(tag * 100_000 + i + 1, 32));
  }
  async sendRound(): Promise<void> {
    const spans: Span[] = this.ids.map((traceId, i) => makeSpan({ traceId, spanId: hexId((this.tag * 1000 + this.round) * 100_000 + i + 1) }));
    this.round++;
    await this.rig.send(spans);
  }
  get rounds(): number {
    return this.round;
  }
  async run(rounds: number, everyMs: number, during?: (round: number) => Promise<void>): Promise<void> {
    for (let r = 0; r < rounds; r++) {
      await this.sendRound();
      await during?.(r);
      await new Promise((res) => setTimeout(res, everyMs));
    }
  }
}

function memoryParts(): { log: SpanLog; registry: ClusterRegistry } {
  return { log: createMemorySpanLog({ partitions: P, maxBacklogSpans: 1_000_000 }), registry: new MemoryClusterRegistry() };
}

async function settled(rig: ClusterRig, ids: string[]): Promise<void> {
  const expected = assignPartitions(P, ids);
  await waitFor(() => [...expected].every(([id, ps]) => JSON.stringify(rig.nodes.get(id)!.coordinator.ownedPartitions()) === JSON.stringify(ps)),
    { timeoutMs: 10_000, what: `partitions to settle on ${ids.join(',')}` });
}

/** Per partition, the writers in the order they wrote; a node appearing twice interleaved with another. */
function interleaved(rig: ClusterRig): string[] {
  const order = new Map<number, string[]>();
  for (const w of [...rig.store.writes].sort((a, b) => a.atMs - b.atMs)) {
    const p = partitionOf('__default', w.traceId, P);
    const seq = order.get(p) ?? [];
    if (seq[seq.length - 1] !== w.node) seq.push(w.node);
    order.set(p, seq);
  }
  return [...order].filter(([, seq]) => new Set(seq).size !== seq.length).map(([p, seq]) => `partition ${p}: ${seq.join(' → ')}`);
}

async function allWhole(t: Test, rig: ClusterRig, trickle: Trickle): Promise<void> {
  const rounds = trickle.rounds;
  await waitFor(() => trickle.ids.every((id) => rig.store.spanCount('__default', id) === rounds), { timeoutMs: 15_000, what: 'every trace to be written whole' });
  t.equal(trickle.ids.filter((id) => rig.store.spanCount('__default', id) === rounds).length, trickle.ids.length, `all ${trickle.ids.length} traces hold all ${rounds} spans`);
}

t.test('a trace whose spans straddle a join is written whole', async (t) => {
  const rig = new ClusterRig(t, { ...memoryParts(), leaseTtlMs: TTL, windowMs: WINDOW });
  await rig.add('a');
  await rig.add('b');
  await settled(rig, ['a', 'b']);
  const trickle = new Trickle(rig, 60, 1);
  await trickle.run(12, 100, async (r) => {
    if (r === 4) await rig.add('c');
  });
  await settled(rig, ['a', 'b', 'c']);
  await allWhole(t, rig, trickle);
  t.ok(rig.nodes.get('c')!.leases.acquired > 0, 'the new node took partitions');
  t.same(interleaved(rig), [], 'each moved partition was written by its old owner, then only by its new one');
  t.equal(rig.nodes.get('a')!.leases.lost + rig.nodes.get('b')!.leases.lost, 0, 'handed over, never lost');
});

t.test('a graceful leave drains and hands over: traces straddling it are written whole', async (t) => {
  const rig = new ClusterRig(t, { ...memoryParts(), leaseTtlMs: TTL, windowMs: WINDOW });
  for (const id of ['a', 'b', 'c']) await rig.add(id);
  await settled(rig, ['a', 'b', 'c']);
  const trickle = new Trickle(rig, 60, 2);
  await trickle.run(12, 100, async (r) => {
    if (r === 4) await rig.nodes.get('b')!.stop();
  });
  await allWhole(t, rig, trickle);
  const b = rig.nodes.get('b')!;
  t.ok(b.leases.released > 0, `b released ${b.leases.released} leases`);
  t.equal(b.leases.lost, 0);
  t.same(b.ownership.owned(), []);
});

t.test('a node whose lease renewals stall is fenced: it stops reading and writing when its lease ends, and the new owners complete its traces', async (t) => {
  const rig = new ClusterRig(t, { ...memoryParts(), leaseTtlMs: TTL, windowMs: WINDOW });
  for (const id of ['a', 'b', 'c']) await rig.add(id);
  await settled(rig, ['a', 'b', 'c']);
  const c = rig.nodes.get('c')!;
  const itsPartitions = [...c.ownership.owned()];
  const trickle = new Trickle(rig, 60, 3);
  let cutAt = 0;
  await trickle.run(25, 100, async (r) => {
    if (r === 5) {
      // Its renewals hang (nothing tells it the lease is gone) while its actors keep working:
      // only the fence stands between it and the partitions' new owners.
      c.registry.hang();
      cutAt = performance.now();
    }
  });
  await allWhole(t, rig, trickle);
  // c renewed at most RENEW before the cut, so no one could own its partitions before this.
  const earliestTakeover = cutAt + TTL - RENEW;
  const late = rig.store.writes.filter((w) => w.node === 'c' && w.atMs >= earliestTakeover);
  t.same(late, [], 'c wrote nothing once another node could own its partitions');
  t.ok(c.fenced.read > 0, `c stopped reading its partitions (${c.fenced.read} reads refused)`);
  t.ok(c.fenced.write > 0, `c's writes of traces it still held were refused (${c.fenced.write})`);
  t.ok(itsPartitions.every((p) => !c.ownership.admit(p, 'ack')), 'c may not acknowledge for any of its old partitions');
});

t.test('a join is not held up by a backlogged writer: what the old owner could not write in time is re-read by the new one', async (t) => {
  const drainMs = 400;
  const rig = new ClusterRig(t, { ...memoryParts(), leaseTtlMs: TTL, windowMs: WINDOW, handoffDrainMs: drainMs, maxBatchSpans: 60 });
  rig.store.writeDelayMs = 300; // ~200 spans/s: the writer falls behind the trickle below
  await rig.add('a');
  await settled(rig, ['a']);
  const trickle = new Trickle(rig, 120, 4);
  let joinedAt = 0;
  let settledIn = 0;
  await trickle.run(8, 100, async (r) => {
    if (r === 5) {
      joinedAt = performance.now();
      await rig.add('b');
      await settled(rig, ['a', 'b']);
      settledIn = performance.now() - joinedAt;
    }
  });
  t.ok(settledIn < drainMs + 2 * 300 + TTL, `b had its partitions ${Math.round(settledIn)} ms after joining (drain bound ${drainMs} ms, one write ${300} ms)`);
  rig.store.writeDelayMs = 0;
  await allWhole(t, rig, trickle);
  t.same(interleaved(rig), [], 'no write of the old owner came after the new owner started');
});
