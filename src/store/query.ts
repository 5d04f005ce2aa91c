// A dialect-neutral query over one view, built by the gateway from a GraphQL request and the
// attribute catalog, rendered by each ViewStore adapter for its own dialect. No joins: every
// view query reads one view (so Apache Pinot can be one more renderer). Adapters validate view
// and column names against src/views/schema.ts and pass every value as a parameter.

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
 */
export type Predicate =
  | { op: 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte'; ref: ColumnRef; value: Scalar }
  | { op: 'in' | 'notIn'; ref: ColumnRef; values: Scalar[] }
  | { op: 'regex'; ref: ColumnRef; pattern: string }
  | { op: 'containsKey' | 'notContainsKey'; column: string; key: string }
  | { op: 'and' | 'or'; terms: Predicate[] };

/** One selected value; `as` names it in the result rows (a plain identifier). */
export interface Selection {
  as: string;
  ref: ColumnRef;
}

export interface OrderTerm {
  ref: ColumnRef;
  direction: 'ASC' | 'DESC';
}

export interface ViewQuery {
  view: string;
  /** Every query reads one tenant's rows only. */
  tenant: string;
  select: Selection[];
  /** ANDed. */
  where: Predicate[];
  orderBy?: OrderTerm[];
  limit: number;
  offset?: number;
  /** Also count every matching row (GraphQL `total`). */
  withTotal?: boolean;
}

/**
 * Rows keyed by each selection's `as`. Values by column type: string → string, long →
 * number (bigint past 2^53), double → number, boolean → boolean, string_map → a plain
 * object, string_array → string[], bytes → Uint8Array; a missing value is null.
 */
export interface ViewQueryResult {
  rows: Record<string, unknown>[];
  total?: number;
}

/** Selection aliases must be plain identifiers: adapters quote them, never escape them. */
export const SELECTION_ALIAS = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
