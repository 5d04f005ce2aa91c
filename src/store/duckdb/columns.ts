// View rows into DuckDB in two steps that may run on different threads (ADR 014):
//  1. encode (pure JavaScript, columnEncoder.ts): a view's rows become column batches in the
//     table's column order — numbers, enums, booleans and null masks in typed arrays laid out as
//     DuckDB's own vectors lay them out, text as a dictionary of distinct values and an index.
//     A batch is plain data: postMessage moves its ArrayBuffers and clones the distinct strings
//     (~1.5 µs a span; row objects cost ~23 µs).
//  2. append (native calls): each data chunk's fixed-width vectors are filled by one memory copy
//     per column, and text by one call per value. The values are never boxed on the way: no
//     BigInt per long, no per-value wrapper objects, no per-value null bookkeeping.
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

function fillColumn(vector: duckdb.Vector, col: EncodedColumn, from: number, count: number): void {
  switch (col.kind) {
    case 'fixed':
      duckdb.copy_data_to_vector(vector, 0, col.data, from * col.width, count * col.width);
      break;
    case 'text':
      for (let i = 0; i < count; i++) {
        if (present(col.nulls, from + i)) duckdb.vector_assign_string_element(vector, i, col.dict[col.index[from + i]]);
      }
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
