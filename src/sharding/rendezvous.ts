// Which live member should own a partition: rendezvous (highest-random-weight) hashing. Every
// node computes the same answer from the same member list, with no coordination, and when a
// member joins or leaves only the partitions whose winner changes move (about P/N of them).
import { partitionHash } from '../store/partition.ts';

/** The weight of a member for a partition: the span-log hash of (member id, "p<N>"). */
export function rendezvousWeight(member: string, partition: number): number {
  return partitionHash(member, `p${partition}`);
}

/** The member that should own `partition`, or undefined when there is none. Ties go to the smaller id. */
export function targetOwner(partition: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const m of members) {
    const w = rendezvousWeight(m, partition);
    if (w > bestWeight || (w === bestWeight && best !== undefined && m < best)) {
      best = m;
      bestWeight = w;
    }
  }
  return best;
}

/** The partitions each member should own, every member present (possibly with none). */
export function assignPartitions(partitions: number, members: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>(members.map((m) => [m, []]));
  for (let p = 0; p < partitions; p++) {
    const owner = targetOwner(p, members);
    if (owner !== undefined) out.get(owner)!.push(p);
  }
  return out;
}
