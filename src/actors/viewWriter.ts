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
  | { type: 'FlushDone'; ok: boolean }
  | { type: 'RetryFlush' }
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
  /** Checked for each partition of a batch right before the write; default: always admitted. */
  fence?: PartitionFence;
  /** Called after each store write, successful or not (metrics). */
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
}

interface State {
  queue: Pending[];
  writing: Pending[] | null;
  /** Replies due when the write in progress ends. */
  dropWaiters: ActorRef<{ type: 'PartitionsDropped' }>[];
  failures: number;
  stopped: boolean;
}

/** Writes one batch: merge with stored spans, assemble, derive rows, replace (under the batch's lease tokens, if any). */
export async function writeTraces(deps: ViewWriterDeps, batch: ClosedTrace[], fences: readonly WriteFence[] = []): Promise<WrittenTrace[]> {
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
  const written: WrittenTrace[] = await Promise.all([...merged].map(async ([key, tr]) => {
    const before = stored.get(key);
    // Stored spans first: a re-sent duplicate keeps the version already written.
    const trace = assembleTrace(before ? before.concat(tr.spans) : tr.spans, before ? 1 : 0);
    return { trace, rows: await deps.rowsOf(trace) };
  }));
  await deps.store.replaceTraces(written.map((w) => w.rows), fences.length > 0 ? { fences } : undefined);
  return written;
}

export function spawnViewWriter(parent: ActorSystem | ActorRef<unknown>, deps: ViewWriterDeps): ActorRef<ViewWriterMsg> {
  let self: ActorRef<ViewWriterMsg>;

  const startFlush = (state: State): void => {
    if (state.writing || state.queue.length === 0 || state.stopped) return;
    const take: Pending[] = [];
    let spans = 0;
    while (state.queue.length > 0 && (take.length === 0 || spans + state.queue[0].spans <= deps.maxBatchSpans)) {
      const p = state.queue.shift()!;
      if (deps.fence && !deps.fence.admit(p.partition, 'write')) {
        tell(p.replyTo, { type: 'WriteFailed', batchId: p.batchId });
        continue;
      }
      take.push(p);
      spans += p.spans;
    }
    if (take.length === 0) return;
    state.writing = take;
    const traces = take.flatMap((p) => p.traces);
    const started = performance.now();
    const report = (ok: boolean) => deps.onFlush?.({ traces: traces.length, spans, ms: performance.now() - started, ok });
    const fences: WriteFence[] = [];
    for (const partition of new Set(take.map((p) => p.partition))) {
      const token = deps.fence?.tokenOf?.(partition);
      if (token !== undefined) fences.push({ partition, token });
    }
    writeTraces(deps, traces, fences)
      .then((written) => {
        report(true);
        deps.onWritten?.(written);
        tell(self, { type: 'FlushDone', ok: true });
      })
      .catch((err) => {
        report(false);
        deps.logger.warn({ err, traces: traces.length }, 'view store write failed; will retry');
        tell(self, { type: 'FlushDone', ok: false });
      });
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
        });
        startFlush(state);
        break;
      case 'FlushDone': {
        const done = state.writing ?? [];
        state.writing = null;
        for (const r of state.dropWaiters.splice(0)) tell(r, { type: 'PartitionsDropped' });
        if (msg.ok) {
          state.failures = 0;
          for (const p of done) tell(p.replyTo, { type: 'TracesWritten', batchId: p.batchId });
          startFlush(state);
        } else {
          // Keep the batch, in order, and back off: the store (e.g. PostgreSQL) may be restarting.
          state.queue.unshift(...done);
          state.failures++;
          const delay = Math.min(5000, 100 * 2 ** Math.min(state.failures, 6));
          setTimeout(() => tell(self, { type: 'RetryFlush' }), delay).unref();
        }
        break;
      }
      case 'RetryFlush':
        startFlush(state);
        break;
      case 'DropPartitions': {
        const leaving = new Set(msg.partitions);
        for (const p of state.queue) if (leaving.has(p.partition)) tell(p.replyTo, { type: 'WriteFailed', batchId: p.batchId });
        state.queue = state.queue.filter((p) => !leaving.has(p.partition));
        if (state.writing?.some((p) => leaving.has(p.partition))) state.dropWaiters.push(msg.replyTo);
        else tell(msg.replyTo, { type: 'PartitionsDropped' });
        break;
      }
      case 'Stop':
        state.stopped = true;
        for (const p of state.queue) tell(p.replyTo, { type: 'WriteFailed', batchId: p.batchId });
        state.queue = [];
        break;
    }
    return state;
  };

  self = spawnActor<State, ViewWriterMsg>(parent, {
    name: 'view-writer',
    initialState: { queue: [], writing: null, dropWaiters: [], failures: 0, stopped: false },
    handle,
    onCrash: 'resume',
    logger: deps.logger,
  });
  return self;
}
