// The DuckDB view store runs the ViewStore conformance suite on a file in a temp dir.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import { viewStoreConformance } from './viewstore.conformance.ts';

viewStoreConformance(t, 'duckdb', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-duckdb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return openDuckDbViewStore({ path: join(dir, 'views.duckdb') });
});
