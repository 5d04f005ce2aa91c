// Statements a caller can stop: run on one pooled connection, and when the caller's signal
// aborts (the gateway's per-query deadline) the server is asked to cancel the statement
// (pg_cancel_backend on that connection's backend), so it stops using a core and the
// connection returns to the pool. The pool's statement_timeout stays the backstop.
import type pg from 'pg';
import { TesseraError } from '../../errors.ts';
import type { PgPool } from './pool.ts';

export const stoppedQuery = (cause?: unknown): TesseraError =>
  new TesseraError('DEADLINE_EXCEEDED', 'the query was stopped: its caller stopped waiting', cause === undefined ? {} : { cause });

/**
 * Runs `fn` on one connection of `pool`; rejects with DEADLINE_EXCEEDED once `signal` aborts.
 * Without a signal it is `fn` on a pooled connection, nothing more.
 */
export async function withStoppableClient<T>(pool: PgPool, signal: AbortSignal | undefined, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw stoppedQuery();
  const client = await pool.connect();
  // pg keeps the backend's pid from the startup handshake; its typings do not declare it.
  const backendPid = (client as unknown as { processID: number }).processID;
  let cancelling: Promise<unknown> | undefined;
  const cancel = () => {
    // On another connection: the busy one cannot take a statement until its own ends.
    cancelling = pool.query('SELECT pg_cancel_backend($1)', [backendPid]).catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    if (signal?.aborted) throw stoppedQuery();
    return await fn(client);
  } catch (err) {
    throw signal?.aborted ? stoppedQuery(err) : err;
  } finally {
    signal?.removeEventListener('abort', cancel);
    // A cancel still on its way must land before the connection serves anyone else's statement.
    await cancelling;
    client.release();
  }
}
