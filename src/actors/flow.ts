/**
 * Node-wide accounting of spans between the span log and the view store (open in a
 * PartitionActor or waiting in the ViewWriter). The feeder stops reading the log while the
 * count is over its bound, so memory stays bounded and back-pressure reaches the receivers
 * through the log's own bound.
 */
export class InFlight {
  private spans = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly maxSpans: number) {}

  get count(): number {
    return this.spans;
  }

  add(n: number): void {
    this.spans += n;
  }

  release(n: number): void {
    this.spans -= n;
    if (this.spans < this.maxSpans && this.waiters.length > 0) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    }
  }

  /** Resolves when there is room (immediately when there is already). */
  room(): Promise<void> {
    if (this.spans < this.maxSpans) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  wakeAll(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
