// The storage ports. Shaped by what the actors and the gateway need, never by one backend.
// This module imports no adapter; adapters (memory, redis, duckdb, postgres) import it.

import type { Span } from '../model/span.ts';

// ---------------------------------------------------------------------------------------------
// SpanLog: the partitioned, durable log between receivers and trace assembly.

/** One log entry: a batch of spans that all belong to one partition. */
export interface SpanLogEntry {
  /** Adapter-assigned, ordered within a partition (Redis stream id, or a counter in-process). */
  id: string;
  partition: number;
  spans: Span[];
}

export interface ReadOptions {
  /** At most this many entries (per partition). */
  count: number;
  /** Wait up to this long for new entries when none are ready (0 = do not wait). */
  blockMs: number;
}

export interface SpanLog {
  readonly partitions: number;
  /**
   * Appends one entry per partition, all or nothing from the caller's point of view: it
   * resolves only when every entry is durable. Rejects with a TesseraError UNAVAILABLE
   * (log unreachable) or RESOURCE_EXHAUSTED (over its bound); both are retryable.
   */
  append(batches: ReadonlyMap<number, Span[]>): Promise<void>;
  /**
   * Entries of these partitions never delivered to any consumer yet, now marked pending for
   * `consumer`. One call covers every partition a node owns, so an adapter can serve it with a
   * single blocking read; it waits up to `blockMs` when nothing is ready.
   */
  readNew(partitions: readonly number[], consumer: string, opts: ReadOptions): Promise<SpanLogEntry[]>;
  /** Entries delivered to `consumer` but not acknowledged (re-read by an owner on start). */
  readPending(partition: number, consumer: string, count: number): Promise<SpanLogEntry[]>;
  /** Takes over entries pending for other consumers for at least `minIdleMs` (handoff). */
  claimStale(partition: number, consumer: string, minIdleMs: number, count: number): Promise<SpanLogEntry[]>;
  /** Acknowledges entries: they are done and may be trimmed. */
  ack(partition: number, ids: readonly string[]): Promise<void>;
  /** Entries appended and not yet acknowledged, over all partitions (for bounds and metrics). */
  backlog(): Promise<number>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// ViewStore: the materialized query views.

export interface TraceKey {
  tenant: string;
  traceId: string;
}

export const traceKeyString = (k: TraceKey): string => `${k.tenant}\u0000${k.traceId}`;

/** Column values as the view definitions declare them. */
export type ViewValue = string | number | boolean | null | bigint | Record<string, string> | string[] | Uint8Array;
export type ViewRow = Record<string, ViewValue>;

/** All rows one trace contributes to each view, keyed by view name. */
export interface TraceRows {
  key: TraceKey;
  views: Record<string, ViewRow[]>;
}

/** A write's claim to a partition: the fencing token of the lease it was made under (ADR 010). */
export interface WriteFence {
  partition: number;
  token: number;
}

export interface ReplaceOptions {
  /** The partitions whose traces the write carries, with the tokens of their leases. */
  fences?: readonly WriteFence[];
}

/**
 * The view store. Writes are idempotent replace-by-trace; reads are dialect-neutral
 * queries (see query.ts) that each adapter renders for its own SQL dialect.
 */
export interface ViewStore {
  /** Creates what is missing (tables, indexes). Safe to call on an existing store. */
  init(): Promise<void>;
  /**
   * Replaces every row of each given trace in every view, atomically per call. With `fences`
   * (a cluster's shared store), the write commits only if no write has carried a higher token
   * for any of those partitions, checked in the same transaction; otherwise it is refused
   * (FENCED) and leaves nothing. A store only one node writes may accept and ignore them.
   */
  replaceTraces(traces: readonly TraceRows[], opts?: ReplaceOptions): Promise<void>;
  /** The stored spans of those traces already written, keyed by traceKeyString; one round trip. */
  storedSpans(keys: readonly TraceKey[]): Promise<Map<string, Span[]>>;
  /**
   * Runs a planned query, scoped to `q.tenant`. Rejects with BAD_QUERY for a plan it cannot run,
   * and with DEADLINE_EXCEEDED (the statement stopped, its connection free) once `opts.signal` aborts.
   */
  query(q: ViewQuery, opts?: QueryOptions): Promise<ViewQueryResult>;
  close(): Promise<void>;
}

export type { ViewQuery, ViewQueryResult } from './query.ts';
import type { QueryOptions, ViewQuery, ViewQueryResult } from './query.ts';
