// Renders a dialect-neutral ViewQuery (src/store/query.ts) to PostgreSQL SQL, with the same
// meaning as the DuckDB renderer: view and column names are checked against the view
// definitions and quoted, and every value is a numbered parameter, never part of the text.
// Maps are jsonb (`->>` reads a key, `?` tests one), lists text[], regular expressions `~`.
import { TesseraError } from '../../errors.ts';
import { isAggregateQuery, SELECTION_ALIAS, type Aggregate, type ColumnRef, type Predicate, type Scalar, type ViewQuery } from '../query.ts';
import { viewNamed, type ColumnDef, type ColumnType, type ViewDef } from '../../views/schema.ts';
import { quoteIdent } from './viewDdl.ts';

export type PgParam = string | number | boolean | null | string[];

export interface RenderedPgQuery {
  sql: string;
  params: PgParam[];
  /** The total's SQL and parameters, when the query asks for it. */
  count?: { sql: string; params: PgParam[] };
  /** Neutral type of each selected value, by alias (a map key reads as a string). */
  types: Map<string, ColumnType>;
}

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);
const show = (v: Scalar): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** The parameter type of a value compared with a column of this type. */
const PARAM_TYPE: Partial<Record<ColumnType, string>> = { string: 'text', long: 'bigint', double: 'float8', boolean: 'boolean', string_array: 'text' };

type Leaf = Extract<Predicate, { ref: ColumnRef }>;

class Renderer {
  readonly params: PgParam[] = [];
  private readonly columns: Map<string, ColumnDef>;

  constructor(readonly view: ViewDef) {
    this.columns = new Map(view.columns.map((c) => [c.name, c]));
  }

  /** A placeholder with its type, so PostgreSQL never has to guess one. */
  param(value: PgParam, type: string): string {
    this.params.push(value);
    return `$${this.params.length}::${type}`;
  }

  column(name: string): ColumnDef {
    const def = this.columns.get(name);
    if (!def) throw bad(`view ${this.view.name} has no column ${name}`);
    return def;
  }

  mapColumn(name: string, op: string): ColumnDef {
    const def = this.column(name);
    if (def.type !== 'string_map') throw bad(`${op} needs a map column, ${def.name} is ${def.type}`);
    return def;
  }

  /** The SQL of a reference and the type its values have. */
  ref(ref: ColumnRef): { sql: string; type: ColumnType } {
    const def = this.column(ref.column);
    if (ref.key === undefined) return { sql: quoteIdent(def.name), type: def.type };
    if (def.type !== 'string_map') throw bad(`column ${def.name} is not a map: it has no key ${ref.key}`);
    return { sql: `(${quoteIdent(def.name)} ->> ${this.param(ref.key, 'text')})`, type: 'string' };
  }

  /** A filter value as the column's type wants it (as text for bigint, which pg sends as text anyway). */
  value(type: ColumnType, v: Scalar, what: string): PgParam {
    if (v === null) return null;
    switch (type) {
      case 'long': {
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return v.trim();
        const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`${what} needs a number, got ${show(v)}`);
        // A fraction compared with a whole-number column: keep it a fraction (numeric comparison).
        return Number.isInteger(n) ? String(n) : n;
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

  /** A placeholder for a filter value: a fractional bound on a long column compares as numeric. */
  valueParam(type: ColumnType, v: Scalar, what: string): string {
    const value = this.value(type, v, what);
    return this.param(value, type === 'long' && typeof value === 'number' ? 'numeric' : PARAM_TYPE[type]!);
  }

  predicate(p: Predicate): string {
    switch (p.op) {
      case 'and':
      case 'or': {
        if (p.terms.length === 0) return p.op === 'and' ? 'TRUE' : 'FALSE';
        return `(${p.terms.map((t) => this.predicate(t)).join(p.op === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not':
        return `NOT coalesce(${this.predicate(p.term)}, false)`;
      case 'containsKeyLike': {
        const def = this.mapColumn(p.column, p.op);
        return `EXISTS (SELECT 1 FROM jsonb_object_keys(${quoteIdent(def.name)}) AS k WHERE k ~ ${this.param(p.pattern, 'text')})`;
      }
      case 'containsKey':
      case 'notContainsKey': {
        const def = this.mapColumn(p.column, p.op);
        const test = `coalesce(${quoteIdent(def.name)} ? ${this.param(p.key, 'text')}, false)`;
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

  private scalarPredicate(p: Leaf, sql: string, type: ColumnType): string {
    const what = `${p.op} on ${p.ref.column}${p.ref.key === undefined ? '' : `.${p.ref.key}`}`;
    switch (p.op) {
      case 'eq':
        return p.value === null ? `${sql} IS NULL` : `${sql} = ${this.valueParam(type, p.value, what)}`;
      case 'neq':
        return p.value === null ? `${sql} IS NOT NULL` : `${sql} IS DISTINCT FROM ${this.valueParam(type, p.value, what)}`;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        if (p.value === null) throw bad(`${what} needs a value`);
        const sym = { lt: '<', lte: '<=', gt: '>', gte: '>=' }[p.op];
        return `${sql} ${sym} ${this.valueParam(type, p.value, what)}`;
      }
      case 'in':
      case 'notIn': {
        const values = p.values.filter((v) => v !== null).map((v) => this.valueParam(type, v, what));
        const hasNull = values.length < p.values.length;
        const inList = values.length > 0 ? `${sql} IN (${values.join(', ')})` : 'FALSE';
        if (p.op === 'in') return hasNull ? `(${inList} OR ${sql} IS NULL)` : inList;
        return hasNull ? `(${sql} IS NOT NULL AND NOT ${inList})` : `(${sql} IS NULL OR NOT ${inList})`;
      }
      case 'regex':
        return `CAST(${sql} AS text) ~ ${this.param(p.pattern, 'text')}`;
    }
  }

  private arrayPredicate(p: Leaf, sql: string): string {
    const what = `${p.op} on ${p.ref.column}`;
    switch (p.op) {
      case 'eq':
        return `coalesce(${this.valueParam('string', p.value, what)} = ANY(${sql}), false)`;
      case 'neq':
        return `NOT coalesce(${this.valueParam('string', p.value, what)} = ANY(${sql}), false)`;
      case 'in':
      case 'notIn': {
        const list = p.values.filter((v) => v !== null).map((v) => String(v));
        const test = `coalesce(${sql} && ${this.param(list, 'text[]')}, false)`;
        return p.op === 'in' ? test : `NOT ${test}`;
      }
      case 'regex':
        return `EXISTS (SELECT 1 FROM unnest(${sql}) AS x WHERE x ~ ${this.param(p.pattern, 'text')})`;
      default:
        throw bad(`${what}: a list column supports eq, neq, in, notIn and regex only`);
    }
  }
}

/** An aggregate's SQL and the neutral type of its value. */
function aggregateSql(r: Renderer, a: Aggregate): { sql: string; type: ColumnType } {
  if (a.fn === 'count') return { sql: 'count(*)', type: 'long' };
  if (!a.ref) throw bad(`aggregate ${a.fn} (${a.as}) needs a column`);
  const ref = r.ref(a.ref);
  const numeric = ref.type === 'long' || ref.type === 'double';
  const need = (ok: boolean) => {
    if (!ok) throw bad(`${a.fn} cannot aggregate ${a.ref!.column} (${ref.type})`);
  };
  switch (a.fn) {
    case 'sum':
      need(numeric);
      // PostgreSQL sums bigint into numeric; back to bigint so values stay numbers.
      return { sql: ref.type === 'long' ? `CAST(sum(${ref.sql}) AS bigint)` : `sum(${ref.sql})`, type: ref.type };
    case 'avg':
      need(numeric);
      return { sql: `CAST(avg(${ref.sql}) AS float8)`, type: 'double' };
    case 'min':
    case 'max':
      need(ref.type !== 'string_map' && ref.type !== 'string_array' && ref.type !== 'bytes');
      if (ref.type === 'boolean') return { sql: `${a.fn === 'min' ? 'bool_and' : 'bool_or'}(${ref.sql})`, type: 'boolean' };
      return { sql: `${a.fn}(${ref.sql})`, type: ref.type };
    case 'any':
      need(ref.type !== 'bytes');
      // PostgreSQL 15 has no any_value: the first non-null value collected (min for lists,
      // which array_agg would stack into a two-dimensional array).
      if (ref.type === 'string_array') return { sql: `min(${ref.sql})`, type: ref.type };
      return { sql: `(array_agg(${ref.sql}) FILTER (WHERE ${ref.sql} IS NOT NULL))[1]`, type: ref.type };
    case 'distinctCount':
      need(ref.type !== 'bytes');
      return { sql: `count(DISTINCT ${ref.sql})`, type: 'long' };
    case 'distinctArray': {
      need(ref.type !== 'string_map' && ref.type !== 'string_array' && ref.type !== 'bytes');
      const text = `CAST(${ref.sql} AS text) COLLATE "C"`;
      return { sql: `array_agg(DISTINCT ${text} ORDER BY ${text}) FILTER (WHERE ${ref.sql} IS NOT NULL)`, type: 'string_array' };
    }
    case 'percentile': {
      need(numeric);
      const p = a.percentile;
      if (typeof p !== 'number' || !(p > 0 && p <= 100)) throw bad(`percentile ${String(p)} is not in (0, 100]`);
      return { sql: `percentile_cont(${r.param(p / 100, 'float8')}) WITHIN GROUP (ORDER BY ${ref.sql})`, type: 'double' };
    }
  }
}

/** WHERE (tenant first) and the group keys' SQL, rendered into `r`. */
function whereAndKeys(r: Renderer, q: ViewQuery, aggregate: boolean): { where: string; keys: { as: string; sql: string; type: ColumnType }[] } {
  const where = [`${quoteIdent(r.view.tenantColumn)} = ${r.param(q.tenant, 'text')}`, ...q.where.map((p) => r.predicate(p))].join(' AND ');
  const keys = (aggregate ? (q.groupBy ?? []) : q.select).map((s) => ({ as: s.as, ...r.ref(s.ref) }));
  if (q.bucket) {
    const b = q.bucket;
    const col = r.column(b.column);
    if (col.type !== 'long') throw bad(`a time bucket needs a long (epoch ms) column, ${col.name} is ${col.type}`);
    if (!Number.isInteger(b.sizeMs) || b.sizeMs <= 0) throw bad(`a time bucket needs a positive integer size, got ${b.sizeMs}`);
    const size = r.param(String(b.sizeMs), 'bigint');
    // Integer division truncates; epoch times are positive, so that is the interval's start.
    keys.push({ as: b.as, sql: `((${quoteIdent(col.name)} / ${size}) * ${size})`, type: 'long' });
  }
  return { where, keys };
}

/** Group keys by position: the same placeholder twice would not be the same expression to PostgreSQL. */
const positions = (n: number): string => Array.from({ length: n }, (_, i) => String(i + 1)).join(', ');

/** The SQL for a query's rows (and its total when asked). */
export function renderPgQuery(q: ViewQuery): RenderedPgQuery {
  const view = viewNamed(q.view);
  if (!view) throw bad(`no view named ${q.view}`);
  if (!Number.isInteger(q.limit) || q.limit < 0) throw bad(`limit must be a non-negative integer, got ${q.limit}`);
  const offset = q.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw bad(`offset must be a non-negative integer, got ${offset}`);
  const aggregate = isAggregateQuery(q);
  if (aggregate && q.select.length > 0) throw bad('an aggregate query names its values in groupBy and aggregates, not select');
  if (!aggregate && q.select.length === 0) throw bad('a query selects at least one value');
  const from = quoteIdent(view.name);

  const r = new Renderer(view);
  const { where, keys } = whereAndKeys(r, q, aggregate);
  const types = new Map<string, ColumnType>();
  const columns: string[] = [];
  const add = (as: string, sql: string, type: ColumnType): void => {
    if (!SELECTION_ALIAS.test(as)) throw bad(`selection alias ${JSON.stringify(as)} is not a plain identifier`);
    if (types.has(as)) throw bad(`selection alias ${as} is used twice`);
    types.set(as, type);
    columns.push(`${sql} AS ${quoteIdent(as)}`);
  };
  for (const k of keys) add(k.as, k.sql, k.type);
  for (const a of q.aggregates ?? []) {
    const agg = aggregateSql(r, a);
    add(a.as, agg.sql, agg.type);
  }
  const groupSql = aggregate && keys.length > 0 ? ` GROUP BY ${positions(keys.length)}` : '';
  const order = (q.orderBy ?? []).map((o) => {
    const dir = o.direction === 'DESC' ? 'DESC' : 'ASC';
    if ('as' in o) {
      if (!types.has(o.as)) throw bad(`cannot order by ${o.as}: it is not selected`);
      return `${quoteIdent(o.as)} ${dir} NULLS LAST`;
    }
    if (aggregate) throw bad('an aggregate query orders by its group keys or aggregates (by name)');
    return `${r.ref(o.ref).sql} ${dir} NULLS LAST`;
  });
  const orderSql = order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '';
  const limitSql = ` LIMIT ${r.param(String(q.limit), 'bigint')} OFFSET ${r.param(String(offset), 'bigint')}`;
  return {
    sql: `SELECT ${columns.join(', ')} FROM ${from} WHERE ${where}${groupSql}${orderSql}${limitSql}`,
    params: r.params,
    types,
    ...(q.withTotal ? { count: renderCount(q, view, aggregate) } : {}),
  };
}

/** The total: matching rows, or groups of an aggregate query (one when it has no keys). */
function renderCount(q: ViewQuery, view: ViewDef, aggregate: boolean): { sql: string; params: PgParam[] } {
  const r = new Renderer(view);
  const from = quoteIdent(view.name);
  if (!aggregate) {
    const { where } = whereAndKeys(r, { ...q, select: [] }, false);
    return { sql: `SELECT count(*) AS n FROM ${from} WHERE ${where}`, params: r.params };
  }
  const { where, keys } = whereAndKeys(r, q, true);
  if (keys.length === 0) return { sql: 'SELECT 1 AS n', params: [] };
  const keySql = keys.map((k, i) => `${k.sql} AS k${i}`).join(', ');
  return { sql: `SELECT count(*) AS n FROM (SELECT ${keySql} FROM ${from} WHERE ${where} GROUP BY ${positions(keys.length)}) AS g`, params: r.params };
}
