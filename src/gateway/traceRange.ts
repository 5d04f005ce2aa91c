// Spans of named traces, found without scanning: a span query whose filters name trace ids
// (an ID filter on TRACE, or traceId EQUALS / IN) first reads those traces' own time range from
// rawTraceView (one row per trace), and narrows its time range to it. Every span of a trace
// starts inside [trace start, trace end], so the answer is the same, and the span view's scan
// skips every row group outside the range by its min/max (zone maps). DuckDB ignores its
// trace-id index for a parameterized id, so without this a trace lookup scans the column.
import type { Predicate } from '../store/query.ts';
import type { AttributeCatalog } from './catalog.ts';
import type { GatewayContext } from './graphqlTypes.ts';
import { filterPredicate, timeRangeOf, type FilterArg, type ResultSetArgs } from './planner.ts';

/** The trace ids a SPAN query's filters pin it to (normalized), or undefined when they do not. */
export function pinnedTraceIds(cat: AttributeCatalog, filters: ResultSetArgs['filterBy']): string[] | undefined {
  const scope = cat.scope('SPAN');
  const traceColumn = cat.column(cat.attribute('SPAN', 'traceId'), 'trace id');
  let ids: string[] | undefined;
  for (const f of filters ?? []) {
    if (!f || (f.operator !== 'EQUALS' && f.operator !== 'IN')) continue;
    const p: Predicate = filterPredicate(cat, scope, f as FilterArg);
    let values: unknown[];
    if (p.op === 'eq') values = [p.value];
    else if (p.op === 'in') values = p.values;
    else continue;
    if (p.ref.column !== traceColumn || p.ref.key !== undefined) continue;
    values = values.filter((v) => typeof v === 'string');
    // Several pinning filters are ANDed: the traces all of them name.
    ids = ids === undefined ? (values as string[]) : ids.filter((id) => values.includes(id));
  }
  return ids;
}

/**
 * `args` with `between` narrowed to the pinned traces' time range; null when none of them is
 * stored in the range (the answer is empty); `args` unchanged when no trace id is pinned.
 */
export async function narrowToTraces(ctx: GatewayContext, args: ResultSetArgs): Promise<ResultSetArgs | null> {
  if (!args.between) return args;
  const ids = pinnedTraceIds(ctx.catalog, args.filterBy);
  if (ids === undefined) return args;
  if (ids.length === 0) return null;
  const cat = ctx.catalog;
  const trace = cat.scope('TRACE');
  const col = (key: string) => cat.column(cat.attribute('TRACE', key), 'trace range');
  const range = timeRangeOf(args.between);
  const result = await ctx.store.query({
    view: trace.view, tenant: ctx.tenant, select: [], limit: 1,
    where: [{ op: 'in', ref: { column: col('id') }, values: ids }],
    aggregates: [{ as: 's', fn: 'min', ref: { column: col('startTime') } }, { as: 'e', fn: 'max', ref: { column: col('endTime') } }],
  });
  const row = result.rows[0];
  if (!row || row.s === null || row.s === undefined) return null;
  const startTime = Math.max(range.startTime, Number(row.s));
  const endTime = Math.min(range.endTime, Number(row.e) + 1);
  if (startTime >= endTime) return null;
  return { ...args, between: { startTime, endTime } };
}
