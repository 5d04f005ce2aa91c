// Wire-level pieces of the OTLP protobuf walk: KeyValue / AnyValue straight to model strings
// (DESIGN §3: bool "true"/"false", ints in decimal, doubles String(n), arrays and kvlists as
// JSON, bytes as base64), and ids as lowercase hex read in place.

import type protobuf from 'protobufjs';
import type { Attributes } from '../model/span.ts';
import { setAttr } from './normalize.ts';
import { SharedStrings } from '../model/sharedStrings.ts';

export type Reader = protobuf.Reader;

/** Protobuf wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

/**
 * Hex of the next `n` bytes, without moving the reader. One native call gives a flat string;
 * appending byte by byte gave a rope of n−1 cons cells (~0.6 KB a span for its three ids),
 * held as long as the span is in flight.
 */
export function hexAt(reader: Reader, n: number): string {
  const start = reader.pos;
  if (start + n > reader.len) throw new RangeError(`an id of ${n} bytes runs past the end of the body`);
  return (reader.buf as Buffer).toString('hex', start, start + n);
}

/** Reads one KeyValue (up to `stop`) into `attrs` under its lower-cased key. */
export function readKeyValue(reader: Reader, stop: number, attrs: Attributes): void {
  let key = '';
  let value = '';
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) key = readKey(reader);
    else if (tag === ((2 << 3) | LEN)) value = readAnyValue(reader, lengthEnd(reader));
    else skipField(reader, tag);
  }
  if (key === '__proto__') setAttr(attrs, key, value);
  else attrs[key] = value;
}

// Keys and short values through process-wide tables of shared strings (see sharedStrings.ts);
// longer values are mostly unique (URLs, statements, ids): decoded, not looked up.
const keys = new SharedStrings({ lowerCase: true, maxSharedBytes: 64 });
const values = new SharedStrings({ maxSharedBytes: 32 });

/** A length-delimited string through a shared table, bounds-checked against the body. */
function readShared(reader: Reader, table: SharedStrings, what: string): string {
  const len = reader.uint32();
  const start = reader.pos;
  const stop = start + len;
  if (stop > reader.len) throw new RangeError(`${what} of ${len} bytes runs past the end of the body`);
  reader.pos = stop;
  return table.get(reader.buf as Buffer, start, stop);
}

const readKey = (reader: Reader): string => readShared(reader, keys, 'a key');

/** A string field (an attribute value, a span or event name): short ones through the shared table. */
export const readStringValue = (reader: Reader): string => readShared(reader, values, 'a string');

/** One AnyValue (up to `stop`) as the model's attribute string. */
export function readAnyValue(reader: Reader, stop: number): string {
  let out = '';
  while (reader.pos < stop) {
    const tag = reader.uint32();
    switch (tag) {
      case (1 << 3) | LEN:
        out = readStringValue(reader);
        break;
      case (2 << 3) | VARINT:
        out = reader.bool() ? 'true' : 'false';
        break;
      case (3 << 3) | VARINT:
        out = int64String(reader.int64());
        break;
      case (4 << 3) | FIXED64:
        out = String(reader.double());
        break;
      case (5 << 3) | LEN:
        out = JSON.stringify(readArray(reader, lengthEnd(reader)));
        break;
      case (6 << 3) | LEN:
        out = JSON.stringify(readKvList(reader, lengthEnd(reader)));
        break;
      case (7 << 3) | LEN:
        out = Buffer.from(reader.bytes()).toString('base64');
        break;
      default:
        skipField(reader, tag);
    }
  }
  return out;
}

/** One AnyValue as plain JSON (inside arrays and kvlists, where types are kept). */
function readNative(reader: Reader, stop: number): unknown {
  let out: unknown = null;
  while (reader.pos < stop) {
    const tag = reader.uint32();
    switch (tag) {
      case (1 << 3) | LEN:
        out = reader.string();
        break;
      case (2 << 3) | VARINT:
        out = reader.bool();
        break;
      case (3 << 3) | VARINT: {
        const s = int64String(reader.int64());
        const n = Number(s);
        out = Number.isSafeInteger(n) ? n : s;
        break;
      }
      case (4 << 3) | FIXED64:
        out = reader.double();
        break;
      case (5 << 3) | LEN:
        out = readArray(reader, lengthEnd(reader));
        break;
      case (6 << 3) | LEN:
        out = readKvList(reader, lengthEnd(reader));
        break;
      case (7 << 3) | LEN:
        out = Buffer.from(reader.bytes()).toString('base64');
        break;
      default:
        skipField(reader, tag);
    }
  }
  return out;
}

function readArray(reader: Reader, stop: number): unknown[] {
  const values: unknown[] = [];
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) values.push(readNative(reader, lengthEnd(reader)));
    else skipField(reader, tag);
  }
  return values;
}

function readKvList(reader: Reader, stop: number): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag !== ((1 << 3) | LEN)) {
      skipField(reader, tag);
      continue;
    }
    const kvStop = lengthEnd(reader);
    let key = '';
    let value: unknown = null;
    while (reader.pos < kvStop) {
      const t = reader.uint32();
      if (t === ((1 << 3) | LEN)) key = reader.string();
      else if (t === ((2 << 3) | LEN)) value = readNative(reader, lengthEnd(reader));
      else skipField(reader, t);
    }
    // Keys inside a kvlist value keep their case: they are data, not attribute names.
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return obj;
}

/** A protobufjs int64 (a Long when long.js is loaded, else a number) in decimal. */
function int64String(v: { low: number; high: number; toString(): string } | number): string {
  if (typeof v === 'number') return String(v);
  return v.high === 0 && v.low >= 0 ? String(v.low) : v.toString();
}

/** The end offset of the length-delimited field whose length comes next. */
export function lengthEnd(reader: Reader): number {
  const len = reader.uint32();
  const stop = reader.pos + len;
  if (stop > reader.len) throw new RangeError(`a length of ${len} runs past the end of the body`);
  return stop;
}

/** Skips an unknown field (tolerated, as protobuf requires). */
export function skipField(reader: Reader, tag: number): void {
  if (tag >>> 3 === 0) throw new RangeError('field number 0');
  reader.skipType(tag & 7);
}
