// The `traces`, `spans` and `logEvents` root fields (and Span.logEvents): each request becomes one view
// query planned from its arguments and its selection, plus one log-event query per page of
// spans when logEvents is selected.
import { GraphQLNonNull, GraphQLObjectType, GraphQLString, type GraphQLFieldConfigMap, type GraphQLResolveInfo } from 'graphql';
import type { ViewQuery, ViewQueryResult } from '../store/query.ts';
import {
  attributeField,
  resultSetArgs,
  resultSetType,
  TraceTypeEnum,
  type AttributeRow,
  type GatewayContext,
  type ResultSet,
} from './graphqlTypes.ts';
import { planLogEvents, planResultSet, slotOf, type Plan, type ResultSetArgs } from './planner.ts';
import { resultSetSelection, type ResultSetSelection } from './selection.ts';
import { narrowToTraces } from './traceRange.ts';
import { outputValue } from './values.ts';

interface SpanRow extends AttributeRow {
  traceId: string;
  logEvents?: ResultSet<AttributeRow>;
}

const LogEventType = new GraphQLObjectType<AttributeRow, GatewayContext>({
  name: 'LogEvent',
  fields: { attribute: attributeField },
});
const LogEventResultSetType = resultSetType('LogEventResultSet', LogEventType);

const TraceType = new GraphQLObjectType<AttributeRow, GatewayContext>({
  name: 'Trace',
  fields: { id: { type: new GraphQLNonNull(GraphQLString) }, attribute: attributeField },
});

const SpanType = new GraphQLObjectType<SpanRow, GatewayContext>({
  name: 'Span',
  fields: {
    id: { type: new GraphQLNonNull(GraphQLString) },
    attribute: attributeField,
    logEvents: {
      type: new GraphQLNonNull(LogEventResultSetType),
      resolve: (span) => span.logEvents ?? { results: [], count: 0, total: 0 },
    },
  },
});

/** Planned rows as result objects: the id plus every requested value, typed for output. */
function rowsOf(plan: Plan, result: ViewQueryResult): AttributeRow[] {
  const idAs = plan.values.get(slotOf({ key: plan.scope.idKey }))!.as;
  return result.rows.map((row) => {
    const attrs = new Map<string, unknown>();
    for (const [slot, v] of plan.values) attrs.set(slot, v.as === undefined ? null : outputValue(v.def, row[v.as], v.subpath));
    return { id: idAs === undefined ? '' : String(row[idAs]), attrs };
  });
}

const resultSetOf = <T>(results: T[], result: ViewQueryResult): ResultSet<T> => ({
  results,
  count: results.length,
  ...(result.total === undefined ? {} : { total: result.total }),
});

/** A selection of `total` alone reads no rows (the seed query `traces(…) { total }`). */
const rowsIfNeeded = (plan: Plan, sel: ResultSetSelection): ViewQuery => (sel.rows ? plan.query : { ...plan.query, limit: 0 });

interface TracesArgs extends ResultSetArgs {
  type?: string | null;
}

async function traces(ctx: GatewayContext, args: TracesArgs, info: GraphQLResolveInfo): Promise<ResultSet<AttributeRow>> {
  const sel = resultSetSelection(info.fieldNodes, info, 'Trace');
  const plan = planResultSet(ctx.catalog, args.type ?? 'TRACE', ctx.tenant, args, sel.attributes, sel.total);
  const result = await ctx.store.query(rowsIfNeeded(plan, sel));
  return resultSetOf(rowsOf(plan, result), result);
}

async function spans(ctx: GatewayContext, args: ResultSetArgs, info: GraphQLResolveInfo): Promise<ResultSet<SpanRow>> {
  const sel = resultSetSelection(info.fieldNodes, info, 'Span', { logEvents: 'LogEvent' });
  const logSel = sel.nested.get('logEvents');
  const requested = logSel ? [...sel.attributes, { key: 'traceId' }] : sel.attributes;
  // Planned first so a bad request fails as such, whether or not its traces exist.
  const plan = planResultSet(ctx.catalog, 'SPAN', ctx.tenant, args, requested, sel.total);
  const narrowed = await narrowToTraces(ctx, args);
  if (narrowed === null) return { results: [], count: 0, ...(sel.total ? { total: 0 } : {}) };
  const query = narrowed === args ? plan.query : planResultSet(ctx.catalog, 'SPAN', ctx.tenant, narrowed, requested, sel.total).query;
  const result = await ctx.store.query(rowsIfNeeded({ ...plan, query }, sel));
  const rows: SpanRow[] = rowsOf(plan, result).map((r) => ({ ...r, traceId: String(r.attrs.get('traceId')) }));
  if (logSel && rows.length > 0) await attachLogEvents(ctx, rows, logSel.attributes);
  return resultSetOf(rows, result);
}

/** One query for the log events of a page of spans, joined back to each span. */
async function attachLogEvents(ctx: GatewayContext, rows: SpanRow[], requested: { key: string; subpath?: string }[]): Promise<void> {
  const plan = planLogEvents(ctx.catalog, ctx.tenant, rows.map((r) => ({ traceId: r.traceId, spanId: r.id })), requested);
  const result = await ctx.store.query(plan.query);
  if (result.rows.length >= plan.query.limit) {
    ctx.logger?.warn({ spans: rows.length, limit: plan.query.limit }, 'log events of a span page cut at their bound');
  }
  const bySpan = new Map<string, AttributeRow[]>();
  for (const ev of rowsOf(plan, result)) {
    const key = `${String(ev.attrs.get('traceId'))}/${ev.id}`;
    let list = bySpan.get(key);
    if (!list) bySpan.set(key, (list = []));
    list.push(ev);
  }
  for (const r of rows) {
    const events = bySpan.get(`${r.traceId}/${r.id}`) ?? [];
    r.logEvents = { results: events, count: events.length, total: events.length };
  }
}

async function logEvents(ctx: GatewayContext, args: ResultSetArgs, info: GraphQLResolveInfo): Promise<ResultSet<AttributeRow>> {
  const sel = resultSetSelection(info.fieldNodes, info, 'LogEvent');
  const plan = planResultSet(ctx.catalog, 'LOG_EVENT', ctx.tenant, args, sel.attributes, sel.total);
  const result = await ctx.store.query(rowsIfNeeded(plan, sel));
  return resultSetOf(rowsOf(plan, result), result);
}

export const traceQueryFields: GraphQLFieldConfigMap<unknown, GatewayContext> = {
  logEvents: {
    type: new GraphQLNonNull(LogEventResultSetType),
    args: { between: resultSetArgs.between, filterBy: resultSetArgs.filterBy, orderBy: resultSetArgs.orderBy, limit: resultSetArgs.limit, offset: resultSetArgs.offset },
    resolve: (_root, args, ctx, info) => logEvents(ctx, args as ResultSetArgs, info),
  },
  traces: {
    type: new GraphQLNonNull(resultSetType('TraceResultSet', TraceType)),
    args: { type: { type: TraceTypeEnum }, ...resultSetArgs },
    resolve: (_root, args, ctx, info) => traces(ctx, args as TracesArgs, info),
  },
  spans: {
    type: new GraphQLNonNull(resultSetType('SpanResultSet', SpanType)),
    args: resultSetArgs,
    resolve: (_root, args, ctx, info) => spans(ctx, args as ResultSetArgs, info),
  },
};
