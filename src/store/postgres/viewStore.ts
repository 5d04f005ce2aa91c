// The PostgreSQL view store: how several nodes share one set of views (DESIGN §7). Tables and
// indexes are rendered from src/views/schema.ts and created by versioned migrations; a batch
// is replaced in one transaction (delete the traces stored before, insert every view's rows
// with one INSERT … unnest per view); queries are rendered by sql.ts and run on the pool.
import type { Logger } from 'pino';
import { FencedError, TesseraError } from '../../errors.ts';
import type { Span } from '../../model/span.ts';
import { decodeSpanBatch } from '../codec.ts';
import { traceKeyString, type ReplaceOptions, type TraceKey, type TraceRows, type ViewStore, type WriteFence } from '../api.ts';
import type { QueryOptions, ViewQuery, ViewQueryResult } from '../query.ts';
import { VIEWS, rawTraceView, type ColumnType } from '../../views/schema.ts';
import { createPgPool, migrate, pgError, watchCheckedOut, type PgPool, type PgPoolOptions } from './pool.ts';
import { renderPgQuery } from './sql.ts';
import { withStoppableClient } from './stoppable.ts';
import { VIEW_MIGRATIONS, addMissingColumns, quoteIdent } from './viewDdl.ts';
import { viewInsert } from './viewWrite.ts';

export type PgViewStoreOptions =
  /** Opens its own pool (ended on close): `url`, and `max` connections (default 4: one writer, readers)… */
  | PgPoolOptions
  /** Runs on a pool shared with the entity store; the store never ends it. */
  | { pool: PgPool; logger?: Logger };

/**
 * Trace keys as one condition per tenant: `tenant_id = $1 AND trace_id = ANY($2)` is an index
 * scan of (tenant_id, trace_id) whatever the table's size. (A join on unnest(pairs) let the
 * planner pick a sequential scan of the whole view while the table was still small.)
 */
const KEYS = 'tenant_id = $1 AND trace_id = ANY($2::text[])';
const EXISTING = `SELECT trace_id FROM ${quoteIdent(rawTraceView.name)} WHERE ${KEYS}`;
const STORED_SPANS = `SELECT trace_id, span_batch FROM ${quoteIdent(rawTraceView.name)} WHERE ${KEYS}`;
const DELETES = VIEWS.map((v) => `DELETE FROM ${quoteIdent(v.name)} WHERE ${KEYS}`);

/**
 * Raises each partition's fence to the write's token, or leaves it where a higher token has
 * written: only the partitions raised (or equal) come back. The rows stay locked until the
 * transaction ends, so a newer owner's write waits for this one instead of interleaving.
 */
const RAISE_FENCES = `INSERT INTO tessera_fences AS f (partition, token)
SELECT * FROM unnest($1::integer[], $2::bigint[])
ON CONFLICT (partition) DO UPDATE SET token = EXCLUDED.token WHERE f.token <= EXCLUDED.token
RETURNING partition`;

/** One fence per partition (the lowest token given, so a mixed batch is judged by its stalest part), in lock order. */
function fenceRows(fences: readonly WriteFence[]): { partitions: number[]; tokens: string[] } {
  const lowest = new Map<number, number>();
  for (const f of fences) {
    if (!Number.isSafeInteger(f.partition) || f.partition < 0 || !Number.isSafeInteger(f.token)) {
      throw new TesseraError('INVALID_ARGUMENT', `write fence: bad partition ${f.partition} or token ${f.token}`);
    }
    lowest.set(f.partition, Math.min(f.token, lowest.get(f.partition) ?? Infinity));
  }
  const partitions = [...lowest.keys()].sort((a, b) => a - b);
  return { partitions, tokens: partitions.map((p) => String(lowest.get(p))) };
}

/** Trace ids by tenant, each once. */
function byTenant(keys: readonly TraceKey[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const k of keys) {
    const ids = out.get(k.tenant);
    if (ids) ids.add(k.traceId);
    else out.set(k.tenant, new Set([k.traceId]));
  }
  return new Map([...out].map(([tenant, ids]) => [tenant, [...ids]]));
}

/** Opens the store, creating or migrating its schema; ready when this resolves. */
export async function openPostgresViewStore(opts: PgViewStoreOptions): Promise<ViewStore> {
  const owned = !('pool' in opts);
  const pool = 'pool' in opts ? opts.pool : createPgPool({ applicationName: 'tessera-views', ...opts });
  const inserts = VIEWS.map((v) => ({ view: v, insert: viewInsert(v) }));
  let writeChain: Promise<unknown> = Promise.resolve();
  let reading = 0;
  let readsDone: (() => void)[] = [];
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new TesseraError('UNAVAILABLE', 'the view store is closed');
  };
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = writeChain.then(fn, fn);
    writeChain = run.catch(() => undefined);
    return run;
  };
  /** A read counted until it settles, so close() can wait for it. */
  const read = async <T>(fn: () => Promise<T>): Promise<T> => {
    assertOpen();
    reading++;
    try {
      return await fn();
    } finally {
      if (--reading === 0) for (const done of readsDone.splice(0)) done();
    }
  };

  async function init(): Promise<void> {
    assertOpen();
    await migrate(pool, 'views', VIEW_MIGRATIONS);
    try {
      await addMissingColumns(pool);
    } catch (err) {
      throw pgError(err, 'adding view columns');
    }
  }

  async function writeBatch(traces: TraceRows[], fences: readonly WriteFence[]): Promise<void> {
    const fenced = fences.length > 0 ? fenceRows(fences) : undefined;
    let client;
    try {
      client = await pool.connect();
    } catch (err) {
      throw pgError(err, 'connecting to write views');
    }
    let failure: Error | undefined;
    const watch = watchCheckedOut(client);
    try {
      await client.query('BEGIN');
      if (fenced) {
        const raised = await client.query<{ partition: number }>({ name: 'tessera_raise_fences', text: RAISE_FENCES, values: [fenced.partitions, fenced.tokens] });
        if (raised.rowCount !== fenced.partitions.length) {
          const ok = new Set(raised.rows.map((r) => r.partition));
          throw new FencedError(fenced.partitions.filter((p) => !ok.has(p)));
        }
      }
      // Only traces stored before need deleting; their rawTraceView row says which. A batch that
      // somehow lacks that row for a trace deletes every one of its traces instead.
      const unmarked = traces.some((t) => (t.views[rawTraceView.name]?.length ?? 0) !== 1);
      for (const [tenant, ids] of byTenant(traces.map((t) => t.key))) {
        const stored = unmarked ? ids : (await client.query<{ trace_id: string }>(EXISTING, [tenant, ids])).rows.map((r) => r.trace_id);
        if (stored.length > 0) for (const sql of DELETES) await client.query(sql, [tenant, stored]);
      }
      for (const { view, insert } of inserts) {
        const rows = traces.flatMap((t) => t.views[view.name] ?? []);
        if (rows.length === 0) continue;
        await client.query({ name: `tessera_insert_${view.name}`, text: insert.sql, values: insert.params(rows) });
      }
      await client.query('COMMIT');
    } catch (err) {
      // A refused fence leaves a healthy connection; any other failure may not have.
      const refused = err instanceof TesseraError && err.code === 'FENCED';
      if (!refused) failure = err instanceof Error ? err : new Error(String(err));
      await client.query('ROLLBACK').catch((e: unknown) => (failure ??= e instanceof Error ? e : new Error(String(e))));
      throw writeError(err);
    } finally {
      watch.stop();
      // A connection that failed mid-transaction is discarded, not reused.
      client.release(failure ?? watch.error());
    }
  }

  async function replaceTraces(batch: readonly TraceRows[], opts: ReplaceOptions = {}): Promise<void> {
    assertOpen();
    if (batch.length === 0) return;
    // The last rows given for a trace win, as if written one after the other.
    const byKey = new Map<string, TraceRows>();
    for (const t of batch) byKey.set(traceKeyString(t.key), t);
    await serialized(() => writeBatch([...byKey.values()], opts.fences ?? []));
  }

  async function storedSpans(keys: readonly TraceKey[]): Promise<Map<string, Span[]>> {
    const out = new Map<string, Span[]>();
    if (keys.length === 0) {
      assertOpen();
      return out;
    }
    await read(async () => {
      for (const [tenant, ids] of byTenant(keys)) {
        const res = await pool.query<{ trace_id: string; span_batch: Buffer }>(STORED_SPANS, [tenant, ids]).catch((err: unknown) => {
          throw pgError(err, 'reading stored spans');
        });
        for (const r of res.rows) out.set(traceKeyString({ tenant, traceId: r.trace_id }), decodeSpanBatch(r.span_batch));
      }
    });
    return out;
  }

  async function query(q: ViewQuery, opts: QueryOptions = {}): Promise<ViewQueryResult> {
    assertOpen();
    const rendered = renderPgQuery(q);
    return read(() => withStoppableClient(pool, opts.signal, async (client) => {
      try {
        const res = await client.query(rendered.sql, rendered.params);
        const rows = res.rows.map((raw: Record<string, unknown>) => {
          const row: Record<string, unknown> = {};
          for (const [as, type] of rendered.types) row[as] = fromPg(type, raw[as]);
          return row;
        });
        if (!rendered.count) return { rows };
        const counted = await client.query<{ n: string | number }>(rendered.count.sql, rendered.count.params);
        return { rows, total: Number(counted.rows[0].n) };
      } catch (err) {
        throw queryError(err);
      }
    }));
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await writeChain;
    while (reading > 0) await new Promise<void>((resolve) => readsDone.push(resolve));
    if (owned) await pool.end();
  }

  try {
    await init();
  } catch (err) {
    await close();
    throw err;
  }
  return { init, replaceTraces, storedSpans, query, close };
}

/** A value from pg as the neutral type promises it (pg returns bigint and numeric as text). */
export function fromPg(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return type === 'string_array' ? [] : null;
  switch (type) {
    case 'long': {
      if (typeof v === 'number') return v;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : BigInt(String(v));
    }
    case 'double':
      return typeof v === 'number' ? v : Number(v);
    case 'string_array':
      return Array.isArray(v) ? v : [];
    default:
      return v;
  }
}

/**
 * A write that lost a race with another node writing the same trace (the unique
 * rawTraceView key) is retryable: the retry finds the trace stored and replaces it.
 */
function writeError(err: unknown): TesseraError {
  const code = (err as { code?: unknown })?.code;
  if (code === '23505') return new TesseraError('UNAVAILABLE', 'another node wrote one of these traces at the same time; retry', { cause: err, retryAfterSec: 1 });
  return pgError(err, 'writing views');
}

/** PostgreSQL's complaints about a bad pattern or value (data exceptions, class 22) are the caller's. */
function queryError(err: unknown): TesseraError {
  if (err instanceof TesseraError) return err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('22')) return new TesseraError('BAD_QUERY', (err as Error).message, { cause: err });
  return pgError(err, 'querying views');
}
