// Span[] -> SpanBatch bytes, written by hand into one reused scratch buffer (see ../codec.ts).
//
// The bytes are exactly what protobufjs' Writer produced before (fields in the same order,
// minimal varints, the same UTF-8 for short strings): protobufjs queued one operation object per
// field and replayed them in finish(), ~2 µs a span of the stored-span blob. Here each field goes
// straight into the buffer; a nested message reserves one byte for its length and moves its body
// up in the rare case the length needs more.

import { invalid } from '../../errors.ts';
import type { Attributes, Span } from '../../model/span.ts';
import { BATCH, EVENT, KIND_NUMBER, LINK, REF_NUMBER, SOURCE, SPAN, type Source } from './schema.ts';

/** Encodes spans as one SpanBatch. Throws INVALID_ARGUMENT when an id is not even-length hex. */
export function encodeSpanBatch(spans: readonly Span[]): Uint8Array {
  const enc = new BatchEncoder();
  for (let i = 0; i < spans.length; i++) enc.span(spans[i], i);
  return enc.finish();
}

/** Hex digit values; 16 marks a character that is not a hex digit. */
const HEX = new Uint8Array(128).fill(16);
for (let i = 0; i < 22; i++) HEX['0123456789abcdefABCDEF'.charCodeAt(i)] = i < 16 ? i : i - 6;

const TWO_32 = 4294967296;
/** The scratch buffer a batch is built in, kept between calls (encoding is synchronous). */
const SCRATCH_BYTES = 64 * 1024;
/** A scratch buffer grown past this by a huge batch is dropped after it, not kept. */
const SCRATCH_KEPT_BYTES = 4 * 1024 * 1024;
let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

/** One batch being encoded: the scratch buffer, the string table and the source table. */
class BatchEncoder {
  private buf = scratch;
  private pos = 0;
  private readonly strings: string[] = [''];
  private readonly stringIndex = new Map<string, number>([['', 0]]);
  private readonly sources = new SourceTable();
  private readonly recent: string[] = ['', ''];
  private readonly recentIndex: number[] = [0, 0];
  /** By string index of a key: the key that followed it last time, and that key's index. */
  private readonly nextKey: string[] = [];
  private readonly nextKeyIndex: number[] = [];
  /** By string index of a key: the value it had last time, and that value's index. */
  private readonly lastValue: string[] = [];
  private readonly lastValueIndex: number[] = [];

  span(span: Span, index: number): void {
    this.ensure(64);
    this.varint(BATCH.spans);
    const body = this.open();
    const source = this.sources.indexOf(span);
    if (source !== 0) this.field(SPAN.source, source);
    this.id(SPAN.traceId, span.traceId, index);
    this.id(SPAN.spanId, span.spanId, index);
    this.id(SPAN.parentSpanId, span.parentSpanId, index);
    this.ensure(64);
    if (span.name !== '') this.field(SPAN.name, this.indexAt(0, span.name));
    const kind = KIND_NUMBER[span.kind];
    if (kind !== 0) this.field(SPAN.kind, kind);
    const hi = Math.floor(span.startUs / TWO_32); // sfixed64 as two little-endian words
    this.varint(SPAN.startUs);
    this.fixed32(span.startUs - hi * TWO_32);
    this.fixed32(hi >>> 0);
    this.sint64(SPAN.durationUs, span.endUs - span.startUs);
    if (span.statusCode !== 0) this.field(SPAN.statusCode, span.statusCode);
    if (span.statusMessage !== '') this.string(SPAN.statusMessage, span.statusMessage);
    this.pairs(SPAN.attributes, span.attributes);
    for (const e of span.events) {
      this.ensure(32);
      this.varint(SPAN.events);
      const event = this.open();
      this.sint64(EVENT.offsetUs, e.timeUs - span.startUs);
      if (e.name !== '') this.field(EVENT.name, this.indexAt(1, e.name));
      this.pairs(EVENT.attributes, e.attributes);
      this.close(event);
    }
    for (const l of span.links) {
      this.ensure(8);
      this.varint(SPAN.links);
      const link = this.open();
      this.id(LINK.traceId, l.traceId, index);
      this.id(LINK.spanId, l.spanId, index);
      const ref = REF_NUMBER[l.refType];
      this.ensure(12);
      if (ref !== 0) this.field(LINK.refType, ref);
      this.close(link);
    }
    this.close(body);
  }

  /** The tables go last: only now are they complete (fields may come in any order). */
  finish(): Uint8Array {
    for (const s of this.sources.list) {
      this.ensure(8);
      this.varint(BATCH.sources);
      const source = this.open();
      if (s.tenant !== '') this.string(SOURCE.tenant, s.tenant);
      if (s.serviceName !== '') this.string(SOURCE.serviceName, s.serviceName);
      this.pairs(SOURCE.resource, s.resource);
      this.close(source);
    }
    this.table();
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    scratch = this.buf.length > SCRATCH_KEPT_BYTES ? Buffer.allocUnsafe(SCRATCH_BYTES) : this.buf;
    return out;
  }

  /**
   * The string table, most of a batch's distinct strings. A string below 40 code units is at
   * most 117 bytes of UTF-8, so its length is one varint byte written after the text: no
   * general close(). Longer ones go through string(). Same bytes as string() for each.
   */
  private table(): void {
    const tag = BATCH.strings;
    const strings = this.strings;
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i];
      if (s.length >= 40 || tag > 127) {
        this.string(tag, s);
        continue;
      }
      this.ensure(2 + 3 * s.length);
      const buf = this.buf;
      buf[this.pos] = tag;
      const at = this.pos + 1;
      this.pos = at + 1;
      this.utf8(s);
      buf[at] = this.pos - at - 1;
    }
  }

  /**
   * A span or event name's table index (slot 0 span names, 1 event names): the name last seen
   * in the slot is compared first, which spares most table lookups.
   */
  private indexAt(slot: number, s: string): number {
    if (this.recent[slot] === s) return this.recentIndex[slot];
    this.recent[slot] = s;
    return (this.recentIndex[slot] = this.indexOf(s));
  }

  /** A string's table index, adding it to the table when new. */
  private indexOf(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) this.stringIndex.set(s, (i = this.strings.push(s) - 1));
    return i;
  }

  /** Room for n more bytes; the buffer doubles (keeping what is written) when needed. */
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Starts a length-delimited value: one byte reserved for its length. Needs 1 byte of room. */
  private open(): number {
    return this.pos++;
  }

  /** Ends the value opened at `at`, writing its length as a minimal varint. */
  private close(at: number): void {
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
  private varint(v: number): void {
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
  private field(fieldTag: number, v: number): void {
    this.varint(fieldTag);
    this.varint(v);
  }

  /** Four little-endian bytes; needs 4 bytes of room. */
  private fixed32(v: number): void {
    const buf = this.buf;
    buf[this.pos] = v & 255;
    buf[this.pos + 1] = (v >>> 8) & 255;
    buf[this.pos + 2] = (v >>> 16) & 255;
    buf[this.pos + 3] = v >>> 24;
    this.pos += 4;
  }

  /** A non-zero sint64 field (zigzag varint); needs 15 bytes of room. */
  private sint64(fieldTag: number, v: number): void {
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
  private string(fieldTag: number, s: string): void {
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
  private utf8(s: string): void {
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
  private id(fieldTag: number, hex: string, spanIndex: number): void {
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

  /**
   * Attributes as one packed list of string-table index pairs; nothing when there are none.
   * Spans of a batch repeat runs of keys (one instrumentation's keys, then the app's) and often
   * a key's value: each key is first compared with the key that followed the previous one last
   * time, each value with the key's last value, which spares most table lookups.
   */
  private pairs(fieldTag: number, attributes: Attributes): void {
    this.ensure(10);
    const start = this.pos;
    this.varint(fieldTag);
    const at = this.open();
    const { nextKey, nextKeyIndex, lastValue, lastValueIndex } = this;
    let prev = 0; // the empty string's index stands for "before the first key"
    for (const key in attributes) {
      let k: number;
      if (nextKey[prev] === key) k = nextKeyIndex[prev];
      else {
        k = this.indexOf(key);
        nextKey[prev] = key;
        nextKeyIndex[prev] = k;
      }
      const value = attributes[key];
      let v: number;
      if (lastValue[k] === value) v = lastValueIndex[k];
      else {
        v = this.indexOf(value);
        lastValue[k] = value;
        lastValueIndex[k] = v;
      }
      // Both indexes inline: most are below 128, one byte each, and this runs ~14 times a span.
      this.ensure(10);
      const buf = this.buf;
      let pos = this.pos;
      for (let x = k; ; x >>>= 7) {
        if (x < 128) {
          buf[pos++] = x;
          break;
        }
        buf[pos++] = (x & 127) | 128;
      }
      for (let x = v; ; x >>>= 7) {
        if (x < 128) {
          buf[pos++] = x;
          break;
        }
        buf[pos++] = (x & 127) | 128;
      }
      this.pos = pos;
      prev = k;
    }
    if (this.pos === at + 1) this.pos = start;
    else this.close(at);
  }
}

/** The same own keys with the same values: what the sorted-entries content key compared. */
function sameContent(a: Attributes, b: Attributes): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || b[k] !== a[k]) return false;
  return true;
}

/**
 * The batch's distinct (tenant, service, resource content) triples. Receivers share one
 * resource object between the spans of a tracer's request, so sources are found by object
 * identity first; a new object is compared by content with the sources of the same tenant
 * and service (a batch has few sources, so this is cheaper than building a content key).
 */
class SourceTable {
  readonly list: Source[] = [];
  private readonly byObject = new Map<Attributes, { tenant: string; serviceName: string; index: number }[]>();

  private last: { tenant: string; serviceName: string; resource: Attributes; index: number } | undefined;

  indexOf({ tenant, serviceName, resource }: Span): number {
    // Neighbouring spans mostly come from the same tracer: one comparison instead of a lookup.
    const last = this.last;
    if (last !== undefined && last.resource === resource && last.tenant === tenant && last.serviceName === serviceName) return last.index;
    const index = this.find(tenant, serviceName, resource);
    this.last = { tenant, serviceName, resource, index };
    return index;
  }

  private find(tenant: string, serviceName: string, resource: Attributes): number {
    let known = this.byObject.get(resource);
    if (known === undefined) this.byObject.set(resource, (known = []));
    for (const k of known) if (k.tenant === tenant && k.serviceName === serviceName) return k.index;
    let index = -1;
    for (let i = 0; i < this.list.length; i++) {
      const s = this.list[i];
      if (s.tenant === tenant && s.serviceName === serviceName && sameContent(s.resource, resource)) {
        index = i;
        break;
      }
    }
    if (index === -1) index = this.list.push({ tenant, serviceName, resource }) - 1;
    known.push({ tenant, serviceName, index });
    return index;
  }
}
