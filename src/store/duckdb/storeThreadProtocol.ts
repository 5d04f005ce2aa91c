// The messages between the main thread and the DuckDB store thread (ADR 014), and how errors
// cross: as plain data, rebuilt as TesseraError on the other side so callers see the codes they
// would see in-process.
import { ErrorCodes, FencedError, TesseraError, type ErrorCode } from '../../errors.ts';
import type { StoreLayouts } from './encodedWrite.ts';

/** What the worker is started with (its `workerData`). */
export interface StoreThreadData {
  /** Database file, or ':memory:'. */
  path: string;
  checkpointThreshold?: string;
  /** Passed to the view store (ADR 011); `false` rolls up only when asked. */
  rollups?: { everyMs?: number; closedAfterMs?: number; lookbackMs?: number } | false;
}

/** Who a call is for: the thread itself, the view store, or one of its entity store handles. */
export type StoreTarget = { kind: 'thread' } | { kind: 'views' } | { kind: 'entities'; handle: number };

/** Main thread → store thread. */
export type StoreRequest =
  | { type: 'call'; id: number; target: StoreTarget; method: string; args: unknown[] }
  /** The caller of query `id` stopped waiting: the worker aborts that query's statement. */
  | { type: 'cancel'; id: number }
  /** Close every store and the database, answer `closed`, then let the thread end. */
  | { type: 'close' };

/** Store thread → main thread. */
export type StoreReply =
  /** The stores are open: the view layouts encodeWrite needs, and the first entity handle. */
  | { type: 'ready'; layouts: StoreLayouts; entities: number }
  /** Opening failed; the thread ends after sending this. */
  | { type: 'failed'; error: WireError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'closed' };

/** A TesseraError as data (structured clone drops an Error's own fields and its class). */
export interface WireError {
  code: ErrorCode;
  message: string;
  retryAfterSec?: number;
  /** A FencedError's partitions. */
  partitions?: number[];
}

export function toWireError(err: unknown): WireError {
  if (err instanceof FencedError) return { code: err.code, message: err.message, partitions: [...err.partitions] };
  if (err instanceof TesseraError) {
    return err.retryAfterSec === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, retryAfterSec: err.retryAfterSec };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function fromWireError(w: WireError): TesseraError {
  if (w.code === 'FENCED' && w.partitions) return new FencedError(w.partitions);
  // A code this build does not know (never expected: both sides run the same build).
  const code: ErrorCode = w.code in ErrorCodes ? w.code : 'INTERNAL';
  return new TesseraError(code, w.message, w.retryAfterSec === undefined ? {} : { retryAfterSec: w.retryAfterSec });
}
