// GraphQL types of entities (reference §1): Entity with attribute / metric / edges / labels,
// the metric containers with their aggregations, series and baseline fields, and Edge. Their
// resolvers only read what the entities executor fetched, by the slots entitySelection.ts
// computed from the same arguments; baselines answer null (no baseline service here).
import {
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfigMap,
} from 'graphql';
import type { AggregationType } from './catalog.ts';
import type { EntitiesArgs } from './entities.ts';
import { AGGREGATION_FIELDS, edgeSlot, entitySelection, type EntitySelection } from './entitySelection.ts';
import {
  AggregatableOrderInput,
  AttributeExpressionInput,
  attributeField,
  DateTimeScalar,
  EntityTypeEnum,
  FilterInput,
  resultSetType,
  TimeRangeInput,
  TimeUnitEnum,
  type AttributeRow,
  type GatewayContext,
  type ResultSet,
} from './graphqlTypes.ts';
import { metricSlot, seriesSlot, type TimeUnit } from './metrics.ts';

/** One interval of a series: its bounds and the values of its aggregations, by metric slot. */
export interface Interval {
  startTime: number;
  endTime: number;
  values: Map<string, unknown>;
}

export interface EntityRow extends AttributeRow {
  type: string;
  /** By metricSlot. */
  metrics: Map<string, unknown>;
  /** By seriesSlot. */
  series: Map<string, Interval[]>;
  /** By edgeSlot. */
  edges: Map<string, ResultSet<EdgeRow>>;
}

export interface EdgeRow extends AttributeRow {
  metrics: Map<string, unknown>;
  neighbor: EntityRow;
}

/** What `metric(expression)` resolves to: the row's values for one attribute. */
interface Container {
  key: string;
  subpath?: string;
  values: Map<string, unknown>;
  series?: Map<string, Interval[]>;
}

interface AggArgs {
  size?: number;
  units?: TimeUnit;
}

const valueOf = (c: Container, aggregation: AggregationType, args: AggArgs): number | null => {
  const v = c.values.get(metricSlot({ key: c.key, ...(c.subpath === undefined ? {} : { subpath: c.subpath }), aggregation, ...args }));
  return typeof v === 'number' ? v : null;
};

const MetricAggregationType = new GraphQLObjectType({ name: 'MetricAggregation', fields: { value: { type: GraphQLFloat } } });
const MetricBaselineAggregationType = new GraphQLObjectType({
  name: 'MetricBaselineAggregation',
  fields: { value: { type: GraphQLFloat }, lowerBound: { type: GraphQLFloat }, upperBound: { type: GraphQLFloat } },
});
const BaselinedMetricAggregationType = new GraphQLObjectType({
  name: 'BaselinedMetricAggregation',
  fields: { value: { type: GraphQLFloat }, baseline: { type: MetricBaselineAggregationType } },
});

const sizeArg = { size: { type: new GraphQLNonNull(GraphQLInt) } };
const rateArgs = { ...sizeArg, units: { type: new GraphQLNonNull(TimeUnitEnum) } };

/** The aggregation fields of a container type; `wrap` shapes each value. */
function aggregationFields<C extends Container>(
  type: GraphQLObjectType,
  wrap: (value: number | null) => unknown,
  distinctType: GraphQLObjectType = type,
): GraphQLFieldConfigMap<C, GatewayContext> {
  const fields: GraphQLFieldConfigMap<C, GatewayContext> = {};
  for (const [name, aggregation] of Object.entries(AGGREGATION_FIELDS)) {
    const args = aggregation === 'AVGRATE' ? rateArgs : aggregation === 'PERCENTILE' ? sizeArg : undefined;
    fields[name] = {
      type: new GraphQLNonNull(aggregation === 'DISTINCT_ARRAY' ? distinctType : type),
      ...(args ? { args } : {}),
      resolve: (c, a: AggArgs) => wrap(valueOf(c, aggregation, a)),
    };
  }
  return fields;
}

const baselined = (value: number | null) => ({ value, baseline: null });
const plain = (value: number | null) => ({ value });
const noBaseline = () => ({ value: null, lowerBound: null, upperBound: null });

const MetricIntervalType = new GraphQLObjectType<Container & Interval, GatewayContext>({
  name: 'MetricInterval',
  fields: () => ({
    startTime: { type: new GraphQLNonNull(DateTimeScalar) },
    endTime: { type: new GraphQLNonNull(DateTimeScalar) },
    ...aggregationFields<Container & Interval>(MetricAggregationType, plain),
  }),
});

const BaselineIntervalType = new GraphQLObjectType<Container & Interval, GatewayContext>({
  name: 'baselineInterval',
  fields: () => ({
    startTime: { type: new GraphQLNonNull(DateTimeScalar) },
    endTime: { type: new GraphQLNonNull(DateTimeScalar) },
    ...aggregationFields<Container & Interval>(MetricBaselineAggregationType, noBaseline),
  }),
});

const intervalsOf = (c: Container, args: { size: number; units: string }): (Container & Interval)[] =>
  (c.series?.get(seriesSlot(c.key, c.subpath, args.size, args.units)) ?? []).map((i) => ({ ...i, key: c.key, ...(c.subpath === undefined ? {} : { subpath: c.subpath }) }));

const BaselinedContainerType = new GraphQLObjectType<Container, GatewayContext>({
  name: 'BaselinedMetricAggregationContainer',
  fields: () => aggregationFields<Container>(BaselinedMetricAggregationType, baselined, MetricAggregationType),
});

const MetricContainerType = new GraphQLObjectType<Container, GatewayContext>({
  name: 'MetricContainer',
  fields: () => ({
    ...aggregationFields<Container>(BaselinedMetricAggregationType, baselined, MetricAggregationType),
    series: { type: new GraphQLNonNull(new GraphQLList(MetricIntervalType)), args: rateArgs, resolve: (c, a: { size: number; units: string }) => intervalsOf(c, a) },
    baselineSeries: { type: new GraphQLList(BaselineIntervalType), args: rateArgs, resolve: (c, a: { size: number; units: string }) => intervalsOf(c, a) },
  }),
});

interface MetricArgs {
  key?: string | null;
  expression?: { key: string; subpath?: string | null } | null;
}

const metricArgs = { key: { type: GraphQLString, deprecationReason: 'Use expression' }, expression: { type: AttributeExpressionInput } };

function containerOf(row: { metrics: Map<string, unknown>; series?: Map<string, Interval[]> }, args: MetricArgs): Container {
  const key = args.expression?.key ?? args.key ?? '';
  const subpath = args.expression?.subpath ?? undefined;
  return { key, ...(subpath === undefined ? {} : { subpath }), values: row.metrics, ...(row.series ? { series: row.series } : {}) };
}

const LabelType = new GraphQLObjectType({
  name: 'Label',
  fields: { id: { type: new GraphQLNonNull(GraphQLString) }, key: { type: new GraphQLNonNull(GraphQLString) }, color: { type: GraphQLString }, description: { type: GraphQLString } },
});
export const LabelResultSetType = resultSetType('LabelResultSet', LabelType);
const noLabels = (): ResultSet<never> => ({ results: [], count: 0, total: 0 });

const edgeArgs = { neighborType: { type: EntityTypeEnum }, neighborScope: { type: GraphQLString }, filterBy: { type: new GraphQLList(FilterInput) } };

interface EdgeArgs {
  neighborType?: string | null;
  neighborScope?: string | null;
  filterBy?: unknown;
}

const edgesOf = (direction: string) => (row: EntityRow, args: EdgeArgs): ResultSet<EdgeRow> =>
  row.edges.get(edgeSlot(direction, args.neighborScope ?? args.neighborType ?? '', args.filterBy)) ?? { results: [], count: 0, total: 0 };

export const EntityType: GraphQLObjectType<EntityRow, GatewayContext> = new GraphQLObjectType<EntityRow, GatewayContext>({
  name: 'Entity',
  fields: () => ({
    id: { type: new GraphQLNonNull(GraphQLString) },
    type: { type: new GraphQLNonNull(GraphQLString) },
    attribute: attributeField,
    metric: { type: new GraphQLNonNull(MetricContainerType), args: metricArgs, resolve: (row, args: MetricArgs) => containerOf(row, args) },
    incomingEdges: { type: new GraphQLNonNull(EdgeResultSetType), args: edgeArgs, resolve: edgesOf('incoming') },
    outgoingEdges: { type: new GraphQLNonNull(EdgeResultSetType), args: edgeArgs, resolve: edgesOf('outgoing') },
    labels: { type: new GraphQLNonNull(LabelResultSetType), resolve: noLabels },
  }),
});

const EdgeType: GraphQLObjectType<EdgeRow, GatewayContext> = new GraphQLObjectType<EdgeRow, GatewayContext>({
  name: 'Edge',
  fields: () => ({
    neighbor: { type: new GraphQLNonNull(EntityType) },
    attribute: attributeField,
    metric: { type: new GraphQLNonNull(BaselinedContainerType), args: metricArgs, resolve: (row, args: MetricArgs) => containerOf(row, args) },
  }),
});

const EdgeResultSetType = resultSetType('EdgeResultSet', EdgeType);
export const EntityResultSetType = resultSetType('EntityResultSet', EntityType);

/** The `entities` root field. */
export function entitiesQueryFields(
  fetch: (ctx: GatewayContext, args: EntitiesArgs, fields: EntitySelection, withTotal: boolean) => Promise<ResultSet<EntityRow>>,
): GraphQLFieldConfigMap<unknown, GatewayContext> {
  return {
    entities: {
      type: new GraphQLNonNull(EntityResultSetType),
      args: {
        type: { type: EntityTypeEnum, deprecationReason: 'Use scope' },
        scope: { type: GraphQLString },
        between: { type: new GraphQLNonNull(TimeRangeInput) },
        space: { type: GraphQLString },
        filterBy: { type: new GraphQLList(FilterInput) },
        orderBy: { type: new GraphQLList(AggregatableOrderInput) },
        limit: { type: GraphQLInt },
        offset: { type: GraphQLInt },
        includeInactive: { type: GraphQLBoolean },
      },
      resolve: (_root, args, ctx, info) => {
        const sel = entitySelection(info.fieldNodes, info);
        return fetch(ctx, args as EntitiesArgs, sel, sel.total);
      },
    },
  };
}
