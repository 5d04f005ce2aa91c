// The main thread's side of the DuckDB store thread (ADR 014): a ViewStore and EntityStores that
// post each call to the worker that owns the database. Writes are encoded into column batches
// here (encodeWrite) and their buffers transferred, so the worker does the appends and the main
// thread keeps decode, assembly, enrichment and row building.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { TesseraError, asTesseraError, unavailable } from '../../errors.ts';
import type { Span } from '../../model/span.ts';
import { decodeSpanBatch } from '../codec.ts';
import type { ReplaceOptions, TraceKey, TraceRows, ViewStore } from '../api.ts';
import type { EntityStore } from '../entities.ts';
import type { QueryOptions, ViewQuery, ViewQueryResult } from '../query.ts';
import { encodeWrite, type StoreLayouts } from './encodedWrite.ts';
import { fromWireError, type StoreReply, type StoreRequest, type StoreTarget, type StoreThreadData } from './storeThreadProtocol.ts';

export interface DuckDbStoreThreadOptions extends StoreThreadData {
  /** Where the thread's failures are logged. */
  logger?: Logger;
}

/** The thread-backed view store: a ViewStore, plus rolling up closed minutes on demand. */
export interface ThreadViewStore extends ViewStore {
  rollUp(range: { fromMs: number; toMs: number }): Promise<void>;
}

export interface DuckDbStoreThread {
  store: ThreadViewStore;
  entities: EntityStore;
  /** Another entity store on the same database with its own connections, as a second node's handle would be. */
  openEntities(): Promise<EntityStore>;
  /** The worker itself, for tests that stop it abruptly. */
  readonly worker: Worker;
  /** Closes every store and the database in the worker; resolves once the thread has ended. */
  close(): Promise<void>;
}

/** How long close() waits for the thread to finish its writes and end before terminating it. */
const CLOSE_TIMEOUT_MS = 60_000;

const BOOT = new URL('./storeThread.boot.js', import.meta.url);

interface Pending {
  resolve(value: unknown): void;
  reject(err: TesseraError): void;
}

/** Starts the thread and opens the stores in it; resolves once they are ready to use. */
export async function openDuckDbStoreThread(opts: DuckDbStoreThreadOptions): Promise<DuckDbStoreThread> {
  if (typeof opts.path !== 'string' || opts.path === '') throw new TesseraError('CONFIG', 'the DuckDB store thread needs a database path');
  const { logger, ...data } = opts;
  const worker = new Worker(BOOT, { workerData: data satisfies StoreThreadData });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  /** Why the thread can no longer answer, once it cannot. */
  let down: string | undefined;
  let closing: Promise<void> | undefined;
  let opened: Pending | undefined;
  let closeReply: Pending | undefined;

  const fail = (why: string): void => {
    if (down !== undefined) return;
    down = why;
    const err = unavailable(`the DuckDB store thread ${why}`);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    opened?.reject(err);
    closeReply?.reject(err);
  };
  worker.on('error', (err) => {
    logger?.error({ err }, 'the DuckDB store thread failed');
    fail(`failed: ${err.message}`);
  });
  worker.on('exit', (code) => {
    if (!closing && down === undefined) logger?.error({ code }, 'the DuckDB store thread exited unexpectedly: store calls fail until the node restarts');
    fail(closing ? 'is closed' : `exited unexpectedly (code ${code})`);
  });
  worker.on('messageerror', (err) => logger?.error({ err }, 'a reply from the DuckDB store thread could not be read'));
  worker.on('message', (m: StoreReply) => {
    switch (m.type) {
      case 'result':
      case 'error': {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.type === 'result') p?.resolve(m.value);
        else p?.reject(fromWireError(m.error));
        return;
      }
      case 'ready':
        return opened?.resolve(m);
      case 'failed':
        return (opened ?? closeReply)?.reject(fromWireError(m.error));
      case 'closed':
        return closeReply?.resolve(undefined);
    }
  });

  const post = (msg: StoreRequest, transfer?: ArrayBuffer[]): void => worker.postMessage(msg, transfer);

  /** Posts a call; `onPosted` learns its id (for a cancel). Never hangs: the thread's end rejects it. */
  function call<T>(target: StoreTarget, method: string, args: unknown[], transfer?: ArrayBuffer[], onPosted?: (id: number) => void): Promise<T> {
    if (down !== undefined) return Promise.reject(unavailable(`the DuckDB store thread ${down}`));
    if (closing) return Promise.reject(unavailable('the DuckDB store thread is closing'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        post({ type: 'call', id, target, method, args }, transfer);
      } catch (err) {
        // An argument that cannot be cloned (a function, say): the caller's mistake, reported as such.
        pending.delete(id);
        reject(new TesseraError('INVALID_ARGUMENT', `${method}: ${asTesseraError(err).message}`));
        return;
      }
      onPosted?.(id);
    });
  }

  /** Closing a store whose thread is gone or closing has nothing left to do. */
  const closeStore = (target: StoreTarget): Promise<void> => (down !== undefined || closing ? Promise.resolve() : call(target, 'close', []));

  let layouts: StoreLayouts;
  const views: StoreTarget = { kind: 'views' };
  const store: ThreadViewStore = {
    async init() {
      layouts = await call<StoreLayouts>(views, 'init', []);
    },
    async replaceTraces(traces: readonly TraceRows[], o?: ReplaceOptions) {
      if (traces.length === 0) return;
      const { write, transfer } = encodeWrite(layouts, traces);
      await call(views, 'writeEncoded', o === undefined ? [write] : [write, o], transfer);
    },
    async storedSpans(keys: readonly TraceKey[]): Promise<Map<string, Span[]>> {
      const batches = await call<Map<string, Uint8Array>>(views, 'storedSpanBatches', [keys]);
      const out = new Map<string, Span[]>();
      for (const [key, bytes] of batches) out.set(key, decodeSpanBatch(bytes));
      return out;
    },
    query(q: ViewQuery, o: QueryOptions = {}): Promise<ViewQueryResult> {
      const { signal } = o;
      if (!signal) return call(views, 'query', [q]);
      // The worker may start the statement before it reads a cancel: a caller already gone never posts.
      if (signal.aborted) return Promise.reject(new TesseraError('DEADLINE_EXCEEDED', 'the query was stopped: its caller stopped waiting'));
      let cancel: (() => void) | undefined;
      // The worker aborts its own controller on a cancel; its store then interrupts the statement.
      const result = call<ViewQueryResult>(views, 'query', [q], undefined, (id) => {
        cancel = () => {
          if (down === undefined) post({ type: 'cancel', id });
        };
        signal.addEventListener('abort', cancel, { once: true });
      });
      return result.finally(() => {
        if (cancel) signal.removeEventListener('abort', cancel);
      });
    },
    rollUp: (range) => call(views, 'rollUp', [range]),
    close: () => closeStore(views),
  };

  const entityProxy = (handle: number): EntityStore => {
    const target: StoreTarget = { kind: 'entities', handle };
    return {
      init: () => call(target, 'init', []),
      upsert: async (entities) => (entities.length === 0 ? [] : call(target, 'upsert', [entities])),
      get: (tenant, ids) => call(target, 'get', [tenant, ids]),
      list: (tenant, type, options) => call(target, 'list', [tenant, type, options]),
      count: (tenant, type, filter) => call(target, 'count', filter === undefined ? [tenant, type] : [tenant, type, filter]),
      close: () => closeStore(target),
    };
  };

  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const ready = await new Promise<Extract<StoreReply, { type: 'ready' }>>((resolve, reject) => {
    opened = { resolve: resolve as (v: unknown) => void, reject };
  }).catch(async (err: unknown) => {
    // The thread ends by itself after a failed open; make sure of it.
    await worker.terminate();
    throw err;
  });
  opened = undefined;
  layouts = ready.layouts;

  return {
    store,
    entities: entityProxy(ready.entities),
    openEntities: async () => entityProxy(await call<number>({ kind: 'thread' }, 'openEntities', [])),
    worker,
    close(): Promise<void> {
      closing ??= (async () => {
        if (down !== undefined) return;
        const closed = new Promise<unknown>((resolve, reject) => {
          closeReply = { resolve, reject };
        });
        post({ type: 'close' });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
        });
        try {
          // A failed close still ends the thread; its error is reported after it has.
          const outcome = await Promise.race([closed.then(() => ended, (err: unknown) => ended.then(() => Promise.reject(err))), timedOut]);
          if (outcome === 'timeout') {
            logger?.error({ timeoutMs: CLOSE_TIMEOUT_MS }, 'the DuckDB store thread did not end after closing; terminating it');
            await worker.terminate();
          }
        } catch (err) {
          // 'is closed' is this close's own doing, not a failure.
          if (!(err instanceof TesseraError && err.code === 'UNAVAILABLE' && down === 'is closed')) throw err;
        } finally {
          clearTimeout(timer);
        }
      })();
      return closing;
    },
  };
}
