// The `metadata` root field: the attribute catalog as Hypertrace's AttributeMetadata (Q1),
// with its quirks — `onlySupportsAggregation` is "the attribute is a METRIC" and
// `onlySupportsGrouping` carries the catalog's onlyAggregationsAllowed flag (reference §1).
import { GraphQLBoolean, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString, type GraphQLFieldConfigMap, type GraphQLNullableType } from 'graphql';
import type { AttributeDef } from './catalog.ts';
import { AttributeTypeEnum, MetricAggregationTypeEnum, type GatewayContext } from './graphqlTypes.ts';

const nonNull = <T extends GraphQLNullableType>(t: T) => new GraphQLNonNull(t);

const AttributeMetadataType = new GraphQLObjectType<AttributeDef, GatewayContext>({
  name: 'AttributeMetadata',
  fields: {
    scope: { type: nonNull(GraphQLString) },
    name: { type: nonNull(GraphQLString), resolve: (d) => d.key },
    displayName: { type: nonNull(GraphQLString) },
    type: { type: nonNull(AttributeTypeEnum) },
    units: { type: nonNull(GraphQLString) },
    onlySupportsGrouping: { type: nonNull(GraphQLBoolean), resolve: (d) => d.onlyAggregationsAllowed },
    onlySupportsAggregation: { type: nonNull(GraphQLBoolean), resolve: (d) => d.kind === 'METRIC' },
    supportedAggregations: { type: nonNull(new GraphQLList(MetricAggregationTypeEnum)) },
    groupable: { type: nonNull(GraphQLBoolean) },
    isCustom: { type: nonNull(GraphQLBoolean), resolve: () => false },
  },
});

export const metadataQueryFields: GraphQLFieldConfigMap<unknown, GatewayContext> = {
  metadata: {
    type: nonNull(new GraphQLList(AttributeMetadataType)),
    resolve: (_root, _args, ctx) => ctx.catalog.list(),
  },
};
