// The string table of the SpanBatch being encoded, kept from batch to batch (encoding is
// synchronous: one batch at a time). A Map and four index arrays built per batch, grown string by
// string, were ~1.4 KB of garbage a span, which the young-generation GC then paid for. Here each
// distinct string has a process-wide slot, and a slot belongs to the current batch's table when
// its stamp is the batch's number. The slots are forgotten together, between batches, once they
// hold too many strings or characters.

/** Slots kept across batches before they are all forgotten (checked between batches). */
export const MAX_SLOTS = 4096;
/** Characters kept across batches before the slots are all forgotten (checked between batches). */
export const MAX_CHARS = 1 << 20;
/** Batch numbers wrap before they overflow an Int32Array stamp. */
const MAX_BATCH = 0x3fffffff;

export class BatchStringTable {
  /** Slot of each remembered string; slot 0 is always the empty string. */
  private readonly slots = new Map<string, number>();
  private chars = 0;
  private slotString: string[] = [];
  /** By slot: the batch number that last put the string in its table, and its index there. */
  private stamp = new Int32Array(1024);
  private index = new Int32Array(1024);
  // By slot of a key: the key that followed it last time, and the value it had last time (with
  // their slots). Unfilled entries hold the empty string and its slot, a true pair.
  private nextKey: string[] = [];
  private nextKeySlot = new Int32Array(1024);
  private lastValue: string[] = [];
  private lastValueSlot = new Int32Array(1024);
  private batch = 0;
  /** The batch's table, in the order its strings were first used; `length` entries are current. */
  readonly strings: string[] = [];
  length = 0;

  constructor() {
    this.forget();
  }

  /** Starts a new batch's table, holding only the empty string (index 0). */
  begin(): void {
    if (this.slots.size > MAX_SLOTS || this.chars > MAX_CHARS || this.batch >= MAX_BATCH) this.forget();
    const b = ++this.batch;
    this.stamp[0] = b;
    this.index[0] = 0;
    this.strings[0] = '';
    this.length = 1;
  }

  /** A string's index in the batch's table, adding it when new to the batch. */
  indexOf(s: string): number {
    return this.indexOfSlot(this.slotOf(s));
  }

  /** The index in the batch's table of the string in `slot`, adding it when new to the batch. */
  indexOfSlot(slot: number): number {
    if (this.stamp[slot] === this.batch) return this.index[slot];
    this.stamp[slot] = this.batch;
    const i = this.length++;
    this.index[slot] = i;
    this.strings[i] = this.slotString[slot];
    return i;
  }

  /**
   * The slot of `key`, an attribute key following the key in slot `prev` (0 before the first):
   * spans repeat runs of keys, so the key that followed `prev` last time is compared first.
   */
  keySlot(prev: number, key: string): number {
    if (this.nextKey[prev] === key) return this.nextKeySlot[prev];
    const slot = this.slotOf(key);
    this.nextKey[prev] = key;
    this.nextKeySlot[prev] = slot;
    return slot;
  }

  /** The slot of `value`, the value of the key in slot `key`: compared with its last value first. */
  valueSlot(key: number, value: string): number {
    if (this.lastValue[key] === value) return this.lastValueSlot[key];
    const slot = this.slotOf(value);
    this.lastValue[key] = value;
    this.lastValueSlot[key] = slot;
    return slot;
  }

  private slotOf(s: string): number {
    const slot = this.slots.get(s);
    return slot === undefined ? this.remember(s) : slot;
  }

  private remember(s: string): number {
    const slot = this.slots.size;
    if (slot === this.stamp.length) this.grow();
    this.slots.set(s, slot);
    this.chars += s.length;
    this.slotString[slot] = s;
    this.nextKey[slot] = '';
    this.lastValue[slot] = '';
    // Stale entries of a forgotten slot: no stamp a batch can have, and the empty-string pairs.
    this.stamp[slot] = 0;
    this.nextKeySlot[slot] = 0;
    this.lastValueSlot[slot] = 0;
    return slot;
  }

  private grow(): void {
    const n = 2 * this.stamp.length;
    const grown = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const g = new Int32Array(n);
      g.set(a);
      return g;
    };
    this.stamp = grown(this.stamp);
    this.index = grown(this.index);
    this.nextKeySlot = grown(this.nextKeySlot);
    this.lastValueSlot = grown(this.lastValueSlot);
  }

  /** Drops every slot and memo (batch numbers restart, so no stale stamp can match). */
  private forget(): void {
    this.slots.clear();
    this.chars = 0;
    this.slotString = [];
    this.nextKey = [];
    this.lastValue = [];
    // A huge batch may have grown the arrays far past the bound: start small again.
    if (this.stamp.length > 2 * MAX_SLOTS) {
      this.stamp = new Int32Array(1024);
      this.index = new Int32Array(1024);
      this.nextKeySlot = new Int32Array(1024);
      this.lastValueSlot = new Int32Array(1024);
    }
    this.stamp.fill(0);
    this.batch = 0;
    this.strings.length = 0;
    this.remember('');
  }
}
