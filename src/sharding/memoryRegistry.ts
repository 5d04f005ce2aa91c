// The in-process cluster registry: the same contract as the Redis one, for fast tests of
// membership, leases and rebalancing with many nodes in one process. The clock is injectable
// so that tests can expire heartbeats and leases without waiting.
import { unavailable } from '../errors.ts';
import type { AcquireResult, ClusterRegistry, Lease, LeaseHolder, LiveMember, MemberInfo } from './registry.ts';

export interface MemoryRegistryOptions {
  /** Milliseconds; default Date.now. */
  now?: () => number;
}

interface HeldLease {
  owner: string;
  token: number;
  expiresAt: number;
}

export class MemoryClusterRegistry implements ClusterRegistry {
  private readonly now: () => number;
  private readonly members_ = new Map<string, { meta: Record<string, string>; expiresAt: number }>();
  private readonly leases = new Map<number, HeldLease>();
  private readonly tokens = new Map<number, number>();
  private closed = false;

  constructor(opts: MemoryRegistryOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  async heartbeat(member: MemberInfo, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.members_.set(member.id, { meta: { ...member.meta }, expiresAt: this.now() + ttlMs });
  }

  async leave(memberId: string): Promise<void> {
    this.assertOpen();
    this.members_.delete(memberId);
  }

  async members(): Promise<LiveMember[]> {
    this.assertOpen();
    const now = this.now();
    const out: LiveMember[] = [];
    for (const [id, m] of this.members_) {
      if (m.expiresAt <= now) this.members_.delete(id);
      else out.push({ id, meta: { ...m.meta }, expiresInMs: m.expiresAt - now });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async acquire(partition: number, owner: string, ttlMs: number): Promise<AcquireResult> {
    this.assertOpen();
    const now = this.now();
    const cur = this.live(partition, now);
    if (cur) return { acquired: false, holder: cur.owner, expiresInMs: cur.expiresAt - now };
    const token = (this.tokens.get(partition) ?? 0) + 1;
    this.tokens.set(partition, token);
    this.leases.set(partition, { owner, token, expiresAt: now + ttlMs });
    return { acquired: true, lease: { partition, owner, token } };
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const now = this.now();
    const cur = this.live(lease.partition, now);
    if (!cur || cur.owner !== lease.owner || cur.token !== lease.token) return false;
    cur.expiresAt = now + ttlMs;
    return true;
  }

  async release(lease: Lease): Promise<void> {
    this.assertOpen();
    const cur = this.live(lease.partition, this.now());
    if (cur && cur.owner === lease.owner && cur.token === lease.token) this.leases.delete(lease.partition);
  }

  async holders(partitions: number): Promise<(LeaseHolder | null)[]> {
    this.assertOpen();
    const now = this.now();
    return Array.from({ length: partitions }, (_, p) => {
      const cur = this.live(p, now);
      return cur ? { partition: p, owner: cur.owner, token: cur.token, expiresInMs: cur.expiresAt - now } : null;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private live(partition: number, now: number): HeldLease | undefined {
    const cur = this.leases.get(partition);
    if (cur && cur.expiresAt <= now) {
      this.leases.delete(partition);
      return undefined;
    }
    return cur;
  }

  private assertOpen(): void {
    if (this.closed) throw unavailable('cluster registry is closed');
  }
}
