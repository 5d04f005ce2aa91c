// Topology edges (reference §4 "Edges / topology"): for a page of entities, one query on the
// INTERACTION scope (serviceCallView) per edge request — the page's ids on the entity's side
// (callee for incoming, caller for outgoing), a neighbor id present on the other side, grouped
// by both ids, with the edge's metrics — then the neighbors loaded as entities by id (same time
// range, live only), with the neighbor selection. Neighbors without traffic in the range come
// back with their id only.
import { TesseraError } from '../errors.ts';
import type { Predicate } from '../store/query.ts';
import type { ScopeDef } from './catalog.ts';
import { emptyRow, type EntitiesArgs } from './entities.ts';
import type { EdgeRequest, EntityFields } from './entitySelection.ts';
import type { EdgeRow, EntityRow } from './entityTypes.ts';
import type { GatewayContext, ResultSet } from './graphqlTypes.ts';
import { metricSlot, planMetric, type PlannedMetric } from './metrics.ts';
import { MAX_LIMIT, refOf, scopeWhere, slotOf } from './planner.ts';
import { outputValue } from './values.ts';

export type EntityFetcher = (ctx: GatewayContext, args: EntitiesArgs, fields: EntityFields, withTotal: boolean) => Promise<ResultSet<EntityRow>>;

/** INTERACTION attributes holding each entity type's id as caller and as callee (gateway interaction.config). */
const SIDES: Record<string, { caller?: string; callee?: string }> = {
  SERVICE: { caller: 'fromServiceId', callee: 'toServiceId' },
  API: { caller: 'fromApiId', callee: 'toApiId' },
  BACKEND: { callee: 'toBackendId' },
};

/** Edge attributes the gateway computes instead of reading them. */
const VIRTUAL = new Set(['fromEntityType', 'toEntityType', 'fromEntityId', 'toEntityId']);

const emptySet = (): ResultSet<EdgeRow> => ({ results: [], count: 0, total: 0 });

export async function fetchEdges(
  ctx: GatewayContext,
  scope: ScopeDef,
  rows: EntityRow[],
  edge: EdgeRequest,
  range: { startTime: number; endTime: number },
  fetchEntities: EntityFetcher,
): Promise<void> {
  const cat = ctx.catalog;
  const neighborScope = cat.scope(edge.neighborScope);
  if (!neighborScope.entityType) throw new TesseraError('BAD_QUERY', `edge neighbors are SERVICE, API or BACKEND, not ${edge.neighborScope}`);
  const incoming = edge.direction === 'incoming';
  const ownKey = incoming ? SIDES[scope.scope]?.callee : SIDES[scope.scope]?.caller;
  const neighborKey = incoming ? SIDES[neighborScope.scope]?.caller : SIDES[neighborScope.scope]?.callee;
  if (!ownKey || !neighborKey) {
    // A backend calls nothing, and is never a caller: such edges exist in no row.
    for (const row of rows) row.edges.set(edge.slot, emptySet());
    return;
  }
  const interaction = cat.scope('INTERACTION');
  const col = (key: string) => cat.column(cat.attribute(interaction.scope, key), `${edge.direction} edges`);
  const own = col(ownKey);
  const other = col(neighborKey);

  const aggregates: PlannedMetric[] = [];
  const metricAs = new Map<string, string>();
  for (const m of edge.metrics) {
    const slot = metricSlot(m);
    if (metricAs.has(slot)) continue;
    const as = `m${metricAs.size}`;
    metricAs.set(slot, as);
    aggregates.push(planMetric(cat, interaction, m, as));
  }
  const attrAs = new Map<string, { as: string; def: ReturnType<typeof cat.attribute>; subpath?: string }>();
  for (const r of edge.attributes) {
    const slot = slotOf(r);
    if (attrAs.has(slot) || VIRTUAL.has(r.key)) continue;
    const def = cat.attribute(interaction.scope, r.key);
    if (!def.source) continue;
    attrAs.set(slot, { as: `a${attrAs.size}`, def, ...(r.subpath === undefined ? {} : { subpath: r.subpath }) });
  }
  const where: Predicate[] = [
    ...scopeWhere(cat, interaction, { between: range, filterBy: edge.filterBy }),
    { op: 'in', ref: { column: own }, values: rows.map((r) => r.id) },
    { op: 'neq', ref: { column: other }, value: null },
    { op: 'neq', ref: { column: other }, value: '' },
  ];
  const result = await ctx.store.query({
    view: interaction.view, tenant: ctx.tenant, select: [], where,
    groupBy: [{ as: 'own', ref: { column: own } }, { as: 'other', ref: { column: other } }],
    aggregates: [
      ...aggregates.map((p) => p.aggregate),
      ...[...attrAs.values()].map((a) => ({ as: a.as, fn: 'any' as const, ref: refOf(cat, a.def, a.subpath, `edge attribute ${a.def.key}`) })),
    ],
    orderBy: [{ as: 'own', direction: 'ASC' }, { as: 'other', direction: 'ASC' }],
    limit: MAX_LIMIT,
  });

  const neighborIds = [...new Set(result.rows.map((r) => String(r.other)))];
  const neighbors = new Map<string, EntityRow>();
  if (neighborIds.length > 0) {
    const found = await fetchEntities(ctx, {
      scope: neighborScope.scope,
      between: range,
      filterBy: [{ type: 'ID', idScope: neighborScope.scope, operator: 'IN', value: neighborIds }],
      limit: Math.min(neighborIds.length, MAX_LIMIT),
    }, edge.neighbor, false);
    for (const n of found.results) neighbors.set(n.id, n);
  }
  const windowMs = range.endTime - range.startTime;
  const byOwner = new Map<string, EdgeRow[]>();
  for (const raw of result.rows) {
    const ownId = String(raw.own);
    const otherId = String(raw.other);
    const neighbor = neighbors.get(otherId) ?? emptyRow(otherId, neighborScope.entityType, neighborScope.idKey);
    const attrs = new Map<string, unknown>();
    for (const [slot, a] of attrAs) attrs.set(slot, outputValue(a.def, raw[a.as], a.subpath));
    const ends = incoming
      ? { fromEntityType: neighborScope.entityType, fromEntityId: otherId, toEntityType: scope.entityType, toEntityId: ownId }
      : { fromEntityType: scope.entityType, fromEntityId: ownId, toEntityType: neighborScope.entityType, toEntityId: otherId };
    for (const [k, v] of Object.entries(ends)) attrs.set(k, v);
    const metrics = new Map<string, unknown>();
    for (const [slot, as] of metricAs) metrics.set(slot, aggregates.find((p) => p.aggregate.as === as)!.finish(raw[as], windowMs));
    const list = byOwner.get(ownId) ?? [];
    list.push({ id: otherId, attrs, metrics, neighbor });
    byOwner.set(ownId, list);
  }
  for (const row of rows) {
    const results = byOwner.get(row.id) ?? [];
    row.edges.set(edge.slot, { results, count: results.length, total: results.length });
  }
}
