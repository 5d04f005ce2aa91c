// The DuckDB store thread (ADR 014): owns the one DuckDB instance on the file, the view store and
// the entity stores on it, and answers the main thread's calls (storeThreadProtocol.ts). Started
// by storeThreadClient.ts through storeThread.boot.js; never imported by the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { DuckDBInstance } from '@duckdb/node-api';
import { TesseraError } from '../../errors.ts';
import type { EntityFilter, EntityListOptions, EntityStore, EntityType, EntityWrite } from '../entities.ts';
import type { ReplaceOptions, TraceKey } from '../api.ts';
import type { QueryOptions, ViewQuery } from '../query.ts';
import { openDuckDbEntityStore } from './entityStore.ts';
import type { EncodedWrite } from './encodedWrite.ts';
import { openDuckDbViewStore, type DuckDbViewStore } from './viewStore.ts';
import { toWireError, type StoreReply, type StoreRequest, type StoreTarget, type StoreThreadData } from './storeThreadProtocol.ts';

if (!parentPort) throw new Error('storeThread.ts runs only as a worker thread (see storeThreadClient.ts)');
const port = parentPort;
const data = workerData as StoreThreadData;
const post = (reply: StoreReply): void => port.postMessage(reply);

interface Stores {
  instance: DuckDBInstance;
  views: DuckDbViewStore;
  entities: Map<number, EntityStore>;
}

let stores: Stores | undefined;
let nextHandle = 1;
let closing = false;
/** Abort controllers of the queries in flight, by call id, for the main thread's cancels. */
const running = new Map<number, AbortController>();

async function open(): Promise<Stores> {
  const instance = await DuckDBInstance.create(data.path);
  try {
    const views = await openDuckDbViewStore({ path: data.path, instance, checkpointThreshold: data.checkpointThreshold, rollups: data.rollups });
    try {
      const entities = new Map([[nextHandle++, await openDuckDbEntityStore({ instance })]]);
      return { instance, views, entities };
    } catch (err) {
      await views.close();
      throw err;
    }
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}

/** The entity store behind a handle; a closed or unknown handle answers as a closed store does. */
function entityStore(s: Stores, handle: number): EntityStore {
  const store = s.entities.get(handle);
  if (!store) throw new TesseraError('UNAVAILABLE', 'the entity store is closed');
  return store;
}

async function callViews(views: DuckDbViewStore, id: number, method: string, args: unknown[]): Promise<unknown> {
  switch (method) {
    case 'init':
      await views.init();
      return views.layouts();
    case 'writeEncoded':
      return views.writeEncoded(args[0] as EncodedWrite, args[1] as ReplaceOptions | undefined);
    case 'storedSpanBatches':
      return views.storedSpanBatches(args[0] as TraceKey[]);
    case 'query': {
      const controller = new AbortController();
      running.set(id, controller);
      try {
        const opts: QueryOptions = { signal: controller.signal };
        return await views.query(args[0] as ViewQuery, opts);
      } finally {
        running.delete(id);
      }
    }
    case 'rollUp':
      return views.rollUp(args[0] as { fromMs: number; toMs: number });
    case 'close':
      return views.close();
  }
  throw new TesseraError('INTERNAL', `the store thread has no view store method ${method}`);
}

async function callEntities(s: Stores, handle: number, method: string, args: unknown[]): Promise<unknown> {
  // Closing twice is allowed, as on the store itself.
  if (method === 'close' && !s.entities.has(handle)) return undefined;
  const store = entityStore(s, handle);
  switch (method) {
    case 'init':
      return store.init();
    case 'upsert':
      return store.upsert(args[0] as EntityWrite[]);
    case 'get':
      return store.get(args[0] as string, args[1] as string[]);
    case 'list':
      return store.list(args[0] as string, args[1] as EntityType, args[2] as EntityListOptions);
    case 'count':
      return store.count(args[0] as string, args[1] as EntityType, args[2] as EntityFilter | undefined);
    case 'close':
      s.entities.delete(handle);
      return store.close();
  }
  throw new TesseraError('INTERNAL', `the store thread has no entity store method ${method}`);
}

async function call(id: number, target: StoreTarget, method: string, args: unknown[]): Promise<unknown> {
  if (!stores || closing) throw new TesseraError('UNAVAILABLE', 'the DuckDB store thread is closing');
  switch (target.kind) {
    case 'views':
      return callViews(stores.views, id, method, args);
    case 'entities':
      return callEntities(stores, target.handle, method, args);
    case 'thread':
      if (method === 'openEntities') {
        // Another handle on the same database (a "peer"): its own connections, as a second node's would be.
        const store = await openDuckDbEntityStore({ instance: stores.instance });
        const handle = nextHandle++;
        stores.entities.set(handle, store);
        return handle;
      }
  }
  throw new TesseraError('INTERNAL', `the store thread has no method ${method}`);
}

/** Closes every store, then the database; errors are kept for the end so each store still closes. */
async function closeAll(s: Stores): Promise<void> {
  const failures: unknown[] = [];
  for (const store of s.entities.values()) await store.close().catch((err: unknown) => failures.push(err));
  s.entities.clear();
  await s.views.close().catch((err: unknown) => failures.push(err));
  try {
    s.instance.closeSync();
  } catch (err) {
    failures.push(err);
  }
  if (failures.length > 0) throw failures[0];
}

port.on('message', (msg: StoreRequest) => {
  switch (msg.type) {
    case 'call':
      call(msg.id, msg.target, msg.method, msg.args).then(
        (value) => post({ type: 'result', id: msg.id, value }),
        (err: unknown) => post({ type: 'error', id: msg.id, error: toWireError(err) }),
      );
      return;
    case 'cancel':
      running.get(msg.id)?.abort();
      return;
    case 'close': {
      if (closing) return;
      closing = true;
      const done = stores ? closeAll(stores) : Promise.resolve();
      done.then(
        () => post({ type: 'closed' }),
        (err: unknown) => post({ type: 'failed', error: toWireError(err) }),
      ).finally(() => port.close());
    }
  }
});

open().then(
  (s) => {
    stores = s;
    post({ type: 'ready', layouts: s.views.layouts(), entities: [...s.entities.keys()][0] });
  },
  (err: unknown) => {
    post({ type: 'failed', error: toWireError(err) });
    port.close();
  },
);
