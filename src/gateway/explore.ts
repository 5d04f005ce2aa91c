// Explore (reference §4 "Explore"): aggregations of any scope, grouped by attributes and/or by
// time interval. Without grouping or aggregation it is a plain row selection. With a group-by,
// the top `groupLimit` groups come first (ordered by the request's order, else the first
// aggregation, descending); with an interval, the series is then computed for those groups
// only; `includeRest` adds the `__Other` group over every row outside them.
import { TesseraError } from '../errors.ts';
import type { Aggregate, OrderTerm, Predicate, ViewQuery, ViewQueryResult } from '../store/query.ts';
import type { AggregationType, AttributeDef, ScopeDef } from './catalog.ts';
import type { AggregatableOrderArg } from './entities.ts';
import type { GatewayContext, ResultSet } from './graphqlTypes.ts';
import { intervalMs, metricSlot, metricType, planMetric, type PlannedMetric, type TimeUnit } from './metrics.ts';
import { pageOf, refOf, rowOrder, scopeWhere, slotOf, timeRangeOf, type AttributeRequest, type FilterArg } from './planner.ts';
import { filterValue, outputValue } from './values.ts';

export const OTHER_GROUP = '__Other';

export interface SelectionRequest {
  key: string;
  subpath?: string;
  aggregation?: AggregationType;
  size?: number;
  units?: TimeUnit;
}

export interface ExploreSelection {
  requests: SelectionRequest[];
  rows: boolean;
  total: boolean;
}

export interface ExploreArgs {
  context?: string | null;
  scope?: string | null;
  between?: { startTime: number; endTime: number } | null;
  space?: string | null;
  limit?: number | null;
  offset?: number | null;
  filterBy?: readonly (FilterArg | null)[] | null;
  orderBy?: readonly (AggregatableOrderArg | null)[] | null;
  groupBy?: { keys?: (string | null)[] | null; expressions?: ({ key: string; subpath?: string | null } | null)[] | null; includeRest?: boolean | null; groupLimit?: number | null } | null;
  interval?: { size: number; units: TimeUnit } | null;
}

export interface ExploreRow {
  intervalStart?: number;
  /** By exploreSlot: the value and its AttributeType. */
  values: Map<string, { value: unknown; type: string }>;
}

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);

/** The slot of a selection: its metric slot when aggregated, else its attribute slot. */
export const exploreSlot = (r: SelectionRequest): string =>
  r.aggregation ? metricSlot({ ...r, aggregation: r.aggregation }) : slotOf(r.subpath === undefined ? { key: r.key } : { key: r.key, subpath: r.subpath });

interface Group {
  as: string;
  def: AttributeDef;
  req: AttributeRequest;
}

/** The planned aggregates and group keys of an aggregating explore. */
class Plan {
  readonly metrics = new Map<string, PlannedMetric>();
  readonly groups: Group[] = [];

  constructor(readonly ctx: GatewayContext, readonly scope: ScopeDef) {}

  metric(r: SelectionRequest & { aggregation: AggregationType }): string {
    const slot = metricSlot(r);
    const known = this.metrics.get(slot);
    if (known) return known.aggregate.as;
    const planned = planMetric(this.ctx.catalog, this.scope, r, `m${this.metrics.size}`);
    this.metrics.set(slot, planned);
    return planned.aggregate.as;
  }

  group(req: AttributeRequest): void {
    const def = this.ctx.catalog.attribute(this.scope.scope, req.key);
    if (def.type === 'STRING_MAP' && req.subpath === undefined) throw bad(`cannot group by the map ${req.key} without a subpath`);
    refOf(this.ctx.catalog, def, req.subpath, `group by ${req.key}`);
    this.groups.push({ as: `g${this.groups.length}`, def, req });
  }

  groupOf(req: AttributeRequest): Group | undefined {
    return this.groups.find((g) => slotOf(g.req) === slotOf(req));
  }

  groupBy() {
    return this.groups.map((g) => ({ as: g.as, ref: refOf(this.ctx.catalog, g.def, g.req.subpath, `group by ${g.req.key}`) }));
  }

  aggregates(): Aggregate[] {
    return [...this.metrics.values()].map((m) => m.aggregate);
  }
}

/** Rows of the groups named by `rows` (their values of each key), as a predicate. */
function groupsPredicate(plan: Plan, rows: Record<string, unknown>[]): Predicate {
  const refs = plan.groupBy();
  return {
    op: 'or',
    terms: rows.map((row) => ({
      op: 'and' as const,
      terms: refs.map((g, i): Predicate => {
        const v = row[g.as];
        const def = plan.groups[i].def;
        const value = v === null || v === undefined ? null : g.ref.key !== undefined ? String(v) : filterValue({ ...def, format: undefined }, v);
        return { op: 'eq', ref: g.ref, value };
      }),
    })),
  };
}

export async function runExplore(ctx: GatewayContext, args: ExploreArgs, sel: ExploreSelection): Promise<ResultSet<ExploreRow>> {
  const cat = ctx.catalog;
  const scopeName = args.scope ?? args.context;
  if (!scopeName) throw bad('explore needs a scope (or context)');
  const scope = cat.scope(scopeName);
  const range = args.between ? timeRangeOf(args.between) : undefined;
  const { limit, offset } = pageOf(args);
  const where = scopeWhere(cat, scope, { between: range ?? null, filterBy: args.filterBy ?? null, space: args.space ?? null });
  const groupReqs: AttributeRequest[] = (args.groupBy?.expressions ?? []).filter((e): e is { key: string; subpath?: string | null } => e !== null)
    .map((e) => (e.subpath == null ? { key: e.key } : { key: e.key, subpath: e.subpath }));
  if (groupReqs.length === 0) for (const k of args.groupBy?.keys ?? []) if (k) groupReqs.push({ key: k });
  const aggregating = groupReqs.length > 0 || args.interval != null || sel.requests.some((r) => r.aggregation) || (args.orderBy ?? []).some((o) => o?.aggregation);

  if (!aggregating) return plainRows(ctx, scope, args, sel, where, limit, offset);

  const periodMs = args.interval ? intervalMs(args.interval.size, args.interval.units, 'interval') : undefined;
  const windowMs = periodMs ?? (range ? range.endTime - range.startTime : undefined);
  const plan = new Plan(ctx, scope);
  for (const g of groupReqs) plan.group(g);
  for (const r of sel.requests) {
    if (r.aggregation) {
      if (r.aggregation === 'AVGRATE' && windowMs === undefined) throw bad('AVGRATE needs a time range (between) or an interval');
      plan.metric({ ...r, aggregation: r.aggregation });
    } else if (!plan.groupOf(r)) {
      throw bad(`selection ${r.key} without an aggregation must be one of the groupBy expressions`);
    }
  }
  if (plan.metrics.size === 0) plan.metric({ key: scope.idKey, aggregation: 'COUNT' });
  const order: OrderTerm[] = [];
  for (const o of args.orderBy ?? []) {
    if (!o) continue;
    const key = o.keyExpression?.key ?? o.key;
    if (!key) throw bad('orderBy needs keyExpression {key} (or key)');
    const req: SelectionRequest = { key, ...(o.keyExpression?.subpath == null ? {} : { subpath: o.keyExpression.subpath }) };
    const direction = o.direction ?? 'ASC';
    if (o.aggregation) order.push({ as: plan.metric({ ...req, aggregation: o.aggregation, ...(o.size == null ? {} : { size: o.size }) }), direction });
    else {
      const g = plan.groupOf(req);
      if (!g) throw bad(`cannot order by ${key}: it is neither aggregated nor grouped by`);
      order.push({ as: g.as, direction });
    }
  }
  if (order.length === 0 && plan.groups.length > 0) order.push({ as: plan.aggregates()[0].as, direction: 'DESC' });
  const keyOrder: OrderTerm[] = plan.groups.map((g) => ({ as: g.as, direction: 'ASC' }));
  // Tells an empty `__Other` group (no rows outside the top groups) from a real one.
  const countAs = plan.metric({ key: scope.idKey, aggregation: 'COUNT' });
  const base = { view: scope.view, tenant: ctx.tenant, select: [], groupBy: plan.groupBy(), aggregates: plan.aggregates() };
  const rowOf = (raw: Record<string, unknown>, other = false): ExploreRow => {
    const values = new Map<string, { value: unknown; type: string }>();
    for (const g of plan.groups) values.set(slotOf(g.req), { value: other ? OTHER_GROUP : outputValue(g.def, raw[g.as], g.req.subpath), type: g.req.subpath === undefined ? g.def.type : 'STRING' });
    for (const [slot, m] of plan.metrics) values.set(slot, { value: m.finish(raw[m.aggregate.as], windowMs ?? 0), type: metricType(m.def, aggOf(slot)) });
    return { ...(raw.bucket === undefined ? {} : { intervalStart: Number(raw.bucket) }), values };
  };
  const groupLimit = args.groupBy?.groupLimit ?? limit;
  const includeRest = args.groupBy?.includeRest === true && plan.groups.length > 0;

  if (periodMs === undefined) {
    // Groups (or one row of aggregations over everything).
    const top = await ctx.store.query({ ...base, where, orderBy: [...order, ...keyOrder], limit: Math.min(groupLimit, limit), offset, withTotal: sel.total || includeRest });
    const rows = top.rows.map((r) => rowOf(r));
    let total = top.total;
    if (includeRest && top.rows.length > 0 && (top.total ?? 0) > top.rows.length + offset) {
      const rest = await ctx.store.query({ ...base, groupBy: [], where: [...where, { op: 'not', term: groupsPredicate(plan, top.rows) }], limit: 1 });
      if (rest.rows.length > 0 && Number(rest.rows[0][countAs]) > 0) {
        rows.push(rowOf(rest.rows[0], true));
        total = (total ?? 0) + 1;
      }
    }
    return resultOf(rows, sel.total ? total : undefined);
  }

  // A series: buckets of the (aligned) range, for the top groups when grouping.
  const bucket = { as: 'bucket', column: cat.column(cat.attribute(scope.scope, scope.startTimeKey), 'interval'), sizeMs: periodMs };
  let seriesWhere = where;
  let topRows: Record<string, unknown>[] = [];
  if (plan.groups.length > 0) {
    topRows = (await ctx.store.query({ ...base, where, orderBy: [...order, ...keyOrder], limit: groupLimit })).rows;
    if (topRows.length === 0) return resultOf([], sel.total ? 0 : undefined);
    seriesWhere = [...where, groupsPredicate(plan, topRows)];
  }
  const series: ViewQueryResult = await ctx.store.query({
    ...base, where: seriesWhere, bucket,
    orderBy: [{ as: 'bucket', direction: 'ASC' }, ...keyOrder], limit, offset, withTotal: sel.total,
  });
  const rows = series.rows.map((r) => rowOf(r));
  let total = series.total;
  if (includeRest) {
    const restQuery: ViewQuery = { ...base, groupBy: [], where: [...where, { op: 'not', term: groupsPredicate(plan, topRows) }], bucket, orderBy: [{ as: 'bucket', direction: 'ASC' }], limit };
    const rest = await ctx.store.query(restQuery);
    const others = rest.rows.filter((r) => Number(r[countAs]) > 0).map((r) => rowOf(r, true));
    rows.push(...others);
    rows.sort((x, y) => (x.intervalStart ?? 0) - (y.intervalStart ?? 0));
    if (total !== undefined) total += others.length;
  }
  return resultOf(rows, sel.total ? total : undefined);
}

/** The aggregation a metric slot names. */
const aggOf = (slot: string): AggregationType => slot.split('\u0000')[2] as AggregationType;

const resultOf = (rows: ExploreRow[], total: number | undefined): ResultSet<ExploreRow> => ({ results: rows, count: rows.length, ...(total === undefined ? {} : { total }) });

/** No aggregation and no grouping: the selected attributes of matching rows. */
async function plainRows(
  ctx: GatewayContext,
  scope: ScopeDef,
  args: ExploreArgs,
  sel: ExploreSelection,
  where: Predicate[],
  limit: number,
  offset: number,
): Promise<ResultSet<ExploreRow>> {
  const cat = ctx.catalog;
  const defs = new Map<string, { as: string; def: AttributeDef; subpath?: string }>();
  for (const r of sel.requests) {
    const slot = exploreSlot(r);
    if (defs.has(slot)) continue;
    const def = cat.attribute(scope.scope, r.key);
    defs.set(slot, { as: `v${defs.size}`, def, ...(r.subpath === undefined ? {} : { subpath: r.subpath }) });
  }
  if (defs.size === 0) defs.set(scope.idKey, { as: 'v0', def: cat.attribute(scope.scope, scope.idKey) });
  const orderBy = rowOrder(cat, scope, (args.orderBy ?? []).filter((o): o is AggregatableOrderArg => o !== null));
  const result = await ctx.store.query({
    view: scope.view, tenant: ctx.tenant, where, orderBy, limit: sel.rows ? limit : 0, offset, withTotal: sel.total,
    select: [...defs.values()].map((d) => ({ as: d.as, ref: refOf(cat, d.def, d.subpath, `selection ${d.def.key}`) })),
  });
  const rows = result.rows.map((raw) => {
    const values = new Map<string, { value: unknown; type: string }>();
    for (const [slot, d] of defs) values.set(slot, { value: outputValue(d.def, raw[d.as], d.subpath), type: d.subpath === undefined ? d.def.type : 'STRING' });
    return { values };
  });
  return resultOf(rows, result.total);
}
