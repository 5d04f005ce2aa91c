// The DuckDB view store runs the ViewStore conformance suite on a file in a temp dir, and
// upgrades a file an older build made.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createViewStatements } from '../../src/store/duckdb/ddl.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import { VIEWS } from '../../src/views/schema.ts';
import { viewStoreConformance } from './viewstore.conformance.ts';
import { expectedView, hexId, makeSpan, readView, rowsOf, tracesFor } from './viewstore-fixtures.ts';

viewStoreConformance(t, 'duckdb', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-duckdb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return openDuckDbViewStore({ path: join(dir, 'views.duckdb') });
});

t.test('a file made by an older build (text instead of enums, a column missing) is written and read as before', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-duckdb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'views.duckdb');
  const old = await DuckDBInstance.create(path);
  const conn = await old.connect();
  for (const view of VIEWS) {
    const older = { ...view, columns: view.columns.filter((c) => c.name !== 'duration_micros').map((c) => ({ ...c, values: undefined })) };
    for (const sql of createViewStatements(older)) await conn.run(sql);
  }
  conn.closeSync();
  old.closeSync();

  const store = await openDuckDbViewStore({ path });
  t.teardown(() => store.close());
  const written = await Promise.all(tracesFor('acme').map((spans) => rowsOf(spans)));
  await store.replaceTraces(written);
  for (const view of VIEWS) {
    t.same(await readView(store, view.name, 'acme'), expectedView(written.flatMap((r) => r.views[view.name]), view.name), view.name);
  }
});

t.test('a batch larger than one append slice is written whole, and the event loop turns while it is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-duckdb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openDuckDbViewStore({ path: join(dir, 'views.duckdb'), rollups: false });
  t.teardown(() => store.close());
  // 3 000 one-span traces: 3 000 rows in rawTraceView and spanEventView, three slices each.
  const written = await Promise.all(Array.from({ length: 3000 }, (_, i) => rowsOf([makeSpan({ tenant: 'big', traceId: hexId(i + 1, 32), spanId: hexId(i + 1), startUs: 1_700_000_000_000_000 + i, endUs: 1_700_000_000_001_000 + i })])));
  // The store yields with setImmediate between slices: 2 views × 2 slice boundaries at least.
  const realSetImmediate = globalThis.setImmediate;
  let yields = 0;
  globalThis.setImmediate = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    yields++;
    return realSetImmediate(fn, ...args);
  }) as typeof setImmediate;
  try {
    await store.replaceTraces(written);
  } finally {
    globalThis.setImmediate = realSetImmediate;
  }
  t.ok(yields >= 4, `the write yielded to the event loop between slices (${yields} times)`);
  for (const view of ['rawTraceView', 'spanEventView']) {
    t.same(await readView(store, view, 'big'), expectedView(written.flatMap((r) => r.views[view]), view), `${view}: every row of the batch`);
  }
});
