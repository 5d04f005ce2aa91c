// Renders a dialect-neutral ViewQuery (src/store/query.ts) to DuckDB SQL. View and column
// names are checked against the view definitions and quoted; every value is a positional
// parameter, never part of the SQL text.
import { listValue, type DuckDBValue } from '@duckdb/node-api';
import { TesseraError } from '../../errors.ts';
import { isAggregateQuery, SELECTION_ALIAS, type Aggregate, type ColumnRef, type Predicate, type Scalar, type ViewQuery } from '../query.ts';
import { viewNamed, type ColumnDef, type ColumnType, type ViewDef } from '../../views/schema.ts';
import { quoteIdent } from './ddl.ts';
import { TAG_BLOOM_COLUMNS, pairProbe } from '../../views/tagBloom.ts';

export interface RenderedQuery {
  sql: string;
  params: DuckDBValue[];
  /** The total's SQL and parameters, when the query asks for it. */
  count?: { sql: string; params: DuckDBValue[] };
  /**
   * The query looks for rare rows (a tag search the bloom prefilters): its page is usually
   * short, and then gives the total itself, so the count is worth running only after it.
   */
  fewMatches?: boolean;
  /** Neutral type of each selected value, by alias (a map key reads as a string). */
  types: Map<string, ColumnType>;
}

/** How to render (not what to ask): tests turn the tag bloom prefilter off to compare answers. */
export interface RenderOptions {
  /** Test the tag bloom columns before a `tags` entry (default true; ADR 013). */
  tagBloom?: boolean;
}

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);
const show = (v: Scalar): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * A JSON Pointer (RFC 6901) to one key of a map column: unlike `$."key"` paths it can name any key,
 * the empty one included (`/` is the key "").
 */
export const jsonKeyPath = (key: string): string => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

type Leaf = Extract<Predicate, { ref: ColumnRef }>;

class Renderer {
  readonly params: DuckDBValue[] = [];
  private readonly columns: Map<string, ColumnDef>;

  /** The map column the view's tag bloom summarizes, when it has one and rendering uses it. */
  private readonly bloomed: string | undefined;

  constructor(readonly view: ViewDef, opts: RenderOptions = {}) {
    this.columns = new Map(view.columns.map((c) => [c.name, c]));
    this.bloomed = opts.tagBloom !== false && this.columns.has(TAG_BLOOM_COLUMNS[0]) ? 'tags' : undefined;
  }

  /**
   * A necessary condition for a top-level filter that the tag bloom can test: the bits of its
   * `tags[key] = value` entry (or of one in an AND). A row an older build wrote has null words:
   * coalesce makes them all ones, so it passes and the exact test decides.
   */
  bloomGuard(p: Predicate): string | undefined {
    if (this.bloomed === undefined) return undefined;
    if (p.op === 'and') {
      for (const t of p.terms) {
        const g = this.bloomGuard(t);
        if (g !== undefined) return g;
      }
      return undefined;
    }
    if (p.op !== 'eq' || p.ref.column !== this.bloomed || p.ref.key === undefined || typeof p.value !== 'string') return undefined;
    const { word, mask } = pairProbe(p.ref.key, p.value);
    const m = `${this.param(mask)}::BIGINT`;
    return `(coalesce(${quoteIdent(TAG_BLOOM_COLUMNS[word])}, -1) & ${m}) = ${m}`;
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
      case 'not':
        return `NOT coalesce(${this.predicate(p.term)}, false)`;
      case 'containsKeyLike': {
        const def = this.mapColumn(p.column, p.op);
        return `coalesce(len(list_filter(json_keys(${quoteIdent(def.name)}), k -> regexp_matches(k, ${this.param(p.pattern)}))) > 0, false)`;
      }
      case 'containsKey':
      case 'notContainsKey': {
        const def = this.mapColumn(p.column, p.op);
        const test = `coalesce(json_exists(${quoteIdent(def.name)}, ${this.param(jsonKeyPath(p.key))}), false)`;
        return p.op === 'containsKey' ? test : `NOT ${test}`;
      }
      default: {
        const pair = this.entryPrefilter(p);
        if (pair) return pair;
        const target = this.ref(p.ref);
        if (target.type === 'string_array') return this.arrayPredicate(p, target.sql);
        if (target.type === 'string_map' || target.type === 'bytes') {
          throw bad(`column ${p.ref.column} (${target.type}) cannot be filtered with ${p.op}`);
        }
        return this.scalarPredicate(p, target.sql, target.type);
      }
    }
  }

  /**
   * `map[key] = value` with a text prefilter: maps are stored as JSON.stringify text (convert.ts),
   * where the entry appears verbatim as `"key":"value"`, and `contains` scans text ~6x faster
   * than json_extract_string parses it. The extraction still decides, so the meaning is exact.
   */
  private entryPrefilter(p: Leaf): string | undefined {
    if (p.op !== 'eq' || p.ref.key === undefined || typeof p.value !== 'string') return undefined;
    const def = this.column(p.ref.column);
    if (def.type !== 'string_map') return undefined;
    const col = quoteIdent(def.name);
    const entry = `${JSON.stringify(p.ref.key)}:${JSON.stringify(p.value)}`;
    return `(contains(${col}, ${this.param(entry)}) AND json_extract_string(${col}, ${this.param(jsonKeyPath(p.ref.key))}) = ${this.param(p.value)})`;
  }

  private scalarPredicate(p: Leaf, sql: string, type: ColumnType): string {
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

  private arrayPredicate(p: Leaf, sql: string): string {
    const what = `${p.op} on ${p.ref.column}`;
    switch (p.op) {
      case 'eq':
        return `coalesce(list_contains(${sql}, ${this.param(this.value('string', p.value, what))}), false)`;
      case 'neq':
        return `NOT coalesce(list_contains(${sql}, ${this.param(this.value('string', p.value, what))}), false)`;
      case 'in':
      case 'notIn': {
        const wanted = p.values.filter((v) => v !== null).map((v) => String(v));
        // A list holds no null item, so only the non-null values can match (and `[]` has no item type).
        const test = wanted.length === 0 ? 'FALSE' : `coalesce(list_has_any(${sql}, ${this.param(listValue(wanted))}::VARCHAR[]), false)`;
        return p.op === 'in' ? test : `NOT ${test}`;
      }
      case 'regex':
        return `coalesce(len(list_filter(${sql}, x -> regexp_matches(x, ${this.param(p.pattern)}))) > 0, false)`;
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
      // DuckDB sums BIGINT into HUGEINT; back to BIGINT so values stay numbers.
      return { sql: ref.type === 'long' ? `CAST(sum(${ref.sql}) AS BIGINT)` : `sum(${ref.sql})`, type: ref.type };
    case 'avg':
      need(numeric);
      return { sql: `avg(${ref.sql})`, type: 'double' };
    case 'min':
    case 'max':
      need(ref.type !== 'string_map' && ref.type !== 'string_array' && ref.type !== 'bytes');
      return { sql: `${a.fn}(${ref.sql})`, type: ref.type };
    case 'any':
      need(ref.type !== 'bytes');
      return { sql: `any_value(${ref.sql})`, type: ref.type };
    case 'distinctCount':
      need(ref.type !== 'bytes');
      return { sql: `count(DISTINCT ${ref.sql})`, type: 'long' };
    case 'distinctArray':
      need(ref.type !== 'string_map' && ref.type !== 'string_array' && ref.type !== 'bytes');
      return { sql: `list(DISTINCT CAST(${ref.sql} AS VARCHAR) ORDER BY CAST(${ref.sql} AS VARCHAR)) FILTER (WHERE ${ref.sql} IS NOT NULL)`, type: 'string_array' };
    case 'percentile': {
      need(numeric);
      const p = a.percentile;
      if (typeof p !== 'number' || !(p > 0 && p <= 100)) throw bad(`percentile ${String(p)} is not in (0, 100]`);
      return { sql: `quantile_cont(${ref.sql}, ${r.param(p / 100)})`, type: 'double' };
    }
  }
}

const checkAlias = (as: string, types: Map<string, ColumnType>): void => {
  if (!SELECTION_ALIAS.test(as)) throw bad(`selection alias ${JSON.stringify(as)} is not a plain identifier`);
  if (types.has(as)) throw bad(`selection alias ${as} is used twice`);
};

/** WHERE (tenant first) and the group keys' SQL, rendered into `r`. */
/**
 * A point lookup on an indexed column (a trace id) as a semi-join on rowid. DuckDB only uses
 * the ART index when the lookup is the scan's one filter: beside the tenant (and time) filters
 * it scans the column instead (10 M spans: ~2 ms for rawTraceView against 16–38 ms, measured
 * 2026-11-25). The rows are the same: rowid names a row of this table in this query.
 */
function lookupPredicate(r: Renderer, p: Predicate): string | undefined {
  if (p.op === 'eq') {
    if (p.value === null) return undefined;
  } else if (p.op === 'in') {
    if (p.values.length === 0 || p.values.length > 16 || p.values.includes(null)) return undefined;
  } else return undefined;
  if (p.ref.key !== undefined || !r.view.lookupColumns.includes(p.ref.column)) return undefined;
  return `rowid IN (SELECT rowid FROM ${quoteIdent(r.view.name)} WHERE ${r.predicate(p)})`;
}

/**
 * FROM and WHERE. A filter the tag bloom can test (ADR 013) splits them: an inner scan holds
 * the tenant, the other filters and the bloom test, and the exact tag test runs on its rows.
 * DuckDB pushes a filter into the scan, where a vector of rows none of which passes is never
 * read (the tags' JSON is decompressed a vector at a time), only when it is the one filter it
 * cannot split off as a plain comparison, and it does not push the outer filters below OFFSET.
 */
function fromAndWhere(r: Renderer, q: ViewQuery): { from: string; where: string } {
  const table = quoteIdent(r.view.name);
  const tenant = `${quoteIdent(r.view.tenantColumn)} = ${r.param(q.tenant)}`;
  const inner: string[] = [tenant];
  const guards: string[] = [];
  const exact: string[] = [];
  for (const p of q.where) {
    const guard = r.bloomGuard(p);
    if (guard === undefined) inner.push(lookupPredicate(r, p) ?? r.predicate(p));
    else {
      guards.push(guard);
      exact.push(r.predicate(p));
    }
  }
  if (guards.length === 0) return { from: table, where: inner.join(' AND ') };
  // One bloom test is enough to skip the vectors; two would keep DuckDB from pushing either.
  return { from: `(SELECT * FROM ${table} WHERE ${[...inner, guards[0]].join(' AND ')} OFFSET 0) AS ${table}`, where: exact.join(' AND ') };
}

function whereAndKeys(r: Renderer, q: ViewQuery, aggregate: boolean): { from: string; where: string; keys: { as: string; sql: string; type: ColumnType }[] } {
  const { from, where } = fromAndWhere(r, q);
  const keys = (aggregate ? (q.groupBy ?? []) : q.select).map((s) => ({ as: s.as, ...r.ref(s.ref) }));
  if (q.bucket) {
    const b = q.bucket;
    const col = r.column(b.column);
    if (col.type !== 'long') throw bad(`a time bucket needs a long (epoch ms) column, ${col.name} is ${col.type}`);
    if (!Number.isInteger(b.sizeMs) || b.sizeMs <= 0) throw bad(`a time bucket needs a positive integer size, got ${b.sizeMs}`);
    // Typed: an untyped parameter makes DuckDB divide in HUGEINT, ~20x slower.
    const size = `${r.param(BigInt(b.sizeMs))}::BIGINT`;
    keys.push({ as: b.as, sql: `((${quoteIdent(col.name)} // ${size}) * ${size})`, type: 'long' });
  }
  return { from, where, keys };
}

/** The SQL for a query's rows (and its total when asked). */
export function renderQuery(q: ViewQuery, opts: RenderOptions = {}): RenderedQuery {
  const view = viewNamed(q.view);
  if (!view) throw bad(`no view named ${q.view}`);
  if (!Number.isInteger(q.limit) || q.limit < 0) throw bad(`limit must be a non-negative integer, got ${q.limit}`);
  const offset = q.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw bad(`offset must be a non-negative integer, got ${offset}`);
  const aggregate = isAggregateQuery(q);
  if (aggregate && q.select.length > 0) throw bad('an aggregate query names its values in groupBy and aggregates, not select');
  if (!aggregate && q.select.length === 0) throw bad('a query selects at least one value');
  const r = new Renderer(view, opts);
  const { from, where, keys } = whereAndKeys(r, q, aggregate);
  const types = new Map<string, ColumnType>();
  const columns: string[] = [];
  const add = (as: string, sql: string, type: ColumnType): void => {
    checkAlias(as, types);
    types.set(as, type);
    columns.push(`${sql} AS ${quoteIdent(as)}`);
  };
  for (const k of keys) add(k.as, k.sql, k.type);
  for (const a of q.aggregates ?? []) {
    const agg = aggregateSql(r, a);
    add(a.as, agg.sql, agg.type);
  }
  const groupSql = aggregate && keys.length > 0 ? ` GROUP BY ${keys.map((k) => k.sql).join(', ')}` : '';
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
  const limitSql = ` LIMIT ${r.param(BigInt(q.limit))} OFFSET ${r.param(BigInt(offset))}`;
  return {
    sql: `SELECT ${columns.join(', ')} FROM ${from} WHERE ${where}${groupSql}${orderSql}${limitSql}`,
    params: r.params,
    types,
    ...(q.withTotal ? { count: renderCount(q, view, aggregate, opts) } : {}),
    ...(from === quoteIdent(view.name) ? {} : { fewMatches: true }),
  };
}

/** The total: matching rows, or groups of an aggregate query (one when it has no keys). */
function renderCount(q: ViewQuery, view: ViewDef, aggregate: boolean, opts: RenderOptions): { sql: string; params: DuckDBValue[] } {
  const r = new Renderer(view, opts);
  if (!aggregate) {
    const { from, where } = whereAndKeys(r, { ...q, select: [] }, false);
    return { sql: `SELECT count(*) AS n FROM ${from} WHERE ${where}`, params: r.params };
  }
  const { from, where, keys } = whereAndKeys(r, q, true);
  if (keys.length === 0) return { sql: 'SELECT 1 AS n', params: [] };
  return { sql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${from} WHERE ${where} GROUP BY ${keys.map((k) => k.sql).join(', ')})`, params: r.params };
}
