// View rows into DuckDB in two steps that may run on different threads (ADR 014):
//  1. encode (pure JavaScript, columnEncoder.ts): a view's rows become column batches in the
//     table's column order — numbers, enums, booleans and null masks in typed arrays laid out as
//     DuckDB's own vectors lay them out, text as a dictionary of distinct values and an index.
//     A batch is plain data: postMessage moves its ArrayBuffers and clones the distinct strings
//     (~1.5 µs a span; row objects cost ~23 µs).
//  2. append (native calls): each data chunk's fixed-width vectors are filled by one memory copy
//     per column, and text by one native call per distinct long value in the chunk (fillText).
//     The values are never boxed on the way: no BigInt per long, no per-value wrapper objects,
//     no per-value null bookkeeping.
import duckdb from '@duckdb/node-bindings';
import { BIGINT, BLOB, BOOLEAN, DOUBLE, DuckDBDataChunk, ENUM, LIST, VARCHAR, type DuckDBAppender, type DuckDBType } from '@duckdb/node-api';
import { TesseraError } from '../../errors.ts';
import type { ViewRow } from '../api.ts';
import type { ColumnDef, ViewDef } from '../../views/schema.ts';
import { enumMembers } from './ddl.ts';
import { compileEncoder, type EncodedAs } from './columnEncoder.ts';

/** How a table made by this or an older build lays out a view's columns. */
export interface StoredLayout {
  /** Column names in the table's order (columns added later come last). */
  order: readonly string[];
  /** Closed-set columns the table stores as text (made before they became enums). */
  text: ReadonlySet<string>;
}

/** One column of a batch. `nulls` is DuckDB's validity mask (bit set = value present), or absent when none is null. */
export type EncodedColumn =
  /** Text: row i holds dict[index[i]] (a repeated value crosses a thread once; a null row's index is 0). */
  | { kind: 'text'; dict: string[]; index: Uint32Array; nulls?: Uint8Array }
  | { kind: 'bytes'; values: (Uint8Array | null)[]; nulls?: Uint8Array }
  /** int64, double, boolean and enum indexes: `width` bytes a value, little-endian, in `data`. */
  | { kind: 'fixed'; width: number; data: ArrayBuffer; nulls?: Uint8Array }
  /** A list of strings per row: row i holds items[starts[i]] … items[starts[i + 1] - 1]. */
  | { kind: 'list'; items: string[]; starts: Int32Array; nulls?: Uint8Array };

/** A view's rows as columns, in the table's column order. */
export interface ColumnBatch {
  rows: number;
  columns: EncodedColumn[];
}

/** Rows per data chunk: DuckDB's vector size. A slice `from` must be a multiple of 64 (validity words). */
export const CHUNK_ROWS = 2048;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface ColumnPlan extends EncodedAs {
  type: DuckDBType;
}

const CHUNK_TYPES: Record<Exclude<ColumnDef['type'], 'string'>, DuckDBType> = {
  long: BIGINT,
  double: DOUBLE,
  boolean: BOOLEAN,
  string_map: VARCHAR,
  string_array: LIST(VARCHAR),
  bytes: BLOB,
};

function plan(c: ColumnDef, layout: StoredLayout | undefined): ColumnPlan {
  const asEnum = c.type === 'string' && c.values !== undefined && !(layout?.text.has(c.name) ?? false);
  return { def: c, asEnum, type: asEnum ? ENUM(enumMembers(c)) : c.type === 'string' ? VARCHAR : CHUNK_TYPES[c.type] };
}

/** Copies `count` validity bits of `mask` from row `from` (a multiple of 64) into a fresh vector. */
function fillNulls(vector: duckdb.Vector, mask: Uint8Array | undefined, from: number, count: number): void {
  if (mask === undefined) return;
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer as ArrayBuffer, mask.byteOffset + from / 8, Math.ceil(count / 64) * 8);
}

const present = (mask: Uint8Array | undefined, i: number): boolean => mask === undefined || (mask[i >> 3] & (1 << (i & 7))) !== 0;

/** Bytes of one VARCHAR slot in a vector (duckdb_string_t): a uint32 length, then 12 inline bytes or a 4-byte prefix and a pointer. */
const SLOT = 16;
/** Longest string DuckDB keeps inside its slot. */
const INLINE_MAX = 12;
/** Slots of one chunk, reused: filled in JavaScript, then copied into the vector in one call. */
const slots = new Uint8Array(CHUNK_ROWS * SLOT);
const slotWords = new Uint32Array(slots.buffer);

/**
 * Writes `s` into slot `i` of `slots` when DuckDB would keep it inline (≤ 12 bytes); ASCII only,
 * so its UTF-8 bytes are its char codes. False when it needs the native call (longer, or not ASCII).
 */
function inlineSlot(s: string, i: number): boolean {
  const len = s.length;
  if (len > INLINE_MAX) return false;
  const at = i * SLOT;
  for (let k = 0; k < len; k++) {
    const c = s.charCodeAt(k);
    if (c > 0x7f) return false;
    slots[at + 4 + k] = c;
  }
  slots.fill(0, at + 4 + len, at + SLOT);
  slotWords[i * 4] = len;
  return true;
}

/**
 * A text column's rows [from, from + count) into a fresh VARCHAR vector with one native call per
 * distinct long value instead of one per row. Short ASCII values are written inline into the
 * slots; each distinct long value is assigned once, natively, to the first row that holds it
 * (DuckDB copies it into the vector's own string heap), and the later rows holding it get a copy
 * of that row's slot — the same length, prefix and pointer into the same heap, as a flattened
 * dictionary vector has. The vector owns the heap until the appender has copied the chunk.
 */
function fillText(vector: duckdb.Vector, col: Extract<EncodedColumn, { kind: 'text' }>, from: number, count: number): void {
  /** By dictionary index: the first row of this chunk that holds the value, or -1. */
  const firstRow = new Int32Array(col.dict.length).fill(-1);
  const isNative = new Uint8Array(col.dict.length);
  /** By row: the row whose natively assigned slot it takes (itself for the first), or -1. */
  const nativeRow = new Int32Array(count).fill(-1);
  let assigned = false;
  for (let i = 0; i < count; i++) {
    if (!present(col.nulls, from + i)) {
      slots.fill(0, i * SLOT, (i + 1) * SLOT);
      continue;
    }
    const d = col.index[from + i];
    const first = firstRow[d];
    if (first >= 0) {
      if (isNative[d] === 1) nativeRow[i] = first;
      else slots.copyWithin(i * SLOT, first * SLOT, (first + 1) * SLOT);
    } else {
      firstRow[d] = i;
      if (!inlineSlot(col.dict[d], i)) {
        isNative[d] = 1;
        nativeRow[i] = i;
        duckdb.vector_assign_string_element(vector, i, col.dict[d]);
        assigned = true;
      }
    }
  }
  if (assigned) {
    // The natively assigned slots, read back (a copy), lend their pointers to the later rows.
    const native = duckdb.vector_get_data(vector, count * SLOT);
    for (let i = 0; i < count; i++) {
      const at = nativeRow[i];
      if (at >= 0) slots.set(native.subarray(at * SLOT, (at + 1) * SLOT), i * SLOT);
    }
  }
  duckdb.copy_data_to_vector(vector, 0, slots.buffer, 0, count * SLOT);
}

function fillColumn(vector: duckdb.Vector, col: EncodedColumn, from: number, count: number): void {
  switch (col.kind) {
    case 'fixed':
      duckdb.copy_data_to_vector(vector, 0, col.data, from * col.width, count * col.width);
      break;
    case 'text':
      fillText(vector, col, from, count);
      break;
    case 'bytes':
      for (let i = 0; i < count; i++) {
        const b = col.values[from + i];
        if (b !== null) duckdb.vector_assign_string_element_len(vector, i, b);
      }
      break;
    case 'list': {
      const first = col.starts[from];
      const size = col.starts[from + count] - first;
      duckdb.list_vector_reserve(vector, size);
      duckdb.list_vector_set_size(vector, size);
      const child = duckdb.list_vector_get_child(vector);
      for (let k = 0; k < size; k++) duckdb.vector_assign_string_element(child, k, col.items[first + k]);
      // Each row's (offset, length) as two uint64s, relative to this chunk's child vector.
      const entries = new Float64Array(count * 2);
      const words = new Uint32Array(entries.buffer);
      for (let i = 0; i < count; i++) {
        if (!present(col.nulls, from + i)) continue;
        words[4 * i] = col.starts[from + i] - first;
        words[4 * i + 2] = col.starts[from + i + 1] - col.starts[from + i];
      }
      duckdb.copy_data_to_vector(vector, 0, entries.buffer, 0, entries.byteLength);
      break;
    }
  }
  fillNulls(vector, col.nulls, from, count);
}

/** Encodes a view's rows for its table, and appends encoded rows through an appender. */
export interface ColumnCodec {
  encode(rows: readonly ViewRow[]): ColumnBatch;
  /** Appends rows [from, from + count) of `batch`; `from` a multiple of 64. */
  append(ap: DuckDBAppender, batch: ColumnBatch, from?: number, count?: number): void;
}

export function columnCodec(view: ViewDef, layout?: StoredLayout): ColumnCodec {
  if (!LITTLE_ENDIAN) throw new TesseraError('CONFIG', 'the DuckDB column encoder assumes a little-endian machine');
  const byName = new Map(view.columns.map((c) => [c.name, c]));
  const plans = (layout?.order ?? view.columns.map((c) => c.name)).map((name) => {
    const c = byName.get(name);
    if (!c) throw new TesseraError('CONFIG', `${view.name} has a column ${name} this build does not know; a migration must drop it`);
    return plan(c, layout);
  });
  const types = plans.map((p) => p.type);
  const encodeRows = compileEncoder(view, plans);
  return {
    encode: (rows) => ({ rows: rows.length, columns: encodeRows(rows) }),
    append(ap, batch, from = 0, count = batch.rows - from) {
      if (batch.columns.length !== plans.length) throw new TesseraError('INTERNAL', `${view.name}: a batch of ${batch.columns.length} columns for a table of ${plans.length}`);
      if (from % 64 !== 0) throw new TesseraError('INTERNAL', `${view.name}: append from row ${from}, not a multiple of 64`);
      for (let at = from; at < from + count; at += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, from + count - at);
        const chunk = DuckDBDataChunk.create(types, n);
        for (let ci = 0; ci < plans.length; ci++) fillColumn(duckdb.data_chunk_get_vector(chunk.chunk, ci), batch.columns[ci], at, n);
        ap.appendDataChunk(chunk);
      }
    },
  };
}

/** The ArrayBuffers of a batch, for postMessage's transfer list. */
export function transferables(batch: ColumnBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const col of batch.columns) {
    if (col.kind === 'fixed') out.push(col.data);
    if (col.kind === 'list') out.push(col.starts.buffer as ArrayBuffer);
    if (col.kind === 'text') out.push(col.index.buffer as ArrayBuffer);
    if (col.nulls) out.push(col.nulls.buffer as ArrayBuffer);
  }
  return out;
}

/** Encodes and appends in one go, on one thread (benches: the appender's own ceiling). */
export function rowsAppender(view: ViewDef, layout?: StoredLayout): (ap: DuckDBAppender, rows: readonly ViewRow[]) => void {
  const codec = columnCodec(view, layout);
  return (ap, rows) => codec.append(ap, codec.encode(rows));
}
