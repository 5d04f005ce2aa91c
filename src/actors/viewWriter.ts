// ViewWriter: batches closed traces into the view store. A trace already stored (a late span,
// or a trace closed early) is merged with its stored spans and re-assembled, and its rows are
// replaced, so a trace id never splits. Partitions hear back once their batch is durable.
// In a cluster, a batch of a partition whose lease is no longer valid is refused before the
// write (the fence): the partition's new owner writes those traces. Each write also carries its
// partitions' lease tokens, which a shared store checks in the write's own transaction (ADR 010).
import type { Logger } from 'pino';
import type { Span } from '../model/span.ts';
import type { AssembledTrace } from '../model/trace.ts';
import type { TraceRows, ViewStore, WriteFence } from '../store/api.ts';
import { traceKeyString } from '../store/api.ts';
import { assembleTrace } from '../trace/assemble.ts';
import { FencedError } from '../errors.ts';
import { spawnActor, tell, type ActorRef, type ActorSystem } from './runtime.ts';
import type { PartitionFence } from '../sharding/ownership.ts';

export interface ClosedTrace {
  tenant: string;
  traceId: string;
  spans: Span[];
}

/** A trace as written: revision 0 on its first write, more when a late span re-opened it. */
export interface WrittenTrace {
  trace: AssembledTrace;
  rows: TraceRows;
}

export type WrittenReply = { type: 'TracesWritten'; batchId: number } | { type: 'WriteFailed'; batchId: number };

export type ViewWriterMsg =
  | { type: 'WriteTraces'; partition: number; batchId: number; traces: ClosedTrace[]; replyTo: ActorRef<WrittenReply> }
  /**
   * The partitions are leaving this node: their queued batches are dropped (WriteFailed), and
   * the reply comes once no write of theirs is in progress, so nothing of theirs can reach the
   * store after the lease is released.
   */
  | { type: 'DropPartitions'; partitions: readonly number[]; replyTo: ActorRef<{ type: 'PartitionsDropped' }> }
  | { type: 'Prepared'; batch: number; written?: WrittenTrace[] }
  /** Batch `batch`'s write ended. `fenced`: the store refused it for these partitions (a newer owner holds them). */
  | { type: 'FlushDone'; batch: number; ok: boolean; fenced?: readonly number[] }
  | { type: 'RetryFlush' }
  /** The oldest queued batch has lingered long enough (lingerMs): write what is queued. */
  | { type: 'LingerOver' }
  | { type: 'Stop' };

export interface ViewWriterDeps {
  store: ViewStore;
  /** Turns an assembled trace into its view rows (enrichment runs inside). */
  rowsOf: (trace: AssembledTrace) => TraceRows | Promise<TraceRows>;
  /** Called with every trace and its rows once they are durable (live subscriptions, metrics). */
  onWritten?: (written: WrittenTrace[]) => void;
  logger: Logger;
  /** Upper bound of spans per store write. */
  maxBatchSpans: number;
  /**
   * Store writes in progress at once (default 2), of batches that share no trace. A store that
   * takes a write's rows on this thread and writes them elsewhere (the DuckDB store thread) then
   * has the next write's rows encoded and sent while it writes the current one, instead of idling
   * between writes. A store that runs writes one at a time (DuckDB) still does; PostgreSQL runs
   * them as concurrent transactions.
   */
  writesInFlight?: number;
  /**
   * How long closed traces may wait for more before a write smaller than `lingerSpans` starts
   * (default 0: at once). Each store write has a fixed cost besides its rows: DuckDB spends
   * ~10–20 ms of CPU on a write's BEGIN, existence lookup and COMMIT whatever its size (the
   * COMMIT's share grows with the views' column count). At a low or moderate rate, writing at
   * once means many small writes that each pay it; lingering trades up to this much freshness
   * for fewer of them (ADR 016).
   */
  lingerMs?: number;
  /** Queued spans that start a write without lingering. Default: a quarter of maxBatchSpans. */
  lingerSpans?: number;
  /** Checked for each partition of a batch right before the write; default: always admitted. */
  fence?: PartitionFence;
  /**
   * Called after each store write, successful or not, and for a batch that failed before its
   * write (reading its stored spans, enrichment): metrics.
   */
  onFlush?: (flush: FlushReport) => void;
}

export interface FlushReport {
  traces: number;
  spans: number;
  ms: number;
  ok: boolean;
}

interface Pending {
  partition: number;
  replyTo: ActorRef<WrittenReply>;
  batchId: number;
  traces: ClosedTrace[];
  spans: number;
  /** When it was queued (performance.now()): what lingering counts from. */
  queuedAt: number;
}

/** Batches taken from the queue together: one store write. */
interface Batch {
  /** Distinguishes this batch's replies from those of a batch cancelled before it finished. */
  id: number;
  pendings: Pending[];
  spans: number;
  /** Keys of its traces (tenant + trace id): a batch is prepared early only when it shares none with the write in progress. */
  keys: Set<string>;
  /** Its traces, merged, assembled and turned into rows; set once prepared. */
  written?: WrittenTrace[];
  started: number;
}

interface State {
  queue: Pending[];
  /** The batches being written to the store, oldest first. */
  writing: Batch[];
  /** The next batch, being prepared (stored spans read, enrichment) or prepared, while `writing` runs. */
  next: Batch | null;
  /** Replies due once no write in progress carries any of these partitions. */
  dropWaiters: { replyTo: ActorRef<{ type: 'PartitionsDropped' }>; partitions: ReadonlySet<number> }[];
  failures: number;
  /** A write or a preparation failed: nothing new is prepared until RetryFlush. */
  backingOff: boolean;
  /** A LingerOver message is due. */
  lingering: boolean;
  stopped: boolean;
  batchIds: number;
}

/**
 * Reads a batch's stored spans and turns its traces into rows: the part of a write that runs
 * before the store write, and may run while the previous batch is being written.
 */
export async function prepareTraces(deps: ViewWriterDeps, batch: ClosedTrace[]): Promise<WrittenTrace[]> {
  const merged = new Map<string, ClosedTrace>();
  for (const tr of batch) {
    const key = traceKeyString(tr);
    const prev = merged.get(key);
    if (prev) prev.spans = prev.spans.concat(tr.spans);
    else merged.set(key, { ...tr });
  }
  const stored = await deps.store.storedSpans([...merged.values()].map(({ tenant, traceId }) => ({ tenant, traceId })));
  // All traces of the batch are enriched at once: entity misses of every trace then share the
  // resolver's batched store round trips, and the writer waits for one round of actor messages
  // (each a macrotask, queued behind ingest) rather than one per trace.
  return Promise.all([...merged].map(async ([key, tr]) => {
    const before = stored.get(key);
    // Stored spans first: a re-sent duplicate keeps the version already written.
    const trace = assembleTrace(before ? before.concat(tr.spans) : tr.spans, before ? 1 : 0);
    return { trace, rows: await deps.rowsOf(trace) };
  }));
}

/** Writes one batch: merge with stored spans, assemble, derive rows, replace (under the batch's lease tokens, if any). */
export async function writeTraces(deps: ViewWriterDeps, batch: ClosedTrace[], fences: readonly WriteFence[] = []): Promise<WrittenTrace[]> {
  const written = await prepareTraces(deps, batch);
  await deps.store.replaceTraces(written.map((w) => w.rows), fences.length > 0 ? { fences } : undefined);
  return written;
}

/**
 * The view writer. The next batch is prepared (stored spans read, traces enriched into rows)
 * while earlier ones are written, and up to `writesInFlight` writes run at once: the store's
 * work (existence checks, appends and COMMIT, on DuckDB's store thread) then overlaps with
 * enrichment on this thread instead of leaving either idle. A batch sharing a trace with a
 * write in progress waits for it, since it must read that write's spans; so writes in flight
 * never share a trace, and the order they finish in does not matter. A failed write puts its
 * batch back first and the prepared one after it, in order.
 */
export function spawnViewWriter(parent: ActorSystem | ActorRef<unknown>, deps: ViewWriterDeps): ActorRef<ViewWriterMsg> {
  let self: ActorRef<ViewWriterMsg>;
  const inFlight = Math.max(1, deps.writesInFlight ?? 2);
  const lingerMs = Math.max(0, deps.lingerMs ?? 0);
  const lingerSpans = Math.max(1, deps.lingerSpans ?? Math.ceil(deps.maxBatchSpans / 4));

  /**
   * Whether the queue should wait for more before its next batch is taken: it holds fewer than
   * lingerSpans spans and its oldest entry has waited less than lingerMs. A LingerOver message is
   * then due when that entry's time is up. Entries put back after a failed or cancelled write
   * keep their queuedAt, so they are past their linger and go at once.
   */
  const lingers = (state: State): boolean => {
    if (lingerMs === 0 || state.queue.length === 0) return false;
    let spans = 0;
    for (const p of state.queue) {
      spans += p.spans;
      if (spans >= lingerSpans) return false;
    }
    const left = lingerMs - (performance.now() - state.queue[0].queuedAt);
    if (left <= 0) return false;
    if (!state.lingering) {
      state.lingering = true;
      setTimeout(() => tell(self, { type: 'LingerOver' }), left).unref();
    }
    return true;
  };

  /** Takes the next batch from the queue (refusing partitions whose lease is gone), or null. */
  const take = (state: State): Batch | null => {
    const pendings: Pending[] = [];
    let spans = 0;
    while (state.queue.length > 0 && (pendings.length === 0 || spans + state.queue[0].spans <= deps.maxBatchSpans)) {
      const p = state.queue.shift()!;
      if (deps.fence && !deps.fence.admit(p.partition, 'write')) {
        tell(p.replyTo, { type: 'WriteFailed', batchId: p.batchId });
        continue;
      }
      pendings.push(p);
      spans += p.spans;
    }
    if (pendings.length === 0) return null;
    const keys = new Set<string>();
    for (const p of pendings) for (const tr of p.traces) keys.add(traceKeyString(tr));
    return { id: ++state.batchIds, pendings, spans, keys, started: performance.now() };
  };

  const report = (b: Batch, ok: boolean) =>
    deps.onFlush?.({ traces: b.pendings.reduce((n, p) => n + p.traces.length, 0), spans: b.spans, ms: performance.now() - b.started, ok });

  /** Prepares the next batch when none is, as long as it shares no trace with the write in progress. */
  const startNext = (state: State): void => {
    if (state.next || state.queue.length === 0 || state.stopped) return;
    if (state.backingOff || lingers(state)) return;
    const batch = take(state);
    if (!batch) return;
    if (state.writing.some((w) => [...batch.keys].some((k) => w.keys.has(k)))) {
      state.queue.unshift(...batch.pendings);
      return;
    }
    state.next = batch;
    const traces = batch.pendings.flatMap((p) => p.traces);
    prepareTraces(deps, traces).then(
      (written) => tell(self, { type: 'Prepared', batch: batch.id, written }),
      (err: unknown) => {
        // Counted as a failed write (metrics, alerts): a store that cannot be read for the
        // batch's stored spans fails here, before any write is tried.
        report(batch, false);
        deps.logger.warn({ err, traces: traces.length }, 'preparing view rows failed; will retry');
        tell(self, { type: 'Prepared', batch: batch.id });
      },
    );
  };

  /** Writes the prepared batch when fewer than `inFlight` writes are in progress. */
  const startWrite = (state: State): void => {
    const batch = state.next;
    if (state.writing.length >= inFlight || !batch?.written || state.stopped) return;
    state.next = null;
    state.writing.push(batch);
    const fences: WriteFence[] = [];
    for (const partition of new Set(batch.pendings.map((p) => p.partition))) {
      const token = deps.fence?.tokenOf?.(partition);
      if (token !== undefined) fences.push({ partition, token });
    }
    const written = batch.written;
    deps.store.replaceTraces(written.map((w) => w.rows), fences.length > 0 ? { fences } : undefined).then(
      () => {
        report(batch, true);
        deps.onWritten?.(written);
        tell(self, { type: 'FlushDone', batch: batch.id, ok: true });
      },
      (err: unknown) => {
        report(batch, false);
        if (err instanceof FencedError) {
          deps.logger.info({ partitions: err.partitions }, 'view store write fenced: those partitions have a newer owner');
          tell(self, { type: 'FlushDone', batch: batch.id, ok: false, fenced: err.partitions });
          return;
        }
        deps.logger.warn({ err, traces: written.length }, 'view store write failed; will retry');
        tell(self, { type: 'FlushDone', batch: batch.id, ok: false });
      },
    );
  };

  const advance = (state: State): void => {
    startWrite(state);
    startNext(state);
    startWrite(state);
  };

  const backOff = (state: State): void => {
    state.backingOff = true;
    state.failures++;
    const delay = Math.min(5000, 100 * 2 ** Math.min(state.failures, 6));
    setTimeout(() => tell(self, { type: 'RetryFlush' }), delay).unref();
  };

  const handle = (state: State, msg: ViewWriterMsg): State => {
    switch (msg.type) {
      case 'WriteTraces':
        if (state.stopped) {
          tell(msg.replyTo, { type: 'WriteFailed', batchId: msg.batchId });
          break;
        }
        state.queue.push({
          partition: msg.partition,
          replyTo: msg.replyTo,
          batchId: msg.batchId,
          traces: msg.traces,
          spans: msg.traces.reduce((n, t) => n + t.spans.length, 0),
          queuedAt: performance.now(),
        });
        advance(state);
        break;
      case 'Prepared': {
        const batch = state.next;
        if (!batch || batch.id !== msg.batch || batch.written) break; // cancelled meanwhile: its work is requeued
        if (msg.written) {
          batch.written = msg.written;
          advance(state);
        } else {
          state.next = null;
          state.queue.unshift(...batch.pendings);
          backOff(state);
        }
        break;
      }
      case 'FlushDone': {
        const at = state.writing.findIndex((w) => w.id === msg.batch);
        if (at < 0) break;
        const [done] = state.writing.splice(at, 1);
        const busy = new Set(state.writing.flatMap((w) => w.pendings.map((p) => p.partition)));
        state.dropWaiters = state.dropWaiters.filter((w) => {
          if ([...w.partitions].some((p) => busy.has(p))) return true;
          tell(w.replyTo, { type: 'PartitionsDropped' });
          return false;
        });
        if (msg.ok) {
          state.failures = 0;
          for (const p of done.pendings) tell(p.replyTo, { type: 'TracesWritten', batchId: p.batchId });
          advance(state);
        } else if (msg.fenced) {
          // The fenced partitions' traces are their new owner's to write: give them up at once,
          // and write the rest of the batch again without waiting for the lease loss to be noticed.
          const lost = new Set(msg.fenced);
          for (const p of done.pendings) if (lost.has(p.partition)) tell(p.replyTo, { type: 'WriteFailed', batchId: p.batchId });
          const next = state.next;
          state.next = null;
          state.queue.unshift(...done.pendings.filter((p) => !lost.has(p.partition)), ...(next?.pendings ?? []));
          advance(state);
        } else {
          // Keep the batch, in order, ahead of the one prepared after it (whose rows are then
          // built again: a retried write may have been partly applied elsewhere), and back off:
          // the store (e.g. PostgreSQL) may be restarting.
          const next = state.next;
          state.next = null;
          state.queue.unshift(...done.pendings, ...(next?.pendings ?? []));
          backOff(state);
        }
        break;
      }
      case 'RetryFlush':
        state.backingOff = false;
        advance(state);
        break;
      case 'LingerOver':
        state.lingering = false;
        advance(state);
        break;
      case 'DropPartitions': {
        const leaving = new Set(msg.partitions);
        // A batch not yet being written is taken apart: the leaving partitions' part is dropped,
        // the rest goes back to the queue and is prepared again.
        const next = state.next;
        if (next && next.pendings.some((p) => leaving.has(p.partition))) {
          state.next = null;
          state.queue.unshift(...next.pendings);
        }
        for (const p of state.queue) if (leaving.has(p.partition)) tell(p.replyTo, { type: 'WriteFailed', batchId: p.batchId });
        state.queue = state.queue.filter((p) => !leaving.has(p.partition));
        if (state.writing.some((w) => w.pendings.some((p) => leaving.has(p.partition)))) state.dropWaiters.push({ replyTo: msg.replyTo, partitions: leaving });
        else tell(msg.replyTo, { type: 'PartitionsDropped' });
        advance(state);
        break;
      }
      case 'Stop':
        state.stopped = true;
        if (state.next) state.queue.unshift(...state.next.pendings);
        state.next = null;
        for (const p of state.queue) tell(p.replyTo, { type: 'WriteFailed', batchId: p.batchId });
        state.queue = [];
        break;
    }
    return state;
  };

  self = spawnActor<State, ViewWriterMsg>(parent, {
    name: 'view-writer',
    initialState: { queue: [], writing: [], next: null, dropWaiters: [], failures: 0, backingOff: false, lingering: false, stopped: false, batchIds: 0 },
    handle,
    onCrash: 'resume',
    logger: deps.logger,
  });
  return self;
}
