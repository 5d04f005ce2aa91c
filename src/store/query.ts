// A dialect-neutral query over one view, built by the gateway from a GraphQL request and the
// attribute catalog, rendered by each ViewStore adapter for its own dialect. No joins: every
// view query reads one view (so Apache Pinot can be one more renderer). Adapters validate view
// and column names against src/views/schema.ts and pass every value as a parameter.
//
// Two shapes share one type: a row query (`select`) and an aggregate query (`groupBy`,
// `bucket`, `aggregates`; then `select` is empty and each row is one group).

/** A filter value; bigint for long values past 2^53 (nanosecond times). */
export type Scalar = string | number | bigint | boolean | null;

/** A column, or (with `key`) one entry of a string_map column. */
export interface ColumnRef {
  column: string;
  key?: string;
}

/**
 * Conditions. On a string_array column, eq/in/regex hold when any element matches and
 * neq/notIn when none does. neq and notIn also hold where the value is null (missing), as
 * Hypertrace's "null" default makes them. `regex` is a partial-match regular expression.
 * `not` holds where its term does not (a term that is unknown on a null counts as false).
 */
export type Predicate =
  | { op: 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte'; ref: ColumnRef; value: Scalar }
  | { op: 'in' | 'notIn'; ref: ColumnRef; values: Scalar[] }
  | { op: 'regex'; ref: ColumnRef; pattern: string }
  | { op: 'containsKey' | 'notContainsKey'; column: string; key: string }
  | { op: 'containsKeyLike'; column: string; pattern: string }
  | { op: 'and' | 'or'; terms: Predicate[] }
  | { op: 'not'; term: Predicate };

/** One selected value; `as` names it in the result rows (a plain identifier). */
export interface Selection {
  as: string;
  ref: ColumnRef;
}

/**
 * Aggregate functions. `count` counts rows (Hypertrace COUNT is COUNT(*)); `percentile` takes
 * `percentile` in (0, 100]; `distinctArray` is the sorted distinct non-null values; `any` is
 * one value of the group (for attributes that are constant per group, such as an entity's
 * name beside its id). Averages and rates are computed by the gateway from sum and count.
 */
export type AggregateFn = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'distinctCount' | 'distinctArray' | 'percentile' | 'any';

export interface Aggregate {
  as: string;
  fn: AggregateFn;
  /** Every function but `count` reads a column. */
  ref?: ColumnRef;
  percentile?: number;
}

/** Groups rows by the start of the interval their time column falls in (epoch ms columns). */
export interface TimeBucket {
  as: string;
  column: string;
  sizeMs: number;
}

/** Order by a column, or by a selected value, group key or aggregate named by `as`. */
export type OrderTerm = { ref: ColumnRef; direction: 'ASC' | 'DESC' } | { as: string; direction: 'ASC' | 'DESC' };

export interface ViewQuery {
  view: string;
  /** Every query reads one tenant's rows only. */
  tenant: string;
  /** Row values (row queries); empty in an aggregate query. */
  select: Selection[];
  /** ANDed. */
  where: Predicate[];
  /** Group keys (aggregate queries). */
  groupBy?: Selection[];
  bucket?: TimeBucket;
  aggregates?: Aggregate[];
  orderBy?: OrderTerm[];
  limit: number;
  offset?: number;
  /** Also count every matching row, or every group of an aggregate query (GraphQL `total`). */
  withTotal?: boolean;
}

/**
 * Rows keyed by each selection's `as`. Values by column type: string → string, long →
 * number (bigint past 2^53), double → number, boolean → boolean, string_map → a plain
 * object, string_array → string[], bytes → Uint8Array; a missing value is null. Aggregates:
 * count and distinctCount → number; sum, min, max, any → the column's type; avg and
 * percentile → number; distinctArray → an array; null over no values.
 */
export interface ViewQueryResult {
  rows: Record<string, unknown>[];
  total?: number;
}

/** How a query runs (not what it asks). */
export interface QueryOptions {
  /** Aborted when the caller stops waiting (the gateway's per-query deadline): the store stops the statement. */
  signal?: AbortSignal;
}

/** Selection aliases must be plain identifiers: adapters quote them, never escape them. */
export const SELECTION_ALIAS = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** An aggregate query groups or aggregates; a row query selects. */
export const isAggregateQuery = (q: ViewQuery): boolean =>
  (q.groupBy?.length ?? 0) > 0 || q.bucket !== undefined || (q.aggregates?.length ?? 0) > 0;
