// SpanBatch bytes -> Span[], reading protobufjs' Reader directly (see ../codec.ts).

import protobuf from 'protobufjs';
import { TesseraError, invalid } from '../../errors.ts';
import type { Attributes, Span, SpanEvent, SpanLink, StatusCode } from '../../model/span.ts';
import { SharedStrings } from '../../model/sharedStrings.ts';
import { BATCH, EVENT, KINDS, LINK, REF_TYPES, SOURCE, SPAN, VARINT, type Source } from './schema.ts';

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
const sharedStrings = new SharedStrings({ maxSharedBytes: 32 });

function readTableString(r: Reader): string {
  const end = endOf(r);
  const text = sharedStrings.get(r.buf as Buffer, r.pos, end);
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
