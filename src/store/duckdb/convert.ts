// Values in and out of DuckDB by neutral column type: the write side (columnar data chunks
// for the appender) and the read side, so both directions agree on one mapping.
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  ENUM,
  LIST,
  VARCHAR,
  blobValue,
  listValue,
  type DuckDBAppender,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { TesseraError } from '../../errors.ts';
import type { ViewRow, ViewValue } from '../api.ts';
import type { ColumnDef, ColumnType, ViewDef } from '../../views/schema.ts';
import { enumMembers } from './ddl.ts';

/** Rows per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

const CHUNK_TYPES: Record<ColumnType, DuckDBType> = {
  string: VARCHAR,
  long: BIGINT,
  double: DOUBLE,
  boolean: BOOLEAN,
  string_map: VARCHAR,
  string_array: LIST(VARCHAR),
  bytes: BLOB,
};

const asBigInt = (v: ViewValue): bigint => {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  throw new TypeError(`not an integer: ${String(v)}`);
};

const toDuckDb: Record<ColumnType, (v: ViewValue) => DuckDBValue> = {
  string: (v) => (typeof v === 'string' ? v : String(v)),
  long: asBigInt,
  double: (v) => Number(v),
  boolean: (v) => v === true || v === 'true',
  string_map: (v) => JSON.stringify(v),
  // An empty list is stored as NULL and read back as []: most rows (space ids before
  // enrichment) have none, and a null costs one bit.
  string_array: (v) => ((v as string[]).length === 0 ? null : listValue(v as string[])),
  bytes: (v) => blobValue(v as Uint8Array),
};

/** An enum column's value, checked: a value outside the declared set is refused, never substituted. */
function enumConvert(view: ViewDef, c: ColumnDef): (v: ViewValue) => DuckDBValue {
  const members = new Set(enumMembers(c));
  return (v) => {
    if (typeof v === 'string' && members.has(v)) return v;
    throw new TesseraError('INVALID_ARGUMENT', `${view.name}.${c.name} holds ${JSON.stringify(v)}, not one of its declared values`);
  };
}

/** How a table made by this or an older build lays out a view's columns. */
export interface StoredLayout {
  /** Column names in the table's order (columns added later come last). */
  order: readonly string[];
  /** Closed-set columns the table stores as text (made before they became enums). */
  text: ReadonlySet<string>;
}

/**
 * Appends rows of `view` through columnar data chunks: numbers, enums and nulls are copied
 * into DuckDB as whole vectors, so a row costs far less than one native call per column.
 * Columns go in the table's order, which differs from the view's once a column was added.
 */
export function rowsAppender(view: ViewDef, layout?: StoredLayout): (ap: DuckDBAppender, rows: readonly ViewRow[]) => void {
  const byName = new Map(view.columns.map((c) => [c.name, c]));
  const ordered = (layout?.order ?? view.columns.map((c) => c.name)).map((name) => {
    const c = byName.get(name);
    if (!c) throw new TesseraError('CONFIG', `${view.name} has a column ${name} this build does not know; a migration must drop it`);
    return c;
  });
  const asEnum = (c: ColumnDef): boolean => c.type === 'string' && c.values !== undefined && !(layout?.text.has(c.name) ?? false);
  const types = ordered.map((c) => (asEnum(c) ? ENUM(enumMembers(c)) : CHUNK_TYPES[c.type]));
  const cols = ordered.map((c) => ({ name: c.name, required: c.required === true, convert: asEnum(c) ? enumConvert(view, c) : toDuckDb[c.type] }));
  return (ap, rows) => {
    for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows.length - from);
      const chunk = DuckDBDataChunk.create(types, n);
      const values: DuckDBValue[] = new Array(n);
      cols.forEach((c, ci) => {
        for (let i = 0; i < n; i++) {
          const v = rows[from + i][c.name];
          if (v == null) {
            if (c.required) throw new TesseraError('INVALID_ARGUMENT', `${view.name} row without ${c.name}`);
            values[i] = null;
          } else values[i] = c.convert(v);
        }
        chunk.setColumnValues(ci, values);
      });
      ap.appendDataChunk(chunk);
    }
  };
}

/** A DuckDB result value (from getRowObjectsJS) as the neutral type promises it. */
export function fromDuckDb(type: ColumnType, v: unknown): unknown {
  switch (type) {
    case 'long':
      if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      return v ?? null;
    case 'string_map':
      return typeof v === 'string' ? (JSON.parse(v) as Record<string, string>) : null;
    case 'string_array':
      return Array.isArray(v) ? v : [];
    case 'bytes':
      return v instanceof Uint8Array ? v : null;
    default:
      return v ?? null;
  }
}
