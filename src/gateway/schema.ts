// The executable GraphQL schema: Hypertrace's query contract, assembled from root-field
// modules (metadata; traces, spans and logEvents; entities with metrics, series and edges;
// explore). Other roots join through `extra` (graphql-ws subscriptions add a Subscription
// type and share this schema on the same path).
import { GraphQLObjectType, GraphQLSchema, type GraphQLFieldConfigMap, type GraphQLNamedType } from 'graphql';
import { fetchEntities } from './entities.ts';
import { entitiesQueryFields } from './entityTypes.ts';
import { exploreQueryFields } from './exploreTypes.ts';
import type { GatewayContext } from './graphqlTypes.ts';
import { metadataQueryFields } from './metadata.ts';
import { traceQueryFields } from './traceFields.ts';

export interface SchemaExtensions {
  /** More Query fields. */
  query?: GraphQLFieldConfigMap<unknown, GatewayContext>;
  /** The Subscription root type. */
  subscription?: GraphQLObjectType<unknown, GatewayContext>;
  /** The Mutation root type. */
  mutation?: GraphQLObjectType<unknown, GatewayContext>;
  /** Types reachable only through interfaces or unions. */
  types?: GraphQLNamedType[];
}

/** The Query fields of the contract. */
export const contractQueryFields: GraphQLFieldConfigMap<unknown, GatewayContext> = {
  ...metadataQueryFields,
  ...traceQueryFields,
  ...entitiesQueryFields(fetchEntities),
  ...exploreQueryFields,
};

export function buildGatewaySchema(extra: SchemaExtensions = {}): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType<unknown, GatewayContext>({
      name: 'Query',
      fields: { ...contractQueryFields, ...extra.query },
    }),
    ...(extra.subscription ? { subscription: extra.subscription } : {}),
    ...(extra.mutation ? { mutation: extra.mutation } : {}),
    ...(extra.types ? { types: extra.types } : {}),
  });
}

export const schema = buildGatewaySchema();
