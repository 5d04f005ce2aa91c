// Span[] -> SpanBatch bytes, written by hand into one reused scratch buffer (see ../codec.ts).
//
// The bytes are exactly what protobufjs' Writer produced before (fields in the same order,
// minimal varints, the same UTF-8 for short strings): protobufjs queued one operation object per
// field and replayed them in finish(), ~2 µs a span of the stored-span blob. Here each field goes
// straight into the buffer; a nested message reserves one byte for its length and moves its body
// up in the rare case the length needs more.

import type { Attributes, Span } from '../../model/span.ts';
import { BATCH, EVENT, KIND_NUMBER, LINK, REF_NUMBER, SOURCE, SPAN } from './schema.ts';
import { SourceTable } from './sources.ts';
import { BatchStringTable } from './stringTable.ts';
import { ProtoWriter, TWO_32 } from './writer.ts';

/** The string table, reused batch after batch (one batch is encoded at a time). */
const batchStrings = new BatchStringTable();

/** Encodes spans as one SpanBatch. Throws INVALID_ARGUMENT when an id is not even-length hex. */
export function encodeSpanBatch(spans: readonly Span[]): Uint8Array {
  const enc = new BatchEncoder();
  for (let i = 0; i < spans.length; i++) enc.span(spans[i], i);
  return enc.finish();
}

/** One batch being encoded: the SpanBatch message, its string table and its source table. */
class BatchEncoder extends ProtoWriter {
  private readonly strings = batchStrings;
  private readonly sources = new SourceTable();
  private readonly recent: string[] = ['', ''];
  private readonly recentIndex: number[] = [0, 0];

  constructor() {
    super();
    this.strings.begin();
  }

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
    return this.bytes();
  }

  /**
   * The string table, most of a batch's distinct strings. A string below 40 code units is at
   * most 117 bytes of UTF-8, so its length is one varint byte written after the text: no
   * general close(). Longer ones go through string(). Same bytes as string() for each.
   */
  private table(): void {
    const tag = BATCH.strings;
    const { strings, length } = this.strings;
    for (let i = 0; i < length; i++) {
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
    return this.strings.indexOf(s);
  }

  /**
   * Attributes as one packed list of string-table index pairs; nothing when there are none.
   * Spans repeat runs of keys (one instrumentation's keys, then the app's) and often a key's
   * value: the table compares each key with the key that followed the previous one last time,
   * each value with the key's last value, which spares most lookups.
   */
  private pairs(fieldTag: number, attributes: Attributes): void {
    this.ensure(10);
    const start = this.pos;
    this.varint(fieldTag);
    const at = this.open();
    const table = this.strings;
    let prev = 0; // the empty string's slot stands for "before the first key"
    for (const key in attributes) {
      const k = table.keySlot(prev, key);
      const v = table.valueSlot(k, attributes[key]);
      this.ensure(10);
      // Key first: a string's table index is the order of first use.
      this.varint(table.indexOfSlot(k));
      this.varint(table.indexOfSlot(v));
      prev = k;
    }
    if (this.pos === at + 1) this.pos = start;
    else this.close(at);
  }
}
