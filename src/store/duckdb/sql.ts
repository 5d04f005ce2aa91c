// Renders a dialect-neutral ViewQuery (src/store/query.ts) to DuckDB SQL. View and column
// names are checked against the view definitions and quoted; every value is a positional
// parameter, never part of the SQL text.
import { listValue, type DuckDBValue } from '@duckdb/node-api';
import { TesseraError } from '../../errors.ts';
import { SELECTION_ALIAS, type ColumnRef, type Predicate, type Scalar, type ViewQuery } from '../query.ts';
import { viewNamed, type ColumnDef, type ColumnType, type ViewDef } from '../../views/schema.ts';
import { quoteIdent } from './ddl.ts';

export interface RenderedQuery {
  sql: string;
  params: DuckDBValue[];
  /** The total's SQL and parameters, when the query asks for it. */
  count?: { sql: string; params: DuckDBValue[] };
  /** Neutral type of each selected value, by alias (a map key reads as a string). */
  types: Map<string, ColumnType>;
}

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);
const show = (v: Scalar): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** A JSON path naming one top-level key, whatever characters it holds. */
export const jsonKeyPath = (key: string): string => `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

class Renderer {
  readonly params: DuckDBValue[] = [];
  private readonly columns: Map<string, ColumnDef>;

  constructor(readonly view: ViewDef) {
    this.columns = new Map(view.columns.map((c) => [c.name, c]));
  }

  param(value: DuckDBValue): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  column(name: string): ColumnDef {
    const def = this.columns.get(name);
    if (!def) throw bad(`view ${this.view.name} has no column ${name}`);
    return def;
  }

  /** The SQL of a reference and the type its values have. */
  ref(ref: ColumnRef): { sql: string; type: ColumnType } {
    const def = this.column(ref.column);
    if (ref.key === undefined) return { sql: quoteIdent(def.name), type: def.type };
    if (def.type !== 'string_map') throw bad(`column ${def.name} is not a map: it has no key ${ref.key}`);
    return { sql: `json_extract_string(${quoteIdent(def.name)}, ${this.param(jsonKeyPath(ref.key))})`, type: 'string' };
  }

  value(type: ColumnType, v: Scalar, what: string): DuckDBValue {
    if (v === null) return null;
    switch (type) {
      case 'long': {
        if (typeof v === 'bigint') return v;
        if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
        const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`${what} needs a number, got ${show(v)}`);
        return Number.isInteger(n) ? BigInt(n) : n;
      }
      case 'double': {
        const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`${what} needs a number, got ${show(v)}`);
        return n;
      }
      case 'boolean':
        if (v === true || v === 'true') return true;
        if (v === false || v === 'false') return false;
        throw bad(`${what} needs true or false, got ${show(v)}`);
      case 'string':
      case 'string_array':
        return String(v);
      default:
        throw bad(`${what}: a ${type} column cannot be compared with a value`);
    }
  }

  predicate(p: Predicate): string {
    switch (p.op) {
      case 'and':
      case 'or': {
        if (p.terms.length === 0) return p.op === 'and' ? 'TRUE' : 'FALSE';
        return `(${p.terms.map((t) => this.predicate(t)).join(p.op === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'containsKey':
      case 'notContainsKey': {
        const def = this.column(p.column);
        if (def.type !== 'string_map') throw bad(`${p.op} needs a map column, ${def.name} is ${def.type}`);
        const test = `coalesce(json_exists(${quoteIdent(def.name)}, ${this.param(jsonKeyPath(p.key))}), false)`;
        return p.op === 'containsKey' ? test : `NOT ${test}`;
      }
      default: {
        const target = this.ref(p.ref);
        if (target.type === 'string_array') return this.arrayPredicate(p, target.sql);
        if (target.type === 'string_map' || target.type === 'bytes') {
          throw bad(`column ${p.ref.column} (${target.type}) cannot be filtered with ${p.op}`);
        }
        return this.scalarPredicate(p, target.sql, target.type);
      }
    }
  }

  private scalarPredicate(p: Exclude<Predicate, { op: 'and' | 'or' | 'containsKey' | 'notContainsKey' }>, sql: string, type: ColumnType): string {
    const what = `${p.op} on ${p.ref.column}${p.ref.key === undefined ? '' : `.${p.ref.key}`}`;
    switch (p.op) {
      case 'eq':
        return p.value === null ? `${sql} IS NULL` : `${sql} = ${this.param(this.value(type, p.value, what))}`;
      case 'neq':
        return p.value === null ? `${sql} IS NOT NULL` : `${sql} IS DISTINCT FROM ${this.param(this.value(type, p.value, what))}`;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        if (p.value === null) throw bad(`${what} needs a value`);
        const sym = { lt: '<', lte: '<=', gt: '>', gte: '>=' }[p.op];
        return `${sql} ${sym} ${this.param(this.value(type, p.value, what))}`;
      }
      case 'in':
      case 'notIn': {
        const values = p.values.filter((v) => v !== null).map((v) => this.param(this.value(type, v, what)));
        const hasNull = values.length < p.values.length;
        const inList = values.length > 0 ? `${sql} IN (${values.join(', ')})` : 'FALSE';
        if (p.op === 'in') return hasNull ? `(${inList} OR ${sql} IS NULL)` : inList;
        return hasNull ? `(${sql} IS NOT NULL AND NOT ${inList})` : `(${sql} IS NULL OR NOT ${inList})`;
      }
      case 'regex':
        return `regexp_matches(CAST(${sql} AS VARCHAR), ${this.param(p.pattern)})`;
    }
  }

  private arrayPredicate(p: Exclude<Predicate, { op: 'and' | 'or' | 'containsKey' | 'notContainsKey' }>, sql: string): string {
    const what = `${p.op} on ${p.ref.column}`;
    switch (p.op) {
      case 'eq':
        return `coalesce(list_contains(${sql}, ${this.param(this.value('string', p.value, what))}), false)`;
      case 'neq':
        return `NOT coalesce(list_contains(${sql}, ${this.param(this.value('string', p.value, what))}), false)`;
      case 'in':
      case 'notIn': {
        const list = listValue(p.values.filter((v) => v !== null).map((v) => String(v)));
        const test = `coalesce(list_has_any(${sql}, ${this.param(list)}::VARCHAR[]), false)`;
        return p.op === 'in' ? test : `NOT ${test}`;
      }
      case 'regex':
        return `coalesce(len(list_filter(${sql}, x -> regexp_matches(x, ${this.param(p.pattern)}))) > 0, false)`;
      default:
        throw bad(`${what}: a list column supports eq, neq, in, notIn and regex only`);
    }
  }
}

/** The SQL for a query's rows (and its total when asked). */
export function renderQuery(q: ViewQuery): RenderedQuery {
  const view = viewNamed(q.view);
  if (!view) throw bad(`no view named ${q.view}`);
  if (!Number.isInteger(q.limit) || q.limit < 0) throw bad(`limit must be a non-negative integer, got ${q.limit}`);
  const offset = q.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw bad(`offset must be a non-negative integer, got ${offset}`);
  if (q.select.length === 0) throw bad('a query selects at least one value');

  // The WHERE clause is rendered first so its parameters are $1..$k in both the rows query
  // and the count query (placeholders are numbered, so their order in the text is free).
  const r = new Renderer(view);
  const where = [`${quoteIdent(view.tenantColumn)} = ${r.param(q.tenant)}`, ...q.where.map((p) => r.predicate(p))].join(' AND ');
  const whereParams = r.params.slice();
  const from = quoteIdent(view.name);

  const types = new Map<string, ColumnType>();
  const selectSql = q.select.map((s) => {
    if (!SELECTION_ALIAS.test(s.as)) throw bad(`selection alias ${JSON.stringify(s.as)} is not a plain identifier`);
    if (types.has(s.as)) throw bad(`selection alias ${s.as} is used twice`);
    const ref = r.ref(s.ref);
    types.set(s.as, ref.type);
    return `${ref.sql} AS ${quoteIdent(s.as)}`;
  });
  const order = (q.orderBy ?? []).map((o) => `${r.ref(o.ref).sql} ${o.direction === 'DESC' ? 'DESC' : 'ASC'} NULLS LAST`);
  const orderSql = order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '';
  const limitSql = ` LIMIT ${r.param(BigInt(q.limit))} OFFSET ${r.param(BigInt(offset))}`;
  return {
    sql: `SELECT ${selectSql.join(', ')} FROM ${from} WHERE ${where}${orderSql}${limitSql}`,
    params: r.params,
    types,
    ...(q.withTotal ? { count: { sql: `SELECT count(*) AS n FROM ${from} WHERE ${where}`, params: whereParams } } : {}),
  };
}
