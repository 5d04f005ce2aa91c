// The shared GraphQL vocabulary of Hypertrace's contract (reference/hypertrace-query.md §1):
// scalars, enums and inputs every root field uses, and the result-set shape. Root fields live
// in their own modules and are assembled in schema.ts.
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLString,
  valueFromASTUntyped,
  type GraphQLFieldConfig,
  type GraphQLOutputType,
} from 'graphql';
import type { Logger } from 'pino';
import { TesseraError } from '../errors.ts';
import type { ViewStore } from '../store/api.ts';
import type { EntityStore } from '../store/entities.ts';
import type { AttributeCatalog } from './catalog.ts';
import { AGGREGATION_TYPES } from './catalog.ts';
import { TIME_UNITS } from './metrics.ts';
import { slotOf } from './planner.ts';
import { epochMsOf } from './values.ts';

/** What every resolver gets: the caller's tenant and the ports. */
export interface GatewayContext {
  tenant: string;
  store: ViewStore;
  catalog: AttributeCatalog;
  /** Entity-store-only attributes and includeInactive; without it they answer null / only live entities. */
  entities?: EntityStore;
  logger?: Logger;
}

/** A row of any attribute-queryable result: its id and the values its selection asked for. */
export interface AttributeRow {
  id: string;
  /** By slotOf(request): values already typed for output. */
  attrs: Map<string, unknown>;
}

export const UnknownScalar = new GraphQLScalarType({
  name: 'Unknown',
  description: 'Any JSON value: string, number, boolean, list or object.',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

/** A DateTime argument only ever bounds a time range: a value that is no instant is a bad range. */
function instantOf(value: unknown): number {
  try {
    return epochMsOf(value, 'DateTime');
  } catch (err) {
    throw new TesseraError('BAD_TIME_RANGE', `bad time range: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export const DateTimeScalar = new GraphQLScalarType<number, string>({
  name: 'DateTime',
  description: 'An ISO-8601 instant ("2024-01-01T00:00:00.000Z"); epoch milliseconds are accepted too.',
  serialize: (v) => new Date(typeof v === 'number' ? v : epochMsOf(v, 'DateTime')).toISOString(),
  parseValue: (v) => instantOf(v),
  parseLiteral: (ast) => instantOf('value' in ast ? ast.value : undefined),
});

export const LongScalar = new GraphQLScalarType<number, number>({
  name: 'Long',
  description: 'A 64-bit integer, served as a JSON number.',
  serialize: (v) => (typeof v === 'bigint' ? Number(v) : Number(v)),
  parseValue: (v) => Number(v),
  parseLiteral: (ast) => Number('value' in ast ? ast.value : NaN),
});

const enumOf = (name: string, values: readonly string[], deprecated: Record<string, string> = {}) =>
  new GraphQLEnumType({
    name,
    values: Object.fromEntries(values.map((v) => [v, deprecated[v] ? { deprecationReason: deprecated[v] } : {}])),
  });

export const AttributeScopeEnum = enumOf('AttributeScope', ['TRACE', 'SPAN', 'API', 'API_TRACE', 'BACKEND', 'BACKEND_TRACE', 'INTERACTION', 'SERVICE']);
export const TraceTypeEnum = enumOf('TraceType', ['TRACE', 'API_TRACE', 'BACKEND_TRACE']);
export const FilterTypeEnum = enumOf('FilterType', ['ATTRIBUTE', 'ID']);
export const FilterOperatorTypeEnum = enumOf('FilterOperatorType', [
  'EQUALS', 'NOT_EQUALS', 'LESS_THAN', 'LESS_THAN_OR_EQUAL_TO', 'GREATER_THAN', 'GREATER_THAN_OR_EQUAL_TO',
  'LIKE', 'IN', 'NOT_IN', 'CONTAINS_KEY', 'CONTAINS_KEY_VALUE', 'CONTAINS_KEY_LIKE', 'NOT_CONTAINS_KEY',
]);
export const OrderDirectionEnum = enumOf('OrderDirection', ['ASC', 'DESC']);
export const MetricAggregationTypeEnum = enumOf('MetricAggregationType', AGGREGATION_TYPES);
export const TimeUnitEnum = enumOf('TimeUnit', TIME_UNITS);
export const EntityTypeEnum = enumOf('EntityType', ['API', 'SERVICE', 'BACKEND']);
export const ExplorerContextEnum = enumOf('ExplorerContext', ['TRACE', 'API', 'SERVICE', 'BACKEND', 'API_TRACE', 'BACKEND_TRACE', 'SPAN']);
export const AttributeTypeEnum = enumOf('AttributeType', [
  'STRING', 'BOOLEAN', 'LONG', 'DOUBLE', 'TIMESTAMP', 'STRING_MAP', 'STRING_ARRAY', 'DOUBLE_ARRAY', 'LONG_ARRAY', 'BOOLEAN_ARRAY',
]);

export const TimeRangeInput = new GraphQLInputObjectType({
  name: 'TimeRange',
  fields: { startTime: { type: new GraphQLNonNull(DateTimeScalar) }, endTime: { type: new GraphQLNonNull(DateTimeScalar) } },
});

export const AttributeExpressionInput = new GraphQLInputObjectType({
  name: 'AttributeExpression',
  fields: { key: { type: new GraphQLNonNull(GraphQLString) }, subpath: { type: GraphQLString } },
});

export const FilterInput = new GraphQLInputObjectType({
  name: 'Filter',
  fields: {
    type: { type: new GraphQLNonNull(FilterTypeEnum) },
    key: { type: GraphQLString, deprecationReason: 'Use keyExpression' },
    keyExpression: { type: AttributeExpressionInput },
    operator: { type: new GraphQLNonNull(FilterOperatorTypeEnum) },
    value: { type: new GraphQLNonNull(UnknownScalar) },
    idType: { type: AttributeScopeEnum, deprecationReason: 'Use idScope' },
    idScope: { type: GraphQLString },
  },
});

export const OrderInput = new GraphQLInputObjectType({
  name: 'Order',
  fields: {
    key: { type: GraphQLString, deprecationReason: 'Use keyExpression' },
    keyExpression: { type: AttributeExpressionInput },
    direction: { type: OrderDirectionEnum },
  },
});

export const AggregatableOrderInput = new GraphQLInputObjectType({
  name: 'AggregatableOrder',
  fields: {
    key: { type: GraphQLString, deprecationReason: 'Use keyExpression' },
    keyExpression: { type: AttributeExpressionInput },
    direction: { type: OrderDirectionEnum },
    aggregation: { type: MetricAggregationTypeEnum },
    size: { type: GraphQLInt },
  },
});

export const GroupByArgumentInput = new GraphQLInputObjectType({
  name: 'GroupByArgument',
  fields: {
    keys: { type: new GraphQLList(GraphQLString), deprecationReason: 'Use expressions' },
    expressions: { type: new GraphQLList(AttributeExpressionInput) },
    includeRest: { type: GraphQLBoolean },
    groupLimit: { type: GraphQLInt },
  },
});

export const IntervalArgumentInput = new GraphQLInputObjectType({
  name: 'IntervalArgument',
  fields: { size: { type: new GraphQLNonNull(GraphQLInt) }, units: { type: new GraphQLNonNull(TimeUnitEnum) } },
});

export const EntityContextOptionsInput = new GraphQLInputObjectType({
  name: 'EntityContextOptions',
  fields: { includeNonLiveEntities: { type: new GraphQLNonNull(GraphQLBoolean) } },
});

/** `attribute(key | expression)`: a value the planner fetched for this row. */
export const attributeField: GraphQLFieldConfig<AttributeRow, GatewayContext, { key?: string; expression?: { key: string; subpath?: string | null } }> = {
  type: UnknownScalar,
  args: {
    key: { type: GraphQLString, deprecationReason: 'Use expression' },
    expression: { type: AttributeExpressionInput },
  },
  resolve: (row, args) => {
    const key = args.expression?.key ?? args.key;
    if (!key) return null;
    const subpath = args.expression?.subpath ?? undefined;
    return row.attrs.get(slotOf(subpath === undefined ? { key } : { key, subpath })) ?? null;
  },
};

export interface ResultSet<T> {
  results: T[];
  count: number;
  /** Present only when the selection asked for it. */
  total?: number;
}

/** `{ results: [T]!  count: Long!  total: Long! }` */
export function resultSetType(name: string, item: GraphQLOutputType): GraphQLObjectType {
  return new GraphQLObjectType<ResultSet<unknown>>({
    name,
    fields: {
      results: { type: new GraphQLNonNull(new GraphQLList(item)) },
      count: { type: new GraphQLNonNull(LongScalar) },
      total: { type: new GraphQLNonNull(LongScalar) },
    },
  });
}

/** Arguments shared by the result-set root fields. */
export const resultSetArgs = {
  between: { type: new GraphQLNonNull(TimeRangeInput) },
  filterBy: { type: new GraphQLList(FilterInput) },
  orderBy: { type: new GraphQLList(OrderInput) },
  limit: { type: GraphQLInt },
  offset: { type: GraphQLInt },
  space: { type: GraphQLString },
};
