// A private PostgreSQL database per test: a uniquely named database on the machine's server,
// dropped by t.teardown (with FORCE, so connections a test left open do not keep it alive).
// The server is 127.0.0.1:5432 with trust auth, user `postgres` (or the current user);
// PGHOST / PGPORT / PGUSER / PGPASSWORD point the tests at another one. When no server answers,
// the test FAILS, loudly: PostgreSQL-backed tests never skip.

import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { Test } from 'tap';

export interface TestDatabase {
  /** postgres://user@host:port/name, ready for a pool. */
  url: string;
  name: string;
}

interface Server {
  host: string;
  port: number;
  user: string;
}

const serverUrl = (s: Server, database: string): string =>
  `postgres://${encodeURIComponent(s.user)}@${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}/${database}`;

/** Connects to the server's maintenance database as the first user that is let in. */
async function adminClient(): Promise<{ client: pg.Client; server: Server }> {
  const host = process.env.PGHOST || '127.0.0.1';
  const port = Number(process.env.PGPORT || 5432);
  const users = process.env.PGUSER ? [process.env.PGUSER] : [...new Set(['postgres', userInfo().username])];
  const failures: string[] = [];
  for (const user of users) {
    const server = { host, port, user };
    const client = new pg.Client({ connectionString: serverUrl(server, 'postgres'), connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined); // a dropped admin connection fails its next query instead
    try {
      await client.connect();
      return { client, server };
    } catch (err) {
      failures.push(`${user}: ${(err as Error).message}`);
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(
    `PostgreSQL at ${host}:${port} did not let us in (${failures.join('; ')}). PostgreSQL-backed tests never skip: ` +
      'start the server (Debian: service postgresql start) or set PGHOST/PGPORT/PGUSER/PGPASSWORD, and run the tests again.',
  );
}

/** Creates an empty database for this test; it is dropped on teardown. */
export async function createTestDatabase(t: Test): Promise<TestDatabase> {
  const { client, server } = await adminClient();
  const name = `tessera_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  t.teardown(async () => {
    const { client: admin } = await adminClient();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });
  return { url: serverUrl(server, name), name };
}
