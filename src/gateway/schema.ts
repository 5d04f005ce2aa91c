// The executable GraphQL schema: Hypertrace's query contract, assembled from root-field
// modules (traces and spans now; metadata, entities, explore and logEvents join them the same
// way). graphql-ws subscriptions will share this schema on the same path.
import { GraphQLObjectType, GraphQLSchema, type GraphQLFieldConfigMap } from 'graphql';
import type { GatewayContext } from './graphqlTypes.ts';
import { traceQueryFields } from './traceFields.ts';

export function buildGatewaySchema(extraQueryFields: GraphQLFieldConfigMap<unknown, GatewayContext> = {}): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType<unknown, GatewayContext>({
      name: 'Query',
      fields: { ...traceQueryFields, ...extraQueryFields },
    }),
  });
}

export const schema = buildGatewaySchema();
