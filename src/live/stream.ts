// One subscriber's events: a bounded buffer between the fan-out (which pushes without ever
// waiting) and the transport (which pulls when the client has taken the previous event).
// A full buffer means the subscriber fell behind: the stream ends at once, drops what it
// holds, and says so through `onEnd('overflow')`; the transport then cuts the client off.

export type StreamEnd = 'overflow' | 'closed';

export class LiveStream<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | null = null;
  private ended = false;

  constructor(
    private readonly max: number,
    private readonly onEnd: (why: StreamEnd) => void,
  ) {}

  get buffered(): number {
    return this.items.length - this.head;
  }

  get done(): boolean {
    return this.ended;
  }

  /** Hands one event over; never blocks. Returns false when the stream has ended. */
  push(item: T): boolean {
    if (this.ended) return false;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter({ value: item, done: false });
      return true;
    }
    if (this.buffered >= this.max) {
      this.end('overflow');
      return false;
    }
    this.items.push(item);
    return true;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head];
      this.items[this.head++] = undefined as T;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The consumer is done (client completed, socket closed). */
  return(): Promise<IteratorResult<T>> {
    this.end('closed');
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream; the first reason wins. */
  end(why: StreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.items = [];
    this.head = 0;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.({ value: undefined, done: true });
    this.onEnd(why);
  }
}
