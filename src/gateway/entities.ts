// Entities with metrics (reference §4 "Entities with metrics"): live entities are a group-by
// over the scope's view in the time range (`GROUP BY id`, one aggregate per requested metric,
// attributes as a value of the group), ordered and paged in the query when it can be; values
// only the entity store has are fetched by id afterwards; `includeInactive` anchors on the
// entity store (every known entity, metrics joined by id); series are one more query per
// interval size, edges one per edge request.
import { TesseraError } from '../errors.ts';
import type { StoredEntity } from '../store/entities.ts';
import type { Aggregate, OrderTerm, Predicate, ViewQuery } from '../store/query.ts';
import type { AggregationType, AttributeDef, ScopeDef } from './catalog.ts';
import { fetchEdges } from './edges.ts';
import { allEntities, entityFilter, entityValue, sortRows } from './entitySource.ts';
import type { EntityFields } from './entitySelection.ts';
import type { EntityRow } from './entityTypes.ts';
import type { GatewayContext, ResultSet } from './graphqlTypes.ts';
import { intervalMs, metricSlot, planMetric, seriesSlot, type MetricRequest, type PlannedMetric } from './metrics.ts';
import { filterTarget, MAX_LIMIT, pageOf, refOf, scopeWhere, slotOf, timeRangeOf, type AttributeExpression, type AttributeRequest, type FilterArg } from './planner.ts';
import { outputValue } from './values.ts';

export interface AggregatableOrderArg {
  key?: string | null;
  keyExpression?: AttributeExpression | null;
  direction?: 'ASC' | 'DESC' | null;
  aggregation?: AggregationType | null;
  size?: number | null;
}

export interface EntitiesArgs {
  type?: string | null;
  scope?: string | null;
  between: { startTime: number; endTime: number } | null;
  space?: string | null;
  filterBy?: readonly (FilterArg | null)[] | null;
  orderBy?: readonly (AggregatableOrderArg | null)[] | null;
  limit?: number | null;
  offset?: number | null;
  includeInactive?: boolean | null;
}

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);

/** The entity scope named by `scope` (or the deprecated `type`). */
export function entityScope(ctx: GatewayContext, name: string | null | undefined): ScopeDef {
  if (!name) throw bad('entities needs a scope (or type)');
  const scope = ctx.catalog.scope(name);
  if (!scope.entityType) throw bad(`scope ${scope.scope} is not an entity scope (SERVICE, API or BACKEND)`);
  return scope;
}

/** The view query's shape: group by id, aggregates for attributes, metrics and orders. */
class EntityQuery {
  readonly aggregates: Aggregate[] = [];
  readonly metrics = new Map<string, PlannedMetric & { as: string }>();
  readonly attrs = new Map<string, { as: string; def: AttributeDef; subpath?: string }>();
  /** Attributes only the entity store holds, by slot. */
  readonly edsAttrs = new Map<string, AttributeDef>();

  constructor(private readonly ctx: GatewayContext, readonly scope: ScopeDef) {}

  attribute(r: AttributeRequest): string | undefined {
    const slot = slotOf(r);
    if (r.key === this.scope.idKey && r.subpath === undefined) return 'id';
    const known = this.attrs.get(slot);
    if (known) return known.as;
    const def = this.ctx.catalog.attribute(this.scope.scope, r.key);
    if (!def.source) {
      if (def.entity) this.edsAttrs.set(slot, def);
      return undefined;
    }
    const as = `a${this.attrs.size}`;
    this.aggregates.push({ as, fn: 'any', ref: refOf(this.ctx.catalog, def, r.subpath, `attribute ${r.key}`) });
    this.attrs.set(slot, { as, def, ...(r.subpath === undefined ? {} : { subpath: r.subpath }) });
    return as;
  }

  metric(m: MetricRequest): string {
    const slot = metricSlot(m);
    const known = this.metrics.get(slot);
    if (known) return known.as;
    const as = `m${this.metrics.size}`;
    const planned = planMetric(this.ctx.catalog, this.scope, m, as);
    this.aggregates.push(planned.aggregate);
    this.metrics.set(slot, { ...planned, as });
    return as;
  }
}

interface Order {
  /** The aggregate alias when the view query computes it. */
  as?: string;
  /** Entity-store-only attribute: sorted in memory. */
  eds?: AttributeDef;
  slot: string;
  metric: boolean;
  direction: 'ASC' | 'DESC';
}

function ordersOf(ctx: GatewayContext, q: EntityQuery, args: EntitiesArgs): Order[] {
  const given = (args.orderBy ?? []).filter((o): o is AggregatableOrderArg => o !== null);
  const terms = given.length > 0
    ? given.map((o) => {
      const key = o.keyExpression?.key ?? o.key;
      if (!key) throw bad('orderBy needs keyExpression {key} (or key)');
      const subpath = o.keyExpression?.subpath ?? undefined;
      return { key, subpath, aggregation: o.aggregation ?? undefined, size: o.size ?? undefined, direction: o.direction ?? 'ASC' };
    })
    : q.scope.defaultOrder.map((o) => ({ key: o.key, subpath: undefined, aggregation: undefined, size: undefined, direction: o.direction }));
  return terms.map((t) => {
    const target = t.subpath === undefined ? { key: t.key } : { key: t.key, subpath: t.subpath };
    if (t.aggregation) {
      const m: MetricRequest = { ...target, aggregation: t.aggregation, ...(t.size === undefined ? {} : { size: t.size }) };
      return { as: q.metric(m), slot: metricSlot(m), metric: true, direction: t.direction };
    }
    const as = q.attribute(target);
    if (as !== undefined) return { as, slot: slotOf(target), metric: false, direction: t.direction };
    return { eds: ctx.catalog.attribute(q.scope.scope, t.key), slot: slotOf(target), metric: false, direction: t.direction };
  });
}

/** A row with its id, also as `attribute(id)`. */
export const emptyRow = (id: string, type: string, idKey = 'id'): EntityRow =>
  ({ id, type, attrs: new Map([[idKey, id]]), metrics: new Map(), series: new Map(), edges: new Map() });

/** Entities of one scope with what `fields` asks of them (also used for edge neighbors). */
export async function fetchEntities(ctx: GatewayContext, args: EntitiesArgs, fields: EntityFields, withTotal: boolean): Promise<ResultSet<EntityRow>> {
  const { catalog: cat, tenant } = ctx;
  const scope = entityScope(ctx, args.scope ?? args.type);
  const range = timeRangeOf(args.between);
  const { limit, offset } = pageOf(args);
  const windowMs = range.endTime - range.startTime;
  const type = scope.entityType!;

  // Filters: on the view where it has the attribute, else on the entity store.
  const filters = (args.filterBy ?? []).filter((f): f is FilterArg => f !== null).map((f) => ({ f, ...filterTarget(cat, scope, f) }));
  const viewFilters: FilterArg[] = [];
  const edsTests: ((e: StoredEntity) => boolean)[] = [];
  for (const { f, def } of filters) {
    if (def.source) viewFilters.push(f);
    else if (def.entity) edsTests.push(entityFilter(def, f));
    else cat.column(def, `filter on ${def.key}`);
  }
  const anchored = args.includeInactive === true && ctx.entities !== undefined && filters.every(({ def, subpath }) => def.entity !== undefined && subpath === undefined);

  const q = new EntityQuery(ctx, scope);
  for (const r of fields.attributes) q.attribute(r);
  for (const m of fields.metrics) q.metric(m);
  const orders = ordersOf(ctx, q, args);
  const idColumn = cat.column(cat.attribute(scope.scope, scope.idKey), 'entity id');
  const where: Predicate[] = [
    ...scopeWhere(cat, scope, { between: range, filterBy: anchored ? [] : viewFilters, space: args.space ?? null }),
    { op: 'neq', ref: { column: idColumn }, value: null },
    { op: 'neq', ref: { column: idColumn }, value: '' },
  ];

  let known: StoredEntity[] | undefined;
  if (anchored || edsTests.length > 0) {
    if (!ctx.entities) throw bad(`a filter on an entity-store attribute of ${scope.scope} needs the entity store`);
    const tests = anchored ? filters.map(({ f, def }) => entityFilter(def, f)) : edsTests;
    known = (await allEntities(ctx.entities, tenant, type)).filter((e) => tests.every((test) => test(e)));
    if (!anchored) where.push({ op: 'in', ref: { column: idColumn }, values: known.map((e) => e.id) });
  }
  if (anchored) where.push({ op: 'in', ref: { column: idColumn }, values: known!.map((e) => e.id) });

  // Order, limit and offset go into the query unless the entity store decides the order or
  // the set (then all rows come back, up to the bound, and are sorted and paged here).
  const pushDown = !anchored && orders.every((o) => o.as !== undefined);
  const query: ViewQuery = {
    view: scope.view, tenant, select: [], where,
    groupBy: [{ as: 'id', ref: { column: idColumn } }],
    aggregates: q.aggregates,
    orderBy: pushDown ? [...orders.map((o): OrderTerm => ({ as: o.as!, direction: o.direction })), { as: 'id', direction: 'ASC' }] : [],
    limit: pushDown ? limit : MAX_LIMIT,
    offset: pushDown ? offset : 0,
    withTotal: withTotal && pushDown,
  };
  const result = await ctx.store.query(query);
  const byId = new Map<string, EntityRow>();
  for (const raw of result.rows) {
    const row = emptyRow(String(raw.id), type, scope.idKey);
    for (const [slot, a] of q.attrs) row.attrs.set(slot, outputValue(a.def, raw[a.as], a.subpath));
    for (const [slot, m] of q.metrics) row.metrics.set(slot, m.finish(raw[m.as], windowMs));
    byId.set(row.id, row);
  }
  let rows: EntityRow[];
  let total = result.total;
  if (anchored) {
    // Every known entity; one without traffic has no metrics and its stored attributes.
    rows = known!.map((e) => {
      const row = byId.get(e.id) ?? emptyRow(e.id, type, scope.idKey);
      for (const [slot, a] of q.attrs) if (row.attrs.get(slot) == null && a.def.entity && a.subpath === undefined) row.attrs.set(slot, entityValue(a.def, e));
      return row;
    });
  } else rows = [...byId.values()];
  if (!pushDown) {
    await fillFromEntityStore(ctx, q, rows, known);
    const value = (o: Order) => (row: EntityRow) => (o.metric ? row.metrics.get(o.slot) : row.attrs.get(o.slot));
    sortRows(rows, [...orders.map((o) => ({ get: value(o), direction: o.direction })), { get: (r: EntityRow) => r.id, direction: 'ASC' as const }]);
    total = rows.length;
    rows = rows.slice(offset, offset + limit);
  } else await fillFromEntityStore(ctx, q, rows, known);

  if (rows.length > 0) {
    // Series and edge requests are independent queries: the store's readers run them side by side.
    await Promise.all([
      fetchSeries(ctx, scope, rows, fields, range, { filterBy: anchored ? [] : viewFilters, space: args.space ?? null }),
      ...fields.edges.map((edge) => fetchEdges(ctx, scope, rows, edge, range, fetchEntities)),
    ]);
  }
  return { results: rows, count: rows.length, ...(withTotal ? { total: total ?? rows.length } : {}) };
}

/** Values only the entity store has, by id, for the rows of this page. */
async function fillFromEntityStore(ctx: GatewayContext, q: EntityQuery, rows: EntityRow[], known: StoredEntity[] | undefined): Promise<void> {
  if (q.edsAttrs.size === 0 || rows.length === 0) return;
  const stored = new Map<string, StoredEntity>((known ?? []).map((e) => [e.id, e]));
  const missing = rows.map((r) => r.id).filter((id) => !stored.has(id));
  if (missing.length > 0 && ctx.entities) for (const [id, e] of await ctx.entities.get(ctx.tenant, missing)) stored.set(id, e);
  for (const row of rows) {
    const e = stored.get(row.id);
    for (const [slot, def] of q.edsAttrs) row.attrs.set(slot, e ? entityValue(def, e) : null);
  }
}

/** One query per series interval size: group by id and interval over the aligned range. */
async function fetchSeries(
  ctx: GatewayContext,
  scope: ScopeDef,
  rows: EntityRow[],
  fields: EntityFields,
  range: { startTime: number; endTime: number },
  filters: { filterBy: FilterArg[]; space: string | null },
): Promise<void> {
  const byPeriod = new Map<number, typeof fields.series>();
  for (const s of fields.series) {
    const ms = intervalMs(s.size, s.units, `series of ${s.key}`);
    byPeriod.set(ms, [...(byPeriod.get(ms) ?? []), s]);
  }
  const cat = ctx.catalog;
  const idColumn = cat.column(cat.attribute(scope.scope, scope.idKey), 'entity id');
  const timeColumn = cat.column(cat.attribute(scope.scope, scope.startTimeKey), 'series');
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const [periodMs, series] of byPeriod) {
    const aligned = { startTime: Math.floor(range.startTime / periodMs) * periodMs, endTime: Math.ceil(range.endTime / periodMs) * periodMs };
    const q = new EntityQuery(ctx, scope);
    for (const s of series) for (const m of s.metrics) q.metric(m);
    if (q.aggregates.length === 0) q.metric({ key: scope.idKey, aggregation: 'COUNT' });
    const result = await ctx.store.query({
      view: scope.view, tenant: ctx.tenant, select: [],
      where: [...scopeWhere(cat, scope, { between: aligned, ...filters }), { op: 'in', ref: { column: idColumn }, values: [...byId.keys()] }],
      groupBy: [{ as: 'id', ref: { column: idColumn } }],
      bucket: { as: 'bucket', column: timeColumn, sizeMs: periodMs },
      aggregates: q.aggregates,
      orderBy: [{ as: 'bucket', direction: 'ASC' }],
      limit: MAX_LIMIT,
    });
    const intervals = new Map<string, { startTime: number; endTime: number; values: Map<string, unknown> }[]>();
    for (const raw of result.rows) {
      const start = Number(raw.bucket);
      const values = new Map<string, unknown>();
      for (const [slot, m] of q.metrics) values.set(slot, m.finish(raw[m.as], periodMs));
      const id = String(raw.id);
      intervals.set(id, [...(intervals.get(id) ?? []), { startTime: start, endTime: start + periodMs, values }]);
    }
    for (const row of rows) {
      for (const s of series) row.series.set(seriesSlot(s.key, s.subpath, s.size, s.units), intervals.get(row.id) ?? []);
    }
  }
}
