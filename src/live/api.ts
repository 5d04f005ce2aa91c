// The live path's port: written traces go in (fire-and-forget, from the ViewWriter's
// onWritten), and every subscriber of the trace's tenant gets them, on this node or, with the
// Redis implementation, on any node. Adapters: memoryHub.ts (embedded), redisHub.ts (cluster);
// both pass test/live/hub.conformance.ts. docs/PROTOCOL.md, "Live subscriptions".
import type { WrittenTrace } from '../actors/viewWriter.ts';
import type { ViewRow } from '../store/api.ts';

/** One written trace as subscribers receive it. */
export interface LiveTrace {
  tenant: string;
  traceId: string;
  /** A late span re-opened the trace: these rows replace the ones sent before. */
  update: boolean;
  /** Epoch milliseconds (fractional) when the hub accepted the trace, i.e. once it was durable. */
  writtenAt: number;
  /**
   * The trace's rows by view name. Every column of the live projection (projection.ts) is
   * present; the in-process hub may hand over more (the rows as written, shared: read only).
   */
  views: Readonly<Record<string, readonly ViewRow[]>>;
}

export type LiveListener = (trace: LiveTrace) => void;

export interface HubSubscription {
  /** Resolves once traces published from now on reach the listener (Redis: SUBSCRIBE confirmed). */
  ready: Promise<void>;
  /** Stops delivery to this listener; idempotent. */
  close(): void;
}

export interface LiveHubStats {
  /** Traces accepted by publish (for a tenant someone listens to). */
  published: number;
  /** Traces handed to listeners of this hub. */
  delivered: number;
  /** Traces refused because the publish queue was full (ingest is never refused for it). */
  dropped: number;
  /** Traces lost on the way (Redis unreachable, an undecodable message). */
  failed: number;
  /** Traces waiting in the publish queue now. */
  queued: number;
}

export interface LiveHub {
  /**
   * Hands written traces over and returns at once: never throws, never waits, never calls a
   * listener before returning. Bounded: past the queue bound traces are dropped and counted.
   */
  publish(written: readonly WrittenTrace[]): void;
  /** Listens to one tenant's traces; a listener that throws is logged, never the publisher's problem. */
  subscribe(tenant: string, listener: LiveListener): HubSubscription;
  stats(): LiveHubStats;
  /** Stops delivery and releases connections. */
  close(): Promise<void>;
}

export interface LiveHubOptions {
  /** Traces waiting to be delivered (or sent to Redis) at most; default 10 000. */
  maxQueuedTraces?: number;
}

export const DEFAULT_MAX_QUEUED_TRACES = 10_000;
