// A minimal protobuf writer over one growable buffer, reused across requests. Nested messages
// reserve room for their length prefix, are written in place, and are shifted when the length
// needs a different number of bytes than reserved, so nothing is sized twice and nothing is
// built as an intermediate object. Used only where protobufjs' reflection writer measured too
// slow for the generator's goal (see docs/loadgen.md).

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}

const TWO_32 = 4294967296;

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const varintSize = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

export class PbWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written (the internal buffer is reused by the next request). */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  tag(field: number, wire: number): void {
    this.uint32((field << 3) | wire);
  }

  /** An unsigned varint below 2^32. */
  uint32(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** An int64 varint from a safe integer (negatives in ten-byte two's complement). */
  int64(v: number): void {
    if (v >= 0 && v < TWO_32) {
      this.uint32(v);
      return;
    }
    this.ensure(10);
    let big = BigInt.asUintN(64, BigInt(v));
    while (big >= 0x80n) {
      this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    this.buf[this.pos++] = Number(big);
  }

  /** fixed64 nanoseconds from integer microseconds, exact (no double holds today's ns). */
  fixed64NanosFromMicros(us: number): void {
    this.ensure(8);
    const usHigh = Math.floor(us / TWO_32);
    const lowNs = (us - usHigh * TWO_32) * 1000; // < 2^42: exact
    const carry = Math.floor(lowNs / TWO_32);
    this.buf.writeUInt32LE((lowNs - carry * TWO_32) >>> 0, this.pos);
    this.buf.writeUInt32LE((usHigh * 1000 + carry) >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A length-delimited UTF-8 string (value only; write the tag first). */
  string(s: string): void {
    const n = s.length;
    this.ensure(n * 3 + 5);
    const b = this.buf;
    let p = this.pos + varintSize(n);
    const start = p;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      b[p++] = c;
    }
    if (!ascii) p = start + b.write(s, start, 'utf8');
    this.closeLength(this.pos, start, p);
  }

  /** Raw bytes from an even-length hex string, length-delimited. */
  hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    this.ensure(n + 5);
    const b = this.buf;
    let p = this.pos;
    b[p++] = n;
    for (let i = 0; i < n; i++) b[p++] = (HEX_VALUE[hex.charCodeAt(2 * i)] << 4) | HEX_VALUE[hex.charCodeAt(2 * i + 1)];
    this.pos = p;
  }

  /** Bytes written earlier (by `slice`), copied verbatim. */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    const b = this.buf;
    const p = this.pos;
    if (n < 64) {
      for (let i = 0; i < n; i++) b[p + i] = bytes[i];
    } else {
      b.set(bytes, p);
    }
    this.pos = p + n;
  }

  /** A copy of what was written since `start`, for `raw` to repeat later. */
  slice(start: number): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, start, this.pos);
  }

  /** Starts a nested message, reserving `reserve` bytes for its length; returns a mark. */
  begin(reserve: number): number {
    this.ensure(reserve);
    this.pos += reserve;
    return this.pos - reserve;
  }

  /** Ends the nested message started at `mark`. */
  end(mark: number, reserve: number): void {
    this.closeLength(mark, mark + reserve, this.pos);
  }

  /** Writes the length of content [start, stop) at `at`, moving the content if needed. */
  private closeLength(at: number, start: number, stop: number): void {
    let len = stop - start;
    const need = varintSize(len);
    const have = start - at;
    if (need !== have) {
      this.ensure(need - have + 5);
      this.buf.copyWithin(at + need, start, stop);
    }
    const b = this.buf;
    let p = at;
    while (len >= 0x80) {
      b[p++] = (len & 0x7f) | 0x80;
      len >>>= 7;
    }
    b[p++] = len;
    this.pos = p + (stop - start);
  }
}
