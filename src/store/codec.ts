// The span-log entry codec: Span[] <-> a protobuf SpanBatch (protos/tessera/spanlog.proto).
// The view store keeps encodeSpanBatch(trace.spans) as a BLOB too, so the format only grows by
// new fields (docs/PROTOCOL.md, "Span log"). It drives protobufjs' Reader and Writer directly
// rather than reflection message objects (half the allocations, no long.js objects on the hot
// path); every field number comes from the loaded Root, checked against its declared type.

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { TesseraError, invalid } from '../errors.ts';
import type { Attributes, Span, SpanEvent, SpanKind, SpanLink, StatusCode } from '../model/span.ts';
import { SharedStrings } from '../model/sharedStrings.ts';

const PROTO_PATH = fileURLToPath(new URL('../../protos/tessera/spanlog.proto', import.meta.url));

/** The loaded schema, once per process (tests cross-check the codec against it). */
export const spanLogRoot: protobuf.Root = protobuf.loadSync(PROTO_PATH);

const VARINT = 0, I64 = 1, LEN = 2; // protobuf wire types

/**
 * Wire tags of a message's fields, each checked against the type the schema declares.
 * Repeated numbers get their packed tag (readIndexes() accepts the unpacked form too).
 */
function tags<K extends string>(typeName: string, declared: Record<K, string>): Record<K, number> {
  const type = spanLogRoot.lookupType(`tessera.spanlog.v1.${typeName}`);
  const out = {} as Record<K, number>;
  for (const name of Object.keys(declared) as K[]) {
    const f = type.fields[name];
    if (f === undefined || f.type !== declared[name]) {
      throw new TesseraError('INTERNAL', `spanlog.proto: ${typeName}.${name} is not a ${declared[name]} field`);
    }
    const resolved = f.resolve().resolvedType;
    const wire = f.type === 'sfixed64' ? I64 : resolved instanceof protobuf.Enum ? VARINT
      : resolved !== null || f.type === 'string' || f.type === 'bytes' || f.repeated ? LEN : VARINT;
    out[name] = ((f.id << 3) | wire) >>> 0;
  }
  return out;
}

const BATCH = tags('SpanBatch', { strings: 'string', sources: 'SpanSource', spans: 'Span' });
const SOURCE = tags('SpanSource', { tenant: 'string', serviceName: 'string', resource: 'uint32' });
const SPAN = tags('Span', {
  source: 'uint32', traceId: 'bytes', spanId: 'bytes', parentSpanId: 'bytes', name: 'uint32', kind: 'SpanKind',
  startUs: 'sfixed64', durationUs: 'sint64', statusCode: 'uint32', statusMessage: 'string',
  attributes: 'uint32', events: 'Event', links: 'Link',
});
const EVENT = tags('Event', { offsetUs: 'sint64', name: 'uint32', attributes: 'uint32' });
const LINK = tags('Link', { traceId: 'bytes', spanId: 'bytes', refType: 'RefType' });

const KINDS: readonly SpanKind[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const REF_TYPES: readonly SpanLink['refType'][] = ['CHILD_OF', 'FOLLOWS_FROM', 'LINK'];
const KIND_NUMBER = Object.fromEntries(KINDS.map((k, i) => [k, i])) as Record<SpanKind, number>;
const REF_NUMBER = Object.fromEntries(REF_TYPES.map((k, i) => [k, i])) as Record<SpanLink['refType'], number>;

// ---------------------------------------------------------------------------------------------
// Encoding

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

type Source = Pick<Span, 'tenant' | 'serviceName' | 'resource'>;

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

// ---------------------------------------------------------------------------------------------
// Decoding

type Reader = protobuf.Reader;

/**
 * Decodes a SpanBatch. Spans of one source share one frozen resource object (read-only by
 * contract; frozen so that a mutation fails loudly instead of leaking into sibling spans).
 * Unknown fields are skipped; unknown kinds, status codes and ref types read as UNSPECIFIED, 0, LINK.
 * Throws INVALID_ARGUMENT when the bytes are not a well-formed SpanBatch.
 */
export function decodeSpanBatch(bytes: Uint8Array): Span[] {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = protobuf.Reader.create(buf);
  try {
    // Pass 1: the tables (they may follow the spans), and where each span is.
    const strings: string[] = [];
    const rawSources: RawSource[] = [];
    const spanBounds: number[] = [];
    while (r.pos < r.len) {
      const t = r.uint32();
      if (t === BATCH.strings) strings.push(readTableString(r));
      else if (t === BATCH.sources) rawSources.push(readSource(r, endOf(r)));
      else if (t === BATCH.spans) {
        const end = endOf(r);
        spanBounds.push(r.pos, end);
        r.pos = end;
      } else r.skipType(t & 7);
    }
    if (strings.length === 0) strings.push('');
    const sources: Source[] = rawSources.map((s) => ({ ...s, resource: Object.freeze(attributesOf(s.resource, strings)) }));
    // Pass 2: the spans.
    const spans: Span[] = new Array(spanBounds.length / 2);
    for (let i = 0; i < spans.length; i++) {
      r.pos = spanBounds[2 * i];
      spans[i] = readSpan(r, spanBounds[2 * i + 1], strings, sources, i);
    }
    return spans;
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    throw new TesseraError('INVALID_ARGUMENT', `not a span batch: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads a length prefix and returns where the field ends. */
function endOf(r: Reader): number {
  const end = r.uint32() + r.pos;
  if (end > r.len) throw invalid('span batch: a field runs past the end of the entry');
  return end;
}

type RawSource = { tenant: string; serviceName: string; resource: number[] };

function readSource(r: Reader, end: number): RawSource {
  const s: RawSource = { tenant: '', serviceName: '', resource: [] };
  while (r.pos < end) {
    const t = r.uint32();
    if (t === SOURCE.tenant) s.tenant = readString(r);
    else if (t === SOURCE.serviceName) s.serviceName = readString(r);
    else if (!readIndexes(r, t, SOURCE.resource, s.resource)) r.skipType(t & 7);
  }
  return s;
}

function readSpan(r: Reader, end: number, strings: readonly string[], sources: readonly Source[], index: number): Span {
  let source = 0, name = 0, kind = 0, statusCode = 0, startUs = 0, durationUs = 0;
  let traceId = '', spanId = '', parentSpanId = '', statusMessage = '';
  const attributes: number[] = [];
  const events: { offsetUs: number; name: number; attributes: number[] }[] = [];
  const links: SpanLink[] = [];
  while (r.pos < end) {
    const t = r.uint32();
    if (t === SPAN.traceId) traceId = readHex(r);
    else if (t === SPAN.spanId) spanId = readHex(r);
    else if (t === SPAN.parentSpanId) parentSpanId = readHex(r);
    else if (t === SPAN.startUs) startUs = readSfixed64(r);
    else if (t === SPAN.durationUs) durationUs = readSint64(r);
    else if (t === SPAN.name) name = r.uint32();
    else if (readIndexes(r, t, SPAN.attributes, attributes)) continue;
    else if (t === SPAN.source) source = r.uint32();
    else if (t === SPAN.kind) kind = r.uint32();
    else if (t === SPAN.statusCode) statusCode = r.uint32();
    else if (t === SPAN.statusMessage) statusMessage = readString(r);
    else if (t === SPAN.events) events.push(readEvent(r, endOf(r)));
    else if (t === SPAN.links) links.push(readLink(r, endOf(r)));
    else r.skipType(t & 7);
  }
  const src = sources[source];
  if (src === undefined) throw invalid(`span batch: span ${index} refers to missing source ${source}`);
  const spanEvents: SpanEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    spanEvents[i] = { timeUs: startUs + e.offsetUs, name: stringAt(strings, e.name), attributes: attributesOf(e.attributes, strings) };
  }
  return {
    tenant: src.tenant, traceId, spanId, parentSpanId, name: stringAt(strings, name), kind: KINDS[kind] ?? 'UNSPECIFIED',
    serviceName: src.serviceName, startUs, endUs: startUs + durationUs,
    statusCode: (statusCode <= 2 ? statusCode : 0) as StatusCode, statusMessage,
    attributes: attributesOf(attributes, strings), resource: src.resource, events: spanEvents, links,
  };
}

function readEvent(r: Reader, end: number): { offsetUs: number; name: number; attributes: number[] } {
  const e = { offsetUs: 0, name: 0, attributes: [] as number[] };
  while (r.pos < end) {
    const t = r.uint32();
    if (t === EVENT.offsetUs) e.offsetUs = readSint64(r);
    else if (t === EVENT.name) e.name = r.uint32();
    else if (!readIndexes(r, t, EVENT.attributes, e.attributes)) r.skipType(t & 7);
  }
  return e;
}

function readLink(r: Reader, end: number): SpanLink {
  const l: SpanLink = { traceId: '', spanId: '', refType: 'CHILD_OF' };
  while (r.pos < end) {
    const t = r.uint32();
    if (t === LINK.traceId) l.traceId = readHex(r);
    else if (t === LINK.spanId) l.spanId = readHex(r);
    else if (t === LINK.refType) l.refType = REF_TYPES[r.uint32()] ?? 'LINK';
    else r.skipType(t & 7);
  }
  return l;
}

/** A repeated uint32 field, packed or not (proto3 readers accept both); false if `t` is another field. */
function readIndexes(r: Reader, t: number, packedTag: number, into: number[]): boolean {
  if (t === packedTag) {
    const end = endOf(r);
    while (r.pos < end) into.push(r.uint32());
  } else if (t === ((packedTag & ~7) | VARINT)) into.push(r.uint32());
  else return false;
  return true;
}

function stringAt(strings: readonly string[], i: number): string {
  const s = strings[i];
  if (s === undefined) throw invalid(`span batch: string index ${i} is out of range`);
  return s;
}

function attributesOf(pairs: readonly number[], strings: readonly string[]): Attributes {
  if (pairs.length % 2 !== 0) throw invalid('span batch: an attribute key has no value');
  const attributes: Attributes = {};
  for (let i = 0; i < pairs.length; i += 2) attributes[stringAt(strings, pairs[i])] = stringAt(strings, pairs[i + 1]);
  return attributes;
}

/** Bounds-checked (protobufjs' own string() silently shortens a string cut off by the end). */
function readText(r: Reader, encoding: 'utf8' | 'hex'): string {
  const end = endOf(r);
  const text = (r.buf as Buffer).toString(encoding, r.pos, end);
  r.pos = end;
  return text;
}
const readString = (r: Reader): string => readText(r, 'utf8');

/**
 * A string-table entry. A span-log entry holds one partition's share of a request (a handful of
 * spans), so its table alone shares little: short strings also go through a process-wide table,
 * and the spans a node holds in flight share their keys and common values across entries.
 */
const MAX_SHARED = 32;
const sharedStrings = new SharedStrings();

function readTableString(r: Reader): string {
  const end = endOf(r);
  const buf = r.buf as Buffer;
  const text = end - r.pos > MAX_SHARED ? buf.toString('utf8', r.pos, end) : sharedStrings.get(buf, r.pos, end);
  r.pos = end;
  return text;
}
const readHex = (r: Reader): string => readText(r, 'hex');

/** A two's-complement 64-bit little-endian integer as a number (exact up to 2^53). */
function readSfixed64(r: Reader): number {
  const lo = r.fixed32();
  return r.sfixed32() * 4294967296 + lo;
}

/** A zigzag varint as a number (exact up to 2^53), without long.js objects. */
function readSint64(r: Reader): number {
  const buf = r.buf, start = r.pos;
  let value = 0, scale = 1;
  for (let pos = start; pos < start + 10; pos++) {
    if (pos >= r.len) throw invalid('span batch: truncated varint');
    const b = buf[pos];
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      r.pos = pos + 1;
      // The zigzag sign is the lowest bit; read it from the first byte (exact at any size).
      return buf[start] & 1 ? -(value + 1) / 2 : value / 2;
    }
    scale *= 128;
  }
  throw invalid('span batch: varint longer than 10 bytes');
}
