// The enrich EntityResolver on EntityActors: entity ids shard the work over a small pool of
// actors, each with its bounded LRU cache over the EntityStore. A cache hit answers
// synchronously (no message, no promise); misses go to their shard's actor, which batches them
// into one store round trip.
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { entityId } from '../enrich/entity.ts';
import type { EntityRequest, EntityResolver } from '../enrich/entity.ts';
import { TesseraError, type ErrorCode } from '../errors.ts';
import { changeOf, type EntityStore, type StoredEntity } from '../store/entities.ts';
import { ask, stopActor, tell, type ActorRef, type ActorSystem } from './runtime.ts';
import {
  spawnEntityActor,
  type DrainReply,
  type EntityActorMsg,
  type EntityActorStats,
  type EntityCache,
  type FindReply,
  type KeyedRequest,
  type ResolveReply,
} from './entityActor.ts';

/** The bounded cache of one shard: entities by id, and recent absences (with a time to live). */
export class LruEntityCache implements EntityCache {
  private readonly present: LRUCache<string, StoredEntity>;
  private readonly absent: LRUCache<string, true>;

  constructor(opts: { max: number; ttlMs: number; absentTtlMs: number }) {
    this.present = new LRUCache({ max: opts.max, ttl: opts.ttlMs });
    this.absent = new LRUCache({ max: opts.max, ttl: opts.absentTtlMs });
  }

  entity(tenant: string, id: string): StoredEntity | undefined {
    const e = this.present.get(id);
    return e !== undefined && e.tenant === tenant ? e : undefined;
  }

  knownAbsent(tenant: string, id: string): boolean {
    return this.absent.has(`${tenant}\u0000${id}`);
  }

  remember(e: StoredEntity, fromStore: boolean): void {
    this.present.set(e.id, e, { noUpdateTTL: !fromStore });
    this.absent.delete(`${e.tenant}\u0000${e.id}`);
  }

  rememberAbsent(tenant: string, id: string): void {
    if (!this.present.has(id)) this.absent.set(`${tenant}\u0000${id}`, true);
  }

  get size(): number {
    return this.present.size;
  }
}

export interface EntityResolverOptions {
  /** Actors the entity ids are sharded over (default 2). */
  shards: number;
  /** Entities cached over all shards (default 50 000). */
  cacheSize: number;
  /**
   * How long a cached entity is believed (default 300 000 ms, as Hypertrace's entity cache; 0 =
   * until evicted): then the next request upserts again and sees what other nodes merged in.
   */
  cacheTtlMs: number;
  /** How long a store read that found nothing is believed (default 10 000 ms): another node may create it. */
  absentTtlMs: number;
  /** Seen-time updates finer than this are not written (default 60 000 ms). */
  seenResolutionMs: number;
  /** Seen-time updates wait at most this long to be written (default 5000 ms). */
  touchFlushMs: number;
  /** A resolve or find that needs the store fails after this long (DEADLINE_EXCEEDED, default 10 000 ms). */
  resolveTimeoutMs: number;
  /** Distinct entities waiting for the store per shard at most (default 10 000); more are RESOURCE_EXHAUSTED. */
  maxPendingWrites: number;
  /** Actor name prefix, unique under the parent (default "entity"). */
  name: string;
}

export const ENTITY_RESOLVER_DEFAULTS: Readonly<EntityResolverOptions> = {
  shards: 2,
  cacheSize: 50_000,
  cacheTtlMs: 300_000,
  absentTtlMs: 10_000,
  seenResolutionMs: 60_000,
  touchFlushMs: 5000,
  resolveTimeoutMs: 10_000,
  maxPendingWrites: 10_000,
  name: 'entity',
};

export interface EntityResolverStats extends EntityActorStats {
  /** Entities held by the caches. */
  cached: number;
  /** hits / (hits + misses); 1 before any request. */
  hitRate: number;
}

/** Options merged with the defaults and checked once; a bad one is a CONFIG error naming it. */
export function compileEntityResolverOptions(options: Partial<EntityResolverOptions> = {}): EntityResolverOptions {
  const o = { ...ENTITY_RESOLVER_DEFAULTS, ...options };
  for (const key of ['shards', 'cacheSize', 'cacheTtlMs', 'absentTtlMs', 'seenResolutionMs', 'touchFlushMs', 'resolveTimeoutMs', 'maxPendingWrites'] as const) {
    const min = key === 'cacheTtlMs' || key === 'seenResolutionMs' ? 0 : 1;
    if (!Number.isInteger(o[key]) || o[key] < min) {
      throw new TesseraError('CONFIG', `entity resolver option ${key} must be an integer ≥ ${min}, got ${o[key]}`);
    }
  }
  if (o.cacheSize < o.shards) throw new TesseraError('CONFIG', `entity resolver option cacheSize (${o.cacheSize}) must be at least shards (${o.shards})`);
  return o;
}

/** A level of the id memo; the id itself sits under the key ID (no attribute is named ""). */
type IdTree = Map<string, IdTree | string>;
const ID = '';
const child = (tree: IdTree, key: string): IdTree => {
  let next = tree.get(key);
  if (next === undefined || typeof next === 'string') tree.set(key, (next = new Map()));
  return next;
};

interface Shard {
  ref: ActorRef<EntityActorMsg>;
  cache: LruEntityCache;
  stats: EntityActorStats;
}

const newStats = (): EntityActorStats => ({ hits: 0, misses: 0, touches: 0, touchesDropped: 0, upserts: 0, gets: 0, written: 0, failures: 0 });

function askError(err: unknown, timeoutMs: number): TesseraError {
  if (err instanceof TesseraError) return err;
  if (err instanceof Error && /timeout/i.test(err.message)) {
    return new TesseraError('DEADLINE_EXCEEDED', `the entity store did not answer within ${timeoutMs} ms`, { cause: err });
  }
  return new TesseraError('UNAVAILABLE', 'the entity resolver is stopped', { cause: err });
}

const RETRY_LATER = new Set<ErrorCode>(['UNAVAILABLE', 'RESOURCE_EXHAUSTED']);
const replyError = (r: { code: ErrorCode; message: string }): TesseraError =>
  new TesseraError(r.code, r.message, RETRY_LATER.has(r.code) ? { retryAfterSec: 1 } : {});

export class ActorEntityResolver implements EntityResolver {
  private readonly shards: Shard[];
  private readonly seenResolutionUs: number;
  /**
   * Entity ids by tenant → type → key → value → key → value…: hashing a UUIDv5 (even memoized)
   * costs more than the rest of a hit, and a few lookups of short strings cost less than one
   * of a joined key.
   */
  private ids = new Map<string, IdTree>();
  private idCount = 0;
  private hits = 0;
  private closed = false;

  constructor(
    parent: ActorSystem | ActorRef<unknown>,
    deps: { store: EntityStore; logger: Logger },
    private readonly options: EntityResolverOptions,
  ) {
    this.seenResolutionUs = options.seenResolutionMs * 1000;
    const perShard = Math.floor(options.cacheSize / options.shards);
    this.shards = Array.from({ length: options.shards }, (_, i) => {
      const cache = new LruEntityCache({ max: perShard, ttlMs: options.cacheTtlMs, absentTtlMs: options.absentTtlMs });
      const stats = newStats();
      const ref = spawnEntityActor(parent, `${options.name}-${i}`, { ...deps, ...options, cache, stats });
      return { ref, cache, stats };
    });
  }

  private idOf(r: EntityRequest): string {
    let node = this.ids.get(r.tenant)?.get(r.type);
    for (const k in r.identifying) {
      if (node === undefined || typeof node === 'string') break;
      const values = node.get(k);
      node = typeof values === 'object' ? values.get(r.identifying[k]) : undefined;
    }
    const known = typeof node === 'object' ? node.get(ID) : undefined;
    if (typeof known === 'string') return known;
    const id = entityId(r.tenant, r.type, r.identifying);
    if (this.idCount >= this.options.cacheSize) (this.ids = new Map()), (this.idCount = 0);
    let at = child(child(this.ids, r.tenant), r.type);
    for (const k in r.identifying) at = child(child(at, k), r.identifying[k]);
    at.set(ID, id);
    this.idCount++;
    return id;
  }

  private shardOf(id: string): Shard {
    const h = parseInt(id.slice(0, 8), 16);
    return this.shards[Number.isNaN(h) ? 0 : h % this.shards.length];
  }

  resolve(request: EntityRequest): StoredEntity | Promise<StoredEntity> {
    const all = this.resolveAll([request]);
    return Array.isArray(all) ? all[0] : all.then((entities) => entities[0]);
  }

  resolveAll(requests: readonly EntityRequest[]): StoredEntity[] | Promise<StoredEntity[]> {
    if (this.closed) return Promise.reject(stoppedError());
    const out = new Array<StoredEntity>(requests.length);
    let misses: Map<Shard, { keyed: KeyedRequest[]; at: number[] }> | undefined;
    let touches: Map<Shard, KeyedRequest[]> | undefined;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i];
      const id = this.idOf(request);
      const shard = this.shardOf(id);
      const known = shard.cache.entity(request.tenant, id);
      const change = known === undefined ? 'attributes' : changeOf(known, request, this.seenResolutionUs);
      if (known !== undefined && change !== 'attributes') {
        this.hits++;
        out[i] = known;
        if (change === 'seen') {
          touches ??= new Map();
          const list = touches.get(shard);
          if (list === undefined) touches.set(shard, [{ id, request }]);
          else list.push({ id, request });
        }
        continue;
      }
      misses ??= new Map();
      const m = misses.get(shard);
      if (m === undefined) misses.set(shard, { keyed: [{ id, request }], at: [i] });
      else m.keyed.push({ id, request }), m.at.push(i);
    }
    if (touches !== undefined) for (const [shard, list] of touches) tell(shard.ref, { type: 'TouchEntities', requests: list });
    if (misses === undefined) return out;
    const timeoutMs = this.options.resolveTimeoutMs;
    const asked = [...misses].map(([shard, { keyed, at }]) =>
      ask<EntityActorMsg, ResolveReply>(shard.ref, (replyTo) => ({ type: 'ResolveEntities', requests: keyed, replyTo }), timeoutMs).then(
        (reply) => {
          if (reply.type === 'ResolveFailed') throw replyError(reply);
          reply.entities.forEach((e, k) => (out[at[k]] = e));
        },
        (err: unknown) => {
          throw askError(err, timeoutMs);
        },
      ),
    );
    return Promise.all(asked).then(() => out);
  }

  find(tenant: string, id: string): StoredEntity | undefined | Promise<StoredEntity | undefined> {
    if (this.closed) return Promise.reject(stoppedError());
    const shard = this.shardOf(id);
    const known = shard.cache.entity(tenant, id);
    if (known !== undefined || shard.cache.knownAbsent(tenant, id)) {
      this.hits++;
      return known;
    }
    const timeoutMs = this.options.resolveTimeoutMs;
    return ask<EntityActorMsg, FindReply>(shard.ref, (replyTo) => ({ type: 'FindEntities', tenant, ids: [id], replyTo }), timeoutMs).then(
      (reply) => {
        if (reply.type === 'FindFailed') throw replyError(reply);
        return reply.entities[0];
      },
      (err: unknown) => {
        throw askError(err, timeoutMs);
      },
    );
  }

  stats(): EntityResolverStats {
    const sum = newStats();
    for (const { stats } of this.shards) for (const k of Object.keys(sum) as (keyof EntityActorStats)[]) sum[k] += stats[k];
    sum.hits += this.hits;
    const cached = this.shards.reduce((n, s) => n + s.cache.size, 0);
    const asked = sum.hits + sum.misses;
    return { ...sum, cached, hitRate: asked === 0 ? 1 : sum.hits / asked };
  }

  /** Writes pending seen-time updates (waiting up to the resolve timeout), then stops the actors. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const timeoutMs = this.options.resolveTimeoutMs;
    const each = (type: 'Drain' | 'Stop') =>
      Promise.all(this.shards.map((s) => ask<EntityActorMsg, DrainReply>(s.ref, (replyTo) => ({ type, replyTo }), timeoutMs).catch(() => undefined)));
    await each('Drain');
    await each('Stop');
    for (const s of this.shards) stopActor(s.ref);
  }
}

const stoppedError = (): TesseraError => new TesseraError('UNAVAILABLE', 'the entity resolver is stopped');

/** Starts the shard actors under `parent`; `close()` stops them. */
export function startEntityResolver(
  parent: ActorSystem | ActorRef<unknown>,
  deps: { store: EntityStore; logger: Logger },
  options: Partial<EntityResolverOptions> = {},
): ActorEntityResolver {
  return new ActorEntityResolver(parent, deps, compileEntityResolverOptions(options));
}
