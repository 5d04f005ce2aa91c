// Which partitions this node owns, and the fence on its write and ack paths. The single-node
// implementation owns them all; LeasedOwnership (leases over a ClusterRegistry) plugs in
// behind the same interface. The coordinator is told of changes through OwnershipListener.

/** What the coordinator does when ownership changes. Calls never overlap. */
export interface OwnershipListener {
  /** Newly held partitions: re-read what is pending for them, then process them. */
  acquired(partitions: readonly number[]): Promise<void>;
  /** Partitions to hand over: write their open traces and acknowledge; the lease is released after. */
  releasing(partitions: readonly number[]): Promise<void>;
  /** Partitions whose lease is gone: drop their state at once, writing and acknowledging nothing. */
  lost(partitions: readonly number[]): Promise<void>;
}

export type FencedPath = 'read' | 'write' | 'ack';

/** The check on every path that writes or acknowledges for a partition. */
export interface PartitionFence {
  /**
   * True while this node may still read, write or acknowledge for the partition. No I/O:
   * answered from the lease's local validity, which ends before the lease can expire in the
   * registry. A false answer is counted as a fenced refusal on that path.
   */
  admit(partition: number, path: FencedPath): boolean;
  /**
   * The fencing token of the partition's lease, carried by each write so a shared store can
   * refuse one made under a lease that has since passed on (ADR 010). Undefined when unfenced.
   */
  tokenOf?(partition: number): number | undefined;
}

export interface PartitionOwnership extends PartitionFence {
  /**
   * True when a partition, once acquired, is held by nobody else (a fenced lease): entries
   * left pending by previous owners can be taken over at once instead of after an idle time.
   */
  readonly exclusive: boolean;
  /** Starts tracking ownership; resolves once the first assignment has been handed to `listener`. */
  start(listener: OwnershipListener): Promise<void>;
  owned(): readonly number[];
  /** Stops taking partitions and leaves the membership; held partitions stay held until stop(). */
  leave(): Promise<void>;
  /** Gives up every partition still held and stops. */
  stop(): Promise<void>;
}

export class SingleNodeOwnership implements PartitionOwnership {
  readonly exclusive = false;
  private readonly all: number[];

  constructor(partitions: number) {
    this.all = Array.from({ length: partitions }, (_, i) => i);
  }

  async start(listener: OwnershipListener): Promise<void> {
    await listener.acquired(this.all);
  }

  owned(): readonly number[] {
    return this.all;
  }

  admit(): boolean {
    return true;
  }

  async leave(): Promise<void> {}

  async stop(): Promise<void> {}
}
