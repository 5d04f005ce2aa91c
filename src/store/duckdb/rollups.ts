// The per-minute metric rollups (src/views/rollups.ts, ADR 011) in DuckDB: their two tables,
// the statements that roll closed minutes up from the views, and the rendering of a rollup
// plan. A query reads the rollup for the whole minutes of its range that are rolled up and
// the view for the rest (the range's ragged edges, minutes not closed yet or invalidated by a
// late write), bucketing those rows the same way on the fly: one answer either way.
import type { DuckDBValue } from '@duckdb/node-api';
import { ROLLUP_MINUTE_MS, SKETCH_GAMMA, type RollupPlan, type RollupSource } from '../../views/rollups.ts';
import { quoteIdent } from './ddl.ts';

export const ROLLUP_TABLE = 'tessera_rollup';
/** Which (view, minute) pairs the rollup holds, for every tenant. */
export const ROLLED_MINUTES_TABLE = 'tessera_rollup_minutes';

const metricColumns = (m: string): string[] => [`${m}_n`, `${m}_sum`, `${m}_min`, `${m}_max`];

/** Every rollup source has the same metric columns (RED). */
const METRICS = ['duration_millis', 'error_count', 'exception_count', 'num_calls'];

export const rollupTableStatements = (): string[] => [
  `CREATE TABLE IF NOT EXISTS ${ROLLUP_TABLE} (
  tenant_id VARCHAR NOT NULL, view_name VARCHAR NOT NULL, id_column VARCHAR NOT NULL, entity_id VARCHAR NOT NULL,
  entity_name VARCHAR, minute_ms BIGINT NOT NULL, bucket INTEGER NOT NULL, n BIGINT NOT NULL,
  ${METRICS.flatMap(metricColumns).map((c) => `${c} ${c.endsWith('_n') ? 'BIGINT NOT NULL' : 'BIGINT'}`).join(', ')}
)`,
  `CREATE TABLE IF NOT EXISTS ${ROLLED_MINUTES_TABLE} (view_name VARCHAR NOT NULL, minute_ms BIGINT NOT NULL)`,
];

/** The sketch bucket of a duration (ms): -1 for none, 0 for ≤ 0, else 1 + ceil(log_γ d). */
const bucketOf = (d: string): string =>
  `CASE WHEN ${d} IS NULL THEN -1 WHEN ${d} <= 0 THEN 0 ELSE CAST(ceil(ln(${d}) / ln(${SKETCH_GAMMA})) AS INTEGER) + 1 END`;

const minuteOf = (time: string): string => `((${time} // ${ROLLUP_MINUTE_MS}) * ${ROLLUP_MINUTE_MS})`;

/** The columns of one view row as a one-row rollup entry (for one entity kind). */
function rowAsEntry(source: RollupSource, idColumn: string, nameColumn: string, only: readonly string[] = METRICS): string {
  const metrics = only.map((m) => {
    const c = quoteIdent(m);
    return `CASE WHEN ${c} IS NULL THEN 0 ELSE 1 END AS ${m}_n, ${c} AS ${m}_sum, ${c} AS ${m}_min, ${c} AS ${m}_max`;
  });
  return `${quoteIdent(idColumn)} AS entity_id, ${quoteIdent(nameColumn)} AS entity_name, ${bucketOf(quoteIdent(source.sketched))} AS bucket, 1 AS n, ${metrics.join(', ')}`;
}

const mergedMetrics = (only: readonly string[] = METRICS): string =>
  only.map((m) => `sum(${m}_n) AS ${m}_n, sum(${m}_sum) AS ${m}_sum, min(${m}_min) AS ${m}_min, max(${m}_max) AS ${m}_max`).join(', ');

/**
 * Statements rolling up the minutes in [fromMs, toMs) of one source that are not rolled up
 * yet, then marking them (rows of every tenant). Run in one transaction, serialized with writes.
 */
export function buildRollupStatements(source: RollupSource, fromMs: number, toMs: number): { sql: string; params: DuckDBValue[] }[] {
  const view = quoteIdent(source.view);
  const time = quoteIdent(source.timeColumn);
  const rolled = `(SELECT minute_ms FROM ${ROLLED_MINUTES_TABLE} WHERE view_name = $1)`;
  const stmts: { sql: string; params: DuckDBValue[] }[] = [
    // Leftovers of a minute that is not marked (none, unless a build was cut short) go first.
    { sql: `DELETE FROM ${ROLLUP_TABLE} WHERE view_name = $1 AND minute_ms >= $2 AND minute_ms < $3 AND minute_ms NOT IN ${rolled}`, params: [source.view, BigInt(fromMs), BigInt(toMs)] },
  ];
  for (const e of source.entities) {
    stmts.push({
      sql: `INSERT INTO ${ROLLUP_TABLE} BY NAME
SELECT tenant_id, $1 AS view_name, $4 AS id_column, entity_id, any_value(entity_name) AS entity_name, minute_ms, bucket, sum(n) AS n, ${mergedMetrics()}
FROM (SELECT tenant_id, ${minuteOf(time)} AS minute_ms, ${rowAsEntry(source, e.idColumn, e.nameColumn)} FROM ${view}
  WHERE ${time} >= $2 AND ${time} < $3 AND ${quoteIdent(e.idColumn)} IS NOT NULL AND ${quoteIdent(e.idColumn)} <> '' AND ${minuteOf(time)} NOT IN ${rolled})
GROUP BY tenant_id, entity_id, minute_ms, bucket`,
      params: [source.view, BigInt(fromMs), BigInt(toMs), e.idColumn],
    });
  }
  stmts.push({
    sql: `INSERT INTO ${ROLLED_MINUTES_TABLE} SELECT $1, m FROM range($2::BIGINT, $3::BIGINT, ${ROLLUP_MINUTE_MS}::BIGINT) r(m) WHERE m NOT IN ${rolled}`,
    params: [source.view, BigInt(fromMs), BigInt(toMs)],
  });
  return stmts;
}

/** Forgets rolled-up minutes of a source (a write touched them): they are read from the view again. */
export function invalidateStatements(view: string, minutes: readonly number[]): { sql: string; params: DuckDBValue[] }[] {
  const list = minutes.map((_, i) => `$${i + 2}`).join(', ');
  const params = [view, ...minutes.map((m) => BigInt(m))];
  return [
    { sql: `DELETE FROM ${ROLLUP_TABLE} WHERE view_name = $1 AND minute_ms IN (${list})`, params },
    { sql: `DELETE FROM ${ROLLED_MINUTES_TABLE} WHERE view_name = $1 AND minute_ms IN (${list})`, params },
  ];
}

/** The minutes (start, ms) the rows of these traces fall in, per rollup source. */
export function storedMinutesSql(source: RollupSource, traceCount: number): string {
  const ids = Array.from({ length: traceCount }, (_, i) => `$${i + 2}`).join(', ');
  // The trace-id index serves a lookup that is its scan's only filter (see sql.ts lookupPredicate).
  const view = quoteIdent(source.view);
  return `SELECT DISTINCT ${minuteOf(quoteIdent(source.timeColumn))} AS m FROM ${view} WHERE rowid IN (SELECT rowid FROM ${view} WHERE trace_id IN (${ids})) AND tenant_id = $1`;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** Where a plan's rows come from: the rollup for whole rolled-up minutes, the view for the rest. */
export interface RollupParts {
  /** Minute starts, as ranges of rollup rows (minute_ms in [fromMs, toMs)). */
  rolled: TimeRange[];
  /** Time ranges of view rows. */
  fromView: TimeRange[];
}

/** Splits [fromMs, toMs) by the rolled-up minutes; undefined when no whole minute of it is rolled up. */
export function rollupParts(fromMs: number, toMs: number, marks: ReadonlySet<number>): RollupParts | undefined {
  const parts: RollupParts = { rolled: [], fromView: [] };
  const push = (list: TimeRange[], a: number, b: number) => {
    const last = list[list.length - 1];
    if (last && last.toMs === a) last.toMs = b;
    else list.push({ fromMs: a, toMs: b });
  };
  let at = fromMs;
  for (let m = Math.ceil(fromMs / ROLLUP_MINUTE_MS) * ROLLUP_MINUTE_MS; m + ROLLUP_MINUTE_MS <= toMs; m += ROLLUP_MINUTE_MS) {
    if (!marks.has(m)) continue;
    if (at < m) push(parts.fromView, at, m);
    push(parts.rolled, m, m + ROLLUP_MINUTE_MS);
    at = m + ROLLUP_MINUTE_MS;
  }
  if (parts.rolled.length === 0) return undefined;
  if (at < toMs) push(parts.fromView, at, toMs);
  return parts;
}

/**
 * A rollup plan as SQL: rolled-up minutes inside the range from the rollup, every other row of
 * the range from the view, merged per entity and bucket in one aggregation. `finishRollup`
 * merges the buckets of each entity (sums, percentiles), orders and pages: there are few
 * entities, and one hash aggregation here runs much faster on a busy machine than windowed
 * percentiles in SQL (each extra pipeline waits on every thread).
 */
export function renderRollupQuery(plan: RollupPlan, parts: RollupParts): { sql: string; params: DuckDBValue[] } {
  const params: DuckDBValue[] = [];
  const param = (v: DuckDBValue): string => (params.push(v), `$${params.length}`);
  const { source, entity } = plan;
  const time = quoteIdent(source.timeColumn);
  const id = quoteIdent(entity.idColumn);
  const tenant = param(plan.tenant);
  const idsIn = (col: string) => (plan.ids === undefined ? '' : ` AND ${col} IN (${plan.ids.map((v) => param(v)).join(', ') || 'NULL'})`);
  const within = (col: string, ranges: readonly TimeRange[]) =>
    ranges.length === 0 ? 'false' : `(${ranges.map((r) => `(${col} >= ${param(BigInt(r.fromMs))} AND ${col} < ${param(BigInt(r.toMs))})`).join(' OR ')})`;
  // Only the metrics the plan reads: each costs four columns to scan and merge.
  const metrics = METRICS.filter((m) => m === source.sketched || plan.aggregates.some((a) => 'column' in a && a.column === m));
  const entryColumns = `entity_id, entity_name, bucket, n, ${metrics.flatMap(metricColumns).join(', ')}`;
  const src = `SELECT ${entryColumns} FROM ${ROLLUP_TABLE}
  WHERE tenant_id = ${tenant} AND view_name = ${param(source.view)} AND id_column = ${param(entity.idColumn)} AND ${within('minute_ms', parts.rolled)}${idsIn('entity_id')}
UNION ALL
SELECT ${rowAsEntry(source, entity.idColumn, entity.nameColumn, metrics)} FROM ${quoteIdent(source.view)}
  WHERE tenant_id = ${tenant} AND ${id} IS NOT NULL AND ${id} <> ''${idsIn(id)} AND ${within(time, parts.fromView)}`;
  return { sql: `SELECT entity_id, any_value(entity_name) AS entity_name, bucket, sum(n) AS n, ${mergedMetrics(metrics)} FROM (${src}) GROUP BY entity_id, bucket`, params };
}

interface EntityTotals {
  id: string;
  name: unknown;
  n: number;
  metrics: Map<string, { n: number; sum: number | null; min: number | null; max: number | null }>;
  /** Sketch buckets of the sketched metric: bucket, count, smallest and largest value. */
  buckets: { bucket: number; n: number; min: number; max: number }[];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const merge = (a: number | null, b: number | null, f: (x: number, y: number) => number): number | null => (a === null ? b : b === null ? a : f(a, b));

/**
 * A bucket's value: the middle of its range in relative terms (2γ^i/(γ+1)), kept inside the
 * smallest and largest value the bucket actually holds (so a bucket of one value is exact).
 */
function bucketValue(b: { bucket: number; min: number; max: number }): number {
  const mid = b.bucket <= 0 ? 0 : (2 * SKETCH_GAMMA ** (b.bucket - 1)) / (SKETCH_GAMMA + 1);
  return Math.max(Math.min(mid, b.max), b.min);
}

/** Nearest rank: the first bucket whose running count reaches ceil(p/100 × count). */
function percentileOf(buckets: EntityTotals['buckets'], percentile: number): number | null {
  const total = buckets.reduce((s, b) => s + b.n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((percentile / 100) * total));
  let running = 0;
  for (const b of buckets) {
    running += b.n;
    if (running >= rank) return bucketValue(b);
  }
  return bucketValue(buckets[buckets.length - 1]);
}

/** The rows (and total) the view query would have answered, from the bucket rows. */
export function finishRollup(plan: RollupPlan, rows: Record<string, unknown>[]): { rows: Record<string, unknown>[]; total?: number } {
  const byId = new Map<string, EntityTotals>();
  for (const r of rows) {
    const id = String(r.entity_id);
    let e = byId.get(id);
    if (!e) byId.set(id, (e = { id, name: null, n: 0, metrics: new Map(), buckets: [] }));
    e.name ??= r.entity_name ?? null;
    e.n += Number(r.n);
    for (const m of METRICS) {
      if (!(`${m}_n` in r)) continue;
      const got = { n: Number(r[`${m}_n`]), sum: num(r[`${m}_sum`]), min: num(r[`${m}_min`]), max: num(r[`${m}_max`]) };
      const had = e.metrics.get(m);
      e.metrics.set(m, had ? { n: had.n + got.n, sum: merge(had.sum, got.sum, (x, y) => x + y), min: merge(had.min, got.min, Math.min), max: merge(had.max, got.max, Math.max) } : got);
    }
    const bucket = Number(r.bucket);
    const d = { n: Number(r[`${plan.source.sketched}_n`]), min: num(r[`${plan.source.sketched}_min`]), max: num(r[`${plan.source.sketched}_max`]) };
    if (bucket >= 0 && d.n > 0 && d.min !== null && d.max !== null) e.buckets.push({ bucket, n: d.n, min: d.min, max: d.max });
  }
  const out = [...byId.values()].map((e) => {
    e.buckets.sort((a, b) => a.bucket - b.bucket);
    const row: Record<string, unknown> = { id: e.id };
    for (const a of plan.aggregates) {
      const m = a.kind === 'sum' || a.kind === 'min' || a.kind === 'max' || a.kind === 'avg' ? e.metrics.get(a.column)! : undefined;
      switch (a.kind) {
        case 'count': row[a.as] = e.n; break;
        case 'name': row[a.as] = e.name; break;
        case 'sum': row[a.as] = m!.sum; break;
        case 'min': row[a.as] = m!.min; break;
        case 'max': row[a.as] = m!.max; break;
        case 'avg': row[a.as] = m!.n === 0 || m!.sum === null ? null : m!.sum / m!.n; break;
        case 'percentile': row[a.as] = percentileOf(e.buckets, a.percentile); break;
      }
    }
    return row;
  });
  // ORDER BY … NULLS LAST, as the SQL renderers order.
  const compare = (x: unknown, y: unknown): number => {
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
  };
  out.sort((a, b) => {
    for (const o of plan.orderBy) {
      const c = compare(a[o.as], b[o.as]);
      const nullish = a[o.as] == null || b[o.as] == null;
      if (c !== 0) return o.direction === 'DESC' && !nullish ? -c : c;
    }
    return 0;
  });
  const page = out.slice(plan.offset, plan.offset + plan.limit);
  return { rows: page, ...(plan.withTotal ? { total: out.length } : {}) };
}
