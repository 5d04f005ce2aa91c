// DuckDB DDL rendered from the neutral view definitions (src/views/schema.ts).
import type { ColumnType, ViewDef } from '../../views/schema.ts';

/**
 * How each neutral column type is stored in DuckDB. Maps are JSON text in a VARCHAR: the
 * appender takes a string ~20x faster than a DuckDB MAP value, a JSON-typed column costs
 * ~30% more per row to append than VARCHAR, and json_extract_string reads one key either way.
 */
export const DUCKDB_TYPES: Record<ColumnType, string> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  string_map: 'VARCHAR',
  string_array: 'VARCHAR[]',
  bytes: 'BLOB',
};

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const indexName = (view: string, column: string): string => quoteIdent(`${view}_${column}_idx`);

/**
 * Statements that create a view's table and indexes when missing. Trace-id lookups (the
 * gateway's ID filters, storedSpans, idempotent replace) use an ART index; time-range scans
 * need none: DuckDB skips row groups by their min/max (zone maps) on the time column, and rows
 * arrive roughly in time order.
 */
export function createViewStatements(view: ViewDef): string[] {
  const cols = view.columns.map((c) => `  ${quoteIdent(c.name)} ${DUCKDB_TYPES[c.type]}${c.required ? ' NOT NULL' : ''}`);
  const stmts = [`CREATE TABLE IF NOT EXISTS ${quoteIdent(view.name)} (\n${cols.join(',\n')}\n)`];
  for (const column of view.lookupColumns) {
    stmts.push(`CREATE INDEX IF NOT EXISTS ${indexName(view.name, column)} ON ${quoteIdent(view.name)} (${quoteIdent(column)})`);
  }
  return stmts;
}
