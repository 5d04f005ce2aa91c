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
import { expectedView, readView, rowsOf, tracesFor } from './viewstore-fixtures.ts';

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
