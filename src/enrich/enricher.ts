// The enricher contract: each enricher is a small module with a name and the names it depends
// on; the pipeline runs them in dependency order over one trace at a time.

import type { Entity, EntityRequest, EntityResolver } from './entity.ts';
import type { EnrichedTrace } from './types.ts';

export interface EnrichmentContext {
  /** The trace being enriched; enrichers fill its columns and trace-level results. */
  readonly trace: EnrichedTrace;
  readonly resolver: EntityResolver;
  /** Records an entity the trace references (each id once, first use first). */
  addEntity(entity: Entity): void;
}

export interface Enricher {
  readonly name: string;
  /** Enrichers that must run first. A dependency that throws does not stop this one. */
  readonly dependsOn: readonly string[];
  /** Returns a promise only when it must wait (an entity resolver that answers asynchronously). */
  enrich(ctx: EnrichmentContext): void | Promise<void>;
}

export type MaybePromise<T> = T | Promise<T>;

const isThenable = <T>(v: MaybePromise<T>): v is Promise<T> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/** Every value, in order; synchronous when none is a promise, so a warm cache costs no promise. */
export function allOf<T>(values: readonly MaybePromise<T>[]): MaybePromise<T[]> {
  for (const v of values) if (isThenable(v)) return Promise.all(values);
  return values as T[];
}

/** Resolves several entity requests, in request order: in one batch when the resolver can. */
export function resolveMany(resolver: EntityResolver, requests: readonly EntityRequest[]): MaybePromise<Entity[]> {
  if (requests.length === 0) return [];
  if (resolver.resolveAll !== undefined) return resolver.resolveAll(requests);
  return allOf(requests.map((r) => resolver.resolve(r)));
}

/** Applies `then` to a value that may be a promise, staying synchronous when it is not. */
export function andThen<T, U>(value: MaybePromise<T>, then: (v: T) => MaybePromise<U>): MaybePromise<U> {
  return isThenable(value) ? value.then(then) : then(value);
}
