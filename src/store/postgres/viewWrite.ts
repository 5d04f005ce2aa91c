// Rows into PostgreSQL: one INSERT … SELECT FROM unnest(column arrays) per view and batch, so a
// batch of any size is one statement with one parameter per column. Each column's values are
// rendered here straight into a PostgreSQL array literal (one string per column): cheaper than
// handing pg a JS array per column, and the one place text is made safe for PostgreSQL, which
// cannot store U+0000 (it becomes U+FFFD, as in the entity store).
import { TesseraError } from '../../errors.ts';
import type { ViewRow, ViewValue } from '../api.ts';
import type { ColumnType, ViewDef } from '../../views/schema.ts';
import { quoteIdent } from './viewDdl.ts';

/** The type of each column's array parameter, and how a value is cast back from it. */
const ARRAY_PARAM: Record<ColumnType, { param: string; cast: string }> = {
  string: { param: 'text[]', cast: '' },
  long: { param: 'bigint[]', cast: '' },
  double: { param: 'float8[]', cast: '' },
  boolean: { param: 'boolean[]', cast: '' },
  // A map travels as JSON text and an array as its own literal: unnest cannot take arrays of
  // arrays, and jsonb has no array-of-maps parameter form.
  string_map: { param: 'text[]', cast: '::jsonb' },
  string_array: { param: 'text[]', cast: '::text[]' },
  bytes: { param: 'bytea[]', cast: '' },
};

const NEEDS_ESCAPE = /[\\"\u0000]/;
const ESCAPE = /[\\"\u0000]/g;
const escapeChar = (c: string): string => (c === '\u0000' ? '\uFFFD' : `\\${c}`);

/** A string as one quoted element of an array literal. */
function element(s: string): string {
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(ESCAPE, escapeChar)}"` : `"${s}"`;
}

const NUL = /\u0000/g;
const pgText = (s: string): string => (s.includes('\u0000') ? s.replace(NUL, '\uFFFD') : s);

function mapJson(m: Record<string, string>): string {
  const json = JSON.stringify(m);
  // JSON escapes U+0000 as \u0000, which jsonb refuses too.
  return json.includes('\\u0000') ? JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [pgText(k), pgText(v)]))) : json;
}

function arrayLiteral(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + element(values[i]);
  return `${out}}`;
}

/** A long value; a fraction is truncated, as the DuckDB store does. */
function integer(v: ViewValue): string {
  if (typeof v === 'number' && Number.isFinite(v)) return String(Math.trunc(v));
  if (typeof v === 'bigint') return v.toString();
  throw new TesseraError('INVALID_ARGUMENT', `not an integer: ${String(v)}`);
}

/** One value as an element of its column's array literal (null handled by the caller). */
const ELEMENT: Record<ColumnType, (v: ViewValue) => string> = {
  string: (v) => element(typeof v === 'string' ? v : String(v)),
  long: integer,
  double: (v) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new TypeError(`not a finite number: ${String(v)}`);
    return String(n);
  },
  boolean: (v) => (v === true || v === 'true' ? 't' : 'f'),
  string_map: (v) => element(mapJson(v as Record<string, string>)),
  // An empty list is stored as NULL and read back as [] (as in DuckDB): most rows have none.
  string_array: (v) => ((v as string[]).length === 0 ? 'NULL' : element(arrayLiteral(v as string[]))),
  bytes: (v) => `"\\\\x${Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength).toString('hex')}"`,
};

export interface ViewInsert {
  sql: string;
  /** One array literal per column, in column order. */
  params(rows: readonly ViewRow[]): string[];
}

/** The INSERT of a view's rows and the rendering of its parameters. */
export function viewInsert(view: ViewDef): ViewInsert {
  const names = view.columns.map((c) => quoteIdent(c.name));
  const args = view.columns.map((c, i) => `$${i + 1}::${ARRAY_PARAM[c.type].param}`);
  const alias = view.columns.map((_, i) => `c${i}`);
  const select = view.columns.map((c, i) => `u.c${i}${ARRAY_PARAM[c.type].cast}`);
  const sql = `INSERT INTO ${quoteIdent(view.name)} (${names.join(', ')})
SELECT ${select.join(', ')} FROM unnest(${args.join(', ')}) AS u(${alias.join(', ')})`;
  const cols = view.columns.map((c) => ({ name: c.name, required: c.required === true, element: ELEMENT[c.type] }));
  return {
    sql,
    params(rows) {
      return cols.map((c) => {
        const parts = new Array<string>(rows.length);
        for (let r = 0; r < rows.length; r++) {
          const v = rows[r][c.name];
          if (v == null) {
            if (c.required) throw new TesseraError('INVALID_ARGUMENT', `${view.name} row without ${c.name}`);
            parts[r] = 'NULL';
          } else parts[r] = c.element(v);
        }
        return `{${parts.join(',')}}`;
      });
    },
  };
}
