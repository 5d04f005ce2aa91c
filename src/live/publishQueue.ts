// The bounded hand-off between the writer and a hub: publish only appends here; the hub works
// through the queue on a later turn of the event loop (setImmediate), so the ViewWriter's own
// continuation (acknowledging the batch) always runs first and never waits for delivery.

export class PublishQueue<T> {
  private items: T[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly max: number,
    private readonly drain: (batch: T[]) => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Appends one item; false (and nothing queued) when the queue is full or closed. */
  offer(item: T): boolean {
    if (this.closed || this.items.length >= this.max) return false;
    this.items.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
    return true;
  }

  /** Drops what is queued; later offers are refused. */
  close(): void {
    this.closed = true;
    this.items = [];
  }

  private run(): void {
    this.scheduled = false;
    if (this.closed || this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.drain(batch);
  }
}
