// Per-minute metric rollups of the entity views (ADR 011): for each entity (SERVICE and API on
// rawServiceView, BACKEND on backendEntityView), minute and duration bucket, the row count and
// each metric's non-null count, sum, min and max. The duration buckets are a log-scale sketch
// (relative accuracy ~1 %): merging minutes is adding counts, a percentile is a walk up the
// buckets. Minutes are rolled up once closed and rebuilt whole when a write touches one, so a
// late span that re-opens a trace never counts twice.
//
// This module is dialect-neutral: which views roll up, and which view queries a rollup can
// answer (`planRollup`). Each store adapter renders the tables, the build and the query.
import type { Aggregate, Predicate, Scalar, ViewQuery } from '../store/query.ts';

export const ROLLUP_MINUTE_MS = 60_000;

/** Bucket i (≥ 1) holds durations in (γ^(i-2), γ^(i-1)] ms; bucket 0 holds durations ≤ 0. */
export const SKETCH_GAMMA = 1.02;
/** Worst relative error of a bucket's representative value: (γ − 1) / (γ + 1). */
export const SKETCH_RELATIVE_ERROR = (SKETCH_GAMMA - 1) / (SKETCH_GAMMA + 1);

export interface RollupEntity {
  idColumn: string;
  nameColumn: string;
}

export interface RollupSource {
  view: string;
  timeColumn: string;
  entities: readonly RollupEntity[];
  /** Columns kept as count, sum, min and max per bucket row. */
  metrics: readonly string[];
  /** The metric whose values are sketched (percentiles). */
  sketched: string;
}

const RED = ['duration_millis', 'error_count', 'exception_count', 'num_calls'] as const;

export const ROLLUP_SOURCES: readonly RollupSource[] = [
  {
    view: 'rawServiceView', timeColumn: 'start_time_millis', metrics: RED, sketched: 'duration_millis',
    entities: [{ idColumn: 'service_id', nameColumn: 'service_name' }, { idColumn: 'api_id', nameColumn: 'api_name' }],
  },
  {
    view: 'backendEntityView', timeColumn: 'start_time_millis', metrics: RED, sketched: 'duration_millis',
    entities: [{ idColumn: 'backend_id', nameColumn: 'backend_name' }],
  },
];

export const rollupSourceOf = (view: string): RollupSource | undefined => ROLLUP_SOURCES.find((s) => s.view === view);

/** One aggregate as the rollup answers it. */
export type RollupAggregate =
  | { as: string; kind: 'count' }
  | { as: string; kind: 'sum' | 'min' | 'max' | 'avg'; column: string }
  | { as: string; kind: 'percentile'; percentile: number }
  | { as: string; kind: 'name' };

/** A view query the rollup can answer: entity group-by over a time range, nothing else. */
export interface RollupPlan {
  source: RollupSource;
  entity: RollupEntity;
  tenant: string;
  fromMs: number;
  toMs: number;
  /** Only these entity ids (an `in` filter on the id). */
  ids?: string[];
  aggregates: RollupAggregate[];
  orderBy: { as: string; direction: 'ASC' | 'DESC' }[];
  limit: number;
  offset: number;
  withTotal: boolean;
}

const isRef = (p: Predicate, column: string): boolean => 'ref' in p && p.ref.column === column && p.ref.key === undefined;
const asMs = (v: Scalar): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : undefined);

/**
 * The rollup plan answering `q` exactly as the view would (percentiles within the sketch's
 * bound), or undefined when any part of it is not answerable from the rollup: another filter,
 * group key, time bucket, aggregate or column.
 */
export function planRollup(q: ViewQuery): RollupPlan | undefined {
  const source = rollupSourceOf(q.view);
  if (!source || q.select.length > 0 || q.bucket || q.groupBy?.length !== 1) return undefined;
  const key = q.groupBy[0];
  const entity = source.entities.find((e) => e.idColumn === key.ref.column);
  if (!entity || key.ref.key !== undefined || key.as !== 'id') return undefined;

  let fromMs: number | undefined;
  let toMs: number | undefined;
  let ids: string[] | undefined;
  for (const p of q.where) {
    if (p.op === 'gte' && isRef(p, source.timeColumn) && fromMs === undefined) fromMs = asMs(p.value);
    else if (p.op === 'lt' && isRef(p, source.timeColumn) && toMs === undefined) toMs = asMs(p.value);
    else if (p.op === 'neq' && isRef(p, entity.idColumn) && (p.value === null || p.value === '')) continue;
    else if (p.op === 'in' && isRef(p, entity.idColumn) && ids === undefined && p.values.every((v) => typeof v === 'string')) ids = p.values as string[];
    else return undefined;
  }
  if (fromMs === undefined || toMs === undefined) return undefined;
  // Rows with a null or empty id are never rolled up: the query must leave them out too.
  const excludesNull = q.where.some((p) => p.op === 'neq' && isRef(p, entity.idColumn) && p.value === null);
  const excludesEmpty = q.where.some((p) => p.op === 'neq' && isRef(p, entity.idColumn) && p.value === '');
  if (ids === undefined && !(excludesNull && excludesEmpty)) return undefined;

  const aggregates: RollupAggregate[] = [];
  for (const a of q.aggregates ?? []) {
    const planned = planAggregate(source, entity, a);
    if (!planned) return undefined;
    aggregates.push(planned);
  }
  const orderBy: RollupPlan['orderBy'] = [];
  for (const o of q.orderBy ?? []) {
    if (!('as' in o)) return undefined;
    orderBy.push({ as: o.as, direction: o.direction });
  }
  return {
    source, entity, tenant: q.tenant, fromMs, toMs, aggregates, orderBy,
    limit: q.limit, offset: q.offset ?? 0, withTotal: q.withTotal === true,
    ...(ids === undefined ? {} : { ids }),
  };
}

function planAggregate(source: RollupSource, entity: RollupEntity, a: Aggregate): RollupAggregate | undefined {
  if (a.fn === 'count') return { as: a.as, kind: 'count' };
  if (!a.ref || a.ref.key !== undefined) return undefined;
  const column = a.ref.column;
  if (a.fn === 'any') return column === entity.nameColumn ? { as: a.as, kind: 'name' } : undefined;
  if (!source.metrics.includes(column)) return undefined;
  switch (a.fn) {
    case 'sum':
    case 'min':
    case 'max':
    case 'avg':
      return { as: a.as, kind: a.fn, column };
    case 'percentile':
      return column === source.sketched && a.percentile !== undefined ? { as: a.as, kind: 'percentile', percentile: a.percentile } : undefined;
    default:
      return undefined;
  }
}
