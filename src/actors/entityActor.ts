// EntityActor: find-or-create of SERVICE / API / BACKEND entities for one shard of entity ids,
// through a bounded LRU cache over the EntityStore. A hit costs no store call; the misses that
// arrive together cost one upsert (or one get, for finds); a request for an entity already being
// written waits on that write instead of writing again. Seen-time updates of cached entities
// (touches) are written behind, at most once per entity per `seenResolutionMs`.

import type { Logger } from 'pino';
import type { EntityRequest } from '../enrich/entity.ts';
import { TesseraError, asTesseraError, type ErrorCode } from '../errors.ts';
import { changeOf, mergeWrite, seenOf, writeOf, type EntityStore, type EntityWrite, type StoredEntity } from '../store/entities.ts';
import { spawnActor, tell, type ActorRef, type ActorSystem } from './runtime.ts';

/**
 * The actor's cache, written only by the actor. Resolvers read it without a message, so a hit
 * costs no message and no promise (both run on the one JS thread: a read never sees half an
 * update). `LruEntityCache` in entityResolver.ts is the bounded one.
 */
export interface EntityCache {
  /** The cached entity with this id in this tenant. */
  entity(tenant: string, id: string): StoredEntity | undefined;
  /** True when a store read recently found no such entity. */
  knownAbsent(tenant: string, id: string): boolean;
  /** `fromStore`: the store's answer, which restarts the entry's time to live; a local update does not. */
  remember(e: StoredEntity, fromStore: boolean): void;
  rememberAbsent(tenant: string, id: string): void;
}

export interface KeyedRequest {
  /** `entityId(tenant, type, identifying)`, computed by the caller (it picked the shard by it). */
  id: string;
  request: EntityRequest;
}

export type ResolveReply = { type: 'EntitiesResolved'; entities: StoredEntity[] } | { type: 'ResolveFailed'; code: ErrorCode; message: string };
export type FindReply = { type: 'EntitiesFound'; entities: (StoredEntity | undefined)[] } | { type: 'FindFailed'; code: ErrorCode; message: string };
export type DrainReply = { type: 'Drained' };

export type EntityActorMsg =
  /** Find-or-create each entity; answered in request order once all are stored. */
  | { type: 'ResolveEntities'; requests: KeyedRequest[]; replyTo: ActorRef<ResolveReply> }
  /** The stored entities with these ids (undefined where none), creating nothing. */
  | { type: 'FindEntities'; tenant: string; ids: string[]; replyTo: ActorRef<FindReply> }
  /** Cache hits whose seen time moved past the cached range: record it, write it behind. */
  | { type: 'TouchEntities'; requests: KeyedRequest[] }
  | { type: 'FlushWrites'; fromTimer?: boolean }
  | { type: 'FlushReads' }
  | { type: 'WritesStored'; entities: StoredEntity[] }
  | { type: 'WritesFailed'; error: TesseraError }
  | { type: 'ReadsAnswered'; found: Map<string, StoredEntity> }
  | { type: 'ReadsFailed'; error: TesseraError }
  /** Write what is pending now; answered when nothing is pending or in flight. */
  | { type: 'Drain'; replyTo: ActorRef<DrainReply> }
  /** Fail whoever still waits and stop the touch timer; answered once done. */
  | { type: 'Stop'; replyTo: ActorRef<DrainReply> };

export interface EntityActorStats {
  hits: number; // requests answered from the cache inside the actor (resolvers count their own)
  misses: number; // requests that waited on a store write
  touches: number;
  touchesDropped: number;
  upserts: number; // store round trips
  gets: number;
  written: number;
  failures: number;
}

export interface EntityActorDeps {
  store: EntityStore;
  cache: EntityCache;
  logger: Logger;
  stats: EntityActorStats;
  seenResolutionMs: number;
  /** Touches wait at most this long for a write to ride along with. */
  touchFlushMs: number;
  /** Distinct entities waiting for the next write (or read) at most; more are refused. */
  maxPendingWrites: number;
}

/** One answer slot per requested entity: replies once all are filled, or fails once. */
interface Ticket<T> {
  fill(index: number, value: T): void;
  fail(err: TesseraError): void;
}

function ticket<T>(size: number, ok: (results: T[]) => void, failed: (err: TesseraError) => void): Ticket<T> {
  const results = new Array<T>(size);
  let remaining = size;
  let done = size === 0;
  if (done) ok(results);
  return {
    fill(index, value) {
      results[index] = value;
      if (!done && --remaining === 0) (done = true), ok(results);
    },
    fail(err) {
      if (!done) (done = true), failed(err);
    },
  };
}

type Waiter<T> = { ticket: Ticket<T>; index: number };
type PendingRead = { tenant: string; id: string; waiters: Waiter<StoredEntity | undefined>[] };

interface State {
  pending: Map<string, EntityWrite>;
  waiters: Map<string, Waiter<StoredEntity>[]>;
  inflight: Map<string, { write: EntityWrite; waiters: Waiter<StoredEntity>[] }> | null;
  /** Flush messages already on their way to the mailbox. */
  scheduled: Set<'FlushWrites' | 'FlushReads'>;
  touchTimer: NodeJS.Timeout | undefined;
  reads: Map<string, PendingRead>;
  readsInflight: Map<string, PendingRead> | null;
  drains: ActorRef<DrainReply>[];
  failures: number;
  stopped: boolean;
}

const readKey = (tenant: string, id: string): string => `${tenant}\u0000${id}`;
const closedError = (): TesseraError => new TesseraError('UNAVAILABLE', 'the entity resolver is stopping');

export function spawnEntityActor(parent: ActorSystem | ActorRef<unknown>, name: string, deps: EntityActorDeps): ActorRef<EntityActorMsg> {
  const { store, cache, stats } = deps;
  const resolutionUs = deps.seenResolutionMs * 1000;
  let self: ActorRef<EntityActorMsg>;
  const tooMany = (what: string) =>
    new TesseraError('RESOURCE_EXHAUSTED', `more than ${deps.maxPendingWrites} ${what} wait for the entity store`, { retryAfterSec: 1 });

  // Behind the messages already queued: the misses that arrived together go in one round trip.
  const schedule = (state: State, type: 'FlushWrites' | 'FlushReads'): void => {
    if (state.scheduled.has(type)) return;
    state.scheduled.add(type);
    tell(self, { type });
  };
  const scheduleTouchFlush = (state: State, delayMs: number): void => {
    if (state.touchTimer !== undefined || state.stopped) return;
    state.touchTimer = setTimeout(() => tell(self, { type: 'FlushWrites', fromTimer: true }), delayMs);
    state.touchTimer.unref();
  };

  /** A touch never overrides a pending write's attributes: the pending one is applied over it. */
  const addTouch = (state: State, touch: EntityWrite): void => {
    const existing = state.pending.get(touch.id);
    if (existing === undefined && state.pending.size >= deps.maxPendingWrites) {
      stats.touchesDropped++;
      return;
    }
    state.pending.set(touch.id, existing === undefined ? touch : mergeWrite(touch, existing));
    scheduleTouchFlush(state, deps.touchFlushMs);
  };

  const touch = (state: State, known: StoredEntity, request: EntityRequest): void => {
    const seen = seenOf(request);
    const t = { ...known, firstSeenUs: Math.min(seen, known.firstSeenUs), lastSeenUs: Math.max(seen, known.lastSeenUs) };
    stats.touches++;
    // Later hits inside the new range need no touch of their own.
    cache.remember(t, false);
    addTouch(state, t);
  };

  const resolve = (state: State, requests: KeyedRequest[], replyTo: ActorRef<ResolveReply>): void => {
    const reply = ticket<StoredEntity>(
      requests.length,
      (entities) => tell(replyTo, { type: 'EntitiesResolved', entities }),
      (err) => tell(replyTo, { type: 'ResolveFailed', code: err.code, message: err.message }),
    );
    if (state.stopped) return reply.fail(closedError());
    requests.forEach(({ id, request }, index) => {
      const known = cache.entity(request.tenant, id);
      const change = known === undefined ? 'attributes' : changeOf(known, request, resolutionUs);
      if (known !== undefined && change !== 'attributes') {
        stats.hits++;
        if (change === 'seen') touch(state, known, request);
        return reply.fill(index, known);
      }
      stats.misses++;
      const flying = state.inflight?.get(id);
      if (flying !== undefined && changeOf(flying.write, request, Infinity) !== 'attributes') {
        flying.waiters.push({ ticket: reply, index });
        return;
      }
      const write = writeOf(id, request);
      const pending = state.pending.get(id);
      if (pending === undefined && state.pending.size >= deps.maxPendingWrites) return reply.fail(tooMany('entities'));
      state.pending.set(id, pending === undefined ? write : mergeWrite(pending, write));
      const waiting = state.waiters.get(id);
      if (waiting === undefined) state.waiters.set(id, [{ ticket: reply, index }]);
      else waiting.push({ ticket: reply, index });
      schedule(state, 'FlushWrites');
    });
  };

  const flushWrites = (state: State): void => {
    if (state.inflight !== null || state.pending.size === 0) return;
    const inflight = new Map<string, { write: EntityWrite; waiters: Waiter<StoredEntity>[] }>();
    for (const [id, write] of state.pending) inflight.set(id, { write, waiters: state.waiters.get(id) ?? [] });
    state.pending = new Map();
    state.waiters = new Map();
    state.inflight = inflight;
    const writes = [...inflight.values()].map((f) => f.write);
    stats.upserts++;
    Promise.resolve()
      .then(() => store.upsert(writes))
      .then(
        (entities) => tell(self, { type: 'WritesStored', entities }),
        (err: unknown) => tell(self, { type: 'WritesFailed', error: asTesseraError(err) }),
      );
  };

  const afterWrite = (state: State, ok: boolean): void => {
    state.inflight = null;
    if (state.waiters.size > 0) schedule(state, 'FlushWrites');
    else if (state.pending.size > 0) {
      if (state.drains.length > 0 && ok) schedule(state, 'FlushWrites');
      else scheduleTouchFlush(state, ok ? deps.touchFlushMs : Math.min(60_000, deps.touchFlushMs * 2 ** Math.min(state.failures, 4)));
    }
    if (state.drains.length > 0 && (!ok || (state.pending.size === 0 && state.inflight === null))) {
      for (const d of state.drains.splice(0)) tell(d, { type: 'Drained' });
    }
  };

  const writesStored = (state: State, entities: StoredEntity[]): void => {
    const inflight = state.inflight ?? new Map();
    stats.written += entities.length;
    state.failures = 0;
    for (const e of entities) {
      cache.remember(e, true);
      for (const w of inflight.get(e.id)?.waiters ?? []) w.ticket.fill(w.index, e);
    }
    afterWrite(state, true);
  };

  const writesFailed = (state: State, error: TesseraError): void => {
    stats.failures++;
    state.failures++;
    deps.logger.warn({ err: error, entities: state.inflight?.size }, 'entity store write failed');
    for (const [, { write, waiters }] of state.inflight ?? []) {
      // Callers see the error and retry; touches nobody waits on are kept for the next write.
      if (waiters.length > 0) for (const w of waiters) w.ticket.fail(error);
      else {
        const pending = state.pending.get(write.id);
        state.pending.set(write.id, pending === undefined ? write : mergeWrite(write, pending));
      }
    }
    afterWrite(state, false);
  };

  const find = (state: State, tenant: string, ids: string[], replyTo: ActorRef<FindReply>): void => {
    const reply = ticket<StoredEntity | undefined>(
      ids.length,
      (entities) => tell(replyTo, { type: 'EntitiesFound', entities }),
      (err) => tell(replyTo, { type: 'FindFailed', code: err.code, message: err.message }),
    );
    if (state.stopped) return reply.fail(closedError());
    ids.forEach((id, index) => {
      const known = cache.entity(tenant, id);
      if (known !== undefined || cache.knownAbsent(tenant, id)) return reply.fill(index, known);
      const key = readKey(tenant, id);
      const read = state.readsInflight?.get(key) ?? state.reads.get(key);
      if (read !== undefined) return read.waiters.push({ ticket: reply, index });
      if (state.reads.size >= deps.maxPendingWrites) return reply.fail(tooMany('entity reads'));
      state.reads.set(key, { tenant, id, waiters: [{ ticket: reply, index }] });
      schedule(state, 'FlushReads');
    });
  };

  const flushReads = (state: State): void => {
    if (state.readsInflight !== null || state.reads.size === 0) return;
    const inflight = state.reads;
    state.reads = new Map();
    state.readsInflight = inflight;
    const byTenant = new Map<string, string[]>();
    for (const { tenant, id } of inflight.values()) {
      const ids = byTenant.get(tenant);
      if (ids === undefined) byTenant.set(tenant, [id]);
      else ids.push(id);
    }
    stats.gets += byTenant.size;
    Promise.all([...byTenant].map(([tenant, ids]) => Promise.resolve().then(() => store.get(tenant, ids))))
      .then((maps) => {
        const found = new Map<string, StoredEntity>();
        for (const m of maps) for (const e of m.values()) found.set(readKey(e.tenant, e.id), e);
        return found;
      })
      .then(
        (found) => tell(self, { type: 'ReadsAnswered', found }),
        (err: unknown) => tell(self, { type: 'ReadsFailed', error: asTesseraError(err) }),
      );
  };

  const readsDone = (state: State, found: Map<string, StoredEntity> | undefined, error?: TesseraError): void => {
    if (error !== undefined) {
      stats.failures++;
      deps.logger.warn({ err: error }, 'entity store read failed');
    }
    for (const [key, { tenant, id, waiters }] of state.readsInflight ?? []) {
      if (found === undefined) {
        for (const w of waiters) w.ticket.fail(error ?? closedError());
        continue;
      }
      // A write that landed meanwhile is newer than what the read saw.
      let answer = cache.entity(tenant, id);
      if (answer === undefined) {
        answer = found.get(key);
        if (answer !== undefined) cache.remember(answer, true);
        else cache.rememberAbsent(tenant, id);
      }
      for (const w of waiters) w.ticket.fill(w.index, answer);
    }
    state.readsInflight = null;
    if (state.reads.size > 0) schedule(state, 'FlushReads');
  };

  const stop = (state: State): void => {
    state.stopped = true;
    clearTimeout(state.touchTimer);
    state.touchTimer = undefined;
    const err = closedError();
    // Store answers still on their way will find the actor stopped: their waiters fail now.
    for (const waiting of state.waiters.values()) for (const w of waiting) w.ticket.fail(err);
    for (const { waiters } of state.inflight?.values() ?? []) for (const w of waiters) w.ticket.fail(err);
    for (const read of [...state.reads.values(), ...(state.readsInflight?.values() ?? [])]) for (const w of read.waiters) w.ticket.fail(err);
    state.waiters.clear();
    state.reads.clear();
    for (const d of state.drains.splice(0)) tell(d, { type: 'Drained' });
  };

  const handle = (state: State, msg: EntityActorMsg): State => {
    switch (msg.type) {
      case 'ResolveEntities':
        resolve(state, msg.requests, msg.replyTo);
        break;
      case 'FindEntities':
        find(state, msg.tenant, msg.ids, msg.replyTo);
        break;
      case 'TouchEntities':
        for (const { id, request } of msg.requests) {
          const known = cache.entity(request.tenant, id);
          if (known !== undefined && changeOf(known, request, resolutionUs) === 'seen') touch(state, known, request);
        }
        break;
      case 'FlushWrites':
        if (msg.fromTimer) state.touchTimer = undefined;
        else state.scheduled.delete('FlushWrites');
        if (!state.stopped) flushWrites(state);
        break;
      case 'FlushReads':
        state.scheduled.delete('FlushReads');
        flushReads(state);
        break;
      case 'WritesStored':
        writesStored(state, msg.entities);
        break;
      case 'WritesFailed':
        writesFailed(state, msg.error);
        break;
      case 'ReadsAnswered':
        readsDone(state, msg.found);
        break;
      case 'ReadsFailed':
        readsDone(state, undefined, msg.error);
        break;
      case 'Drain':
        if (state.pending.size === 0 && state.inflight === null) tell(msg.replyTo, { type: 'Drained' });
        else {
          state.drains.push(msg.replyTo);
          schedule(state, 'FlushWrites');
        }
        break;
      case 'Stop':
        stop(state);
        tell(msg.replyTo, { type: 'Drained' });
        break;
    }
    return state;
  };

  self = spawnActor<State, EntityActorMsg>(parent, {
    name,
    initialState: {
      pending: new Map(),
      waiters: new Map(),
      inflight: null,
      scheduled: new Set(),
      touchTimer: undefined,
      reads: new Map(),
      readsInflight: null,
      drains: [],
      failures: 0,
      stopped: false,
    },
    handle,
    // A throw mid-message leaves at worst some callers to their query timeout; the cache and
    // the other waiters stay valid, so the actor carries on.
    onCrash: 'resume',
    logger: deps.logger,
  });
  return self;
}
