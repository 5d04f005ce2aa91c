// Partition ownership over a ClusterRegistry (docs/adr/010-cluster-leases-and-fencing.md).
//
// Two loops. The renew loop (every ttl/3) sends this node's heartbeat and renews its leases;
// a lease that could not be renewed before its local validity ends is lost, and the
// coordinator drops that partition without writing or acknowledging. The rebalance loop
// computes every partition's target owner by rendezvous hashing over the live members, hands
// over what should be elsewhere (drain, then release) and acquires what should be here and
// is free. A new owner can only acquire a lease that was released or has expired in the
// registry, and a lease's local validity ends `safetyMarginMs` before that: the old owner
// stops (its fence refuses) before the new one starts.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { TesseraError } from '../errors.ts';
import type { FencedPath, OwnershipListener, PartitionOwnership } from './ownership.ts';
import { leaseOwner, type ClusterRegistry, type Lease } from './registry.ts';
import { targetOwner } from './rendezvous.ts';

export type LeaseEvent = 'acquired' | 'released' | 'lost' | 'renewed' | 'renew_failed';

/** Hooks for metrics; every call is cheap and synchronous. */
export interface OwnershipEvents {
  lease(event: LeaseEvent, count: number): void;
  fenced(path: FencedPath, partition: number): void;
}

export interface LeasedOwnershipOptions {
  registry: ClusterRegistry;
  nodeId: string;
  partitions: number;
  /** Lease and heartbeat time to live. A dead node's partitions move within about this long. */
  leaseTtlMs: number;
  /** Default ttl / 3. */
  renewEveryMs?: number;
  /** How often a wanted lease still held elsewhere is tried again. Default min(renewEvery, 200). */
  acquireRetryMs?: number;
  /** How often the member list is read to notice joins and leaves. Default min(renewEvery, 1000). */
  rebalanceEveryMs?: number;
  /**
   * A lease's local validity ends this long before it can expire in the registry. It must
   * cover a blocking span-log read (250 ms) and clock-rate drift. Default max(300, ttl / 10).
   */
  safetyMarginMs?: number;
  /** Shown in the cluster view. */
  meta?: Record<string, string>;
  logger: Logger;
  events?: OwnershipEvents;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
}

interface Held {
  lease: Lease;
  /** Local monotonic time after which this node no longer writes or acknowledges. */
  validUntil: number;
}

export class LeasedOwnership implements PartitionOwnership {
  readonly exclusive = true;
  readonly owner: string;
  private readonly held = new Map<number, Held>();
  private readonly ttl: number;
  private readonly renewEvery: number;
  private readonly retryEvery: number;
  private readonly rebalanceEvery: number;
  private readonly margin: number;
  private readonly now: () => number;
  private listener: OwnershipListener | undefined;
  private chain: Promise<void> = Promise.resolve();
  private renewTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private rebalancing: Promise<void> | undefined;
  private renewing: Promise<void> | undefined;
  private rebalanceAgain = false;
  private leaving = false;
  private stopped = false;
  private failures = 0;

  constructor(private readonly o: LeasedOwnershipOptions) {
    this.ttl = o.leaseTtlMs;
    this.renewEvery = o.renewEveryMs ?? Math.max(1, Math.floor(this.ttl / 3));
    this.retryEvery = o.acquireRetryMs ?? Math.min(this.renewEvery, 200);
    this.rebalanceEvery = o.rebalanceEveryMs ?? Math.min(this.renewEvery, 1000);
    this.margin = o.safetyMarginMs ?? Math.max(300, Math.floor(this.ttl / 10));
    if (!(this.ttl > 0) || this.renewEvery >= this.ttl - this.margin) {
      throw new TesseraError('CONFIG', `lease TTL ${this.ttl} ms is too short: renewals every ${this.renewEvery} ms must come well within its ${this.ttl - this.margin} ms of local validity`);
    }
    this.now = o.now ?? (() => performance.now());
    this.owner = leaseOwner(o.nodeId, randomUUID().slice(0, 8));
  }

  async start(listener: OwnershipListener): Promise<void> {
    this.listener = listener;
    await this.renewRound();
    await this.rebalance();
    this.renewTimer = setInterval(() => void this.renewRound(), this.renewEvery);
  }

  owned(): readonly number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  admit(partition: number, path: FencedPath): boolean {
    const h = this.held.get(partition);
    if (h !== undefined && this.now() < h.validUntil) return true;
    this.o.events?.fenced(path, partition);
    return false;
  }

  tokenOf(partition: number): number | undefined {
    return this.held.get(partition)?.lease.token;
  }

  /** The lease held for a partition, if any (for the cluster view and tests). */
  leaseOf(partition: number): Lease | undefined {
    return this.held.get(partition)?.lease;
  }

  async leave(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    clearTimeout(this.retryTimer);
    await this.rebalancing;
    await this.o.registry.leave(this.o.nodeId).catch((err: unknown) => this.o.logger.warn({ err }, 'could not leave the cluster membership; it will expire'));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.leave();
    this.stopped = true;
    clearInterval(this.renewTimer);
    await this.chain;
    const leases = [...this.held.values()].map((h) => h.lease);
    this.held.clear();
    await Promise.all(leases.map((l) => this.o.registry.release(l).catch(() => undefined)));
    if (leases.length > 0) this.o.events?.lease('released', leases.length);
    this.o.logger.info({ released: leases.length }, 'left the cluster and released partition leases');
  }

  /** One round at a time: a round stuck on a slow registry is not joined by the next. */
  private renewRound(): Promise<void> {
    if (this.stopped || this.renewing) return this.renewing ?? Promise.resolve();
    this.renewing = this.renewOnce().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /** Heartbeat, renew every lease, report the lost ones, then rebalance. */
  private async renewOnce(): Promise<void> {
    const registry = this.o.registry;
    if (!this.leaving) {
      await registry.heartbeat({ id: this.o.nodeId, meta: this.o.meta ?? {} }, this.ttl).then(
        () => (this.failures = 0),
        (err: unknown) => this.warn(err, 'heartbeat failed'),
      );
    }
    const lost: number[] = [];
    let renewed = 0;
    let failed = 0;
    await Promise.all([...this.held.values()].map(async (h) => {
      const sentAt = this.now();
      try {
        if (await registry.renew(h.lease, this.ttl)) {
          h.validUntil = sentAt + this.ttl - this.margin;
          renewed++;
        } else lost.push(h.lease.partition);
      } catch (err) {
        failed++;
        this.warn(err, 'lease renewal failed');
      }
    }));
    const now = this.now();
    for (const [p, h] of this.held) if (h.validUntil <= now && !lost.includes(p)) lost.push(p);
    if (renewed > 0) this.o.events?.lease('renewed', renewed);
    if (failed > 0) this.o.events?.lease('renew_failed', failed);
    if (lost.length > 0) {
      for (const p of lost) this.held.delete(p);
      this.o.events?.lease('lost', lost.length);
      this.o.logger.warn({ partitions: lost }, 'partition leases lost: dropping them without writing or acknowledging');
      await this.notify((l) => l.lost(lost));
    }
    void this.rebalance();
  }

  /** One rebalance at a time; a request during one runs another right after. */
  private rebalance(): Promise<void> {
    if (this.rebalancing) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        await this.rebalanceOnce().catch((err: unknown) => this.warn(err, 'rebalance failed'));
      } while (this.rebalanceAgain && !this.leaving && !this.stopped);
    })().finally(() => (this.rebalancing = undefined));
    return this.rebalancing;
  }

  private async rebalanceOnce(): Promise<void> {
    if (this.leaving || this.stopped) return;
    const me = this.o.nodeId;
    const members = await this.o.registry.members();
    const ids = members.map((m) => m.id);
    if (!ids.includes(me)) ids.push(me); // we are alive even if our last heartbeat was lost
    const giveUp = [...this.held.keys()].filter((p) => targetOwner(p, ids) !== me);
    if (giveUp.length > 0) await this.handOver(giveUp);
    if (this.leaving || this.stopped) return;
    const want: number[] = [];
    for (let p = 0; p < this.o.partitions; p++) if (!this.held.has(p) && targetOwner(p, ids) === me) want.push(p);
    const acquired: number[] = [];
    // Look again as soon as a silent member's heartbeat or a wanted lease runs out, not at the
    // next renew round: a dead node's partitions then move within about one TTL.
    let nextLookMs = Math.min(...members.filter((m) => m.id !== me).map((m) => m.expiresInMs + 5), this.rebalanceEvery);
    await Promise.all(want.map(async (p) => {
      const sentAt = this.now();
      const r = await this.o.registry.acquire(p, this.owner, this.ttl);
      if (r.acquired && !this.stopped) {
        this.held.set(p, { lease: r.lease, validUntil: sentAt + this.ttl - this.margin });
        acquired.push(p);
      } else if (!r.acquired) nextLookMs = Math.min(nextLookMs, Math.max(this.retryEvery, r.expiresInMs + 5));
    }));
    if (acquired.length > 0) {
      acquired.sort((a, b) => a - b);
      this.o.events?.lease('acquired', acquired.length);
      this.o.logger.info({ partitions: acquired, tokens: acquired.map((p) => this.held.get(p)?.lease.token) }, 'acquired partition leases');
      await this.notify((l) => l.acquired(acquired));
    }
    clearTimeout(this.retryTimer);
    if (acquired.length < want.length) nextLookMs = Math.min(nextLookMs, this.retryEvery);
    if (nextLookMs < this.renewEvery && !this.leaving && !this.stopped) {
      this.retryTimer = setTimeout(() => void this.rebalance(), Math.max(5, nextLookMs));
    }
  }

  /** Drains the partitions through the coordinator, then releases their leases. */
  private async handOver(partitions: number[]): Promise<void> {
    this.o.logger.info({ partitions }, 'handing partitions over to their new owners');
    await this.notify((l) => l.releasing(partitions));
    const leases = partitions.map((p) => this.held.get(p)?.lease).filter((l): l is Lease => l !== undefined);
    for (const p of partitions) this.held.delete(p);
    await Promise.all(leases.map((l) => this.o.registry.release(l).catch((err: unknown) => this.warn(err, 'lease release failed; it will expire'))));
    this.o.events?.lease('released', leases.length);
  }

  private notify(call: (l: OwnershipListener) => Promise<void>): Promise<void> {
    const listener = this.listener;
    if (!listener) return Promise.resolve();
    this.chain = this.chain.then(() => call(listener)).catch((err: unknown) => {
      this.o.logger.error({ err }, 'the coordinator failed to apply an ownership change');
    });
    return this.chain;
  }

  private warn(err: unknown, what: string): void {
    this.failures++;
    if (this.failures === 1 || this.failures % 50 === 0) this.o.logger.warn({ err, failures: this.failures }, `${what}; retrying`);
  }
}
