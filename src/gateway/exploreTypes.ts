// The `explore` root field (reference §1, §4 "Explore"): ExploreResult rows with
// `intervalStart` and `selection(expression, aggregation, size, units) { value type }`. The
// selections are read from the document before the queries run (explore.ts), and each
// `selection(...)` resolver reads its value back by the same slot.
import {
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type FieldNode,
  type GraphQLFieldConfigMap,
} from 'graphql';
import type { AggregationType } from './catalog.ts';
import { exploreSlot, runExplore, type ExploreArgs, type ExploreRow, type ExploreSelection, type SelectionRequest } from './explore.ts';
import {
  AggregatableOrderInput,
  AttributeExpressionInput,
  AttributeTypeEnum,
  DateTimeScalar,
  EntityContextOptionsInput,
  ExplorerContextEnum,
  FilterInput,
  GroupByArgumentInput,
  IntervalArgumentInput,
  MetricAggregationTypeEnum,
  resultSetType,
  TimeRangeInput,
  TimeUnitEnum,
  UnknownScalar,
  type GatewayContext,
} from './graphqlTypes.ts';
import type { TimeUnit } from './metrics.ts';
import { argsOf, fieldsOf, type Info } from './selection.ts';

interface SelectionArgs {
  key?: string | null;
  expression?: { key: string; subpath?: string | null } | null;
  aggregation?: AggregationType | null;
  size?: number | null;
  units?: TimeUnit | null;
}

function requestOf(args: SelectionArgs): SelectionRequest | undefined {
  const key = args.expression?.key ?? args.key;
  if (!key) return undefined;
  const subpath = args.expression?.subpath ?? undefined;
  return {
    key,
    ...(subpath === undefined ? {} : { subpath }),
    ...(args.aggregation ? { aggregation: args.aggregation } : {}),
    ...(args.size == null ? {} : { size: args.size }),
    ...(args.units == null ? {} : { units: args.units }),
  };
}

const SelectionType = new GraphQLObjectType<{ value: unknown; type: string }, GatewayContext>({
  name: 'Selection',
  fields: { value: { type: UnknownScalar }, type: { type: new GraphQLNonNull(AttributeTypeEnum) } },
});

const ExploreResultType = new GraphQLObjectType<ExploreRow, GatewayContext>({
  name: 'ExploreResult',
  fields: {
    intervalStart: { type: DateTimeScalar, resolve: (row) => row.intervalStart ?? null },
    selection: {
      type: new GraphQLNonNull(SelectionType),
      args: {
        key: { type: GraphQLString, deprecationReason: 'Use expression' },
        expression: { type: AttributeExpressionInput },
        aggregation: { type: MetricAggregationTypeEnum },
        size: { type: GraphQLInt },
        units: { type: TimeUnitEnum },
      },
      resolve: (row, args: SelectionArgs) => {
        const req = requestOf(args);
        return (req && row.values.get(exploreSlot(req))) ?? { value: null, type: 'STRING' };
      },
    },
  },
});

/** What an explore result set's selection asks for. */
function exploreSelection(nodes: readonly FieldNode[], info: Info): ExploreSelection {
  const out: ExploreSelection = { requests: [], total: false, rows: false };
  for (const node of nodes) {
    for (const f of fieldsOf(node.selectionSet, info)) {
      if (f.name.value === 'total') out.total = true;
      if (f.name.value === 'count') out.rows = true;
      if (f.name.value !== 'results') continue;
      out.rows = true;
      for (const r of fieldsOf(f.selectionSet, info)) {
        if (r.name.value !== 'selection') continue;
        const req = requestOf(argsOf<SelectionArgs>(info, 'ExploreResult', r));
        if (req) out.requests.push(req);
      }
    }
  }
  return out;
}

export const exploreQueryFields: GraphQLFieldConfigMap<unknown, GatewayContext> = {
  explore: {
    type: new GraphQLNonNull(resultSetType('ExploreResultSet', ExploreResultType)),
    args: {
      context: { type: ExplorerContextEnum, deprecationReason: 'Use scope' },
      scope: { type: GraphQLString },
      between: { type: TimeRangeInput },
      space: { type: GraphQLString },
      limit: { type: GraphQLInt },
      offset: { type: GraphQLInt },
      filterBy: { type: new GraphQLList(FilterInput) },
      orderBy: { type: new GraphQLList(AggregatableOrderInput) },
      groupBy: { type: GroupByArgumentInput },
      interval: { type: IntervalArgumentInput },
      entityContextOptions: { type: EntityContextOptionsInput },
    },
    resolve: (_root, args, ctx, info) => runExplore(ctx, args as ExploreArgs, exploreSelection(info.fieldNodes, info)),
  },
};
