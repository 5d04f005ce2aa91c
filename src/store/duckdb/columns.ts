// View rows into DuckDB in two steps that may run on different threads (ADR 014):
//  1. encode (pure JavaScript): a view's rows become column batches in the table's column
//     order — numbers, enums, booleans and null masks in typed arrays laid out as DuckDB's own
//     vectors lay them out, text as arrays of strings. A batch is plain data: postMessage moves
//     its ArrayBuffers and clones its strings (~1 µs a span), where row objects cost ~23 µs.
//  2. append (native calls): each data chunk's fixed-width vectors are filled by one memory copy
//     per column, and text by one call per value. The values are never boxed on the way: no
//     BigInt per long, no per-value wrapper objects, no per-value null bookkeeping.
import duckdb from '@duckdb/node-bindings';
import { BIGINT, BLOB, BOOLEAN, DOUBLE, DuckDBDataChunk, ENUM, LIST, VARCHAR, type DuckDBAppender, type DuckDBType } from '@duckdb/node-api';
import { TesseraError } from '../../errors.ts';
import type { ViewRow, ViewValue } from '../api.ts';
import type { ColumnDef, ViewDef } from '../../views/schema.ts';
import { enumMembers } from './ddl.ts';

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

const TWO_32 = 2 ** 32;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface ColumnPlan {
  def: ColumnDef;
  type: DuckDBType;
  encode: (rows: readonly ViewRow[], view: ViewDef) => EncodedColumn;
}

/** The validity mask of `n` rows, all present: whole 64-bit words, as DuckDB keeps it. */
const allPresent = (n: number): Uint8Array => new Uint8Array(Math.ceil(n / 64) * 8).fill(0xff);
const markNull = (mask: Uint8Array, i: number): void => {
  mask[i >> 3] &= ~(1 << (i & 7));
};

/** Reads column `c` of every row, handing non-null values to `put` and recording nulls. */
function scan(rows: readonly ViewRow[], view: ViewDef, c: ColumnDef, put: (v: ViewValue, i: number) => void): Uint8Array | undefined {
  let nulls: Uint8Array | undefined;
  const name = c.name;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][name];
    if (v == null) {
      if (c.required === true) throw new TesseraError('INVALID_ARGUMENT', `${view.name} row without ${name}`);
      nulls ??= allPresent(rows.length);
      markNull(nulls, i);
    } else put(v, i);
  }
  return nulls;
}

const notInteger = (view: ViewDef, c: ColumnDef, v: ViewValue): TesseraError =>
  new TesseraError('INVALID_ARGUMENT', `${view.name}.${c.name} holds ${typeof v === 'bigint' ? `${v}n` : typeof v === 'number' ? String(v) : JSON.stringify(v)}, not a 64-bit integer`);

function encodeLong(rows: readonly ViewRow[], view: ViewDef, c: ColumnDef): EncodedColumn {
  const data = new ArrayBuffer(rows.length * 8);
  const words = new Int32Array(data);
  let big: BigInt64Array | undefined;
  const nulls = scan(rows, view, c, (v, i) => {
    if (typeof v === 'number' && Number.isFinite(v)) {
      const t = Math.trunc(v);
      if (Number.isSafeInteger(t) && LITTLE_ENDIAN) {
        // Two 32-bit halves: no BigInt allocated for the common case.
        const hi = Math.floor(t / TWO_32);
        words[2 * i] = t - hi * TWO_32;
        words[2 * i + 1] = hi;
        return;
      }
      (big ??= new BigInt64Array(data))[i] = BigInt(t);
      return;
    }
    if (typeof v === 'bigint' && BigInt.asIntN(64, v) === v) {
      (big ??= new BigInt64Array(data))[i] = v;
      return;
    }
    throw notInteger(view, c, v);
  });
  return { kind: 'fixed', width: 8, data, nulls };
}

function encodeDouble(rows: readonly ViewRow[], view: ViewDef, c: ColumnDef): EncodedColumn {
  const data = new ArrayBuffer(rows.length * 8);
  const values = new Float64Array(data);
  const nulls = scan(rows, view, c, (v, i) => {
    values[i] = Number(v);
  });
  return { kind: 'fixed', width: 8, data, nulls };
}

function encodeBoolean(rows: readonly ViewRow[], view: ViewDef, c: ColumnDef): EncodedColumn {
  const data = new ArrayBuffer(rows.length);
  const values = new Uint8Array(data);
  const nulls = scan(rows, view, c, (v, i) => {
    values[i] = v === true || v === 'true' ? 1 : 0;
  });
  return { kind: 'fixed', width: 1, data, nulls };
}

/** An enum column: the index of each value among the sorted members (DuckDB's dictionary order). */
function enumEncoder(c: ColumnDef): ColumnPlan['encode'] {
  const members = enumMembers(c);
  const index = new Map(members.map((m, i) => [m, i]));
  // DuckDB stores an enum's index in the smallest unsigned type that holds its dictionary.
  const width = members.length <= 0xff ? 1 : members.length <= 0xffff ? 2 : 4;
  return (rows, view) => {
    const data = new ArrayBuffer(rows.length * width);
    const values = width === 1 ? new Uint8Array(data) : width === 2 ? new Uint16Array(data) : new Uint32Array(data);
    const nulls = scan(rows, view, c, (v, i) => {
      const at = typeof v === 'string' ? index.get(v) : undefined;
      if (at === undefined) throw new TesseraError('INVALID_ARGUMENT', `${view.name}.${c.name} holds ${JSON.stringify(v)}, not one of its declared values`);
      values[i] = at;
    });
    return { kind: 'fixed', width, data, nulls };
  };
}

/** Rows after which a text column whose values are nearly all distinct stops looking for repeats. */
const DEDUPE_PROBE_ROWS = 256;

function encodeText(rows: readonly ViewRow[], view: ViewDef, c: ColumnDef): EncodedColumn {
  const dict: string[] = [];
  const index = new Uint32Array(rows.length);
  // Most text columns repeat (tenant, service, API and entity ids, names, a trace's id over its
  // spans), so each distinct value is sent once. Columns of distinct values (span ids, tags)
  // stop paying for the lookup once a probe shows it finds nothing.
  let seen: Map<string, number> | undefined = new Map();
  const json = c.type === 'string_map';
  const nulls = scan(rows, view, c, (v, i) => {
    const s = json ? JSON.stringify(v) : typeof v === 'string' ? v : String(v);
    if (seen === undefined) {
      index[i] = dict.push(s) - 1;
      return;
    }
    let at = seen.get(s);
    if (at === undefined) {
      at = dict.push(s) - 1;
      seen.set(s, at);
    }
    index[i] = at;
    if (i === DEDUPE_PROBE_ROWS && dict.length > (DEDUPE_PROBE_ROWS * 3) / 4) seen = undefined;
  });
  return { kind: 'text', dict, index, nulls };
}

function encodeBytes(rows: readonly ViewRow[], view: ViewDef, c: ColumnDef): EncodedColumn {
  const values: (Uint8Array | null)[] = new Array(rows.length).fill(null);
  const nulls = scan(rows, view, c, (v, i) => {
    if (!(v instanceof Uint8Array)) throw new TesseraError('INVALID_ARGUMENT', `${view.name}.${c.name} holds a ${typeof v}, not bytes`);
    values[i] = v;
  });
  return { kind: 'bytes', values, nulls };
}

/** A string list per row; an empty list is stored as NULL and read back as [] (most rows have none). */
function encodeList(rows: readonly ViewRow[], view: ViewDef, c: ColumnDef): EncodedColumn {
  const items: string[] = [];
  const starts = new Int32Array(rows.length + 1);
  let nulls: Uint8Array | undefined;
  for (let i = 0; i < rows.length; i++) {
    starts[i] = items.length;
    const v = rows[i][c.name];
    if (v == null && c.required === true) throw new TesseraError('INVALID_ARGUMENT', `${view.name} row without ${c.name}`);
    if (v != null && !Array.isArray(v)) throw new TesseraError('INVALID_ARGUMENT', `${view.name}.${c.name} holds ${JSON.stringify(v)}, not a list of strings`);
    if (v == null || v.length === 0) {
      nulls ??= allPresent(rows.length);
      markNull(nulls, i);
    } else for (const s of v) items.push(String(s));
  }
  starts[rows.length] = items.length;
  return { kind: 'list', items, starts, nulls };
}

function plan(view: ViewDef, c: ColumnDef, layout: StoredLayout | undefined): ColumnPlan {
  const asEnum = c.type === 'string' && c.values !== undefined && !(layout?.text.has(c.name) ?? false);
  if (asEnum) return { def: c, type: ENUM(enumMembers(c)), encode: enumEncoder(c) };
  switch (c.type) {
    case 'long':
      return { def: c, type: BIGINT, encode: (rows, v) => encodeLong(rows, v, c) };
    case 'double':
      return { def: c, type: DOUBLE, encode: (rows, v) => encodeDouble(rows, v, c) };
    case 'boolean':
      return { def: c, type: BOOLEAN, encode: (rows, v) => encodeBoolean(rows, v, c) };
    case 'string_array':
      return { def: c, type: LIST(VARCHAR), encode: (rows, v) => encodeList(rows, v, c) };
    case 'bytes':
      return { def: c, type: BLOB, encode: (rows, v) => encodeBytes(rows, v, c) };
    default:
      return { def: c, type: VARCHAR, encode: (rows, v) => encodeText(rows, v, c) };
  }
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
    return plan(view, c, layout);
  });
  const types = plans.map((p) => p.type);
  return {
    encode: (rows) => ({ rows: rows.length, columns: plans.map((p) => p.encode(rows, view)) }),
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
