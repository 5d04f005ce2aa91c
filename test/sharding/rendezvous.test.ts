import t from 'tap';
import { assignPartitions, targetOwner } from '../../src/sharding/rendezvous.ts';

const P = 64;
const nodes = (n: number) => Array.from({ length: n }, (_, i) => `node-${String.fromCharCode(97 + i)}`);

t.test('every node computes the same owner whatever order it lists the members in', async (t) => {
  const members = nodes(5);
  const reversed = [...members].reverse();
  for (let p = 0; p < P; p++) t.equal(targetOwner(p, reversed), targetOwner(p, members), `partition ${p}`);
});

t.test('partitions spread over the members, none left without an owner', async (t) => {
  for (const n of [1, 2, 3, 5]) {
    const counts = [...assignPartitions(P, nodes(n)).values()].map((ps) => ps.length);
    t.equal(counts.reduce((a, b) => a + b, 0), P, `${n} members own all ${P} partitions`);
    // A fair share is P/n; rendezvous hashing stays well within ±60 % of it at these sizes.
    for (const c of counts) t.ok(c >= (P / n) * 0.4 && c <= (P / n) * 1.6, `${n} members: ${c} partitions is near ${P / n}`);
  }
});

t.test('a joining member takes partitions only from others, and only the ones it wins', async (t) => {
  const before = nodes(3);
  const after = [...before, 'node-new'];
  let moved = 0;
  for (let p = 0; p < P; p++) {
    const was = targetOwner(p, before);
    const now = targetOwner(p, after);
    if (was !== now) {
      moved++;
      t.equal(now, 'node-new', `partition ${p} moves only to the new member`);
    }
  }
  t.ok(moved > 0 && moved < P / 2, `${moved} of ${P} partitions move (about P/4 expected)`);
});

t.test('a leaving member gives up only its own partitions', async (t) => {
  const before = nodes(4);
  const gone = before[1];
  const after = before.filter((m) => m !== gone);
  for (let p = 0; p < P; p++) {
    const was = targetOwner(p, before);
    if (was !== gone) t.equal(targetOwner(p, after), was, `partition ${p} stays with ${was}`);
  }
});

t.test('no members, no owner', async (t) => {
  t.equal(targetOwner(3, []), undefined);
});
