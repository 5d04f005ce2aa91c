// Which partitions this node owns. The single-node implementation owns them all; a cluster
// implementation (leases over Redis) plugs in behind the same interface.

export interface PartitionOwnership {
  /** Starts tracking ownership; `onChange` gets the full owned set whenever it changes. */
  start(onChange: (owned: readonly number[]) => void): Promise<void>;
  owned(): readonly number[];
  /** Gives up every partition (graceful leave) and stops. */
  stop(): Promise<void>;
}

export class SingleNodeOwnership implements PartitionOwnership {
  private readonly all: number[];

  constructor(partitions: number) {
    this.all = Array.from({ length: partitions }, (_, i) => i);
  }

  async start(onChange: (owned: readonly number[]) => void): Promise<void> {
    onChange(this.all);
  }

  owned(): readonly number[] {
    return this.all;
  }

  async stop(): Promise<void> {}
}
