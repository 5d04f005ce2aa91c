// A dialect-neutral query over one view, built by the gateway from a GraphQL request and the
// attribute catalog, rendered to SQL by each ViewStore adapter. No joins: every view query
// reads one view (so Apache Pinot can be one more renderer).

export type Scalar = string | number | boolean | null;

export type Predicate =
  | { op: 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte'; column: string; value: Scalar }
  | { op: 'in' | 'notIn'; column: string; values: Scalar[] }
  | { op: 'regex'; column: string; pattern: string }
  | { op: 'and' | 'or'; terms: Predicate[] };

export interface ViewQuery {
  view: string;
  columns: string[];
  where: Predicate[];
  orderBy?: { column: string; direction: 'ASC' | 'DESC' }[];
  limit?: number;
  offset?: number;
  /** Also count every matching row (GraphQL `total`). */
  withTotal?: boolean;
}

export interface ViewQueryResult {
  rows: Record<string, unknown>[];
  total?: number;
}
