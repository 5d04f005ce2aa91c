// Values out of DuckDB by neutral column type: the read side's counterpart of columns.ts, so
// both directions agree on one mapping.
import type { ColumnType } from '../../views/schema.ts';

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
