// The protobuf wire primitives the span-log encoder writes with, straight into one growing
// buffer: varints, fixed32, zigzag sint64, length-delimited values whose length is written
// when they close, UTF-8 exactly as protobufjs wrote it, and ids from hex text.

import { invalid } from '../../errors.ts';

/** Hex digit values; 16 marks a character that is not a hex digit. */
const HEX = new Uint8Array(128).fill(16);
for (let i = 0; i < 22; i++) HEX['0123456789abcdefABCDEF'.charCodeAt(i)] = i < 16 ? i : i - 6;

export const TWO_32 = 4294967296;
/** The scratch buffer a batch is built in, kept between calls (encoding is synchronous). */
const SCRATCH_BYTES = 64 * 1024;
/** A scratch buffer grown past this by a huge batch is dropped after it, not kept. */
const SCRATCH_KEPT_BYTES = 4 * 1024 * 1024;
let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

/**
 * A protobuf writer over the scratch buffer (encoding is synchronous, so one buffer serves
 * every call). Methods that say "needs N bytes of room" rely on a prior ensure().
 */
export class ProtoWriter {
  protected buf = scratch;
  protected pos = 0;

  /** The bytes written, copied out; the scratch buffer is kept for the next writer. */
  protected bytes(): Uint8Array {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    scratch = this.buf.length > SCRATCH_KEPT_BYTES ? Buffer.allocUnsafe(SCRATCH_BYTES) : this.buf;
    return out;
  }

  /** Room for n more bytes; the buffer doubles (keeping what is written) when needed. */
  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Starts a length-delimited value: one byte reserved for its length. Needs 1 byte of room. */
  protected open(): number {
    return this.pos++;
  }

  /** Ends the value opened at `at`, writing its length as a minimal varint. */
  protected close(at: number): void {
    const len = this.pos - at - 1;
    if (len < 128) {
      this.buf[at] = len;
      return;
    }
    const size = len < 1 << 14 ? 2 : len < 1 << 21 ? 3 : len < 1 << 28 ? 4 : 5;
    this.ensure(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    this.pos = at;
    this.varint(len);
    this.pos = at + size + len;
  }

  /** An unsigned 32-bit varint; needs 5 bytes of room. */
  protected varint(v: number): void {
    const buf = this.buf;
    let pos = this.pos;
    v >>>= 0;
    while (v > 127) {
      buf[pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** A uint32 field (tag and value); needs 10 bytes of room. */
  protected field(fieldTag: number, v: number): void {
    this.varint(fieldTag);
    this.varint(v);
  }

  /** Four little-endian bytes; needs 4 bytes of room. */
  protected fixed32(v: number): void {
    const buf = this.buf;
    buf[this.pos] = v & 255;
    buf[this.pos + 1] = (v >>> 8) & 255;
    buf[this.pos + 2] = (v >>> 16) & 255;
    buf[this.pos + 3] = v >>> 24;
    this.pos += 4;
  }

  /** A non-zero sint64 field (zigzag varint); needs 15 bytes of room. */
  protected sint64(fieldTag: number, v: number): void {
    if (v === 0) return;
    this.varint(fieldTag);
    if (v >= -0x40000000 && v < 0x40000000) {
      this.varint((v << 1) ^ (v >> 31));
      return;
    }
    // Two's complement of |v| as two 32-bit words, zigzagged, then a 64-bit varint.
    const negative = v < 0;
    const abs = negative ? -v : v;
    let lo = abs >>> 0;
    let hi = ((abs - lo) / TWO_32) >>> 0;
    if (negative) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
      if (++lo > 0xffffffff) {
        lo = 0;
        if (++hi > 0xffffffff) hi = 0;
      }
    }
    const mask = hi >> 31;
    hi = (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0;
    lo = ((lo << 1) ^ mask) >>> 0;
    const buf = this.buf;
    while (hi !== 0) {
      buf[this.pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.varint(lo);
  }

  /** A string field. UTF-8 as protobufjs wrote it: its own encoder below 40 chars, Node's above. */
  protected string(fieldTag: number, s: string): void {
    this.ensure(10 + 3 * s.length);
    this.varint(fieldTag);
    const at = this.open();
    if (s.length < 40) this.utf8(s);
    else this.pos += this.buf.write(s, this.pos, 'utf8');
    this.close(at);
  }

  /**
   * UTF-8 of a short string: surrogate pairs as 4 bytes, any other code unit (a lone surrogate
   * too) as 1–3 bytes, as protobufjs' utf8.write does. Needs 3 bytes of room per code unit.
   */
  protected utf8(s: string): void {
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 128) buf[pos++] = c;
      else if (c < 2048) {
        buf[pos++] = (c >> 6) | 192;
        buf[pos++] = (c & 63) | 128;
      } else if ((c & 0xfc00) === 0xd800 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        const cp = 0x10000 + ((c & 0x03ff) << 10) + (s.charCodeAt(++i) & 0x03ff);
        buf[pos++] = (cp >> 18) | 240;
        buf[pos++] = ((cp >> 12) & 63) | 128;
        buf[pos++] = ((cp >> 6) & 63) | 128;
        buf[pos++] = (cp & 63) | 128;
      } else {
        buf[pos++] = (c >> 12) | 224;
        buf[pos++] = ((c >> 6) & 63) | 128;
        buf[pos++] = (c & 63) | 128;
      }
    }
    this.pos = pos;
  }

  /** A bytes field from hex text. */
  protected id(fieldTag: number, hex: string, spanIndex: number): void {
    if (hex.length === 0) return;
    const n = hex.length >> 1;
    this.ensure(10 + n);
    const start = this.pos;
    this.varint(fieldTag);
    this.varint(n);
    const buf = this.buf;
    let pos = this.pos;
    let bad = hex.length & 1;
    for (let i = 0; i + 1 < hex.length; i += 2) {
      const a = hex.charCodeAt(i);
      const b = hex.charCodeAt(i + 1);
      const hi = HEX[a & 127];
      const lo = HEX[b & 127];
      bad |= ((hi | lo) & 16) | (a >> 7) | (b >> 7);
      buf[pos++] = (hi << 4) | (lo & 15);
    }
    if (bad) {
      this.pos = start;
      throw invalid(`span ${spanIndex}: id "${hex}" is not even-length hex`);
    }
    this.pos = pos;
  }
}
