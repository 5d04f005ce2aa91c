// Strings decoded from bytes, shared by content. Attribute keys and many values (methods,
// status codes, host and system names) repeat from span to span; a small table from bytes to
// string saves decoding them again and hands out one string for all of them, so spans held in
// flight share those strings instead of owning copies (and V8 keeps stores into attribute
// objects on their fast path when it sees the same key strings).

/** Table size: a power of two. A collision only replaces the slot's string (never a wrong answer). */
const SLOTS = 4096;

export interface SharedStringsOptions {
  /** Hand out the lower-cased text (attribute keys). */
  lowerCase?: boolean;
  /** Longer strings rarely repeat: they are decoded as they are, not kept. */
  maxSharedBytes?: number;
}

export class SharedStrings {
  private readonly bytes: (Buffer | undefined)[] = new Array(SLOTS);
  private readonly strings: string[] = new Array(SLOTS);
  private readonly lowerCase: boolean;
  private readonly maxSharedBytes: number;

  constructor(opts: SharedStringsOptions = {}) {
    this.lowerCase = opts.lowerCase ?? false;
    this.maxSharedBytes = opts.maxSharedBytes ?? Infinity;
  }

  /** The UTF-8 text of `buf[start, stop)`, the same string as earlier calls for the same bytes. */
  get(buf: Buffer, start: number, stop: number): string {
    const len = stop - start;
    if (len > this.maxSharedBytes) {
      const text = buf.toString('utf8', start, stop);
      return this.lowerCase ? text.toLowerCase() : text;
    }
    let h = 0x811c9dc5;
    for (let i = start; i < stop; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const slot = (h >>> 0) & (SLOTS - 1);
    const cached = this.bytes[slot];
    if (cached !== undefined && cached.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (cached[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.strings[slot];
    }
    const decoded = buf.toString('utf8', start, stop);
    const str = this.lowerCase ? decoded.toLowerCase() : decoded;
    this.bytes[slot] = Buffer.from(buf.subarray(start, stop));
    this.strings[slot] = str;
    return str;
  }
}
