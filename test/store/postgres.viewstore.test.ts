// The PostgreSQL view store runs the ViewStore conformance suite on a private database of the
// machine's PostgreSQL (test/helpers/postgres.ts: never skipped; it fails when the server is
// unreachable).
import t from 'tap';
import { openPostgresViewStore } from '../../src/store/postgres/viewStore.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { viewStoreConformance } from './viewstore.conformance.ts';

viewStoreConformance(t, 'postgres', async (t) => {
  const { url } = await createTestDatabase(t);
  return openPostgresViewStore({ url, max: 3 });
});
