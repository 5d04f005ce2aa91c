// writeTraces: the traces of one batch are enriched together, so a batch waits for one round of
// entity lookups rather than one per trace (each lookup is queued behind ingest work).
// The ViewWriter actor prepares the next batch while the current one is written, never for a
// trace the current write holds, and keeps batch order when a write fails (one write at a
// time); with two writes in flight they never share a trace, a failure of one leaves the other
// be, and dropped partitions wait for every write that carries them.

import t from 'tap';
import { pino } from 'pino';
import { spawnViewWriter, writeTraces, type ClosedTrace, type ViewWriterDeps, type WrittenReply } from '../../src/actors/viewWriter.ts';
import { FencedError } from '../../src/errors.ts';
import { spawnActor, startActorSystem, stopActorSystem, tell, type ActorRef } from '../../src/actors/runtime.ts';
import type { Span } from '../../src/model/span.ts';
import type { AssembledTrace } from '../../src/model/trace.ts';
import type { TraceRows, ViewStore } from '../../src/store/api.ts';

function span(traceNo: number, n: number): Span {
  return {
    tenant: 't', traceId: traceNo.toString(16).padStart(32, '0'), spanId: (traceNo * 100 + n + 1).toString(16).padStart(16, '0'),
    parentSpanId: '', name: 'op', kind: 'SERVER', serviceName: 'svc', startUs: 1_700_000_000_000_000 + n, endUs: 1_700_000_000_001_000 + n,
    statusCode: 0, statusMessage: '', attributes: {}, resource: {}, events: [], links: [],
  };
}

/** A store that records what it is asked to write. */
function recordingStore(): { store: ViewStore; written: TraceRows[][] } {
  const written: TraceRows[][] = [];
  const store: ViewStore = {
    init: async () => undefined,
    replaceTraces: async (traces) => {
      written.push([...traces]);
    },
    storedSpans: async () => new Map(),
    query: async () => ({ rows: [] }),
    close: async () => undefined,
  };
  return { store, written };
}

const rowsFor = (trace: AssembledTrace): TraceRows => ({
  key: { tenant: trace.tenant, traceId: trace.traceId },
  views: { rawTraceView: [{ trace_id: trace.traceId, num_spans: trace.spans.length }] },
});

t.test('every trace of a batch is enriched before any of them has finished', async (t) => {
  const traces = [1, 2, 3, 4, 5].map((n) => ({ tenant: 't', traceId: span(n, 0).traceId, spans: [span(n, 0), span(n, 1)] }));
  const { store, written } = recordingStore();
  // Each lookup finishes only once all five have started (or gives up after a generous deadline).
  let started = 0;
  let releaseAll!: () => void;
  const allStarted = new Promise<void>((resolve) => (releaseAll = resolve));
  const deps: ViewWriterDeps = {
    store,
    logger: pino({ level: 'silent' }),
    maxBatchSpans: 1000,
    rowsOf: async (trace) => {
      if (++started === traces.length) releaseAll();
      const timedOut = await Promise.race([allStarted.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 20_000).unref())]);
      if (timedOut) throw new Error(`only ${started} of ${traces.length} traces were being enriched at once`);
      return rowsFor(trace);
    },
  };
  const result = await writeTraces(deps, traces);
  t.equal(started, traces.length);
  t.same(result.map((w) => w.trace.traceId), traces.map((tr) => tr.traceId), 'written in batch order');
  t.equal(written.length, 1, 'one store write for the batch');
  t.same(written[0].map((r) => r.key.traceId), traces.map((tr) => tr.traceId));
});

t.test('a trace that appears twice in a batch is enriched and written once, with all its spans', async (t) => {
  const { store, written } = recordingStore();
  const a = span(9, 0);
  const b = span(9, 1);
  let calls = 0;
  const deps: ViewWriterDeps = {
    store, logger: pino({ level: 'silent' }), maxBatchSpans: 1000,
    rowsOf: async (trace) => {
      calls++;
      return rowsFor(trace);
    },
  };
  const result = await writeTraces(deps, [{ tenant: 't', traceId: a.traceId, spans: [a] }, { tenant: 't', traceId: a.traceId, spans: [b] }]);
  t.equal(calls, 1);
  t.equal(result[0].trace.spans.length, 2);
  t.equal(written[0].length, 1);
});

/** An actor that collects the writer's replies, and waits for a number of them. */
function replies(system: ReturnType<typeof startActorSystem>): { ref: ActorRef<WrittenReply>; got: WrittenReply[]; until: (n: number) => Promise<void> } {
  const got: WrittenReply[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const ref = spawnActor<null, WrittenReply>(system, {
    name: 'replies',
    initialState: null,
    onCrash: 'resume',
    logger: pino({ level: 'silent' }),
    handle: (state, msg) => {
      got.push(msg);
      waiters = waiters.filter((w) => (got.length >= w.n ? (w.resolve(), false) : true));
      return state;
    },
  });
  const until = (n: number) =>
    got.length >= n ? Promise.resolve() : new Promise<void>((resolve, reject) => {
      // Not unref'd: it also keeps the process alive through the writer's (unref'd) retry timer.
      const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} replies: ${JSON.stringify(got)}`)), 20_000);
      waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return { ref, got, until };
}

const closed = (traceNo: number, spans = 2): ClosedTrace => ({ tenant: 't', traceId: span(traceNo, 0).traceId, spans: Array.from({ length: spans }, (_, i) => span(traceNo, i)) });

t.test('the writer prepares the next batch while the current one is being written', async (t) => {
  const system = startActorSystem('vw-overlap');
  t.teardown(() => stopActorSystem(system));
  const events: string[] = [];
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
  const { store } = recordingStore();
  let writes = 0;
  store.replaceTraces = async (traces) => {
    const n = ++writes;
    events.push(`write ${n} start (${traces.map((r) => r.key.traceId.slice(-1)).join(',')})`);
    if (n === 1) await firstHeld;
    events.push(`write ${n} end`);
  };
  const writer = spawnViewWriter(system, {
    store, logger: pino({ level: 'silent' }), maxBatchSpans: 2, writesInFlight: 1,
    rowsOf: async (trace) => {
      events.push(`rows ${trace.traceId.slice(-1)}`);
      // The second batch's rows are built while the first write is held.
      if (trace.traceId.endsWith('2')) releaseFirst();
      return rowsFor(trace);
    },
  });
  const r = replies(system);
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 1, traces: [closed(1)], replyTo: r.ref });
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 2, traces: [closed(2)], replyTo: r.ref });
  await r.until(2);
  t.same(r.got, [{ type: 'TracesWritten', batchId: 1 }, { type: 'TracesWritten', batchId: 2 }]);
  t.ok(events.indexOf('rows 2') < events.indexOf('write 1 end'), `rows of batch 2 built during write 1: ${events.join('; ')}`);
  t.ok(events.indexOf('write 1 end') < events.indexOf('write 2 start (2)'), 'writes stay one at a time, in order');
});

t.test('a batch with a trace the current write holds is prepared only after that write, and sees its spans', async (t) => {
  const system = startActorSystem('vw-same-trace');
  t.teardown(() => stopActorSystem(system));
  const { store } = recordingStore();
  const stored = new Map<string, Span[]>();
  const events: string[] = [];
  store.storedSpans = async (keys) => {
    events.push('read');
    const out = new Map<string, Span[]>();
    for (const k of keys) {
      const spans = stored.get(k.traceId);
      if (spans) out.set(`${k.tenant}\u0000${k.traceId}`, spans);
    }
    return out;
  };
  store.replaceTraces = async (traces) => {
    events.push('write start');
    await new Promise((resolve) => setTimeout(resolve, 50));
    events.push('write end');
  };
  const spansOf = new Map<string, number>();
  const writer = spawnViewWriter(system, {
    store, logger: pino({ level: 'silent' }), maxBatchSpans: 2,
    rowsOf: async (trace) => {
      spansOf.set(`${trace.traceId}@${trace.revision}`, trace.spans.length);
      stored.set(trace.traceId, trace.spans);
      return rowsFor(trace);
    },
  });
  const r = replies(system);
  const first = closed(7);
  const late: ClosedTrace = { tenant: 't', traceId: first.traceId, spans: [span(7, 5)] };
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 1, traces: [first], replyTo: r.ref });
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 2, traces: [late], replyTo: r.ref });
  await r.until(2);
  t.same(events, ['read', 'write start', 'write end', 'read', 'write start', 'write end']);
  t.equal(spansOf.get(`${first.traceId}@1`), 3, 'the re-opened trace has the first write\'s spans and the late one');
});

t.test('a failed write is retried first, and the batch prepared behind it is written after it', async (t) => {
  const system = startActorSystem('vw-retry');
  t.teardown(() => stopActorSystem(system));
  const { store } = recordingStore();
  const attempts: string[] = [];
  let failed = false;
  store.replaceTraces = async (traces) => {
    const ids = traces.map((r) => r.key.traceId.slice(-1)).join(',');
    attempts.push(ids);
    // The first write fails once, after the second batch has had time to be prepared.
    if (!failed) {
      failed = true;
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('store restarting');
    }
  };
  const writer = spawnViewWriter(system, { store, logger: pino({ level: 'silent' }), maxBatchSpans: 2, writesInFlight: 1, rowsOf: async (trace) => rowsFor(trace) });
  const r = replies(system);
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 1, traces: [closed(3)], replyTo: r.ref });
  tell(writer, { type: 'WriteTraces', partition: 1, batchId: 2, traces: [closed(4)], replyTo: r.ref });
  await r.until(2);
  t.same(attempts, ['3', '3', '4'], 'batch 1 fails, is retried, then batch 2 is written');
  t.same(r.got, [{ type: 'TracesWritten', batchId: 1 }, { type: 'TracesWritten', batchId: 2 }]);
});

t.test('a fenced write gives up the fenced partitions at once and writes the rest again without backing off', async (t) => {
  const system = startActorSystem('vw-fenced');
  t.teardown(() => stopActorSystem(system));
  const { store } = recordingStore();
  const attempts: { ids: string; at: number }[] = [];
  store.replaceTraces = async (traces) => {
    const ids = traces.map((r) => r.key.traceId.slice(-1)).sort().join(',');
    attempts.push({ ids, at: performance.now() });
    // The first write is held so that the next two batches are queued, and taken, together.
    if (attempts.length === 1) await new Promise((resolve) => setTimeout(resolve, 30));
    if (attempts.length === 2) throw new FencedError([1]);
  };
  const writer = spawnViewWriter(system, { store, logger: pino({ level: 'silent' }), maxBatchSpans: 10, writesInFlight: 1, rowsOf: async (trace) => rowsFor(trace) });
  const r = replies(system);
  tell(writer, { type: 'WriteTraces', partition: 2, batchId: 1, traces: [closed(4)], replyTo: r.ref });
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 2, traces: [closed(5)], replyTo: r.ref });
  tell(writer, { type: 'WriteTraces', partition: 1, batchId: 3, traces: [closed(6)], replyTo: r.ref });
  await r.until(3);
  t.same(attempts.map((a) => a.ids), ['4', '5,6', '5'], 'the fenced write held both partitions; its retry only the unfenced one');
  t.same(r.got, [{ type: 'TracesWritten', batchId: 1 }, { type: 'WriteFailed', batchId: 3 }, { type: 'TracesWritten', batchId: 2 }]);
  const gap = attempts[2].at - attempts[1].at;
  t.ok(gap < 180, `no back-off before the retry (${gap.toFixed(0)} ms; a back-off waits 200 ms)`);
});

t.test('a batch that fails before its write (the store cannot be read) is reported as a failed write and retried', async (t) => {
  const system = startActorSystem('vw-read-fails');
  t.teardown(() => stopActorSystem(system));
  const { store, written } = recordingStore();
  let reads = 0;
  store.storedSpans = async () => {
    if (++reads === 1) throw new Error('connection refused');
    return new Map();
  };
  const flushes: boolean[] = [];
  const writer = spawnViewWriter(system, {
    store, logger: pino({ level: 'silent' }), maxBatchSpans: 10, rowsOf: async (trace) => rowsFor(trace),
    onFlush: (f) => flushes.push(f.ok),
  });
  const r = replies(system);
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 1, traces: [closed(8)], replyTo: r.ref });
  await r.until(1);
  t.same(flushes, [false, true], 'the failed read is counted as a failed write, then the retry succeeds');
  t.same(r.got, [{ type: 'TracesWritten', batchId: 1 }]);
  t.equal(written.length, 1);
});

t.test('two writes in flight: disjoint batches overlap, a shared trace waits, a failure leaves the other write be', async (t) => {
  const system = startActorSystem('vw-two');
  t.teardown(() => stopActorSystem(system));
  const { store } = recordingStore();
  const events: string[] = [];
  const release = new Map<string, () => void>();
  let failOnce = true;
  // A write is named by its trace (last hex digit) and span count: "1:2" is trace 1 with 2 spans.
  store.replaceTraces = async (traces) => {
    const name = traces.map((r) => `${r.key.traceId.slice(-1)}:${r.views.rawTraceView[0].num_spans}`).join(',');
    events.push(`start ${name}`);
    await new Promise<void>((resolve) => release.set(name, resolve));
    if (name === '1:2' && failOnce) {
      failOnce = false;
      throw new Error('store restarting');
    }
  };
  const writer = spawnViewWriter(system, { store, logger: pino({ level: 'silent' }), maxBatchSpans: 2, rowsOf: async (trace) => rowsFor(trace) });
  const r = replies(system);
  const seen = async (what: string, times = 1) => {
    for (let i = 0; i < 400 && events.filter((e) => e === what).length < times; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    if (events.filter((e) => e === what).length < times) throw new Error(`never saw "${what}" ${times} time(s): ${events.join('; ')}`);
  };
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 1, traces: [closed(1)], replyTo: r.ref });
  tell(writer, { type: 'WriteTraces', partition: 1, batchId: 2, traces: [closed(2)], replyTo: r.ref });
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 3, traces: [{ ...closed(1), spans: [span(1, 7)] }], replyTo: r.ref });
  await seen('start 2:2');
  t.same(events, ['start 1:2', 'start 2:2'], 'the second batch is written while the first still is');
  release.get('2:2')!();
  await r.until(1);
  t.same(r.got, [{ type: 'TracesWritten', batchId: 2 }], 'the second write is acknowledged first: they share no trace');
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.notOk(events.includes('start 1:1'), 'the late span of trace 1 waits for the write that holds trace 1');
  release.get('1:2')!(); // fails once, and is tried again after a back-off
  await seen('start 1:2', 2);
  t.notOk(events.includes('start 1:1'), 'the late span still waits: the retried write holds trace 1');
  release.get('1:2')!();
  await seen('start 1:1');
  release.get('1:1')!();
  await r.until(3);
  t.same(r.got, [{ type: 'TracesWritten', batchId: 2 }, { type: 'TracesWritten', batchId: 1 }, { type: 'TracesWritten', batchId: 3 }], 'then the first, then the late span after it');
});

t.test('two writes in flight: dropped partitions are answered once no write in progress carries them', async (t) => {
  const system = startActorSystem('vw-two-drop');
  t.teardown(() => stopActorSystem(system));
  const { store } = recordingStore();
  const release = new Map<string, () => void>();
  store.replaceTraces = async (traces) => {
    await new Promise<void>((resolve) => release.set(traces.map((r) => r.key.traceId.slice(-1)).join(','), resolve));
  };
  const writer = spawnViewWriter(system, { store, logger: pino({ level: 'silent' }), maxBatchSpans: 2, rowsOf: async (trace) => rowsFor(trace) });
  const r = replies(system);
  tell(writer, { type: 'WriteTraces', partition: 5, batchId: 1, traces: [closed(1)], replyTo: r.ref });
  tell(writer, { type: 'WriteTraces', partition: 6, batchId: 2, traces: [closed(2)], replyTo: r.ref });
  for (let i = 0; i < 200 && release.size < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(release.size, 2, 'both writes in progress');
  const dropped: string[] = [];
  const waiter = spawnActor<null, { type: 'PartitionsDropped' }>(system, {
    name: 'drop-waiter', initialState: null, onCrash: 'resume', logger: pino({ level: 'silent' }),
    handle: (state) => {
      dropped.push('dropped');
      return state;
    },
  });
  tell(writer, { type: 'DropPartitions', partitions: [6], replyTo: waiter });
  release.get('1')!();
  await r.until(1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.same(dropped, [], 'not while the write of partition 6 is in progress, though the other one ended');
  release.get('2')!();
  await r.until(2);
  for (let i = 0; i < 100 && dropped.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  t.same(dropped, ['dropped'], 'answered once it ended');
});

t.test('lingering: small batches wait for more and go as one write; lingerSpans queued go at once', async (t) => {
  const system = startActorSystem('vw-linger');
  t.teardown(() => stopActorSystem(system));
  const { store } = recordingStore();
  const writes: { ids: string; at: number }[] = [];
  store.replaceTraces = async (traces) => {
    writes.push({ ids: traces.map((r) => r.key.traceId.slice(-1)).join(','), at: performance.now() });
  };
  const writer = spawnViewWriter(system, { store, logger: pino({ level: 'silent' }), maxBatchSpans: 100, lingerMs: 150, lingerSpans: 6, rowsOf: async (trace) => rowsFor(trace) });
  const r = replies(system);
  const start = performance.now();
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 1, traces: [closed(1)], replyTo: r.ref });
  await new Promise((resolve) => setTimeout(resolve, 40));
  tell(writer, { type: 'WriteTraces', partition: 1, batchId: 2, traces: [closed(2)], replyTo: r.ref });
  await r.until(2);
  t.same(writes.map((w) => w.ids), ['1,2'], 'the second batch joined the first, lingering one');
  const waited = writes[0].at - start;
  t.ok(waited >= 140, `the write waited for the first batch's linger (${waited.toFixed(0)} ms of 150)`);
  t.ok(waited < 1000, `and not much longer (${waited.toFixed(0)} ms)`);

  // Three traces of 2 spans reach lingerSpans (6): written without waiting.
  const before = performance.now();
  for (const [i, n] of [3, 4, 5].entries()) tell(writer, { type: 'WriteTraces', partition: i, batchId: 3 + i, traces: [closed(n)], replyTo: r.ref });
  await r.until(5);
  t.same(writes.slice(1).map((w) => w.ids), ['3,4,5'], 'one write of the three');
  t.ok(writes[1].at - before < 120, `at once (${(writes[1].at - before).toFixed(0)} ms, the linger is 150)`);
});

t.test('lingering: a batch put back after a failed write keeps its age, and goes again after the back-off alone', async (t) => {
  const system = startActorSystem('vw-linger-retry');
  t.teardown(() => stopActorSystem(system));
  const { store } = recordingStore();
  const attempts: number[] = [];
  store.replaceTraces = async () => {
    attempts.push(performance.now());
    if (attempts.length === 1) throw new Error('store restarting');
  };
  const writer = spawnViewWriter(system, { store, logger: pino({ level: 'silent' }), maxBatchSpans: 100, lingerMs: 1500, lingerSpans: 50, rowsOf: async (trace) => rowsFor(trace) });
  const r = replies(system);
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 1, traces: [closed(7)], replyTo: r.ref });
  await r.until(1);
  t.same(r.got, [{ type: 'TracesWritten', batchId: 1 }]);
  t.equal(attempts.length, 2);
  const retryGap = attempts[1] - attempts[0];
  t.ok(retryGap >= 150 && retryGap < 1200, `retried after the back-off (${retryGap.toFixed(0)} ms), not after another 1500 ms linger`);
});

t.test('lingering: Stop answers the lingering batches at once', async (t) => {
  const system = startActorSystem('vw-linger-stop');
  t.teardown(() => stopActorSystem(system));
  const { store, written } = recordingStore();
  const writer = spawnViewWriter(system, { store, logger: pino({ level: 'silent' }), maxBatchSpans: 100, lingerMs: 5000, rowsOf: async (trace) => rowsFor(trace) });
  const r = replies(system);
  tell(writer, { type: 'WriteTraces', partition: 0, batchId: 1, traces: [closed(9)], replyTo: r.ref });
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(written.length, 0, 'still lingering');
  tell(writer, { type: 'Stop' });
  await r.until(1);
  t.same(r.got, [{ type: 'WriteFailed', batchId: 1 }]);
  t.equal(written.length, 0);
});
