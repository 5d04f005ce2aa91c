// PostgreSQL DDL rendered from the neutral view definitions (src/views/schema.ts), applied as
// versioned migrations (pool.ts `migrate`), plus the columns a newer schema adds.
import type { PgMigration, PgPool } from './pool.ts';
import type { ColumnType, ViewDef } from '../../views/schema.ts';
import { VIEWS, rawTraceView } from '../../views/schema.ts';

/**
 * How each neutral column type is stored. Maps are jsonb: `->>` reads one key, `?` tests for
 * one, and a batch of maps goes in as one text[] of JSON documents (measured against hstore in
 * docs/views.md). Arrays are text[], bytes bytea.
 */
export const PG_TYPES: Record<ColumnType, string> = {
  string: 'text',
  long: 'bigint',
  double: 'double precision',
  boolean: 'boolean',
  string_map: 'jsonb',
  string_array: 'text[]',
  bytes: 'bytea',
};

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Index names are lower-case snake: PostgreSQL folds unquoted names, and these stay readable in psql. */
const indexName = (view: string, what: string): string => quoteIdent(`${view.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_${what}`);

/**
 * The table and its indexes: (tenant, trace id) serves trace lookups and the delete of a
 * replaced trace; (tenant, time) serves the gateway's time-range scans and "latest first"
 * pages, which every query has (each is scoped to one tenant and a time range). On
 * rawTraceView, one row per trace, the trace key is unique: two nodes writing the same trace
 * at once cannot both insert it, and the loser retries as a replace.
 */
export function createViewStatements(view: ViewDef): string[] {
  const cols = view.columns.map((c) => `  ${quoteIdent(c.name)} ${PG_TYPES[c.type]}${c.required ? ' NOT NULL' : ''}`);
  const table = quoteIdent(view.name);
  const tenant = quoteIdent(view.tenantColumn);
  const stmts = [`CREATE TABLE IF NOT EXISTS ${table} (\n${cols.join(',\n')}\n)`];
  for (const column of view.lookupColumns) {
    const unique = view.name === rawTraceView.name && column === view.traceColumn ? 'UNIQUE ' : '';
    stmts.push(`CREATE ${unique}INDEX IF NOT EXISTS ${indexName(view.name, `by_${column}`)} ON ${table} (${tenant}, ${quoteIdent(column)})`);
  }
  stmts.push(`CREATE INDEX IF NOT EXISTS ${indexName(view.name, 'by_time')} ON ${table} (${tenant}, ${quoteIdent(view.timeColumn)})`);
  return stmts;
}

/**
 * Version 1 creates every view as this build defines it. A later column is added by
 * `addMissingColumns` (nullable, so old rows read as null); anything else a later build needs
 * (a new index, a type change) is a new migration appended here, never an edit of an old one.
 */
export const VIEW_MIGRATIONS: readonly PgMigration[] = [
  { version: 1, name: 'view tables', statements: VIEWS.flatMap(createViewStatements) },
  {
    version: 2,
    name: 'partition write fences',
    // The highest lease token that has written for each partition (ADR 010): a write carrying a
    // lower one comes from a node whose lease has passed to another, and is refused.
    statements: ['CREATE TABLE IF NOT EXISTS tessera_fences (\n  partition integer PRIMARY KEY,\n  token bigint NOT NULL\n)'],
  },
];

/** Adds the columns the view definitions declare that an older database lacks. */
export async function addMissingColumns(pool: PgPool): Promise<void> {
  const res = await pool.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
    [VIEWS.map((v) => v.name)],
  );
  const have = new Set(res.rows.map((r) => `${r.table_name}.${r.column_name}`));
  for (const view of VIEWS) {
    const missing = view.columns.filter((c) => !have.has(`${view.name}.${c.name}`));
    if (missing.length === 0) continue;
    const adds = missing.map((c) => `ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${PG_TYPES[c.type]}`);
    await pool.query(`ALTER TABLE ${quoteIdent(view.name)} ${adds.join(', ')}`);
  }
}
