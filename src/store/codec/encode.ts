// Span[] -> SpanBatch bytes, writing protobufjs' Writer directly (see ../codec.ts).

import protobuf from 'protobufjs';
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

/**
 * One batch being encoded: the protobufjs writer, the string and source tables, and an arena
 * where ids and packed index lists are built, carved out of shared chunks so that a batch
 * costs a few allocations rather than one per field. The writer copies arena views in
 * finish(); a chunk is never reused, so the views stay valid until then.
 */
class BatchEncoder {
  private readonly w = protobuf.Writer.create();
  private readonly strings: string[] = [''];
  private readonly stringIndex = new Map<string, number>([['', 0]]);
  private readonly sources = new SourceTable();
  private readonly recent: string[] = [];
  private readonly recentIndex: number[] = [];
  private chunk = Buffer.allocUnsafe(0);
  private start = 0;
  private pos = 0;

  span(span: Span, index: number): void {
    const w = this.w.uint32(BATCH.spans).fork();
    const source = this.sources.indexOf(span);
    if (source !== 0) w.uint32(SPAN.source).uint32(source);
    this.id(SPAN.traceId, span.traceId, index);
    this.id(SPAN.spanId, span.spanId, index);
    this.id(SPAN.parentSpanId, span.parentSpanId, index);
    if (span.name !== '') w.uint32(SPAN.name).uint32(this.indexAt(0, span.name));
    const kind = KIND_NUMBER[span.kind];
    if (kind !== 0) w.uint32(SPAN.kind).uint32(kind);
    const hi = Math.floor(span.startUs / 4294967296); // sfixed64 as two words: no long.js objects
    w.uint32(SPAN.startUs).fixed32(span.startUs - hi * 4294967296).fixed32(hi >>> 0);
    this.sint64(SPAN.durationUs, span.endUs - span.startUs);
    if (span.statusCode !== 0) w.uint32(SPAN.statusCode).uint32(span.statusCode);
    if (span.statusMessage !== '') w.uint32(SPAN.statusMessage).string(span.statusMessage);
    this.pairs(SPAN.attributes, span.attributes);
    for (const e of span.events) {
      w.uint32(SPAN.events).fork();
      this.sint64(EVENT.offsetUs, e.timeUs - span.startUs);
      if (e.name !== '') w.uint32(EVENT.name).uint32(this.indexAt(1, e.name));
      this.pairs(EVENT.attributes, e.attributes);
      w.ldelim();
    }
    for (const l of span.links) {
      w.uint32(SPAN.links).fork();
      this.id(LINK.traceId, l.traceId, index);
      this.id(LINK.spanId, l.spanId, index);
      const ref = REF_NUMBER[l.refType];
      if (ref !== 0) w.uint32(LINK.refType).uint32(ref);
      w.ldelim();
    }
    w.ldelim();
  }

  /** The tables go last: only now are they complete (fields may come in any order). */
  finish(): Uint8Array {
    const w = this.w;
    for (const s of this.sources.list) {
      w.uint32(BATCH.sources).fork();
      if (s.tenant !== '') w.uint32(SOURCE.tenant).string(s.tenant);
      if (s.serviceName !== '') w.uint32(SOURCE.serviceName).string(s.serviceName);
      this.pairs(SOURCE.resource, s.resource);
      w.ldelim();
    }
    for (const s of this.strings) w.uint32(BATCH.strings).string(s);
    return w.finish();
  }

  /** A non-zero sint64 field; the common small value skips long.js (zigzag fits 32 bits). */
  private sint64(fieldTag: number, v: number): void {
    if (v === 0) return;
    if (v >= -0x40000000 && v < 0x40000000) this.w.uint32(fieldTag).uint32(((v << 1) ^ (v >> 31)) >>> 0);
    else this.w.uint32(fieldTag).sint64(v);
  }

  /**
   * A string's table index. Spans of a batch tend to carry the same keys, and often values, in
   * the same order: the string last seen in the same slot is compared first, which spares most
   * table lookups. Slot 0 is span names, 1 event names, then attribute keys and values.
   */
  private indexAt(slot: number, s: string): number {
    if (this.recent[slot] === s) return this.recentIndex[slot];
    this.recent[slot] = s;
    let i = this.stringIndex.get(s);
    if (i === undefined) this.stringIndex.set(s, (i = this.strings.push(s) - 1));
    return (this.recentIndex[slot] = i);
  }

  private id(fieldTag: number, hex: string, spanIndex: number): void {
    if (hex.length === 0) return;
    this.start = this.pos;
    this.reserve(hex.length >> 1);
    let bad = hex.length & 1;
    for (let i = 0; i + 1 < hex.length; i += 2) {
      const hi = HEX[hex.charCodeAt(i) & 127];
      const lo = HEX[hex.charCodeAt(i + 1) & 127];
      bad |= (hi | lo) & 16 | hex.charCodeAt(i) >> 7 | hex.charCodeAt(i + 1) >> 7;
      this.chunk[this.pos++] = (hi << 4) | (lo & 15);
    }
    if (bad) throw invalid(`span ${spanIndex}: id "${hex}" is not even-length hex`);
    this.w.uint32(fieldTag).bytes(this.chunk.subarray(this.start, this.pos));
  }

  /** Attributes as one packed list of string-table index pairs. */
  private pairs(fieldTag: number, attributes: Attributes): void {
    this.start = this.pos;
    let slot = 2;
    for (const key in attributes) {
      this.varint(this.indexAt(slot++, key));
      this.varint(this.indexAt(slot++, attributes[key]));
    }
    if (this.pos > this.start) this.w.uint32(fieldTag).bytes(this.chunk.subarray(this.start, this.pos));
  }

  private varint(v: number): void {
    this.reserve(5);
    for (; v > 127; v >>>= 7) this.chunk[this.pos++] = (v & 127) | 128;
    this.chunk[this.pos++] = v;
  }

  /** Room for n more bytes; moves the value being built to a fresh chunk when needed. */
  private reserve(n: number): void {
    if (this.pos + n <= this.chunk.length) return;
    const building = this.chunk.subarray(this.start, this.pos);
    this.chunk = Buffer.allocUnsafe(Math.max(8192, 2 * (building.length + n)));
    building.copy(this.chunk, 0);
    this.start = 0;
    this.pos = building.length;
  }
}

/**
 * A resource's content as a string key (sorted entries), remembered per object: every trace
 * written gets its own batch, and the spans of a tracer's request share one resource object, so
 * without the memo each batch sorted and serialized the same resource again (~3 µs a span).
 * Resources are read-only once a receiver has built them (decodeSpanBatch freezes its own).
 */
const contentKeys = new WeakMap<Attributes, string>();

function contentKeyOf(resource: Attributes): string {
  let key = contentKeys.get(resource);
  if (key === undefined) contentKeys.set(resource, (key = JSON.stringify(Object.entries(resource).sort())));
  return key;
}

/**
 * The batch's distinct (tenant, service, resource) triples. Receivers share one resource
 * object between the spans of a tracer's request, so sources are found by object identity
 * first; the content key (sorted entries) is only built for a new object.
 */
class SourceTable {
  readonly list: Source[] = [];
  private readonly byObject = new Map<Attributes, { tenant: string; serviceName: string; index: number }[]>();
  private readonly byContent = new Map<string, number>();

  indexOf({ tenant, serviceName, resource }: Span): number {
    let known = this.byObject.get(resource);
    if (known === undefined) this.byObject.set(resource, (known = []));
    for (const k of known) if (k.tenant === tenant && k.serviceName === serviceName) return k.index;
    const key = `${JSON.stringify([tenant, serviceName])}${contentKeyOf(resource)}`;
    let index = this.byContent.get(key);
    if (index === undefined) this.byContent.set(key, (index = this.list.push({ tenant, serviceName, resource }) - 1));
    known.push({ tenant, serviceName, index });
    return index;
  }
}
