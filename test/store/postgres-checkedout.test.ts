// A pooled PostgreSQL connection the server ends while it is checked out (between two
// statements of a transaction) must not end the process: pg-pool leaves checked-out clients
// without an 'error' listener, so the view store and migrations watch them (watchCheckedOut).
import t from 'tap';
import pg from 'pg';
import { createPgPool, watchCheckedOut } from '../../src/store/postgres/pool.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('a checked-out connection ended by the server is reported, not thrown at the process', async (t) => {
  const { url } = await createTestDatabase(t);
  const pool = createPgPool({ url, max: 2 });
  t.teardown(() => pool.end());
  const client = await pool.connect();
  const watch = watchCheckedOut(client);
  await client.query('BEGIN');
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());
  await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  const err = await waitFor(() => watch.error(), { timeoutMs: 30_000, what: 'the ended connection to be reported' });
  t.ok(err instanceof Error, `reported: ${err.message}`);
  await t.rejects(client.query('SELECT 1'), 'the next statement fails');
  watch.stop();
  client.release(err);
  t.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1, 'the pool goes on with a new connection');
});
