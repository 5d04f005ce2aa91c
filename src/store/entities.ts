// The EntityStore port: durable SERVICE / API / BACKEND entities (Hypertrace's entity service and
// its document store). Shaped by what the entity actors (find-or-create) and the gateway
// (attributes and lists; metrics come from the views) need. Imports no adapter.
//
// The pure helpers below (validation, merge, coalescing) are the upsert rules every adapter and
// the actors share, so the rules live in one place.

import { EntityKeys, entityId } from '../enrich/entity.ts';
import type { Entity, EntityRequest, EntityType } from '../enrich/entity.ts';
import { invalid } from '../errors.ts';

export type { Entity, EntityType } from '../enrich/entity.ts';

export const ENTITY_TYPES: readonly EntityType[] = ['SERVICE', 'API', 'BACKEND'];

/** The identifying attributes of each type (hypertrace-ingest §5), exactly these, all non-empty. */
export const IDENTIFYING_KEYS: Readonly<Record<EntityType, readonly string[]>> = {
  SERVICE: [EntityKeys.FQN],
  API: [EntityKeys.API_URL_PATTERN, EntityKeys.SERVICE_ID, EntityKeys.API_TYPE],
  BACKEND: [EntityKeys.BACKEND_PROTOCOL, EntityKeys.BACKEND_HOST, EntityKeys.BACKEND_PORT],
};

/** An entity as a store holds it: the enrich `Entity` plus the span times it was seen over (µs). */
export interface StoredEntity extends Entity {
  firstSeenUs: number;
  lastSeenUs: number;
}

/**
 * What an upsert sends: the same shape. `name` and attribute values that are empty leave the
 * stored ones alone; `firstSeenUs..lastSeenUs` widens the stored range.
 */
export type EntityWrite = StoredEntity;

export interface EntityFilter {
  /** Every one of these attributes has exactly this value. */
  attributes?: Record<string, string>;
  /** Seen at some time in [fromUs, toUs): last seen ≥ fromUs and first seen < toUs. */
  seenBetween?: { fromUs: number; toUs: number };
}

export interface EntityListOptions extends EntityFilter {
  /** 1..MAX_ENTITY_LIST_LIMIT. */
  limit: number;
  offset?: number;
}

export const MAX_ENTITY_LIST_LIMIT = 10_000;

export interface EntityStore {
  /** Creates or migrates what is missing. Safe to call on an existing store, and from several nodes at once. */
  init(): Promise<void>;
  /**
   * Find-or-create by id (which the identifying attributes determine), merging: later non-empty
   * attribute values and names win, identifying attributes never change, first seen = min,
   * last seen = max. One round trip per call. Answers the stored entities in request order
   * (a duplicate id answers its merged entity at each position). Rejects with INVALID_ARGUMENT
   * for an entity whose id or identifying attributes are wrong, UNAVAILABLE when the store
   * cannot be reached (retryable).
   */
  upsert(entities: readonly EntityWrite[]): Promise<StoredEntity[]>;
  /** The entities of this tenant with these ids; a missing id is simply not in the map. */
  get(tenant: string, ids: readonly string[]): Promise<Map<string, StoredEntity>>;
  /** Entities of one type, ordered by name then id, a page at a time. */
  list(tenant: string, type: EntityType, options: EntityListOptions): Promise<StoredEntity[]>;
  /** How many entities `list` would page through without limit and offset. */
  count(tenant: string, type: EntityType, filter?: EntityFilter): Promise<number>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Upsert rules, shared by adapters and actors.

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Refuses a write no store may hold (INVALID_ARGUMENT, naming what is wrong). */
export function validateWrite(w: EntityWrite): void {
  const keys = IDENTIFYING_KEYS[w.type];
  if (keys === undefined) throw invalid(`entity type ${JSON.stringify(w.type)} is not one of ${ENTITY_TYPES.join(', ')}`);
  if (typeof w.tenant !== 'string') throw invalid('entity tenant must be a string');
  const given = Object.keys(w.identifying);
  if (given.length !== keys.length || keys.some((k) => typeof w.identifying[k] !== 'string' || w.identifying[k] === '')) {
    throw invalid(`a ${w.type} entity is identified by exactly ${keys.join(', ')} (non-empty); got ${given.join(', ') || 'none'}`);
  }
  if (w.id !== entityId(w.tenant, w.type, w.identifying)) {
    throw invalid(`entity id ${w.id} does not match its tenant, type and identifying attributes`);
  }
  if (!isTime(w.firstSeenUs) || !isTime(w.lastSeenUs) || w.firstSeenUs > w.lastSeenUs) {
    throw invalid(`entity ${w.id}: first and last seen must be integer µs with first ≤ last`);
  }
}

/** The write as stores keep it: no empty values, identifying attributes copied in and winning. */
export function cleanWrite(w: EntityWrite): EntityWrite {
  const attributes: Record<string, string> = {};
  for (const k in w.attributes) {
    const v = w.attributes[k];
    if (typeof v === 'string' && v !== '') attributes[k] = v;
  }
  for (const k in w.identifying) attributes[k] = w.identifying[k];
  return { ...w, identifying: { ...w.identifying }, attributes };
}

/** `later` applied over `earlier` (same id): the rule every store applies on conflict. */
export function mergeWrite(earlier: EntityWrite, later: EntityWrite): EntityWrite {
  const attributes = { ...earlier.attributes };
  for (const k in later.attributes) {
    const v = later.attributes[k];
    if (v !== '' && !(k in earlier.identifying)) attributes[k] = v;
  }
  return {
    ...earlier,
    name: later.name !== '' ? later.name : earlier.name,
    attributes,
    firstSeenUs: Math.min(earlier.firstSeenUs, later.firstSeenUs),
    lastSeenUs: Math.max(earlier.lastSeenUs, later.lastSeenUs),
  };
}

/**
 * Validates and cleans a batch and merges writes to the same id (in order), since one SQL
 * statement may touch a row only once. `positionOf[i]` is where write i went in `unique`.
 */
export function coalesceWrites(writes: readonly EntityWrite[]): { unique: EntityWrite[]; positionOf: number[] } {
  const unique: EntityWrite[] = [];
  const at = new Map<string, number>();
  const positionOf = writes.map((w) => {
    validateWrite(w);
    const key = `${w.tenant}\u0000${w.id}`;
    const clean = cleanWrite(w);
    const k = at.get(key);
    if (k === undefined) {
      at.set(key, unique.length);
      unique.push(clean);
      return unique.length - 1;
    }
    unique[k] = mergeWrite(unique[k], clean);
    return k;
  });
  return { unique, positionOf };
}

/** What upserting a resolve request would change in a stored entity. */
export type EntityChange = 'none' | 'seen' | 'attributes';

/**
 * `attributes` when the request brings a new non-empty name or attribute value; `seen` when it
 * only widens the seen range — earlier than first seen, or later than last seen by more than
 * `seenResolutionUs` (finer updates are not worth a write); else `none`.
 */
export function changeOf(stored: StoredEntity, request: EntityRequest, seenResolutionUs: number): EntityChange {
  if (request.name !== '' && request.name !== stored.name) return 'attributes';
  const attributes = request.attributes;
  for (const k in attributes) {
    const v = attributes[k];
    if (v !== '' && stored.attributes[k] !== v && !(k in stored.identifying)) return 'attributes';
  }
  const seen = request.seenUs;
  if (seen !== undefined && (seen < stored.firstSeenUs || seen > stored.lastSeenUs + seenResolutionUs)) return 'seen';
  return 'none';
}

/** When a request saw its entity, as integer µs (now, when it does not say). */
export const seenOf = (request: EntityRequest): number => Math.max(0, Math.trunc(request.seenUs ?? Date.now() * 1000));

/** The write that resolves a request for entity `id`. */
export function writeOf(id: string, request: EntityRequest): EntityWrite {
  const seen = seenOf(request);
  return {
    id,
    tenant: request.tenant,
    type: request.type,
    name: request.name,
    identifying: request.identifying,
    attributes: request.attributes,
    firstSeenUs: seen,
    lastSeenUs: seen,
  };
}

/** Refuses list options no adapter should run (INVALID_ARGUMENT). */
export function validateListOptions(options: EntityListOptions): { limit: number; offset: number } {
  const { limit, offset = 0 } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ENTITY_LIST_LIMIT) {
    throw invalid(`list limit must be an integer in 1..${MAX_ENTITY_LIST_LIMIT}, got ${limit}`);
  }
  if (!Number.isInteger(offset) || offset < 0) throw invalid(`list offset must be a non-negative integer, got ${offset}`);
  validateFilter(options);
  return { limit, offset };
}

export function validateFilter(filter: EntityFilter): void {
  const range = filter.seenBetween;
  if (range !== undefined && (!Number.isSafeInteger(range.fromUs) || !Number.isSafeInteger(range.toUs))) {
    throw invalid('seenBetween needs integer fromUs and toUs');
  }
}

/** `type` as an EntityType, or INVALID_ARGUMENT. */
export function entityTypeOf(type: string): EntityType {
  if ((ENTITY_TYPES as readonly string[]).includes(type)) return type as EntityType;
  throw invalid(`entity type ${JSON.stringify(type)} is not one of ${ENTITY_TYPES.join(', ')}`);
}
