// PartitionActor: one per owned partition. Buffers spans per trace, closes a trace after the
// inactivity window (wall clock), and acknowledges a log entry once every trace it fed is
// written to the view store — and only while the node's lease on the partition is valid (the
// fence): a node that lost the partition leaves the entry pending for the new owner.
import type { Logger } from 'pino';
import type { Span } from '../model/span.ts';
import type { SpanLog, SpanLogEntry } from '../store/api.ts';
import { traceKeyString } from '../store/api.ts';
import { spawnActor, tell, type ActorRef, type ActorSystem } from './runtime.ts';
import type { InFlight } from './flow.ts';
import type { PartitionFence } from '../sharding/ownership.ts';
import type { ClosedTrace, ViewWriterMsg } from './viewWriter.ts';

export type PartitionMsg =
  | { type: 'AddEntries'; entries: SpanLogEntry[] }
  | { type: 'CloseIdleTraces'; nowMs: number }
  | { type: 'TracesWritten'; batchId: number }
  | { type: 'WriteFailed'; batchId: number }
  | { type: 'FlushAll'; replyTo: ActorRef<{ type: 'Flushed'; partition: number }> }
  /** The lease is gone: drop every open trace and write in flight, acknowledge nothing more. */
  | { type: 'Abandon'; replyTo: ActorRef<{ type: 'Abandoned'; partition: number }> }
  | { type: 'DescribeOpen'; replyTo: ActorRef<PartitionStats> };

export interface PartitionStats {
  partition: number;
  openTraces: number;
  openSpans: number;
  unackedEntries: number;
  writesInFlight: number;
}

export interface PartitionDeps {
  partition: number;
  log: SpanLog;
  writer: ActorRef<ViewWriterMsg>;
  inFlight: InFlight;
  windowMs: number;
  /** Past this many open spans the oldest traces close early (nothing is dropped). */
  maxOpenSpans: number;
  /** Checked before every acknowledgement; default: always admitted (single node). */
  fence?: PartitionFence;
  logger: Logger;
}

interface OpenTrace {
  tenant: string;
  traceId: string;
  spans: Span[];
  lastMs: number;
  entryIds: Set<string>;
}

interface State {
  /** Open traces in least-recently-touched order (a touched trace is re-inserted at the end). */
  open: Map<string, OpenTrace>;
  openSpans: number;
  /** entry id → number of open or writing traces it fed. */
  entryRefs: Map<string, number>;
  /** batch id → entry ids (with multiplicity) and spans of the traces in that write. */
  writes: Map<number, { entryIds: string[]; spans: number; traces: ClosedTrace[] }>;
  nextBatch: number;
  flushWaiters: ActorRef<{ type: 'Flushed'; partition: number }>[];
  abandoned: boolean;
}

export function spawnPartitionActor(parent: ActorSystem | ActorRef<unknown>, deps: PartitionDeps): ActorRef<PartitionMsg> {
  const { partition, log, logger } = deps;
  let self: ActorRef<PartitionMsg>;

  let fencedAcks = 0;
  const ack = (ids: string[]): void => {
    if (ids.length === 0) return;
    if (deps.fence && !deps.fence.admit(partition, 'ack')) {
      // The new owner has taken (or will take) these entries over and writes them itself.
      if (fencedAcks++ % 100 === 0) logger.warn({ partition, entries: ids.length }, 'fenced: lease lost, acknowledgements refused');
      return;
    }
    log.ack(partition, ids).catch((err) => {
      // The entries stay pending and are re-read after a restart; writes are idempotent.
      logger.warn({ err, partition, entries: ids.length }, 'ack failed; entries stay pending');
    });
  };

  const close = (state: State, traces: OpenTrace[]): void => {
    if (traces.length === 0) return;
    const batchId = state.nextBatch++;
    const entryIds: string[] = [];
    let spans = 0;
    const closed: ClosedTrace[] = traces.map((tr) => {
      state.open.delete(traceKeyString(tr));
      state.openSpans -= tr.spans.length;
      spans += tr.spans.length;
      for (const id of tr.entryIds) entryIds.push(id);
      return { tenant: tr.tenant, traceId: tr.traceId, spans: tr.spans };
    });
    state.writes.set(batchId, { entryIds, spans, traces: closed });
    tell(deps.writer, { type: 'WriteTraces', partition, batchId, traces: closed, replyTo: self });
  };

  const addEntries = (state: State, entries: SpanLogEntry[]): void => {
    const now = Date.now();
    const done: string[] = [];
    let skipped = 0;
    for (const entry of entries) {
      // Re-delivered (a sweep claimed it while it is still open here) or arriving after the
      // lease was lost: the spans are already held, or are the next owner's.
      if (state.abandoned || state.entryRefs.has(entry.id)) {
        skipped += entry.spans.length;
        continue;
      }
      if (entry.spans.length === 0) {
        done.push(entry.id);
        continue;
      }
      for (const span of entry.spans) {
        const key = traceKeyString(span);
        let tr = state.open.get(key);
        if (tr) state.open.delete(key);
        else tr = { tenant: span.tenant, traceId: span.traceId, spans: [], lastMs: now, entryIds: new Set() };
        tr.spans.push(span);
        tr.lastMs = now;
        if (!tr.entryIds.has(entry.id)) {
          tr.entryIds.add(entry.id);
          state.entryRefs.set(entry.id, (state.entryRefs.get(entry.id) ?? 0) + 1);
        }
        state.open.set(key, tr);
      }
      state.openSpans += entry.spans.length;
    }
    if (skipped > 0) deps.inFlight.release(skipped);
    ack(done);
    if (state.openSpans > deps.maxOpenSpans) {
      const early: OpenTrace[] = [];
      let spans = state.openSpans;
      for (const tr of state.open.values()) {
        if (spans <= deps.maxOpenSpans) break;
        early.push(tr);
        spans -= tr.spans.length;
      }
      close(state, early);
    }
  };

  const written = (state: State, batchId: number): void => {
    const w = state.writes.get(batchId);
    if (!w) return;
    state.writes.delete(batchId);
    const ackable: string[] = [];
    for (const id of w.entryIds) {
      const left = (state.entryRefs.get(id) ?? 1) - 1;
      if (left <= 0) {
        state.entryRefs.delete(id);
        ackable.push(id);
      } else state.entryRefs.set(id, left);
    }
    deps.inFlight.release(w.spans);
    ack(ackable);
    if (state.writes.size === 0 && state.open.size === 0) {
      for (const r of state.flushWaiters) tell(r, { type: 'Flushed', partition });
      state.flushWaiters = [];
    }
  };

  const handle = (state: State, msg: PartitionMsg): State => {
    switch (msg.type) {
      case 'AddEntries':
        addEntries(state, msg.entries);
        break;
      case 'CloseIdleTraces': {
        const due: OpenTrace[] = [];
        for (const tr of state.open.values()) {
          if (msg.nowMs - tr.lastMs < deps.windowMs) break;
          due.push(tr);
        }
        close(state, due);
        break;
      }
      case 'TracesWritten':
        written(state, msg.batchId);
        break;
      case 'WriteFailed': {
        // The writer gave up on this batch (it is shutting down, or the lease is gone): leave its
        // entries pending. A drain waiting on it is done: nothing more will be written.
        const w = state.writes.get(msg.batchId);
        if (w) {
          state.writes.delete(msg.batchId);
          deps.inFlight.release(w.spans);
        }
        if (state.writes.size === 0 && state.open.size === 0) {
          for (const r of state.flushWaiters) tell(r, { type: 'Flushed', partition });
          state.flushWaiters = [];
        }
        break;
      }
      case 'FlushAll':
        close(state, [...state.open.values()]);
        if (state.writes.size === 0) tell(msg.replyTo, { type: 'Flushed', partition });
        else state.flushWaiters.push(msg.replyTo);
        break;
      case 'Abandon': {
        let spans = state.openSpans;
        for (const w of state.writes.values()) spans += w.spans;
        deps.inFlight.release(spans);
        state.open.clear();
        state.openSpans = 0;
        state.entryRefs.clear();
        state.writes.clear();
        state.abandoned = true;
        for (const r of state.flushWaiters) tell(r, { type: 'Flushed', partition });
        state.flushWaiters = [];
        tell(msg.replyTo, { type: 'Abandoned', partition });
        break;
      }
      case 'DescribeOpen':
        tell(msg.replyTo, {
          partition,
          openTraces: state.open.size,
          openSpans: state.openSpans,
          unackedEntries: state.entryRefs.size,
          writesInFlight: state.writes.size,
        });
        break;
    }
    return state;
  };

  self = spawnActor<State, PartitionMsg>(parent, {
    name: `partition-${partition}`,
    initialState: { open: new Map(), openSpans: 0, entryRefs: new Map(), writes: new Map(), nextBatch: 1, flushWaiters: [], abandoned: false },
    handle: (state, msg) => handle(state, msg),
    // State holds unacknowledged work; resetting it would strand entries until a restart.
    onCrash: 'resume',
    logger,
  });
  return self;
}
