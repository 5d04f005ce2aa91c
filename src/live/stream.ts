// One subscriber's events: a bounded buffer between the fan-out (which pushes without ever
// waiting) and the transport (which pulls one event when the client has taken the previous
// one). The fan-out pushes everything one hub delivery matched (the traces of one write) as
// one batch, shared by every subscriber of the filter set. A burst, however large, is never
// mistaken for a client falling behind: the bounds apply only while an earlier batch is still
// unread. Then a subscriber is behind when it holds more than `maxBatches` batches or more
// than `maxEvents` events; the stream ends at once, drops what it holds, and says so through
// `onEnd('overflow')`; the transport then cuts the client off.
//
// Two ways to read: as an async iterator (one event per `next`), or, as the graphql-ws edge
// does, synchronously: `poll()` whatever is buffered whenever `onReadable` says there is some,
// so a whole delivery reaches a socket in one turn without a promise per event.

export type StreamEnd = 'overflow' | 'closed';

export class LiveStream<T> implements AsyncIterableIterator<T> {
  private batches: (readonly T[])[] = [];
  private head = 0;
  /** Next event within batches[head]. */
  private pos = 0;
  private waiter: ((r: IteratorResult<T>) => void) | null = null;
  private ended = false;
  private events = 0;
  private readableHook: (() => void) | null = null;
  private endedWith: ((why: StreamEnd) => void) | null = null;
  /** Settles, with the reason, when the stream ends. */
  readonly finished: Promise<StreamEnd>;

  constructor(
    private readonly bounds: { maxBatches: number; maxEvents: number },
    private readonly onEnd: (why: StreamEnd) => void,
  ) {
    this.finished = new Promise((resolve) => (this.endedWith = resolve));
  }

  /**
   * Called (synchronously, from `push`) whenever events arrive and no `next` waits for them.
   * Setting it when events are already buffered calls it at once.
   */
  set onReadable(hook: (() => void) | null) {
    this.readableHook = hook;
    if (hook && this.head < this.batches.length) hook();
  }

  /** Batches waiting, the one being read included. */
  get buffered(): number {
    return this.batches.length - this.head;
  }

  /** Events waiting. */
  get bufferedEvents(): number {
    return this.events;
  }

  get done(): boolean {
    return this.ended;
  }

  /** Hands one trace's events over; never blocks. Returns false when the stream has ended. */
  push(batch: readonly T[]): boolean {
    if (this.ended) return false;
    if (batch.length === 0) return true;
    const behind = this.buffered > 0 && (this.buffered >= this.bounds.maxBatches || this.events + batch.length > this.bounds.maxEvents);
    if (behind) {
      this.end('overflow');
      return false;
    }
    this.batches.push(batch);
    this.events += batch.length;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter({ value: this.take(), done: false });
    } else this.readableHook?.();
    return true;
  }

  /** The next buffered event, or undefined when none is (or the stream has ended). */
  poll(): T | undefined {
    return this.head < this.batches.length ? this.take() : undefined;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.batches.length) return Promise.resolve({ value: this.take(), done: false });
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
    this.batches = [];
    this.head = 0;
    this.pos = 0;
    this.events = 0;
    const waiter = this.waiter;
    this.waiter = null;
    this.readableHook = null;
    waiter?.({ value: undefined, done: true });
    this.endedWith?.(why);
    this.endedWith = null;
    this.onEnd(why);
  }

  /** The next event; the caller has checked that one is buffered. */
  private take(): T {
    const batch = this.batches[this.head];
    const value = batch[this.pos++];
    this.events--;
    if (this.pos === batch.length) {
      this.batches[this.head++] = undefined as unknown as T[];
      this.pos = 0;
      if (this.head === this.batches.length) {
        this.batches = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.batches.length) {
        this.batches = this.batches.slice(this.head);
        this.head = 0;
      }
    }
    return value;
  }
}
