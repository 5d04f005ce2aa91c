// The Subscription root: `liveTraces(type, filterBy)` and `liveSpans(filterBy)`, whose events
// are rows shaped like the rows of `traces` and `spans` (`id`, `attribute(expression)`), plus
// `update`, `writtenAt` and `type`. Added to the gateway's executable schema, so one schema
// serves queries over HTTP and subscriptions over graphql-ws (docs/PROTOCOL.md).
import {
  getArgumentValues,
  GraphQLBoolean,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import { TesseraError } from '../errors.ts';
import type { AttributeCatalog } from '../gateway/catalog.ts';
import { AttributeExpressionInput, DateTimeScalar, FilterInput, TraceTypeEnum, UnknownScalar } from '../gateway/graphqlTypes.ts';
import type { AttributeRequest, FilterArg } from '../gateway/planner.ts';
import { schema as gatewaySchema } from '../gateway/schema.ts';
import type { LiveFanout } from './fanout.ts';
import { LiveRow, planLive } from './plan.ts';

/** What subscription resolvers get: the connection's tenant and the live ports. */
export interface LiveContext {
  tenant: string;
  catalog: AttributeCatalog;
  fanout: LiveFanout;
  /** Called when one of the connection's subscriptions falls behind. */
  onOverflow: () => void;
}

type AttributeArgs = { key?: string; expression?: { key: string; subpath?: string | null } };

const attributeField: GraphQLFieldConfig<LiveRow, LiveContext, AttributeArgs> = {
  type: UnknownScalar,
  args: {
    key: { type: GraphQLString, deprecationReason: 'Use expression' },
    expression: { type: AttributeExpressionInput },
  },
  resolve: (row, args, ctx) => {
    const key = args.expression?.key ?? args.key;
    if (!key) return null;
    const subpath = args.expression?.subpath ?? undefined;
    return row.value(ctx.catalog.attribute(row.scope, key), subpath);
  },
};

const common = {
  id: { type: new GraphQLNonNull(GraphQLString) },
  update: {
    type: new GraphQLNonNull(GraphQLBoolean),
    description: 'True when a late span re-opened the trace: this row replaces the one sent before with the same id.',
  },
  writtenAt: { type: new GraphQLNonNull(DateTimeScalar), description: 'When the trace was durably written.' },
  attribute: attributeField,
};

export const LiveTraceType = new GraphQLObjectType<LiveRow, LiveContext>({
  name: 'LiveTrace',
  description: 'A trace, API trace or backend trace as it is written: a row of `traces`.',
  fields: { ...common, type: { type: new GraphQLNonNull(TraceTypeEnum), resolve: (row) => row.scope } },
});

export const LiveSpanType = new GraphQLObjectType<LiveRow, LiveContext>({
  name: 'LiveSpan',
  description: 'A span as its trace is written: a row of `spans`.',
  fields: { ...common, traceId: { type: new GraphQLNonNull(GraphQLString) } },
});

/** Every field node of a selection set, fragments flattened. */
function fieldsOf(set: SelectionSetNode | undefined, info: GraphQLResolveInfo, out: FieldNode[] = []): FieldNode[] {
  for (const sel of set?.selections ?? []) {
    if (sel.kind === Kind.FIELD) out.push(sel);
    else if (sel.kind === Kind.INLINE_FRAGMENT) fieldsOf(sel.selectionSet, info, out);
    else {
      const fragment = info.fragments[sel.name.value];
      if (fragment) fieldsOf(fragment.selectionSet, info, out);
    }
  }
  return out;
}

/** The `attribute(...)` values a subscription's selection reads, variables resolved. */
export function liveSelection(info: GraphQLResolveInfo, typeName: string): AttributeRequest[] {
  const type = info.schema.getType(typeName);
  const field = isObjectType(type) ? type.getFields().attribute : undefined;
  const out: AttributeRequest[] = [];
  if (!field) return out;
  for (const node of info.fieldNodes) {
    for (const f of fieldsOf(node.selectionSet, info)) {
      if (f.name.value !== 'attribute') continue;
      const args = getArgumentValues(field, f, info.variableValues) as AttributeArgs;
      const key = args.expression?.key ?? args.key;
      if (!key) continue;
      const subpath = args.expression?.subpath;
      out.push(subpath === undefined || subpath === null ? { key } : { key, subpath });
    }
  }
  return out;
}

/** An event reaches the selection as it is; anything else means it was not sent by graphql-ws. */
const eventOf = (payload: unknown): LiveRow => {
  if (payload instanceof LiveRow) return payload;
  throw new TesseraError('BAD_QUERY', 'subscriptions are served over graphql-ws (graphql-transport-ws) on this path');
};

async function subscribeLive(scope: string, filterBy: FilterArg[] | null | undefined, ctx: LiveContext, info: GraphQLResolveInfo, typeName: string) {
  const plan = planLive(ctx.catalog, scope, filterBy, liveSelection(info, typeName));
  return ctx.fanout.subscribe(ctx.tenant, plan, ctx.onOverflow);
}

export const liveSubscriptionFields: GraphQLFieldConfigMap<unknown, LiveContext> = {
  liveTraces: {
    type: new GraphQLNonNull(LiveTraceType),
    description: 'One event per matching trace (or API / backend trace) when it is written, and again, as an update, when a late span re-opens it.',
    args: { type: { type: TraceTypeEnum, defaultValue: 'TRACE' }, filterBy: { type: new GraphQLList(FilterInput) } },
    subscribe: (_root, args: { type?: string; filterBy?: FilterArg[] | null }, ctx, info) =>
      subscribeLive(args.type ?? 'TRACE', args.filterBy, ctx, info, LiveTraceType.name),
    resolve: eventOf,
  },
  liveSpans: {
    type: new GraphQLNonNull(LiveSpanType),
    description: 'One event per matching span when its trace is written (again, as updates, when a late span re-opens it).',
    args: { filterBy: { type: new GraphQLList(FilterInput) } },
    subscribe: (_root, args: { filterBy?: FilterArg[] | null }, ctx, info) => subscribeLive('SPAN', args.filterBy, ctx, info, LiveSpanType.name),
    resolve: eventOf,
  },
};

/** The base schema with the live fields added to its Subscription root. */
export function buildLiveSchema(base: GraphQLSchema = gatewaySchema): GraphQLSchema {
  const config = base.toConfig();
  const existing = config.subscription;
  const subscription = new GraphQLObjectType<unknown, LiveContext>({
    name: existing?.name ?? 'Subscription',
    fields: () => ({ ...(existing?.toConfig().fields ?? {}), ...liveSubscriptionFields }),
  });
  return new GraphQLSchema({ ...config, subscription, types: config.types.filter((t) => t !== existing) });
}

/** The gateway schema with live subscriptions: serve it over HTTP too, so introspection shows them. */
export const liveSchema = buildLiveSchema();
