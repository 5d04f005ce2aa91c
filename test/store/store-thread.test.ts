// The DuckDB stores on their own worker thread (ADR 014): the ViewStore and EntityStore
// conformance suites through the thread's proxies, and how errors and a closed or dead thread
// look to callers. Queries stopped midway and a thread killed mid-call are in
// store-thread-stop.test.ts; the thread starting and ending in a real process in
// store-thread-process.test.ts.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entityId } from '../../src/enrich/entity.ts';
import { FencedError, TesseraError } from '../../src/errors.ts';
import { openDuckDbStoreThread, type DuckDbStoreThread } from '../../src/store/duckdb/storeThreadClient.ts';
import { fromWireError, toWireError } from '../../src/store/duckdb/storeThreadProtocol.ts';
import { entityStoreConformance } from './entitystore.conformance.ts';
import { viewStoreConformance } from './viewstore.conformance.ts';
import { readView, rowsOf, tracesFor, expectedView } from './viewstore-fixtures.ts';
import { codeOf } from '../helpers/errors.ts';

async function openThread(t: Test, path?: string): Promise<DuckDbStoreThread> {
  let file = path;
  if (file === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-thread-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    file = join(dir, 'tessera.duckdb');
  }
  const thread = await openDuckDbStoreThread({ path: file });
  t.teardown(() => thread.close());
  return thread;
}


viewStoreConformance(t, 'duckdb on a thread', async (t) => (await openThread(t)).store);

entityStoreConformance(t, 'DuckDB on a thread', async (t) => {
  const thread = await openThread(t, ':memory:');
  return { store: thread.entities, peer: () => thread.openEntities() };
});

t.test('views and entities on one thread share one database file, which a reopen finds again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-thread-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tessera.duckdb');
  const written = await Promise.all(tracesFor('acme').map((spans) => rowsOf(spans)));
  const frontend = { id: entityId('acme', 'SERVICE', { FQN: 'web' }), tenant: 'acme', type: 'SERVICE' as const, name: 'web', identifying: { FQN: 'web' }, attributes: {}, firstSeenUs: 1, lastSeenUs: 2 };

  const first = await openDuckDbStoreThread({ path });
  await first.store.replaceTraces(written);
  await first.entities.upsert([frontend]);
  await first.close();

  const again = await openThread(t, path);
  t.same(await readView(again.store, 'spanEventView', 'acme'), expectedView(written.flatMap((r) => r.views.spanEventView), 'spanEventView'), 'the spans written before');
  t.equal(await again.entities.count('acme', 'SERVICE'), 1, 'the entity written before');
  const stored = await again.store.storedSpans(written.map((w) => w.key));
  t.same([...stored.values()].map((spans) => spans.length).sort(), tracesFor('acme').map((s) => s.length).sort(), 'stored spans decode on the calling thread');
});

t.test('errors keep their code across the thread', async (t) => {
  const thread = await openThread(t, ':memory:');
  const bad = { id: 'not-the-id', tenant: 'acme', type: 'SERVICE' as const, name: 'x', identifying: { FQN: 'x' }, attributes: {}, firstSeenUs: 1, lastSeenUs: 1 };
  t.equal(await codeOf(thread.entities.upsert([bad])), 'INVALID_ARGUMENT', 'an entity store refusal');
  t.equal(await codeOf(thread.entities.list('acme', 'SERVICE', { limit: 0 })), 'INVALID_ARGUMENT', 'bad list options');
  const regex = { view: 'spanEventView', tenant: 'acme', select: [], where: [{ op: 'regex' as const, ref: { column: 'span_id' }, pattern: '(' }], aggregates: [{ as: 'n', fn: 'count' as const }], limit: 1 };
  t.equal(await codeOf(thread.store.query(regex)), 'BAD_QUERY', 'a query the database refuses');
  t.equal(await codeOf(thread.store.query({ ...regex, view: 'noSuchView' })), 'BAD_QUERY', 'a query the store cannot render');
  t.equal(await codeOf(thread.store.query({ ...regex, where: [], select: [{ as: 'f', ref: { column: 'span_id' } }], aggregates: [], limit: 1, extra: () => 1 } as never)), 'INVALID_ARGUMENT', 'an argument that cannot cross');
});

t.test('a FENCED error crosses as a FencedError with its partitions', async (t) => {
  // What postMessage does to an error reply: a structured clone of the wire form.
  const back = fromWireError(structuredClone(toWireError(new FencedError([3, 7]))));
  t.type(back, FencedError);
  t.equal(back.code, 'FENCED');
  t.same((back as FencedError).partitions, [3, 7]);
  const retry = fromWireError(structuredClone(toWireError(new TesseraError('UNAVAILABLE', 'down', { retryAfterSec: 4 }))));
  t.same([retry.code, retry.retryAfterSec], ['UNAVAILABLE', 4], 'a retry hint survives');
  t.equal(fromWireError(structuredClone(toWireError(new Error('boom')))).code, 'INTERNAL', 'an uncoded error is INTERNAL');
});

t.test('after close() every call rejects UNAVAILABLE and the thread has ended', async (t) => {
  const thread = await openThread(t, ':memory:');
  let exited = false;
  thread.worker.once('exit', () => (exited = true));
  await thread.store.init();
  await thread.close();
  t.ok(exited, 'the worker ended before close() resolved');
  t.equal(await codeOf(thread.store.query({ view: 'spanEventView', tenant: 'acme', select: [], where: [], aggregates: [{ as: 'n', fn: 'count' }], limit: 1 })), 'UNAVAILABLE');
  t.equal(await codeOf(thread.entities.count('acme', 'SERVICE')), 'UNAVAILABLE');
  await thread.store.close();
  await thread.close();
  t.pass('closing again does nothing');
});

t.test('a closed entity handle answers UNAVAILABLE while the others serve on', async (t) => {
  const thread = await openThread(t, ':memory:');
  const peer = await thread.openEntities();
  await peer.close();
  t.equal(await codeOf(peer.count('acme', 'SERVICE')), 'UNAVAILABLE');
  t.equal(await thread.entities.count('acme', 'SERVICE'), 0);
});

t.test('a database the thread cannot open rejects the open with the store\'s error, and no thread is left', async (t) => {
  const err = await openDuckDbStoreThread({ path: ':memory:', checkpointThreshold: 'lots' }).then(() => undefined, (e: unknown) => e);
  t.type(err, TesseraError);
  t.equal((err as TesseraError).code, 'CONFIG');
});
