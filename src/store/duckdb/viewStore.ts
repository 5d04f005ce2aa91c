// The DuckDB view store: the embedded default (DESIGN §7). One database file; tables and
// indexes rendered from src/views/schema.ts; writes through the appender inside one
// transaction per batch (idempotent replace by tenant + trace id); reads on a small pool of
// connections so a slow query never holds up the writer.
import { DuckDBInstance, listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { TesseraError, asTesseraError } from '../../errors.ts';
import type { Span } from '../../model/span.ts';
import { decodeSpanBatch } from '../codec.ts';
import { traceKeyString, type TraceKey, type ReplaceOptions, type TraceRows, type ViewStore } from '../api.ts';
import type { QueryOptions, ViewQuery, ViewQueryResult } from '../query.ts';
import { VIEWS, rawTraceView, type ViewDef } from '../../views/schema.ts';
import { createViewStatements, duckDbType, quoteIdent } from './ddl.ts';
import { fromDuckDb } from './convert.ts';
import type { StoredLayout } from './columns.ts';
import { codecsFor, encodeWrite, type EncodedWrite, type StoreLayouts } from './encodedWrite.ts';
import { ROLLUP_MINUTE_MS, ROLLUP_SOURCES, planRollup, type RollupPlan } from '../../views/rollups.ts';
import { ROLLED_MINUTES_TABLE, buildRollupStatements, finishRollup, invalidateStatements, renderRollupQuery, rollupParts, rollupTableStatements, storedMinutesSql } from './rollups.ts';
import { renderQuery } from './sql.ts';
import { ConnectionPool } from './connectionPool.ts';

export interface DuckDbViewStoreOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /**
   * An instance already open on `path`, shared with the entity store (two instances on one file
   * do not see each other's writes). The store then leaves closing it to its owner.
   */
  instance?: DuckDBInstance;
  /** Read connections (default 2: one per core here). */
  readers?: number;
  /**
   * WAL size that triggers a checkpoint (DuckDB setting, instance-wide; default 256MB). DuckDB's
   * own 16MB checkpoints often, and each checkpoint rewrites the ART indexes whole: view writes
   * then cost ~190 µs a span of CPU and grow with the data, against ~85 µs at 256MB, whose
   * larger row groups also compress better (~650 against ~1 100 bytes a span on disk). The
   * price: up to that much WAL replayed at start, and held in memory until a checkpoint.
   */
  checkpointThreshold?: string;
  /**
   * Per-minute metric rollups (ADR 011): every `everyMs` (default 60 000) the minutes that
   * ended `closedAfterMs` ago (default 600 000) or earlier, back to `lookbackMs` (default one
   * day), are rolled up; `false` rolls up only when `rollUp` is called.
   */
  rollups?: { everyMs?: number; closedAfterMs?: number; lookbackMs?: number } | false;
}

/** The DuckDB view store, and rolling up closed minutes on demand (bench, tests). */
export interface DuckDbViewStore extends ViewStore {
  /** Rolls up the whole minutes in [fromMs, toMs) not rolled up yet, for every tenant. */
  rollUp(range: { fromMs: number; toMs: number }): Promise<void>;
  /** How this file's tables lay out each view: what `encodeWrite` needs. Plain data. */
  layouts(): StoreLayouts;
  /** `replaceTraces` of a batch encoded by `encodeWrite`, maybe on another thread (fences ignored: one writer). */
  writeEncoded(write: EncodedWrite, opts?: ReplaceOptions): Promise<void>;
  /** `storedSpans` without decoding: each trace's stored SpanBatch bytes (decodeSpanBatch reads them). */
  storedSpanBatches(keys: readonly TraceKey[]): Promise<Map<string, Uint8Array>>;
}

/** Rows appended between two turns of the event loop while a batch is written (~10 ms of appends). */
const APPEND_SLICE_ROWS = 1024;

/**
 * `column IN (…)` over string values with parameters from `$from` on: placeholders (the ART
 * index serves them, ~25 µs per value), or past a few thousand values one list parameter (a
 * semi-join that scans the column, cheaper than binding that many placeholders).
 */
function inList(column: string, values: readonly string[], from: number): { sql: string; params: DuckDBValue[] } {
  if (values.length <= 4096) {
    return { sql: `${quoteIdent(column)} IN (${values.map((_, i) => `$${from + i}`).join(', ')})`, params: [...values] };
  }
  return { sql: `${quoteIdent(column)} IN (SELECT unnest($${from}::VARCHAR[]))`, params: [listValue([...values])] };
}

/** Opens (and creates when missing) the store; ready to use when it resolves. */
export async function openDuckDbViewStore(opts: DuckDbViewStoreOptions): Promise<DuckDbViewStore> {
  const owned = opts.instance === undefined;
  const instance = opts.instance ?? (await DuckDBInstance.create(opts.path));
  const writer = await instance.connect();
  const readers: DuckDBConnection[] = [];
  for (let i = 0; i < (opts.readers ?? 2); i++) readers.push(await instance.connect());
  const pool = new ConnectionPool(readers);
  let layouts: StoreLayouts = Object.fromEntries(VIEWS.map((v) => [v.name, { order: v.columns.map((c) => c.name), text: new Set<string>() }]));
  // Writes are serialized: one transaction at a time on the writer connection.
  let writeChain: Promise<unknown> = Promise.resolve();
  let closed = false;
  // Rolled-up minutes by source view, as the rollup tables hold them (this process is the only writer).
  const rolled = new Map<string, Set<number>>(ROLLUP_SOURCES.map((src) => [src.view, new Set<number>()]));
  let rollupTimer: NodeJS.Timeout | undefined;

  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = writeChain.then(fn, fn);
    writeChain = run.catch(() => undefined);
    return run;
  };
  const assertOpen = (): void => {
    if (closed) throw new TesseraError('UNAVAILABLE', 'the view store is closed');
  };

  async function init(): Promise<void> {
    const threshold = opts.checkpointThreshold ?? '256MB';
    if (!/^\d+(\.\d+)?\s*[KMGT]?i?B$/i.test(threshold)) throw new TesseraError('CONFIG', `checkpointThreshold ${JSON.stringify(threshold)} is not a size such as 256MB`);
    await writer.run(`SET checkpoint_threshold = '${threshold}'`);
    const found: StoreLayouts = {};
    for (const view of VIEWS) {
      for (const sql of createViewStatements(view)) await writer.run(sql);
      found[view.name] = await addMissingColumns(writer, view);
    }
    layouts = found;
    for (const sql of rollupTableStatements()) await writer.run(sql);
    const marks = await writer.runAndReadAll(`SELECT view_name, minute_ms FROM ${ROLLED_MINUTES_TABLE}`);
    for (const [view, minute] of marks.getRows()) rolled.get(String(view))?.add(Number(minute));
  }

  /**
   * Inside a write's transaction: forgets the rolled-up minutes that the new rows, or the stored
   * rows about to be replaced, fall in (so a late span never counts twice). Nothing to do, and no
   * statement run, while no minute those rows touch is rolled up.
   */
  async function invalidateRollups(write: EncodedWrite, present: Set<string>): Promise<Map<string, number[]>> {
    const dropped = new Map<string, number[]>();
    for (const source of ROLLUP_SOURCES) {
      const marks = rolled.get(source.view)!;
      if (marks.size === 0) continue;
      const touched = new Set<number>(write.minutes[source.view] ?? []);
      const replaced = write.keys.filter((k) => present.has(traceKeyString(k)));
      for (const [tenant, group] of groupByTenant(replaced)) {
        const found = await writer.runAndReadAll(storedMinutesSql(source, group.length), [tenant, ...group]);
        for (const [m] of found.getRows()) touched.add(Number(m));
      }
      const minutes = [...touched].filter((m) => marks.has(m));
      if (minutes.length === 0) continue;
      for (const stmt of invalidateStatements(source.view, minutes)) await writer.run(stmt.sql, stmt.params);
      dropped.set(source.view, minutes);
    }
    return dropped;
  }

  async function rollUp(range: { fromMs: number; toMs: number }): Promise<void> {
    assertOpen();
    const fromMs = Math.ceil(range.fromMs / ROLLUP_MINUTE_MS) * ROLLUP_MINUTE_MS;
    const toMs = Math.floor(range.toMs / ROLLUP_MINUTE_MS) * ROLLUP_MINUTE_MS;
    if (fromMs >= toMs) return;
    await serialized(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        for (const source of ROLLUP_SOURCES) for (const stmt of buildRollupStatements(source, fromMs, toMs)) await writer.run(stmt.sql, stmt.params);
        await writer.run('COMMIT');
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw asTesseraError(err);
      }
      for (const source of ROLLUP_SOURCES) for (let m = fromMs; m < toMs; m += ROLLUP_MINUTE_MS) rolled.get(source.view)!.add(m);
    });
  }

  /** Which of these traces have rows already (their rawTraceView row), as key strings. */
  async function existing(conn: DuckDBConnection, keys: readonly TraceKey[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (keys.length === 0) return found;
    const ids = inList('trace_id', [...new Set(keys.map((k) => k.traceId))], 1);
    const rows = await conn.runAndReadAll(`SELECT tenant_id, trace_id FROM ${quoteIdent(rawTraceView.name)} WHERE ${ids.sql}`, ids.params);
    for (const [tenant, traceId] of rows.getRows()) found.add(traceKeyString({ tenant: String(tenant), traceId: String(traceId) }));
    return found;
  }

  async function deleteTraces(keys: TraceKey[]): Promise<void> {
    const byTenant = new Map<string, string[]>();
    for (const k of keys) {
      const ids = byTenant.get(k.tenant);
      if (ids) ids.push(k.traceId);
      else byTenant.set(k.tenant, [k.traceId]);
    }
    for (const view of VIEWS) {
      for (const [tenant, traceIds] of byTenant) {
        const ids = inList('trace_id', traceIds, 2);
        await writer.run(`DELETE FROM ${quoteIdent(view.name)} WHERE tenant_id = $1 AND ${ids.sql}`, [tenant, ...ids.params]);
      }
    }
  }

  async function replaceTraces(batch: readonly TraceRows[]): Promise<void> {
    assertOpen();
    if (batch.length === 0) return;
    await writeEncoded(encodeWrite(layouts, batch).write);
  }

  async function writeEncoded(write: EncodedWrite): Promise<void> {
    assertOpen();
    if (write.keys.length === 0) return;
    const codecs = codecsFor(layouts);
    await serialized(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        // Only traces stored before need deleting; their rawTraceView row says which. A batch
        // that somehow lacks that row for a trace deletes every one of its traces instead.
        const keys = write.keys;
        const present = write.unmarked ? new Set(keys.map(traceKeyString)) : await existing(writer, keys);
        const dropped = await invalidateRollups(write, present);
        if (present.size > 0) await deleteTraces(keys.filter((k) => present.has(traceKeyString(k))));
        // Appends are synchronous native calls (~4 µs a row): a 20 000-span batch would hold
        // the thread for a quarter of a second. Slices of APPEND_SLICE_ROWS rows with a turn
        // of the event loop between them keep everything else on this thread moving.
        for (const { name, batch } of write.views) {
          const codec = codecs.get(name);
          if (!codec) throw new TesseraError('INVALID_ARGUMENT', `no view named ${JSON.stringify(name)}`);
          const ap = await writer.createAppender(name);
          try {
            for (let from = 0; from < batch.rows; from += APPEND_SLICE_ROWS) {
              if (from > 0) {
                ap.flushSync();
                await new Promise<void>((resolve) => setImmediate(resolve));
              }
              codec.append(ap, batch, from, Math.min(APPEND_SLICE_ROWS, batch.rows - from));
            }
          } finally {
            ap.closeSync();
          }
        }
        await writer.run('COMMIT');
        for (const [view, minutes] of dropped) for (const m of minutes) rolled.get(view)!.delete(m);
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw asTesseraError(err);
      }
    });
  }

  async function storedSpans(keys: readonly TraceKey[]): Promise<Map<string, Span[]>> {
    const out = new Map<string, Span[]>();
    for (const [key, blob] of await storedSpanBatches(keys)) out.set(key, decodeSpanBatch(blob));
    return out;
  }

  async function storedSpanBatches(keys: readonly TraceKey[]): Promise<Map<string, Uint8Array>> {
    assertOpen();
    const out = new Map<string, Uint8Array>();
    if (keys.length === 0) return out;
    const wanted = new Set(keys.map(traceKeyString));
    const ids = inList('trace_id', [...new Set(keys.map((k) => k.traceId))], 1);
    const reader = await pool.use((c) =>
      c.runAndReadAll(`SELECT tenant_id, trace_id, span_batch FROM ${quoteIdent(rawTraceView.name)} WHERE ${ids.sql}`, ids.params),
    );
    for (const [tenant, traceId, blob] of reader.getRowsJS()) {
      const key = traceKeyString({ tenant: String(tenant), traceId: String(traceId) });
      if (wanted.has(key) && blob instanceof Uint8Array) out.set(key, blob);
    }
    return out;
  }

  async function query(q: ViewQuery, opts: QueryOptions = {}): Promise<ViewQueryResult> {
    assertOpen();
    const rollup = rollupRendering(q);
    const rendered = rollup ? undefined : renderQuery(q);
    const { signal } = opts;
    const rowsOf = (raws: Record<string, unknown>[]): Record<string, unknown>[] =>
      raws.map((raw) => {
        const row: Record<string, unknown> = {};
        for (const [as, type] of rendered!.types) row[as] = fromDuckDb(type, raw[as]);
        return row;
      });
    try {
      if (rollup) return finishRollup(rollup.plan, (await statement(rollup.sql, rollup.params, signal)).getRowObjectsJS());
      if (!rendered) throw new TesseraError('INTERNAL', 'no rendering of the query');
      const count = rendered.count;
      // A search for rare rows (a tag search, ADR 013) scans as much for its page as for its
      // count, and a page that is not full knows the total: the count runs only after a full one.
      if (count !== undefined && rendered.fewMatches) {
        const reader = await statement(rendered.sql, rendered.params, signal);
        const rows = rowsOf(reader.getRowObjectsJS());
        const offset = q.offset ?? 0;
        if (rows.length < q.limit && (rows.length > 0 || offset === 0)) return { rows, total: offset + rows.length };
        return { rows, total: Number((await statement(count.sql, count.params, signal)).getRows()[0][0]) };
      }
      // Otherwise the count runs beside the page when a second connection is free: a filtered
      // count scans every matching row (10 M spans, 1 h search: ~50 ms) while a sorted page stops
      // early (~5 ms). With none free it follows the page, leaving the other reader to others.
      const beside = count !== undefined && pool.idleCount >= 2;
      const [reader, countedBeside] = await Promise.all([
        statement(rendered.sql, rendered.params, signal),
        beside ? statement(count.sql, count.params, signal) : undefined,
      ]);
      const counted = countedBeside ?? (count ? await statement(count.sql, count.params, signal) : undefined);
      const rows = rowsOf(reader.getRowObjectsJS());
      return counted ? { rows, total: Number(counted.getRows()[0][0]) } : { rows };
    } catch (err) {
      throw signal?.aborted ? stopped(err) : queryError(err);
    }
  }

  /** One statement on a reader connection; a caller that stops waiting interrupts it. */
  function statement(sql: string, params: DuckDBValue[], signal: AbortSignal | undefined) {
    return pool.use(async (c) => {
      if (signal?.aborted) throw stopped();
      const interrupt = () => c.interrupt();
      signal?.addEventListener('abort', interrupt, { once: true });
      try {
        return await c.runAndReadAll(sql, params);
      } finally {
        signal?.removeEventListener('abort', interrupt);
      }
    });
  }

  /** The rollup's rendering of `q` when it can answer it and holds a whole minute of its range. */
  function rollupRendering(q: ViewQuery): (ReturnType<typeof renderRollupQuery> & { plan: RollupPlan }) | undefined {
    const plan = planRollup(q);
    if (!plan) return undefined;
    const parts = rollupParts(plan.fromMs, plan.toMs, rolled.get(plan.source.view)!);
    return parts && { ...renderRollupQuery(plan, parts), plan };
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    if (rollupTimer) clearInterval(rollupTimer);
    await writeChain;
    await pool.drain();
    for (const c of [writer, ...readers]) c.closeSync();
    if (owned) instance.closeSync();
  }

  try {
    await init();
  } catch (err) {
    for (const c of [writer, ...readers]) c.closeSync();
    if (owned) instance.closeSync();
    throw asTesseraError(err);
  }
  if (opts.rollups !== false) {
    const { everyMs = 60_000, closedAfterMs = 600_000, lookbackMs = 86_400_000 } = opts.rollups ?? {};
    rollupTimer = setInterval(() => {
      const now = Date.now();
      rollUp({ fromMs: now - lookbackMs, toMs: now - closedAfterMs }).catch(() => undefined);
    }, everyMs);
    rollupTimer.unref();
  }
  return { init, replaceTraces, storedSpans, query, close, rollUp, layouts: () => layouts, writeEncoded, storedSpanBatches };
}

/** Trace ids by tenant. */
function groupByTenant(keys: readonly TraceKey[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const k of keys) out.set(k.tenant, [...(out.get(k.tenant) ?? []), k.traceId]);
  return out;
}

/**
 * Adds columns a newer schema declares to a table created by an older build (they go last),
 * and returns the table's layout for the appender.
 */
async function addMissingColumns(conn: DuckDBConnection, view: ViewDef): Promise<StoredLayout> {
  const reader = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
    [view.name],
  );
  const have = new Map(reader.getRows().map(([name, type]) => [String(name), String(type)]));
  const order = [...have.keys()];
  const text = new Set<string>();
  for (const c of view.columns) {
    const type = have.get(c.name);
    if (type === undefined) {
      await conn.run(`ALTER TABLE ${quoteIdent(view.name)} ADD COLUMN ${quoteIdent(c.name)} ${duckDbType(c)}`);
      order.push(c.name);
    } else if (c.values !== undefined && type === 'VARCHAR') text.add(c.name);
  }
  return { order, text };
}

const stopped = (cause?: unknown): TesseraError =>
  new TesseraError('DEADLINE_EXCEEDED', 'the query was stopped: its caller stopped waiting', cause === undefined ? {} : { cause });

/** DuckDB's complaints about a bad pattern or value are the caller's mistake, not ours. */
function queryError(err: unknown): TesseraError {
  if (err instanceof TesseraError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/^(Invalid Input|Conversion|Binder) Error/.test(message)) return new TesseraError('BAD_QUERY', message, { cause: err });
  return asTesseraError(err);
}
