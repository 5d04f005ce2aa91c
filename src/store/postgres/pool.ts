// What every PostgreSQL adapter shares: the pg Pool with Tessera's connection settings, the
// mapping of pg failures to coded errors, and versioned schema migrations that several nodes
// may run at once. pg is imported only under src/store/postgres/.
import pg from 'pg';
import type { Logger } from 'pino';
import { TesseraError } from '../../errors.ts';

export type PgPool = pg.Pool;

export interface PgPoolOptions {
  /** postgres://user[:password]@host:port/database */
  url: string;
  /** Connections at most (default 4). */
  max?: number;
  /** Shown in pg_stat_activity (default "tessera"). */
  applicationName?: string;
  /** Give up connecting after this long (default 5000). */
  connectTimeoutMs?: number;
  /** The server cancels a statement running longer (default 30 000). */
  statementTimeoutMs?: number;
  /** Close idle connections after this long (default 30 000). */
  idleTimeoutMs?: number;
  /**
   * PostgreSQL ends a session left idle inside a transaction this long (default 10 000). A view
   * write holds its partitions' fence rows locked until commit: a writer paused mid-transaction
   * (SIGSTOP, a stalled host) would otherwise block the partitions' new owners until it woke.
   */
  idleInTransactionTimeoutMs?: number;
  /** Where failures of idle connections are logged (an unhandled one would end the process). */
  logger?: Logger;
}

export function createPgPool(opts: PgPoolOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 4,
    application_name: opts.applicationName ?? 'tessera',
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
    idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 10_000,
  });
  pool.on('error', (err) => opts.logger?.warn({ err }, 'an idle PostgreSQL connection failed'));
  return pool;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * A pg failure as a coded error: unreachable or restarting server, dropped connections and
 * serialization conflicts and a session ended for idling in a transaction (25P03) are
 * UNAVAILABLE (retryable); a statement timeout is DEADLINE_EXCEEDED;
 * bad credentials or a missing database are CONFIG; anything else INTERNAL.
 */
export function pgError(err: unknown, what: string): TesseraError {
  if (err instanceof TesseraError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = `${what}: ${typeof e?.message === 'string' ? e.message : String(err)}`;
  const coded = (c: ConstructorParameters<typeof TesseraError>[0]) => new TesseraError(c, message, { cause: err, ...(c === 'UNAVAILABLE' ? { retryAfterSec: 1 } : {}) });
  if (NETWORK_CODES.has(code) || code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '40001', '40P01', '25P03'].includes(code)) {
    return coded('UNAVAILABLE');
  }
  if (code === '57014') return coded('DEADLINE_EXCEEDED');
  if (code.startsWith('28') || code === '3D000') return coded('CONFIG');
  // A database closed to connections (ALLOW_CONNECTIONS false, 55000) is as good as down for us.
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|is not currently accepting connections/i.test(String(e?.message))) {
    return coded('UNAVAILABLE');
  }
  return coded('INTERNAL');
}

/**
 * Listens for errors on a checked-out client until `stop()`. pg-pool removes its own listener
 * while a client is checked out, so a connection the server ends between two statements of a
 * transaction (pg_terminate_backend, a restart) would emit an unhandled 'error' and end the
 * process. The error is kept: the next statement fails anyway, and the client is discarded.
 */
export function watchCheckedOut(client: pg.PoolClient): { error(): Error | undefined; stop(): void } {
  let first: Error | undefined;
  const onError = (err: Error): void => {
    first ??= err;
  };
  client.on('error', onError);
  return { error: () => first, stop: () => client.removeListener('error', onError) };
}

// ---------------------------------------------------------------------------------------------
// Migrations

export interface PgMigration {
  /** 1, 2, 3… in order; a version, once released, never changes. */
  version: number;
  name: string;
  statements: readonly string[];
}

/** One lock key for every component: migrations of a database run one node at a time. */
const MIGRATION_LOCK = "hashtext('tessera_migrations')";

/**
 * Brings `component`'s schema to its latest version: the missing migrations run in order, in
 * one transaction, under an advisory lock, and are recorded in `tessera_migrations`. Nodes
 * starting together wait for each other; a database newer than this build is refused (CONFIG).
 */
export async function migrate(pool: PgPool, component: string, migrations: readonly PgMigration[]): Promise<void> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new TesseraError('CONFIG', `${component} migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw pgError(err, `connecting to PostgreSQL to migrate ${component}`);
  }
  let failure: Error | undefined;
  const watch = watchCheckedOut(client);
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await client.query(`CREATE TABLE IF NOT EXISTS tessera_migrations (
  component text NOT NULL,
  version integer NOT NULL,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
)`);
    const res = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM tessera_migrations WHERE component = $1', [component]);
    const current = res.rows[0]?.version ?? 0;
    if (current > migrations.length) {
      throw new TesseraError('CONFIG', `the PostgreSQL ${component} schema is at version ${current}, newer than this build knows (${migrations.length})`);
    }
    for (const m of migrations.slice(current)) {
      for (const sql of m.statements) await client.query(sql);
      await client.query('INSERT INTO tessera_migrations (component, version, name) VALUES ($1, $2, $3)', [component, m.version, m.name]);
    }
    await client.query('COMMIT');
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch(() => undefined);
    throw pgError(err, `migrating the ${component} schema`);
  } finally {
    watch.stop();
    // A connection that failed mid-transaction is discarded, not reused.
    client.release(failure ?? watch.error());
  }
}
