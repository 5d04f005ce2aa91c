// The gateway contract on the PostgreSQL view store and entity store (a private database per
// test, on one shared pool, as a cluster node runs them).
import t from 'tap';
import { createPgPool } from '../../src/store/postgres/pool.ts';
import { openPgEntityStore } from '../../src/store/postgres/entityStore.ts';
import { openPostgresViewStore } from '../../src/store/postgres/viewStore.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { gatewayContract } from './contract.suite.ts';

gatewayContract(t, 'PostgreSQL', async (t) => {
  const db = await createTestDatabase(t);
  const pool = createPgPool({ url: db.url, max: 4 });
  const store = await openPostgresViewStore({ pool });
  const entities = await openPgEntityStore({ pool });
  t.teardown(async () => {
    await store.close();
    await entities.close();
    await pool.end();
  });
  return { store, entities };
});
