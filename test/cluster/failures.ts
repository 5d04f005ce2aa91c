// What the failure tests (Redis restart, Redis Cluster, PostgreSQL down) share beyond
// harness.ts: a probe of a node's OTLP/HTTP receiver that reports how it answered, and a
// PostgreSQL database that can be closed to new connections and opened again.
import pg from 'pg';
import type { Test } from 'tap';
import { otlpJson, postOtlpJson, randomHex } from '../helpers/otlpJson.ts';

export interface ReceiverAnswer {
  status: number;
  retryAfter: string | null;
}

/** Posts one small trace to an OTLP/HTTP receiver and reports the status and Retry-After. */
export async function probeReceiver(otlpHttp: string): Promise<ReceiverAnswer> {
  const body = otlpJson(randomHex(16), [{ service: 'probe', spanId: randomHex(8), name: 'probe', startMs: Date.now(), durMs: 1 }]);
  const res = await postOtlpJson(otlpHttp, body);
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

/** Connects to the server's maintenance database as the test database's user. */
async function admin(dbUrl: string): Promise<pg.Client> {
  const u = new URL(dbUrl);
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface Blockable {
  /** Refuses new connections to the database and ends the ones it has: PostgreSQL is "down" for it. */
  block(): Promise<void>;
  /** Lets connections in again. */
  unblock(): Promise<void>;
}

/** A database that can be made unavailable to its users; always re-opened on teardown (so it can be dropped). */
export function blockableDatabase(t: Test, dbUrl: string, name: string): Blockable {
  const setAllowed = async (allowed: boolean): Promise<void> => {
    const c = await admin(dbUrl);
    try {
      await c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${allowed ? 'true' : 'false'}`);
      if (!allowed) await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    } finally {
      await c.end();
    }
  };
  t.teardown(() => setAllowed(true));
  return { block: () => setAllowed(false), unblock: () => setAllowed(true) };
}
