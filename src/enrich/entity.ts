// Entities (hypertrace-ingest §5): SERVICE, API and BACKEND, identified by a few identifying
// attributes. Ids are deterministic — a UUIDv5 over tenant, type and the sorted identifying
// attributes — so every node computes the same id without asking anyone.

import { LRUCache } from 'lru-cache';
import { parse as parseUuid, v5 as uuidv5 } from 'uuid';
import { boundedMemo } from '../normalize/memo.ts';

export type EntityType = 'SERVICE' | 'API' | 'BACKEND';

/** Identifying and common attribute keys, as the entity service names them. */
export const EntityKeys = {
  FQN: 'FQN',
  SERVICE_TYPE: 'service_type',
  API_URL_PATTERN: 'API_URL_PATTERN',
  API_TYPE: 'API_TYPE',
  SERVICE_ID: 'SERVICE_ID',
  SERVICE_NAME: 'SERVICE_NAME',
  API_NAME: 'API_NAME',
  API_NAME_SOURCE: 'api_name_source',
  API_DISCOVERY_FROM: 'api_discovery_from',
  API_DISCOVERY_STATE: 'api_discovery_state',
  HTTP_METHOD: 'http_method',
  BACKEND_PROTOCOL: 'BACKEND_PROTOCOL',
  BACKEND_HOST: 'BACKEND_HOST',
  BACKEND_PORT: 'BACKEND_PORT',
} as const;

/** What an enricher asks the resolver for: find the entity with these identifying attributes, or create it. */
export interface EntityRequest {
  tenant: string;
  type: EntityType;
  identifying: Record<string, string>;
  /** Descriptive attributes, merged into the stored entity (the identifying ones need not be repeated). */
  attributes: Record<string, string>;
  name: string;
  /** When the span that saw it started (µs), for first/last-seen bookkeeping by stores. */
  seenUs?: number;
}

export interface Entity {
  /** `entityId(tenant, type, identifying)`. */
  id: string;
  tenant: string;
  type: EntityType;
  name: string;
  identifying: Record<string, string>;
  /** Identifying plus descriptive attributes. */
  attributes: Record<string, string>;
}

/**
 * The port enrichers resolve entities through. An in-memory implementation lives beside it
 * (memoryResolver.ts); EntityActors over an EntityStore implement it in a running node. Either
 * answer form is accepted so a cache hit costs no promise.
 */
export interface EntityResolver {
  /** Find-or-create: the same identifying attributes always give the same entity. */
  resolve(request: EntityRequest): Promise<Entity> | Entity;
  /**
   * Optional batch form of `resolve` (answers in request order). Enrichers send each trace's
   * requests of one kind together, so an implementation behind a message hop or a store can
   * answer them in one round trip.
   */
  resolveAll?(requests: readonly EntityRequest[]): Promise<Entity[]> | Entity[];
  /**
   * The entity with this id if it exists, without creating it (the backend enricher asks
   * whether a host is a known service). An expected absence is `undefined`, not an error.
   */
  find(tenant: string, id: string): Promise<Entity | undefined> | Entity | undefined;
}

/** Namespace of Tessera's entity ids (a fixed random UUID; changing it changes every id). */
export const ENTITY_ID_NAMESPACE = '0f5c1d8e-3b7a-4c52-9e61-7d2f4a9b8c13';

const NAMESPACE_BYTES = parseUuid(ENTITY_ID_NAMESPACE);
/** Hashing costs microseconds and the same few entities recur in every trace. */
const recentIds = new LRUCache<string, string>({ max: 50_000 });

/**
 * The deterministic id of an entity: UUIDv5 of a canonical JSON string of
 * [tenant, type, [[key, value]…] sorted by key], which no two different inputs share.
 */
export function entityId(tenant: string, type: EntityType, identifying: Record<string, string>): string {
  const keys = Object.keys(identifying).sort();
  const pairs: [string, string][] = keys.map((k) => [k, identifying[k]]);
  const name = JSON.stringify([tenant, type, pairs]);
  let id = recentIds.get(name);
  if (id === undefined) {
    id = uuidv5(name, NAMESPACE_BYTES);
    recentIds.set(name, id);
  }
  return id;
}

/** An entity built from a request, as a store would create it. */
export function entityFromRequest(request: EntityRequest, id = entityId(request.tenant, request.type, request.identifying)): Entity {
  return {
    id,
    tenant: request.tenant,
    type: request.type,
    name: request.name,
    identifying: { ...request.identifying },
    attributes: { ...request.attributes, ...request.identifying },
  };
}

/** Tenants whose service ids are remembered at a time, and names per tenant. */
const SERVICE_ID_TENANTS = 64;
const SERVICE_IDS_PER_TENANT = 4096;
/**
 * Service ids by tenant, then name: two lookups on strings the caller already holds, where a key
 * joined from them was a new string to build and hash on every call (the backend enricher asks
 * for each HTTP or gRPC host, span after span).
 */
const serviceIdsOf = boundedMemo(SERVICE_ID_TENANTS, (tenant) =>
  boundedMemo(SERVICE_IDS_PER_TENANT, (fqn) => entityId(tenant, 'SERVICE', { [EntityKeys.FQN]: fqn })),
);

/** The id a SERVICE named `fqn` has (or would have) in `tenant`. */
export function serviceEntityId(tenant: string, fqn: string): string {
  return serviceIdsOf(tenant)(fqn);
}
