// The gateway contract on the DuckDB view store and entity store (one database per test).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openDuckDbEntityStore } from '../../src/store/duckdb/entityStore.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import { gatewayContract } from './contract.suite.ts';

gatewayContract(t, 'DuckDB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-contract-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openDuckDbViewStore({ path: join(dir, 'views.duckdb') });
  t.teardown(() => store.close());
  const instance = await DuckDBInstance.create(':memory:');
  const entities = await openDuckDbEntityStore({ instance });
  t.teardown(async () => {
    await entities.close();
    instance.closeSync();
  });
  return { store, entities };
});
